package flowlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"slices"
	"strconv"
	"unsafe"
)

// Missing is how a flow log record marks a value that does not apply or could
// not be computed.
const Missing = "-"

// Log statuses of a record (the log-status field).
const (
	StatusOK       = "OK"
	StatusNoData   = "NODATA"
	StatusSkipData = "SKIPDATA"
)

// ErrNotFlowLog is wrapped by every Parse error: the line is not a flow log
// record of the parser's format.
var ErrNotFlowLog = errors.New("not a flow log record")

// Record is one parsed flow log line. Values alias the parsed line (no copy).
type Record struct {
	fields []Field
	index  map[string]int
	// Values are the raw tokens, one per field, in format order. "-" marks a missing value.
	Values []string
	// plain has bit i set when ParseInto found value i (i < 64) plain; see Plain.
	plain uint64
}

// Fields returns the record's fields, in format order.
func (r *Record) Fields() []Field { return r.fields }

// Len is the number of fields.
func (r *Record) Len() int { return len(r.Values) }

// Missing reports whether value i is "-".
func (r *Record) Missing(i int) bool { return r.Values[i] == Missing }

// Plain reports whether Parse or ParseInto found value i present and in a
// form that any encoder can copy as it is:
//
//   - a numeric value is a canonical integer: an optional minus sign and
//     at most 18 digits, without leading zeros ("0" and "-0" excepted), so
//     it fits in an int64 and reads as the same JSON number;
//   - any other value is made of ASCII bytes from space (0x20) to 0x7f but
//     '"' and '\\', so it is its own JSON string content.
//
// Plain is only a hint for fast paths: false says nothing about the value
// (it is false for missing values, for values past the 64th, for records
// not filled by a Parser and after an error). It describes the values as
// the parser stored them: a caller that changes Values must not rely on it.
func (r *Record) Plain(i int) bool { return uint(i) < 64 && r.plain&(1<<uint(i)) != 0 }

// Int returns value i as an integer; ok is false when it is missing. Parse has
// already checked that numeric values are integers.
func (r *Record) Int(i int) (n int64, ok bool) {
	if r.Values[i] == Missing {
		return 0, false
	}
	n, err := strconv.ParseInt(r.Values[i], 10, 64)
	return n, err == nil
}

// Get returns the raw value of the named field and whether the record has that
// field with a value other than "-".
func (r *Record) Get(name string) (string, bool) {
	i, ok := r.index[name]
	if !ok || r.Values[i] == Missing {
		return "", false
	}
	return r.Values[i], true
}

// Status is the record's log-status ("OK", "NODATA", "SKIPDATA"), or "" when
// the format does not include log-status.
func (r *Record) Status() string {
	v, _ := r.Get("log-status")
	return v
}

// Parser turns flow log lines of one format into records.
type Parser struct {
	fields []Field
	index  map[string]int
	// kinds[i] is fields[i].Kind, compact for the parse loop.
	kinds []Kind
}

// NewParser returns a parser for lines with the given fields in this order.
func NewParser(fields []Field) *Parser {
	idx := make(map[string]int, len(fields))
	kinds := make([]Kind, len(fields))
	for i, f := range fields {
		idx[f.Name] = i
		kinds[i] = f.Kind
	}
	return &Parser{fields: append([]Field(nil), fields...), index: idx, kinds: kinds}
}

// Fields returns the parser's fields in order.
func (p *Parser) Fields() []Field { return p.fields }

// Index returns the position of the named field, or -1.
func (p *Parser) Index(name string) int {
	if i, ok := p.index[name]; ok {
		return i
	}
	return -1
}

// Parse parses one space-delimited flow log line. It checks the field count
// and that numeric fields hold integers and address fields hold IP addresses
// ("-" is always allowed). NODATA and SKIPDATA rows parse like any other; their
// missing values are "-".
func (p *Parser) Parse(line string) (Record, error) {
	r := Record{fields: p.fields, index: p.index, Values: make([]string, 0, len(p.fields))}
	return r, p.ParseInto(line, &r)
}

