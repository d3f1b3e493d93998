package topology

import (
	"fmt"
	"slices"
	"strings"
)

// IssueKind classifies a consistency problem.
type IssueKind string

// Issue kinds.
const (
	// IssueMissingParent: a row refers to a parent that does not exist (a
	// meter's service transformer, a service transformer's distribution
	// transformer, a distribution transformer's substation, a substation's
	// grid).
	IssueMissingParent IssueKind = "missing_parent"
	// IssueMissingLocation: a row's locationId is not in location.
	IssueMissingLocation IssueKind = "missing_location"
	// IssueMissingZone: a distribution transformer's voltageControlZoneId
	// is not in voltage_control_zone.
	IssueMissingZone IssueKind = "missing_voltage_control_zone"
	// IssueDuplicateID: an id occurs twice in a table, or in two tables
	// (the guidance's distribution transformer and substation share one).
	IssueDuplicateID IssueKind = "duplicate_id"
	// IssueEmptyID: a row has no id.
	IssueEmptyID IssueKind = "empty_id"
	// IssueBadCapacity: a transformer's capacity does not parse.
	IssueBadCapacity IssueKind = "bad_capacity"
	// IssueBadCoordinate: a location's latitude or longitude is missing or
	// out of range.
	IssueBadCoordinate IssueKind = "bad_coordinate"
)

// Issue is one consistency problem.
type Issue struct {
	Kind IssueKind `json:"kind"` // what is wrong
	// Table and ID identify the row with the problem.
	Table string `json:"table"`
	ID    string `json:"id"`
	// RefTable and Ref are what the row refers to (the missing parent, the
	// table of the other row with the same id, ...).
	RefTable string `json:"ref_table,omitempty"`
	Ref      string `json:"ref,omitempty"`
}

func (i Issue) String() string {
	switch i.Kind {
	case IssueDuplicateID:
		return fmt.Sprintf("%s %s: id also in %s", i.Table, i.ID, i.RefTable)
	case IssueMissingParent, IssueMissingLocation, IssueMissingZone:
		return fmt.Sprintf("%s %s: %s %q does not exist", i.Table, i.ID, i.RefTable, i.Ref)
	case IssueBadCapacity:
		return fmt.Sprintf("%s %s: capacity %q does not parse", i.Table, i.ID, i.Ref)
	}
	return fmt.Sprintf("%s %s: %s", i.Table, i.ID, i.Kind)
}

// Check returns the topology's consistency problems: references to
// missing parents, locations and zones, empty and duplicated ids (within
// a table, and across the tables of grid, substations, transformers,
// meters and zones, whose ids should not collide), capacities that do not
// parse and coordinates that are missing or out of range. Empty optional
// references (locationId "", voltageControlZoneId "", gridId "") are not
// problems. Issues are sorted by kind, table and id.
func (t *Topology) Check() []Issue {
	var out []Issue
	add := func(k IssueKind, table, id, refTable, ref string) {
		out = append(out, Issue{Kind: k, Table: table, ID: id, RefTable: refTable, Ref: ref})
	}
	// Ids: within and across tables.
	owner := map[string]string{}
	type idRow struct{ table, id string }
	var rows []idRow
	for _, r := range t.PowerGrids {
		rows = append(rows, idRow{TablePowerGrid, r.ID})
	}
	for _, r := range t.Substations {
		rows = append(rows, idRow{TableSubstation, r.ID})
	}
	for _, r := range t.DistributionTransformers {
		rows = append(rows, idRow{TableDistributionTransformer, r.ID})
	}
	for _, r := range t.ServiceTransformers {
		rows = append(rows, idRow{TableServiceTransformer, r.ID})
	}
	for _, r := range t.SmartMeters {
		rows = append(rows, idRow{TableSmartMeter, r.ID})
	}
	for _, r := range t.VoltageControlZones {
		rows = append(rows, idRow{TableVoltageControlZone, r.ID})
	}
	for _, r := range rows {
		if r.id == "" {
			add(IssueEmptyID, r.table, "", "", "")
			continue
		}
		if first, ok := owner[r.id]; ok {
			add(IssueDuplicateID, r.table, r.id, first, r.id)
			continue
		}
		owner[r.id] = r.table
	}
	locSeen := map[string]bool{}
	for _, r := range t.Locations {
		switch {
		case r.ID == "":
			add(IssueEmptyID, TableLocation, "", "", "")
		case locSeen[r.ID]:
			add(IssueDuplicateID, TableLocation, r.ID, TableLocation, r.ID)
		}
		locSeen[r.ID] = true
		lat, lon := float64(r.Latitude), float64(r.Longitude)
		if !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) {
			add(IssueBadCoordinate, TableLocation, r.ID, "", fmt.Sprintf("%v,%v", lat, lon))
		}
	}
	x := t.index()
	loc := func(table, id, locID string) {
		if locID != "" && len(t.Locations) > 0 {
			if _, ok := x.locs[locID]; !ok {
				add(IssueMissingLocation, table, id, TableLocation, locID)
			}
		}
	}
	grids := map[string]bool{}
	for _, g := range t.PowerGrids {
		grids[g.ID] = true
	}
	for _, r := range t.Substations {
		if r.GridID != "" && len(t.PowerGrids) > 0 && !grids[r.GridID] {
			add(IssueMissingParent, TableSubstation, r.ID, TablePowerGrid, r.GridID)
		}
		loc(TableSubstation, r.ID, r.LocationID)
	}
	zones := map[string]bool{}
	for _, z := range t.VoltageControlZones {
		zones[z.ID] = true
	}
	for _, r := range t.DistributionTransformers {
		if _, ok := x.subs[r.SubstationID]; !ok {
			add(IssueMissingParent, TableDistributionTransformer, r.ID, TableSubstation, r.SubstationID)
		}
		if r.VoltageControlZoneID != "" && !zones[r.VoltageControlZoneID] {
			add(IssueMissingZone, TableDistributionTransformer, r.ID, TableVoltageControlZone, r.VoltageControlZoneID)
		}
		if _, err := ParseCapacity(r.Capacity); err != nil {
			add(IssueBadCapacity, TableDistributionTransformer, r.ID, "", r.Capacity)
		}
		loc(TableDistributionTransformer, r.ID, r.LocationID)
	}
	for _, r := range t.ServiceTransformers {
		if _, ok := x.dts[r.DistributionTransformerID]; !ok {
			add(IssueMissingParent, TableServiceTransformer, r.ID, TableDistributionTransformer, r.DistributionTransformerID)
		}
		if _, err := ParseCapacity(r.Capacity); err != nil {
			add(IssueBadCapacity, TableServiceTransformer, r.ID, "", r.Capacity)
		}
		loc(TableServiceTransformer, r.ID, r.LocationID)
	}
	for _, r := range t.SmartMeters {
		if _, ok := x.sts[r.ServiceTransformerID]; !ok {
			add(IssueMissingParent, TableSmartMeter, r.ID, TableServiceTransformer, r.ServiceTransformerID)
		}
		loc(TableSmartMeter, r.ID, r.LocationID)
	}
	slices.SortStableFunc(out, func(a, b Issue) int {
		if c := strings.Compare(string(a.Kind), string(b.Kind)); c != 0 {
			return c
		}
		if c := strings.Compare(a.Table, b.Table); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
