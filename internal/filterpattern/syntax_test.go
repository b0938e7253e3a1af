package filterpattern

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The documented examples of the CloudWatch Logs User Guide, "Filter pattern
// syntax for metric filters, subscription filters, filter log events and
// Live Tail"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html,
// with its sub-pages on unstructured, JSON and space-delimited events and
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html),
// and of the archived source of the guide
// (github.com/awsdocs/amazon-cloudwatch-logs-user-guide, doc_source/FilterAndPatternSyntax.md).
// Each case is a documented pattern, a documented event and the documented
// outcome.

// docCase is one pattern against several events, with the outcome per event.
type docCase struct {
	pattern string
	kind    Kind
	events  []string
	want    []bool
}

func runDocCases(t *testing.T, cases []docCase) {
	t.Helper()
	for _, tc := range cases {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.pattern, err)
			continue
		}
		if p.Kind() != tc.kind {
			t.Errorf("Parse(%q).Kind() = %v, want %v", tc.pattern, p.Kind(), tc.kind)
		}
		if len(tc.events) != len(tc.want) {
			t.Fatalf("%q: %d events, %d outcomes", tc.pattern, len(tc.events), len(tc.want))
		}
		for i, ev := range tc.events {
			if got := p.Match(ev); got != tc.want[i] {
				t.Errorf("Parse(%q).Match(%q) = %v, want %v", tc.pattern, ev, got, tc.want[i])
			}
		}
	}
}

func TestDocTermExamples(t *testing.T) {
	errEvents := []string{
		`[ERROR] A fatal exception has occurred`,
		`Exiting with ERRORCODE: -1`,
	}
	exceptionEvents := []string{
		`[ERROR] Caught IllegalArgumentException`,
		`[ERROR] Unhandled Exception`,
		`[ERROR] A fatal exception has occurred`, // lower-case "exception": matching is case sensitive
	}
	phraseEvents := []string{
		`[WARN] Failed to process the request`,
		`[ERROR] Unable to continue: Failed to process the request`,
		`[WARN] Failed to process`,
	}
	// "OR pattern matching": ERROR matches 1 and 2, ?ERROR ?WARN all three,
	// ERROR WARN only 1, ERROR -WARN only 2.
	orEvents := []string{`ERROR WARN message`, `ERROR message`, `WARN message`}
	runDocCases(t, []docCase{
		// "Example 1: Match everything: The filter pattern "" matches all
		// log events."
		{`""`, KindTerms, append(append([]string{}, errEvents...), orEvents...), []bool{true, true, true, true, true}},
		// Example 2 (single term); a term matches inside a word (ERRORCODE).
		{`"ERROR"`, KindTerms, errEvents, []bool{true, true}},
		{`ERROR`, KindTerms, errEvents, []bool{true, true}},
		// Example 2: include a term and exclude a term, written in the guide
		// as "ERROR" - "Exiting".
		{`"ERROR" - "Exiting"`, KindTerms, errEvents, []bool{true, false}},
		{`"ERROR" -"Exiting"`, KindTerms, errEvents, []bool{true, false}},
		// Example 3: multiple terms must all appear.
		{`ERROR Exception`, KindTerms, exceptionEvents, []bool{true, true, false}},
		{`Failed to process the request`, KindTerms, phraseEvents, []bool{true, true, false}},
		// OR pattern matching.
		{`ERROR`, KindTerms, orEvents, []bool{true, true, false}},
		{`?ERROR ?WARN`, KindTerms, orEvents, []bool{true, true, true}},
		{`ERROR WARN`, KindTerms, orEvents, []bool{true, false, false}},
		{`ERROR -WARN`, KindTerms, orEvents, []bool{false, true, false}},
	})
}

// The current "Matching terms in unstructured log events" page: a single
// term, several terms that must all appear, and an exact phrase in double
// quotes, against its [ERROR nnn] events (plus a success event that none of
// them matches).
func TestDocUnstructuredExamples(t *testing.T) {
	events := []string{
		`[ERROR 400] BAD REQUEST`,
		`[ERROR 401] UNAUTHORIZED REQUEST`,
		`[ERROR 419] MISSING ARGUMENTS`,
		`[ERROR 420] INVALID ARGUMENTS`,
		`[ERROR 500] INTERNAL SERVER ERROR`,
		`[SUCCESS 200] AUTHORIZED REQUEST`,
	}
	runDocCases(t, []docCase{
		{`ERROR`, KindTerms, events, []bool{true, true, true, true, true, false}},
		{`ERROR ARGUMENTS`, KindTerms, events, []bool{false, false, true, true, false, false}},
		{`"INTERNAL SERVER ERROR"`, KindTerms, events, []bool{false, false, false, false, true, false}},
		// A phrase matches only as written: the words in another order do not.
		{`"SERVER INTERNAL ERROR"`, KindTerms, events, []bool{false, false, false, false, false, false}},
		// "?ERROR ?ARGUMENTS" matches [ERROR 400], [ERROR 419] and
		// "[INFO] INVALID ARGUMENTS PROVIDED" (current page).
		{`?ERROR ?ARGUMENTS`, KindTerms, append(append([]string{}, events...), `[INFO] INVALID ARGUMENTS PROVIDED`), []bool{true, true, true, true, true, false, true}},
		// "ERROR -ARGUMENTS" matches [ERROR 400] and [ERROR 401], not 419/420.
		{`ERROR -ARGUMENTS`, KindTerms, events, []bool{true, true, false, false, true, false}},
		// "Capture all log activity": `" "`.
		{`" "`, KindTerms, append(append([]string{}, events...), `ERROR`, ``), []bool{true, true, true, true, true, true, true, true}},
	})
}

