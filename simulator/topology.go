package simulator

import (
	"crypto/md5"
	"fmt"
	"math"
	"strconv"

	"github.com/openmda/mda/grid/topology"
)

// TopologyOptions configures Generator.Topology. A nil *TopologyOptions,
// and every zero field, mean the defaults documented on each field.
type TopologyOptions struct {
	// MetersPerServiceTransformer is how many consecutive meters share a
	// service transformer; default 6, as in most of the guidance's.
	MetersPerServiceTransformer int
	// ServiceTransformerKVA is a service transformer's rating; default 100.
	ServiceTransformerKVA float64
	// ServiceTransformersPerDistribution is how many consecutive service
	// transformers hang under a distribution transformer; default 50.
	ServiceTransformersPerDistribution int
	// DistributionPerSubstation is how many consecutive distribution
	// transformers hang under a substation; default 1, as in the guidance.
	DistributionPerSubstation int
	// DistributionTransformerKVA is a distribution transformer's rating;
	// default 40000 (the guidance's "40MVA").
	DistributionTransformerKVA float64
	// Latitude and Longitude are the centre of the area in degrees; both
	// zero mean Seattle (47.608013, -122.335167), the guidance's.
	Latitude, Longitude float64
	// RadiusKm is the radius of the area; default 5.
	RadiusKm float64
	// GridName is the power grid's name; default "Simulated Grid".
	GridName string
}

// Topology defaults.
const (
	DefaultMetersPerServiceTransformer        = 6
	DefaultServiceTransformerKVA              = 100.0
	DefaultServiceTransformersPerDistribution = 50
	DefaultDistributionPerSubstation          = 1
	DefaultDistributionTransformerKVA         = 40000.0
	DefaultTopologyLatitude                   = 47.608013
	DefaultTopologyLongitude                  = -122.335167
	DefaultTopologyRadiusKm                   = 5.0
)

func (o *TopologyOptions) withDefaults() (TopologyOptions, error) {
	var r TopologyOptions
	if o != nil {
		r = *o
	}
	if r.MetersPerServiceTransformer == 0 {
		r.MetersPerServiceTransformer = DefaultMetersPerServiceTransformer
	}
	if r.ServiceTransformerKVA == 0 {
		r.ServiceTransformerKVA = DefaultServiceTransformerKVA
	}
	if r.ServiceTransformersPerDistribution == 0 {
		r.ServiceTransformersPerDistribution = DefaultServiceTransformersPerDistribution
	}
	if r.DistributionPerSubstation == 0 {
		r.DistributionPerSubstation = DefaultDistributionPerSubstation
	}
	if r.DistributionTransformerKVA == 0 {
		r.DistributionTransformerKVA = DefaultDistributionTransformerKVA
	}
	if r.Latitude == 0 && r.Longitude == 0 {
		r.Latitude, r.Longitude = DefaultTopologyLatitude, DefaultTopologyLongitude
	}
	if r.RadiusKm == 0 {
		r.RadiusKm = DefaultTopologyRadiusKm
	}
	if r.GridName == "" {
		r.GridName = "Simulated Grid"
	}
	switch {
	case r.MetersPerServiceTransformer < 0 || r.ServiceTransformersPerDistribution < 0 || r.DistributionPerSubstation < 0:
		return r, fmt.Errorf("simulator: invalid TopologyOptions: negative fan-out")
	case !(r.ServiceTransformerKVA > 0) || !(r.DistributionTransformerKVA > 0):
		return r, fmt.Errorf("simulator: invalid TopologyOptions: ratings must be positive")
	case !(r.Latitude >= -85 && r.Latitude <= 85) || !(r.Longitude >= -180 && r.Longitude <= 180):
		return r, fmt.Errorf("simulator: invalid TopologyOptions: centre %v,%v", r.Latitude, r.Longitude)
	case !(r.RadiusKm > 0 && r.RadiusKm <= 500):
		return r, fmt.Errorf("simulator: invalid TopologyOptions: RadiusKm %v not in (0, 500]", r.RadiusKm)
	}
	return r, nil
}

