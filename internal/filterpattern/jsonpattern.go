package filterpattern

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonNode is a condition, or a combination of conditions, of a JSON
// pattern, evaluated against the decoded event.
type jsonNode interface {
	evalJSON(doc any) bool
}

type jsonOr []jsonNode

func (n jsonOr) evalJSON(doc any) bool {
	for _, c := range n {
		if c.evalJSON(doc) {
			return true
		}
	}
	return false
}

type jsonAnd []jsonNode

func (n jsonAnd) evalJSON(doc any) bool {
	for _, c := range n {
		if !c.evalJSON(doc) {
			return false
		}
	}
	return true
}

// stepKind is the kind of one selector step.
type stepKind int

const (
	stepName     stepKind = iota // .name or .['name']
	stepIndex                    // [index]
	stepAnyElem                  // [*]: every element of an array
	stepAnyField                 // .*: every property of an object
)

// selStep is one step of a selector.
type selStep struct {
	kind  stepKind
	name  string // stepName
	index int    // stepIndex
}

// maxSelectorWildcards and maxPatternWildcards are the documented wildcard
// quotas: "You can only use up to one wildcard selector in a property
// selector, and up to three wildcard selectors in a filter pattern with
// compound expressions"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html).
const (
	maxSelectorWildcards = 1
	maxPatternWildcards  = 3
)

// resolve follows the selector from the root and returns every value it
// selects: at most one for a selector without a wildcard, any number for
// one with `[*]` or `.*`. A step that names a property or element that does
// not exist (or meets a value that is not an object / array) selects
// nothing.
func resolve(doc any, sel []selStep) []any {
	vals := []any{doc}
	for _, s := range sel {
		var next []any
		for _, v := range vals {
			switch s.kind {
			case stepName:
				if obj, ok := v.(map[string]any); ok {
					if w, ok := obj[s.name]; ok {
						next = append(next, w)
					}
				}
			case stepIndex:
				if arr, ok := v.([]any); ok && s.index < len(arr) {
					next = append(next, arr[s.index])
				}
			case stepAnyElem:
				if arr, ok := v.([]any); ok {
					next = append(next, arr...)
				}
			case stepAnyField:
				if obj, ok := v.(map[string]any); ok {
					for _, w := range obj {
						next = append(next, w)
					}
				}
			}
		}
		if len(next) == 0 {
			return nil
		}
		vals = next
	}
	return vals
}

type jsonTest int

const (
	testString    jsonTest = iota // = / != a string, with * wildcards
	testAny                       // = *  (any string, number or boolean)
	testNumber                    // numeric comparison
	testRegex                     // = / != %regex%
	testNull                      // IS NULL
	testTrue                      // IS TRUE
	testFalse                     // IS FALSE
	testNotExists                 // NOT EXISTS
)

type jsonCond struct {
	sel  []selStep
	test jsonTest
	neg  bool     // != (string, any, regex)
	str  *strCond // testString
	num  *numCond // testNumber
	re   *regexp.Regexp
}

// evalJSON applies the test to the values the selector selects. NOT EXISTS
// holds when the selector selects nothing; any other test holds when at
// least one selected value passes it (a wildcard selector "select[s] any
// array element or any JSON object field").
func (c *jsonCond) evalJSON(doc any) bool {
	vals := resolve(doc, c.sel)
	if c.test == testNotExists {
		return len(vals) == 0
	}
	for _, v := range vals {
		if c.testValue(v) {
			return true
		}
	}
	return false
}

// testValue applies the test to one selected value.
func (c *jsonCond) testValue(v any) bool {
	switch c.test {
	case testNull:
		return v == nil
	case testTrue, testFalse:
		b, ok := v.(bool)
		return ok && b == (c.test == testTrue)
	case testAny:
		switch v.(type) {
		case string, json.Number, bool:
			return !c.neg
		}
		return false
	case testString:
		s, ok := v.(string)
		return ok && c.str.eval(&fieldValue{s: s})
	case testRegex:
		s, ok := v.(string)
		return ok && c.re.MatchString(s) != c.neg
	case testNumber:
		n, ok := v.(json.Number)
		return ok && c.num.eval(&fieldValue{s: string(n)})
	}
	return false
}

