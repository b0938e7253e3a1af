package flowlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"unsafe"
)

// AppendLineRoom is the spare capacity AppendLine uses past the line it
// appends (a padded copy of it, see AppendPlain): a dst with that much room
// past its length and the line's is not grown.
const AppendLineRoom = padLen

// ErrLineBreak is AppendLine's error for a line with a line break ('\n' or
// '\r') before its line ending: passed on, it would read as several lines.
var ErrLineBreak = fmt.Errorf("%w: line break inside the line", ErrNotFlowLog)

// AppendLine appends line, without its line ending, and a newline to dst
// when line is one record of p's format: one ParseInto accepts, with no
// line break before its line ending. Otherwise it returns dst unchanged
// and why: ErrLineBreak for any line with a line break, or ParseInto's
// error.
//
// The check of a caller that passes lines on as they are (the forwarder),
// made where the line is copied anyway. Besides growing dst it allocates
// only for the lines it leaves to ParseInto (below); it uses dst's spare
// capacity as scratch: the bytes past the returned length change.
//
// The copy is padded as AppendPlain's (a space, then a stop), so that
// checkLine's loop reads whole words and finds every value's end without a
// bound check; the lines it does not take (a negative integer, one of more
// than 16 digits, a text value with a byte under 0x21 but the space that
// ends it, and every line that is not a record) go to ParseInto, which
// decides. A differential test and FuzzAppendLineAgreesWithParseInto
// compare the two.
func (p *Parser) AppendLine(dst []byte, line string) ([]byte, error) {
	line = TrimLineEnding(line)
	n := len(line)
	if cap(dst)-len(dst) < n+padLen {
		dst = slices.Grow(dst, n+padLen)
	}
	src := dst[len(dst) : len(dst)+n+padLen]
	copy(src, line)
	*(*[padLen]byte)(src[n:]) = padding
	if p.checkLine(src, n) {
		src[n] = '\n' // over the padding's space
		return dst[:len(dst)+n+1], nil
	}
	if strings.ContainsAny(line, "\r\n") {
		return dst, ErrLineBreak
	}
	var r Record
	if err := p.ParseInto(line, &r); err != nil {
		return dst, err
	}
	return append(append(dst, line...), '\n'), nil
}

// checkLine reports whether the line src[:n], padded (see AppendLine), is
// one record of p's format without a line break, as far as lineFields and
// scanAnyIP decide (a zone of an IPv6 address may hold other bytes under
// 0x21); false is "not decided here" (see AppendLine).
func (p *Parser) checkLine(src []byte, n int) bool {
	pos := 0
	for src[pos] == ' ' {
		pos++ // leading spaces (the padding's stop ends them)
	}
	for i := 0; ; i++ {
		var st lineStatus
		if i, pos, st = p.lineFields(src, i, pos); st != lineIP {
			// After the last value the spaces end at the stop, n+1:
			// short of it, a value is left over.
			return st == lineDone && pos > n
		}
		// An address that is not dotted decimal IPv4 (IPv6, or not an
		// address): scanAnyIP decides, and a zone may hold any byte.
		if pos >= n {
			return false // the padding: too few values
		}
		end, ok, _ := scanAnyIP(src[:n], pos)
		if !ok || bytes.ContainsAny(src[pos:end], "\r\n") {
			return false
		}
		for pos = end + 1; src[pos] == ' '; pos++ {
		}
	}
}

// lineStatus is how lineFields stopped.
type lineStatus int

const (
	// lineDone: every field has a value.
	lineDone lineStatus = iota
	// lineNot: the line is not one checkLine takes.
	lineNot
	// lineIP: the value at pos, of field i, is an IP address (or not)
	// that is not dotted decimal IPv4, for scanIP.
	lineIP
)

// lineFields checks the values of the padded line src from field i, whose
// value starts at pos, until every field has one, one fails, or an IP value
// needs scanIP. It returns the field and position to resume from.
//
// Like plainFields, its loop makes no call but ipv4Len's and keeps a
// pointer into the line, not a position, so that its variables stay in
// registers. Every value ends at a space, at the latest at the padding's,
// and the padding's stop, where no value starts, fails the field after the
// last value.
func (p *Parser) lineFields(src []byte, i, pos int) (int, int, lineStatus) {
	line := unsafe.Pointer(unsafe.SliceData(src))
	kinds := unsafe.Pointer(unsafe.SliceData(p.kinds))
	nk := len(p.kinds)
	q := unsafe.Add(line, pos) // the value
	at := func(k int) byte { return *(*byte)(unsafe.Add(q, k)) }
	word := func(k int) uint64 { return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(q, k))[:]) }
	for ; i < nk; i++ {
		l := 1 // the value's length
		// "- ": missing, valid for every kind.
		if binary.LittleEndian.Uint16((*[2]byte)(q)[:]) != '-'|' '<<8 {
			switch *(*Kind)(unsafe.Add(kinds, uintptr(i)*unsafe.Sizeof(Kind(0)))) {
			case KindInt32, KindInt64, KindTime:
				// 1-16 digits and a space; a sign, more digits and
				// anything else are ParseInto's.
				l = bits.TrailingZeros64(firstNonDigit(word(0))) >> 3
				if l == 8 {
					l += bits.TrailingZeros64(firstNonDigit(word(8))) >> 3
				}
			case KindIP:
				if l = ipv4Len(q); l == 0 {
					return i, offset(q, line), lineIP
				}
			default:
				// Any bytes up to the first under 0x21, which must be
				// the space that ends the value.
				l = 0
				for {
					if c := lowLanes(word(l)); c != 0 {
						l += bits.TrailingZeros64(c) >> 3
						break
					}
					l += 8
				}
			}
			// l == 0 only at the stop (no value starts with a space).
			if at(l) != ' ' || l == 0 {
				return i, offset(q, line), lineNot
			}
		}
		// The next value, after one space or more (the stop ends them).
		q = unsafe.Add(q, l+1)
		for at(0) == ' ' {
			q = unsafe.Add(q, 1)
		}
	}
	return i, offset(q, line), lineDone
}

// lowLanes has the top bit of the first byte of v under 0x21 (a space or a
// control character) set, and maybe of later bytes, or is 0. Bytes of
// 0x80 and above are not: v's top bit clears them.
func lowLanes(v uint64) uint64 { return (v - lanes*0x21) &^ v & topBits }

// ipv4Len is the length of the dotted decimal IPv4 address at q, followed
// by a space, in the form netip.ParseAddr accepts (four octets of one to
// three digits, no leading zero, at most 255, as scanIPv4;
// TestIPv4AgreesWithNetip checks them all), or 0 if the value at q is
// anything else. It reads up to 16 bytes from q: a padded line (see
// AppendPlain) has them.
func ipv4Len(q unsafe.Pointer) int {
	at := func(k int) uint { return uint(*(*byte)(unsafe.Add(q, k))) }
	l := 0
	for octet := 0; ; octet++ {
		v := at(l) - '0'
		if v > 9 {
			return 0
		}
		l++
		if v != 0 {
			if d := at(l) - '0'; d <= 9 {
				v = v*10 + d
				l++
				if d := at(l) - '0'; d <= 9 {
					v = v*10 + d
					l++
				}
			}
		}
		if v > 255 || octet < 3 && at(l) != '.' {
			return 0
		}
		if octet == 3 {
			break
		}
		l++
	}
	if at(l) != ' ' {
		return 0
	}
	return l
}