// ParseInto is Parse reusing r's storage; hot loops call it with one Record.
//
// It reads the line once: each value is delimited, checked against its
// field's kind and classified (Record.Plain) in the same pass (see
// scanValue).
func (p *Parser) ParseInto(line string, r *Record) error {
	r.fields, r.index = p.fields, p.index
	r.plain = 0
	line = TrimLineEnding(line)
	s := p.scan(line, r.Values[:0])
	r.Values = s.vals
	switch {
	case s.tooMany:
		return fmt.Errorf("%w: more than %d fields", ErrNotFlowLog, len(p.kinds))
	case len(s.vals) != len(p.kinds):
		return fmt.Errorf("%w: %d fields, want %d", ErrNotFlowLog, len(s.vals), len(p.kinds))
	case s.bad == badInteger:
		return fmt.Errorf("%w: field %s=%q is not an integer", ErrNotFlowLog, p.fields[s.badAt].Name, s.vals[s.badAt])
	case s.bad == badIP:
		return fmt.Errorf("%w: field %s=%q is not an IP address", ErrNotFlowLog, p.fields[s.badAt].Name, s.vals[s.badAt])
	}
	r.plain = s.plain
	return nil
}

// TrimLineEnding drops the line ending ("\r\n", "\n", any run of both).
func TrimLineEnding(line string) string {
	end := len(line)
	for end > 0 && (line[end-1] == '\n' || line[end-1] == '\r') {
		end--
	}
	return line[:end]
}

// TemplateField is how Parser.AppendPlain writes the value of one field:
// Before, the value as it is, then After. A value longer than MaxLen (when
// MaxLen is not zero) makes AppendPlain fail, to leave it to a slower path:
// a JSON encoder, for one, may need to check the range of a long number.
type TemplateField struct {
	Before, After string
	MaxLen        int
}

// Template is a layout of the values of a parser's records, made by
// Parser.Template for Parser.AppendPlain. It is safe for concurrent use.
type Template struct {
	p      *Parser
	fields []templateField
	// maxLens has each field's MaxLen (math.MaxInt for none), for
	// plainField: templateField.maxLen may be -1 instead.
	maxLens []int
	// fixed is the length of all the Befores and Afters.
	fixed int
}

// templateField is a TemplateField prepared for block copies, 64 bytes
// (plainFields finds field i at i<<6, a shift, not a multiplication).
type templateField struct {
	// before is Before padded to 32 bytes, copied as one block.
	before [32]byte
	// after is After (at most 8 bytes) padded, copied as one block.
	after     [8]byte
	beforeStr string
	// maxLen is MaxLen (MaxInt32 for none), or -1 when Before is longer
	// than before: every value is then plainField's (beforeStr, maxLens).
	maxLen    int32
	beforeLen uint8
	afterLen  uint8
	kind      uint8 // a Kind
	_         [1]byte
}

// templateFieldShift is log2 of the size of a templateField.
const templateFieldShift = 6

// The size of templateField is 1<<templateFieldShift: a constant index out
// of range, and so a compile error, if not.
var _ = [1]struct{}{}[unsafe.Sizeof(templateField{})^1<<templateFieldShift]

