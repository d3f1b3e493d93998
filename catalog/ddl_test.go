package catalog_test

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
)

// ddl is a parsed CREATE EXTERNAL TABLE statement.
type ddl struct {
	Database, Name, Comment   string
	Columns, PartitionKeys    []catalog.Column
	SerDe                     string
	SerDeProperties           map[string]string
	InputFormat, OutputFormat string
	Location                  string
	Properties                map[string]string
}

// ddlParser parses the subset of Hive DDL that AthenaDDL and AthenaScript
// emit: CREATE DATABASE IF NOT EXISTS, CREATE EXTERNAL TABLE IF NOT EXISTS
// with column lists, COMMENT, PARTITIONED BY, ROW FORMAT SERDE, WITH
// SERDEPROPERTIES, STORED AS INPUTFORMAT/OUTPUTFORMAT, LOCATION and
// TBLPROPERTIES, and "--" comment lines. It is written from Hive's grammar,
// not from the generator, and fails on anything else.
type ddlParser struct {
	s   string
	pos int
}

func (p *ddlParser) errorf(format string, args ...any) error {
	line := 1 + strings.Count(p.s[:p.pos], "\n")
	return fmt.Errorf("line %d: %s (at %.30q)", line, fmt.Sprintf(format, args...), p.s[p.pos:])
}

func (p *ddlParser) skipSpace() {
	for p.pos < len(p.s) {
		switch {
		case strings.HasPrefix(p.s[p.pos:], "--"):
			if i := strings.IndexByte(p.s[p.pos:], '\n'); i >= 0 {
				p.pos += i + 1
			} else {
				p.pos = len(p.s)
			}
		case strings.ContainsRune(" \t\r\n", rune(p.s[p.pos])):
			p.pos++
		default:
			return
		}
	}
}

func (p *ddlParser) eof() bool { p.skipSpace(); return p.pos >= len(p.s) }

// keywords consumes the given keywords, case-insensitively.
func (p *ddlParser) keywords(kws ...string) bool {
	save := p.pos
	for _, kw := range kws {
		p.skipSpace()
		end := p.pos + len(kw)
		if end > len(p.s) || !strings.EqualFold(p.s[p.pos:end], kw) ||
			end < len(p.s) && (isWordByte(p.s[end])) {
			p.pos = save
			return false
		}
		p.pos = end
	}
	return true
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *ddlParser) expect(kws ...string) error {
	if !p.keywords(kws...) {
		return p.errorf("want %s", strings.Join(kws, " "))
	}
	return nil
}

func (p *ddlParser) punct(c byte) bool {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// ident parses a back-quoted or plain identifier.
func (p *ddlParser) ident() (string, error) {
	p.skipSpace()
	if p.punct('`') {
		end := strings.IndexByte(p.s[p.pos:], '`')
		if end < 0 {
			return "", p.errorf("unterminated identifier")
		}
		id := p.s[p.pos : p.pos+end]
		p.pos += end + 1
		return id, nil
	}
	start := p.pos
	for p.pos < len(p.s) && isWordByte(p.s[p.pos]) {
		p.pos++
	}
	if start == p.pos {
		return "", p.errorf("want an identifier")
	}
	return p.s[start:p.pos], nil
}

// literal parses a single-quoted string with backslash escapes.
func (p *ddlParser) literal() (string, error) {
	if !p.punct('\'') {
		return "", p.errorf("want a string literal")
	}
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		switch c {
		case '\\':
			if p.pos >= len(p.s) {
				return "", p.errorf("dangling escape")
			}
			b.WriteByte(p.s[p.pos])
			p.pos++
		case '\'':
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", p.errorf("unterminated string")
}

// hiveType parses a type: a name with optional <...> arguments, returned
// as written.
func (p *ddlParser) hiveType() (string, error) {
	p.skipSpace()
	start, depth := p.pos, 0
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '<':
			depth++
		case c == '>':
			depth--
			if depth < 0 {
				return "", p.errorf("unbalanced '>'")
			}
		case c == '`' && depth > 0:
			end := strings.IndexByte(p.s[p.pos+1:], '`')
			if end < 0 {
				return "", p.errorf("unterminated identifier in type")
			}
			p.pos += end + 1
		case depth == 0 && !isWordByte(c):
			goto done
		case depth > 0 && !(isWordByte(c) || c == ',' || c == ':' || c == '.'):
			return "", p.errorf("unexpected %q in type", c)
		}
		p.pos++
	}
done:
	if depth != 0 || start == p.pos {
		return "", p.errorf("bad type")
	}
	typ := p.s[start:p.pos]
	base, _, _ := strings.Cut(typ, "<")
	switch base {
	case "string", "double", "float", "int", "bigint", "smallint", "tinyint", "boolean", "date", "timestamp", "array", "struct", "map", "binary":
	default:
		return "", p.errorf("unknown type %q", typ)
	}
	return typ, nil
}

