package filterpattern

import (
	"regexp"
	"strings"
)

// termPattern is a pattern over unstructured text.
type termPattern struct {
	all  []string       // plain terms: every one must occur
	any  []string       // ?terms: at least one must occur, when they are the only terms
	none []string       // -terms: none may occur
	re   *regexp.Regexp // a standalone %regex%; the only element when set
}

// anyIgnored reports whether the ?terms are ignored: "If you combine "?"
// with other filter patterns, all question mark terms will be ignored"
// (the unstructured-events section of the single-page revision of
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html,
// which names include and exclude terms as such patterns; the current
// sub-pages drop the note without saying otherwise).
func (t *termPattern) anyIgnored() bool {
	return len(t.any) > 0 && (len(t.all) > 0 || len(t.none) > 0)
}

func (t *termPattern) match(line string) bool {
	if t == nil { // a zero Pattern, not from Parse
		return false
	}
	if t.re != nil {
		return t.re.MatchString(line)
	}
	for _, s := range t.none {
		if strings.Contains(line, s) {
			return false
		}
	}
	for _, s := range t.all {
		if !strings.Contains(line, s) {
			return false
		}
	}
	if len(t.any) == 0 || t.anyIgnored() {
		return true
	}
	for _, s := range t.any {
		if strings.Contains(line, s) {
			return true
		}
	}
	return false
}

// parseTermPattern parses a term pattern (or the empty pattern); ps.pos is
// at its first non-blank character.
//
//	terms := (prefix? term)*
//	prefix := '?' | '-'            (blanks may follow the prefix)
//	term   := '"' chars '"' | [A-Za-z0-9_]+
//	       |  '%' regex '%'        (only as the whole pattern)
func (ps *parser) parseTermPattern() (*Pattern, error) {
	t := &termPattern{}
	p := &Pattern{kind: KindTerms, terms: t}
	ps.skipSpace()
	if ps.peek() == '%' {
		re, err := ps.regex()
		if err != nil {
			return nil, err
		}
		ps.skipSpace()
		if !ps.eof() {
			return nil, ps.errorf(ps.pos, "unexpected %s after the regular expression: a regular expression pattern must be the whole pattern (or a value inside a [...] or {...} pattern)", ps.found(ps.pos))
		}
		t.re = re
		return p, nil
	}
	for {
		ps.skipSpace()
		if ps.eof() {
			// "You can match everything in your log events with double
			// quotation marks": the guide's example is `" "`, a quoted
			// blank as the whole pattern, which "returns all log events".
			// Only that form reads as the empty term; a quoted blank among
			// other terms is a phrase like any other.
			// (An unquoted term is never blank, so a blank term was quoted.)
			if len(t.all) == 1 && len(t.any) == 0 && len(t.none) == 0 && strings.TrimLeft(t.all[0], " \t\n\r\v\f") == "" {
				t.all[0] = ""
			}
			return p, nil
		}
		prefixAt := ps.pos
		var prefix byte
		if c := ps.peek(); c == '?' || c == '-' {
			prefix = c
			ps.pos++
			ps.skipSpace()
			if ps.eof() {
				return nil, ps.errorf(prefixAt, "%q must be followed by a term", string(prefix))
			}
		}
		at := ps.pos
		var text string
		switch c := ps.peek(); {
		case c == '"':
			s, err := ps.quoted()
			if err != nil {
				return nil, err
			}
			text = s
		case c == '%':
			return nil, ps.errorf(at, "a regular expression must be the whole pattern; it cannot be combined with terms")
		case c == '?' || c == '-':
			return nil, ps.errorf(at, "%q after %q: a term takes one prefix, '?' (OR) or '-' (exclude)", string(c), string(prefix))
		case isIdentByte(c):
			text = ps.ident()
			if !ps.eof() && !isSpace(ps.peek()) {
				if ps.peek() == '"' {
					return nil, ps.errorf(ps.pos, "expected a blank between terms, found '\"'")
				}
				return nil, ps.errorf(ps.pos, "character %s in an unquoted term: a term with characters other than letters, digits and '_' must be in double quotes, as in \"%s\"", ps.found(ps.pos), ps.blankRun(at))
			}
		case c == '[' || c == '{':
			return nil, ps.errorf(at, "%s can only start a pattern; quote it to search for it as text", ps.found(at))
		default:
			return nil, ps.errorf(at, "character %s in an unquoted term: a term with characters other than letters, digits and '_' must be in double quotes", ps.found(at))
		}
		switch prefix {
		case '?':
			t.any = append(t.any, text)
		case '-':
			t.none = append(t.none, text)
		default:
			t.all = append(t.all, text)
		}
		if !ps.eof() && !isSpace(ps.peek()) {
			return nil, ps.errorf(ps.pos, "expected a blank between terms, found %s", ps.found(ps.pos))
		}
	}
}

// blankRun returns the text from at to the next blank or the end.
func (ps *parser) blankRun(at int) string {
	end := at
	for end < len(ps.src) && !isSpace(ps.src[end]) {
		end++
	}
	return ps.src[at:end]
}

// IgnoredOptionalTerms returns the ?terms of a term pattern that CloudWatch
// Logs ignores because the pattern also holds plain or -terms ("If you
// combine "?" with other filter patterns, all question mark terms will be
// ignored"): `?ERROR ?ARGUMENTS REQUEST` matches every event containing
// REQUEST. It returns nil for any other pattern.
func (p *Pattern) IgnoredOptionalTerms() []string {
	if p == nil || p.kind != KindTerms || p.terms == nil || !p.terms.anyIgnored() {
		return nil
	}
	return append([]string(nil), p.terms.any...)
}
