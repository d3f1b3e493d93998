package catalog

import "context"

// Driver is what a catalog service implements; [Catalog] adds validation,
// batching, idempotency and error wrapping on top. Application code uses
// *Catalog; only driver packages (localcat, gluecat) implement Driver.
//
// Arguments are validated by Catalog before they reach the driver: names
// satisfy ValidateName, tables satisfy Table.Validate, partitions have one
// valid value per partition key and a location, and filters name partition
// keys only. Errors should be the service's own (so that ErrorAs can expose
// them), classified by ErrorCode, or *Error values made with Errorf.
type Driver interface {
	// CreateDatabase creates a database. If it exists, it returns an
	// error whose code is AlreadyExists.
	CreateDatabase(ctx context.Context, db *Database) error
	// GetTable returns a table's definition (Projection nil), or an error
	// whose code is NotFound.
	GetTable(ctx context.Context, db, name string) (*Table, error)
	// CreateTable creates a table. It returns an error whose code is
	// AlreadyExists if the table exists, NotFound if its database does
	// not.
	CreateTable(ctx context.Context, t *Table) error
	// UpdateTable replaces the definition of an existing table, keeping
	// its partitions.
	UpdateTable(ctx context.Context, t *Table) error
	// AddPartitions adds partitions to table t (as GetTable returned it),
	// at most Limits().AddPartitions of
	// them (if that is positive), all distinct. Partitions that exist
	// already are not errors (and are left as they are). Failures of
	// single partitions are returned as *PartitionError values joined with
	// errors.Join; the others must still be added.
	AddPartitions(ctx context.Context, t *Table, parts []Partition) error
	// ListPartitions returns the partitions that pass f (nil: all), in
	// any order, following the service's pagination to the end.
	ListPartitions(ctx context.Context, db, table string, f *Filter) ([]Partition, error)
	// DropPartitions deletes partitions of table t given by their values,
	// at most
	// Limits().DropPartitions of them (if positive). Partitions that do
	// not exist are not errors. Failures of single partitions are
	// *PartitionError values joined with errors.Join.
	DropPartitions(ctx context.Context, t *Table, values [][]string) error
	// Limits reports the driver's batch sizes.
	Limits() Limits
	// ErrorCode classifies an error returned by the driver.
	ErrorCode(error) ErrorCode
	// As converts i to the driver's client type; see Catalog.As.
	As(i any) bool
	// ErrorAs converts err to a service error type; see Catalog.ErrorAs.
	ErrorAs(err error, i any) bool
	// Close releases the driver's resources.
	Close() error
}

// Limits are a driver's batch sizes; zero means unlimited.
type Limits struct {
	// AddPartitions is the most partitions per AddPartitions call (Glue's
	// BatchCreatePartition takes 100).
	AddPartitions int
	// DropPartitions is the most partitions per DropPartitions call (Glue's
	// BatchDeletePartition takes 25).
	DropPartitions int
}
