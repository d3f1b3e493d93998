package mda

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"gocloud.dev/blob"

	"github.com/openmda/mda/meter"
)

// InboundReadsPrefix holds the JSON lines objects IngestReads writes, one
// per batch, named by the batch's content.
const InboundReadsPrefix = "inbound/reads/"

// IngestReads ingests reads a service holds in memory (from its own
// stream, an API, a database) through the same exactly-once path as a
// file: it writes them as one JSON lines object (meter.JSONLinesWriter)
// under InboundReadsPrefix in the lake, named by the SHA-256 of its
// content, and ingests that object (Ingest, with opts; its Format is
// always JSON lines). The same batch sent again is the same object, which
// the lake has already integrated: nothing changes, and the stats say
// AlreadyIngested (opts.Force ingests it again). A read the writer
// cannot encode (an invalid meter id or type, a value that is not
// finite) fails the call before anything is written, with an error
// matching meter.ErrUnwritable.
//
// Each call integrates what it stages, rewriting the hourly partitions its
// reads touch: send batches of minutes of a fleet, not one read at a time
// (see Ingest for staging many small inputs and integrating them once).
// Reads without an Arrival arrive at the object's write time. An empty
// batch does nothing.
func IngestReads(ctx context.Context, lake *blob.Bucket, reads []meter.Reading, opts *IngestOptions) (IngestStats, error) {
	if len(reads) == 0 {
		return IngestStats{}, nil
	}
	var buf bytes.Buffer
	if _, err := meter.NewJSONLinesWriter(&buf).Write(reads); err != nil {
		return IngestStats{}, fmt.Errorf("mda: IngestReads: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	key := InboundReadsPrefix + hex.EncodeToString(sum[:16]) + ".jsonl"
	// A batch sent again is not written again: its object, and so the
	// arrival of its reads without one, stays as it was.
	exists, err := lake.Exists(ctx, key)
	if err != nil {
		return IngestStats{}, fmt.Errorf("mda: IngestReads: %w", err)
	}
	if !exists {
		if err := lake.WriteAll(ctx, key, buf.Bytes(), &blob.WriterOptions{ContentType: "application/x-ndjson"}); err != nil {
			return IngestStats{}, fmt.Errorf("mda: IngestReads: writing %s: %w", key, err)
		}
	}
	o := IngestOptions{}
	if opts != nil {
		o = *opts
	}
	o.Format = meter.JSONLinesFormat
	return Ingest(ctx, lake, lake, key, &o)
}