// The note on "?" terms of the unstructured-events section of the guide's
// single-page revision
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
// "You cant' combine the question mark ("?") with other filter patterns,
// such as include and exclude terms. If you combine "?" with other filter
// patterns, all question mark terms will be ignored. For example, the
// following filter pattern matches all events containing the word REQUEST,
// but the question mark ("?") filter terms are ignored and have no effect.
// ?ERROR ?ARGUMENTS REQUEST" with the matches "[INFO] REQUEST FAILED",
// "[WARN] UNAUTHORIZED REQUEST", "[ERROR] 400 BAD REQUEST". The current
// sub-page, matching-terms-unstructured-log-events.html, no longer carries
// the note and says nothing else about mixing "?" with other terms.
func TestDocOptionalTermsIgnored(t *testing.T) {
	events := []string{
		`[INFO] REQUEST FAILED`,
		`[WARN] UNAUTHORIZED REQUEST`,
		`[ERROR] 400 BAD REQUEST`,
		`[ERROR 419] MISSING ARGUMENTS`, // no REQUEST
	}
	runDocCases(t, []docCase{
		{`?ERROR ?ARGUMENTS REQUEST`, KindTerms, events, []bool{true, true, true, false}},
		// "such as include and exclude terms": with -REQUEST the ? terms are
		// ignored too.
		{`?ERROR ?ARGUMENTS -REQUEST`, KindTerms, append(events, `[INFO] OK`), []bool{false, false, false, true, true}},
	})
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{`?ERROR ?ARGUMENTS REQUEST`, []string{"ERROR", "ARGUMENTS"}},
		{`?"10.0.0.155" -REJECT`, []string{"10.0.0.155"}},
		{`?ERROR ?ARGUMENTS`, nil},
		{`ERROR -ARGUMENTS`, nil},
		{`%ERROR%`, nil},
		{`{ $.a = 1 }`, nil},
		{`[a, b]`, nil},
	} {
		if got := MustParse(tc.pattern).IgnoredOptionalTerms(); !slices.Equal(got, tc.want) {
			t.Errorf("Parse(%q).IgnoredOptionalTerms() = %q, want %q", tc.pattern, got, tc.want)
		}
	}
	var nilPattern *Pattern
	if nilPattern.IgnoredOptionalTerms() != nil {
		t.Error("nil Pattern: IgnoredOptionalTerms() != nil")
	}
}

// "OR pattern matching in space-delimited filters". The guide says
// [w1=ERROR, w2] matches event 2 "because ERROR is the first word" and
// [w1=ERROR || w1=WARN, w2] events 2 and 3, although event 1 starts with
// ERROR too; and that [w1!=ERROR&&w1!=WARN, w2] "matches lines containing
// both ERROR and WARN (pattern 1)", whose first word is ERROR. We follow the
// stated rule (w1 is the first word, the last field takes the rest of the
// line), which gives event 1 to the first two patterns and no event to the
// third; the package doc records the choice.
func TestDocDelimitedOrExamples(t *testing.T) {
	events := []string{`ERROR WARN message`, `ERROR message`, `WARN message`}
	runDocCases(t, []docCase{
		{`[w1=ERROR, w2]`, KindDelimited, events, []bool{true, true, false}},
		{`[w1=ERROR || w1=WARN, w2]`, KindDelimited, events, []bool{true, true, true}},
		{`[w1!=ERROR&&w1!=WARN, w2]`, KindDelimited, events, []bool{false, false, false}},
		// "status_code = 403 || status_code = 404"
		{`[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]`, KindDelimited,
			[]string{apache1, apache4}, []bool{false, true}},
	})
}

func TestDocRegexExamples(t *testing.T) {
	events := []string{
		`[ERROR 401] UNAUTHORIZED REQUEST`,
		`[SUCCESS 200] AUTHORIZED REQUEST`,
		`[ERROR 403] FORBIDDEN`,
	}
	runDocCases(t, []docCase{
		// %AUTHORIZED% returns both events that contain the keyword.
		{`%AUTHORIZED%`, KindTerms, events, []bool{true, true, false}},
		// "%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}% to match any IP address format"
		{`%\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}%`, KindTerms,
			[]string{`connection from 10.0.0.155 refused`, `connection from host-a refused`}, []bool{true, false}},
		// "%[Ee]rror|[Ff]ail% to catch both Error/error and Fail/fail"
		{`%[Ee]rror|[Ff]ail%`, KindTerms,
			[]string{`an error occurred`, `Error`, `job failed`, `Fail`, `all good`, `ERROR`}, []bool{true, true, true, true, false, false}},
	})
	// "%something!% would be rejected since '!' is not supported."
	if _, err := Parse(`%something!%`); err == nil || !strings.Contains(err.Error(), `'!' is not supported`) {
		t.Errorf("Parse(%%something!%%) = %v, want the '!' refused", err)
	}
}

// regexCase is one documented regular expression with events it is
// documented to match and events it must not match.
type regexCase struct {
	pattern string
	match   []string
	miss    []string
}

