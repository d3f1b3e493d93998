package grid

import (
	"context"
	"fmt"
	"math"
	"time"

	"gocloud.dev/blob"

	"github.com/openmda/mda/grid/topology"
	"github.com/openmda/mda/meter"
	"github.com/openmda/mda/partition"
)

// VoltVarOptions are the constants of the guidance's conservation voltage
// reduction (CVR) estimate, which hard-codes them ("TODO externalize").
// Nil, and every zero field, mean the guidance's values.
type VoltVarOptions struct {
	// SetPointV is the voltage set point the mean voltage is compared
	// with, in V; default 220.
	SetPointV float64
	// CVRFactor is the CVR factor: percent energy saved per percent of
	// voltage reduced; default 0.8.
	CVRFactor float64
	// EnergyPurchasePrice is the utility's energy purchase price per kWh
	// (the guidance's energy_purchase_price); default 0.11.
	EnergyPurchasePrice float64
	// ElectricityRate is the customers' rate per kWh, in cents (the
	// guidance's electricity_rate); default 11.
	ElectricityRate float64
	// Customers is the number of customers the savings are shared by (the
	// guidance's num_cust); default 1000.
	Customers int
	// CarbonLbsPerMWh is the carbon avoided per MWh saved, in pounds (the
	// guidance's carbon_savings_per_mwh); default 900.
	CarbonLbsPerMWh float64
	// MWLevel is the load level of the area in MW (the guidance's
	// mw_level); default 1.
	MWLevel float64
	// Window is how far back from the reference time voltages are
	// averaged; default 1 hour, as in the guidance.
	Window time.Duration
	// ZeroVoltage is the voltage (V) at or below which a read is a dead
	// supply and left out of the mean; default 1 V.
	ZeroVoltage float64
	// Decimals is the rounding of the figures; default 9, as in the
	// guidance; negative means no rounding.
	Decimals int
}

// The guidance's volt-var constants.
const (
	DefaultSetPointV           = 220.0
	DefaultCVRFactor           = 0.8
	DefaultEnergyPurchasePrice = 0.11
	DefaultElectricityRate     = 11.0
	DefaultCustomers           = 1000
	DefaultCarbonLbsPerMWh     = 900.0
	DefaultMWLevel             = 1.0
	DefaultVoltVarWindow       = time.Hour
	DefaultVoltVarDecimals     = 9
)

func (o *VoltVarOptions) withDefaults() VoltVarOptions {
	var r VoltVarOptions
	if o != nil {
		r = *o
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&r.SetPointV, DefaultSetPointV)
	def(&r.CVRFactor, DefaultCVRFactor)
	def(&r.EnergyPurchasePrice, DefaultEnergyPurchasePrice)
	def(&r.ElectricityRate, DefaultElectricityRate)
	def(&r.CarbonLbsPerMWh, DefaultCarbonLbsPerMWh)
	def(&r.MWLevel, DefaultMWLevel)
	def(&r.ZeroVoltage, 1)
	if r.Customers <= 0 {
		r.Customers = DefaultCustomers
	}
	if r.Window <= 0 {
		r.Window = DefaultVoltVarWindow
	}
	if r.Decimals == 0 {
		r.Decimals = DefaultVoltVarDecimals
	}
	return r
}

// CVRSavings are the guidance's CVR figures for one mean voltage.
type CVRSavings struct {
	// MeanVoltage is the mean measured voltage, V.
	MeanVoltage float64 `json:"mean_voltage"`
	// PctVoltageReduction = (set point − mean)·100 / (set point·12).
	PctVoltageReduction float64 `json:"pct_voltage_reduction"`
	// PctEnergySavings = PctVoltageReduction · CVR factor.
	PctEnergySavings float64 `json:"pct_energy_savings"`
	// ActualEnergySavings = PctEnergySavings · MW level / 1200, in MWh
	// per month.
	ActualEnergySavings float64 `json:"actual_energy_savings"`
	// CostAvoided = purchase price · ActualEnergySavings · 1000 / 12, per
	// month, in the currency of the purchase price.
	CostAvoided float64 `json:"cost_avoided"`
	// CustDollarSavings = rate · ActualEnergySavings · 1000 / (12 ·
	// customers), per customer and month, in the unit of the rate: cents
	// with the guidance's rate, despite the guidance's name.
	CustDollarSavings float64 `json:"cust_dollar_savings"`
	// CarbonReductionLbs = carbon per MWh · ActualEnergySavings / 12.
	CarbonReductionLbs float64 `json:"carbon_reduction_lbs"`
}

