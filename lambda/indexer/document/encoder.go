package document

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// Limits on the values the encoder accepts.
const (
	// MaxIDLen is OpenSearch's limit on a document _id, in bytes.
	MaxIDLen = 512
	// MaxTimestamp is the first millisecond of year 10000: index names and
	// dates have four-digit years.
	MaxTimestamp int64 = 253402300800000
)

// ErrBadValue is wrapped by every Encoder error: the record or its metadata
// cannot become a document OpenSearch would accept.
var ErrBadValue = errors.New("cannot build document")

// Meta describes where a record came from.
type Meta struct {
	// ID is the CloudWatch Logs event id: the document's _id and event_id,
	// so a replayed event overwrites its document instead of duplicating it.
	ID string
	// Timestamp is the event time in epoch milliseconds: the document's
	// @timestamp and the day of its index.
	Timestamp int64
	// Source is the CloudWatch Logs group and stream of the event's
	// payload (NewSource), made once per payload.
	Source *Source
}

// Source is a CloudWatch Logs group and stream, and the end of the source
// line of their documents: `,"log_group":"...","log_stream":"...","event_id":`.
// It keeps copies of the names, so a source made from views of a buffer
// the caller reuses (cwlogs.Decoder's) keeps the names it was made with.
// A Source does not change once made: one serves every event of a payload
// and may be shared by encoders.
type Source struct {
	group, stream string
	// tail's buffer has 128 bytes or more (padded): appendFootUsual reads 96.
	tail []byte
}

// NewSource returns the source of the events of a log group and stream.
func NewSource(group, stream string) *Source {
	t := append(padded(), logGroupKey...)
	t = AppendString(t, group)
	t = append(t, streamKey...)
	t = AppendString(t, stream)
	return &Source{group: strings.Clone(group), stream: strings.Clone(stream), tail: roomy(append(t, eventIDKey...))}
}

// LogGroup returns the log group's name.
func (s *Source) LogGroup() string { return s.group }

// LogStream returns the log stream's name.
func (s *Source) LogStream() string { return s.stream }

// Is reports whether the source is that of group and stream, comparing the
// bytes, so that a caller can keep a source for the payloads of the same
// stream.
func (s *Source) Is(group, stream string) bool { return s.group == group && s.stream == stream }

// Encoder writes flow log records as the action and source lines of an
// OpenSearch _bulk request:
//
//	{"index":{"_index":"cwl-2014.12.14","_id":"3182..."}}
//	{"@timestamp":1418530070000,"version":2,"srcaddr":"172.31.16.139",...,"event_id":"3182..."}
//
// Keys are the fields' catalog columns (Field.Column). Missing values ("-")
// are left out; addresses and other text become JSON strings; ports,
// protocol, counters and start/end (epoch seconds) become JSON numbers.
// An Encoder is not safe for concurrent use.
type Encoder struct {
	prefix string
	fields []flowlog.Field
	// specs[i] is how field i is written.
	specs []fieldSpec
	// The index name of the last day seen and its action-line prefix
	// `{"index":{"_index":"<index>","_id":"`, to avoid reformatting them.
	day       int64
	dayIndex  string
	dayAction []byte
	// The last timestamp and the text between the _id and the first field:
	// `"}}\n{"@timestamp":<digits>` (from the _id's closing quote).
	ts     int64
	tsText []byte
	// The template of AppendLine for the last parser seen (nil when its
	// format is not the encoder's).
	tmplParser *flowlog.Parser
	tmpl       *flowlog.Template
}