// The examples of "Usage of supported operators" on the regex page
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/regex-expressions.html),
// each a standalone term pattern, with the strings the page says it
// matches; the misses follow from the page's wording ("but only at the
// beginning of a string", "but not "ac"", "won't match ...").
func TestDocRegexOperatorExamples(t *testing.T) {
	cases := []regexCase{
		// "^: Anchors the match to the beginning of a string."
		{`%^[hc]at%`, []string{"hat", "cat", "hat trick"}, []string{"a hat", "that"}},
		// "$: Anchors the match to the end of a string."
		{`%[hc]at$%`, []string{"hat", "cat", "the cat"}, []string{"cat food", "hats"}},
		// "?: Matches zero or one occurrence of the preceding term."
		{`%colou?r%`, []string{"color", "colour"}, []string{"colouur", "colr"}},
		// "[]: Defines a character class."
		{`%[abc]%`, []string{"a", "b", "c"}, []string{"d", "ABC"}},
		{`%[a-z]%`, []string{"a", "q", "z"}, []string{"A", "1", "#"}},
		{`%[abcx-z]%`, []string{"a", "b", "c", "x", "y", "z"}, []string{"d", "w"}},
		// "{m, n}: ... %a{3,5}% matches only "aaa", "aaaa", and "aaaaa"";
		// unanchored, it finds aaa in any longer run too.
		{`%a{3,5}%`, []string{"aaa", "aaaa", "aaaaa"}, []string{"a", "aa", "a a a"}},
		{`%^a{3,5}$%`, []string{"aaa", "aaaa", "aaaaa"}, []string{"aa", "aaaaaa"}},
		// "Either m or n can be omitted if you chose not to define a
		// minimum or maximum."
		{`%^a{3,}$%`, []string{"aaa", "aaaaaaa"}, []string{"aa"}},
		{`%^a{,2}b$%`, []string{"b", "ab", "aab"}, []string{"aaab", "a{,2}b"}},
		// "|: Boolean "Or""
		{`%gra|ey%`, []string{"gray", "grey"}, []string{"green", "gr"}},
		{`%^starting|^initializing|^shutting down%`,
			[]string{"starting ...", "initializing ...", "shutting down"},
			[]string{"skipping initializing ...", "shutting", "now shutting down"}},
		// The page writes this one without its closing '%' and says it "can
		// match "abcc ..." and "aba ..." but won't match "aac ..."";
		// ab[^c]$ needs the event to end after "aba", so "aba" it is.
		{`%abcc|ab[^c]$%`, []string{"abcc ...", "aba"}, []string{"aac ...", "abc"}},
		// "\: Escape character": %\[.\]% "matches any single character
		// surrounded by "[" and "]" ..., such as "[a]", "[b]", "[7]", "[@]",
		// "[]]", and "[ ]"".
		{`%\[.\]%`, []string{"[a]", "[b]", "[7]", "[@]", "[]]", "[ ]"}, []string{"[ab]", "[]", "a"}},
		// "%10\.10\.0\.1% is the correct way to create a regex to match the
		// IP address 10.10.0.1"; unescaped, "%10.10.0.1% can match
		// "10010,051"".
		{`%10\.10\.0\.1%`, []string{"10.10.0.1"}, []string{"10010,051", "10.10.0.2"}},
		{`%10.10.0.1%`, []string{"10.10.0.1", "10010,051"}, []string{"10.10.0.2"}},
		// "*: Matches zero or more instances of the preceding term."
		{`%ab*c%`, []string{"ac", "abc", "abbbc"}, []string{"ab", "bc"}},
		{`%ab[0-9]*%`, []string{"ab", "ab0", "ab129"}, []string{"a", "b0"}},
		// "+: Matches one or more instances": "but not "ac"".
		{`%ab+c%`, []string{"abc", "abbc", "abbbc"}, []string{"ac"}},
		// ".: Matches any single character": "any three character string
		// ending with "at", including "hat", "cat", "bat", "4at", "#at" and
		// " at" (starting with a space)".
		{`%.at%`, []string{"hat", "cat", "bat", "4at", "#at", " at"}, []string{"at", "a t"}},
		// "\d, \D: Matches a digit/non-digit character."
		{`%\d%`, []string{"7", "port 80"}, []string{"x", ""}},
		{`%[0-9]%`, []string{"7", "port 80"}, []string{"x", ""}},
		{`%\D%`, []string{"x", "port 80"}, []string{"7", "80"}},
		{`%[^0-9]%`, []string{"x", "port 80"}, []string{"7", "80"}},
		// "\s, \S: Matches a whitespace character/non-whitespace character
		// ... Whitespace characters include the tab (\t), space ( ), and
		// newline (\n) characters."
		{`%\s%`, []string{"a\tb", "a b", "a\nb"}, []string{"ab", "a_b"}},
		{`%\S%`, []string{"a", " a "}, []string{" ", "\t\n", ""}},
		// "\w, \W: Matches an alphanumeric character/non-alphanumeric
		// character."
		{`%\w%`, []string{"a", "Z", "5", "_"}, []string{"-", " ", ":"}},
		{`%[a-zA-Z_0-9]%`, []string{"a", "Z", "5", "_"}, []string{"-", " ", ":"}},
		{`%\W%`, []string{"-", " ", ":"}, []string{"a", "Z", "5", "_"}},
		{`%[^a-zA-Z_0-9]%`, []string{"-", " ", ":"}, []string{"a", "Z", "5", "_"}},
		// "\xhh: Matches the ASCII mapping for a two-digit hexadecimal
		// character ... %\x3A% matches :; and %\x28% matches (".
		{`%\x3A%`, []string{":", "key:value"}, []string{"keyvalue"}},
		{`%\x28%`, []string{"(", "f(x)"}, []string{"fx"}},
	}
	for _, tc := range cases {
		p, err := Parse(tc.pattern)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.pattern, err)
			continue
		}
		if p.Kind() != KindTerms || p.Regexps() != 1 {
			t.Errorf("Parse(%q): kind %v with %d regexps, want terms with 1", tc.pattern, p.Kind(), p.Regexps())
		}
		for _, ev := range tc.match {
			if !p.Match(ev) {
				t.Errorf("Parse(%q).Match(%q) = false, want true", tc.pattern, ev)
			}
		}
		for _, ev := range tc.miss {
			if p.Match(ev) {
				t.Errorf("Parse(%q).Match(%q) = true, want false", tc.pattern, ev)
			}
		}
	}
	// The same expressions as values of space-delimited and JSON patterns.
	runMatchCases(t, []matchCase{
		{"delimited with blank", `[w1 = %^shutting down$%]`, `shutting down`, true},
		{"delimited omitted minimum", `[w1 = %^a{,2}$%, w2]`, `aa x`, true},
		{"delimited omitted minimum, miss", `[w1 = %^a{,2}$%, w2]`, `aaa x`, false},
		{"JSON with blank", `{ $.state = %^shutting down% }`, `{"state":"shutting down now"}`, true},
	})
}