// Template returns the template of records of p's format laid out as fields
// says, one TemplateField per field of the format. After may not be longer
// than 8 bytes.
func (p *Parser) Template(fields []TemplateField) (*Template, error) {
	if len(fields) != len(p.fields) {
		return nil, fmt.Errorf("template of %d fields for a format of %d", len(fields), len(p.fields))
	}
	t := &Template{p: p, fields: make([]templateField, len(fields)), maxLens: make([]int, len(fields))}
	for i, f := range fields {
		tf := &t.fields[i]
		if len(f.After) > len(tf.after) {
			return nil, fmt.Errorf("field %s: After is longer than %d bytes", p.fields[i].Name, len(tf.after))
		}
		tf.beforeStr, tf.kind = f.Before, uint8(p.kinds[i])
		tf.beforeLen = uint8(copy(tf.before[:], f.Before))
		tf.afterLen = uint8(copy(tf.after[:], f.After))
		// A line is shorter than 2 GiB: a longer MaxLen is none.
		tf.maxLen = int32(min(f.MaxLen, math.MaxInt32))
		t.maxLens[i] = f.MaxLen
		if f.MaxLen <= 0 {
			tf.maxLen, t.maxLens[i] = math.MaxInt32, math.MaxInt
		}
		if len(f.Before) > len(tf.before) {
			tf.maxLen = -1
		}
		t.fixed += len(f.Before) + len(f.After)
	}
	return t, nil
}

// AppendPlain appends the values of line to dst laid out by t (a template of
// p's), missing values ("-") left out, when the line is a record ParseInto
// would accept and each of its other values is plain (see Record.Plain) and
// no longer than its field's MaxLen. Otherwise it returns dst unchanged and
// false: the caller takes the general path, ParseInto and whatever checks
// and conversions values that are not plain need (and ParseInto reports
// what is wrong with an invalid line).
//
// It is ParseInto and a copy of the values in one pass, without a Record:
// the hot path of an encoder, for the records flow logs write (real ones
// are all plain). Besides growing dst it does not allocate. It uses dst's
// spare capacity as scratch: the bytes past the returned length change.
func (p *Parser) AppendPlain(dst []byte, line string, t *Template) ([]byte, bool) {
	if t.p != p {
		return dst, false
	}
	line = TrimLineEnding(line)
	// Room for every write: the values take at most len(line) bytes, the
	// Befores and Afters t.fixed, and block copies overrun the end by at
	// most 32. Past that room goes a copy of the line padded with spaces
	// and a stop (see plainFields), in dst's spare capacity: it is
	// overwritten by later appends, which is fine, as nothing keeps it.
	out := t.fixed + len(line) + 32
	if need := out + len(line) + padLen; cap(dst)-len(dst) < need {
		dst = slices.Grow(dst, need)
	}
	room := dst[len(dst):cap(dst)]
	src := room[out : out+len(line)+padLen]
	copy(src, line)
	*(*[padLen]byte)(src[len(line):]) = padding
	w, ok := t.appendPlain(room[:out], src, len(line))
	if !ok {
		return dst, false
	}
	return dst[:len(dst)+w], true
}

// What follows AppendPlain's copy of a line: a space, which ends the last
// value, then a stop byte (0), which ends the spaces after it, and zeros,
// padLen bytes in all. Every read of plainFields from a position up to the
// stop stays within the copy and its padding (the longest, a block copy of
// a value, reads 31 bytes past the value's end).
const padLen = 64

var padding = [padLen]byte{' '}

// appendPlain is AppendPlain of the line src[:n], followed by padding,
// into out, which has room for all the writes; it returns the number of
// bytes written. It runs plainFields, which has the common case, and
// plainField for each value plainFields leaves to it.
func (t *Template) appendPlain(out, src []byte, n int) (w int, ok bool) {
	pos := 0
	for src[pos] == ' ' {
		pos++ // leading spaces (the padding's stop ends them)
	}
	for i := 0; ; {
		var st plainStatus
		if i, pos, w, st = t.plainFields(out, src, i, pos, w); st != plainSlow {
			if st == plainFail {
				return 0, false
			}
			break
		}
		if i, pos, w, ok = t.plainField(out, src, n, i, pos, w); !ok {
			return 0, false
		}
	}
	// plainFields and plainField skip the spaces after each value, up to
	// the padding's stop after the last one.
	if pos < n {
		return 0, false // too many values
	}
	return w, true
}

// plainStatus is how plainFields stopped.
type plainStatus int

