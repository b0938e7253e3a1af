package stackconfig_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// rawRules renders alarmRules with one raw rule per pattern.
func rawRules(patterns ...string) string {
	rules := make([]map[string]any, len(patterns))
	for i, p := range patterns {
		rules[i] = map[string]any{"name": fmt.Sprintf("raw-%d", i), "pattern": p, "threshold": 1}
	}
	b, err := json.Marshal(rules)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// A raw rule takes every kind of CloudWatch Logs filter pattern.
func TestRawRuleAcceptsEveryPatternKind(t *testing.T) {
	patterns := []string{
		`"REJECT"`,
		`REJECT`,
		`?"10.0.0.155" ?"10.0.0.156"`,
		`REJECT -"172.31."`,
		`%10\.0\.0\.[0-9]+%`,
		`{ $.action = "REJECT" && $.bytes > 1000 }`,
		`{ $.srcaddr = %^10\.% || $.dstaddr NOT EXISTS }`,
		`[]`,
		`[...]`,
		`[version, account_id, ..., action="REJECT", log_status]`,
	}
	cfg, err := stackconfig.Load(getter(with(full, map[string]string{"alarmRules": rawRules(patterns...)})))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.AlarmRules) != len(patterns) {
		t.Fatalf("%d rules, want %d", len(cfg.AlarmRules), len(patterns))
	}
	for i, r := range cfg.AlarmRules {
		if r.Pattern != patterns[i] {
			t.Errorf("rule %d pattern = %q, want %q", i, r.Pattern, patterns[i])
		}
	}
}

// An invalid raw pattern is refused naming the key, the value, what is
// allowed, and the position and reason.
func TestRawRuleInvalidPatternNamesPositionAndReason(t *testing.T) {
	tests := []struct {
		pattern string
		reason  string
	}{
		{`[srcaddr = %10\.0, ...]`, `at column 12: unterminated regular expression`},
		{`REJECT -172.31.`, `at column 12: character '.' in an unquoted term`},
		{`{ $.bytes > many }`, `at column 13: operator ">" needs a number`},
		{`ERROR %x%`, `at column 7: a regular expression must be the whole pattern`},
		{`[a = %x%, b = %y%, c = %z%]`, `at column 24: a space-delimited or JSON pattern may contain at most 2 regular expressions`},
		{`%(a|b)%`, `at column 2: parentheses are not supported`},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			_, err := stackconfig.Load(getter(with(full, map[string]string{"alarmRules": rawRules(tc.pattern)})))
			errs := allErrors(err)
			if len(errs) != 1 {
				t.Fatalf("want one error, got %v", err)
			}
			e := errs[0]
			if e.Key != stackconfig.Key("alarmRules[0].pattern") {
				t.Errorf("Key = %q", e.Key)
			}
			if e.Value != fmt.Sprintf("%q", tc.pattern) {
				t.Errorf("Value = %s, want the pattern %q", e.Value, tc.pattern)
			}
			for _, want := range []string{tc.reason, "terms such as", "JSON pattern such as", "space-delimited pattern such as", "regular expression such as"} {
				if !strings.Contains(e.Allowed, want) {
					t.Errorf("Allowed = %q, want it to contain %q", e.Allowed, want)
				}
			}
		})
	}
}