// uuid3 returns str(uuid.uuid3(uuid.NAMESPACE_OID, name)).
func uuid3(name string) string {
	h := md5.Sum(append(namespaceOID[:len(namespaceOID):len(namespaceOID)], name...))
	h[6] = h[6]&0x0f | 0x30
	h[8] = h[8]&0x3f | 0x80
	const hexDigits = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for k, c := range h {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			out = append(out, '-')
		}
		out = append(out, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return string(out)
}

// TopologyID returns the id that Generator.Topology gives the node of
// kind ("service_transformer", "distribution_transformer", "substation",
// "power_grid", "voltage_control_zone" or "location") whose first meter is
// meter index i: uuid3(NAMESPACE_OID, kind+":"+str(i)). Ids of different
// kinds never collide (unlike the guidance's).
func TopologyID(kind string, i int) string { return topologyID64(kind, int64(i)) }

// topologyID64 is TopologyID for numbers beyond a 32-bit int (the
// locations of transformers), the same ids on every platform.
func topologyID64(kind string, i int64) string { return uuid3(kind + ":" + strconv.FormatInt(i, 10)) }

const domTopology uint64 = 101

// Topology returns a grid topology for the generator's meters in the
// guidance's tables: meter i = FirstMeter, ... (id MeterID(i)) under
// service transformer (i-FirstMeter)/MetersPerServiceTransformer, service
// transformers in consecutive groups under distribution transformers, and
// those under substations, one grid. Substations lie on a circle of
// 0.6*RadiusKm around the centre (at the centre if there is one),
// distribution transformers next to their substation, service
// transformers within RadiusKm/4 of them and meters within 80 m of their
// service transformer. Every node has a location (numbers, not the
// guidance's strings); each substation has a voltage control zone. The
// result depends only on the generator's Seed, meters and opts; write it in
// the guidance's JSON with Topology.WriteJSONDir.
func (g *Generator) Topology(opts *TopologyOptions) (*topology.Topology, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	first, n := g.opts.FirstMeter, g.opts.Meters
	perST := o.MetersPerServiceTransformer
	perDT := perST * o.ServiceTransformersPerDistribution
	perSub := perDT * o.DistributionPerSubstation
	nSub := (n + perSub - 1) / perSub
	t := &topology.Topology{}
	gridID := TopologyID("power_grid", first)
	t.PowerGrids = []topology.PowerGrid{{ID: gridID, Name: o.GridName, Status: "active",
		ValidFrom: g.opts.Start.Format("2006-01-02")}}
	kmLat := 1 / 111.32
	kmLon := 1 / (111.32 * math.Cos(o.Latitude*math.Pi/180))
	type point struct{ lat, lon float64 }
	// near returns a point within r km of p, drawn from a hash of (kind, i).
	near := func(p point, r float64, kind uint64, i int) point {
		h := hash4(g.seed, domTopology, kind, uint64(i))
		d := r * math.Sqrt(unit(h))
		a := 2 * math.Pi * unit(mix(h^golden))
		return point{p.lat + d*math.Sin(a)*kmLat, p.lon + d*math.Cos(a)*kmLon}
	}
	addLoc := func(id string, p point, typ, addr string) {
		t.Locations = append(t.Locations, topology.Location{ID: id, Latitude: topology.Coordinate(round6(p.lat)),
			Longitude: topology.Coordinate(round6(p.lon)), Address: addr, LocationType: typ})
	}
	centre := point{o.Latitude, o.Longitude}
	var subP, dtP, stP point
	var subID, dtID, stID string
	for m := 0; m < n; m++ {
		i := first + m
		if m%perSub == 0 {
			k := m / perSub
			subP = centre
			if nSub > 1 {
				a := 2 * math.Pi * float64(k) / float64(nSub)
				r := 0.6 * o.RadiusKm
				subP = point{centre.lat + r*math.Sin(a)*kmLat, centre.lon + r*math.Cos(a)*kmLon}
			}
			subID = TopologyID("substation", i)
			zone := TopologyID("voltage_control_zone", i)
			loc := TopologyID("location", -i) // negative: not a meter's
			t.Substations = append(t.Substations, topology.Substation{ID: subID, Name: fmt.Sprintf("Substation %d", k+1),
				Status: "active", GridID: gridID, LocationID: loc})
			t.VoltageControlZones = append(t.VoltageControlZones, topology.VoltageControlZone{ID: zone, Name: fmt.Sprintf("LTC_Substation_%d", k+1)})
			addLoc(loc, subP, topology.LocationTypeSubstation, fmt.Sprintf("Substation %d", k+1))
		}
		if m%perDT == 0 {
			dtID = TopologyID("distribution_transformer", i)
			dtP = near(subP, 0.05, 1, i)
			loc := topologyID64("location", -int64(i)-1<<31)
			t.DistributionTransformers = append(t.DistributionTransformers, topology.DistributionTransformer{ID: dtID,
				SubstationID: subID, Status: "active", Capacity: topology.FormatCapacity(o.DistributionTransformerKVA),
				LocationID: loc, VoltageControlZoneID: t.VoltageControlZones[len(t.VoltageControlZones)-1].ID})
			addLoc(loc, dtP, "distribution_transformer", "")
		}
		if m%perST == 0 {
			stID = TopologyID("service_transformer", i)
			stP = near(dtP, o.RadiusKm/4, 2, i)
			loc := topologyID64("location", -int64(i)-2<<31)
			t.ServiceTransformers = append(t.ServiceTransformers, topology.ServiceTransformer{ID: stID,
				DistributionTransformerID: dtID, LocationID: loc, Capacity: topology.FormatCapacity(o.ServiceTransformerKVA)})
			addLoc(loc, stP, "service_transformer", "")
		}
		loc := TopologyID("location", i)
		t.SmartMeters = append(t.SmartMeters, topology.SmartMeter{ID: g.ids[m], LocationID: loc, ServiceTransformerID: stID})
		addLoc(loc, near(stP, 0.08, 3, i), topology.LocationTypeMeter, fmt.Sprintf("%d Simulated Street", i))
	}
	return t.Normalize(), nil
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
