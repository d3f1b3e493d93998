package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/openmda/mda/catalog"
	_ "github.com/openmda/mda/catalog/localcat" // mem://, file://, s3:// catalogs
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
	"gocloud.dev/blob/memblob"
)

func ExampleOpenCatalog() {
	ctx := context.Background()
	cat, err := catalog.OpenCatalog(ctx, "mem://")
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
	// Register three hours of kw reads (twice: AddPartitions is idempotent).
	start := time.Date(2024, 3, 1, 22, 0, 0, 0, time.UTC)
	var parts []catalog.Partition
	for i := range 3 {
		k := partition.Key{Type: meter.TypeKW, Hour: start.Add(time.Duration(i) * time.Hour)}
		parts = append(parts, catalog.Partition{Values: catalog.ReadingsValues(k)})
	}
	for range 2 {
		if err := cat.AddPartitions(ctx, tbl.Database, tbl.Name, parts); err != nil {
			log.Fatal(err)
		}
	}
	// The partitions that can hold reads from 23:30 on.
	f := catalog.ReadingsFilter(&partition.Filter{From: start.Add(90 * time.Minute)})
	ps, err := cat.ListPartitions(ctx, tbl.Database, tbl.Name, f)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range ps {
		fmt.Println(p.Location)
	}
	// Output:
	// s3://my-lake/readings/reading_type=kw/year=2024/month=03/day=01/hour=23/
	// s3://my-lake/readings/reading_type=kw/year=2024/month=03/day=02/hour=00/
}

func ExampleSyncReadings() {
	ctx := context.Background()
	lake := memblob.OpenBucket(nil)
	defer lake.Close()
	at := time.Date(2024, 3, 1, 10, 15, 0, 0, time.UTC)
	for _, typ := range []meter.Type{meter.TypeKW, meter.TypeKWh} {
		r := meter.Reading{MeterID: "m1", Type: typ, Value: 1.5, Time: at, Source: "B", Arrival: at}
		if _, err := partition.WriteFile(ctx, lake, partition.KeyOf(r), "part-0", []meter.Reading{r}, nil); err != nil {
			log.Fatal(err)
		}
	}
	cat, err := catalog.OpenCatalog(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer cat.Close()
	for range 2 {
		st, err := catalog.SyncReadings(ctx, cat, lake, catalog.DatabaseIntegrated, "s3://my-lake/", nil)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("lake %d, catalog %d, added %v\n", st.Lake, st.Catalog, st.Added)
	}
	// Output:
	// lake 2, catalog 0, added [readings/reading_type=kw/year=2024/month=03/day=01/hour=10/ readings/reading_type=kwh/year=2024/month=03/day=01/hour=10/]
	// lake 2, catalog 2, added []
}

func ExampleAthenaDDL() {
	ddl, err := catalog.AthenaDDL(catalog.AnomalyResultsTable("s3://my-ml-bucket/"), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(ddl)
	// Output:
	// CREATE EXTERNAL TABLE IF NOT EXISTS `mda_database_feature_ml`.`meter_anomaly_results` (
	//   `meter_id` string,
	//   `ds` timestamp,
	//   `consumption` double,
	//   `yhat` double,
	//   `yhat_lower` double,
	//   `yhat_upper` double,
	//   `anomaly` int,
	//   `importance` double,
	//   `model` string
	// )
	// COMMENT 'Daily energy anomalies per meter'
	// PARTITIONED BY (
	//   `year` string
	// )
	// ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
	// WITH SERDEPROPERTIES (
	//   'serialization.format'='1'
	// )
	// STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
	// OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
	// LOCATION 's3://my-ml-bucket/anomalies/'
	// TBLPROPERTIES (
	//   'classification'='parquet'
	// );
}

func ExampleAthenaDDL_projection() {
	// With projection, Athena computes partitions from the query's
	// predicates: no partition needs registering.
	ddl, err := catalog.AthenaDDL(catalog.WeatherTable("s3://my-lake/"), &catalog.DDLOptions{Projection: true})
	if err != nil {
		log.Fatal(err)
	}
	_, props, _ := strings.Cut(ddl, "TBLPROPERTIES (\n")
	fmt.Print(props)
	// Output:
	//   'classification'='parquet',
	//   'projection.date.format'='yyyy-MM-dd',
	//   'projection.date.interval'='1',
	//   'projection.date.interval.unit'='DAYS',
	//   'projection.date.range'='2000-01-01,NOW',
	//   'projection.date.type'='date',
	//   'projection.enabled'='true',
	//   'storage.location.template'='s3://my-lake/weather/date=${date}/'
	// );
}

func ExampleCatalog_GetTable_notFound() {
	ctx := context.Background()
	cat, err := catalog.OpenCatalog(ctx, "mem://")
	if err != nil {
		log.Fatal(err)
	}
	defer cat.Close()
	_, err = cat.GetTable(ctx, catalog.DatabaseIntegrated, catalog.ReadingsTableName)
	fmt.Println(errors.Is(err, catalog.ErrNotFound), catalog.Code(err))
	fmt.Println(err)
	// Output:
	// true not found
	// catalog: GetTable mda_database_integrated.meter_readings_integrated_parquet: table mda_database_integrated.meter_readings_integrated_parquet not found
}
