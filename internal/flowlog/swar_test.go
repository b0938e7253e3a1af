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

// scanIPv6 takes exactly the addresses of hex digits and colons that
// netip.ParseAddr accepts, ending at a space or the end of the line, and
// nothing else: every string of up to 10 bytes over "1fF:", addresses of
// one to nine groups of one to five digits with "::" at every place, and
// strings with the bytes it leaves to netip ('.', '%', other bytes).
func TestScanIPv6AgreesWithNetip(t *testing.T) {
	check := func(s string) {
		t.Helper()
		hexColon := s != ""
		for i := 0; i < len(s); i++ {
			if !hexDigit[s[i]] && s[i] != ':' {
				hexColon = false
			}
		}
		a, err := netip.ParseAddr(s)
		want := hexColon && err == nil
		if want && (a.Zone() != "" || !a.Is6()) {
			t.Fatalf("netip.ParseAddr(%q) = %v, not an IPv6 address without a zone", s, a)
		}
		for _, rest := range []string{"", " 1.2.3.4", "  -"} {
			b := []byte(s + rest)
			end, ok := scanIPv6(b, 0)
			if ok != want || ok && end != len(s) {
				t.Fatalf("scanIPv6(%q) = %d, %v; netip.ParseAddr(%q) error %v", b, end, ok, s, err)
			}
			// From an offset, as plainField scans a line.
			b = []byte("x " + s + rest)
			if end, ok := scanIPv6(b, 2); ok != want || ok && end != len(s)+2 {
				t.Fatalf("scanIPv6(%q, 2) = %d, %v; want %v", b, end, ok, want)
			}
		}
	}
	var all func(prefix string, n int)
	all = func(prefix string, n int) {
		check(prefix)
		if n == 0 {
			return
		}
		for _, c := range "1fF:" {
			all(prefix+string(c), n-1)
		}
	}
	all("", 10)
	accepted := 0
	for groups := 1; groups <= 9; groups++ {
		for glen := 1; glen <= 5; glen++ {
			g := make([]string, groups)
			for i := range g {
				g[i] = strings.Repeat("a0B9"[i%4:i%4+1], glen)
			}
			check(strings.Join(g, ":"))
			for at := 0; at <= groups; at++ {
				s := strings.Join(g[:at], ":") + "::" + strings.Join(g[at:], ":")
				check(s)
				if _, err := netip.ParseAddr(s); err == nil {
					accepted++
				}
				for _, odd := range []string{".", "%", "%eth0", ".1.2.3", "g", "-", "\x00", "::"} {
					check(s + odd)
					check(odd + s)
				}
			}
		}
	}
	for _, s := range []string{"::", "::1", "1::", "2600:1f18:abcd:12::5f3", "2001:db8:1234:a100:8d6e:3477:df66:f105", "FE80::1", "::ffff:10.0.0.1", "fe80::1%eth0", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::2::3", ":1", "1:", ":::", "-", ""} {
		check(s)
	}
	if accepted < 100 {
		t.Fatalf("only %d of the generated addresses are valid: the generator is broken", accepted)
	}
}
