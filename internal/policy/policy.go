// Package policy is the project's security and reliability rule suite, in the
// spirit of AWS Foundational Security Best Practices and Pulumi's awsguard
// rules. The rules read the mocked resource graph that internal/mockaws
// records (the same record the offline plan prints), so `go test` and
// `make plan` check exactly what `pulumi up` would register.
//
// Every rule lists its clauses, the conditions it checks (Rule.Clauses),
// and every violation names the clause it breaks; the tests hold a fixture
// per clause that breaks it alone, so dropping a check fails a test.
//
// A stack may turn a rule off only with a written reason (config key
// policyWaivers); waived rules still run, and the report lists every waiver
// with its reason and what it suppressed.
package policy

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// Severity ranks a rule by the harm a violation allows.
type Severity string

// Severities.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
)

// Rule is one check over the graph.
type Rule struct {
	// ID is stable and used in waivers, e.g. "s3-public-access-block" (see package ids).
	ID string
	// Description says what the rule requires and why, including any scope
	// decision (what it deliberately does not check).
	Description string
	Severity    Severity
	// Clauses are the conditions the rule checks; every violation names
	// one of them, and each has a fixture that breaks it alone.
	Clauses []Clause
	// Check returns one violation per offending resource (or statement)
	// and clause.
	Check func(g *Graph) []Violation
}

// Clause is one condition a rule checks.
type Clause = ids.Clause

// Clause returns the rule's clause with that id.
func (r Rule) Clause(id string) (Clause, bool) {
	for _, c := range r.Clauses {
		if c.ID == id {
			return c, true
		}
	}
	return Clause{}, false
}

// one is the clause list of a rule that checks one condition.
func one(id, text string) []Clause { return []Clause{{ID: id, Text: text}} }

// Violation is one resource that breaks a rule.
type Violation struct {
	Rule     string
	Clause   string // the id of the rule's clause it breaks
	Severity Severity
	Type     string // type token of the offending resource
	Name     string // its logical name
	Message  string
}

func (v Violation) String() string {
	id := v.Rule
	if v.Clause != "" {
		id += "/" + v.Clause
	}
	return fmt.Sprintf("%s [%s] %s (%s): %s", id, v.Severity, v.Name, v.Type, v.Message)
}

// RuleResult is the outcome of one rule.
type RuleResult struct {
	Rule       Rule
	Violations []Violation
	// Waived is set when the stack turns the rule off; Reason is why.
	Waived bool
	Reason string
}

// Report is the outcome of the suite over one run.
type Report struct {
	Rules     int // rules evaluated
	Resources int // cloud resources checked
	Results   []RuleResult
	// Violations are those of rules that are not waived.
	Violations []Violation
	// InvalidWaivers are waivers that name no rule or give no reason; they waive nothing.
	InvalidWaivers []string
}

// Waived returns the results of waived rules.
func (r Report) Waived() []RuleResult {
	var out []RuleResult
	for _, res := range r.Results {
		if res.Waived {
			out = append(out, res)
		}
	}
	return out
}

// Failed reports whether the run breaks a rule that is not waived, or a
// waiver is invalid.
func (r Report) Failed() bool { return len(r.Violations) > 0 || len(r.InvalidWaivers) > 0 }

// Summary is the one-line result, e.g.
// "policy: 33 rules, 92 resources checked, 0 violations, 1 waived (vpc-flow-logs-enabled: reason)".
func (r Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy: %d rules, %d resources checked, %d violations, %d waived",
		r.Rules, r.Resources, len(r.Violations), len(r.Waived()))
	if w := r.Waived(); len(w) > 0 {
		parts := make([]string, len(w))
		for i, res := range w {
			parts[i] = res.Rule.ID + ": " + res.Reason
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, "; "))
	}
	if n := len(r.InvalidWaivers); n > 0 {
		fmt.Fprintf(&b, ", %d invalid waivers (%s)", n, strings.Join(r.InvalidWaivers, "; "))
	}
	return b.String()
}

// Write prints the summary, each violation and each waiver with its reason
// and what it suppressed.
func (r Report) Write(w io.Writer) {
	fmt.Fprintln(w, r.Summary())
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  VIOLATION %s\n", v)
	}
	for _, res := range r.Waived() {
		fmt.Fprintf(w, "  WAIVED    %s [%s]: %s (suppresses %d findings)\n", res.Rule.ID, res.Rule.Severity, res.Reason, len(res.Violations))
		for _, v := range res.Violations {
			fmt.Fprintf(w, "            - %s (%s): %s\n", v.Name, v.Type, v.Message)
		}
	}
	for _, s := range r.InvalidWaivers {
		fmt.Fprintf(w, "  INVALID WAIVER %s\n", s)
	}
}

// Rules returns the suite, in report order (ids.All).
func Rules() []Rule {
	out := make([]Rule, 0, len(ids.All))
	for _, group := range [][]Rule{s3Rules, logRules, encryptionRules, openSearchRules, lambdaRules, iamRules, firehoseRules, athenaRules, quickSightRules, ec2Rules} {
		out = append(out, group...)
	}
	return out
}

// RuleByID returns the rule with that id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Evaluate runs every rule over the recorded run. waivers maps a rule id to
// the written reason the stack turns it off; opts set what the stack config
// expects (monitored VPCs, the log-group key).
func Evaluate(m *mockaws.Mocks, waivers map[string]string, opts ...Option) Report {
	g := NewGraph(m, opts...)
	rules := Rules()
	rep := Report{Rules: len(rules), Resources: len(g.Resources())}
	for _, rule := range rules {
		vs := rule.Check(g)
		for i := range vs {
			vs[i].Rule, vs[i].Severity = rule.ID, rule.Severity
		}
		sort.SliceStable(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
		res := RuleResult{Rule: rule, Violations: vs}
		if reason, ok := waivers[rule.ID]; ok && strings.TrimSpace(reason) != "" {
			res.Waived, res.Reason = true, strings.TrimSpace(reason)
		} else {
			rep.Violations = append(rep.Violations, vs...)
		}
		rep.Results = append(rep.Results, res)
	}
	keys := make([]string, 0, len(waivers))
	for k := range waivers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case !ids.Known(k):
			rep.InvalidWaivers = append(rep.InvalidWaivers, k+": no such rule")
		case strings.TrimSpace(waivers[k]) == "":
			rep.InvalidWaivers = append(rep.InvalidWaivers, k+": no written reason")
		}
	}
	return rep
}

// EvaluateStack runs the suite with the waivers and expectations of a
// validated stack configuration.
func EvaluateStack(m *mockaws.Mocks, c *stackconfig.Config) Report {
	return Evaluate(m, c.PolicyWaivers, ForConfig(c))
}

// violation builds a violation of clause by resource r (Rule and Severity
// are set by Evaluate).
func violation(r *mockaws.Resource, clause, format string, args ...any) Violation {
	return Violation{Clause: clause, Type: r.Type, Name: r.Name, Message: fmt.Sprintf(format, args...)}
}