const (
	// plainDone: every field is laid out.
	plainDone plainStatus = iota
	// plainFail: the line is not one AppendPlain takes.
	plainFail
	// plainSlow: the value at pos, of field i, is one for plainField
	// (an IP address that is not dotted decimal IPv4, an integer
	// plainFields does not decide on, a value longer than the field's
	// MaxLen, a Before longer than a block, or the padding: too few
	// values).
	plainSlow
)

// plainFields lays out the values of the line in src (padded, see
// AppendPlain) into out from field i, whose value starts at pos, with w
// bytes written so far, until every field is laid out, the line fails, or a
// value needs plainField. It returns the field, position and count to
// resume from.
//
// Its loop calls only ipv4Len (too big for Go to inline, and measured
// faster called than written out here): Go keeps no register across a call,
// so a call on a path taken once in a thousand values had the loop's
// variables stored to the stack and loaded back around it, which measured
// as most of its instructions. What would call (netip, strconv, a copy of
// unknown length) is plainField's. It keeps few variables, so that they all
// stay in registers: pointers to the line and the output instead of
// positions in them, no line length. Every read is within the line and its
// padding: the padding ends every value, so no read checks for the line's
// end, and block copies read past a value's end into the padding at most.
// After the last value the spaces end at the padding's stop, where no value
// starts: a field past the last value goes to plainField, which fails it
// (too few values).
func (t *Template) plainFields(out, src []byte, i, pos, w int) (int, int, int, plainStatus) {
	base := unsafe.Pointer(unsafe.SliceData(out))
	line := unsafe.Pointer(unsafe.SliceData(src))
	first := unsafe.Pointer(unsafe.SliceData(t.fields))
	nf := len(t.fields)
	o := unsafe.Add(base, w)   // the output
	p := unsafe.Add(line, pos) // the value
	at := func(q unsafe.Pointer, k int) byte { return *(*byte)(unsafe.Add(q, k)) }
	word := func(q unsafe.Pointer, k int) uint64 {
		return binary.LittleEndian.Uint64((*[8]byte)(unsafe.Add(q, k))[:])
	}
	for ; i < nf; i++ {
		tf := (*templateField)(unsafe.Add(first, i<<templateFieldShift))
		l := 1 // the value's length
		// "- " (a space ends every value): missing, of any kind, left
		// out. One load of two bytes.
		if binary.LittleEndian.Uint16((*[2]byte)(p)[:]) != '-'|' '<<8 {
			switch Kind(tf.kind) {
			case KindInt32, KindInt64, KindTime:
				sign := 0
				v := word(p, 0)
				if byte(v) == '-' {
					sign = 1
					v = word(p, 1)
				}
				digits := bits.TrailingZeros64(firstNonDigit(v)) >> 3
				if digits == 8 {
					digits += bits.TrailingZeros64(firstNonDigit(word(p, sign+8))) >> 3
				}
				l = sign + digits
				if at(p, l) != ' ' {
					// More than 16 digits, or not an integer (the
					// padding's stop included).
					break
				}
				// At least one digit: "-" alone is missing, taken
				// above, and no value starts with a space. A
				// leading zero is not plain.
				if byte(v) == '0' && digits != 1 {
					return i, offset(p, line), offset(o, base), plainFail
				}
				goto copyValue
			case KindIP:
				// Dotted decimal IPv4 (ipv4Len), or plainField's.
				if l = ipv4Len(p); l == 0 {
					goto slow
				}
				goto copyValue
			default:
				// The value ends at its first byte that is a space or
				// not plain; unless that is a space, the value is not
				// plain (the padding ends the last value).
				l = 0
				for {
					if sp := specialLanes(word(p, l)); sp != 0 {
						l += bits.TrailingZeros64(sp) >> 3
						break
					}
					l += 8
				}
				if at(p, l) != ' ' {
					// Not plain, or the padding's stop: too few
					// values.
					return i, offset(p, line), offset(o, base), plainFail
				}
				goto copyValue
			}
		slow: // also a break from the switch: the value is plainField's
			return i, offset(p, line), offset(o, base), plainSlow
		copyValue:
			if l > int(tf.maxLen) {
				goto slow
			}
			*(*[32]byte)(o) = tf.before
			o = unsafe.Add(o, tf.beforeLen)
			// The value in blocks of 16 or 32 bytes, the bytes past
			// its end overwritten next.
			if l <= 16 {
				*(*[16]byte)(o) = *(*[16]byte)(p)
			} else {
				// Two moves of 16 a step: a copy of 32 bytes between
				// pointers that may overlap is a call to memmove.
				for k := 0; k < l; k += 32 {
					*(*[16]byte)(unsafe.Add(o, k)) = *(*[16]byte)(unsafe.Add(p, k))
					*(*[16]byte)(unsafe.Add(o, k+16)) = *(*[16]byte)(unsafe.Add(p, k+16))
				}
			}
			o = unsafe.Add(o, l)
			*(*[8]byte)(o) = tf.after
			o = unsafe.Add(o, tf.afterLen)
		}
		// The next value, after a space (or more: the usual single space
		// costs one test; the padding's stop ends them).
		p = unsafe.Add(p, l+1)
		for at(p, 0) == ' ' {
			p = unsafe.Add(p, 1)
		}
	}
	return i, offset(p, line), offset(o, base), plainDone
}

