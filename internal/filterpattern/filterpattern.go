// Package filterpattern parses and evaluates Amazon CloudWatch Logs filter
// patterns - the syntax of metric filters, subscription filters, filter log
// events and Live Tail - against log events, without calling AWS.
//
// It exists so that configuration can refuse an invalid raw alarm-rule
// pattern before any resource is registered (naming the position and the
// reason), and so that tests can prove that each metric-filter rule matches
// the VPC Flow Log records it is meant to match and no others.
//
// The reference is the CloudWatch Logs User Guide, "Filter pattern syntax
// for metric filters, subscription filters, filter log events, and Live
// Tail" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html)
// and its sub-pages on regular expressions
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html),
// unstructured, JSON and space-delimited log events
// (matching-terms-unstructured-log-events.html,
// matching-terms-json-log-events.html, ...), the single-page revision of
// the guide that preceded the sub-pages, and the guide's archived source
// (github.com/awsdocs/amazon-cloudwatch-logs-user-guide,
// doc_source/FilterAndPatternSyntax.md). Every documented example found in
// them is a test case with its documented outcome (syntax_test.go,
// filterpattern_test.go). Where an example uses syntax the text around it
// leaves out (a blank in a regular expression), the example wins, since it
// shows what AWS accepts; where a documented outcome contradicts a stated
// rule, the choice is recorded below.
//
// [Parse] decides the kind of a pattern by its first non-blank character:
// '[' starts a space-delimited pattern, '{' a JSON pattern, anything else is
// a term pattern ([Pattern.Kind]).
//
// # Limits (checked by Parse)
//
//   - A filter pattern is at most 1024 characters (the FilterPattern
//     constraint of PutMetricFilter,
//     https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html).
//   - A space-delimited or JSON pattern holds at most 2 regular expressions;
//     a regular-expression term pattern is one regular expression.
//   - A regular expression may use only letters, digits, the symbols
//     `: _ # = @ / ; , -`, the operators `^ $ ? [ ] { } | \ * + .` and the
//     blank: no parentheses, no tabs or other control characters, no
//     multi-byte characters. The guide's symbol list has no blank, but its
//     own example `%^starting|^initializing|^shutting down%` is documented
//     to match "shutting down", so the blank is accepted. `\xhh` matches
//     the other characters ("%\x28% matches (").
//   - "There is a maximum of 5 filter patterns containing regex for each log
//     group when creating metric filters or subscription filters": that limit
//     spans patterns, so Parse cannot check it; [Pattern.Regexps] lets the
//     caller count (internal/stackconfig does, for alarmRules).
//
// # Term patterns (unstructured log events)
//
//   - A term is a run of letters, digits and '_' (`ERROR`), or any text in
//     double quotes (`"10.0.0.155"`, `"Failed to process"`), with `\"` and
//     `\\` escapes. "Terms that include characters other than alphanumeric
//     or underscore must be placed inside double quotes": an unquoted term
//     with another character is a syntax error.
//   - A term matches an event that contains it anywhere, case sensitively
//     (`ERROR` matches "Exiting with ERRORCODE: -1"). Every plain term must
//     occur; a term prefixed with '-' must not occur. Of the terms prefixed
//     with '?' at least one must occur when they are the only terms; next
//     to a plain or '-' term they are ignored: "If you combine "?" with
//     other filter patterns, all question mark terms will be ignored", so
//     `?ERROR ?ARGUMENTS REQUEST` matches "[INFO] REQUEST FAILED" (the
//     guide's single-page revision; the current unstructured sub-page drops
//     the note without saying otherwise). [Pattern.IgnoredOptionalTerms]
//     names such terms. Blanks separate terms and may follow a prefix (the
//     guide writes `"ERROR" - "Exiting"`).
//   - A pattern that is only a quoted blank matches every event: the
//     guide's "match everything" example is `" "`, which "returns all log
//     events". Among other terms (or with a prefix) a quoted blank is a
//     phrase like any other: `-" "` excludes events that contain a blank.
//   - `%regex%` alone is a regular-expression pattern, searched for anywhere
//     in the event.
//   - The empty (or blank) pattern matches every event, as for subscription
//     filters and FilterLogEvents.
//
// # JSON patterns
//
//   - `{ SELECTOR OP VALUE }`, combined with && and || (&& binds tighter; ()
//     group). A selector starts at the root `$` with a property and goes on
//     with `.name` (letters, digits, '-', '_'), `.['name']` (any other
//     name: `$.['cluster.name']`) and `[index]`: `$.users[0].email`,
//     `$.coordinates[0][1]`.
//   - Wildcards: `[*]` selects every element of an array and `.*` every
//     property of an object (`$.arrayKey[*]`, `$.*`, `$.users[*].id`). "You
//     can only use up to one wildcard selector in a property selector, and
//     up to three wildcard selectors in a filter pattern with compound
//     expressions": Parse refuses a second wildcard in one selector and a
//     fourth in one pattern.
//   - Tests: `= / !=` a string (quoted, or unquoted with leading/trailing
//     `*` wildcards: `123.123.*`), `= != < <= > >=` a number (`10e-3`,
//     `+1000`, `55.5`), `= / !=` a `%regex%`, `= *` (any value), `IS NULL`,
//     `IS TRUE`, `IS FALSE`, `NOT EXISTS`.
//   - An event matches when it is one JSON object and the expression holds.
//     A selector that points to an array or object fails both = and != (the
//     guide's `{$.users = 1}` / `{$.users != 1}` example); so does a value of
//     the wrong type: a string test on a number, a numeric test on a string
//     ("400"), and any test but NOT EXISTS on a missing property.
//   - Unquoted string values may not hold '@', '$', '\' or non-ASCII
//     characters ("must be enclosed in double quotes").
//
// # Space-delimited patterns
//
//   - A pattern is enclosed in square brackets and lists comma-separated
//     fields: `[ip, user, username, timestamp, request, status_code, bytes]`.
//   - Fields are matched by position against the whitespace-separated fields
//     of the log line. Characters between a pair of double quotes ("...") or
//     square brackets ([...]) in the line form a single field; the enclosing
//     quotes or brackets are not part of the field's value (the doc's
//     extracted-fields example shows `$request` without its quotes).
//   - `...` (ellipsis) stands for any number of unnamed fields:
//     `[..., status_code, bytes]`, `[ip, user, ..., status_code, bytes]`,
//     `[ip, user, ...]`.
//   - A field may carry a condition: `bytes > 1000`, `status_code = 200`,
//     `status_code = 4*`, `request = *html*`, `srcaddr = "10.0.0.155"`.
//     Operators are =, !=, <, <=, >, >=. Whitespace around operators is allowed.
//   - Conditions on one field can be combined with && and ||:
//     `[ip, user, username, timestamp, request, status_code = 404 || status_code = 410, bytes]`,
//     `[w1!=ERROR && w1!=WARNING, w2]`. && binds tighter than ||, and
//     parentheses group, following the order of operations the doc gives for
//     compound expressions: () > && > ||.
//   - A value between percent signs is a regular expression:
//     `url=%/service/resource/[0-9]+$%`. It may use only the characters the
//     doc allows (letters, digits, `: _ # = @ / ; , -`, the operators
//     `^ $ ? [ ] { } | \ * + .` and the blank; no parentheses, no
//     multi-byte characters), and a pattern may contain at most 2 regular
//     expressions.
//   - Matching is case sensitive.
//   - A filter pattern may be at most 1024 characters long (the
//     PutMetricFilter API limit).
//
// # Value semantics
//
//   - A value that is an unquoted number (optional sign, digits, optional
//     fraction, optional exponent: `22`, `-1.5`, `1e+3`) makes a numeric
//     condition: the field must itself parse as such a number and is compared
//     numerically (so `dstport = 22` matches `22` and `022`). The relational
//     operators <, <=, >, >= require a numeric value.
//   - Any other value (quoted, or unquoted and non-numeric such as `ACCEPT`,
//     `4*`, `10.0.0.*`, `-`) makes a string condition, which only = and !=
//     accept. `dstport = "22"` therefore compares strings and does not match
//     `022`.
//   - In string conditions `*` is a wildcard when it is the first and/or last
//     character of the value: `4*` (prefix), `*.html` (suffix), `*html*`
//     (contains), `*` (anything). This holds inside double quotes too.
//
// # Choices where the AWS documentation is silent
//
//   - Term patterns: a quoted term is one phrase (it must occur as written,
//     blanks included); a %regex% cannot be mixed with terms; a term takes
//     one prefix ('?-x' is an error).
//   - JSON wildcards: the guide says a wildcard selects "any array element
//     or any JSON object field" and shows only matches. A wildcard
//     selector passes a test when at least one selected value passes it
//     (so `$.a[*] != "x"` holds when some element is not "x"), and NOT
//     EXISTS when it selects nothing. `.*` selects nothing in an array and
//     `[*]` nothing in an object. A bracket-quoted name is written
//     `.['name']` as in the guide (`$.a['b']` and double quotes are
//     refused); it may hold any character but a single quote.
//   - JSON patterns: keywords (IS, NULL, TRUE, FALSE, NOT, EXISTS) are upper
//     case; `= *` matches a string, number or boolean but not null, arrays or
//     objects; `!= *` matches nothing; a %regex% tests strings only; numbers
//     compare numerically (`= 400` matches 400.0).
//   - `[]` (no fields) matches every event, like `[...]`.
//   - The guide's paragraph on OR matching in space-delimited filters gives
//     outcomes its own rule contradicts: `[w1=ERROR, w2]` "matches pattern 2
//     because ERROR is the first word" though event 1 (`ERROR WARN
//     message`) starts with ERROR too, and `[w1!=ERROR&&w1!=WARN, w2]`
//     "matches lines containing both ERROR and WARN (pattern 1)", whose
//     first word is ERROR (an older revision even wrote `=!`, which is not
//     an operator). This package follows the rule and the guide's other
//     w1/w2 examples: w1 is the first field and the last field takes the
//     rest of the line (TestDocDelimitedOrExamples).
//   - Field count. When the pattern has no `...`, a line with fewer fields
//     than the pattern never matches, and a line with more fields than the
//     pattern is matched with the LAST pattern field taking the rest of the
//     line (the raw text from that field to the end of the line, inner quotes
//     and spacing kept). This is what the doc's own example requires: it
//     states that `[w1=ERROR, w2]` returns the event
//     `ERROR 09/25/2014 12:00:02 Failed to process request` (seven fields)
//     and tells readers to add the "blank w2 indicator" after w1. With `...`
//     in the pattern the ellipsis takes the extra fields instead, and matches
//     zero or more fields.
//   - A numeric condition never matches a field that is not a number, whatever
//     the operator: `bytes != 0` does not match `-` (the value VPC Flow Logs
//     write for NODATA/SKIPDATA records). This mirrors the doc's statement for
//     JSON patterns that both `=` and `!=` fail when the selected value has the
//     wrong type. Use a string condition (`bytes != -`) to test for `-`.
//   - `*` in the middle of a value is a literal character, as the doc states
//     for JSON patterns ("Ev*ent will only match the actual string Ev*ent").
//   - All conditions in one comma-separated field must test that same field:
//     `status_code = 4* && bytes > 1000` is a syntax error. CloudWatch rejects
//     this doc example with "Invalid filter pattern"
//     (github.com/awsdocs/amazon-cloudwatch-logs-user-guide issue 21).
//   - Field names are made of ASCII letters, digits and underscores and must be
//     unique within a pattern. At most one `...` is allowed.
//   - A trailing comma, as in the doc example `[..., request=*.html*, status_code=4*,]`,
//     adds one unnamed field (the doc's extracted fields show it as `$7`);
//     [Pattern.Fields] reports it as "". Empty fields elsewhere (`[a,,b]`)
//     are errors.
//   - Unquoted values end at whitespace or at one of `, [ ] ( ) " & | = ! < > %`.
//     Quoted values may contain `\"` and `\\` escapes; any other backslash is
//     kept literally.
//   - Regular expressions are searched for anywhere in the field (the doc's
//     examples anchor explicitly with ^ and $) and are evaluated with Go's
//     RE2 engine, which agrees with CloudWatch on the restricted syntax
//     above; `{,n}` ("Either m or n can be omitted") is read as `{0,n}`
//     and `{m, n}` (the page's own spelling, with a blank) as `{m,n}`,
//     which RE2 would take literally. Every example of the regex page's
//     "Usage of supported operators" is a test case (syntax_test.go).
//   - Log lines are split on runs of ASCII whitespace (space, tab, CR, LF, VT,
//     FF). A double quote or opening square bracket groups only at the start
//     of a field, the field ends at the first matching closing character
//     (brackets do not nest), and an opening character without a closing one
//     is an ordinary character.
package filterpattern

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxLength is the maximum length of a filter pattern, in characters, that
// CloudWatch Logs accepts (the FilterPattern constraint of PutMetricFilter).
const maxLength = 1024

