package hes

import (
	"bytes"
	"crypto/md5"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
)

// kplRecord is one user record of a test aggregate.
type kplRecord struct {
	key  uint64 // index in the partition key table
	data []byte
	tag  string // a tag's key, "" for none
	hash bool   // with an explicit hash key index
}

// kplAggregate encodes records as the Kinesis Producer Library does: the
// magic, the AggregatedRecord, its MD5.
func kplAggregate(records ...kplRecord) []byte {
	var msg []byte
	for _, k := range []string{"meter-a", "meter-b"} {
		msg = protowire.AppendTag(msg, kplAggregatedPartitionKeys, protowire.BytesType)
		msg = protowire.AppendString(msg, k)
	}
	msg = protowire.AppendTag(msg, kplAggregatedExplicitHashKey, protowire.BytesType)
	msg = protowire.AppendString(msg, "12345")
	for _, r := range records {
		var rec []byte
		rec = protowire.AppendTag(rec, kplRecordPartitionKeyIndex, protowire.VarintType)
		rec = protowire.AppendVarint(rec, r.key)
		if r.hash {
			rec = protowire.AppendTag(rec, 2, protowire.VarintType)
			rec = protowire.AppendVarint(rec, 0)
		}
		rec = protowire.AppendTag(rec, kplRecordData, protowire.BytesType)
		rec = protowire.AppendBytes(rec, r.data)
		if r.tag != "" {
			var tag []byte
			tag = protowire.AppendTag(tag, 1, protowire.BytesType)
			tag = protowire.AppendString(tag, r.tag)
			rec = protowire.AppendTag(rec, 4, protowire.BytesType)
			rec = protowire.AppendBytes(rec, tag)
		}
		msg = protowire.AppendTag(msg, kplAggregatedRecords, protowire.BytesType)
		msg = protowire.AppendBytes(msg, rec)
	}
	sum := md5.Sum(msg)
	return append(append(append([]byte{}, kplMagic...), msg...), sum[:]...)
}

// TestAppendRecordsKPL: an aggregate of the Kinesis Producer Library is
// taken apart into its user records, each read as a body of its own; a
// damaged one (checksum, truncation, a record without data) is not, and
// lands whole on one line for the quarantine.
func TestAppendRecordsKPL(t *testing.T) {
	agg := kplAggregate(
		kplRecord{key: 0, data: []byte(`{"meter_id": "a", "reading_value": 1}`)},
		kplRecord{key: 1, data: []byte("{\"meter_id\":\"b\"}\n{\"meter_id\":\"c\"}"), tag: "t", hash: true},
		kplRecord{key: 0, data: []byte(`[{"meter_id":"d"},{"meter_id":"e"}]`)},
		kplRecord{key: 1, data: []byte(`not json`)},
	)
	badSum := bytes.Clone(agg)
	badSum[len(badSum)-1] ^= 1
	truncated := agg[:len(agg)-kplChecksumSize-3]
	sum := md5.Sum(truncated[len(kplMagic):])
	truncated = append(bytes.Clone(truncated), sum[:]...) // its checksum is right, its protocol buffer cut short
	var noData []byte
	noData = protowire.AppendTag(noData, kplRecordPartitionKeyIndex, protowire.VarintType)
	noData = protowire.AppendVarint(noData, 0)
	var msg []byte
	msg = protowire.AppendTag(msg, kplAggregatedRecords, protowire.BytesType)
	msg = protowire.AppendBytes(msg, noData)
	sum = md5.Sum(msg)
	withoutData := append(append(append([]byte{}, kplMagic...), msg...), sum[:]...)

	for _, tc := range []struct {
		name string
		body []byte
		want []string
	}{
		{"aggregate", agg, []string{`{"meter_id":"a","reading_value":1}`, `{"meter_id":"b"}`, `{"meter_id":"c"}`, `{"meter_id":"d"}`, `{"meter_id":"e"}`, `not json`}},
		{"empty aggregate", kplAggregate(), nil},
		{"bad checksum", badSum, []string{string(bytes.ReplaceAll(badSum, []byte{'\n'}, []byte{' '}))}},
		{"truncated", truncated, []string{string(bytes.ReplaceAll(truncated, []byte{'\n'}, []byte{' '}))}},
		{"a record without data", withoutData, []string{string(withoutData)}},
		{"magic alone", kplMagic, []string{string(kplMagic)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, n := AppendRecords(nil, tc.body)
			var got []string
			if len(out) > 0 {
				got = strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || n != len(tc.want) {
				t.Errorf("%d lines (-want +got):\n%s", n, diff)
			}
		})
	}
}

// FuzzKPLRecords: any body either is not an aggregate or gives records
// that encode back to an aggregate of the same records; an aggregate of
// any data decodes to that data.
func FuzzKPLRecords(f *testing.F) {
	f.Add([]byte(`{"a":1}`), []byte("x\ny"), []byte{})
	f.Add([]byte{0xF3, 0x89, 0x9A, 0xC2}, []byte{}, []byte{0})
	f.Fuzz(func(t *testing.T, a, b, raw []byte) {
		agg := kplAggregate(kplRecord{data: a}, kplRecord{key: 1, data: b, tag: "k"})
		got, ok := kplRecords(agg)
		if !ok || len(got) != 2 || !bytes.Equal(got[0], a) || !bytes.Equal(got[1], b) {
			t.Fatalf("aggregate of %q, %q decoded as %q, %v", a, b, got, ok)
		}
		// Arbitrary bodies, checked or not, never panic, and what
		// decodes is a list of records.
		for _, body := range [][]byte{raw, append(append([]byte{}, kplMagic...), raw...), checksummed(raw)} {
			if recs, ok := kplRecords(body); ok {
				for _, r := range recs {
					if len(r) > len(body) {
						t.Fatalf("a record longer than its body")
					}
				}
			}
			AppendRecords(nil, body)
		}
	})
}

// checksummed makes msg an aggregate's body with a valid checksum.
func checksummed(msg []byte) []byte {
	sum := md5.Sum(msg)
	return append(append(append([]byte{}, kplMagic...), msg...), sum[:]...)
}