// offset is the position of q in the buffer that starts at base.
func offset(q, base unsafe.Pointer) int { return int(uintptr(q) - uintptr(base)) }

// plainField lays out the value at pos of field i, one plainFields leaves
// to it, with every check: scanValue, and copies of any length. It returns
// where plainFields resumes.
func (t *Template) plainField(out, src []byte, n, i, pos, w int) (int, int, int, bool) {
	tf := &t.fields[i]
	if pos >= n {
		return i, pos, w, false // too few values
	}
	end, ok, plain := scanValue(Kind(tf.kind), src[:n], pos)
	if !ok || !plain || end-pos > t.maxLens[i] {
		return i, pos, w, false
	}
	w += copy(out[w:], tf.beforeStr)
	w += copy(out[w:], src[pos:end])
	w += copy(out[w:], tf.after[:tf.afterLen])
	pos = end + 1
	for src[pos] == ' ' {
		pos++ // up to the padding's stop, as plainFields
	}
	return i + 1, pos, w, true
}

// scanned is what a scan of a line found.
type scanned struct {
	vals []string
	// plain has the bits of Record.plain.
	plain uint64
	// bad is the first failed value check (okValue if none) and badAt the
	// value's position. A value that fails is reported only once the line's
	// field count is known to be right, as a wrong count is the more telling
	// error.
	bad, badAt int
	// tooMany is set when the line has more values than the format fields;
	// the scan stops there.
	tooMany bool
}

// Value checks.
const (
	okValue = iota
	badInteger
	badIP
)

// fail records a failed check of value i of kind k, unless one failed before.
func (s *scanned) fail(i int, k Kind) {
	if s.bad == okValue {
		s.bad, s.badAt = badInteger, i
		if k == KindIP {
			s.bad = badIP
		}
	}
}

// scan splits line into values, checks them and classifies them.
func (p *Parser) scan(line string, vals []string) (s scanned) {
	b := unsafe.Slice(unsafe.StringData(line), len(line))
	n := len(b)
	kinds := p.kinds
	// Values are stored by index into vals, sized for the format, rather
	// than appended: no capacity check per value.
	if cap(vals) < len(kinds) {
		vals = make([]string, len(kinds))
	}
	vals = vals[:len(kinds)]
	i := 0 // values found
	pos := 0
	for {
		// Flow log records separate values with single spaces; tolerate runs.
		for pos < n && b[pos] == ' ' {
			pos++
		}
		if pos >= n {
			break
		}
		if i == len(vals) {
			s.tooMany = true
			break
		}
		end, ok, plain := scanValue(kinds[i], b, pos)
		if !ok {
			s.fail(i, kinds[i])
		}
		if plain && i < 64 {
			s.plain |= 1 << uint(i)
		}
		vals[i] = line[pos:end]
		i++
		pos = end
	}
	s.vals = vals[:i]
	return s
}