func (p *ddlParser) columns() ([]catalog.Column, error) {
	if !p.punct('(') {
		return nil, p.errorf("want '('")
	}
	var cols []catalog.Column
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		typ, err := p.hiveType()
		if err != nil {
			return nil, err
		}
		c := catalog.Column{Name: name, Type: typ}
		if p.keywords("COMMENT") {
			if c.Comment, err = p.literal(); err != nil {
				return nil, err
			}
		}
		cols = append(cols, c)
		if p.punct(')') {
			return cols, nil
		}
		if !p.punct(',') {
			return nil, p.errorf("want ',' or ')'")
		}
	}
}

func (p *ddlParser) properties() (map[string]string, error) {
	if !p.punct('(') {
		return nil, p.errorf("want '('")
	}
	m := make(map[string]string)
	for {
		k, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !p.punct('=') {
			return nil, p.errorf("want '='")
		}
		v, err := p.literal()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, p.errorf("duplicate property %q", k)
		}
		m[k] = v
		if p.punct(')') {
			return m, nil
		}
		if !p.punct(',') {
			return nil, p.errorf("want ',' or ')'")
		}
	}
}

func (p *ddlParser) qualifiedName() (string, string, error) {
	db, err := p.ident()
	if err != nil {
		return "", "", err
	}
	if !p.punct('.') {
		return "", db, nil
	}
	name, err := p.ident()
	return db, name, err
}

// parseScript parses statements; it returns the databases created and the
// tables.
func parseScript(s string) (dbs []string, tables []*ddl, err error) {
	p := &ddlParser{s: s}
	for !p.eof() {
		if err := p.expect("CREATE"); err != nil {
			return nil, nil, err
		}
		if p.keywords("DATABASE", "IF", "NOT", "EXISTS") {
			db, err := p.ident()
			if err != nil {
				return nil, nil, err
			}
			dbs = append(dbs, db)
		} else {
			t, err := p.table()
			if err != nil {
				return nil, nil, err
			}
			tables = append(tables, t)
		}
		if !p.punct(';') {
			return nil, nil, p.errorf("want ';'")
		}
	}
	return dbs, tables, nil
}

