package cwlogs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds the JSON reader of DecodeJSON: a small recursive-descent
// scanner that knows the shape of a subscription payload.
//
// Why not a library: the target is to decode at no less than 70% of the
// speed of gunzip alone. encoding/json into structs reaches about 15%, and
// valyala/fastjson, with a reused parser and strings aliasing its buffer,
// about 65% (BenchmarkDecodeVsGunzip, fastjson-%-of-limit): building its
// value tree costs several times what this scanner does. The scanner finds
// string ends with bytes.IndexByte (vectorised), takes a fast path for
// events laid out as CloudWatch Logs writes them, and records positions
// instead of building values.
//
// It accepts exactly the JSON grammar (RFC 8259) with two leniencies that
// cost nothing to keep: control characters (below U+0020) inside strings are
// taken as they are, and invalid UTF-8 is passed through unchanged. Escapes
// are decoded as encoding/json does, including U+FFFD for lone surrogates.

// maxDepth bounds the nesting of values the scanner skips; deeper input is
// rejected instead of growing the stack.
const maxDepth = 512

// span is a JSON string's raw contents (between the quotes) in the input.
type span struct {
	start, end int
	esc        bool // contains backslash escapes
}

// rawEvent is one log event as found by the scanner.
type rawEvent struct {
	id, msg span
	ts      int64
	hasID   bool // id is a string (it may still be malformed otherwise)
}

// field states of a log event key (last occurrence wins, as in encoding/json).
const (
	absent = iota
	present
	wrongType
)

type scanner struct {
	b   []byte
	i   int
	key []byte // unescaped key scratch
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%s at offset %d", fmt.Sprintf(format, args...), s.i)
}

// ws skips whitespace.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end of input.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// expect consumes c after optional whitespace.
func (s *scanner) expect(c byte) error {
	s.ws()
	if s.peek() != c {
		if s.i >= len(s.b) {
			return s.errorf("unexpected end of input, want %q", c)
		}
		return s.errorf("unexpected %q, want %q", s.b[s.i], c)
	}
	s.i++
	return nil
}

// str reads a string whose opening quote is at s.i and returns its raw span.
func (s *scanner) str() (span, error) {
	start := s.i + 1
	n := bytes.IndexByte(s.b[start:], '"')
	if n < 0 {
		return span{}, s.errorf("unterminated string")
	}
	end := start + n
	if bytes.IndexByte(s.b[start:end], '\\') < 0 {
		s.i = end + 1
		return span{start: start, end: end}, nil
	}
	// Slow path: validate escapes and find the real closing quote.
	i := start
	for {
		for i < len(s.b) && s.b[i] != '"' && s.b[i] != '\\' {
			i++
		}
		if i >= len(s.b) {
			s.i = i
			return span{}, s.errorf("unterminated string")
		}
		if s.b[i] == '"' {
			s.i = i + 1
			return span{start: start, end: i, esc: true}, nil
		}
		if i+1 >= len(s.b) {
			s.i = i
			return span{}, s.errorf("unterminated string")
		}
		switch s.b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if i+6 > len(s.b) || !isHex4(s.b[i+2:i+6]) {
				s.i = i
				return span{}, s.errorf(`invalid \u escape`)
			}
			i += 6
		default:
			s.i = i
			return span{}, s.errorf("invalid escape %q", s.b[i+1])
		}
	}
}

// keyString reads an object key (the opening quote must be next) and the
// colon after it. The result is only valid until the next key is read.
func (s *scanner) keyString() ([]byte, error) {
	s.ws()
	if s.peek() != '"' {
		return nil, s.errorf("want an object key")
	}
	sp, err := s.str()
	if err != nil {
		return nil, err
	}
	if err := s.expect(':'); err != nil {
		return nil, err
	}
	s.ws()
	if !sp.esc {
		return s.b[sp.start:sp.end], nil
	}
	s.key = appendUnescaped(s.key[:0], s.b[sp.start:sp.end])
	return s.key, nil
}

// next reads the ',' or the closing byte after a member or element; more
// reports whether another member follows.
func (s *scanner) next(closing byte) (more bool, err error) {
	s.ws()
	switch s.peek() {
	case ',':
		s.i++
		return true, nil
	case closing:
		s.i++
		return false, nil
	}
	if s.i >= len(s.b) {
		return false, s.errorf("unexpected end of input")
	}
	return false, s.errorf("unexpected %q, want ',' or %q", s.b[s.i], closing)
}