// NewEncoder returns an encoder for records with these fields (in format
// order) that writes to daily indices named "<prefix>-YYYY.MM.DD".
func NewEncoder(fields []flowlog.Field, prefix string) (*Encoder, error) {
	if err := ValidateIndexPrefix(prefix); err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, fmt.Errorf("no flow log fields to encode")
	}
	if _, err := Properties(fields); err != nil {
		return nil, err
	}
	e := &Encoder{prefix: prefix, fields: append([]flowlog.Field(nil), fields...), day: -1 << 62, ts: -1}
	e.tsText = strconv.AppendInt(append(append(padded(), '"'), actionEnd...), e.ts, 10)
	e.dayAction = padded()
	e.specs = make([]fieldSpec, len(fields))
	for i, f := range fields {
		sp := &e.specs[i]
		key := append(AppendString([]byte(`,`), f.Column()), ':')
		sp.kind, sp.quoted, sp.plainMax = f.Kind, !f.IsNumeric(), math.MaxInt
		if sp.quoted {
			key = append(key, '"')
		}
		if f.Kind == flowlog.KindInt32 {
			sp.plainMax = 9
		}
		sp.key = string(key)
	}
	return e, nil
}

// Prefix returns the index prefix.
func (e *Encoder) Prefix() string { return e.prefix }

// Fields returns the fields the encoder expects, in format order.
func (e *Encoder) Fields() []flowlog.Field { return e.fields }

// Index returns the index for an event time (epoch milliseconds); ok is
// false when the time is outside 1970-9999.
func (e *Encoder) Index(ms int64) (index string, ok bool) {
	if ms < 0 || ms >= MaxTimestamp {
		return "", false
	}
	day := ms / 86_400_000
	if day != e.day {
		e.day, e.dayIndex, e.ts = day, IndexName(e.prefix, ms), -1 // appendHead's e.ts is of e.day
		e.dayAction = append(AppendString(append(e.dayAction[:0], actionStart...), e.dayIndex), actionID...)
		e.dayAction = roomy(append(e.dayAction, '"')) // see appendHead
	}
	return e.dayIndex, true
}

// fieldSpec is how the encoder writes one field.
type fieldSpec struct {
	// key is `,"<column>":`, followed by `"` for a quoted (non-numeric)
	// field: what comes before the value.
	key string
	// plainMax is the length up to which a plain value (see
	// flowlog.Record.Plain) is copied as it is: 9 for an int32 (no digit
	// count that could overflow it), no limit for other kinds.
	plainMax int
	quoted   bool
	kind     flowlog.Kind
}

var (
	actionStart = []byte(`{"index":{"_index":`)
	actionID    = []byte(`,"_id":`)
	// actionEnd ends the action line and starts the source line.
	actionEnd   = []byte("}}\n{\"" + TimestampField + `":`)
	logGroupKey = []byte(`,"` + LogGroupField + `":`)
	streamKey   = []byte(`,"` + LogStreamField + `":`)
	eventIDKey  = []byte(`,"` + EventIDField + `":`)
)

// Append appends the action line and the source line of one document (each
// ending in '\n') to dst and returns the extended buffer and the document's
// index. rec must come from a flowlog.Parser for the encoder's fields. On
// error, dst is returned with its original length and the error, wrapping
// ErrBadValue, says which value is at fault.
func (e *Encoder) Append(dst []byte, rec *flowlog.Record, m Meta) ([]byte, string, error) {
	if len(rec.Values) != len(e.fields) {
		return dst, "", fmt.Errorf("%w: record has %d values, the format %d fields", ErrBadValue, len(rec.Values), len(e.fields))
	}
	n := len(dst)
	dst, index, id, err := e.appendHead(dst, &m)
	if err != nil {
		return dst, "", err
	}
	specs := e.specs[:len(rec.Values)]
	for i, v := range rec.Values {
		sp := &specs[i]
		if rec.Plain(i) && len(v) <= sp.plainMax {
			// A value to copy as it is, between its key and, when
			// quoted, its closing quote.
			dst = append(dst, sp.key...)
			dst = append(dst, v...)
			if sp.quoted {
				dst = append(dst, '"')
			}
			continue
		}
		if v == flowlog.Missing {
			continue
		}
		var err error
		switch sp.kind {
		case flowlog.KindInt32:
			dst = append(dst, sp.key...)
			dst, err = appendInteger(dst, v, 32)
		case flowlog.KindInt64, flowlog.KindTime:
			dst = append(dst, sp.key...)
			dst, err = appendInteger(dst, v, 64)
		default:
			// AppendString writes its own quotes.
			dst = append(dst, sp.key[:len(sp.key)-1]...)
			dst = AppendString(dst, v)
		}
		if err != nil {
			return dst[:n], "", fmt.Errorf("%w: field %s=%q: %v", ErrBadValue, e.fields[i].Name, v, err)
		}
	}
	return appendFoot(dst, m.Source, id), index, nil
}

