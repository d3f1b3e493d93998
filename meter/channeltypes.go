package meter

// Reading types of the utility delivery formats (NEM12, DTC flows, Green
// Button), beyond the head-end types of types.go. Energy flowing from the
// grid to the customer ("import", "delivered", "consumption") is the
// unsuffixed type, as TypeKWh is; energy flowing to the grid has its own type
// rather than a sign, so that sums over a type stay meaningful and a
// prosumer's meter can hold both at the same instant.
const (
	TypeKWhExport   Type = "kwh_export"   // active energy exported per interval, kWh
	TypeKVArh       Type = "kvarh"        // reactive energy imported per interval, kVArh
	TypeKVArhExport Type = "kvarh_export" // reactive energy exported per interval, kVArh
	TypeKVAh        Type = "kvah"         // apparent energy per interval, kVAh
	TypeKVAr        Type = "kvar"         // reactive power, kVAr
	// TypeKWhRegister is a cumulative register (meter index) reading, as a
	// UK non-half-hourly D0010 delivers: the advance between two reads is the
	// energy, so values must not be summed.
	TypeKWhRegister Type = "kwh_register"
)

func init() {
	for _, info := range []TypeInfo{
		{TypeKWhExport, "kWh", true, "active energy exported per interval"},
		{TypeKVArh, "kVArh", true, "reactive energy imported per interval"},
		{TypeKVArhExport, "kVArh", true, "reactive energy exported per interval"},
		{TypeKVAh, "kVAh", true, "apparent energy per interval"},
		{TypeKVAr, "kVAr", false, "reactive power"},
		{TypeKWhRegister, "kWh", false, "cumulative active energy register reading"},
	} {
		if err := RegisterType(info); err != nil {
			panic(err)
		}
	}
}
