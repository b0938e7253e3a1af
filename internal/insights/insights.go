// Package insights generates the CloudWatch Contributor Insights rules over
// the flow-log log group from the field catalog (internal/flowlog), so every
// rule reads the fields at the positions the stack's configured log format
// puts them (flowLogFields).
//
// The rules use the space-delimited ("CLF") log format: VPC flow log records
// reach CloudWatch Logs as one line of space-separated fields, and a CLF rule
// names each field it reads by its 1-based position in that line. Rule syntax:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContributorInsights-RuleSyntax.html
// and AWS's own VPC flow log examples:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContributorInsights-Rule-Examples.html
package insights

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// The rules, by id. The id is also the last part of the rule's name.
const (
	TopTalkersSource      = "top-talkers-source"
	TopTalkersDestination = "top-talkers-destination"
	TopRejectedSources    = "top-rejected-sources"
	TopDestinationPorts   = "top-destination-ports"
	TopInterfaces         = "top-interfaces"
)

// Limits of the rule syntax and of PutInsightRule.
const (
	// MaxKeys is the most Contribution.Keys a rule may have ("up to four").
	MaxKeys = 4
	// MaxFilters is the most Contribution.Filters a rule may have.
	MaxFilters = 4
	// MaxRuleNameLength is PutInsightRule's RuleName limit (1-128 printable
	// ASCII characters):
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutInsightRule.html
	MaxRuleNameLength = 128
	// MaxDefinitionLength is PutInsightRule's RuleDefinition limit.
	MaxDefinitionLength = 8192
)

// Aggregations of a rule (AggregateOn).
const (
	AggregateCount = "Count"
	AggregateSum   = "Sum"
)

// Metrics are the metric names INSIGHT_RULE_METRIC(ruleName, metricName)
// returns for a rule:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContributorInsights-GraphReportData.html
var Metrics = []string{"UniqueContributors", "MaxContributorValue", "SampleCount", "Sum", "Minimum", "Maximum", "Average"}

// Filter keeps the log events whose field is one of In (strings, e.g.
// action REJECT).
type Filter struct {
	Field string
	In    []string
}

// Spec is one rule: what it answers, the catalog fields that make a
// contributor and the field it sums (none: it counts records).
type Spec struct {
	ID string
	// Question is what the rule answers, for the docs and the plan.
	Question string
	// Keys are catalog field names; each combination of their values is a contributor.
	Keys []string
	// ValueOf is the catalog field summed per contributor; "" counts records.
	ValueOf string
	Filters []Filter
}

// Aggregate is the rule's AggregateOn: Sum with a ValueOf, else Count.
func (s Spec) Aggregate() string {
	if s.ValueOf != "" {
		return AggregateSum
	}
	return AggregateCount
}

