package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Database describes a database (a schema, in Athena's and Trino's words).
type Database struct {
	// Name is a catalog name: 1 to 255 of [a-z0-9_].
	Name string
	// Description is free text.
	Description string
}

// Column is a column or a partition key.
type Column struct {
	// Name is the column's name, lower case as Glue and Hive store it.
	Name string
	// Type is a Hive type: string, double, float, int, bigint, boolean,
	// date, timestamp, array<T>, struct<name:T,...>, map<K,V>.
	Type string
	// Comment is free text.
	Comment string `json:",omitempty"`
}

// Format is a table's storage format: how engines read its files.
type Format struct {
	// InputFormat and OutputFormat are the Hadoop format classes.
	InputFormat  string
	OutputFormat string
	// SerDe is the serialization library class.
	SerDe string
	// SerDeParameters are the SerDe's properties.
	SerDeParameters map[string]string `json:",omitempty"`
}

// Hive classes of the Parquet format.
const (
	ParquetInputFormat  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
	ParquetOutputFormat = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
	ParquetSerDe        = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
)

// Parquet returns the format of Parquet tables, as Glue and Athena define
// it (ParquetHiveSerDe with serialization.format 1).
func Parquet() Format {
	return Format{
		InputFormat:     ParquetInputFormat,
		OutputFormat:    ParquetOutputFormat,
		SerDe:           ParquetSerDe,
		SerDeParameters: map[string]string{"serialization.format": "1"},
	}
}

// Table is an external table: files under Location in Format, Hive
// partitioned by PartitionKeys.
type Table struct {
	// Database and Name identify the table (1 to 255 of [a-z0-9_] each).
	Database, Name string
	// Description is free text.
	Description string `json:",omitempty"`
	// Columns are the columns stored in the files.
	Columns []Column
	// PartitionKeys are the columns taken from the directory names
	// (key=value/), in directory order. All are strings in this package's
	// tables.
	PartitionKeys []Column `json:",omitempty"`
	// Location is the table's directory, e.g. "s3://bucket/readings/",
	// with a trailing slash.
	Location string
	// Format is the storage format.
	Format Format
	// Parameters are the table properties (TBLPROPERTIES), e.g.
	// "classification": "parquet".
	Parameters map[string]string `json:",omitempty"`
	// Projection holds the table properties that enable Athena partition
	// projection, with which Athena computes partitions from the query's
	// predicates instead of reading them from the catalog. They are not
	// part of Parameters: use WithProjection to add them.
	Projection map[string]string `json:",omitempty"`
}

// QualifiedName returns "database.name".
func (t *Table) QualifiedName() string { return t.Database + "." + t.Name }

// Clone returns a deep copy of t.
func (t *Table) Clone() *Table {
	if t == nil {
		return nil
	}
	c := *t
	c.Columns = slices.Clone(t.Columns)
	c.PartitionKeys = slices.Clone(t.PartitionKeys)
	c.Format.SerDeParameters = maps.Clone(t.Format.SerDeParameters)
	c.Parameters = maps.Clone(t.Parameters)
	c.Projection = maps.Clone(t.Projection)
	return &c
}

// WithProjection returns a copy of t whose Parameters include its
// Projection properties (projection.enabled and the rest), so that Athena
// needs no registered partitions. Other engines (Spark, Trino's Hive
// connector) ignore these properties and still need the partitions.
func (t *Table) WithProjection() *Table {
	c := t.Clone()
	if len(c.Projection) == 0 {
		return c
	}
	if c.Parameters == nil {
		c.Parameters = make(map[string]string, len(c.Projection))
	}
	maps.Copy(c.Parameters, c.Projection)
	return c
}

// PartitionKeyNames returns the names of the partition keys, in order.
func (t *Table) PartitionKeyNames() []string {
	names := make([]string, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		names[i] = k.Name
	}
	return names
}

// PartitionLocation returns the default location of the partition with the
// given values: Location followed by key=value/ for each key.
func (t *Table) PartitionLocation(values []string) string {
	var b strings.Builder
	b.WriteString(t.Location)
	for i, k := range t.PartitionKeys {
		if i < len(values) {
			b.WriteString(k.Name)
			b.WriteByte('=')
			b.WriteString(values[i])
			b.WriteByte('/')
		}
	}
	return b.String()
}