// AppendLine is the hot path of a parse with p and Append: it appends the
// document of a flow log line and returns the extended buffer, the
// document's index and true, when p's format is the encoder's, the metadata
// is valid and p.AppendPlain takes the line (it is a valid record whose
// values are all plain, as real flow log records are). The document is the
// one Append makes of the record p parses from the line.
//
// Otherwise AppendLine returns dst unchanged, "" and false: the caller
// takes the general path (p.ParseInto, then Append), which also reports
// what is wrong, if anything.
func (e *Encoder) AppendLine(dst []byte, p *flowlog.Parser, line string, m Meta) ([]byte, string, bool) {
	return e.appendLine(dst, p, line, &m, false)
}

// AppendPaddedLine is AppendLine for a line followed in memory by the
// padding flowlog.Parser.AppendPlainPadded needs, as the messages of a
// padded cwlogs.Payload are: it reads the line where it is instead of a
// copy. The caller vouches for the padding.
func (e *Encoder) AppendPaddedLine(dst []byte, p *flowlog.Parser, line string, m Meta) ([]byte, string, bool) {
	return e.appendLine(dst, p, line, &m, true)
}

func (e *Encoder) appendLine(dst []byte, p *flowlog.Parser, line string, m *Meta, padded bool) ([]byte, string, bool) {
	if p != e.tmplParser {
		e.tmplParser, e.tmpl = p, e.template(p)
	}
	if e.tmpl == nil {
		return dst, "", false
	}
	n := len(dst)
	dst, index, id, err := e.appendHeadUsual(dst, m)
	if err != nil {
		return dst, "", false
	}
	var ok bool
	if padded {
		dst, ok = p.AppendPlainPadded(dst, line, e.tmpl)
	} else {
		dst, ok = p.AppendPlain(dst, line, e.tmpl)
	}
	if !ok {
		return dst[:n], "", false
	}
	return appendFootUsual(dst, m.Source, id), index, true
}

// template returns the template of AppendLine for p, or nil when p's
// format is not the encoder's.
func (e *Encoder) template(p *flowlog.Parser) *flowlog.Template {
	pf := p.Fields()
	if len(pf) != len(e.fields) {
		return nil
	}
	tf := make([]flowlog.TemplateField, len(pf))
	for i, f := range pf {
		if f.Name != e.fields[i].Name || f.Kind != e.fields[i].Kind {
			return nil
		}
		sp := &e.specs[i]
		tf[i].Before = sp.key
		if sp.quoted {
			tf[i].After = `"`
		}
		if sp.plainMax != math.MaxInt {
			tf[i].MaxLen = sp.plainMax
		}
	}
	t, err := p.Template(tf)
	if err != nil {
		return nil
	}
	return t
}

