package flowlog

import (
	"math/bits"
	"net/netip"
	"strings"
	"testing"
	"unsafe"
)

// The exact lane tests set the top bit of exactly the lanes whose byte
// passes, whatever the other lanes hold: every byte value in every lane,
// next to neighbours that pass and that do not.
func TestLaneTestsAreExact(t *testing.T) {
	tests := []struct {
		name string
		f    func(uint64) uint64
		pass func(byte) bool
	}{
		{"zeroLanes", zeroLanes, func(c byte) bool { return c == 0 }},
		{"dotLanes", dotLanes, func(c byte) bool { return c == '.' }},
		{"digitLanes", digitLanes, func(c byte) bool { return c >= '0' && c <= '9' }},
	}
	fills := []byte{0x00, 0x01, ' ', '.', '/', '0', '9', ':', 0x7f, 0x80, 0xb0, 0xff}
	for _, tc := range tests {
		for _, fill := range fills {
			for k := 0; k < 8; k++ {
				for c := 0; c < 256; c++ {
					var v uint64
					for l := 0; l < 8; l++ {
						b := fill
						if l == k {
							b = byte(c)
						}
						v |= uint64(b) << (8 * l)
					}
					got := tc.f(v)
					for l := 0; l < 8; l++ {
						b := fill
						if l == k {
							b = byte(c)
						}
						if bit := got>>(8*l+7)&1 == 1; bit != tc.pass(b) {
							t.Fatalf("%s(%#016x): lane %d (%#02x) = %v, want %v", tc.name, v, l, b, bit, tc.pass(b))
						}
					}
					if got&^topBits != 0 {
						t.Fatalf("%s(%#016x) = %#016x: bits other than the lanes' top bits", tc.name, v, got)
					}
				}
			}
		}
	}
}

// scanIPv4 is the fast path for IPv4 addresses: with at least 19 bytes of
// line from the value on, it takes every address netip.ParseAddr takes in dotted
// decimal, ending where the address ends, and no other value.
func TestScanIPv4TakesEveryIPv4(t *testing.T) {
	octets := []string{"0", "1", "9", "00", "01", "10", "99", "099", "100", "199", "200", "249", "250", "255", "256", "260", "300", "1234", ""}
	pad := " " + strings.Repeat("7", 19)
	for _, a := range octets {
		for _, b := range octets {
			for _, c := range octets {
				for _, d := range octets {
					ip := a + "." + b + "." + c + "." + d
					addr, err := netip.ParseAddr(ip)
					want := err == nil && addr.Is4()
					for _, lead := range []string{"", "   "} {
						// Exactly 19 bytes from the value on, and more.
						for _, room := range []int{19, 20} {
							line := []byte(lead + ip + pad)[:len(lead)+max(room, len(ip))]
							end, ok := scanIPv4(line, len(lead))
							if ok != want || ok && end != len(lead)+len(ip) {
								t.Fatalf("scanIPv4(%q, %d) = %d, %v; want %d, %v", line, len(lead), end, ok, len(lead)+len(ip), want)
							}
						}
					}
				}
			}
		}
	}
}

// ipv4Len takes every address netip.ParseAddr takes in dotted decimal,
// followed by a space, as long as it is, and no other value: an address
// followed by another byte, and every value netip refuses, are 0. (Its
// callers hand what it refuses to netip, so a check that refused too much
// would only be slower; this test is what says so.)
func TestIPv4LenTakesEveryIPv4(t *testing.T) {
	octets := []string{"0", "1", "9", "00", "01", "10", "99", "099", "100", "199", "200", "249", "250", "255", "256", "260", "300", "1234", ""}
	for _, a := range octets {
		for _, b := range octets {
			for _, c := range octets {
				for _, d := range octets {
					ip := a + "." + b + "." + c + "." + d
					// As in a padded line: the value, then the space
					// that ends it and a stop, or more bytes of it.
					for _, after := range []string{" \x00", " 1", "x ", ". ", "0 ", "\x00 "} {
						v := ip + after
						token := v[:strings.IndexByte(v, ' ')]
						want := 0
						if addr, err := netip.ParseAddr(token); err == nil && addr.Is4() {
							want = len(token)
						}
						padded := []byte(v + strings.Repeat("\x00", 16))
						if got := ipv4Len(unsafe.Pointer(&padded[0])); got != want {
							t.Fatalf("ipv4Len(%q) = %d, want %d", v, got, want)
						}
					}
				}
			}
		}
	}
}

// specialLanes' lowest flagged lane is the first byte that is a space or
// not plain, for every byte value in every lane, after plain bytes and
// before bytes of each kind.
func TestSpecialLanesFirstHitIsExact(t *testing.T) {
	special := func(c byte) bool { return c <= ' ' || c >= 0x80 || c == '"' || c == '\\' }
	for _, after := range []byte{'a', ' ', 0x00, 0xff, '"', '\\', 0xa1} {
		for k := 0; k < 8; k++ {
			for c := 0; c < 256; c++ {
				var v uint64
				for l := 0; l < 8; l++ {
					b := byte('a')
					switch {
					case l == k:
						b = byte(c)
					case l > k:
						b = after
					}
					v |= uint64(b) << (8 * l)
				}
				want := 8
				for l := 0; l < 8; l++ {
					if special(byte(v >> (8 * l))) {
						want = l
						break
					}
				}
				got := bits.TrailingZeros64(specialLanes(v)) >> 3
				if got != want {
					t.Fatalf("specialLanes(%#016x): first lane %d, want %d", v, got, want)
				}
			}
		}
	}
}
