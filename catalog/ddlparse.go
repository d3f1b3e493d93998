package catalog

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// ddlParser is ParseDDL's recursive-descent parser.
type ddlParser struct {
	s   string
	pos int
}

func (p *ddlParser) errorf(format string, args ...any) error {
	line := 1 + strings.Count(p.s[:p.pos], "\n")
	return fmt.Errorf("catalog: DDL line %d: %s (at %.30q)", line, fmt.Sprintf(format, args...), p.s[p.pos:])
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

func (p *ddlParser) columns() ([]Column, error) {
	if !p.punct('(') {
		return nil, p.errorf("want '('")
	}
	var cols []Column
	for {
		name, err := p.ident()
		if err != nil {
			return nil, err
		}
		typ, err := p.hiveType()
		if err != nil {
			return nil, err
		}
		c := Column{Name: name, Type: typ}
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

// ParseDDL parses the statements of an Athena DDL script, such as
// AthenaScript prints, and returns the databases it creates and its
// tables, each as a Table whose Description is the COMMENT and whose
// Parameters are the TBLPROPERTIES (projection properties included;
// Projection is nil). It is the checker of what "mda catalog ddl" prints,
// and it reads the subset of Hive DDL that AthenaDDL emits: CREATE
// DATABASE IF NOT EXISTS, CREATE EXTERNAL TABLE IF NOT EXISTS with column
// lists, COMMENT, PARTITIONED BY, ROW FORMAT SERDE, WITH SERDEPROPERTIES,
// STORED AS INPUTFORMAT/OUTPUTFORMAT, LOCATION and TBLPROPERTIES, and
// "--" comment lines. It is written from Hive's grammar, not from the
// generator, and fails on anything else.
func ParseDDL(script string) (databases []string, tables []*Table, err error) {
	p := &ddlParser{s: script}
	for !p.eof() {
		if err := p.expect("CREATE"); err != nil {
			return nil, nil, err
		}
		if p.keywords("DATABASE", "IF", "NOT", "EXISTS") {
			db, err := p.ident()
			if err != nil {
				return nil, nil, err
			}
			databases = append(databases, db)
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
	return databases, tables, nil
}

func (p *ddlParser) table() (*Table, error) {
	var t Table
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
		if t.Description, err = p.literal(); err != nil {
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
	if t.Format.SerDe, err = p.literal(); err != nil {
		return nil, err
	}
	if p.keywords("WITH", "SERDEPROPERTIES") {
		if t.Format.SerDeParameters, err = p.properties(); err != nil {
			return nil, err
		}
	}
	if err := p.expect("STORED", "AS", "INPUTFORMAT"); err != nil {
		return nil, err
	}
	if t.Format.InputFormat, err = p.literal(); err != nil {
		return nil, err
	}
	if err := p.expect("OUTPUTFORMAT"); err != nil {
		return nil, err
	}
	if t.Format.OutputFormat, err = p.literal(); err != nil {
		return nil, err
	}
	if err := p.expect("LOCATION"); err != nil {
		return nil, err
	}
	if t.Location, err = p.literal(); err != nil {
		return nil, err
	}
	if p.keywords("TBLPROPERTIES") {
		if t.Parameters, err = p.properties(); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// ParquetColumns returns the columns of a Parquet schema as Hive columns,
// with the types that Athena, Hive and Spark read them as: byte arrays
// annotated as strings are string (others binary), double, float, int
// (int32; date if so annotated), bigint (int64; timestamp when it is a
// UTC-adjusted timestamp, which is how the lake's writers store times),
// boolean. Nested and repeated columns are errors, since the lake's
// tables have none.
func ParquetColumns(schema *parquet.Schema) ([]Column, error) {
	var cols []Column
	for _, f := range schema.Fields() {
		if !f.Leaf() || f.Repeated() {
			return nil, fmt.Errorf("catalog: column %s: nested or repeated", f.Name())
		}
		typ, err := hiveTypeOf(f)
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		cols = append(cols, Column{Name: f.Name(), Type: typ})
	}
	return cols, nil
}

// CheckColumns reports, as an error, how the columns of t differ from
// those of a Parquet file's schema (ParquetColumns): names, order and
// types. Comments are ignored.
func CheckColumns(t *Table, schema *parquet.Schema) error {
	file, err := ParquetColumns(schema)
	if err != nil {
		return err
	}
	var diffs []string
	for i := range max(len(file), len(t.Columns)) {
		var f, c Column
		if i < len(file) {
			f = file[i]
		}
		if i < len(t.Columns) {
			c = t.Columns[i]
		}
		if f.Name != c.Name || f.Type != c.Type {
			diffs = append(diffs, fmt.Sprintf("column %d: table %s %s, file %s %s", i+1, orNone(c.Name), c.Type, orNone(f.Name), f.Type))
		}
	}
	if len(diffs) > 0 {
		return fmt.Errorf("catalog: %s differs from the Parquet schema: %s", t.QualifiedName(), strings.Join(diffs, "; "))
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
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
