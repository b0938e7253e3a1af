package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// insightsLimit caps the rows the linked query returns.
const insightsLimit = 1000

// displayFields are the flow-log fields the linked query shows, in order,
// when the format records them: who talked to whom, on which port, and
// whether it was let through.
var displayFields = []string{"srcaddr", "dstaddr", "dstport", "protocol", "action"}

// InsightsQuery is a CloudWatch Logs Insights query over flow-log records
// of the given format that match a rule's filter pattern.
type InsightsQuery struct {
	// Text is the query, e.g.
	//	parse @message "* * ..." as version, account_id, ...
	//	| filter srcaddr = "10.0.0.155" and dstport = 22
	//	| display @timestamp, srcaddr, dstaddr, dstport, protocol, action
	//	| sort @timestamp desc
	//	| limit 1000
	Text string
	// Exact is false when part of the pattern could not be translated
	// (the query then lists more records than the rule matched).
	Exact bool
}

// BuildInsightsQuery translates a space-delimited filter pattern into a
// Logs Insights query: `parse @message` names every field of the format
// in order (the same order the flow log writes them and the pattern lists
// them), and each condition of the pattern becomes a filter on the field at
// its position. An empty pattern lists every record.
func BuildInsightsQuery(fields []flowlog.Field, pattern string) InsightsQuery {
	names := make([]string, len(fields))
	globs := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Column()
		globs[i] = "*"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "parse @message %q as %s", strings.Join(globs, " "), strings.Join(names, ", "))
	filter, exact := translatePattern(names, pattern)
	if filter != "" {
		b.WriteString("\n| filter " + filter)
	}
	var show []string
	for _, d := range displayFields {
		for _, f := range fields {
			if f.Name == d {
				show = append(show, f.Column())
			}
		}
	}
	b.WriteString("\n| display " + strings.Join(append([]string{"@timestamp"}, show...), ", "))
	b.WriteString("\n| sort @timestamp desc")
	fmt.Fprintf(&b, "\n| limit %d", insightsLimit)
	return InsightsQuery{Text: b.String(), Exact: exact}
}

// translatePattern returns the Insights filter for pattern over the named
// columns, and whether every condition was translated.
func translatePattern(columns []string, pattern string) (string, bool) {
	p := strings.TrimSpace(pattern)
	if p == "" {
		return "", true
	}
	if !strings.HasPrefix(p, "[") || !strings.HasSuffix(p, "]") {
		return "", false // not the space-delimited form
	}
	slots := splitTop(p[1:len(p)-1], ",")
	// Align slots with columns: a pattern without "..." names every field;
	// with one "...", the slots before it are the first fields and those
	// after it the last ones.
	pos := make([]int, len(slots))
	ellipsis := -1
	for i, s := range slots {
		if strings.TrimSpace(s) == "..." {
			if ellipsis >= 0 {
				return "", false
			}
			ellipsis = i
		}
	}
	switch {
	case ellipsis < 0 && len(slots) != len(columns):
		return "", false
	case ellipsis >= 0 && len(slots)-1 > len(columns):
		return "", false
	}
	for i := range slots {
		switch {
		case ellipsis < 0 || i < ellipsis:
			pos[i] = i
		case i == ellipsis:
			pos[i] = -1
		default:
			pos[i] = len(columns) - (len(slots) - i)
		}
	}
	exact := true
	var parts []string
	for i, s := range slots {
		if pos[i] < 0 {
			continue
		}
		expr, ok := translateSlot(columns[pos[i]], strings.TrimSpace(s))
		if !ok {
			exact = false
			continue
		}
		if expr != "" {
			parts = append(parts, expr)
		}
	}
	return strings.Join(parts, " and "), exact
}

var (
	identRe   = regexp.MustCompile(`^[A-Za-z0-9_$.@-]+`)
	opRe      = regexp.MustCompile(`^\s*(!=|<=|>=|=|<|>)\s*`)
	numberRe  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	regexSafe = regexp.MustCompile(`[\\.+*?()|\[\]{}^$/]`)
)

// translateSlot turns one slot ("dstport=22", `srcaddr="10.0.*"`,
// "dstport>=1024 && dstport<=2048", a bare name) into an Insights
// expression on column. Parentheses are not translated.
func translateSlot(column, slot string) (string, bool) {
	if strings.ContainsAny(unquoted(slot), "()") {
		return "", false
	}
	var ors []string
	for _, alt := range splitTop(slot, "||") {
		var ands []string
		for _, c := range splitTop(alt, "&&") {
			c = strings.TrimSpace(c)
			name := identRe.FindString(c)
			if name == "" {
				return "", false
			}
			rest := c[len(name):]
			if strings.TrimSpace(rest) == "" {
				continue // a bare field name matches anything
			}
			m := opRe.FindStringSubmatch(rest)
			if m == nil {
				return "", false
			}
			expr, ok := translateCond(column, m[1], strings.TrimSpace(rest[len(m[0]):]))
			if !ok {
				return "", false
			}
			ands = append(ands, expr)
		}
		if len(ands) > 0 {
			ors = append(ors, strings.Join(ands, " and "))
		}
	}
	switch len(ors) {
	case 0:
		return "", true
	case 1:
		return ors[0], true
	}
	return "(" + strings.Join(ors, " or ") + ")", true
}