// maxRegexps is the documented quota of regular expressions per
// space-delimited or JSON filter pattern.
const maxRegexps = 2

// MaxRegexPatternsPerLogGroup is the CloudWatch Logs quota of filter
// patterns containing a regular expression per log group, counting metric
// filters and subscription filters
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html;
// PutMetricFilter: "a quota of five regular expression patterns per log group",
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html).
const MaxRegexPatternsPerLogGroup = 5

// Pattern is a compiled space-delimited filter pattern. It is immutable and
// safe for concurrent use.
type Pattern struct {
	src    string
	kind   Kind
	nRegex int // regular expressions (%...%) in the pattern

	// KindDelimited
	slots    []slot
	ellipsis int // index of the "..." slot, or -1

	// KindTerms
	terms *termPattern

	// KindJSON
	json jsonNode
}

// Kind is the form of a filter pattern.
type Kind int

const (
	// KindTerms is a pattern over unstructured text: terms, quoted phrases,
	// ?OR terms, -excluded terms, a standalone %regex%, or the empty
	// pattern (which matches every event).
	KindTerms Kind = iota
	// KindJSON is a `{ $.selector op value ... }` pattern over JSON events.
	KindJSON
	// KindDelimited is a `[field, field=value, ...]` pattern over
	// space-delimited events.
	KindDelimited
)

