package gluecat

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/smithy-go"
	"github.com/openmda/mda/catalog"
)

// Scheme is the URL scheme gluecat registers with catalog.DefaultURLMux.
const Scheme = "glue"

// Glue API limits.
const (
	// MaxBatchCreatePartition is the most partitions BatchCreatePartition
	// takes.
	MaxBatchCreatePartition = 100
	// MaxBatchDeletePartition is the most partitions BatchDeletePartition
	// takes.
	MaxBatchDeletePartition = 25
)

// TableType is the Glue table type of every table gluecat creates.
const TableType = "EXTERNAL_TABLE"

// Options configures a Glue catalog. Nil means the defaults.
type Options struct {
	// CatalogID is the AWS account ID of the Data Catalog; "" is the
	// caller's account.
	CatalogID string
	// DefaultDatabase is passed to catalog.Options.
	DefaultDatabase string
}

// OpenCatalog returns a Catalog on the Glue Data Catalog through client.
// Close does not close anything of the client's.
func OpenCatalog(client *glue.Client, opts *Options) (*catalog.Catalog, error) {
	if client == nil {
		return nil, errors.New("gluecat: nil client")
	}
	d := &driver{c: client}
	var copts catalog.Options
	if opts != nil {
		d.catalogID = opts.CatalogID
		copts.DefaultDatabase = opts.DefaultDatabase
	}
	return catalog.NewCatalog(d, &copts), nil
}

func init() {
	catalog.DefaultURLMux().RegisterCatalog(Scheme, new(URLOpener))
}

// URLOpener opens Glue catalogs by URL:
//
//	glue://[DATABASE]?region=REGION&endpoint=URL&profile=NAME&catalog_id=ID
//
// DATABASE (optional) becomes the Catalog's DefaultDatabase. Credentials
// and the rest of the configuration come from the environment, the shared
// config files and the instance role (config.LoadDefaultConfig); region
// and profile override them, and endpoint sets the client's BaseEndpoint
// (for a VPC endpoint or a local fake). Other parameters are errors.
type URLOpener struct {
	// ConfigOptions are passed to config.LoadDefaultConfig before the
	// URL's.
	ConfigOptions []func(*config.LoadOptions) error
	// ClientOptions are passed to glue.NewFromConfig before the URL's.
	ClientOptions []func(*glue.Options)
}

// OpenCatalogURL implements catalog.CatalogURLOpener.
func (o *URLOpener) OpenCatalogURL(ctx context.Context, u *url.URL) (*catalog.Catalog, error) {
	opts := Options{DefaultDatabase: u.Host}
	if u.Host != "" {
		if err := catalog.ValidateName(u.Host); err != nil {
			return nil, fmt.Errorf("gluecat: database in URL: %w", err)
		}
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("gluecat: URL %q has a path (want glue://DATABASE?region=...)", u.Redacted())
	}
	cfgOpts := slices.Clone(o.ConfigOptions)
	clientOpts := slices.Clone(o.ClientOptions)
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "region":
			cfgOpts = append(cfgOpts, config.WithRegion(v))
		case "profile":
			cfgOpts = append(cfgOpts, config.WithSharedConfigProfile(v))
		case "endpoint":
			clientOpts = append(clientOpts, func(o *glue.Options) { o.BaseEndpoint = aws.String(v) })
		case "catalog_id":
			opts.CatalogID = v
		default:
			return nil, fmt.Errorf("gluecat: invalid query parameter %q", k)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, cfgOpts...)
	if err != nil {
		return nil, fmt.Errorf("gluecat: loading AWS config: %w", err)
	}
	return OpenCatalog(glue.NewFromConfig(cfg, clientOpts...), &opts)
}

// driver implements catalog.Driver on the Glue API.
type driver struct {
	c         *glue.Client
	catalogID string
}

func (d *driver) id() *string {
	if d.catalogID == "" {
		return nil
	}
	return aws.String(d.catalogID)
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}

func columns(cs []catalog.Column) []types.Column {
	out := make([]types.Column, len(cs))
	for i, c := range cs {
		out[i] = types.Column{Name: aws.String(c.Name), Type: aws.String(c.Type), Comment: str(c.Comment)}
	}
	return out
}