// appendHead checks the metadata and appends the action line and the start
// of the source line, up to the @timestamp value. It returns the extended
// buffer, the document's index and where the _id (as a JSON string) is in
// it, or dst and the error.
func (e *Encoder) appendHead(dst []byte, m *Meta) (_ []byte, index string, id [2]int, err error) {
	if m.ID == "" {
		return dst, "", id, fmt.Errorf("%w: the event has no id", ErrBadValue)
	}
	if m.Source == nil || m.Source.tail == nil { // a Source not from NewSource has no tail
		return dst, "", id, fmt.Errorf("%w: the event has no source (log group and stream, from NewSource)", ErrBadValue)
	}
	if len(m.ID) > MaxIDLen {
		return dst, "", id, fmt.Errorf("%w: the event id is longer than %d bytes", ErrBadValue, MaxIDLen)
	}
	index = e.dayIndex // of e.day, the day of e.ts, the last timestamp (-1: none) and the usual one
	if m.Timestamp != e.ts || e.ts < 0 {
		if index, err = e.timestampIndex(m.Timestamp); err != nil {
			return dst, "", id, err
		}
		e.ts, e.tsText = m.Timestamp, roomy(strconv.AppendInt(append(append(e.tsText[:0], '"'), actionEnd...), m.Timestamp, 10))
	}
	// dayAction ends in the _id's opening quote, tsText starts with its
	// closing one: an id of digits, as CloudWatch Logs ids are, needs
	// no escaping and goes in between; another is written by
	// AppendString, quotes included.
	if need := len(e.dayAction) + len(m.ID) + len(e.tsText) + blockLen; cap(dst)-len(dst) < need {
		dst = slices.Grow(dst, need)
	}
	dst = appendBlock(dst, e.dayAction)
	id[0] = len(dst) - 1
	var digits bool
	if dst, digits = appendDigitString(dst, m.ID); digits {
		id[1] = len(dst) + 1
		dst = appendBlock(dst, e.tsText)
	} else {
		dst = AppendString(dst[:id[0]], m.ID)
		id[1] = len(dst)
		dst = append(dst, e.tsText[1:]...)
	}
	return dst, index, id, nil
}

// blockLen is the size of the moves appendBlock copies with, and the spare
// room the encoder's cached texts and its callers' grows leave for them.
const blockLen = 16

// appendBlock is append(dst, src...) for the encoder's cached texts and a
// Source's tail, whose buffers have room past their end for a move (see
// padded), and for the _id already in dst: when dst has the room too, it
// copies src in moves of blockLen bytes, the bytes past src being spare
// capacity. A fixed-size copy of more than 16 bytes between pointers that
// may overlap is a call to memmove, which a block of 64 bytes was.
//
// A src that is a view of dst's own bytes (appendFoot's copy of the _id)
// must end at least blockLen bytes before len(dst): each move then reads
// bytes no earlier move wrote.
func appendBlock(dst, src []byte) []byte {
	n, l := len(dst), len(src)
	if cap(src) < l+blockLen || cap(dst)-n < l+blockLen {
		return append(dst, src...)
	}
	d, s := unsafe.Pointer(unsafe.SliceData(dst)), unsafe.Pointer(unsafe.SliceData(src))
	for k := 0; k < l; k += blockLen {
		*(*[blockLen]byte)(unsafe.Add(d, n+k)) = *(*[blockLen]byte)(unsafe.Add(s, k))
	}
	return dst[:n+l]
}

// padded returns an empty buffer for a cached text, room for its usual length and a move past it;
// texts keep 128 bytes or more, as the usual paths read 64 or 96 (TestCachedTextsHaveRoom).
func padded() []byte { return make([]byte, 0, 128) }

// roomy returns b, moved to a larger buffer if it has no room for a move
// past its end: a cached text longer than padded's room.
func roomy(b []byte) []byte {
	if cap(b)-len(b) < blockLen {
		b = append(make([]byte, 0, len(b)+2*blockLen), b...)
	}
	return b
}