// translateCond renders `column op value` in Insights syntax, with the
// filter-pattern semantics: a number is compared as a number, a value with a
// leading or trailing * is a wildcard, %...% is a regular expression.
func translateCond(column, op, value string) (string, bool) {
	neg := op == "!="
	switch {
	case strings.HasPrefix(value, "%") && strings.HasSuffix(value, "%") && len(value) > 2:
		if op != "=" && op != "!=" {
			return "", false
		}
		return fmt.Sprintf("%s %s /%s/", column, likeOp(neg), strings.ReplaceAll(value[1:len(value)-1], "/", `\/`)), true
	case strings.HasPrefix(value, `"`):
		s, err := strconv.Unquote(value)
		if err != nil || (op != "=" && op != "!=") {
			return "", false
		}
		return stringCond(column, neg, s), true
	case numberRe.MatchString(value):
		return fmt.Sprintf("%s %s %s", column, op, value), true
	case value == "" || strings.ContainsAny(value, " \t\"%"):
		return "", false
	default:
		if op != "=" && op != "!=" {
			return "", false
		}
		return stringCond(column, neg, value), true
	}
}

func likeOp(neg bool) string {
	if neg {
		return "not like"
	}
	return "like"
}

// stringCond compares column with a string that may start or end with the
// * wildcard.
func stringCond(column string, neg bool, v string) string {
	prefix, suffix := strings.HasPrefix(v, "*"), strings.HasSuffix(v, "*") && len(v) > 1
	if !prefix && !suffix {
		op := "="
		if neg {
			op = "!="
		}
		return fmt.Sprintf("%s %s %s", column, op, strconv.Quote(v))
	}
	lit := strings.TrimSuffix(strings.TrimPrefix(v, "*"), "*")
	re := regexSafe.ReplaceAllString(lit, `\$0`)
	if !prefix {
		re = "^" + re
	}
	if !suffix {
		re += "$"
	}
	return fmt.Sprintf("%s %s /%s/", column, likeOp(neg), re)
}

// splitTop splits s on sep where sep is outside double quotes and %...%
// regular expressions.
func splitTop(s, sep string) []string {
	var out []string
	inQuote, inRegex := false, false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\':
			i++
		case c == '"' && !inRegex:
			inQuote = !inQuote
		case c == '%' && !inQuote:
			inRegex = !inRegex
		case !inQuote && !inRegex && strings.HasPrefix(s[i:], sep):
			out = append(out, s[start:i])
			i += len(sep) - 1
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unquoted returns s without its quoted strings and regular expressions.
func unquoted(s string) string {
	var b strings.Builder
	inQuote, inRegex := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\':
			i++
		case c == '"' && !inRegex:
			inQuote = !inQuote
		case c == '%' && !inQuote:
			inRegex = !inRegex
		case !inQuote && !inRegex:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// InsightsURL is the CloudWatch console link that opens query over logGroup
// for [start, end] in region. The console keeps the query in the URL
// fragment, in the JSURL notation (~(key~value...)) with its own escaping.
func InsightsURL(region, logGroup, query string, start, end time.Time) string {
	detail := "~(end~'" + jsurlEscape(end.UTC().Format(insightsTime)) +
		"~start~'" + jsurlEscape(start.UTC().Format(insightsTime)) +
		"~timeType~'ABSOLUTE~tz~'UTC~editorString~'" + jsurlEscape(query) +
		"~source~(~'" + jsurlEscape(logGroup) + "))"
	return consoleBase(region) + "#logsV2:logs-insights$3FqueryDetail$3D" + detail
}

// AlarmURL is the CloudWatch console page of an alarm.
func AlarmURL(region, alarmName string) string {
	return consoleBase(region) + "#alarmsV2:alarm/" + url.PathEscape(alarmName)
}

const insightsTime = "2006-01-02T15:04:05.000Z"

// consoleBase is the CloudWatch console for region, in its partition.
func consoleBase(region string) string {
	host := region + ".console.aws.amazon.com"
	switch {
	case strings.HasPrefix(region, "cn-"):
		host = "console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		host = "console.amazonaws-us-gov.com"
	}
	return "https://" + host + "/cloudwatch/home?region=" + url.QueryEscape(region)
}

// jsurlEscape escapes a string value the way JSURL (and so the console)
// does: letters, digits, '-', '.' and '_' stay, '$' becomes '!', any other
// character below U+0100 becomes *XX and any other one **XXXX per UTF-16
// code unit.
func jsurlEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			b.WriteRune(r)
		case r == '$':
			b.WriteByte('!')
		case r < 0x100:
			fmt.Fprintf(&b, "*%02x", r)
		default:
			for _, u := range utf16Units(r) {
				fmt.Fprintf(&b, "**%04x", u)
			}
		}
	}
	return b.String()
}

func utf16Units(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xD800 + (r>>10)&0x3FF), uint16(0xDC00 + r&0x3FF)}
}