// open consumes the opening byte of an object or array; empty reports that
// the closing byte followed at once.
func (s *scanner) open(opening, closing byte) (empty bool, err error) {
	if err := s.expect(opening); err != nil {
		return false, err
	}
	s.ws()
	if s.peek() == closing {
		s.i++
		return true, nil
	}
	return false, nil
}

// isNull consumes a null literal if one is next.
func (s *scanner) isNull() bool {
	if bytes.HasPrefix(s.b[s.i:], []byte("null")) {
		s.i += 4
		return true
	}
	return false
}

// optString reads a string or null (ok false) at s.i; another type of value
// is skipped and reported with wrong set.
func (s *scanner) optString() (sp span, ok, wrong bool, err error) {
	switch s.peek() {
	case '"':
		sp, err = s.str()
		return sp, err == nil, false, err
	case 'n':
		if s.isNull() {
			return span{}, false, false, nil
		}
	}
	return span{}, false, true, s.skip(0)
}

// skip skips one JSON value of any type at s.i, validating it.
func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return s.errorf("nesting deeper than %d", maxDepth)
	}
	s.ws()
	switch c := s.peek(); c {
	case '"':
		_, err := s.str()
		return err
	case '{':
		empty, err := s.open('{', '}')
		if err != nil || empty {
			return err
		}
		for {
			if _, err := s.keyString(); err != nil {
				return err
			}
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			more, err := s.next('}')
			if err != nil || !more {
				return err
			}
		}
	case '[':
		empty, err := s.open('[', ']')
		if err != nil || empty {
			return err
		}
		for {
			if err := s.skip(depth + 1); err != nil {
				return err
			}
			more, err := s.next(']')
			if err != nil || !more {
				return err
			}
		}
	case 't', 'f', 'n':
		for _, lit := range [...]string{"true", "false", "null"} {
			if bytes.HasPrefix(s.b[s.i:], []byte(lit)) {
				s.i += len(lit)
				return nil
			}
		}
		return s.errorf("invalid literal")
	case 0:
		if s.i >= len(s.b) {
			return s.errorf("unexpected end of input, want a value")
		}
	}
	if c := s.peek(); c == '-' || c >= '0' && c <= '9' {
		_, _, err := s.number()
		return err
	}
	return s.errorf("unexpected %q, want a value", s.b[s.i])
}

// number reads a JSON number at s.i. If it is an integer that fits int64,
// isInt is true and n holds it.
func (s *scanner) number() (n int64, isInt bool, err error) {
	b, i := s.b, s.i
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	digits := i
	var u uint64
	overflow := false
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			d := uint64(b[i] - '0')
			if u > (1<<63-d)/10 {
				overflow = true
			}
			u = u*10 + d
		}
	default:
		s.i = i
		return 0, false, s.errorf("invalid number")
	}
	isInt = !overflow && i > digits
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return 0, false, s.errorf("invalid number")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		isInt = false
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return 0, false, s.errorf("invalid number")
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		isInt = false
	}
	s.i = i
	if !isInt {
		return 0, false, nil
	}
	if neg {
		return -int64(u), true, nil // u <= 1<<63 here
	}
	if u > 1<<63-1 {
		return 0, false, nil
	}
	return int64(u), true, nil
}

