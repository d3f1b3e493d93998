package staging

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// Source records that every range of one source object has been
// integrated. Integrate writes it, under SourcesPrefix, when it completes
// the source (quarantine line numbers resolved), just before it deletes the
// source's commits. It is small (a few hundred bytes) and is never deleted
// by the pipeline: it is how a later delivery of the same object (same key,
// size and ETag, so the same source ID) is recognised as a re-delivery,
// which is not new data and must not be taken for late data.
type Source struct {
	// SourceID is the identity that names the source's output; Source the
	// inbound object's key; Key, Version and Size what its ranges were
	// planned over (a decompressed copy's key, for a compressed input).
	SourceID string `json:"source_id"`
	Source   string `json:"source"`            // the inbound object's key
	Key      string `json:"key"`               // the key the ranges were cut from
	Version  string `json:"version,omitempty"` // that object's version or ETag
	Size     int64  `json:"size"`              // its size in bytes
	Format   string `json:"format,omitempty"`  // the decoder's name, e.g. "hes-csv"
	// Ranges is the number of ranges; the counts are their commits' sums
	// (see Commit), as last integrated: Duplicates counts only the copies
	// dropped within ranges, not those integration dropped.
	Ranges      int   `json:"ranges"`
	Lines       int64 `json:"lines"`       // data lines
	Reads       int64 `json:"reads"`       // reads staged
	Quarantined int64 `json:"quarantined"` // bad lines
	Late        int64 `json:"late"`        // reads found late
	Duplicates  int64 `json:"duplicates"`  // reads a range held more than once
	// Backfill says that the source was loaded as history (every range's
	// Commit.Backfill): its reads were not checked for lateness.
	Backfill bool `json:"backfill,omitempty"`
	// Arrival is when the object arrived, Integrated when its last range
	// was integrated.
	Arrival    time.Time `json:"arrival_time"`
	Integrated time.Time `json:"integrated"`
}

// SourceKey is where the record of a fully integrated source is kept.
func SourceKey(sourceID string) string {
	return SourcesPrefix + "source=" + sourceID + ".json"
}

// ReadSource returns the record of a fully integrated source, or nil if the
// source has not been fully integrated (or never seen).
func ReadSource(ctx context.Context, lake *blob.Bucket, sourceID string) (*Source, error) {
	key := SourceKey(sourceID)
	b, err := lake.ReadAll(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("staging: read %s: %w", key, err)
	}
	var s Source
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("staging: %s: %w", key, err)
	}
	return &s, nil
}

// ForgetSource deletes a source's record, so that its next delivery is
// ingested as new data rather than skipped. Use it when the source's reads
// have been removed from the lake. (A forced ingest needs no forgetting:
// it re-ingests the source, and its record is written again.)
func ForgetSource(ctx context.Context, lake *blob.Bucket, sourceID string) error {
	return deleteIfExists(ctx, lake, SourceKey(sourceID))
}

// writeSource writes the record of a source whose commits cs (sorted by
// range, all integrated) are complete.
func writeSource(ctx context.Context, lake *blob.Bucket, cs []*Commit) error {
	m := cs[0].Message
	s := Source{SourceID: m.SourceID, Source: m.Source, Key: m.Key, Version: m.Version, Size: m.Size, Format: m.Format,
		Ranges: len(cs), Arrival: m.Arrival, Integrated: time.Now().UTC(), Backfill: true}
	for _, c := range cs {
		s.Backfill = s.Backfill && c.Backfill
		s.Lines += c.Lines
		s.Reads += c.Reads
		s.Quarantined += c.Quarantined
		s.Late += c.Late
		s.Duplicates += c.Duplicates
	}
	b, err := json.Marshal(&s)
	if err != nil {
		return err
	}
	if err := lake.WriteAll(ctx, SourceKey(s.SourceID), b, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("staging: write %s: %w", SourceKey(s.SourceID), err)
	}
	return nil
}
