package tables_test

import (
	"fmt"
	"time"

	"github.com/openmda/mda/tables"
)

func Example() {
	start := time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC)
	fmt.Println(tables.ForecastDir("linear", start))
	fmt.Println(tables.AnomalyDir(2024))
	fmt.Println(tables.AnomalyEventDir(2024))
	fmt.Println(tables.WeatherDir(start))
	fmt.Println(tables.TopologyDir("smart_meter"))
	// Output:
	// forecasts/model_name=linear/forecast_start=20240308000000/
	// anomalies/year=2024/
	// anomaly_events/year=2024/
	// weather/date=2024-03-08/
	// topology/smart_meter/
}