// appendDigitString appends s and reports true if it is made of '0'-'9' and of
// at least 8 bytes, else returns dst as it was and false. It copies and
// tests eight bytes at a time, the last eight overlapping the previous.
func appendDigitString(dst []byte, s string) ([]byte, bool) {
	n, l := len(dst), len(s)
	if l < 8 || cap(dst)-n < l {
		return dst, false
	}
	src := unsafe.Pointer(unsafe.StringData(s))
	out := unsafe.Add(unsafe.Pointer(unsafe.SliceData(dst)), n)
	word := func(q unsafe.Pointer, k int) *[8]byte { return (*[8]byte)(unsafe.Add(q, k)) }
	var notDigit uint64
	for i := 0; i < l-8; i += 8 {
		v := binary.LittleEndian.Uint64(word(src, i)[:])
		notDigit |= nonDigitLanes(v)
		*word(out, i) = *word(src, i)
	}
	v := binary.LittleEndian.Uint64(word(src, l-8)[:])
	notDigit |= nonDigitLanes(v)
	*word(out, l-8) = *word(src, l-8)
	if notDigit != 0 {
		return dst, false
	}
	return dst[:n+l], true
}

// nonDigitLanes is not 0 when a byte of v is not '0'-'9': digits become 0-9
// without borrowing, a byte below '0' borrows and sets its top bit, one
// above '9' has it set or reaches it when 0x76 is added. (Only the first
// such byte is exact; enough for a test of all eight.)
func nonDigitLanes(v uint64) uint64 {
	t := v - lanes*'0'
	return (t | (t + lanes*(0x80-10))) & topBits
}

// appendFoot ends the source line: the source's log group and stream, and
// event_id, a copy of the _id at id in dst.
func appendFoot(dst []byte, src *Source, id [2]int) []byte {
	if need := len(src.tail) + id[1] - id[0] + 2 + 2*blockLen; cap(dst)-len(dst) < need {
		dst = slices.Grow(dst, need)
	}
	dst = appendBlock(dst, src.tail)
	// The _id is in dst, which has room for a block after it.
	dst = appendBlock(dst, dst[id[0]:id[1]:cap(dst)])
	return append(dst, '}', '\n')
}

var errNotInteger = errors.New("not an integer")

// appendInteger appends the decimal integer v as a JSON number that fits in
// a signed integer of the given bit size. The common case (no sign issues, no
// leading zero, few enough digits to fit) is copied as it is.
func appendInteger(dst []byte, v string, bits int) ([]byte, error) {
	digits := v
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 {
		return dst, errNotInteger
	}
	for i := 0; i < len(digits); i++ {
		if c := digits[i]; c < '0' || c > '9' {
			return dst, errNotInteger
		}
	}
	safeLen := 18 // every 18-digit number fits in int64
	if bits == 32 {
		safeLen = 9
	}
	if (digits[0] != '0' || len(digits) == 1) && len(digits) <= safeLen {
		return append(dst, v...), nil
	}
	n, err := strconv.ParseInt(v, 10, bits)
	if err != nil {
		return dst, fmt.Errorf("out of range for a %d-bit integer", bits)
	}
	return strconv.AppendInt(dst, n, 10), nil
}

// timestampIndex is Index for appendHead: the index of a document of
// timestamp ms, or the error that says ms is no valid timestamp. Index
// sets e.ts to -1 when the day changes, so that appendHead, which skips
// Index while the timestamp is the last one, never pairs a timestamp
// with another day's index (Index is also called for dead letters).
func (e *Encoder) timestampIndex(ms int64) (string, error) {
	index, ok := e.Index(ms)
	if !ok {
		return "", fmt.Errorf("%w: event timestamp %d is not a time between 1970 and 9999", ErrBadValue, ms)
	}
	return index, nil
}