func fromColumns(cs []types.Column) []catalog.Column {
	if len(cs) == 0 {
		return nil
	}
	out := make([]catalog.Column, len(cs))
	for i, c := range cs {
		out[i] = catalog.Column{Name: aws.ToString(c.Name), Type: aws.ToString(c.Type), Comment: aws.ToString(c.Comment)}
	}
	return out
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// storage returns the storage descriptor of t's files, or of a partition
// of t at location.
func storage(t *catalog.Table, location string) *types.StorageDescriptor {
	return &types.StorageDescriptor{
		Columns:      columns(t.Columns),
		Location:     aws.String(location),
		InputFormat:  str(t.Format.InputFormat),
		OutputFormat: str(t.Format.OutputFormat),
		SerdeInfo: &types.SerDeInfo{
			SerializationLibrary: str(t.Format.SerDe),
			Parameters:           nilIfEmpty(t.Format.SerDeParameters),
		},
	}
}

func tableInput(t *catalog.Table) *types.TableInput {
	return &types.TableInput{
		Name:              aws.String(t.Name),
		Description:       str(t.Description),
		TableType:         aws.String(TableType),
		Parameters:        nilIfEmpty(t.Parameters),
		StorageDescriptor: storage(t, t.Location),
		PartitionKeys:     columns(t.PartitionKeys),
	}
}

func (d *driver) CreateDatabase(ctx context.Context, db *catalog.Database) error {
	_, err := d.c.CreateDatabase(ctx, &glue.CreateDatabaseInput{
		CatalogId:     d.id(),
		DatabaseInput: &types.DatabaseInput{Name: aws.String(db.Name), Description: str(db.Description)},
	})
	return err
}

func (d *driver) GetTable(ctx context.Context, db, name string) (*catalog.Table, error) {
	out, err := d.c.GetTable(ctx, &glue.GetTableInput{CatalogId: d.id(), DatabaseName: aws.String(db), Name: aws.String(name)})
	if err != nil {
		return nil, err
	}
	gt := out.Table
	if gt == nil {
		return nil, catalog.Errorf(catalog.Unknown, "GetTable returned no table")
	}
	t := &catalog.Table{
		Database:      db,
		Name:          aws.ToString(gt.Name),
		Description:   aws.ToString(gt.Description),
		PartitionKeys: fromColumns(gt.PartitionKeys),
		Parameters:    nilIfEmpty(gt.Parameters),
	}
	if sd := gt.StorageDescriptor; sd != nil {
		t.Columns = fromColumns(sd.Columns)
		t.Location = aws.ToString(sd.Location)
		t.Format.InputFormat = aws.ToString(sd.InputFormat)
		t.Format.OutputFormat = aws.ToString(sd.OutputFormat)
		if si := sd.SerdeInfo; si != nil {
			t.Format.SerDe = aws.ToString(si.SerializationLibrary)
			t.Format.SerDeParameters = nilIfEmpty(si.Parameters)
		}
	}
	return t, nil
}

func (d *driver) CreateTable(ctx context.Context, t *catalog.Table) error {
	_, err := d.c.CreateTable(ctx, &glue.CreateTableInput{CatalogId: d.id(), DatabaseName: aws.String(t.Database), TableInput: tableInput(t)})
	return err
}

func (d *driver) UpdateTable(ctx context.Context, t *catalog.Table) error {
	_, err := d.c.UpdateTable(ctx, &glue.UpdateTableInput{CatalogId: d.id(), DatabaseName: aws.String(t.Database), TableInput: tableInput(t)})
	return err
}

// itemError turns a per-item ErrorDetail into an error that is a
// smithy.APIError, so that Catalog.ErrorAs and ErrorCode treat it like a
// whole-call error of the same code.
func itemError(e types.PartitionError) *catalog.PartitionError {
	code, msg := "UnknownError", ""
	if e.ErrorDetail != nil {
		code, msg = aws.ToString(e.ErrorDetail.ErrorCode), aws.ToString(e.ErrorDetail.ErrorMessage)
	}
	return &catalog.PartitionError{Values: e.PartitionValues, Err: &smithy.GenericAPIError{Code: code, Message: msg}}
}

// AddPartitions makes one BatchCreatePartition call (Catalog chunks to
// 100). Glue reports per-partition failures in a successful response's
// Errors; AlreadyExistsException there means the partition is registered,
// which is what we want.
func (d *driver) AddPartitions(ctx context.Context, t *catalog.Table, parts []catalog.Partition) error {
	in := &glue.BatchCreatePartitionInput{
		CatalogId:          d.id(),
		DatabaseName:       aws.String(t.Database),
		TableName:          aws.String(t.Name),
		PartitionInputList: make([]types.PartitionInput, len(parts)),
	}
	for i, p := range parts {
		in.PartitionInputList[i] = types.PartitionInput{Values: p.Values, StorageDescriptor: storage(t, p.Location)}
	}
	out, err := d.c.BatchCreatePartition(ctx, in)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range out.Errors {
		if e.ErrorDetail != nil && aws.ToString(e.ErrorDetail.ErrorCode) == "AlreadyExistsException" {
			continue
		}
		errs = append(errs, itemError(e))
	}
	return errors.Join(errs...)
}

// DropPartitions makes one BatchDeletePartition call (Catalog chunks to
// 25). EntityNotFoundException items are partitions already gone.
func (d *driver) DropPartitions(ctx context.Context, t *catalog.Table, values [][]string) error {
	in := &glue.BatchDeletePartitionInput{
		CatalogId:          d.id(),
		DatabaseName:       aws.String(t.Database),
		TableName:          aws.String(t.Name),
		PartitionsToDelete: make([]types.PartitionValueList, len(values)),
	}
	for i, v := range values {
		in.PartitionsToDelete[i] = types.PartitionValueList{Values: v}
	}
	out, err := d.c.BatchDeletePartition(ctx, in)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range out.Errors {
		if e.ErrorDetail != nil && aws.ToString(e.ErrorDetail.ErrorCode) == "EntityNotFoundException" {
			continue
		}
		errs = append(errs, itemError(e))
	}
	return errors.Join(errs...)
}

// ListPartitions calls GetPartitions with the filter as an Expression,
// page by page.
func (d *driver) ListPartitions(ctx context.Context, db, table string, f *catalog.Filter) ([]catalog.Partition, error) {
	expr, none := Expression(f)
	if none {
		// An empty IN list selects nothing, and Glue has no syntax for it,
		// but the table must still exist.
		if _, err := d.GetTable(ctx, db, table); err != nil {
			return nil, err
		}
		return nil, nil
	}
	in := &glue.GetPartitionsInput{CatalogId: d.id(), DatabaseName: aws.String(db), TableName: aws.String(table), Expression: str(expr)}
	var out []catalog.Partition
	for p := glue.NewGetPartitionsPaginator(d.c, in); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, gp := range page.Partitions {
			part := catalog.Partition{Values: gp.Values}
			if gp.StorageDescriptor != nil {
				part.Location = aws.ToString(gp.StorageDescriptor.Location)
			}
			out = append(out, part)
		}
	}
	return out, nil
}

