package dataflow

import (
	"context"
	"fmt"
	"io/fs"

	"gocloud.dev/blob"
)

// Flow loads one data set into the lake. A Flow is used once, by one
// goroutine: Load, then Prepare, then Store, then optionally Register.
type Flow interface {
	// Name identifies the flow in errors and logs ("weather", "topology").
	Name() string
	// Load reads and parses the source.
	Load(ctx context.Context, src fs.FS) error
	// Prepare validates, normalizes and de-duplicates what Load read.
	Prepare(ctx context.Context) error
	// Store writes the prepared data to the lake.
	Store(ctx context.Context, lake *blob.Bucket) error
	// Register passes what Store wrote to register, once per table.
	Register(ctx context.Context, register RegisterFunc) error
}

// Written describes what a flow wrote to one table of the lake, for a
// catalog to register.
type Written struct {
	// Table is the table's name in the lake (e.g. "weather",
	// "smart_meter"); catalogs add their prefixes (package catalog's
	// WeatherTableName, TopologyTablePrefix).
	Table string
	// Location is the table's root in the lake, e.g. "weather/".
	Location string
	// Partitions are the partition directories written under Location,
	// e.g. "date=2024-03-01/"; empty for an unpartitioned table.
	Partitions []string
	// Files are the keys of the files written.
	Files []string
	// Rows is the number of rows written.
	Rows int64
}

// RegisterFunc registers a table's new data in a catalog (adding the
// partitions, say). It is the hook for package catalog, or anything else:
// catalog.DataflowRegister, or the RegisterDataflow method of a
// catalog.Registrar, creates the flow's table (and database) in a catalog
// if needed and registers its new partitions, so that this package does
// not depend on catalog drivers.
type RegisterFunc func(ctx context.Context, w Written) error

// RunOptions configures Run. Nil means the defaults.
type RunOptions struct {
	// Register, if set, is called for every table written; nil registers
	// nothing.
	Register RegisterFunc
}

// Run runs a flow's steps: Load from src, Prepare, Store into lake, and
// Register if opts.Register is set. Errors name the flow and the step.
func Run(ctx context.Context, f Flow, src fs.FS, lake *blob.Bucket, opts *RunOptions) error {
	if err := f.Load(ctx, src); err != nil {
		return fmt.Errorf("dataflow %s: load: %w", f.Name(), err)
	}
	if err := f.Prepare(ctx); err != nil {
		return fmt.Errorf("dataflow %s: prepare: %w", f.Name(), err)
	}
	if err := f.Store(ctx, lake); err != nil {
		return fmt.Errorf("dataflow %s: store: %w", f.Name(), err)
	}
	if opts != nil && opts.Register != nil {
		if err := f.Register(ctx, opts.Register); err != nil {
			return fmt.Errorf("dataflow %s: register: %w", f.Name(), err)
		}
	}
	return nil
}