// appendHeadUsual is appendHead for AppendLine, with a path for the usual
// document written without a call: the last document's timestamp, an id of
// 8 to MaxIDLen digits, a source from NewSource (whose tail appendFootUsual
// reads), an action text of up to 64 bytes, and dst with room for
// the head and a move of 64 past it. The cached texts go in moves of 64
// bytes (four of blockLen, each read before it is written, see
// appendBlock: their buffers have 128 bytes or more, see padded; tsText has
// at most 33), the id in words of 8, the last one overlapping the one
// before. Anything else, and an id that is not all digits, goes to
// appendHead, which writes the same bytes.
func (e *Encoder) appendHeadUsual(dst []byte, m *Meta) ([]byte, string, [2]int, error) {
	n, l, a, t := len(dst), len(m.ID), e.dayAction, e.tsText
	if m.Timestamp != e.ts || e.ts < 0 || m.Source == nil || m.Source.tail == nil || l < 8 || l > MaxIDLen || len(a) > 64 || cap(dst)-n < len(a)+l+len(t)+64 {
		return e.appendHead(dst, m)
	}
	d := unsafe.Add(unsafe.Pointer(unsafe.SliceData(dst)), n)
	move64(d, unsafe.Pointer(unsafe.SliceData(a)))
	// The id, as appendDigitString (here, as a call had every value
	// stored to the stack and loaded back around it).
	o, s := unsafe.Add(d, len(a)), unsafe.Pointer(unsafe.StringData(m.ID))
	word := func(q unsafe.Pointer, k int) *[8]byte { return (*[8]byte)(unsafe.Add(q, k)) }
	var notDigit uint64
	for i := 0; i < l-8; i += 8 {
		notDigit |= nonDigitLanes(binary.LittleEndian.Uint64(word(s, i)[:]))
		*word(o, i) = *word(s, i)
	}
	notDigit |= nonDigitLanes(binary.LittleEndian.Uint64(word(s, l-8)[:]))
	*word(o, l-8) = *word(s, l-8)
	if notDigit != 0 {
		return e.appendHead(dst, m)
	}
	move64(unsafe.Add(o, l), unsafe.Pointer(unsafe.SliceData(t)))
	// As appendHead: the _id with its quotes, the last of dayAction and
	// the first of tsText.
	return dst[:n+len(a)+l+len(t)], e.dayIndex, [2]int{n + len(a) - 1, n + len(a) + l + 1}, nil
}

// appendFootUsual is appendFoot for AppendLine, with a path for the usual
// source line end written without a call: a tail of up to 96 bytes (its
// buffer has 128 or more, see padded), an _id (quotes included) of up to 64
// bytes, and dst with room for the foot and a move of 96 past it. The _id
// is read from dst, before the foot's first byte (as appendBlock's view).
func appendFootUsual(dst []byte, src *Source, id [2]int) []byte {
	n, t, l := len(dst), src.tail, id[1]-id[0]
	if len(t) > 96 || l > 64 || cap(dst)-n < len(t)+l+96 {
		return appendFoot(dst, src, id)
	}
	base := unsafe.Pointer(unsafe.SliceData(dst))
	d, s := unsafe.Add(base, n), unsafe.Pointer(unsafe.SliceData(t))
	move64(d, s)
	move32(unsafe.Add(d, 64), unsafe.Add(s, 64))
	d = unsafe.Add(d, len(t))
	move64(d, unsafe.Add(base, id[0]))
	*(*[2]byte)(unsafe.Add(d, l)) = [2]byte{'}', '\n'}
	return dst[:n+len(t)+l+2]
}

// move64 copies 64 bytes from s to d as four moves of blockLen bytes, each
// read after the one before it is written (a copy of more than 16 bytes
// between pointers that may overlap is a call to memmove).
func move64(d, s unsafe.Pointer) {
	move32(d, s)
	move32(unsafe.Add(d, 2*blockLen), unsafe.Add(s, 2*blockLen))
}

// move32 is move64 for 32 bytes.
func move32(d, s unsafe.Pointer) {
	*(*[blockLen]byte)(d) = *(*[blockLen]byte)(s)
	*(*[blockLen]byte)(unsafe.Add(d, blockLen)) = *(*[blockLen]byte)(unsafe.Add(s, blockLen))
}