// event reads one element of "logEvents". A non-empty reason means the
// element is well-formed JSON but not a log event; err means bad JSON.
func (s *scanner) event(r *rawEvent) (reason string, err error) {
	*r = rawEvent{}
	if s.peek() != '{' {
		return reasonNotObject, s.skip(1)
	}
	idState, tsState, msgState := absent, absent, absent
	empty, err := s.open('{', '}')
	if err != nil {
		return "", err
	}
	for more := !empty; more; {
		key, err := s.keyString()
		if err != nil {
			return "", err
		}
		switch string(key) {
		case "id":
			sp, ok, wrong, err := s.optString()
			if err != nil {
				return "", err
			}
			idState, r.id = state(ok, wrong), sp
		case "timestamp":
			switch c := s.peek(); {
			case c == '-' || c >= '0' && c <= '9':
				n, isInt, err := s.number()
				if err != nil {
					return "", err
				}
				r.ts = n
				tsState = state(isInt, !isInt)
			case s.isNull():
				tsState, r.ts = absent, 0
			default:
				if err := s.skip(1); err != nil {
					return "", err
				}
				tsState = wrongType
			}
		case "message":
			sp, ok, wrong, err := s.optString()
			if err != nil {
				return "", err
			}
			msgState, r.msg = state(ok, wrong), sp
		default:
			if err := s.skip(1); err != nil {
				return "", err
			}
		}
		if more, err = s.next('}'); err != nil {
			return "", err
		}
	}
	r.hasID = idState == present
	switch {
	case idState == wrongType:
		return reasonIDType, nil
	case tsState == wrongType:
		return reasonTimestampInt, nil
	case msgState == absent:
		return reasonNoMessage, nil
	case msgState == wrongType:
		return reasonMessageType, nil
	}
	if tsState == absent {
		r.ts = 0
	}
	return "", nil
}

// fastEvent decodes an event at s.i if it is laid out exactly as CloudWatch
// Logs writes them, {"id":"...","timestamp":123,"message":"..."}, without
// whitespace or escapes, and reports whether it did. Otherwise it consumes
// nothing and event must read the element.
func (s *scanner) fastEvent(r *rawEvent) bool {
	const (
		idKey  = `{"id":"`
		tsKey  = `","timestamp":`
		msgKey = `,"message":"`
	)
	b := s.b
	i := s.i + len(idKey)
	if i > len(b) || string(b[s.i:i]) != idKey {
		return false
	}
	n := bytes.IndexByte(b[i:], '"')
	if n < 0 || bytes.IndexByte(b[i:i+n], '\\') >= 0 {
		return false
	}
	id := span{start: i, end: i + n}
	i += n
	if i+len(tsKey) > len(b) || string(b[i:i+len(tsKey)]) != tsKey {
		return false
	}
	i += len(tsKey)
	// A non-negative integer without leading zeros that fits int64.
	start := i
	var ts uint64
	if i+16 <= len(b) {
		// Eight digits at a time (epoch milliseconds have 13).
		i, ts = digits16(b, i)
	} else {
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9' && i-start < 18; i++ {
			ts = ts*10 + uint64(b[i]-'0')
		}
	}
	if i == start || (b[start] == '0' && i-start > 1) {
		return false
	}
	if i+len(msgKey) > len(b) || string(b[i:i+len(msgKey)]) != msgKey {
		return false // also a longer number or a fraction: the slow path decides
	}
	i += len(msgKey)
	n = bytes.IndexByte(b[i:], '"')
	if n < 0 || bytes.IndexByte(b[i:i+n], '\\') >= 0 {
		return false
	}
	msg := span{start: i, end: i + n}
	i += n + 1
	if i < len(b) && b[i] == ',' {
		// The "extractedFields" a subscription filter with a
		// space-delimited pattern adds: skipped, as event skips it.
		if i = flatStrings(b, i+1, extractedKey); i < 0 {
			return false
		}
	}
	if i >= len(b) || b[i] != '}' {
		return false
	}
	*r = rawEvent{id: id, msg: msg, ts: int64(ts), hasID: true}
	s.i = i + 1
	return true
}

// extractedKey is the member a subscription filter whose pattern names
// fields adds to each log event, an object of the extracted values as
// strings: {"id":...,"message":"...","extractedFields":{"srcaddr":"..."}}.
// See the subscription payload and filter pattern pages:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
const extractedKey = `"extractedFields":{`

