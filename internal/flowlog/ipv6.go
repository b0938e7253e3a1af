package flowlog

// scanAnyIP is scanIP with scanIPv6 first, for a value that is not dotted
// decimal IPv4 (scanValue and AppendLine's check try dotted decimal first).
func scanAnyIP(b []byte, pos int) (end int, ok, plain bool) {
	if end, ok = scanIPv6(b, pos); ok {
		return end, true, true
	}
	return scanIP(b, pos)
}

// scanIPv6 reads an IPv6 address at b[pos:], up to a space or the end of
// b, in the forms of netip.ParseAddr that flow logs write: one to eight
// groups of one to four hex digits (either case) separated by colons, with
// at most one "::", which stands for at least one group (eight groups
// without one). It returns where the address ends and true, or false for
// anything else, which scanIP leaves to netip: an embedded IPv4 address, a
// zone, or not an address. A netip parse of an address is about 700
// instructions, this one a few per byte (TestScanIPv6AgreesWithNetip).
func scanIPv6(b []byte, pos int) (end int, ok bool) {
	n := len(b)
	i := pos
	groups, ellipsis := 0, false
	if i+1 < n && b[i] == ':' && b[i+1] == ':' {
		ellipsis = true
		if i += 2; i == n || b[i] == ' ' {
			return i, true // "::"
		}
	}
	for {
		d := i
		for i < n && hexDigit[b[i]] {
			i++
		}
		if i == d || i-d > 4 {
			return 0, false
		}
		groups++
		if i == n || b[i] == ' ' {
			break
		}
		if b[i] != ':' || groups == 8 {
			return 0, false // '.', '%', another byte, or a ninth group
		}
		if i++; i < n && b[i] == ':' {
			if ellipsis {
				return 0, false // a second "::"
			}
			ellipsis = true
			if i++; i == n || b[i] == ' ' {
				break // "::" at the end
			}
		}
	}
	if ellipsis && groups > 7 || !ellipsis && groups != 8 {
		return 0, false
	}
	return i, true
}

// hexDigit[c] is whether c is '0'-'9', 'a'-'f' or 'A'-'F'.
var hexDigit = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEF" {
		t[c] = true
	}
	return t
}()