// regexForGo leaves everything but an omitted minimum alone.
func TestRegexForGo(t *testing.T) {
	for in, want := range map[string]string{
		`a{,5}`:       `a{0,5}`,
		`a{3,5}`:      `a{3,5}`,
		`a{3,}`:       `a{3,}`,
		`a\{,5}`:      `a\{,5}`,
		`[{,5}]`:      `[{,5}]`,
		`[]{,5}]{,5}`: `[]{,5}]{0,5}`,
		`[^]{,5}]x`:   `[^]{,5}]x`,
		`a{,}`:        `a{,}`,
		`a{,x}`:       `a{,x}`,
		`a{,5`:        `a{,5`,
		`\\{,5}`:      `\\{0,5}`,
		`x\`:          `x\`,
		// The page writes {m, n} with a blank; RE2 would read it literally.
		`a{3, 5}`:  `a{3,5}`,
		`a{ 3 }`:   `a{3}`,
		`a{, 5}`:   `a{0,5}`,
		`a{3, }`:   `a{3,}`,
		`a{ }`:     `a{ }`,
		`a{3,4,5}`: `a{3,4,5}`,
		// POSIX classes and \Q...\E are copied as they are.
		`^[[:alpha:]{,2}]$`: `^[[:alpha:]{,2}]$`,
		`\Q{,2}\E{,2}`:      `\Q{,2}\E{0,2}`,
		`\Q{,2}`:            `\Q{,2}`,
	} {
		if got := regexForGo(in); got != want {
			t.Errorf("regexForGo(%q) = %q, want %q", in, got, want)
		}
	}
}

// The JSON event of "Matching terms in JSON log events".
const docJSONEvent = `{
  "eventType": "UpdateTrail",
  "sourceIPAddress": "111.111.111.111",
  "arrayKey": [
        "value",
        "another value"
  ],
  "objectList": [
       {
         "name": "a",
         "id": 1
       },
       {
         "name": "b",
         "id": 2
       }
  ],
  "SomeObject": null,
  "ThisFlag": true
}`

// The JSON event of "JSON compound conditions".
const docCompoundEvent = `{
    "user": {
        "id": 1,
        "email": "John.Stiles@example.com"
    },
    "users": [
        {
         "id": 2,
         "email": "John.Doe@example.com"
        },
        {
         "id": 3,
         "email": "Jane.Doe@example.com"
        }
    ],
    "actions": [
        "GET",
        "PUT",
        "DELETE"
    ],
    "coordinates": [
        [0, 1, 2],
        [4, 5, 6],
        [7, 8, 9]
    ]
}`

func TestDocJSONExamples(t *testing.T) {
	one := func(ev string, want bool) ([]string, []bool) { return []string{ev}, []bool{want} }
	ev, yes := one(docJSONEvent, true)
	_, no := one(docJSONEvent, false)
	cev := []string{docCompoundEvent}
	foo := []string{`{"foo": "bar"}`, `{"foo": "baz"}`}
	runDocCases(t, []docCase{
		// "The following filters would match".
		{`{ $.eventType = "UpdateTrail" }`, KindJSON, ev, yes},
		{`{ $.sourceIPAddress != 123.123.* }`, KindJSON, ev, yes},
		{`{ $.arrayKey[0] = "value" }`, KindJSON, ev, yes},
		{`{ $.objectList[1].id = 2 }`, KindJSON, ev, yes},
		{`{ $.SomeObject IS NULL }`, KindJSON, ev, yes},
		{`{ $.SomeOtherObject NOT EXISTS }`, KindJSON, ev, yes},
		{`{ $.ThisFlag IS TRUE }`, KindJSON, ev, yes},
		// Their counterparts, which must not match the same event.
		{`{ $.eventType = "DeleteTrail" }`, KindJSON, ev, no},
		{`{ $.sourceIPAddress != 111.111.* }`, KindJSON, ev, no},
		{`{ $.arrayKey[1] = "value" }`, KindJSON, ev, no},
		{`{ $.objectList[0].id = 2 }`, KindJSON, ev, no},
		{`{ $.eventType IS NULL }`, KindJSON, ev, no},
		{`{ $.SomeObject NOT EXISTS }`, KindJSON, ev, no},
		{`{ $.ThisFlag IS FALSE }`, KindJSON, ev, no},
		// An index one past the end of the array (arrayKey has two items).
		{`{ $.arrayKey[2] = "value" }`, KindJSON, ev, no},
		{`{ $.arrayKey[9] = "value" }`, KindJSON, ev, no}, // 9 is a digit too
		// "If arrayKey is not an array this will be false."
		{`{ $.eventType[0] = "value" }`, KindJSON, ev, no},
		// "If the items in objectList are not objects or do not have an id
		// property, this will be false."
		{`{ $.arrayKey[0].id = 2 }`, KindJSON, ev, no},
		// OR in JSON filters: {$.foo = bar} matches event 1, {$.foo = baz }
		// event 2, {$.foo = bar || $.foo = baz } both.
		{`{$.foo = bar}`, KindJSON, foo, []bool{true, false}},
		{`{$.foo = baz }`, KindJSON, foo, []bool{false, true}},
		{`{$.foo = bar || $.foo = baz }`, KindJSON, foo, []bool{true, true}},
		// "JSON compound conditions", with the documented outcomes.
		{`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, KindJSON, cev, []bool{true}},
		{`{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, KindJSON, cev, []bool{false}},
		{`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`, KindJSON, cev, []bool{true}},
		{`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`, KindJSON, cev, []bool{false}},
		// The current page writes "nonmatch" in quotes, with the same outcomes
		// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html).
		{`{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }`, KindJSON, cev, []bool{true}},
		{`{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }`, KindJSON, cev, []bool{false}},
		{`{ $.coordinates[2][0] = 7 }`, KindJSON, cev, []bool{true}},
		// "both {$.users = 1} and {$.users != 1} will fail to match a log
		// event where users is an array".
		{`{$.users = 1}`, KindJSON, []string{`{"users": [1, 2, 3]}`}, []bool{false}},
		{`{$.users != 1}`, KindJSON, []string{`{"users": [1, 2, 3]}`}, []bool{false}},
		// Wildcards: "*Event will match PutEvent and GetEvent. Event* will
		// match EventId and EventName. Ev*ent will only match the actual
		// string Ev*ent."
		{`{ $.name = *Event }`, KindJSON, []string{`{"name":"PutEvent"}`, `{"name":"GetEvent"}`, `{"name":"EventId"}`}, []bool{true, true, false}},
		{`{ $.name = Event* }`, KindJSON, []string{`{"name":"EventId"}`, `{"name":"EventName"}`, `{"name":"PutEvent"}`}, []bool{true, true, false}},
		{`{ $.name = Ev*ent }`, KindJSON, []string{`{"name":"Ev*ent"}`, `{"name":"EvXent"}`}, []bool{true, false}},
		// Publishing numerical values: { $.latency = * } selects events that
		// carry a latency.
		{`{ $.latency = * }`, KindJSON, []string{`{"latency": 120}`, `{"other": 1}`}, []bool{true, false}},
	})
}

// The sample event of the current "Using filter patterns to match terms in
// JSON log events" page
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html):
// the earlier event with "ThisFlag" replaced by "cluster.name".
var docJSONEventCurrent = strings.Replace(docJSONEvent, `"ThisFlag": true`, `"cluster.name": "c"`, 1)

// The examples of the current JSON page
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html),
// each against the page's sample event, which every one of them matches.
// The page: "You can use the JSON wildcard to select any array element or
// any JSON object field"; { $.arrayKey[*] = %val.{2}% } "matches the element
// "value" in the array "arrayKey""; { $.* = %111\.111\.111\.1[0-9]{1,2}% }
// "matches the element "111.111.111.111" in the property
// "sourceIPAddress""; { $.['cluster.name'] = "c" } "matches a JSON property
// with a period (.) in the key".
func TestDocJSONCurrentExamples(t *testing.T) {
	ev := []string{docJSONEventCurrent}
	yes, no := []bool{true}, []bool{false}
	runDocCases(t, []docCase{
		{`{ $.eventType = "UpdateTrail" }`, KindJSON, ev, yes},
		{`{ $.sourceIPAddress != 123.123.* }`, KindJSON, ev, yes},
		{`{ $.arrayKey[0] = "value" }`, KindJSON, ev, yes},
		{`{ $.eventType = %Trail% }`, KindJSON, ev, yes},
		{`{ $.arrayKey[*] = %val.{2}% }`, KindJSON, ev, yes},
		{`{ $.* = %111\.111\.111\.1[0-9]{1,2}% }`, KindJSON, ev, yes},
		{`{ $.['cluster.name'] = "c" }`, KindJSON, ev, yes},
		{`{ $.SomeObject IS NULL }`, KindJSON, ev, yes},
		{`{ $.SomeOtherObject NOT EXISTS }`, KindJSON, ev, yes},
		// Counterparts that must not match the same event.
		{`{ $.eventType = %^Trail% }`, KindJSON, ev, no},
		{`{ $.arrayKey[*] = %^val.{3}$% }`, KindJSON, ev, no},        // neither element is "val" and 3 more characters
		{`{ $.* = %111\.111\.111\.2[0-9]{1,2}% }`, KindJSON, ev, no}, // no property holds such an address
		{`{ $.['cluster.name'] = "d" }`, KindJSON, ev, no},
		{`{ $.cluster.name = "c" }`, KindJSON, ev, no}, // the dotted form reads a property "cluster" holding "name"
		// The page's sample events for the eventType example: "This pattern
		// works with any JSON logs containing an eventType field, such as"
		// these three; the pattern matches the third.
		{`{ $.eventType = "UpdateTrail" }`, KindJSON, []string{
			`{"eventType": "UserLogin", "userId": "123"}`,
			`{"eventType": "ConfigUpdate", "component": "database"}`,
			`{"eventType": "UpdateTrail", "source": "cloudtrail"}`,
		}, []bool{false, false, true}},
	})
}

// Wildcard semantics (the page is silent beyond "select any array element
// or any JSON object field"): a wildcard selector passes a test when any
// selected value passes it, and NOT EXISTS when it selects nothing.
func TestJSONWildcardSemantics(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"any element", `{ $.a[*] = "y" }`, `{"a":["x","y"]}`, true},
		{"no element", `{ $.a[*] = "z" }`, `{"a":["x","y"]}`, false},
		{"empty array", `{ $.a[*] = * }`, `{"a":[]}`, false},
		{"not an array", `{ $.a[*] = "x" }`, `{"a":"x"}`, false},
		{"object is not an array", `{ $.a[*] = "x" }`, `{"a":{"k":"x"}}`, false},
		{"!= any element", `{ $.a[*] != "x" }`, `{"a":["x","y"]}`, true},
		{"!= every element equal", `{ $.a[*] != "x" }`, `{"a":["x","x"]}`, false},
		{"element property", `{ $.users[*].id = 3 }`, docCompoundEvent, true},
		{"element property, none", `{ $.users[*].id = 1 }`, docCompoundEvent, false},
		{"nested array element", `{ $.coordinates[*][0] = 7 }`, docCompoundEvent, true},
		{"wildcard then index", `{ $.coordinates[1][*] = 6 }`, docCompoundEvent, true},
		{"root fields", `{ $.* = "GET" }`, docCompoundEvent, false}, // "GET" is inside an array
		{"field of a property", `{ $.user.* = "John.Stiles@example.com" }`, docCompoundEvent, true},
		{"field wildcard then name", `{ $.*.id = 1 }`, docCompoundEvent, true},
		{"field wildcard on an array", `{ $.actions.* = "GET" }`, docCompoundEvent, false},
		{"numeric", `{ $.a[*] > 10 }`, `{"a":[1,"20",30]}`, true},
		{"numeric, only a string above", `{ $.a[*] > 10 }`, `{"a":[1,"20"]}`, false},
		{"is null", `{ $.* IS NULL }`, `{"a":1,"b":null}`, true},
		{"is true", `{ $.flags[*] IS TRUE }`, `{"flags":[false,true]}`, true},
		{"not exists, nothing selected", `{ $.a[*].b NOT EXISTS }`, `{"a":[{"c":1}]}`, true},
		{"not exists, one selected", `{ $.a[*].b NOT EXISTS }`, `{"a":[{"c":1},{"b":1}]}`, false},
		{"three wildcards", `{ $.a[*] = 1 || $.b[*] = 2 || $.* = 3 }`, `{"c":3}`, true},
		{"bracket name", `{ $.['a.b'].c = 1 }`, `{"a.b":{"c":1}}`, true},
		{"bracket name with blanks and symbols", `{ $.['x y@z'] = 1 }`, `{"x y@z":1}`, true},
		{"bracket name then wildcard", `{ $.['a.b'][*] = 2 }`, `{"a.b":[1,2]}`, true},
		{"plain name in brackets", `{ $.['a'] = 1 }`, `{"a":1}`, true},
	})
}

func TestDocJSONNumericExamples(t *testing.T) {
	runDocCases(t, []docCase{
		{`{ $.latency >= 500 }`, KindJSON, []string{`{"latency": 500}`, `{"latency": 499.9}`, `{"latency": "500"}`}, []bool{true, false, false}},
		{`{ $.numbers[0] < 10e3 }`, KindJSON, []string{`{"numbers": [9999]}`, `{"numbers": [10000]}`}, []bool{true, false}},
		{`{ $.numbers[0] < 10e-3 }`, KindJSON, []string{`{"numbers": [0.001]}`, `{"numbers": [0.01]}`}, []bool{true, false}},
		{`{ $.processes[4].averageRuntime <= 55.5 }`, KindJSON, []string{`{"processes": [{},{},{},{},{"averageRuntime": 55.5}]}`, `{"processes": [{"averageRuntime": 1}]}`}, []bool{true, false}},
		{`{ $.errorCode = 400 }`, KindJSON, []string{`{"errorCode": 400}`, `{"errorCode": 400.0}`, `{"errorCode": 401}`}, []bool{true, true, false}},
		{`{ $.errorCode != 500 }`, KindJSON, []string{`{"errorCode": 400}`, `{"errorCode": 500}`, `{"other": 1}`}, []bool{true, false, false}},
		{`{ $.latency > +1000 }`, KindJSON, []string{`{"latency": 1001}`, `{"latency": 1000}`}, []bool{true, false}},
		// The numeric examples of the single-page revision of the guide
		// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html,
		// "Writing filter patterns that match numeric values"); the guide
		// gives no events for them.
		{`{ $.bandwidth > 75 }`, KindJSON, []string{`{"bandwidth": 76}`, `{"bandwidth": 75}`}, []bool{true, false}},
		{`{ $.latency < 50 }`, KindJSON, []string{`{"latency": 49.9}`, `{"latency": 50}`}, []bool{true, false}},
		{`{ $.refreshRate >= 60 }`, KindJSON, []string{`{"refreshRate": 60}`, `{"refreshRate": 59}`}, []bool{true, false}},
		{`{ $.responseTime <= 5 }`, KindJSON, []string{`{"responseTime": 5}`, `{"responseTime": 6}`}, []bool{true, false}},
		{`{ $.errorCode = 400}`, KindJSON, []string{`{"errorCode": 400}`, `{"errorCode": 404}`}, []bool{true, false}},
		{`{ $.number[0] = 1e+3 }`, KindJSON, []string{`{"number": [1000]}`, `{"number": [100]}`}, []bool{true, false}},
		{`{ $.number[0] != 1e-3 }`, KindJSON, []string{`{"number": [1]}`, `{"number": [0.001]}`}, []bool{true, false}},
	})
}

// VPC Flow Log records (default format) under each kind of raw rule, as
// docs/alarms.md, "Raw patterns", shows them.
func TestFlowLogPatternKinds(t *testing.T) {
	flows := []string{flowSSHAccept, flowSSHReject, flowRDPReject, flowICMPIn, flowBig, flowNoData}
	runDocCases(t, []docCase{
		{`"REJECT"`, KindTerms, flows, []bool{false, true, true, false, false, false}},
		// Every REJECT record above involves a 172.31. address.
		{`REJECT -"172.31."`, KindTerms, flows, []bool{false, false, false, false, false, false}},
		{`REJECT -"172.31.9."`, KindTerms, flows, []bool{false, true, false, false, false, false}},
		{`?"10.0.0.155" ?"198.51.100.7"`, KindTerms, flows, []bool{false, true, false, false, true, false}},
		// ?terms next to another term are ignored: every REJECT record.
		{`REJECT ?"10.0.0.155"`, KindTerms, flows, []bool{false, true, true, false, false, false}},
		{`" "`, KindTerms, flows, []bool{true, true, true, true, true, true}},
		{`%172\.31\.[0-9]+\.[0-9]+%`, KindTerms, flows, []bool{true, true, true, true, false, false}},
		{`[]`, KindDelimited, flows, []bool{true, true, true, true, true, true}},
		{`[...]`, KindDelimited, flows, []bool{true, true, true, true, true, true}},
		{`[..., action = REJECT, logstatus]`, KindDelimited, flows, []bool{false, true, true, false, false, false}},
		// A space-delimited alternative to REJECT ?"a" ?"b" on v2 records
		// (docs/alarms.md shows the default-format form, which
		// internal/docgen tests).
		{`[version, account_id, interface_id, srcaddr = "10.0.0.155" || srcaddr = "198.51.100.7", ..., action = "REJECT", log_status]`, KindDelimited,
			append(append([]string{}, flows...), strings.Replace(flowBig, "ACCEPT", "REJECT", 1)), []bool{false, true, false, false, false, false, true}},
		// Flow log lines are not JSON: a JSON pattern matches none of them.
		{`{ $.action = "REJECT" }`, KindJSON, flows, []bool{false, false, false, false, false, false}},
		// The empty pattern matches every event.
		{``, KindTerms, flows, []bool{true, true, true, true, true, true}},
	})
}

func TestTermSemantics(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"case sensitive", `error`, `ERROR`, false},
		{"quoted phrase is one term", `"Failed to process"`, `Failed process to`, false},
		{"quoted phrase", `"Failed to process"`, `x Failed to process y`, true},
		{"quoted escape", `"say \"hi\""`, `they say "hi"`, true},
		// "?" terms next to plain or "-" terms are ignored.
		{"or with and", `REJECT ?"10.0.0.155" ?"10.0.0.156"`, `10.0.0.156 REJECT`, true},
		{"or with and, and missing", `REJECT ?"10.0.0.155" ?"10.0.0.156"`, `10.0.0.156 ACCEPT`, false},
		{"or with and, or missing", `REJECT ?"10.0.0.155" ?"10.0.0.156"`, `10.0.0.157 REJECT`, true},
		{"excluded or", `?A ?B -C`, `A C`, false},
		{"excluded or, or missing", `?A ?B -C`, `X`, true},
		{"or alone, none", `?A ?B`, `X`, false},
		{"quoted blank", `" "`, `nospace`, true},
		{"quoted blanks", "\"  \t \"", ``, true},
		// Only `" "` as the whole pattern matches everything; among other
		// terms a quoted blank is a phrase like any other.
		{"excluded quoted blank", `-" "`, `x`, true},
		{"excluded quoted blank, hit", `-" "`, `x y`, false},
		{"quoted blank among terms", `" " ERROR`, `WARN`, false},
		{"quoted blank among terms, no blank", `" " ERROR`, `ERROR`, false},
		{"quoted blank among terms, hit", `" " ERROR`, `x ERROR`, true},
		{"only exclusions", `-ERROR -WARN`, `INFO ok`, true},
		{"only exclusions, hit", `-ERROR -WARN`, `WARN ok`, false},
		{"blank pattern", "  \t ", `anything`, true},
		{"regex unanchored", `%ERR%`, `xERRx`, true},
		{"regex anchored", `%^ERR$%`, `xERRx`, false},
	})
}

func TestJSONSemantics(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"not json", `{ $.a = 1 }`, `a=1`, false},
		{"json array root", `{ $.a = 1 }`, `[{"a":1}]`, false},
		{"two json values", `{ $.a = 1 }`, `{"a":1} {"a":1}`, false},
		{"trailing blank ok", `{ $.a = 1 }`, "{\"a\":1}\n", true},
		{"string vs number", `{ $.a = "1" }`, `{"a":1}`, false},
		{"number vs string", `{ $.a = 1 }`, `{"a":"1"}`, false},
		{"!= on missing", `{ $.a != x }`, `{"b":"x"}`, false},
		{"!= on other", `{ $.a != x }`, `{"a":"y"}`, true},
		{"regex", `{ $.a = %^10\.% }`, `{"a":"10.0.0.1"}`, true},
		{"regex negated", `{ $.a != %^10\.% }`, `{"a":"10.0.0.1"}`, false},
		{"star any string", `{ $.a = * }`, `{"a":""}`, true},
		{"star not null", `{ $.a = * }`, `{"a":null}`, false},
		{"star not object", `{ $.a = * }`, `{"a":{}}`, false},
		{"is null on missing", `{ $.a IS NULL }`, `{}`, false},
		{"not exists under a string", `{ $.a.b NOT EXISTS }`, `{"a":"x"}`, true},
		{"index past end", `{ $.a[3] NOT EXISTS }`, `{"a":[1]}`, true},
		{"hyphen and underscore names", `{ $.my-key.sub_key = v }`, `{"my-key":{"sub_key":"v"}}`, true},
		{"&& binds tighter", `{ $.a = 1 || $.a = 2 && $.a = 3 }`, `{"a":1}`, true},
		{"parentheses", `{ ($.a = 1 || $.a = 2) && $.a = 3 }`, `{"a":1}`, false},
		{"no spaces", `{$.a=1&&$.b=x}`, `{"a":1,"b":"x"}`, true},
		{"quoted value with @", `{ $.e = "a@b.c" }`, `{"e":"a@b.c"}`, true},
	})
}

func TestSyntaxErrorsOfEveryKind(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		column  int
		msg     string
	}{
		// Terms.
		{"unquoted ip", `10.0.0.155`, 3, `character '.' in an unquoted term: a term with characters other than letters, digits and '_' must be in double quotes, as in "10.0.0.155"`},
		{"unquoted symbol", `REJECT -172.31.`, 12, `must be in double quotes, as in "172.31."`},
		{"leading symbol", `ERROR :x`, 7, `character ':' in an unquoted term`},
		{"unterminated quote", `ERROR "REJECT`, 7, "unterminated quoted value"},
		{"no blank after quote", `"a"b`, 4, "expected a blank between terms, found 'b'"},
		{"no blank before quote", `a"b"`, 2, `expected a blank between terms, found '"'`},
		{"two prefixes", `?-x`, 2, "a term takes one prefix"},
		{"dangling prefix", `ERROR -`, 7, `"-" must be followed by a term`},
		{"regex among terms", `ERROR %x%`, 7, "a regular expression must be the whole pattern"},
		{"terms after regex", `%x% ERROR`, 5, "a regular expression pattern must be the whole pattern"},
		{"unterminated standalone regex", `%^2 [0-9]`, 1, "unterminated regular expression"},
		{"unterminated regex in field", `[srcaddr = %10\.0, ...]`, 12, "unterminated regular expression"},
		{"regex with tab", "%a\tb%", 3, `character '\t' is not supported`},
		{"regex with newline", "%a\nb%", 3, `character '\n' is not supported`},
		{"regex with exclamation mark", `%something!%`, 11, `character '!' is not supported`},
		{"regex with parentheses", `%(a|b)%`, 2, "parentheses are not supported"},
		{"invalid utf-8", "ERROR \xff", 7, "not valid UTF-8"},
		// JSON.
		{"empty json", `{ }`, 3, "empty JSON pattern"},
		{"unclosed json", `{ $.a = 1`, 10, "expected '}' to close the '{' at column 1"},
		{"no selector", `{ a = 1 }`, 3, "expected a selector starting with '$'"},
		{"bare dollar", `{ $ = 1 }`, 4, "expected '.' and a property name after '$'"},
		{"index first", `{ $[0] = 1 }`, 4, "an array index or [*] must follow a property"},
		{"wildcard index first", `{ $[*] = 1 }`, 4, "an array index or [*] must follow a property"},
		{"empty name", `{ $.= 1 }`, 5, "expected a property name, '*' or ['name'] after '.'"},
		{"symbol in a name after bracket names", `{ $.cluster.name.x.y.z = 1 && $.a.b = 2 && $.['a.b'] = 3 && $.a% = 4 }`, 64, "expected a comparison operator"},
		{"bad index", `{ $.a[x] = 1 }`, 7, "expected an array index (digits) or '*' after '['"},
		// Wildcards and bracket-quoted names
		// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html).
		{"unclosed wildcard index", `{ $.a[* = 1 }`, 8, "expected ']' to close the '[' at column 6"},
		{"two wildcards in a selector", `{ $.a[*].* = 1 }`, 9, "a selector may hold at most 1 wildcard ('.*' or '[*]'); this is its second"},
		{"two array wildcards in a selector", `{ $.a[*][*] = 1 }`, 9, "a selector may hold at most 1 wildcard"},
		{"two field wildcards in a selector", `{ $.*.* = 1 }`, 6, "a selector may hold at most 1 wildcard"},
		{"four wildcards in a pattern", `{ $.a[*] = 1 || $.b[*] = 2 || $.* = 3 || $.c.* = 4 }`, 45, "a JSON pattern may hold at most 3 wildcard selectors ('.*' or '[*]'); this is the 4th"},
		{"bracket name without dot", `{ $.a['b.c'] = 1 }`, 6, "a quoted property name follows a '.', as in $.['cluster.name']"},
		{"bracket name double quotes", `{ $.["b.c"] = 1 }`, 6, "expected a property name in single quotes after '.['"},
		{"bracket name unterminated", `{ $.['b.c = 1 }`, 6, "unterminated property name"},
		{"bracket name empty", `{ $.[''] = 1 }`, 6, "empty property name"},
		{"bracket name unclosed", `{ $.['b.c' = 1 }`, 11, "expected ']' to close the '[' at column 5"},
		{"unclosed index", `{ $.a[1 = 1 }`, 8, "expected ']' to close the '[' at column 6"},
		{"missing operator", `{ $.a 1 }`, 7, "expected a comparison operator"},
		{"relational string", `{ $.a > abc }`, 9, `operator ">" needs a number, found "abc"`},
		{"relational quoted", `{ $.a < "5" }`, 7, `operator "<" needs a number`},
		{"relational regex", `{ $.a >= %5% }`, 7, "cannot be used with a regular expression"},
		{"unquoted at sign", `{ $.e = a@b.c }`, 10, `character '@' in an unquoted value: put the value "a@b.c" in double quotes`},
		{"is what", `{ $.a IS MAYBE }`, 10, "expected NULL, TRUE or FALSE after IS"},
		{"not what", `{ $.a NOT THERE }`, 11, "expected EXISTS after NOT"},
		{"junk after json", `{ $.a = 1 } x`, 13, "unexpected 'x' after the closing '}'"},
		{"single ampersand", `{ $.a = 1 & $.b = 2 }`, 11, "expected '&&', '||' or '}', found '&'"},
		{"dangling and", `{ $.a = 1 && }`, 14, "expected a selector starting with '$'"},
		{"unclosed paren", `{ ($.a = 1 }`, 12, "expected ')' to close the '(' at column 3"},
		{"double equals json", `{ $.a == 1 }`, 7, "'==' is not an operator"},
		{"three regexes json", `{ $.a = %x% && $.b = %y% && $.c = %z% }`, 35, "at most 2 regular expressions"},
		{"missing value json", `{ $.a = }`, 9, `expected a value after "=", found '}'`},
		// Space-delimited.
		{"junk after empty brackets", `[] x`, 4, "unexpected 'x' after the closing ']'"},
		{"unclosed empty brackets", `[`, 2, "expected ',' or ']', found end of pattern"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.pattern)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) = %v, want a *SyntaxError containing %q", tc.pattern, err, tc.msg)
			}
			if !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("Parse(%q) error %q, want it to contain %q", tc.pattern, se.Msg, tc.msg)
			}
			if se.Column != tc.column {
				t.Errorf("Parse(%q) error %q at column %d, want column %d", tc.pattern, se.Msg, se.Column, tc.column)
			}
		})
	}
}

