package topology

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Table names: the guidance's file names without ".json", and the
// directories of the lake's tables (tables.TopologyDir).
const (
	TablePowerGrid               = "power_grid"
	TableSubstation              = "substation"
	TableDistributionTransformer = "distribution_transformer"
	TableServiceTransformer      = "service_transformer"
	TableSmartMeter              = "smart_meter"
	TableLocation                = "location"
	TableVoltageControlZone      = "voltage_control_zone"
)

// TableNames lists the topology tables, parents before children.
var TableNames = []string{
	TablePowerGrid, TableSubstation, TableDistributionTransformer, TableServiceTransformer,
	TableSmartMeter, TableLocation, TableVoltageControlZone,
}

// Location types of the guidance's location.json.
const (
	// LocationTypeMeter is the guidance's type of a meter's location,
	// misspelt there ("servie"); it is kept so that files and queries
	// written for the guidance keep working.
	LocationTypeMeter = "meter_servie_location"
	// LocationTypeSubstation is the type of a substation's location.
	LocationTypeSubstation = "substation"
)

// PowerGrid is a row of power_grid.json.
type PowerGrid struct {
	ID        string `json:"id" parquet:"id,dict"`
	Name      string `json:"name" parquet:"name"`           // display name
	Status    string `json:"status" parquet:"status,dict"`  // free text, e.g. "active"; not interpreted
	ValidFrom string `json:"validFrom" parquet:"validfrom"` // a date as written, e.g. "2022-01-01"; not parsed
}

// Substation is a row of substation.json.
type Substation struct {
	ID         string `json:"id" parquet:"id"`
	Name       string `json:"name" parquet:"name"`             // display name
	Status     string `json:"status" parquet:"status,dict"`    // free text, e.g. "active"; not interpreted
	GridID     string `json:"gridId" parquet:"gridid,dict"`    // PowerGrid.ID of its grid; "" for none
	LocationID string `json:"locationId" parquet:"locationid"` // Location.ID; "" for none
}

// DistributionTransformer is a row of distribution_transformer.json.
type DistributionTransformer struct {
	ID                   string `json:"id" parquet:"id"`
	SubstationID         string `json:"substationId" parquet:"substationid,dict"`                 // Substation.ID of its parent
	Status               string `json:"status" parquet:"status,dict"`                             // free text, e.g. "active"; not interpreted
	Capacity             string `json:"capacity" parquet:"capacity,dict"`                         // rating as written, a free string such as "40MVA"; CapacityKVA is it in kVA
	LocationID           string `json:"locationId" parquet:"locationid"`                          // Location.ID; "" for none
	VoltageControlZoneID string `json:"voltageControlZoneId" parquet:"voltagecontrolzoneid,dict"` // VoltageControlZone.ID; "" for none
	// CapacityKVA is Capacity in kVA (ParseCapacity), NaN if it does not
	// parse. It is not in the guidance's JSON. The lake stores it as an
	// optional column, NaN as NULL (WriteLake), though the tag says
	// required: write and read the lake's files with WriteLake and ReadLake.
	CapacityKVA float64 `json:"-" parquet:"capacity_kva"`
}

// ServiceTransformer is a row of service_transformer.json.
type ServiceTransformer struct {
	ID                        string `json:"id" parquet:"id"`
	DistributionTransformerID string `json:"distributionTransformerId" parquet:"distributiontransformerid,dict"` // DistributionTransformer.ID of its parent
	LocationID                string `json:"locationId" parquet:"locationid"`                                    // Location.ID; "" for none
	Capacity                  string `json:"capacity" parquet:"capacity,dict"`                                   // rating as written, a free string such as "100kva"; CapacityKVA is it in kVA
	// CapacityKVA is Capacity in kVA, NaN if it does not parse; NULL in
	// the lake's files (see DistributionTransformer.CapacityKVA).
	CapacityKVA float64 `json:"-" parquet:"capacity_kva"`
}

// SmartMeter is a row of smart_meter.json.
type SmartMeter struct {
	ID                   string `json:"id" parquet:"id"`                                          // the meter id of its reads (meter.Reading.MeterID)
	LocationID           string `json:"locationId" parquet:"locationid"`                          // Location.ID; "" for none
	ServiceTransformerID string `json:"serviceTransformerId" parquet:"servicetransformerid,dict"` // ServiceTransformer.ID of its parent
}

// Location is a row of location.json. A coordinate that is missing is NaN
// here and NULL in the lake's files, whose latitude and longitude columns
// are optional, though the tags say required: write and read the lake's
// files with WriteLake and ReadLake.
type Location struct {
	ID           string     `json:"id" parquet:"id"`
	Latitude     Coordinate `json:"latitude" parquet:"latitude"`              // degrees north, -90 to 90
	Longitude    Coordinate `json:"longitude" parquet:"longitude"`            // degrees east, -180 to 180
	Address      string     `json:"address" parquet:"address"`                // free text; may be empty
	LocationType string     `json:"locationType" parquet:"locationtype,dict"` // free text, e.g. LocationTypeMeter
}

// VoltageControlZone is a row of voltage_control_zone.json.
type VoltageControlZone struct {
	ID   string `json:"id" parquet:"id"`
	Name string `json:"name" parquet:"name"` // display name
}

// Coordinate is a latitude or longitude in degrees. It decodes from a JSON
// number or a JSON string holding a number (the guidance writes meter
// locations' coordinates as strings); an empty string or null is NaN. It
// encodes as a number, NaN as null.
type Coordinate float64

// UnmarshalJSON implements json.Unmarshaler.
func (c *Coordinate) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "null" {
		*c = Coordinate(math.NaN())
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = strings.TrimSpace(str)
		if s == "" {
			*c = Coordinate(math.NaN())
			return nil
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return fmt.Errorf("topology: bad coordinate %s", b)
	}
	*c = Coordinate(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (c Coordinate) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(c), 'f', -1, 64), nil
}

// ParseCapacity parses an apparent-power rating such as "40MVA", "100kva",
// "500 kVA" or "750VA" (case-insensitive, an optional space, a decimal
// number) and returns it in kVA. A bare number is taken as kVA.
func ParseCapacity(s string) (kva float64, err error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	switch {
	case strings.HasSuffix(t, "mva"):
		t, mult = t[:len(t)-3], 1000
	case strings.HasSuffix(t, "kva"):
		t = t[:len(t)-3]
	case strings.HasSuffix(t, "va"):
		t, mult = t[:len(t)-2], 0.001
	}
	t = strings.TrimSpace(t)
	v, perr := strconv.ParseFloat(t, 64)
	if t == "" || perr != nil || !(v >= 0) || math.IsInf(v, 0) {
		return math.NaN(), fmt.Errorf("topology: bad capacity %q: want a number and VA, kVA or MVA", s)
	}
	return v * mult, nil
}

// FormatCapacity formats kVA the guidance's way: "40MVA" for whole MVA,
// else "100kva".
func FormatCapacity(kva float64) string {
	if kva >= 1000 && math.Mod(kva, 1000) == 0 {
		return strconv.FormatFloat(kva/1000, 'f', -1, 64) + "MVA"
	}
	return strconv.FormatFloat(kva, 'f', -1, 64) + "kva"
}