// CVR computes the guidance's conservation voltage reduction estimate
// (feature_volt_var_calculator) for a mean voltage in volts, with the
// constants of opts, rounded to opts.Decimals. The /12 and /1200 factors
// are the guidance's, undocumented there; they read as monthly and
// percent conversions. A mean above the set point gives negative savings.
func CVR(meanVoltage float64, opts *VoltVarOptions) CVRSavings {
	o := opts.withDefaults()
	pctVolt := (o.SetPointV - meanVoltage) * 100 / (o.SetPointV * 12)
	pctEnergy := pctVolt * o.CVRFactor
	actual := pctEnergy * o.MWLevel / 1200
	r := func(x float64) float64 {
		if o.Decimals < 0 {
			return x
		}
		p := math.Pow(10, float64(o.Decimals))
		return math.Round(x*p) / p
	}
	return CVRSavings{
		MeanVoltage:         meanVoltage,
		PctVoltageReduction: r(pctVolt),
		PctEnergySavings:    r(pctEnergy),
		ActualEnergySavings: r(actual),
		CostAvoided:         r(o.EnergyPurchasePrice * actual * 1000 / 12),
		CustDollarSavings:   r(o.ElectricityRate * actual * 1000 / (12 * float64(o.Customers))),
		CarbonReductionLbs:  r(o.CarbonLbsPerMWh * actual / 12),
	}
}

// VoltVarResult is the CVR estimate of one transformer at one time.
type VoltVarResult struct {
	Level         topology.Level `json:"level"`
	TransformerID string         `json:"transformer_id"`
	// From and To bound the reading times averaged: From < t <= To.
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Meters is the number of meters with voltage reads, Reads the number
	// of reads averaged.
	Meters int `json:"meters"`
	Reads  int `json:"reads"`
	CVRSavings
}

// VoltVar averages the voltage of the meters under a distribution (as in
// the guidance) or service transformer over the window that ends at at
// (reading times in (at−Window, at]), leaving out dead reads at zero
// voltage, and computes CVR from the mean. Unlike the guidance it reads
// only the window's partitions. It returns ErrNotFound (wrapped) for an
// unknown transformer and ErrNoReads if no meter has a voltage read then.
func VoltVar(ctx context.Context, lake *blob.Bucket, topo *topology.Topology, level topology.Level, id string, at time.Time, opts *VoltVarOptions) (VoltVarResult, error) {
	o := opts.withDefaults()
	res := VoltVarResult{Level: level, TransformerID: id, From: at.Add(-o.Window).UTC(), To: at.UTC()}
	if level != topology.LevelServiceTransformer && level != topology.LevelDistributionTransformer {
		return res, fmt.Errorf("%w: volt-var is for service or distribution transformers, not %q", ErrBadRequest, level)
	}
	if topo == nil || !topo.Has(level, id) {
		return res, fmt.Errorf("%w: %s %q", ErrNotFound, level, id)
	}
	meters := topo.MetersUnder(level, id)
	if len(meters) == 0 {
		return res, fmt.Errorf("%w: %s %q has no meters", ErrNoReads, level, id)
	}
	f := &partition.Filter{Types: []meter.Type{meter.TypeVoltage}, MeterIDs: meters,
		From: res.From.Add(time.Millisecond), To: res.To.Add(time.Millisecond)}
	var sum float64
	seen := map[string]bool{}
	_, err := partition.Scan(ctx, lake, f, func(reads []meter.Reading) error {
		for _, r := range reads {
			if r.Value <= o.ZeroVoltage {
				continue
			}
			sum += r.Value
			res.Reads++
			seen[r.MeterID] = true
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("grid: scanning voltage: %w", err)
	}
	res.Meters = len(seen)
	if res.Reads == 0 {
		return res, fmt.Errorf("%w: %s %q in (%s, %s]", ErrNoReads, level, id, res.From.Format(time.RFC3339), res.To.Format(time.RFC3339))
	}
	res.CVRSavings = CVR(sum/float64(res.Reads), &o)
	return res, nil
}

// ErrNoReads is returned (wrapped) when there are no reads to compute from.
var ErrNoReads = fmt.Errorf("grid: no reads")