func TestErrorNamesColumnAndReason(t *testing.T) {
	_, err := Parse(`[srcaddr = %10\.0, ...]`)
	if err == nil || err.Error() != `filterpattern: at column 12: unterminated regular expression: no closing '%'` {
		t.Errorf("error = %v", err)
	}
}

func TestKindAndRegexps(t *testing.T) {
	tests := []struct {
		pattern string
		kind    Kind
		regexps int
	}{
		{``, KindTerms, 0},
		{`ERROR`, KindTerms, 0},
		{`%ERROR%`, KindTerms, 1},
		{`{ $.a = %x% || $.b = %y% }`, KindJSON, 2},
		{`{ $.a = 1 }`, KindJSON, 0},
		{`[a = %x%, b = %y%]`, KindDelimited, 2},
		{`[]`, KindDelimited, 0},
	}
	for _, tc := range tests {
		p := MustParse(tc.pattern)
		if p.Kind() != tc.kind || p.Regexps() != tc.regexps {
			t.Errorf("Parse(%q): kind %v with %d regexps, want %v with %d", tc.pattern, p.Kind(), p.Regexps(), tc.kind, tc.regexps)
		}
		if tc.kind != KindDelimited && p.Fields() != nil {
			t.Errorf("Parse(%q).Fields() = %q, want nil", tc.pattern, p.Fields())
		}
	}
	if got := MustParse(`[]`).Fields(); got == nil || len(got) != 0 {
		t.Errorf("Fields of [] = %#v, want an empty list", got)
	}
	for k, want := range map[Kind]string{KindTerms: "terms", KindJSON: "JSON", KindDelimited: "space-delimited", Kind(9): "Kind(9)"} {
		if k.String() != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), k.String(), want)
		}
	}
}
