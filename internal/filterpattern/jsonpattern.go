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

// selStep is one step of a selector: `.name` or `[index]`.
type selStep struct {
	name  string
	index int // when name == ""
}

// resolve follows the selector from the root. found is false when a step
// names a property or element that does not exist (or the value is not an
// object / array).
func resolve(doc any, sel []selStep) (v any, found bool) {
	v = doc
	for _, s := range sel {
		if s.name != "" {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = obj[s.name]; !ok {
				return nil, false
			}
			continue
		}
		arr, ok := v.([]any)
		if !ok || s.index >= len(arr) {
			return nil, false
		}
		v = arr[s.index]
	}
	return v, true
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

func (c *jsonCond) evalJSON(doc any) bool {
	v, found := resolve(doc, c.sel)
	if c.test == testNotExists {
		return !found
	}
	if !found {
		return false
	}
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
//	selector := '$' ('.' name | '[' digits ']')+     (first step a name)
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
	for {
		switch ps.peek() {
		case '.':
			ps.pos++
			start := ps.pos
			for ps.pos < len(ps.src) && isSelectorNameByte(ps.src[ps.pos]) {
				ps.pos++
			}
			if ps.pos == start {
				return nil, ps.errorf(ps.pos, "expected a property name after '.', found %s (names may contain letters, digits, '-' and '_')", ps.found(ps.pos))
			}
			sel = append(sel, selStep{name: ps.src[start:ps.pos]})
		case '[':
			if len(sel) == 0 {
				return nil, ps.errorf(ps.pos, "an array index must follow a property, as in $.users[0]")
			}
			open := ps.pos
			ps.pos++
			start := ps.pos
			for ps.pos < len(ps.src) && '0' <= ps.src[ps.pos] && ps.src[ps.pos] <= '9' {
				ps.pos++
			}
			if ps.pos == start {
				return nil, ps.errorf(ps.pos, "expected an array index (digits) after '[', found %s", ps.found(ps.pos))
			}
			idx, err := strconv.Atoi(ps.src[start:ps.pos])
			if err != nil {
				return nil, ps.errorf(start, "array index %s is too large", ps.src[start:ps.pos])
			}
			if ps.peek() != ']' {
				return nil, ps.errorf(ps.pos, "expected ']' to close the '[' at column %d, found %s", ps.column(open), ps.found(ps.pos))
			}
			ps.pos++
			sel = append(sel, selStep{index: idx})
		default:
			if len(sel) == 0 {
				return nil, ps.errorf(ps.pos, "expected '.' and a property name after '$', found %s", ps.found(ps.pos))
			}
			return sel, nil
		}
	}
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
