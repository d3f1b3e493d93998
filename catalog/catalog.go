package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// Catalog is a portable handle on a metadata catalog of external tables
// over a data lake: a JSON manifest in a bucket (localcat) or the AWS Glue
// Data Catalog (gluecat), where Athena, Trino and Spark find the tables.
//
// Every method is safe for concurrent use, and idempotent: Ensure*
// methods create what is missing, AddPartitions skips partitions that
// exist, DropPartitions skips ones that do not.
type Catalog struct {
	d      Driver
	opts   Options
	mu     sync.Mutex
	closed bool
}

// Options configures a Catalog. Nil means the defaults.
type Options struct {
	// DefaultDatabase is the database that callers such as the mda CLI use
	// when none is named; "" means DatabaseIntegrated. URL openers set it
	// from the URL (the host of glue://DATABASE, ?database= for localcat).
	DefaultDatabase string
}

// NewCatalog returns a Catalog on d. It is for driver packages; users
// call a driver's constructor or OpenCatalog.
func NewCatalog(d Driver, opts *Options) *Catalog {
	c := &Catalog{d: d}
	if opts != nil {
		c.opts = *opts
	}
	if c.opts.DefaultDatabase == "" {
		c.opts.DefaultDatabase = DatabaseIntegrated
	}
	return c
}

// DefaultDatabase returns the database to use when none is named.
func (c *Catalog) DefaultDatabase() string { return c.opts.DefaultDatabase }

var errClosed = &Error{Code: FailedPrecondition, Err: errors.New("catalog is closed")}

func (c *Catalog) check(op, target string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return &Error{Code: FailedPrecondition, Op: op, Target: target, Err: errClosed.Err}
	}
	return nil
}

func invalid(op, target string, err error) error {
	return &Error{Code: InvalidArgument, Op: op, Target: target, Err: err}
}

// EnsureDatabase creates the database if it does not exist. An existing
// database is left as it is.
func (c *Catalog) EnsureDatabase(ctx context.Context, db *Database) error {
	const op = "EnsureDatabase"
	if db == nil {
		return invalid(op, "", errors.New("nil database"))
	}
	if err := c.check(op, db.Name); err != nil {
		return err
	}
	if err := ValidateName(db.Name); err != nil {
		return invalid(op, db.Name, err)
	}
	err := c.d.CreateDatabase(ctx, db)
	if err == nil || c.classify(err) == AlreadyExists {
		return nil
	}
	return c.wrap(err, op, db.Name)
}

// EnsureTable creates the table if it does not exist, and otherwise brings
// its definition up to date: if the columns, location, format, description
// or any of t's Parameters differ, it replaces the definition (keeping the
// partitions and any parameters the service added), so that a newer
// definition (say, an added column) reaches existing catalogs. Changing
// the partition keys of an existing table is refused with an error whose
// code is FailedPrecondition, since its partitions would no longer fit:
// drop and recreate such a table by hand.
//
// The database must exist (see EnsureDatabase); t.Projection is not
// stored (use t.WithProjection() to store it as table properties).
func (c *Catalog) EnsureTable(ctx context.Context, t *Table) error {
	const op = "EnsureTable"
	if t == nil {
		return invalid(op, "", errors.New("nil table"))
	}
	target := t.QualifiedName()
	if err := c.check(op, target); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return invalid(op, target, err)
	}
	want := t.Clone()
	want.Projection = nil
	for attempt := 0; ; attempt++ {
		have, err := c.d.GetTable(ctx, want.Database, want.Name)
		switch {
		case err == nil:
			if sameDefinition(have, want) {
				return nil
			}
			if !slices.Equal(have.PartitionKeys, want.PartitionKeys) {
				return &Error{Code: FailedPrecondition, Op: op, Target: target,
					Err: fmt.Errorf("partition keys %v differ from the existing table's %v", want.PartitionKeyNames(), have.PartitionKeyNames())}
			}
			upd := want.Clone()
			for k, v := range have.Parameters { // keep the service's own
				if _, ok := upd.Parameters[k]; !ok {
					if upd.Parameters == nil {
						upd.Parameters = make(map[string]string)
					}
					upd.Parameters[k] = v
				}
			}
			return c.wrap(c.d.UpdateTable(ctx, upd), op, target)
		case c.classify(err) != NotFound:
			return c.wrap(err, op, target)
		}
		err = c.d.CreateTable(ctx, want)
		if err == nil {
			return nil
		}
		// Another writer created it in between: compare with theirs.
		if c.classify(err) != AlreadyExists || attempt > 0 {
			return c.wrap(err, op, target)
		}
	}
}

// GetTable returns a table's definition. If it does not exist, the error's
// code is NotFound.
func (c *Catalog) GetTable(ctx context.Context, db, name string) (*Table, error) {
	const op = "GetTable"
	target := db + "." + name
	if err := c.check(op, target); err != nil {
		return nil, err
	}
	if err := validNames(db, name); err != nil {
		return nil, invalid(op, target, err)
	}
	t, err := c.d.GetTable(ctx, db, name)
	if err != nil {
		return nil, c.wrap(err, op, target)
	}
	return t, nil
}