// scanValue reads the value of a field of kind k at b[pos:], which is not a
// space, and returns where it ends (at the next space or the end of b),
// whether it is valid for the kind ("-" always is) and whether it is plain
// (see Record.Plain; "-" never is).
//
// It reads eight bytes at a time into a uint64 (SWAR: each byte a lane, the
// first byte the lowest) and tests all eight with a few arithmetic
// operations: where a value ends is the first lane that fails the test of
// its kind (a digit, a byte of text), so one test both delimits and checks
// it. Unlike a loop over bytes, whose exit at a different byte in every
// value the CPU cannot predict, this takes the same branches for every
// valid record but for values that straddle a word boundary.
func scanValue(k Kind, b []byte, pos int) (end int, ok, plain bool) {
	n := len(b)
	switch k {
	case KindInt32, KindInt64, KindTime:
		ds := pos // the first digit
		if b[pos] == '-' {
			ds++
		}
		// The digits end at the first lane that is not a digit.
		digits := bits.TrailingZeros64(firstNonDigit(word(b, ds))) >> 3
		if digits == 8 {
			digits += bits.TrailingZeros64(firstNonDigit(word(b, ds+8))) >> 3
		}
		end = ds + digits
		switch {
		case end < n && b[end] != ' ':
			// Not a digit, or more than 16 digits: strconv decides.
			end = tokenEnd(b, end)
			digits = end - ds
			ok = isInteger(unsafe.String(&b[pos], end-pos))
			return end, ok, ok && digits <= 18 && b[ds] != '0'
		case digits == 0:
			return end, true, false // "-": missing
		}
		return end, true, b[ds] != '0' || digits == 1
	case KindIP:
		if end, ok = scanIPv4(b, pos); ok {
			return end, true, true
		}
		return scanAnyIP(b, pos)
	}
	var unplain uint64
	end = pos
	for {
		u, sp := textLanes(spaceWord(b, end))
		if sp != 0 {
			// Only the lanes before the space count.
			unplain |= u & (sp&-sp - 1)
			end += bits.TrailingZeros64(sp) >> 3
			break
		}
		unplain |= u
		end += 8
	}
	return end, true, unplain == 0 && (end-pos != 1 || b[pos] != '-')
}

// scanIP is scanValue for an IP value that scanIPv4 does not take: IPv6,
// "-", or not an address.
func scanIP(b []byte, pos int) (end int, ok, plain bool) {
	end = tokenEnd(b, pos)
	v := unsafe.String(&b[pos], end-pos)
	if v == Missing {
		return end, true, false
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return end, false, false
	}
	// Only a zone (after '%') may hold other bytes than hex digits, ':'
	// and '.'.
	return end, true, a.Zone() == "" || isPlainText(v)
}

// tokenEnd returns the position of the first space in b at or after pos,
// or len(b).
func tokenEnd(b []byte, pos int) int {
	if j := bytes.IndexByte(b[pos:], ' '); j >= 0 {
		return pos + j
	}
	return len(b)
}

// SWAR constants: a byte repeated in every lane, and every lane's top bit.
const (
	lanes   = 0x0101010101010101
	topBits = 0x8080808080808080
)

// word returns the eight bytes of b from pos on, with zero bytes past the
// end of b.
func word(b []byte, pos int) uint64 {
	if pos+8 <= len(b) {
		return binary.LittleEndian.Uint64(b[pos:])
	}
	return tailWord(b, pos)
}