func (k Kind) String() string {
	switch k {
	case KindTerms:
		return "terms"
	case KindJSON:
		return "JSON"
	case KindDelimited:
		return "space-delimited"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// slot is one comma-separated element of the pattern.
type slot struct {
	name     string // "" for the unnamed trailing field and for "..."
	ellipsis bool
	expr     node // nil: any value matches
}

// SyntaxError reports a malformed pattern. Offset is the byte offset in
// Pattern where the problem was found and Column the corresponding 1-based
// character column.
type SyntaxError struct {
	Pattern string
	Offset  int
	Column  int
	Msg     string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("filterpattern: at column %d: %s", e.Column, e.Msg)
}

// Parse compiles a filter pattern of any kind: a space-delimited pattern
// such as `[version, srcaddr="10.0.0.155", dstport=22, ...]`, a JSON
// pattern such as `{ $.action = "REJECT" }`, or a term pattern such as
// `REJECT -"172.31."` or `%^2 [0-9]+%`. The first non-blank character
// decides the kind: '[' space-delimited, '{' JSON, anything else terms.
// It returns a *SyntaxError giving the position and the reason when the
// pattern is malformed or exceeds a limit CloudWatch Logs enforces.
func Parse(pattern string) (*Pattern, error) {
	ps := &parser{src: pattern}
	if n := utf8.RuneCountInString(pattern); n > maxLength {
		return nil, ps.errorf(0, "pattern is %d characters long; CloudWatch Logs accepts at most %d", n, maxLength)
	}
	if !utf8.ValidString(pattern) {
		i := 0
		for i < len(pattern) {
			r, size := utf8.DecodeRuneInString(pattern[i:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			i += size
		}
		return nil, ps.errorf(i, "the pattern is not valid UTF-8")
	}
	ps.skipSpace()
	var p *Pattern
	var err error
	switch ps.peek() {
	case '[':
		p, err = ps.parsePattern()
	case '{':
		p, err = ps.parseJSONPattern()
	default:
		p, err = ps.parseTermPattern()
	}
	if err != nil {
		return nil, err
	}
	p.src = pattern
	p.nRegex = ps.nRegex
	return p, nil
}

// Kind reports the form of the pattern.
func (p *Pattern) Kind() Kind {
	if p == nil {
		return KindTerms
	}
	return p.kind
}

// Regexps reports how many regular expressions (%...%) the pattern
// contains. CloudWatch Logs allows at most 5 filter patterns containing a
// regular expression per log group, counting metric and subscription
// filters (see the package documentation).
func (p *Pattern) Regexps() int {
	if p == nil {
		return 0
	}
	return p.nRegex
}

// MustParse is like [Parse] but panics if the pattern is malformed. It is
// intended for patterns that are constants in tests and code.
func MustParse(pattern string) *Pattern {
	p, err := Parse(pattern)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern text the Pattern was parsed from.
func (p *Pattern) String() string {
	if p == nil {
		return ""
	}
	return p.src
}

// Fields returns the field names of a space-delimited pattern in pattern
// order. The ellipsis is not included; the unnamed field created by a
// trailing comma is reported as "". Term and JSON patterns have no fields
// (nil).
func (p *Pattern) Fields() []string {
	if p == nil || p.kind != KindDelimited {
		return nil
	}
	names := make([]string, 0, len(p.slots))
	for _, s := range p.slots {
		if !s.ellipsis {
			names = append(names, s.name)
		}
	}
	return names
}

// Match reports whether the log event (one line) satisfies the pattern. See
// the package documentation for how each kind of pattern reads the event. A
// nil Pattern matches nothing.
func (p *Pattern) Match(line string) bool {
	if p == nil {
		return false
	}
	switch p.kind {
	case KindTerms:
		return p.terms.match(line)
	case KindJSON:
		return matchJSON(p.json, line)
	}
	if len(p.slots) == 0 {
		// `[]`: no fields, no conditions.
		return true
	}
	toks := tokenize(line)
	if p.ellipsis < 0 {
		n := len(p.slots)
		if len(toks) < n {
			return false
		}
		for i := 0; i < n-1; i++ {
			if !p.slots[i].match(toks[i].val) {
				return false
			}
		}
		last := toks[n-1].val
		if len(toks) > n {
			// The last pattern field takes the rest of the line.
			last = line[toks[n-1].start:toks[len(toks)-1].end]
		}
		return p.slots[n-1].match(last)
	}
	pre, post := p.slots[:p.ellipsis], p.slots[p.ellipsis+1:]
	if len(toks) < len(pre)+len(post) {
		return false
	}
	for i, s := range pre {
		if !s.match(toks[i].val) {
			return false
		}
	}
	off := len(toks) - len(post)
	for i, s := range post {
		if !s.match(toks[off+i].val) {
			return false
		}
	}
	return true
}

func (s *slot) match(v string) bool {
	if s.expr == nil {
		return true
	}
	return s.expr.eval(&fieldValue{s: v})
}

// ---------------------------------------------------------------------------
// Log line tokenizer

type token struct {
	val        string // field value, without enclosing quotes/brackets
	start, end int    // raw extent in the line, delimiters included
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

func tokenize(line string) []token {
	var toks []token
	i, n := 0, len(line)
	for {
		for i < n && isSpace(line[i]) {
			i++
		}
		if i >= n {
			return toks
		}
		start := i
		if c := line[i]; c == '"' || c == '[' {
			closing := byte('"')
			if c == '[' {
				closing = ']'
			}
			if j := strings.IndexByte(line[i+1:], closing); j >= 0 {
				end := i + 1 + j + 1
				toks = append(toks, token{val: line[i+1 : end-1], start: start, end: end})
				i = end
				continue
			}
			// No closing character: an ordinary field.
		}
		for i < n && !isSpace(line[i]) {
			i++
		}
		toks = append(toks, token{val: line[start:i], start: start, end: i})
	}
}

// ---------------------------------------------------------------------------
// Condition evaluation

type fieldValue struct {
	s      string
	parsed bool
	isNum  bool
	num    float64
}

func (v *fieldValue) number() (float64, bool) {
	if !v.parsed {
		v.parsed = true
		v.num, v.isNum = parseNumber(v.s)
	}
	return v.num, v.isNum
}

var numberRE = regexp.MustCompile(`^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$`)

// parseNumber accepts an integer or decimal with an optional sign and an
// optional exponent, as the doc describes numbers. Out-of-range values
// become ±Inf or 0 rather than being rejected.
func parseNumber(s string) (float64, bool) {
	if !numberRE.MatchString(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	return f, true
}

type node interface {
	eval(v *fieldValue) bool
}

type orNode []node

func (n orNode) eval(v *fieldValue) bool {
	for _, c := range n {
		if c.eval(v) {
			return true
		}
	}
	return false
}

type andNode []node

func (n andNode) eval(v *fieldValue) bool {
	for _, c := range n {
		if !c.eval(v) {
			return false
		}
	}
	return true
}

// strCond is `field = value` / `field != value` on strings, with optional
// leading/trailing `*` wildcards.
type strCond struct {
	neg            bool
	lit            string
	prefix, suffix bool // value started / ended with '*'
}

func (c *strCond) eval(v *fieldValue) bool {
	var m bool
	switch {
	case c.prefix && c.suffix:
		m = strings.Contains(v.s, c.lit)
	case c.prefix:
		m = strings.HasSuffix(v.s, c.lit)
	case c.suffix:
		m = strings.HasPrefix(v.s, c.lit)
	default:
		m = v.s == c.lit
	}
	return m != c.neg
}

func newStrCond(neg bool, val string) *strCond {
	c := &strCond{neg: neg}
	if strings.HasPrefix(val, "*") {
		c.prefix = true
		val = val[1:]
	}
	if strings.HasSuffix(val, "*") {
		c.suffix = true
		val = val[:len(val)-1]
	}
	c.lit = val
	return c
}

type numCond struct {
	op  string
	num float64
}

func (c *numCond) eval(v *fieldValue) bool {
	f, ok := v.number()
	if !ok {
		return false
	}
	switch c.op {
	case "=":
		return f == c.num
	case "!=":
		return f != c.num
	case "<":
		return f < c.num
	case "<=":
		return f <= c.num
	case ">":
		return f > c.num
	case ">=":
		return f >= c.num
	}
	return false
}

type reCond struct {
	neg bool
	re  *regexp.Regexp
}

func (c *reCond) eval(v *fieldValue) bool {
	return c.re.MatchString(v.s) != c.neg
}

// ---------------------------------------------------------------------------
// Pattern parser
//
//	pattern := '[' slot (',' slot)* ']'
//	slot    := '...' | name | or | <empty, last slot only>
//	or      := and ('||' and)*
//	and     := primary ('&&' primary)*
//	primary := '(' or ')' | name op value
//	op      := '=' | '!=' | '<' | '<=' | '>' | '>='
//	value   := '"' chars '"' | '%' regex '%' | unquoted

type parser struct {
	src      string
	pos      int
	nRegex   int
	nWild    int    // JSON wildcard selectors ('.*', '[*]') so far
	slotName string // field tested by the slot being parsed
}

func (ps *parser) errorf(off int, format string, args ...any) error {
	if off > len(ps.src) {
		off = len(ps.src)
	}
	return &SyntaxError{
		Pattern: ps.src,
		Offset:  off,
		Column:  utf8.RuneCountInString(ps.src[:off]) + 1,
		Msg:     fmt.Sprintf(format, args...),
	}
}

// found describes what is at offset off, for error messages.
func (ps *parser) found(off int) string {
	if off >= len(ps.src) {
		return "end of pattern"
	}
	r, _ := utf8.DecodeRuneInString(ps.src[off:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte %#02x", ps.src[off])
	}
	return strconv.QuoteRune(r)
}

func (ps *parser) eof() bool { return ps.pos >= len(ps.src) }

func (ps *parser) peek() byte {
	if ps.eof() {
		return 0
	}
	return ps.src[ps.pos]
}

func (ps *parser) skipSpace() {
	for ps.pos < len(ps.src) && isSpace(ps.src[ps.pos]) {
		ps.pos++
	}
}

// parsePattern parses a space-delimited pattern; ps.pos is at its '['.
func (ps *parser) parsePattern() (*Pattern, error) {
	open := ps.pos
	ps.pos++
	p := &Pattern{kind: KindDelimited, ellipsis: -1}
	seen := map[string]int{} // field name -> offset of first use
	for {
		ps.skipSpace()
		start := ps.pos
		s, empty, err := ps.parseSlot()
		if err != nil {
			return nil, err
		}
		ps.skipSpace()
		if ps.eof() {
			return nil, ps.errorf(ps.pos, "expected ',' or ']', found end of pattern (the '[' at column %d is not closed)", utf8.RuneCountInString(ps.src[:open])+1)
		}
		c := ps.peek()
		if empty {
			switch {
			case c == ',':
				return nil, ps.errorf(start, "empty field: expected a field name or '...' before ','")
			case c == ']' && len(p.slots) == 0:
				// `[]`: a pattern without fields.
				ps.pos++
				ps.skipSpace()
				if !ps.eof() {
					return nil, ps.errorf(ps.pos, "unexpected %s after the closing ']'", ps.found(ps.pos))
				}
				return p, nil
			case c != ']':
				return nil, ps.errorf(ps.pos, "expected a field name or '...', found %s", ps.found(ps.pos))
			}
			// A trailing comma: one unnamed field.
		}
		if s.ellipsis {
			if p.ellipsis >= 0 {
				return nil, ps.errorf(start, "only one '...' is allowed in a pattern")
			}
			p.ellipsis = len(p.slots)
		}
		if s.name != "" {
			if prev, dup := seen[s.name]; dup {
				return nil, ps.errorf(start, "duplicate field name %q (first used at column %d)", s.name, utf8.RuneCountInString(ps.src[:prev])+1)
			}
			seen[s.name] = start
		}
		p.slots = append(p.slots, s)
		switch c {
		case ',':
			ps.pos++
			continue
		case ']':
			ps.pos++
			ps.skipSpace()
			if !ps.eof() {
				return nil, ps.errorf(ps.pos, "unexpected %s after the closing ']'", ps.found(ps.pos))
			}
			return p, nil
		}
		what := "field"
		if s.ellipsis {
			what = "'...'"
		} else if s.name != "" {
			what = fmt.Sprintf("field %q", s.name)
		}
		return nil, ps.errorf(ps.pos, "expected ',' or ']' after %s, found %s", what, ps.found(ps.pos))
	}
}

// parseSlot parses one comma-separated element. empty reports that nothing
// was there (the caller decides whether that is allowed).
func (ps *parser) parseSlot() (s slot, empty bool, err error) {
	start := ps.pos
	if ps.eof() || ps.peek() == ',' || ps.peek() == ']' {
		return slot{}, true, nil
	}
	if strings.HasPrefix(ps.src[ps.pos:], "...") {
		ps.pos += 3
		return slot{ellipsis: true}, false, nil
	}
	if strings.HasPrefix(ps.src[ps.pos:], "…") {
		return slot{}, false, ps.errorf(ps.pos, "found the character '…'; write the ellipsis as three dots '...'")
	}
	// A bare field name?
	if name := ps.ident(); name != "" {
		ps.skipSpace()
		if ps.eof() || ps.peek() == ',' || ps.peek() == ']' {
			return slot{name: name}, false, nil
		}
		ps.pos = start
	}
	ps.slotName = ""
	expr, err := ps.parseOr()
	if err != nil {
		return slot{}, false, err
	}
	return slot{name: ps.slotName, expr: expr}, false, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func (ps *parser) ident() string {
	start := ps.pos
	for ps.pos < len(ps.src) && isIdentByte(ps.src[ps.pos]) {
		ps.pos++
	}
	return ps.src[start:ps.pos]
}

func (ps *parser) parseOr() (node, error) {
	return chain(ps, "||", ps.parseAnd, func(ts []node) node { return orNode(ts) })
}

func (ps *parser) parseAnd() (node, error) {
	return chain(ps, "&&", ps.parsePrimary, func(ts []node) node { return andNode(ts) })
}

// chain parses operand (op operand)*, for the && and || of space-delimited
// and JSON conditions alike: one operand as it is, several joined by join.
func chain[N any](ps *parser, op string, operand func() (N, error), join func([]N) N) (N, error) {
	first, err := operand()
	if err != nil {
		return first, err
	}
	terms := []N{first}
	for {
		ps.skipSpace()
		if !strings.HasPrefix(ps.src[ps.pos:], op) {
			break
		}
		ps.pos += len(op)
		t, err := operand()
		if err != nil {
			return t, err
		}
		terms = append(terms, t)
	}
	if len(terms) == 1 {
		return first, nil
	}
	return join(terms), nil
}

func (ps *parser) parsePrimary() (node, error) {
	ps.skipSpace()
	if ps.peek() == '(' {
		open := ps.pos
		ps.pos++
		n, err := ps.parseOr()
		if err != nil {
			return nil, err
		}
		ps.skipSpace()
		if ps.peek() != ')' {
			return nil, ps.errorf(ps.pos, "expected ')' to close the '(' at column %d, found %s", utf8.RuneCountInString(ps.src[:open])+1, ps.found(ps.pos))
		}
		ps.pos++
		return n, nil
	}
	return ps.parseCond()
}

func (ps *parser) parseCond() (node, error) {
	nameAt := ps.pos
	name := ps.ident()
	if name == "" {
		if strings.HasPrefix(ps.src[ps.pos:], "...") {
			return nil, ps.errorf(ps.pos, "'...' cannot be combined with conditions")
		}
		return nil, ps.errorf(ps.pos, "expected a field name, found %s (names may contain letters, digits and '_')", ps.found(ps.pos))
	}
	if ps.slotName == "" {
		ps.slotName = name
	} else if name != ps.slotName {
		return nil, ps.errorf(nameAt, "condition on %q inside field %q: all conditions in one comma-separated field must test that field", name, ps.slotName)
	}
	ps.skipSpace()
	opAt := ps.pos
	var op string
	for _, o := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(ps.src[ps.pos:], o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, ps.errorf(ps.pos, "expected a comparison operator (=, !=, <, <=, >, >=) after field name %q, found %s", name, ps.found(ps.pos))
	}
	ps.pos += len(op)
	return ps.parseValue(name, op, opAt)
}

// unquotedStop reports whether c ends an unquoted value.
func unquotedStop(c byte) bool {
	if isSpace(c) {
		return true
	}
	return strings.IndexByte(`,[]()"&|=!<>%`, c) >= 0
}

func (ps *parser) parseValue(name, op string, opAt int) (node, error) {
	ps.skipSpace()
	at := ps.pos
	if ps.eof() {
		return nil, ps.errorf(at, "expected a value after %q, found end of pattern", op)
	}
	switch c := ps.peek(); c {
	case '"':
		val, err := ps.quoted()
		if err != nil {
			return nil, err
		}
		if op != "=" && op != "!=" {
			return nil, ps.errorf(opAt, "operator %q needs a number, but the value is the quoted string %q", op, val)
		}
		return newStrCond(op == "!=", val), nil
	case '%':
		re, err := ps.regex()
		if err != nil {
			return nil, err
		}
		if op != "=" && op != "!=" {
			return nil, ps.errorf(opAt, "operator %q cannot be used with a regular expression (only = and !=)", op)
		}
		return &reCond{neg: op == "!=", re: re}, nil
	case '=':
		if op == "=" {
			return nil, ps.errorf(opAt, "'==' is not an operator; use '='")
		}
	case '!':
		if op == "=" {
			return nil, ps.errorf(opAt, "'=!' is not an operator; use '!=' for not-equal")
		}
	}
	for ps.pos < len(ps.src) && !unquotedStop(ps.src[ps.pos]) {
		ps.pos++
	}
	val := ps.src[at:ps.pos]
	if val == "" {
		return nil, ps.errorf(at, "expected a value after %q for field %q, found %s", op, name, ps.found(at))
	}
	if f, ok := parseNumber(val); ok {
		return &numCond{op: op, num: f}, nil
	}
	if op != "=" && op != "!=" {
		return nil, ps.errorf(at, "operator %q needs a number, found %q", op, val)
	}
	return newStrCond(op == "!=", val), nil
}

// quoted reads a double-quoted value at ps.pos.
func (ps *parser) quoted() (string, error) {
	open := ps.pos
	ps.pos++
	var b strings.Builder
	for ps.pos < len(ps.src) {
		c := ps.src[ps.pos]
		switch {
		case c == '"':
			ps.pos++
			return b.String(), nil
		case c == '\\' && ps.pos+1 < len(ps.src) && (ps.src[ps.pos+1] == '"' || ps.src[ps.pos+1] == '\\'):
			b.WriteByte(ps.src[ps.pos+1])
			ps.pos += 2
		default:
			b.WriteByte(c)
			ps.pos++
		}
	}
	return "", ps.errorf(open, "unterminated quoted value: no closing '\"'")
}

// regexAllowed lists the non-alphanumeric characters the doc permits in a
// filter-pattern regular expression: the symbols `: _ # = @ / ; , -`, the
// operators, and the blank. The regex page's current list starts with ':';
// older copies of it leave ':' out. The list has no blank, but the page's
// own example `%^starting|^initializing|^shutting down%` "can match ...
// "shutting down"", so a blank (U+0020 only; not a tab or a newline) is
// accepted
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html).
const regexAllowed = `:_#=@/;,-^$?[]{}|\*+. `

// regexForGo rewrites a filter-pattern regular expression for Go's RE2
// syntax. The regex page writes the repetition operator `{m, n}` with a
// blank and says "Either m or n can be omitted", but RE2 reads a brace
// with a blank in it, or `{,n}`, as literal text: an unescaped brace of
// digits, one comma and blanks outside a character class loses its blanks,
// and `{,n}` becomes `{0,n}`. Escapes (`\{` and a `\Q...\E` quote) and
// character classes (with their `[:alpha:]` classes) are copied as they are.
func regexForGo(body string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body) && body[i+1] == 'Q':
			// RE2 quotes everything up to \E (or the end) literally.
			end := strings.Index(body[i+2:], `\E`)
			if end < 0 {
				b.WriteString(body[i:])
				return b.String()
			}
			b.WriteString(body[i : i+2+end+2])
			i += 2 + end + 1
			continue
		case c == '\\' && i+1 < len(body):
			b.WriteByte(c)
			i++
			c = body[i]
		case inClass:
			if c == '[' && i+1 < len(body) && body[i+1] == ':' {
				if end := strings.Index(body[i+2:], ":]"); end >= 0 {
					b.WriteString(body[i : i+2+end+2])
					i += 2 + end + 1
					continue
				}
			}
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			// A ']' first in the class (after an optional '^') is literal.
			j := i + 1
			if j < len(body) && body[j] == '^' {
				j++
			}
			if j < len(body) && body[j] == ']' {
				b.WriteString(body[i : j+1])
				i = j
				continue
			}
		case c == '{':
			if q, n, ok := repetition(body[i:]); ok {
				b.WriteString(q)
				i += n - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// repetition reads a repetition operator at the start of s: `{`, digits, at
// most one comma, digits, `}`, with blanks anywhere between them and at
// least one digit. It returns the operator as RE2 reads it (no blanks,
// `{,n}` as `{0,n}`) and its length in s.
func repetition(s string) (string, int, bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return "", 0, false
	}
	inner := strings.ReplaceAll(s[1:end], " ", "")
	m, n, comma := strings.Cut(inner, ",")
	digits := func(x string) bool { return strings.Trim(x, "0123456789") == "" }
	if !digits(m) || !digits(n) || strings.Contains(n, ",") || (m == "" && n == "") || (!comma && m == "") {
		return "", 0, false
	}
	if comma && m == "" {
		m = "0"
	}
	if comma {
		return "{" + m + "," + n + "}", end + 1, true
	}
	return "{" + m + "}", end + 1, true
}

// regex reads a %...% regular expression at ps.pos.
func (ps *parser) regex() (*regexp.Regexp, error) {
	open := ps.pos
	end := strings.IndexByte(ps.src[open+1:], '%')
	if end < 0 {
		return nil, ps.errorf(open, "unterminated regular expression: no closing '%%'")
	}
	body := ps.src[open+1 : open+1+end]
	if body == "" {
		return nil, ps.errorf(open, "empty regular expression '%%%%'")
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c >= utf8.RuneSelf {
			return nil, ps.errorf(open+1+i, "multi-byte characters are not supported in regular expressions")
		}
		if isIdentByte(c) || strings.IndexByte(regexAllowed, c) >= 0 {
			continue
		}
		if c == '(' || c == ')' {
			return nil, ps.errorf(open+1+i, "parentheses are not supported in regular expressions")
		}
		return nil, ps.errorf(open+1+i, "character %q is not supported in regular expressions", c)
	}
	ps.nRegex++
	if ps.nRegex > maxRegexps {
		return nil, ps.errorf(open, "a space-delimited or JSON pattern may contain at most %d regular expressions", maxRegexps)
	}
	re, err := regexp.Compile(regexForGo(body))
	if err != nil {
		return nil, ps.errorf(open, "invalid regular expression %%%s%%: %v", body, err)
	}
	ps.pos = open + 1 + end + 1
	return re, nil
}
