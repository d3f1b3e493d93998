package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gocloud.dev/pubsub"

	"github.com/openmda/mda"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// TestCLIStream: the guidance's staging records (six per head-end line,
// aggregated into one message as its range worker puts them on Kinesis,
// voltage in kV) published on NATS; `mda stream` lands and ingests them,
// and the lake equals the one `mda ingest` makes of the same head-end CSV,
// duplicates and late reads included.
func TestCLIStream(t *testing.T) {
	srv := startNATS()
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "readings.csv")
	if code, out, errs := runCLI(t, "simulate", "--meters", "4", "--days", "1", "--seed", "9", "--duplicate-fraction", "0.02",
		"--late-fraction", "0.05", "--out", file); code != 0 {
		t.Fatalf("simulate: %s%s", out, errs)
	}
	fileLake := "file://" + filepath.Join(dir, "file-lake")
	if code, out, errs := runCLI(t, "ingest", "--lake", fileLake, "--quiet", file); code != 0 {
		t.Fatalf("ingest: %s%s", out, errs)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var messages []string
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")[1:] {
		f := strings.Split(line, ",")
		var msg strings.Builder
		for k, typ := range meter.HESTypes {
			fmt.Fprintf(&msg, `{"meter_id":%q,"reading_type":%q,"reading_value":%q,"reading_date_time":%q,"arrival_time":%q,"reading_source":"B"}`,
				f[2], typ, f[4+k], f[0], f[1])
		}
		messages = append(messages, msg.String())
	}

	streamLake := "file://" + filepath.Join(dir, "stream-lake")
	subs := srv.NumSubscriptions()
	type result struct {
		code      int
		out, errs string
	}
	done := make(chan result)
	go func() {
		code, out, errs := runCLI(t, "stream", "--sub", "nats://mda.cli.stream", "--lake", streamLake, "--name", "ami",
			"--max-age", "300ms", "--idle", "2s")
		done <- result{code, out, errs}
	}()
	// NATS core delivers to the subscribers of the moment: wait for the
	// command's.
	for deadline := time.Now().Add(20 * time.Second); srv.NumSubscriptions() <= subs; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("mda stream did not subscribe")
		}
	}
	topic, err := pubsub.OpenTopic(ctx, "nats://mda.cli.stream")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range messages {
		if err := topic.Send(ctx, &pubsub.Message{Body: []byte(m)}); err != nil {
			t.Fatal(err)
		}
	}
	topic.Shutdown(ctx)
	r := <-done
	if r.code != 0 || !strings.Contains(r.out, fmt.Sprintf("%d messages, %d records", len(messages), 6*len(messages))) {
		t.Fatalf("stream: exit %d: %s%s", r.code, r.out, r.errs)
	}
	read := func(url string) []meter.Reading {
		b, err := mda.OpenBucket(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		reads, _, err := partition.ReadAll(ctx, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		return reads
	}
	want, got := read(fileLake), read(streamLake)
	if len(want) == 0 {
		t.Fatal("the file lake is empty")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the streamed lake differs from the ingested file's (-file +stream):\n%s", diff)
	}
}