// matchJSON decodes the event as one JSON object and evaluates the pattern.
// An event that is not a JSON object matches no JSON pattern.
func matchJSON(n jsonNode, line string) bool {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return false
	}
	if _, ok := doc.(map[string]any); !ok {
		return false
	}
	if _, err := dec.Token(); err == nil {
		return false // more than one value
	}
	return n.evalJSON(doc)
}

// parseJSONPattern parses a JSON pattern; ps.pos is at its '{'.
//
//	json     := '{' or '}'
//	or       := and ('||' and)*
//	and      := primary ('&&' primary)*
//	primary  := '(' or ')' | selector test
//	selector := '$' step+                 (the first step a '.' step)
//	step     := '.' name | '.' '[' "'" chars "'" ']' | '.' '*'
//	         |  '[' digits ']' | '[' '*' ']'
//	(at most one wildcard, '.*' or '[*]', per selector; at most three per pattern)
//	test     := op value | 'IS' ('NULL' | 'TRUE' | 'FALSE') | 'NOT' 'EXISTS'
func (ps *parser) parseJSONPattern() (*Pattern, error) {
	open := ps.pos
	ps.pos++
	ps.skipSpace()
	if ps.peek() == '}' {
		return nil, ps.errorf(ps.pos, "empty JSON pattern: expected a condition such as $.field = value")
	}
	n, err := ps.jsonOr()
	if err != nil {
		return nil, err
	}
	ps.skipSpace()
	if ps.eof() {
		return nil, ps.errorf(ps.pos, "expected '}' to close the '{' at column %d, found end of pattern", ps.column(open))
	}
	if ps.peek() != '}' {
		return nil, ps.errorf(ps.pos, "expected '&&', '||' or '}', found %s", ps.found(ps.pos))
	}
	ps.pos++
	ps.skipSpace()
	if !ps.eof() {
		return nil, ps.errorf(ps.pos, "unexpected %s after the closing '}'", ps.found(ps.pos))
	}
	return &Pattern{kind: KindJSON, json: n}, nil
}

func (ps *parser) column(off int) int { return utf8.RuneCountInString(ps.src[:off]) + 1 }

func (ps *parser) jsonOr() (jsonNode, error) {
	return chain(ps, "||", ps.jsonAnd, func(ts []jsonNode) jsonNode { return jsonOr(ts) })
}

func (ps *parser) jsonAnd() (jsonNode, error) {
	return chain(ps, "&&", ps.jsonPrimary, func(ts []jsonNode) jsonNode { return jsonAnd(ts) })
}

func (ps *parser) jsonPrimary() (jsonNode, error) {
	ps.skipSpace()
	if ps.peek() == '(' {
		open := ps.pos
		ps.pos++
		n, err := ps.jsonOr()
		if err != nil {
			return nil, err
		}
		ps.skipSpace()
		if ps.peek() != ')' {
			return nil, ps.errorf(ps.pos, "expected ')' to close the '(' at column %d, found %s", ps.column(open), ps.found(ps.pos))
		}
		ps.pos++
		return n, nil
	}
	return ps.jsonCondition()
}

func isSelectorNameByte(c byte) bool { return isIdentByte(c) || c == '-' }