// Expression translates f into a Glue GetPartitions expression ("" for
// all partitions). none reports a filter that selects nothing (a key with
// an empty value list), which Glue cannot express. Values are quoted as
// strings; partition values containing quotes are refused by package
// catalog, so no escaping is needed.
//
// A Range becomes a lexicographic tuple comparison, e.g. From (2024, 03)
// on (year, month):
//
//	(year > '2024' OR (year = '2024' AND month >= '03'))
func Expression(f *catalog.Filter) (expr string, none bool) {
	if f == nil {
		return "", false
	}
	var terms []string
	for _, k := range slices.Sorted(maps.Keys(f.Values)) {
		vs := f.Values[k]
		switch len(vs) {
		case 0:
			return "", true
		case 1:
			terms = append(terms, fmt.Sprintf("%s = %s", k, quote(vs[0])))
		default:
			q := make([]string, len(vs))
			for i, v := range vs {
				q[i] = quote(v)
			}
			terms = append(terms, fmt.Sprintf("%s IN (%s)", k, strings.Join(q, ", ")))
		}
	}
	if r := f.Range; r != nil {
		if r.From != nil {
			terms = append(terms, tuple(r.Keys, r.From, ">", ">="))
		}
		if r.To != nil {
			terms = append(terms, tuple(r.Keys, r.To, "<", "<"))
		}
	}
	return strings.Join(terms, " AND "), false
}

// tuple expresses (keys) OP (values) lexicographically: strict is the
// comparison on all but the last key, last the one on the last key.
func tuple(keys, values []string, strict, last string) string {
	n := len(keys) - 1
	s := fmt.Sprintf("%s %s %s", keys[n], last, quote(values[n]))
	for i := n - 1; i >= 0; i-- {
		s = fmt.Sprintf("(%s %s %s OR (%s = %s AND %s))", keys[i], strict, quote(values[i]), keys[i], quote(values[i]), s)
	}
	return s
}

func quote(s string) string { return "'" + s + "'" }

func (d *driver) Limits() catalog.Limits {
	return catalog.Limits{AddPartitions: MaxBatchCreatePartition, DropPartitions: MaxBatchDeletePartition}
}

// ErrorCode maps Glue's exception names to codes.
func (d *driver) ErrorCode(err error) catalog.ErrorCode {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return catalog.Unknown
	}
	switch ae.ErrorCode() {
	case "EntityNotFoundException":
		return catalog.NotFound
	case "AlreadyExistsException":
		return catalog.AlreadyExists
	case "InvalidInputException", "ValidationException":
		return catalog.InvalidArgument
	case "ConcurrentModificationException":
		return catalog.Aborted
	}
	return catalog.Unknown
}

// As supports **glue.Client.
func (d *driver) As(i any) bool {
	p, ok := i.(**glue.Client)
	if ok {
		*p = d.c
	}
	return ok
}

// ErrorAs supports smithy.APIError, *smithy.GenericAPIError and the
// service's exception types (*types.EntityNotFoundException, ...).
func (d *driver) ErrorAs(err error, i any) bool { return errors.As(err, i) }

func (d *driver) Close() error { return nil }
