package gluecat_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	"github.com/openmda/mda/catalog"
	"github.com/openmda/mda/catalog/gluecat"
	"github.com/openmda/mda/catalog/internal/gluefake"
)

func ExampleOpenCatalog() {
	ctx := context.Background()
	// A local fake of Glue stands in for the service; with an AWS account,
	// use glue.NewFromConfig(cfg) or catalog.OpenCatalog(ctx,
	// "glue://mda_database_integrated?region=eu-west-1").
	srv := gluefake.NewServer()
	defer srv.Close()
	client := glue.New(glue.Options{
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
	cat, err := gluecat.OpenCatalog(client, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer cat.Close()

	tbl := catalog.ReadingsTable("s3://my-lake/")
	if err := cat.EnsureDatabase(ctx, &catalog.Database{Name: tbl.Database}); err != nil {
		log.Fatal(err)
	}
	if err := cat.EnsureTable(ctx, tbl); err != nil {
		log.Fatal(err)
	}
	// 240 hours: three BatchCreatePartition calls of at most 100.
	var parts []catalog.Partition
	for d := 1; d <= 10; d++ {
		for h := range 24 {
			parts = append(parts, catalog.Partition{Values: []string{"kw", "2024", "03", fmt.Sprintf("%02d", d), fmt.Sprintf("%02d", h)}})
		}
	}
	if err := cat.AddPartitions(ctx, tbl.Database, tbl.Name, parts); err != nil {
		log.Fatal(err)
	}
	ps, err := cat.ListPartitions(ctx, tbl.Database, tbl.Name, &catalog.Filter{
		Values: map[string][]string{"day": {"05"}, "hour": {"00", "12"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range ps {
		fmt.Println(p.Location)
	}
	fmt.Println(srv.Calls("BatchCreatePartition"), "BatchCreatePartition calls")
	// Output:
	// s3://my-lake/readings/reading_type=kw/year=2024/month=03/day=05/hour=00/
	// s3://my-lake/readings/reading_type=kw/year=2024/month=03/day=05/hour=12/
	// 3 BatchCreatePartition calls
}

func ExampleExpression() {
	expr, _ := gluecat.Expression(&catalog.Filter{
		Values: map[string][]string{"reading_type": {"kw"}},
		Range:  &catalog.Range{Keys: []string{"year", "month"}, From: []string{"2024", "03"}},
	})
	fmt.Println(expr)
	// Output:
	// reading_type = 'kw' AND (year > '2024' OR (year = '2024' AND month >= '03'))
}
