package query_test

import (
	"math"
	"testing"
	"time"

	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/query"
)

// monthlyRegisterLake holds monthly register (kWh) reads at the 1st of each
// month of 2024 and 15-minute kW reads of 1 kW.
func monthlyRegisterLake(t *testing.T) *query.Lake {
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	kw := every(meter.TypeKW, from, to, 15*time.Minute, 1)
	var kwh []meter.Reading
	for m := from.AddDate(0, 1, 0); !m.After(to); m = m.AddDate(0, 1, 0) {
		kwh = append(kwh, meter.Reading{MeterID: "m", Type: meter.TypeKWh, Time: m, Value: m.Sub(m.AddDate(0, -1, 0)).Hours()})
	}
	return query.New(lakeOf(t, kw, kwh), nil)
}

// A 31-day month between shorter ones is no lost kWh read: its register
// read covers the whole month, and no day's kW reads count besides it.
func TestEnergyMonthlyRegister31DayMonthIsNoLostRead(t *testing.T) {
	l := monthlyRegisterLake(t)
	for _, mo := range []time.Month{3, 4, 5, 6} {
		a := time.Date(2024, mo, 1, 0, 0, 0, 0, time.UTC)
		b := a.AddDate(0, 1, 0)
		got := e10Energy(t, l, query.Filter{From: a, To: b}, query.Month)
		if k, _, _ := e10Sum(got); math.Abs(k-b.Sub(a).Hours()) > 1e-9 {
			t.Errorf("%v: %v kWh, want %v%s", mo, k, b.Sub(a).Hours(), e10Rows(got))
		}
	}
}
