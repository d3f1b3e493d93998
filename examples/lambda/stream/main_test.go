package main

import (
	"context"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/openmda/mda/examples/lambda/internal/handler"
	"github.com/openmda/mda/examples/lambda/internal/lambdaenv"
	"github.com/openmda/mda/examples/lambda/internal/lambdatest"
	"github.com/openmda/mda/hes"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/simulator"
)

// TestStream: a simulated head-end export put on Kinesis as the guidance's
// range worker put it (six staging records per line, aggregated into one
// Kinesis record, values as text, voltage in kV), in three batches, one of
// them delivered twice (a retried batch): each batch lands once, under the
// stream's landing folder, and the inbound, worker and integrator
// functions make of them the simulator's truth, duplicates and late reads
// included.
func TestStream(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	data, g := lambdatest.CSV(t, simulator.Options{Meters: 4, Days: 1, Seed: 21, DuplicateFraction: 0.02, LateFraction: 0.05, LateOffset: 5 * time.Hour})
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")[1:]
	var records []events.KinesisEventRecord
	for i, line := range lines {
		f := strings.Split(line, ",")
		var agg strings.Builder
		for k, typ := range meter.HESTypes {
			fmt.Fprintf(&agg, `{"meter_id": %q, "reading_type": %q, "reading_value": %q, "reading_date_time": %q, "arrival_time": %q, "reading_source": "B"}`,
				f[2], typ, f[4+k], f[0], f[1])
		}
		var r events.KinesisEventRecord
		r.EventSource, r.EventName = "aws:kinesis", "aws:kinesis:record"
		r.Kinesis.PartitionKey, r.Kinesis.SequenceNumber = f[2], fmt.Sprintf("%056d", i)
		r.Kinesis.Data = []byte(agg.String())
		records = append(records, r)
	}
	env.Vars["STREAM_NAME"] = "ami-stream"
	s, err := handler.NewStreamer(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "warn"))
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return time.Date(2024, 3, 2, 1, 0, 0, 0, time.UTC) }
	third := len(records) / 3
	batches := [][]events.KinesisEventRecord{records[:third], records[third : 2*third], records[third : 2*third], records[2*third:]}
	var keys []string
	for _, b := range batches {
		payload, err := json.Marshal(events.KinesisEvent{Records: b})
		if err != nil {
			t.Fatal(err)
		}
		out, err := lambdatest.Invoke(ctx, s.Handle, payload)
		if err != nil {
			t.Fatal(err)
		}
		var res handler.StreamerResult
		if err := json.Unmarshal(out, &res); err != nil || res.Records != len(b) || res.Lines != 6*len(b) {
			t.Fatalf("result %s (%v) for %d records", out, err, len(b))
		}
		if !slices.Contains(keys, res.Key) {
			keys = append(keys, res.Key)
		}
	}
	landed := lambdatest.Keys(t, env.Inbound, hes.LandingKey("ami-stream", ""))
	if len(keys) != 3 || !slices.Equal(slices.Sorted(slices.Values(keys)), landed) {
		t.Fatalf("landed %v; the runs reported %v (the retried batch must land once)", landed, keys)
	}
	env.Ingest(t, keys)
	if diff := lambdatest.TruthDiff(t, g, env.Lake); diff != "" {
		t.Errorf("lake differs from the truth (-want +got):\n%s", diff)
	}
	// An empty batch lands nothing.
	if out, err := lambdatest.Invoke(ctx, s.Handle, []byte(`{"Records":[]}`)); err != nil || strings.Contains(string(out), "key") {
		t.Errorf("empty batch: %s, %v", out, err)
	}
}

// TestStreamKPL: the same export put on Kinesis by the Kinesis Producer
// Library, one staging record per user record and up to 50 user records
// aggregated into each Kinesis record (its protocol buffer format, which
// Lambda hands over as it is): the function takes the aggregates apart,
// and the lake is the simulator's truth.
func TestStreamKPL(t *testing.T) {
	ctx := context.Background()
	env := lambdatest.New(t)
	data, g := lambdatest.CSV(t, simulator.Options{Meters: 3, Days: 1, Seed: 22, DuplicateFraction: 0.02, LateFraction: 0.05, LateOffset: 5 * time.Hour})
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")[1:]
	var user [][]byte
	for _, line := range lines {
		f := strings.Split(line, ",")
		for k, typ := range meter.HESTypes {
			user = append(user, fmt.Appendf(nil, `{"meter_id": %q, "reading_type": %q, "reading_value": %q, "reading_date_time": %q, "arrival_time": %q, "reading_source": "B"}`,
				f[2], typ, f[4+k], f[0], f[1]))
		}
	}
	var records []events.KinesisEventRecord
	for i := 0; i < len(user); i += 50 {
		var r events.KinesisEventRecord
		r.EventSource, r.EventName = "aws:kinesis", "aws:kinesis:record"
		r.Kinesis.PartitionKey, r.Kinesis.SequenceNumber = "p", fmt.Sprintf("%056d", i)
		r.Kinesis.Data = kplAggregate(user[i:min(i+50, len(user))])
		records = append(records, r)
	}
	s, err := handler.NewStreamer(ctx, lambdaenv.New(env.Getenv), lambdaenv.Logger(t.Output(), "warn"))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(events.KinesisEvent{Records: records})
	if err != nil {
		t.Fatal(err)
	}
	out, err := lambdatest.Invoke(ctx, s.Handle, payload)
	if err != nil {
		t.Fatal(err)
	}
	var res handler.StreamerResult
	if err := json.Unmarshal(out, &res); err != nil || res.Records != len(records) || res.Lines != len(user) {
		t.Fatalf("result %s (%v) for %d Kinesis records of %d user records", out, err, len(records), len(user))
	}
	env.Ingest(t, []string{res.Key})
	if diff := lambdatest.TruthDiff(t, g, env.Lake); diff != "" {
		t.Errorf("lake differs from the truth (-want +got):\n%s", diff)
	}
}

// kplAggregate encodes user records as the Kinesis Producer Library
// aggregates them: its magic, an AggregatedRecord protocol buffer (one
// partition key), and the buffer's MD5.
func kplAggregate(user [][]byte) []byte {
	var msg []byte
	msg = protowire.AppendTag(msg, 1, protowire.BytesType) // partition_key_table
	msg = protowire.AppendString(msg, "p")
	for _, u := range user {
		var rec []byte
		rec = protowire.AppendTag(rec, 1, protowire.VarintType) // partition_key_index
		rec = protowire.AppendVarint(rec, 0)
		rec = protowire.AppendTag(rec, 3, protowire.BytesType) // data
		rec = protowire.AppendBytes(rec, u)
		msg = protowire.AppendTag(msg, 3, protowire.BytesType) // records
		msg = protowire.AppendBytes(msg, rec)
	}
	sum := md5.Sum(msg)
	return append(append([]byte{0xF3, 0x89, 0x9A, 0xC2}, msg...), sum[:]...)
}

// TestStreamEnvironment: the function needs its inbound bucket, and a
// landing folder name that is one path segment.
func TestStreamEnvironment(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{}, "INBOUND_URL"},
		{map[string]string{"INBOUND_URL": "mem://", "STREAM_NAME": "a/b"}, "STREAM_NAME"},
		{map[string]string{"INBOUND_URL": "nope://"}, "INBOUND_URL"},
	} {
		_, err := handler.NewStreamer(ctx, lambdaenv.New(lambdaenv.Map(tc.vars)), lambdaenv.Logger(t.Output(), "error"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.vars, err, tc.want)
		}
	}
}
