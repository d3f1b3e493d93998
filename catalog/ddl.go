package catalog

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// DDLOptions configures AthenaDDL and AthenaScript. Nil means the defaults.
type DDLOptions struct {
	// Projection adds each table's Projection properties (Athena partition
	// projection), so that Athena needs no registered partitions. Tables
	// without a Projection are emitted as they are.
	Projection bool
	// ProjectionProperties override or add projection properties of every
	// table that has a Projection, e.g. "projection.year.range":
	// "2020,2030" to narrow the years that unfiltered queries enumerate.
	// Properties of a column ("projection.<column>.<name>") apply only to
	// tables with that partition key.
	ProjectionProperties map[string]string
}

// AthenaDDL returns the Athena (Hive DDL) statement that creates t:
//
//	CREATE EXTERNAL TABLE IF NOT EXISTS `db`.`name` (...)
//	PARTITIONED BY (...) ROW FORMAT SERDE ... STORED AS INPUTFORMAT ...
//	OUTPUTFORMAT ... LOCATION '...' TBLPROPERTIES (...);
//
// Identifiers are back-quoted, string literals single-quoted with quotes and
// backslashes escaped, and properties sorted, so the output is stable. The same
// statement works in Spark SQL and, for the Hive connector, Trino's
// Hive-compatible DDL tooling.
func AthenaDDL(t *Table, opts *DDLOptions) (string, error) {
	if opts == nil {
		opts = new(DDLOptions)
	}
	if err := t.Validate(); err != nil {
		return "", fmt.Errorf("catalog: AthenaDDL: %w", err)
	}
	if opts.Projection && len(t.Projection) > 0 {
		t = t.WithProjection()
		keys := t.PartitionKeyNames()
		for k, v := range opts.ProjectionProperties {
			// Skip column properties of columns t does not have.
			if rest, ok := strings.CutPrefix(k, "projection."); ok {
				if col, _, ok := strings.Cut(rest, "."); ok && !slices.Contains(keys, col) {
					continue
				}
			}
			t.Parameters[k] = v
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE IF NOT EXISTS %s.%s (\n", ident(t.Database), ident(t.Name))
	writeColumns(&b, t.Columns)
	b.WriteString(")\n")
	if t.Description != "" {
		fmt.Fprintf(&b, "COMMENT %s\n", literal(t.Description))
	}
	if len(t.PartitionKeys) > 0 {
		b.WriteString("PARTITIONED BY (\n")
		writeColumns(&b, t.PartitionKeys)
		b.WriteString(")\n")
	}
	fmt.Fprintf(&b, "ROW FORMAT SERDE %s\n", literal(t.Format.SerDe))
	if len(t.Format.SerDeParameters) > 0 {
		b.WriteString("WITH SERDEPROPERTIES (\n")
		writeProperties(&b, t.Format.SerDeParameters)
		b.WriteString(")\n")
	}
	fmt.Fprintf(&b, "STORED AS INPUTFORMAT %s\nOUTPUTFORMAT %s\n", literal(t.Format.InputFormat), literal(t.Format.OutputFormat))
	fmt.Fprintf(&b, "LOCATION %s\n", literal(t.Location))
	if len(t.Parameters) > 0 {
		b.WriteString("TBLPROPERTIES (\n")
		writeProperties(&b, t.Parameters)
		b.WriteString(")\n")
	}
	s := b.String()
	return s[:len(s)-1] + ";\n", nil
}

// AthenaScript returns the statements that create tables and their
// databases: a CREATE DATABASE IF NOT EXISTS for each database (in order
// of first use), then AthenaDDL of each table, separated by blank lines.
// For partitioned tables without projection it adds a comment with the
// MSCK REPAIR TABLE statement that registers their partitions.
func AthenaScript(tables []*Table, opts *DDLOptions) (string, error) {
	var b strings.Builder
	seen := make(map[string]bool)
	for _, t := range tables {
		if !seen[t.Database] {
			if err := ValidateName(t.Database); err != nil {
				return "", fmt.Errorf("catalog: AthenaScript: %w", err)
			}
			seen[t.Database] = true
			fmt.Fprintf(&b, "CREATE DATABASE IF NOT EXISTS %s;\n\n", ident(t.Database))
		}
	}
	for i, t := range tables {
		s, err := AthenaDDL(t, opts)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(s)
		projected := opts != nil && opts.Projection && len(t.Projection) > 0
		if len(t.PartitionKeys) > 0 && !projected {
			fmt.Fprintf(&b, "-- Register partitions: MSCK REPAIR TABLE %s.%s;\n", ident(t.Database), ident(t.Name))
		}
	}
	return b.String(), nil
}

func writeColumns(b *strings.Builder, cols []Column) {
	for i, c := range cols {
		fmt.Fprintf(b, "  %s %s", ident(c.Name), c.Type)
		if c.Comment != "" {
			fmt.Fprintf(b, " COMMENT %s", literal(c.Comment))
		}
		if i < len(cols)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
}

func writeProperties(b *strings.Builder, m map[string]string) {
	keys := slices.Sorted(maps.Keys(m))
	for i, k := range keys {
		fmt.Fprintf(b, "  %s=%s", literal(k), literal(m[k]))
		if i < len(keys)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
}

// ident back-quotes a name (names are [a-z0-9_], so nothing to escape).
func ident(s string) string { return "`" + s + "`" }

// literal single-quotes s, escaping backslashes and quotes.
func literal(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return "'" + strings.ReplaceAll(s, `'`, `\'`) + "'"
}