// Needs lists the catalog fields the rule reads, in order of first use.
func (s Spec) Needs() []string {
	var out []string
	add := func(n string) {
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, k := range s.Keys {
		add(k)
	}
	add(s.ValueOf)
	for _, f := range s.Filters {
		add(f.Field)
	}
	return out
}

// Specs are the rules this project offers, in the order of the docs.
var Specs = []Spec{
	{ID: TopTalkersSource, Question: "Which source addresses send the most bytes?", Keys: []string{"srcaddr"}, ValueOf: "bytes"},
	{ID: TopTalkersDestination, Question: "Which destination addresses receive the most bytes?", Keys: []string{"dstaddr"}, ValueOf: "bytes"},
	{ID: TopRejectedSources, Question: "Which source addresses have the most REJECTed flows?", Keys: []string{"srcaddr"},
		Filters: []Filter{{Field: "action", In: []string{"REJECT"}}}},
	{ID: TopDestinationPorts, Question: "Which destination ports and protocols see the most flows?", Keys: []string{"dstport", "protocol"}},
	{ID: TopInterfaces, Question: "Which network interfaces carry the most bytes?", Keys: []string{"interface-id"}, ValueOf: "bytes"},
}

// IDs lists the rule ids in order.
func IDs() []string {
	out := make([]string, len(Specs))
	for i, s := range Specs {
		out[i] = s.ID
	}
	return out
}

// Lookup returns the rule with the given id.
func Lookup(id string) (Spec, bool) {
	i := slices.IndexFunc(Specs, func(s Spec) bool { return s.ID == id })
	if i < 0 {
		return Spec{}, false
	}
	return Specs[i], true
}

// Missing lists the fields the rule needs that the format does not record.
func (s Spec) Missing(fields []flowlog.Field) []string {
	var out []string
	for _, n := range s.Needs() {
		if !slices.ContainsFunc(fields, func(f flowlog.Field) bool { return f.Name == n }) {
			out = append(out, n)
		}
	}
	return out
}

// Definition is a Contributor Insights rule body for a CLF log group.
type Definition struct {
	Schema        Schema            `json:"Schema"`
	LogGroupNames []string          `json:"LogGroupNames"`
	LogFormat     string            `json:"LogFormat"`
	Fields        map[string]string `json:"Fields"`
	Contribution  Contribution      `json:"Contribution"`
	AggregateOn   string            `json:"AggregateOn"`
}

// Schema is always {"Name": "CloudWatchLogRule", "Version": 1} for rules
// over CloudWatch Logs.
type Schema struct {
	Name    string `json:"Name"`
	Version int    `json:"Version"`
}

// Contribution names the keys, the summed value and the filters.
type Contribution struct {
	Keys    []string     `json:"Keys"`
	ValueOf string       `json:"ValueOf,omitempty"`
	Filters []RuleFilter `json:"Filters"`
}

// RuleFilter is one filter of the rule syntax (the In operator).
type RuleFilter struct {
	Match string   `json:"Match"`
	In    []string `json:"In"`
}

// Build renders the rule for a log group whose records have the given
// fields in order. It refuses a rule that reads a field the format does not
// record: the rule would read another field at that position, or nothing.
func (s Spec) Build(fields []flowlog.Field, logGroupName string) (Definition, error) {
	if missing := s.Missing(fields); len(missing) > 0 {
		return Definition{}, fmt.Errorf("contributor insights rule %s reads %s, which the flow log format does not record", s.ID, strings.Join(missing, ", "))
	}
	if len(s.Keys) < 1 || len(s.Keys) > MaxKeys {
		return Definition{}, fmt.Errorf("contributor insights rule %s has %d keys; allowed 1-%d", s.ID, len(s.Keys), MaxKeys)
	}
	if len(s.Filters) > MaxFilters {
		return Definition{}, fmt.Errorf("contributor insights rule %s has %d filters; allowed at most %d", s.ID, len(s.Filters), MaxFilters)
	}
	pos := map[string]int{}
	for i, f := range fields {
		pos[f.Name] = i + 1 // CLF positions are 1-based
	}
	d := Definition{
		Schema:        Schema{Name: "CloudWatchLogRule", Version: 1},
		LogGroupNames: []string{logGroupName},
		LogFormat:     "CLF",
		Fields:        map[string]string{},
		Contribution:  Contribution{Keys: []string{}, Filters: []RuleFilter{}},
		AggregateOn:   s.Aggregate(),
	}
	for _, n := range s.Needs() {
		f, _ := flowlog.Lookup(n)
		d.Fields[strconv.Itoa(pos[n])] = f.Column()
	}
	for _, k := range s.Keys {
		f, _ := flowlog.Lookup(k)
		d.Contribution.Keys = append(d.Contribution.Keys, f.Column())
	}
	if s.ValueOf != "" {
		f, _ := flowlog.Lookup(s.ValueOf)
		d.Contribution.ValueOf = f.Column()
	}
	for _, flt := range s.Filters {
		f, _ := flowlog.Lookup(flt.Field)
		d.Contribution.Filters = append(d.Contribution.Filters, RuleFilter{Match: f.Column(), In: slices.Clone(flt.In)})
	}
	// NODATA and SKIPDATA records carry "-" for every address, port and
	// counter: without this filter "-" would rank as a contributor (a quiet
	// interface writes a NODATA record every interval). Added whenever the
	// format records log-status.
	if i := slices.IndexFunc(fields, func(f flowlog.Field) bool { return f.Name == StatusField }); i >= 0 {
		if len(d.Contribution.Filters) >= MaxFilters {
			return Definition{}, fmt.Errorf("contributor insights rule %s has %d filters plus the log-status filter; allowed at most %d", s.ID, len(s.Filters), MaxFilters)
		}
		f := fields[i]
		d.Fields[strconv.Itoa(i+1)] = f.Column()
		d.Contribution.Filters = append(d.Contribution.Filters, RuleFilter{Match: f.Column(), In: []string{flowlog.StatusOK}})
	}
	return d, nil
}

// StatusField is the field whose value OK marks a record with data; every
// rule keeps only those when the format records it.
const StatusField = "log-status"

// JSON renders the definition as PutInsightRule takes it (indented, keys of
// Fields in ascending position order, as encoding/json sorts map keys as
// strings; the order carries no meaning).
func (d Definition) JSON() (string, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return "", err
	}
	if len(b) > MaxDefinitionLength {
		return "", fmt.Errorf("contributor insights rule definition is %d characters; PutInsightRule accepts at most %d", len(b), MaxDefinitionLength)
	}
	return string(b), nil
}

// RuleName is the rule's name in the account and region: rule names are
// unique per region, so it carries the project and stack.
func RuleName(prefix, id string) string { return prefix + "-" + id }

// MetricExpression is the metric math that reads a rule's metric.
func MetricExpression(ruleName, metric string) string {
	return fmt.Sprintf("INSIGHT_RULE_METRIC('%s', '%s')", ruleName, metric)
}
