package gluecat_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/aws/aws-sdk-go-v2/service/glue/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/catalog/catalogtest"
	"github.com/openmda/mda/catalog/gluecat"
	"github.com/openmda/mda/catalog/internal/gluefake"
)

// newClient returns a real Glue client pointed at the fake, with static
// credentials (the fake checks that requests are signed).
func newClient(srv *gluefake.Server) *glue.Client {
	return glue.New(glue.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

type harness struct{ srv *gluefake.Server }

func (h *harness) MakeCatalog(ctx context.Context) (*catalog.Catalog, error) {
	return gluecat.OpenCatalog(newClient(h.srv), nil)
}
func (h *harness) Close() { h.srv.Close() }

// urlHarness opens catalogs by URL, with credentials from the environment.
type urlHarness struct{ srv *gluefake.Server }

func (h *urlHarness) MakeCatalog(ctx context.Context) (*catalog.Catalog, error) {
	return catalog.OpenCatalog(ctx, "glue://mda_database_integrated?region=eu-west-1&endpoint="+h.srv.URL)
}
func (h *urlHarness) Close() { h.srv.Close() }

type asTest struct{}

func (asTest) Name() string { return "glue" }
func (asTest) CatalogCheck(c *catalog.Catalog) error {
	var gc *glue.Client
	if !c.As(&gc) || gc == nil {
		return errors.New("As(**glue.Client) failed")
	}
	return nil
}
func (asTest) ErrorCheck(c *catalog.Catalog, err error) error {
	var ae smithy.APIError
	if !c.ErrorAs(err, &ae) || ae.ErrorCode() != "EntityNotFoundException" {
		return fmt.Errorf("ErrorAs(smithy.APIError) on %v: got %v", err, ae)
	}
	var nf *types.EntityNotFoundException
	if !c.ErrorAs(err, &nf) {
		return fmt.Errorf("ErrorAs(*types.EntityNotFoundException) on %v failed", err)
	}
	return nil
}

func TestConformance(t *testing.T) {
	catalogtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (catalogtest.Harness, error) {
		return &harness{srv: gluefake.NewServer()}, nil
	}, &catalogtest.Options{AsTests: []catalogtest.AsTest{asTest{}}})
}

func TestConformanceURL(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	catalogtest.RunConformanceTests(t, func(ctx context.Context, t *testing.T) (catalogtest.Harness, error) {
		return &urlHarness{srv: gluefake.NewServer()}, nil
	}, nil)
}

func setup(t *testing.T) (*gluefake.Server, *catalog.Catalog, *catalog.Table) {
	t.Helper()
	srv := gluefake.NewServer()
	t.Cleanup(srv.Close)
	c, err := gluecat.OpenCatalog(newClient(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	tbl := catalog.ReadingsTable("s3://lake/")
	ctx := t.Context()
	if err := c.EnsureDatabase(ctx, &catalog.Database{Name: tbl.Database}); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureTable(ctx, tbl); err != nil {
		t.Fatal(err)
	}
	return srv, c, tbl
}

func partitions(n int) []catalog.Partition {
	ps := make([]catalog.Partition, n)
	for i := range ps {
		ps[i] = catalog.Partition{Values: []string{"kw", "2024", fmt.Sprintf("%02d", 1+i/(24*28)), fmt.Sprintf("%02d", 1+i/24%28), fmt.Sprintf("%02d", i%24)}}
	}
	return ps
}

// TestBatching checks the calls made: chunks of 100 and 25, and pages.
func TestBatching(t *testing.T) {
	srv, c, tbl := setup(t)
	ctx := t.Context()
	before := srv.Calls("BatchCreatePartition")
	if err := c.AddPartitions(ctx, tbl.Database, tbl.Name, partitions(250)); err != nil {
		t.Fatal(err)
	}
	if got := srv.Calls("BatchCreatePartition") - before; got != 3 {
		t.Errorf("BatchCreatePartition calls for 250 partitions: %d, want 3", got)
	}
	pages := srv.Calls("GetPartitions")
	ps, err := c.ListPartitions(ctx, tbl.Database, tbl.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 250 {
		t.Errorf("listed %d partitions, want 250", len(ps))
	}
	if got := srv.Calls("GetPartitions") - pages; got != 36 { // 250/7 rounded up
		t.Errorf("GetPartitions pages: %d, want 36", got)
	}
	var drop [][]string
	for _, p := range ps[:60] {
		drop = append(drop, p.Values)
	}
	if err := c.DropPartitions(ctx, tbl.Database, tbl.Name, drop); err != nil {
		t.Fatal(err)
	}
	if got := srv.Calls("BatchDeletePartition"); got != 3 {
		t.Errorf("BatchDeletePartition calls for 60 partitions: %d, want 3", got)
	}
}

// TestItemErrors checks that per-item failures other than
// AlreadyExistsException are reported, after the other batches went in.
func TestItemErrors(t *testing.T) {
	srv, c, tbl := setup(t)
	ctx := t.Context()
	srv.ItemFault = func(op string, values []string) string {
		if values[4] == "05" && values[3] == "01" {
			return "ResourceNumberLimitExceededException"
		}
		return ""
	}
	all := partitions(150)
	err := c.AddPartitions(ctx, tbl.Database, tbl.Name, all)
	if err == nil {
		t.Fatal("AddPartitions with a failing item: no error")
	}
	var pe *catalog.PartitionError
	if !errors.As(err, &pe) || !cmp.Equal(pe.Values, []string{"kw", "2024", "01", "01", "05"}) {
		t.Errorf("error %v: want a *catalog.PartitionError for hour 05", err)
	}
	var ae smithy.APIError
	if !c.ErrorAs(err, &ae) || ae.ErrorCode() != "ResourceNumberLimitExceededException" {
		t.Errorf("ErrorAs(smithy.APIError) = %v", ae)
	}
	ps, err := c.ListPartitions(ctx, tbl.Database, tbl.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 149 {
		t.Errorf("%d partitions registered, want the 149 that did not fail", len(ps))
	}
	// Re-running after the fault clears adds just the missing one; the
	// others come back as AlreadyExistsException items, which are fine.
	srv.ItemFault = nil
	if err := c.AddPartitions(ctx, tbl.Database, tbl.Name, all); err != nil {
		t.Fatal(err)
	}
	if ps, _ := c.ListPartitions(ctx, tbl.Database, tbl.Name, nil); len(ps) != 150 {
		t.Errorf("%d partitions after retry, want 150", len(ps))
	}
}

func TestExpression(t *testing.T) {
	tests := []struct {
		name string
		f    *catalog.Filter
		want string
		none bool
	}{
		{"nil", nil, "", false},
		{"one value", &catalog.Filter{Values: map[string][]string{"reading_type": {"kw"}}}, "reading_type = 'kw'", false},
		{"in", &catalog.Filter{Values: map[string][]string{"reading_type": {"kw", "kwh"}, "day": {"01"}}}, "day = '01' AND reading_type IN ('kw', 'kwh')", false},
		{"empty", &catalog.Filter{Values: map[string][]string{"reading_type": {}}}, "", true},
		{"from", &catalog.Filter{Range: &catalog.Range{Keys: []string{"year", "month"}, From: []string{"2024", "03"}}},
			"(year > '2024' OR (year = '2024' AND month >= '03'))", false},
		{"to", &catalog.Filter{Range: &catalog.Range{Keys: []string{"year", "month", "day"}, To: []string{"2024", "03", "01"}}},
			"(year < '2024' OR (year = '2024' AND (month < '03' OR (month = '03' AND day < '01'))))", false},
		{"one key range", &catalog.Filter{Range: &catalog.Range{Keys: []string{"hour"}, From: []string{"10"}, To: []string{"12"}}},
			"hour >= '10' AND hour < '12'", false},
	}
	for _, tc := range tests {
		got, none := gluecat.Expression(tc.f)
		if got != tc.want || none != tc.none {
			t.Errorf("%s: Expression = %q, %v; want %q, %v", tc.name, got, none, tc.want, tc.none)
		}
	}
}

func TestURLErrors(t *testing.T) {
	for _, u := range []string{
		"glue://Bad-DB?region=eu-west-1",
		"glue://db/path?region=eu-west-1",
		"glue://db?region=eu-west-1&bogus=1",
	} {
		if c, err := catalog.OpenCatalog(t.Context(), u); err == nil {
			c.Close()
			t.Errorf("OpenCatalog(%q): no error", u)
		} else if !strings.Contains(err.Error(), "gluecat") {
			t.Errorf("OpenCatalog(%q): %v", u, err)
		}
	}
}
