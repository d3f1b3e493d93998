package meter

import (
	"math"
	"strconv"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseDecimal parses a decimal number ("-12.5", "3", "1.0E-4") and returns
// its value times 10^shift, correctly rounded. Scaling by a power of ten in
// decimal, before the conversion to binary, is what makes the kV to V
// conversion exact: "0.23145" kV becomes 231.45 V, the same float64 that
// strconv.ParseFloat("231.45") gives, which multiplying by 1000 would not.
//
// The common case (at most 15 significant digits and a small exponent) is
// Clinger's fast path: one exact integer and one correctly rounded IEEE
// multiplication or division. Anything else falls back to strconv.
func parseDecimal(b []byte, shift int) (float64, bool) {
	i := 0
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	var mant uint64
	digits := 0 // significant digits accumulated in mant
	exp := 0
	sawDigit := false
	dropped := false // non-zero digits beyond what mant holds
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		sawDigit = true
		if digits < 19 {
			if mant != 0 || b[i] != '0' {
				digits++
			}
			mant = mant*10 + uint64(b[i]-'0')
		} else {
			exp++
			if b[i] != '0' {
				dropped = true
			}
		}
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			sawDigit = true
			if digits < 19 {
				if mant != 0 || b[i] != '0' {
					digits++
				}
				mant = mant*10 + uint64(b[i]-'0')
				exp--
			} else if b[i] != '0' {
				dropped = true
			}
		}
	}
	if !sawDigit {
		return 0, false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		if i == len(b) {
			return 0, false
		}
		e := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if e < 100000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != len(b) {
		return 0, false
	}
	exp += shift
	if !dropped && mant < 1<<53 {
		if mant == 0 {
			if neg {
				return math.Copysign(0, -1), true
			}
			return 0, true
		}
		f := float64(mant)
		switch {
		case exp == 0:
		case exp > 0 && exp <= 22:
			f *= pow10[exp]
		case exp < 0 && exp >= -22:
			f /= pow10[-exp]
		default:
			return slowDecimal(neg, mant, exp, dropped)
		}
		if neg {
			f = -f
		}
		return f, true
	}
	return slowDecimal(neg, mant, exp, dropped)
}

// slowDecimal hands the number to strconv. A dropped tail of non-zero digits
// is represented by a final '1' digit, which is enough for correct rounding
// because 19 digits already fix every bit of the result but the last.
func slowDecimal(neg bool, mant uint64, exp int, dropped bool) (float64, bool) {
	var buf [48]byte
	s := buf[:0]
	if neg {
		s = append(s, '-')
	}
	s = strconv.AppendUint(s, mant, 10)
	if dropped {
		s = append(s, '1')
		exp--
	}
	s = append(s, 'e')
	s = strconv.AppendInt(s, int64(exp), 10)
	f, err := strconv.ParseFloat(string(s), 64)
	if err != nil && !isRangeError(err) {
		return 0, false
	}
	if math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// appendDecimal appends v in the shortest decimal form that parses back to
// v, with the decimal point moved shift places to the left (shift 3 writes
// volts as kilovolts). The move is done on the digits, so that parseDecimal
// with the opposite shift returns v exactly.
func appendDecimal(dst []byte, v float64, shift int) []byte {
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], v, 'f', -1, 64)
	if shift == 0 {
		return append(dst, s...)
	}
	if s[0] == '-' {
		dst = append(dst, '-')
		s = s[1:]
	}
	point := len(s)
	for i, c := range s {
		if c == '.' {
			point = i
			break
		}
	}
	var digits [64]byte
	d := append(digits[:0], s[:point]...)
	if point < len(s) {
		d = append(d, s[point+1:]...)
	}
	newPoint := point - shift // digits before the point after the move
	if newPoint <= 0 {
		// Pad with leading zeros in place: digits has room, and a
		// prepend would allocate on every voltage written in kV.
		pad := 1 - newPoint
		buf := digits[:]
		if pad+len(d) > len(buf) {
			buf = make([]byte, pad+len(d)) // only for extreme magnitudes
		}
		n := copy(buf[pad:], d)
		for i := range pad {
			buf[i] = '0'
		}
		d, newPoint = buf[:n+pad], 1
	}
	intPart, frac := d[:newPoint], d[newPoint:]
	// trim leading zeros of the integer part (keep one) and trailing zeros of the fraction
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	dst = append(dst, intPart...)
	if len(frac) > 0 {
		dst = append(dst, '.')
		dst = append(dst, frac...)
	}
	return dst
}