func (ps *parser) selector() ([]selStep, error) {
	if ps.peek() != '$' {
		return nil, ps.errorf(ps.pos, "expected a selector starting with '$' (such as $.eventType), found %s", ps.found(ps.pos))
	}
	ps.pos++
	var sel []selStep
	wildcards := 0
	wildcard := func(at int) error {
		wildcards++
		if wildcards > maxSelectorWildcards {
			return ps.errorf(at, "a selector may hold at most %d wildcard ('.*' or '[*]'); this is its second", maxSelectorWildcards)
		}
		ps.nWild++
		if ps.nWild > maxPatternWildcards {
			return ps.errorf(at, "a JSON pattern may hold at most %d wildcard selectors ('.*' or '[*]'); this is the %s", maxPatternWildcards, ordinal(ps.nWild))
		}
		return nil
	}
	for {
		switch ps.peek() {
		case '.':
			dot := ps.pos
			ps.pos++
			switch ps.peek() {
			case '*':
				if err := wildcard(dot); err != nil {
					return nil, err
				}
				ps.pos++
				sel = append(sel, selStep{kind: stepAnyField})
				continue
			case '[':
				name, err := ps.bracketName()
				if err != nil {
					return nil, err
				}
				sel = append(sel, selStep{kind: stepName, name: name})
				continue
			}
			start := ps.pos
			for ps.pos < len(ps.src) && isSelectorNameByte(ps.src[ps.pos]) {
				ps.pos++
			}
			if ps.pos == start {
				return nil, ps.errorf(ps.pos, "expected a property name, '*' or ['name'] after '.', found %s (names may contain letters, digits, '-' and '_'; put other names in brackets and single quotes, as in $.['cluster.name'])", ps.found(ps.pos))
			}
			sel = append(sel, selStep{kind: stepName, name: ps.src[start:ps.pos]})
		case '[':
			if len(sel) == 0 {
				return nil, ps.errorf(ps.pos, "an array index or [*] must follow a property, as in $.users[0] or $.users[*]")
			}
			open := ps.pos
			ps.pos++
			if ps.peek() == '*' {
				if err := wildcard(open); err != nil {
					return nil, err
				}
				ps.pos++
				if ps.peek() != ']' {
					return nil, ps.errorf(ps.pos, "expected ']' to close the '[' at column %d, found %s", ps.column(open), ps.found(ps.pos))
				}
				ps.pos++
				sel = append(sel, selStep{kind: stepAnyElem})
				continue
			}
			if ps.peek() == '\'' {
				return nil, ps.errorf(open, "a quoted property name follows a '.', as in $.['cluster.name']")
			}
			start := ps.pos
			for ps.pos < len(ps.src) && '0' <= ps.src[ps.pos] && ps.src[ps.pos] <= '9' {
				ps.pos++
			}
			if ps.pos == start {
				return nil, ps.errorf(ps.pos, "expected an array index (digits) or '*' after '[', found %s", ps.found(ps.pos))
			}
			idx, err := strconv.Atoi(ps.src[start:ps.pos])
			if err != nil {
				return nil, ps.errorf(start, "array index %s is too large", ps.src[start:ps.pos])
			}
			if ps.peek() != ']' {
				return nil, ps.errorf(ps.pos, "expected ']' to close the '[' at column %d, found %s", ps.column(open), ps.found(ps.pos))
			}
			ps.pos++
			sel = append(sel, selStep{kind: stepIndex, index: idx})
		default:
			if len(sel) == 0 {
				return nil, ps.errorf(ps.pos, "expected '.' and a property name after '$', found %s", ps.found(ps.pos))
			}
			return sel, nil
		}
	}
}

// bracketName reads a bracket-quoted property name, `['cluster.name']`, at
// ps.pos (the '['): "If the JSON property contains a period ("."), then the
// bracket notation may be used to select that property"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html).
func (ps *parser) bracketName() (string, error) {
	open := ps.pos
	ps.pos++
	if ps.peek() != '\'' {
		return "", ps.errorf(ps.pos, "expected a property name in single quotes after '.[', as in $.['cluster.name'], found %s", ps.found(ps.pos))
	}
	ps.pos++
	end := strings.IndexByte(ps.src[ps.pos:], '\'')
	if end < 0 {
		return "", ps.errorf(ps.pos-1, "unterminated property name: no closing \"'\"")
	}
	name := ps.src[ps.pos : ps.pos+end]
	if name == "" {
		return "", ps.errorf(ps.pos-1, "empty property name ''")
	}
	ps.pos += end + 1
	if ps.peek() != ']' {
		return "", ps.errorf(ps.pos, "expected ']' to close the '[' at column %d, found %s", ps.column(open), ps.found(ps.pos))
	}
	ps.pos++
	return name, nil
}