// flatStrings reads, at b[i:], key (which ends with the '{' of an object)
// and an object of strings without escapes or whitespace,
// {"k":"v","k2":"v2"}, and returns the position after its '}', or -1 when
// b[i:] is anything else: the caller then leaves the element to the general
// path, which decides.
func flatStrings(b []byte, i int, key string) int {
	if i+len(key) > len(b) || string(b[i:i+len(key)]) != key {
		return -1
	}
	i += len(key)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	for {
		// A key and its ':', then a value and a ',' or the '}'.
		j := plainString(b, i)
		if j < 0 || j >= len(b) || b[j] != ':' {
			return -1
		}
		if i = plainString(b, j+1); i < 0 || i >= len(b) {
			return -1
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// plainString reads a string without escapes at b[i:] and returns the
// position after its closing quote, or -1.
func plainString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if j := quoteEnd(b, i+1); j >= 0 {
		return j + 1
	}
	return -1
}

// quoteEnd returns the index of the first '"' at or after b[i], or -1 if a
// '\\' comes first or there is none: the end of a string without escapes,
// as bytes.IndexByte for each of the two finds it, but in one pass of eight
// bytes at a time, which pays on the short strings of "extractedFields"
// (a call of IndexByte costs more than the few words it would scan).
func quoteEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// The lowest flagged lane of each test is exact, so the lowest
		// of both is the first quote or backslash.
		if m := firstZero(w^(lanes*'"')) | firstZero(w^(lanes*'\\')); m != 0 {
			if j := i + bits.TrailingZeros64(m)>>3; b[j] == '"' {
				return j
			}
			return -1
		}
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			return i
		case '\\':
			return -1
		}
	}
	return -1
}

// firstZero has the top bit of the first zero byte of v set (and maybe of
// later lanes, above a zero), or is 0.
func firstZero(v uint64) uint64 { return (v - lanes) &^ v & topBits }

// SWAR constants: a byte repeated in every lane, and every lane's top bit.
const (
	lanes   = 0x0101010101010101
	topBits = 0x8080808080808080
)

// digits16 reads the decimal digits at b[i:] (i+16 <= len(b)), at most 16
// of them, and returns where they end and their value. Past sixteen digits
// the end it returns, i+16, is at a digit, where the caller finds no key
// and leaves the event to the general path. The bytes are handled eight at
// a time as a uint64 (SWAR), without a branch per digit.
func digits16(b []byte, i int) (end int, v uint64) {
	lo := binary.LittleEndian.Uint64(b[i:])
	n := bits.TrailingZeros64(nonDigitLanes(lo)) >> 3
	if n < 8 {
		return i + n, parse8(lo, n)
	}
	hi := binary.LittleEndian.Uint64(b[i+8:])
	m := bits.TrailingZeros64(nonDigitLanes(hi)) >> 3
	return i + 8 + m, parse8(lo, 8)*pow10[m] + parse8(hi, m)
}

var pow10 = [9]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// nonDigitLanes has the top bit of the first byte of v that is not '0'-'9'
// set (and maybe of later bytes), or is 0: digits become 0-9 without
// borrowing, a byte below '0' borrows and sets its top bit, one above '9'
// has it set or reaches it when 0x76 is added.
func nonDigitLanes(v uint64) uint64 {
	t := v - lanes*'0'
	return (t | (t + lanes*(0x80-10))) & topBits
}

// parse8 returns the value of the first n (0-8) bytes of v, decimal digits,
// the first byte the most significant.
func parse8(v uint64, n int) uint64 {
	if n == 0 {
		return 0
	}
	// The n digits to the top lanes, zeros below: leading zeros.
	v = (v << (uint(8-n) * 8)) & (lanes * 0x0f)
	v = (v * (10<<8 + 1)) >> 8 // pairs of digits
	v = (v & 0x00ff00ff00ff00ff) * (100<<16 + 1) >> 16
	v = (v & 0x0000ffff0000ffff) * (10000<<32 + 1) >> 32
	return v
}

func state(ok, wrong bool) int {
	switch {
	case ok:
		return present
	case wrong:
		return wrongType
	}
	return absent
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendUnescaped appends the decoded contents of a validated JSON string
// (raw, between the quotes) to dst. Like encoding/json it turns a valid
// surrogate pair into one rune and a lone surrogate into U+FFFD.
func appendUnescaped(dst, raw []byte) []byte {
	for len(raw) > 0 {
		n := bytes.IndexByte(raw, '\\')
		if n < 0 {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:n]...)
		raw = raw[n:]
		c := raw[1]
		raw = raw[2:]
		switch c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw)
			raw = raw[4:]
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if len(raw) >= 6 && raw[0] == '\\' && raw[1] == 'u' {
					r2 = hex4(raw[2:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					raw = raw[6:]
					r = dec
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
	}
	return dst
}