// Validate checks the definition: names, at least one column, distinct
// column and key names, types, and a location.
func (t *Table) Validate() error {
	if err := ValidateName(t.Database); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if err := ValidateName(t.Name); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	if len(t.Columns) == 0 {
		return fmt.Errorf("table %s has no columns", t.QualifiedName())
	}
	seen := make(map[string]bool)
	for _, cols := range [][]Column{t.Columns, t.PartitionKeys} {
		for _, c := range cols {
			if err := validColumnName(c.Name); err != nil {
				return fmt.Errorf("table %s: %w", t.QualifiedName(), err)
			}
			if seen[c.Name] {
				return fmt.Errorf("table %s: duplicate column %q", t.QualifiedName(), c.Name)
			}
			seen[c.Name] = true
			if c.Type == "" || strings.ContainsAny(c.Type, "\n\r;'") {
				return fmt.Errorf("table %s: column %s: invalid type %q", t.QualifiedName(), c.Name, c.Type)
			}
		}
	}
	if t.Location == "" || !strings.HasSuffix(t.Location, "/") {
		return fmt.Errorf("table %s: location %q must be a directory ending in '/'", t.QualifiedName(), t.Location)
	}
	return nil
}

// ValidateName checks a database or table name: 1 to 255 bytes of
// [a-z0-9_], the names that Glue, Athena, Trino and Spark all accept
// without quoting.
func ValidateName(s string) error {
	if len(s) == 0 || len(s) > 255 {
		return fmt.Errorf("invalid name %q: want 1 to 255 bytes", s)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return fmt.Errorf("invalid name %q: want [a-z0-9_]", s)
		}
	}
	return nil
}

func validColumnName(s string) error {
	if err := ValidateName(s); err != nil {
		return fmt.Errorf("column: %w", err)
	}
	return nil
}

// Partition is one partition of a table.
type Partition struct {
	// Values are the partition's values, one per partition key, in order.
	Values []string
	// Location is the partition's directory. AddPartitions fills in the
	// table's default, Table.PartitionLocation(Values), if it is empty.
	Location string
}

// validateValues checks partition values for a table with n keys: one per
// key, non-empty, and free of characters that cannot appear in a
// key=value/ directory or in a Glue expression literal.
func validateValues(values []string, n int) error {
	if len(values) != n {
		return fmt.Errorf("partition %q: %d values for %d partition keys", values, len(values), n)
	}
	for _, v := range values {
		if v == "" || len(v) > 1024 || strings.ContainsAny(v, "/'=\\") {
			return fmt.Errorf("partition %q: invalid value %q (want 1 to 1024 bytes, no '/', '=', '\\'' or '\\\\')", values, v)
		}
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] == 0x7f {
				return fmt.Errorf("partition %q: control character in value %q", values, v)
			}
		}
	}
	return nil
}

// compareValues orders partitions by their values, lexicographically.
func compareValues(a, b []string) int { return slices.Compare(a, b) }

// valuesKey is a map key for partition values.
func valuesKey(values []string) string { return strings.Join(values, "\x00") }

// sameDefinition reports whether the catalog's table have matches want:
// everything equal, except that have may carry table parameters that want
// does not set (services add their own).
func sameDefinition(have, want *Table) bool {
	if have.Description != want.Description || have.Location != want.Location ||
		!slices.Equal(have.Columns, want.Columns) || !slices.Equal(have.PartitionKeys, want.PartitionKeys) ||
		have.Format.InputFormat != want.Format.InputFormat || have.Format.OutputFormat != want.Format.OutputFormat ||
		have.Format.SerDe != want.Format.SerDe || !equalMaps(have.Format.SerDeParameters, want.Format.SerDeParameters) {
		return false
	}
	for k, v := range want.Parameters {
		if hv, ok := have.Parameters[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

func equalMaps(a, b map[string]string) bool {
	return len(a) == len(b) && maps.Equal(a, b)
}