// ordinal spells 4 as "4th".
func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return strconv.Itoa(n) + "th"
	case n%10 == 1:
		return strconv.Itoa(n) + "st"
	case n%10 == 2:
		return strconv.Itoa(n) + "nd"
	case n%10 == 3:
		return strconv.Itoa(n) + "rd"
	}
	return strconv.Itoa(n) + "th"
}

// keyword consumes word (upper case, followed by a non-name character).
func (ps *parser) keyword(word string) bool {
	if !strings.HasPrefix(ps.src[ps.pos:], word) {
		return false
	}
	end := ps.pos + len(word)
	if end < len(ps.src) && isIdentByte(ps.src[end]) {
		return false
	}
	ps.pos = end
	return true
}

func (ps *parser) jsonCondition() (jsonNode, error) {
	sel, err := ps.selector()
	if err != nil {
		return nil, err
	}
	c := &jsonCond{sel: sel}
	ps.skipSpace()
	switch {
	case ps.keyword("IS"):
		ps.skipSpace()
		switch {
		case ps.keyword("NULL"):
			c.test = testNull
		case ps.keyword("TRUE"):
			c.test = testTrue
		case ps.keyword("FALSE"):
			c.test = testFalse
		default:
			return nil, ps.errorf(ps.pos, "expected NULL, TRUE or FALSE after IS, found %s", ps.found(ps.pos))
		}
		return c, nil
	case ps.keyword("NOT"):
		ps.skipSpace()
		if !ps.keyword("EXISTS") {
			return nil, ps.errorf(ps.pos, "expected EXISTS after NOT, found %s", ps.found(ps.pos))
		}
		c.test = testNotExists
		return c, nil
	}
	opAt := ps.pos
	var op string
	for _, o := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(ps.src[ps.pos:], o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, ps.errorf(ps.pos, "expected a comparison operator (=, !=, <, <=, >, >=), IS NULL, IS TRUE, IS FALSE or NOT EXISTS after the selector, found %s", ps.found(ps.pos))
	}
	ps.pos += len(op)
	equality := op == "=" || op == "!="
	c.neg = op == "!="
	ps.skipSpace()
	at := ps.pos
	switch ch := ps.peek(); {
	case ps.eof():
		return nil, ps.errorf(at, "expected a value after %q, found end of pattern", op)
	case ch == '"':
		val, err := ps.quoted()
		if err != nil {
			return nil, err
		}
		if !equality {
			return nil, ps.errorf(opAt, "operator %q needs a number, but the value is the quoted string %q", op, val)
		}
		c.test, c.str = testString, newStrCond(c.neg, val)
		return c, nil
	case ch == '%':
		re, err := ps.regex()
		if err != nil {
			return nil, err
		}
		if !equality {
			return nil, ps.errorf(opAt, "operator %q cannot be used with a regular expression (only = and !=)", op)
		}
		c.test, c.re = testRegex, re
		return c, nil
	case ch == '=' && op == "=":
		return nil, ps.errorf(opAt, "'==' is not an operator; use '='")
	}
	for ps.pos < len(ps.src) && !unquotedStop(ps.src[ps.pos]) && ps.src[ps.pos] != '}' && ps.src[ps.pos] != '{' {
		ps.pos++
	}
	val := ps.src[at:ps.pos]
	if val == "" {
		return nil, ps.errorf(at, "expected a value after %q, found %s", op, ps.found(at))
	}
	if f, ok := parseNumber(val); ok {
		c.test, c.num = testNumber, &numCond{op: op, num: f}
		return c, nil
	}
	if !equality {
		return nil, ps.errorf(at, "operator %q needs a number, found %q", op, val)
	}
	if i := strings.IndexFunc(val, func(r rune) bool { return r == '@' || r == '$' || r == '\\' || r >= utf8.RuneSelf }); i >= 0 {
		return nil, ps.errorf(at+i, "character %s in an unquoted value: put the value %q in double quotes", ps.found(at+i), val)
	}
	if val == "*" {
		c.test = testAny
		return c, nil
	}
	c.test, c.str = testString, newStrCond(c.neg, val)
	return c, nil
}
