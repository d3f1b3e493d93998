package localcat_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/catalog/localcat"
)

func ExampleOpenDir() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lake")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// Two handles, as two processes would have.
	a, err := localcat.OpenDir(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	b, err := catalog.OpenCatalog(ctx, "file://"+filepath.ToSlash(dir))
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	tbl := catalog.ReadingsTable("s3://lake/")
	if err := a.EnsureDatabase(ctx, &catalog.Database{Name: tbl.Database}); err != nil {
		log.Fatal(err)
	}
	if err := a.EnsureTable(ctx, tbl); err != nil {
		log.Fatal(err)
	}
	p := func(h string) catalog.Partition {
		return catalog.Partition{Values: []string{"kw", "2024", "03", "01", h}}
	}
	if err := a.AddPartitions(ctx, tbl.Database, tbl.Name, []catalog.Partition{p("10"), p("11")}); err != nil {
		log.Fatal(err)
	}
	if err := b.AddPartitions(ctx, tbl.Database, tbl.Name, []catalog.Partition{p("11"), p("12")}); err != nil {
		log.Fatal(err)
	}
	ps, err := a.ListPartitions(ctx, tbl.Database, tbl.Name, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range ps {
		fmt.Println(p.Values)
	}
	versions, _ := filepath.Glob(filepath.Join(dir, "_catalog", tbl.Database, tbl.Name, "v*.json"))
	fmt.Println(len(versions), "manifest versions")
	// Output:
	// [kw 2024 03 01 10]
	// [kw 2024 03 01 11]
	// [kw 2024 03 01 12]
	// 3 manifest versions
}
