package simulator

import (
	"crypto/md5"
	"strconv"
)

// namespaceOID is RFC 4122's NAMESPACE_OID, 6ba7b812-9dad-11d1-80b4-00c04fd430c8.
var namespaceOID = [16]byte{0x6b, 0xa7, 0xb8, 0x12, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// MeterID returns the guidance's id of device i:
// str(uuid.uuid3(uuid.NAMESPACE_OID, str(i))), a name-based (MD5) RFC 4122
// version 3 UUID in lower-case canonical form.
func MeterID(i int) string {
	var name [16 + 20]byte
	b := append(name[:0], namespaceOID[:]...)
	b = strconv.AppendInt(b, int64(i), 10)
	h := md5.Sum(b)
	h[6] = h[6]&0x0f | 0x30 // version 3
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	const hexDigits = "0123456789abcdef"
	var out [36]byte
	j := 0
	for k, c := range h {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&0x0f]
		j += 2
	}
	return string(out[:])
}
