package meter

import (
	"fmt"
	"slices"
	"sync"
)

// Type is a reading type, such as "kw". Its name is the lake's reading_type
// partition value.
type Type string

// The reading types of the guidance's head-end export, plus interval energy.
const (
	TypeLoad    Type = "load"  // contracted load, kW
	TypeCurrent Type = "crrnt" // current, A
	TypePF      Type = "pf"    // power factor, dimensionless
	TypeKVA     Type = "kva"   // apparent power, kVA
	TypeKW      Type = "kw"    // active power, kW
	TypeVoltage Type = "vltg"  // voltage, V (the guidance delivers kV)
	TypeKWh     Type = "kwh"   // active energy over the read's interval, kWh
)

// TypeInfo describes a reading type.
type TypeInfo struct {
	// Type is the name described, a valid partition value (see
	// ValidTypeName).
	Type Type
	// Unit is the unit of the stored value, e.g. "kW", "V", "kWh" or "1".
	Unit string
	// Energy reports an energy-per-interval type, whose values may be summed
	// over time; power types (kW) must be multiplied by the interval length.
	Energy bool
	// Description is a human-readable name.
	Description string
}

var registry = struct {
	sync.RWMutex
	m map[Type]TypeInfo
}{m: map[Type]TypeInfo{
	TypeLoad:    {TypeLoad, "kW", false, "contracted load"},
	TypeCurrent: {TypeCurrent, "A", false, "current"},
	TypePF:      {TypePF, "1", false, "power factor"},
	TypeKVA:     {TypeKVA, "kVA", false, "apparent power"},
	TypeKW:      {TypeKW, "kW", false, "active power"},
	TypeVoltage: {TypeVoltage, "V", false, "voltage"},
	TypeKWh:     {TypeKWh, "kWh", true, "active energy per interval"},
}}

// LookupType returns the registered description of t.
func LookupType(t Type) (TypeInfo, bool) {
	registry.RLock()
	defer registry.RUnlock()
	info, ok := registry.m[t]
	return info, ok
}

// RegisterType adds a reading type, so that decoders of other formats can
// produce it. The name must be a valid partition value: lower-case ASCII
// letters, digits and '_'. Registering a name twice is an error.
func RegisterType(info TypeInfo) error {
	if !ValidTypeName(string(info.Type)) {
		return fmt.Errorf("meter: invalid reading type name %q", info.Type)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, ok := registry.m[info.Type]; ok {
		return fmt.Errorf("meter: reading type %q already registered", info.Type)
	}
	registry.m[info.Type] = info
	return nil
}

// Types returns every registered reading type, sorted by name.
func Types() []TypeInfo {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]TypeInfo, 0, len(registry.m))
	for _, info := range registry.m {
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b TypeInfo) int {
		if a.Type < b.Type {
			return -1
		}
		if a.Type > b.Type {
			return 1
		}
		return 0
	})
	return out
}

// ValidTypeName reports whether s can name a reading type: 1 to 32 bytes of
// lower-case ASCII letters, digits and '_', starting with a letter.
func ValidTypeName(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// HESTypes are the six reading types of one guidance HES CSV line, in
// column order.
var HESTypes = [6]Type{TypeLoad, TypeCurrent, TypePF, TypeKVA, TypeKW, TypeVoltage}