// spaceWord is word with spaces past the end of b.
func spaceWord(b []byte, pos int) uint64 {
	if pos+8 <= len(b) {
		return binary.LittleEndian.Uint64(b[pos:])
	}
	return spaceTail(b, pos)
}

// spaceTail is spaceWord near the end of b (out of line: the rare case).
//
//go:noinline
func spaceTail(b []byte, pos int) uint64 {
	if pos >= len(b) {
		return lanes * ' '
	}
	return tailWord(b, pos) | lanes*' '<<(uint(len(b)-pos)*8)
}

// tailWord is word near the end of b (out of line: it is the rare case).
//
//go:noinline
func tailWord(b []byte, pos int) uint64 {
	switch {
	case pos >= len(b):
		return 0
	case len(b) >= 8:
		// The last eight bytes, shifted down to start at pos.
		return binary.LittleEndian.Uint64(b[len(b)-8:]) >> (uint(pos+8-len(b)) * 8)
	}
	var t [8]byte
	copy(t[:], b[pos:])
	return binary.LittleEndian.Uint64(t[:])
}

// Lane tests: each returns the top bit of every lane of v that passes, and
// no other bit. They are exact (no borrow between lanes).

// zeroLanes tests for zero bytes.
func zeroLanes(v uint64) uint64 {
	return ^((v&(lanes*0x7f) + lanes*0x7f) | v) & topBits
}

func dotLanes(v uint64) uint64 { return zeroLanes(v ^ (lanes * '.')) }

// digitLanes tests for '0'-'9'.
func digitLanes(v uint64) uint64 {
	low := v & (lanes * 0x7f) // adding up to 0x80 cannot carry out of a lane
	return (low + lanes*(0x80-'0')) &^ (low + lanes*(0x80-'9'-1)) &^ v & topBits
}

// firstZero has the top bit of the first zero byte of v set (and maybe of
// later bytes), or is 0.
func firstZero(v uint64) uint64 { return (v - lanes) &^ v & topBits }

// firstNonDigit returns the top bit of the first lane of v that is not
// '0'-'9' (and maybe of later lanes), or 0: cheaper than the exact
// ^digitLanes(v) when only the first such lane counts.
func firstNonDigit(v uint64) uint64 {
	// Digit lanes become 0-9 without borrowing; the first lane below '0'
	// borrows and gets its top bit set, one above '9' either has it set
	// or reaches it when 0x76 is added.
	t := v - lanes*'0'
	return (t | (t + lanes*(0x80-10))) & topBits
}

// textLanes tests the bytes of text: space has the top bit of the first
// space of v set, unplain that of its bytes a JSON string cannot hold as
// they are (control characters, '"', '\\' and bytes of 0x80 and above).
// Both are exact up to their first hit only, which is what the lanes before
// the first space need: a wrong hit follows a true one, of the same test.
func textLanes(v uint64) (unplain, space uint64) {
	unplain = ((v-lanes*0x20)&^v | v | firstZero(v^(lanes*'"')) | firstZero(v^(lanes*'\\'))) & topBits
	return unplain, firstZero(v ^ (lanes * ' '))
}

// specialLanes has the top bit of the first byte of v that is a space or
// a byte a JSON string cannot hold as it is (a control character, '"',
// '\\', 0x80 and above) set, and maybe of later bytes, or is 0: one test
// for textLanes' two, as plainFields needs only the first such byte. Bytes
// up to 0x20 borrow in v - 0x21 and set their top bit; each test's first
// hit is exact, and so the first of their union.
func specialLanes(v uint64) uint64 {
	return ((v - lanes*0x21) | v | firstZero(v^(lanes*'"')) | firstZero(v^(lanes*'\\'))) & topBits
}

// movemask gathers the lane bits of a lane test into the low byte: lane k's
// bit becomes bit k.
func movemask(x uint64) uint64 {
	return (x >> 7) * 0x0102040810204080 >> 56
}

