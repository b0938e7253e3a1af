package flowlog

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
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
}

// Fields returns the record's fields, in format order.
func (r *Record) Fields() []Field { return r.fields }

// Len is the number of fields.
func (r *Record) Len() int { return len(r.Values) }

// Missing reports whether value i is "-".
func (r *Record) Missing(i int) bool { return r.Values[i] == Missing }

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
}

// NewParser returns a parser for lines with the given fields in this order.
func NewParser(fields []Field) *Parser {
	idx := make(map[string]int, len(fields))
	for i, f := range fields {
		idx[f.Name] = i
	}
	return &Parser{fields: append([]Field(nil), fields...), index: idx}
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
func (p *Parser) ParseInto(line string, r *Record) error {
	r.fields, r.index = p.fields, p.index
	vals := r.Values[:0]
	rest := strings.TrimRight(line, "\r\n")
	for len(rest) > 0 {
		// Flow log records separate values with single spaces; tolerate runs.
		for len(rest) > 0 && rest[0] == ' ' {
			rest = rest[1:]
		}
		if rest == "" {
			break
		}
		end := strings.IndexByte(rest, ' ')
		if end < 0 {
			end = len(rest)
		}
		if len(vals) == len(p.fields) {
			r.Values = vals
			return fmt.Errorf("%w: more than %d fields", ErrNotFlowLog, len(p.fields))
		}
		vals = append(vals, rest[:end])
		rest = rest[end:]
	}
	r.Values = vals
	if len(vals) != len(p.fields) {
		return fmt.Errorf("%w: %d fields, want %d", ErrNotFlowLog, len(vals), len(p.fields))
	}
	for i, v := range vals {
		if v == Missing {
			continue
		}
		f := &p.fields[i]
		switch f.Kind {
		case KindInt32, KindInt64, KindTime:
			if !isInteger(v) {
				return fmt.Errorf("%w: field %s=%q is not an integer", ErrNotFlowLog, f.Name, v)
			}
		case KindIP:
			if _, err := netip.ParseAddr(v); err != nil {
				return fmt.Errorf("%w: field %s=%q is not an IP address", ErrNotFlowLog, f.Name, v)
			}
		}
	}
	return nil
}

// isInteger reports whether s is a base-10 integer that fits in an int64,
// without a plus sign: the form flow logs write numbers in, and the form
// Record.Int can always convert.
func isInteger(s string) bool {
	if s == "" || s[0] == '+' {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}
