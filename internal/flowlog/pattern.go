package flowlog

import (
	"fmt"
	"strings"
)

// Op is a comparison in a metric-filter condition.
type Op string

// The comparisons of CloudWatch Logs space-delimited filter patterns.
const (
	OpEq Op = "="
	OpNe Op = "!="
	OpLt Op = "<"
	OpLe Op = "<="
	OpGt Op = ">"
	OpGe Op = ">="
)

// Condition restricts one field of a space-delimited filter pattern.
type Condition struct {
	Field string // catalog name, e.g. "dstport"
	Op    Op
	// Value is compared as a number for numeric fields and as a string
	// otherwise; a string value may end in "*" as a prefix wildcard.
	Value string
}

// FilterPattern renders a CloudWatch Logs space-delimited filter pattern that
// names every field of the format in order and applies the conditions, e.g.
//
//	[version, account_id, ..., srcaddr="10.0.0.155", dstport=22, protocol=6, ..., action="REJECT", log_status]
//
// Conditions on the same field are joined with &&. Conditions on fields that
// are not in the format are an error: the filter could never match.
func FilterPattern(fields []Field, conds []Condition) (string, error) {
	byField := make(map[string][]Condition, len(conds))
	for _, c := range conds {
		f, ok := Lookup(c.Field)
		if !ok {
			return "", &UnknownFieldError{Name: c.Field}
		}
		if !contains(fields, c.Field) {
			return "", fmt.Errorf("metric filter condition on %q, which is not in the flow log format", c.Field)
		}
		switch c.Op {
		case OpEq, OpNe:
		case OpLt, OpLe, OpGt, OpGe:
			if !f.IsNumeric() {
				return "", fmt.Errorf("comparison %s on non-numeric field %q", c.Op, c.Field)
			}
		default:
			return "", fmt.Errorf("unknown comparison %q on field %q", c.Op, c.Field)
		}
		if f.IsNumeric() && !isInteger(c.Value) {
			return "", fmt.Errorf("field %q is numeric; %q is not an integer", c.Field, c.Value)
		}
		if c.Value == "" {
			return "", fmt.Errorf("empty value for field %q: it would never match (flow logs write %q for a missing value)", c.Field, Missing)
		}
		// A backslash escapes the next character inside quotes; a wildcard
		// value is written unquoted, where these characters end the value.
		if strings.ContainsAny(c.Value, "\" \t\n[],\\") || strings.HasSuffix(c.Value, "*") && strings.ContainsAny(c.Value, "()&|=!<>%") {
			return "", fmt.Errorf("value %q for field %q contains a character a filter pattern cannot hold", c.Value, c.Field)
		}
		byField[c.Field] = append(byField[c.Field], c)
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, f := range fields {
		if i > 0 {
			b.WriteString(", ")
		}
		cs := byField[f.Name]
		if len(cs) == 0 {
			b.WriteString(f.Column())
			continue
		}
		for j, c := range cs {
			if j > 0 {
				b.WriteString(" && ")
			}
			b.WriteString(f.Column())
			b.WriteString(string(c.Op))
			b.WriteString(renderValue(f, c.Value))
		}
	}
	b.WriteByte(']')
	return b.String(), nil
}

func renderValue(f Field, v string) string {
	if f.IsNumeric() || strings.HasSuffix(v, "*") {
		return v
	}
	return `"` + v + `"`
}

func contains(fields []Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}
