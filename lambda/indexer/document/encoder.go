package document

import (
	"errors"
	"fmt"
	"strconv"

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
	// LogGroup and LogStream name the CloudWatch Logs source.
	LogGroup, LogStream string
}

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
	// `{"index":{"_index":"<index>","_id":`, to avoid reformatting them.
	day       int64
	dayIndex  string
	dayAction []byte
	// The last log group and stream and the source-line tail they make:
	// `,"log_group":"...","log_stream":"...","event_id":`.
	group, stream string
	tail          []byte
	// The last timestamp and its decimal digits.
	ts       int64
	tsDigits []byte
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
	e.tsDigits = strconv.AppendInt(nil, e.ts, 10)
	e.setSource("", "")
	e.specs = make([]fieldSpec, len(fields))
	for i, f := range fields {
		e.specs[i] = fieldSpec{key: string(append(AppendString([]byte{','}, f.Column()), ':')), kind: f.Kind}
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
		e.day, e.dayIndex = day, IndexName(e.prefix, ms)
		e.dayAction = append(AppendString(append(e.dayAction[:0], actionStart...), e.dayIndex), actionID...)
	}
	return e.dayIndex, true
}

// setSource caches the source-line tail of a log group and stream.
func (e *Encoder) setSource(group, stream string) {
	e.group, e.stream = group, stream
	t := append(e.tail[:0], logGroupKey...)
	t = AppendString(t, group)
	t = append(t, streamKey...)
	t = AppendString(t, stream)
	e.tail = append(t, eventIDKey...)
}

// fieldSpec is how the encoder writes one field.
type fieldSpec struct {
	// key is `,"<column>":`.
	key  string
	kind flowlog.Kind
}

var (
	actionStart = []byte(`{"index":{"_index":`)
	actionID    = []byte(`,"_id":`)
	actionEnd   = []byte("}}\n")
	sourceStart = []byte(`{"` + TimestampField + `":`)
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
	if m.ID == "" {
		return dst, "", fmt.Errorf("%w: the event has no id", ErrBadValue)
	}
	if len(m.ID) > MaxIDLen {
		return dst, "", fmt.Errorf("%w: the event id is longer than %d bytes", ErrBadValue, MaxIDLen)
	}
	index, ok := e.Index(m.Timestamp)
	if !ok {
		return dst, "", fmt.Errorf("%w: event timestamp %d is not a time between 1970 and 9999", ErrBadValue, m.Timestamp)
	}
	if m.LogGroup != e.group || m.LogStream != e.stream {
		e.setSource(m.LogGroup, m.LogStream)
	}
	if m.Timestamp != e.ts {
		e.ts, e.tsDigits = m.Timestamp, strconv.AppendInt(e.tsDigits[:0], m.Timestamp, 10)
	}
	n := len(dst)
	dst = append(dst, e.dayAction...)
	idStart := len(dst)
	dst = AppendString(dst, m.ID)
	idEnd := len(dst)
	dst = append(dst, actionEnd...)

	dst = append(dst, sourceStart...)
	dst = append(dst, e.tsDigits...)
	specs := e.specs[:len(rec.Values)]
	for i, v := range rec.Values {
		if v == flowlog.Missing {
			continue
		}
		sp := &specs[i]
		dst = append(dst, sp.key...)
		var err error
		switch sp.kind {
		case flowlog.KindInt32:
			dst, err = appendInteger(dst, v, 32)
		case flowlog.KindInt64, flowlog.KindTime:
			dst, err = appendInteger(dst, v, 64)
		default:
			dst = AppendString(dst, v)
		}
		if err != nil {
			return dst[:n], "", fmt.Errorf("%w: field %s=%q: %v", ErrBadValue, e.fields[i].Name, v, err)
		}
	}
	dst = append(dst, e.tail...)
	dst = append(dst, dst[idStart:idEnd]...)
	dst = append(dst, '}', '\n')
	return dst, index, nil
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