// b2u is 1 for true; the compiler makes it a flag, not a branch.
func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// scanIPv4 reads the value at b[pos:] as a dotted decimal IPv4 address in
// the form netip.ParseAddr accepts: four decimal octets of at most 255,
// without leading zeros. It returns where the address ends and true, or
// false when the value is anything else (which may still be an IPv6
// address, or "-"), or when the line ends within 19 bytes of pos: the caller
// then asks netip.
//
// It tests the sixteen bytes from pos at once: the value's length is the
// first byte that is neither a digit nor a dot, which must be a space; the
// dots, one bit per byte, must be three and cut the value into four octets
// of one to three digits; then it checks each octet as a number made of its
// digit bytes.
func scanIPv4(b []byte, pos int) (end int, ok bool) {
	if pos+19 > len(b) {
		return pos, false // near the end: badOctet reads 4 bytes from an octet
	}
	v := b[pos : pos+19]
	v1, v2 := binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[8:])
	dots1, dots2 := dotLanes(v1), dotLanes(v2)
	// n: the first lane of v1 that is no digit nor dot, else 8 plus that of
	// v2 (16 if none), without a branch: t>>6 is 1 only when v1 has none.
	t := bits.TrailingZeros64(^(digitLanes(v1) | dots1) & topBits)
	n := t>>3 + (t>>6)*(bits.TrailingZeros64(^(digitLanes(v2)|dots2)&topBits)>>3)
	dots := (movemask(dots1) | movemask(dots2)<<8) & (1<<uint(n) - 1)
	if n > 15 || v[n] != ' ' || bits.OnesCount64(dots) != 3 {
		return pos, false
	}
	d1 := bits.TrailingZeros64(dots)
	dots &= dots - 1
	d2 := bits.TrailingZeros64(dots)
	dots &= dots - 1
	d3 := bits.TrailingZeros64(dots)
	// Octets of 1-3 digits (badOctet alone would take 5), each in range.
	badLen := b2u(uint(d1-1) > 2) | b2u(uint(d2-d1-2) > 2) | b2u(uint(d3-d2-2) > 2) | b2u(uint(n-d3-2) > 2)
	bad := badOctet(v, 0, d1) | badOctet(v, d1+1, d2) | badOctet(v, d2+1, d3) | badOctet(v, d3+1, n)
	return pos + n, badLen|bad == 0
}

// Bounds of the octets of 1, 2 and 3 digits, as numbers made of their
// bytes (the first byte highest): "0"-"9", "10"-"99", "100"-"255". Index 0,
// an empty octet, has no number in range.
var octetMin, octetMax = [4]uint32{0: 1, 1: '0', 2: '1'<<8 | '0', 3: '1'<<16 | '0'<<8 | '0'},
	[4]uint32{0: 0, 1: '9', 2: '9'<<8 | '9', 3: '2'<<16 | '5'<<8 | '5'}

// badOctet is 0 when the digits v[a:e] (of at most 3 bytes, a <= 15) are a
// decimal octet without a leading zero, else 1.
func badOctet(v []byte, a, e int) uint64 {
	l := uint(e-a) & 3
	// The first l bytes from a, the first byte highest (a shift by 32, for
	// an empty octet, is 0).
	x := binary.BigEndian.Uint32(v[a:]) >> ((4 - l) * 8)
	return b2u(x < octetMin[l]) | b2u(x > octetMax[l])
}

// isInteger reports whether s is a base-10 integer that fits in an int64,
// without a plus sign: the form flow logs write numbers in, and the form
// Record.Int can always convert. Integers of up to 18 digits always fit; only
// longer ones go through strconv.ParseInt for the range check.
func isInteger(s string) bool {
	digits := s
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if digits == "" {
		return false
	}
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; c < '0' || c > '9' {
			return false
		}
	}
	if len(digits) <= 18 {
		return true
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

// isPlainText reports whether s is made of bytes of 0x20 to 0x7f but '"'
// and '\\'.
func isPlainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
