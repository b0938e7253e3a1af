package stacks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// rawPatternRules renders alarmRules with one raw rule per pattern.
func rawPatternRules(t *testing.T, patterns []string) string {
	t.Helper()
	rules := make([]map[string]any, len(patterns))
	for i, p := range patterns {
		rules[i] = map[string]any{"name": fmt.Sprintf("raw-%d", i), "pattern": p, "threshold": 1}
	}
	b, err := json.Marshal(rules)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A raw rule with each kind of CloudWatch Logs filter pattern goes through
// config loading and the mocked deployment, and its metric filter carries
// the pattern exactly as written.
func TestRawRuleOfEveryPatternKindDeploys(t *testing.T) {
	patterns := []string{
		`"REJECT"`,
		`?"10.0.0.155" ?"10.0.0.156"`,
		`REJECT -"172.31."`,
		`%10\.0\.0\.[0-9]+%`,
		`{ $.action = "REJECT" && $.bytes > 1000 }`,
		`[]`,
		`[...]`,
		`[version, account_id, ..., action = "REJECT" || action = %^REJ%, log_status]`,
	}
	r, err := deploy(t, with(devConfig(t), "alarmRules", rawPatternRules(t, patterns)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range r.ByType("aws:cloudwatch/logMetricFilter:LogMetricFilter") {
		got[f.Name] = f.Input("pattern")
	}
	if len(got) != len(patterns) {
		t.Fatalf("%d metric filters, want %d: %v", len(got), len(patterns), got)
	}
	for i, p := range patterns {
		found := false
		for name, pat := range got {
			if strings.HasSuffix(name, fmt.Sprintf("-raw-%d", i)) {
				found = true
				if pat != p {
					t.Errorf("metric filter %s pattern = %q, want %q", name, pat, p)
				}
			}
		}
		if !found {
			t.Errorf("no metric filter for raw-%d (%s) in %v", i, p, got)
		}
	}
}

// The config check and the deployability rule count the same thing: five
// raw rules with two regular expressions each (ten expressions, five
// patterns containing one) load, deploy and pass every deployability rule,
// as CloudWatch Logs allows 5 filter patterns containing a regex per log
// group; a sixth such rule is refused at config time.
func TestRegexPatternQuotaAgreesWithTheDeployRule(t *testing.T) {
	var patterns []string
	for i := range 5 {
		patterns = append(patterns, fmt.Sprintf(`[version, account_id, interface_id, srcaddr = %%^10\.%d\.%%, dstaddr = %%^10\.%%, ...]`, i))
	}
	cfg := with(devConfig(t), "alarmRules", rawPatternRules(t, patterns))
	r, err := deploy(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := stackconfig.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if dep := policy.EvaluateDeployabilityStack(r.Mocks, c); dep.Failed() {
		t.Errorf("deployability rules: %v", dep.Violations)
	}
	_, err = deploy(t, with(devConfig(t), "alarmRules", rawPatternRules(t, append(patterns, `%^6%`))))
	if err == nil || !strings.Contains(err.Error(), "6 rules with a regular expression") {
		t.Errorf("a sixth pattern with a regular expression: err = %v", err)
	}
}

// An invalid raw pattern stops the program before any resource is
// registered, naming the key, the position and the reason.
func TestRawRuleInvalidPatternRegistersNothing(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "alarmRules", rawPatternRules(t, []string{`[srcaddr = %10\.0, ...]`})))
	if err == nil {
		t.Fatal("want a validation error")
	}
	for _, want := range []string{stackconfig.Key("alarmRules[0].pattern"), "at column 12: unterminated regular expression"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if len(r.Resources) != 0 {
		t.Errorf("%d resources registered before validation failed", len(r.Resources))
	}
}