func (p *ddlParser) table() (*ddl, error) {
	var t ddl
	var err error
	if err := p.expect("EXTERNAL", "TABLE", "IF", "NOT", "EXISTS"); err != nil {
		return nil, err
	}
	if t.Database, t.Name, err = p.qualifiedName(); err != nil {
		return nil, err
	}
	if t.Columns, err = p.columns(); err != nil {
		return nil, err
	}
	if p.keywords("COMMENT") {
		if t.Comment, err = p.literal(); err != nil {
			return nil, err
		}
	}
	if p.keywords("PARTITIONED", "BY") {
		if t.PartitionKeys, err = p.columns(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("ROW", "FORMAT", "SERDE"); err != nil {
		return nil, err
	}
	if t.SerDe, err = p.literal(); err != nil {
		return nil, err
	}
	if p.keywords("WITH", "SERDEPROPERTIES") {
		if t.SerDeProperties, err = p.properties(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("STORED", "AS", "INPUTFORMAT"); err != nil {
		return nil, err
	}
	if t.InputFormat, err = p.literal(); err != nil {
		return nil, err
	}
	if err := p.expect("OUTPUTFORMAT"); err != nil {
		return nil, err
	}
	if t.OutputFormat, err = p.literal(); err != nil {
		return nil, err
	}
	if err := p.expect("LOCATION"); err != nil {
		return nil, err
	}
	if t.Location, err = p.literal(); err != nil {
		return nil, err
	}
	if p.keywords("TBLPROPERTIES") {
		if t.Properties, err = p.properties(); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// writeLake writes one file of kw reads and one of kwh reads and returns
// the bucket.
func writeLake(t *testing.T) *blob.Bucket {
	t.Helper()
	b := memblob.OpenBucket(nil)
	t.Cleanup(func() { b.Close() })
	start := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, typ := range []meter.Type{meter.TypeKW, meter.TypeKWh} {
		var reads []meter.Reading
		for i := range 4 {
			at := start.Add(time.Duration(i) * 15 * time.Minute)
			reads = append(reads, meter.Reading{MeterID: "m1", Type: typ, Value: float64(i), Time: at,
				Source: "B", Arrival: at.Add(time.Minute), Quality: meter.QualityActual})
		}
		if _, err := partition.WriteFile(t.Context(), b, partition.KeyOf(reads[0]), "part-0", reads, nil); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// hiveTypeOf maps a Parquet leaf column to the Hive type engines read it
// as.
func hiveTypeOf(f parquet.Field) (string, error) {
	typ := f.Type()
	var lt format.LogicalTypeValue
	if l := typ.LogicalType(); l != nil {
		lt = l.Value
	}
	switch typ.Kind() {
	case parquet.ByteArray:
		if _, ok := lt.(*format.StringType); ok {
			return "string", nil
		}
		return "binary", nil
	case parquet.Double:
		return "double", nil
	case parquet.Float:
		return "float", nil
	case parquet.Int32:
		if _, ok := lt.(*format.DateType); ok {
			return "date", nil
		}
		return "int", nil
	case parquet.Int64:
		if ts, ok := lt.(*format.TimestampType); ok {
			if !ts.IsAdjustedToUTC {
				return "", fmt.Errorf("column %s: timestamp not adjusted to UTC", f.Name())
			}
			return "timestamp", nil
		}
		return "bigint", nil
	case parquet.Boolean:
		return "boolean", nil
	}
	return "", fmt.Errorf("column %s: unmapped type %v", f.Name(), typ)
}

// TestDDLMatchesLake parses the script that "mda catalog ddl" prints
// (AthenaScript of Tables), with and without projection, and checks the
// readings table against real files of the lake: the columns and types of
// their Parquet schema, the partition keys of their paths, and, with
// projection, that the storage location template and the projected value
// formats give the files' directories.
func TestDDLMatchesLake(t *testing.T) {
	ctx := t.Context()
	lake := writeLake(t)
	keys, err := partition.Partitions(ctx, lake, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 {
		t.Fatalf("lake has %d partitions, want 2", len(keys))
	}
	// The files' schema, as Hive columns.
	var fileCols []catalog.Column
	var filePath string
	objs, listErr := lake.List(&blob.ListOptions{Prefix: keys[0].Path()}).All(ctx)
	for obj := range objs {
		filePath = obj.Key
	}
	if err := listErr(); err != nil {
		t.Fatal(err)
	}
	data, err := lake.ReadAll(ctx, filePath)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range pf.Schema().Fields() {
		typ, err := hiveTypeOf(f)
		if err != nil {
			t.Fatal(err)
		}
		fileCols = append(fileCols, catalog.Column{Name: f.Name(), Type: typ})
	}

	const root = "s3://my-lake/"
	tables := catalog.Tables(root, "s3://my-ml/")
	for _, projection := range []bool{false, true} {
		t.Run(fmt.Sprintf("projection=%v", projection), func(t *testing.T) {
			script, err := catalog.AthenaScript(tables, &catalog.DDLOptions{Projection: projection})
			if err != nil {
				t.Fatal(err)
			}
			dbs, parsed, err := parseScript(script)
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, script)
			}
			if diff := cmp.Diff([]string{catalog.DatabaseIntegrated, catalog.DatabaseFeatureML}, dbs); diff != "" {
				t.Errorf("databases (-want +got):\n%s", diff)
			}
			if len(parsed) != len(tables) {
				t.Fatalf("%d tables parsed, want %d", len(parsed), len(tables))
			}
			// Every statement round-trips to its table.
			for i, want := range tables {
				if projection {
					want = want.WithProjection()
				}
				got := parsed[i]
				back := &catalog.Table{
					Database: got.Database, Name: got.Name, Description: got.Comment,
					Columns: got.Columns, PartitionKeys: got.PartitionKeys, Location: got.Location,
					Format: catalog.Format{InputFormat: got.InputFormat, OutputFormat: got.OutputFormat,
						SerDe: got.SerDe, SerDeParameters: got.SerDeProperties},
					Parameters: got.Properties, Projection: want.Projection,
				}
				if diff := cmp.Diff(want, back); diff != "" {
					t.Errorf("%s (-want +parsed):\n%s", want.QualifiedName(), diff)
				}
			}

			r := parsed[0]
			if r.Database+"."+r.Name != "mda_database_integrated.meter_readings_integrated_parquet" {
				t.Fatalf("first table is %s.%s", r.Database, r.Name)
			}
			// Columns and types match the Parquet files, in order (names
			// only matter to Athena's Parquet reader, but order is what
			// Hive's default positional mapping would use).
			var cols []catalog.Column
			for _, c := range r.Columns {
				cols = append(cols, catalog.Column{Name: c.Name, Type: c.Type})
			}
			if diff := cmp.Diff(fileCols, cols); diff != "" {
				t.Errorf("readings columns vs Parquet schema (-file +ddl):\n%s", diff)
			}
			// Partition keys are the path's key=value levels, all strings.
			var pkeys []string
			for _, k := range r.PartitionKeys {
				if k.Type != "string" {
					t.Errorf("partition key %s has type %s, want string", k.Name, k.Type)
				}
				pkeys = append(pkeys, k.Name)
			}
			var pathKeys []string
			for _, seg := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(keys[0].Path(), partition.Prefix), "/"), "/") {
				k, _, _ := strings.Cut(seg, "=")
				pathKeys = append(pathKeys, k)
			}
			if diff := cmp.Diff(pathKeys, pkeys); diff != "" {
				t.Errorf("partition keys vs lake path (-path +ddl):\n%s", diff)
			}
			if r.Location != root+partition.Prefix || r.SerDe != catalog.ParquetSerDe {
				t.Errorf("location %q, serde %q", r.Location, r.SerDe)
			}
			if !projection {
				if _, ok := r.Properties["projection.enabled"]; ok {
					t.Error("projection properties without DDLOptions.Projection")
				}
				return
			}
			checkProjection(t, r, keys, root)
		})
	}
}

// checkProjection checks the readings table's projection properties
// against the lake: the template, filled in as Athena would from the
// projected values, gives each partition's directory.
func checkProjection(t *testing.T, r *ddl, keys []partition.Key, root string) {
	p := r.Properties
	if p["projection.enabled"] != "true" {
		t.Fatalf("projection.enabled = %q", p["projection.enabled"])
	}
	var types []string
	for _, info := range meter.Types() {
		types = append(types, string(info.Type))
	}
	if p["projection.reading_type.type"] != "enum" || p["projection.reading_type.values"] != strings.Join(types, ",") {
		t.Errorf("reading_type projection %q %q, want enum of %v", p["projection.reading_type.type"], p["projection.reading_type.values"], types)
	}
	ranges := map[string][2]int{"year": {2000, 2099}, "month": {1, 12}, "day": {1, 31}, "hour": {0, 23}}
	digits := map[string]int{"year": 4, "month": 2, "day": 2, "hour": 2}
	for _, k := range r.PartitionKeys {
		if k.Name == "reading_type" {
			continue
		}
		if got := p["projection."+k.Name+".type"]; got != "integer" {
			t.Errorf("%s projection type %q, want integer", k.Name, got)
		}
		var lo, hi int
		if _, err := fmt.Sscanf(p["projection."+k.Name+".range"], "%d,%d", &lo, &hi); err != nil || [2]int{lo, hi} != ranges[k.Name] {
			t.Errorf("%s range %q", k.Name, p["projection."+k.Name+".range"])
		}
		if got := p["projection."+k.Name+".digits"]; got != fmt.Sprint(digits[k.Name]) {
			t.Errorf("%s digits %q, want %d", k.Name, got, digits[k.Name])
		}
	}
	tmpl := p["storage.location.template"]
	for _, key := range keys {
		h := key.Hour
		vals := map[string]int{"year": h.Year(), "month": int(h.Month()), "day": h.Day(), "hour": h.Hour()}
		dir := strings.ReplaceAll(tmpl, "${reading_type}", string(key.Type))
		for _, name := range slices.Sorted(maps.Keys(vals)) {
			// Athena pads an integer projection to its digits.
			dir = strings.ReplaceAll(dir, "${"+name+"}", fmt.Sprintf("%0*d", digits[name], vals[name]))
		}
		if want := root + key.Path(); dir != want {
			t.Errorf("template gives %q, want %q", dir, want)
		}
	}
}

func TestAthenaDDLInvalid(t *testing.T) {
	tbl := catalog.ReadingsTable("s3://lake/")
	tbl.Columns = append(tbl.Columns, catalog.Column{Name: "x", Type: "string'; DROP TABLE y; --"})
	if _, err := catalog.AthenaDDL(tbl, nil); err == nil {
		t.Error("AthenaDDL accepted a type with a quote")
	}
}

func TestDDLOverrides(t *testing.T) {
	s, err := catalog.AthenaDDL(catalog.ReadingsTable("s3://lake/"), &catalog.DDLOptions{
		Projection: true, ProjectionProperties: map[string]string{"projection.year.range": "2020,2030"}})
	if err != nil {
		t.Fatal(err)
	}
	_, ts, err := parseScript(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := ts[0].Properties["projection.year.range"]; got != "2020,2030" {
		t.Errorf("projection.year.range = %q", got)
	}
	// The weather table has no year key: the override does not apply.
	s, err = catalog.AthenaDDL(catalog.WeatherTable("s3://lake/"), &catalog.DDLOptions{
		Projection: true, ProjectionProperties: map[string]string{"projection.year.range": "2020,2030"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "projection.year") {
		t.Errorf("year projection in the weather table:\n%s", s)
	}
	// Tables without projection ignore the overrides.
	s, err = catalog.AthenaDDL(catalog.AnomalyResultsTable("s3://ml/"), &catalog.DDLOptions{
		Projection: true, ProjectionProperties: map[string]string{"projection.year.range": "2020,2030"}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s, "projection") {
		t.Errorf("projection in an unprojected table:\n%s", s)
	}
}