// CloudWatch Logs allows 5 filter patterns containing a regular expression
// per log group; every rule's metric filter is on the flow-log log group.
func TestRawRulesRegexPatternsPerLogGroup(t *testing.T) {
	withRegex := []string{
		`%10\.0\.0\.1%`,
		`{ $.srcaddr = %^10\.% }`,
		`[version, srcaddr = %^10\.%, ...]`,
		`[version, srcaddr = %^10\.% || srcaddr = %^172\.%, ...]`, // two regexes, one pattern
		`%REJECT%`,
	}
	plain := []string{`REJECT`, `{ $.action = "REJECT" }`, `[..., action = REJECT, log_status]`}
	// Five regex patterns plus any number without: accepted.
	if _, err := stackconfig.Load(getter(with(full, map[string]string{"alarmRules": rawRules(append(withRegex, plain...)...)}))); err != nil {
		t.Fatalf("five regex patterns refused: %v", err)
	}
	// A sixth: refused, naming alarmRules and the rules.
	six := append(append([]string{}, withRegex...), `%ACCEPT%`)
	_, err := stackconfig.Load(getter(with(full, map[string]string{"alarmRules": rawRules(append(six, plain...)...)})))
	errs := allErrors(err)
	if len(errs) != 1 {
		t.Fatalf("want one error, got %v", err)
	}
	e := errs[0]
	if e.Key != stackconfig.Key("alarmRules") {
		t.Errorf("Key = %q, want alarmRules", e.Key)
	}
	if !strings.Contains(e.Value, "6 rules") || !strings.Contains(e.Value, "raw-0, raw-1, raw-2, raw-3, raw-4, raw-5") || strings.Contains(e.Value, "raw-6") {
		t.Errorf("Value = %q, want the six rules with a regular expression", e.Value)
	}
	if !strings.Contains(e.Allowed, "at most 5 rules") {
		t.Errorf("Allowed = %q", e.Allowed)
	}
}

// Flow log records are text: a JSON pattern is valid and deploys, but its
// metric filter counts nothing, which Load says in a warning.
func TestRawRuleJSONPatternWarns(t *testing.T) {
	cfg, err := stackconfig.Load(getter(with(full, map[string]string{"alarmRules": rawRules(`REJECT`, `{ $.action = "REJECT" }`, `[..., action = REJECT, log_status]`)})))
	if err != nil {
		t.Fatal(err)
	}
	got := warningsWith(cfg, "JSON pattern")
	if len(got) != 1 || !strings.Contains(got[0], "alarmRules[1].pattern") || !strings.Contains(got[0], "count nothing") {
		t.Errorf("JSON-pattern warnings = %q, want one naming alarmRules[1].pattern", got)
	}
}

// CloudWatch Logs ignores ?terms next to plain or -terms ("If you combine
// "?" with other filter patterns, all question mark terms will be
// ignored", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
// such a rule counts more than its author likely meant, which Load says in
// a warning naming the ignored terms.
func TestRawRuleMixedOptionalTermsWarn(t *testing.T) {
	patterns := []string{
		`?"10.0.0.155" ?"10.0.0.156"`,        // ?terms alone: no warning
		`REJECT ?"10.0.0.155" ?"10.0.0.156"`, // warned
		`?"10.0.0.155" -"172.31."`,           // warned: an exclusion counts too
		`REJECT -"172.31."`,                  // no ?terms
		`[..., action = REJECT, log_status]`, // not a term pattern
	}
	cfg, err := stackconfig.Load(getter(with(full, map[string]string{"alarmRules": rawRules(patterns...)})))
	if err != nil {
		t.Fatal(err)
	}
	got := warningsWith(cfg, "?terms")
	if len(got) != 2 {
		t.Fatalf("?term warnings = %q, want two", got)
	}
	for i, want := range []struct{ key, terms string }{
		{"alarmRules[1].pattern", `?"10.0.0.155" ?"10.0.0.156" has no effect`},
		{"alarmRules[2].pattern", `?"10.0.0.155" has no effect`},
	} {
		for _, s := range []string{want.key, want.terms, "counts every record the other terms match"} {
			if !strings.Contains(got[i], s) {
				t.Errorf("warning %q, want it to contain %q", got[i], s)
			}
		}
	}
}

// warningsWith returns the config warnings that contain every one of subs.
func warningsWith(cfg *stackconfig.Config, subs ...string) []string {
	var out []string
	for _, w := range cfg.Warnings {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(w, s)
		}
		if all {
			out = append(out, w)
		}
	}
	return out
}
