package document

import (
	"encoding/binary"
	"unicode/utf8"
	"unsafe"
)

// safeASCII[b] is true for the ASCII bytes a JSON string holds as they are.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// AppendString appends s to dst as a quoted JSON string. Quotes, backslashes
// and control characters are escaped, U+2028 and U+2029 too (as
// encoding/json does), and invalid UTF-8 becomes U+FFFD, so the output is
// always valid JSON whatever bytes s holds. Strings of plain printable ASCII,
// the common case for flow log values, are copied in one step.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	i := plainPrefix(s)
	if i == len(s) {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	return appendStringSlow(dst, s, i)
}

// SWAR constants: a byte repeated in every lane, and every lane's top bit.
const (
	lanes   = 0x0101010101010101
	topBits = 0x8080808080808080
)

// plainPrefix returns the length of the longest prefix of s made of plain
// printable ASCII (bytes a JSON string holds unescaped). It tests eight
// bytes at a time: a word is plain if no byte is below 0x20, equal to '"'
// or '\\', or at or above 0x80.
func plainPrefix(s string) int {
	// A read-only byte view of s, so that a word is one load.
	b8 := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b8); i += 8 {
		v := binary.LittleEndian.Uint64(b8[i:])
		q := v ^ (lanes * '"')
		b := v ^ (lanes * '\\')
		// (x - lanes) & ^x & topBits is non-zero iff some byte of x is
		// zero; (v - 0x20 lanes) & ^v the same for bytes below 0x20.
		if ((v-lanes*0x20)&^v|(q-lanes)&^q|(b-lanes)&^b|v)&topBits != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || !safeASCII[c] {
			break
		}
	}
	return i
}

// appendStringSlow escapes s from byte i on, s[:i] being plain ASCII.
func appendStringSlow(dst []byte, s string, i int) []byte {
	dst = append(dst, s[:i]...)
	start := i
	for i < len(s) {
		b := s[i]
		if b < utf8.RuneSelf {
			if safeASCII[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
