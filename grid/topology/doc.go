// Package topology is the grid topology of the guidance for Meter Data
// Analytics: the hierarchy grid → substation → distribution transformer →
// service transformer → smart meter, with locations and voltage control
// zones, as the guidance ships it (one JSON array per table, with the
// guidance's exact keys) and as the lake stores it (one Parquet file per
// table under tables.TopologyDir).
//
// # Fixing the guidance's data
//
// The guidance's topology has bugs that this package absorbs rather than
// copies:
//
//   - latitude and longitude are strings for meter locations and numbers for
//     substations: [Coordinate] reads both and the lake stores doubles;
//   - capacities are text ("40MVA", "100kva"): [ParseCapacity] turns them
//     into kVA, stored next to the text as capacity_kva;
//   - a distribution transformer's id equals a substation's id: ids are
//     scoped by table everywhere here, and [Topology.Check] reports the
//     collision ([IssueDuplicateID]) rather than merging the two;
//   - broken references (a meter whose service transformer does not exist,
//     and so on) are reported by Check, not silently dropped by a join.
//
// The lake's column names are the JSON keys lower-cased, as Glue's crawler
// names them (package catalog's TopologyTables), plus capacity_kva.
package topology