func validNames(db, name string) error {
	if err := ValidateName(db); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

// AddPartitions registers partitions of a table, in batches of the
// driver's size (100 for Glue). Partitions that exist already are skipped,
// so that repeating a call, or racing another writer, is harmless.
// Partitions with an empty Location get the table's default,
// Table.PartitionLocation(Values). Values must be one per partition key,
// non-empty, without '/', '=', quotes or backslashes.
//
// If single partitions fail, the others are still added, and the error
// (code of the first failure) wraps the *PartitionError values.
func (c *Catalog) AddPartitions(ctx context.Context, db, table string, parts []Partition) error {
	const op = "AddPartitions"
	target := db + "." + table
	if err := c.check(op, target); err != nil {
		return err
	}
	if err := validNames(db, table); err != nil {
		return invalid(op, target, err)
	}
	if len(parts) == 0 {
		return nil
	}
	t, err := c.d.GetTable(ctx, db, table)
	if err != nil {
		return c.wrap(err, op, target)
	}
	n := len(t.PartitionKeys)
	seen := make(map[string]bool, len(parts))
	todo := make([]Partition, 0, len(parts))
	for _, p := range parts {
		if err := validateValues(p.Values, n); err != nil {
			return invalid(op, target, err)
		}
		k := valuesKey(p.Values)
		if seen[k] {
			continue
		}
		seen[k] = true
		p.Values = slices.Clone(p.Values)
		if p.Location == "" {
			p.Location = t.PartitionLocation(p.Values)
		}
		todo = append(todo, p)
	}
	var errs []error
	for chunk := range chunks(todo, c.d.Limits().AddPartitions) {
		if err := c.d.AddPartitions(ctx, t, chunk); err != nil {
			if !isPartitionErrors(err) {
				return c.wrap(err, op, target)
			}
			errs = append(errs, err)
		}
	}
	return c.batchError(errs, op, target)
}

// ListPartitions returns the partitions of a table that pass f (nil: all),
// sorted by their values.
func (c *Catalog) ListPartitions(ctx context.Context, db, table string, f *Filter) ([]Partition, error) {
	const op = "ListPartitions"
	target := db + "." + table
	if err := c.check(op, target); err != nil {
		return nil, err
	}
	if err := validNames(db, table); err != nil {
		return nil, invalid(op, target, err)
	}
	if f != nil {
		t, err := c.d.GetTable(ctx, db, table)
		if err != nil {
			return nil, c.wrap(err, op, target)
		}
		if err := f.Validate(t.PartitionKeyNames()); err != nil {
			return nil, invalid(op, target, err)
		}
	}
	parts, err := c.d.ListPartitions(ctx, db, table, f)
	if err != nil {
		return nil, c.wrap(err, op, target)
	}
	slices.SortFunc(parts, func(a, b Partition) int { return compareValues(a.Values, b.Values) })
	return parts, nil
}

// DropPartitions deletes the partitions with the given values from the
// catalog (not their files), in batches of the driver's size (25 for
// Glue). Partitions that do not exist are skipped.
func (c *Catalog) DropPartitions(ctx context.Context, db, table string, values [][]string) error {
	const op = "DropPartitions"
	target := db + "." + table
	if err := c.check(op, target); err != nil {
		return err
	}
	if err := validNames(db, table); err != nil {
		return invalid(op, target, err)
	}
	if len(values) == 0 {
		return nil
	}
	t, err := c.d.GetTable(ctx, db, table)
	if err != nil {
		return c.wrap(err, op, target)
	}
	seen := make(map[string]bool, len(values))
	todo := make([][]string, 0, len(values))
	for _, v := range values {
		if err := validateValues(v, len(t.PartitionKeys)); err != nil {
			return invalid(op, target, err)
		}
		if k := valuesKey(v); !seen[k] {
			seen[k] = true
			todo = append(todo, slices.Clone(v))
		}
	}
	var errs []error
	for chunk := range chunks(todo, c.d.Limits().DropPartitions) {
		if err := c.d.DropPartitions(ctx, t, chunk); err != nil {
			if !isPartitionErrors(err) {
				return c.wrap(err, op, target)
			}
			errs = append(errs, err)
		}
	}
	return c.batchError(errs, op, target)
}

// isPartitionErrors reports whether err is made of *PartitionError values
// only (a per-item failure report, after which the batch goes on).
func isPartitionErrors(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !isPartitionErrors(e) {
				return false
			}
		}
		return len(j.Unwrap()) > 0
	}
	_, ok := err.(*PartitionError)
	return ok
}

// batchError joins per-partition failures into one *Error whose code is
// that of the first failure.
func (c *Catalog) batchError(errs []error, op, target string) error {
	if len(errs) == 0 {
		return nil
	}
	joined := errors.Join(errs...)
	var pe *PartitionError
	code := Unknown
	if errors.As(joined, &pe) {
		code = c.classify(pe.Err)
	}
	return &Error{Code: code, Op: op, Target: target, Err: joined}
}

// chunks yields s in pieces of at most n (all of it if n <= 0).
func chunks[T any](s []T, n int) func(func([]T) bool) {
	return func(yield func([]T) bool) {
		if n <= 0 {
			n = len(s)
		}
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// As converts i to the driver's underlying type, if it is one the driver
// supports (each driver's package documents them: gluecat exposes
// **glue.Client, localcat *blob.Bucket). It reports whether it did.
func (c *Catalog) As(i any) bool {
	if i == nil {
		return false
	}
	return c.d.As(i)
}

// ErrorAs converts err, returned by a Catalog method, to a service error
// type that the driver supports (gluecat: smithy.APIError and the
// service's exception types), and reports whether it did. i must be a
// non-nil pointer.
func (c *Catalog) ErrorAs(err error, i any) bool {
	if err == nil || i == nil {
		return false
	}
	if e, ok := err.(*Error); ok {
		err = e.Err
	}
	var pe *PartitionError
	if errors.As(err, &pe) && c.d.ErrorAs(pe.Err, i) {
		return true
	}
	return c.d.ErrorAs(err, i)
}

// Close releases the Catalog's resources. Later calls of other methods
// fail with FailedPrecondition.
func (c *Catalog) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	return c.d.Close()
}
