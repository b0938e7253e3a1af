package components

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/insights"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

const tInsightRule = "aws:cloudwatch/contributorInsightRule:ContributorInsightRule"

func insightArgs() *ContributorInsightsArgs {
	return &ContributorInsightsArgs{
		LogGroupName: pulumi.String("/flow/logs"),
		Fields:       flowlog.V2Fields(),
		Rules:        insights.IDs(),
		NamePrefix:   "vpc-flow-logs-test",
		Alarms: []InsightAlarm{{
			Name: "one-source-rejected", Description: "One source REJECTed 100 times in 5 minutes",
			Rule: insights.TopRejectedSources, Metric: "MaxContributorValue",
			Threshold: 100, Period: 300, EvaluationPeriods: 1, Comparison: "GreaterThanOrEqualToThreshold",
		}},
		AlarmTopicArn: pulumi.String("arn:aws:sns:us-east-1:123456789012:alarms"),
		Tags:          map[string]string{"project": "vpc-flow-logs"},
	}
}

func TestContributorInsights(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewContributorInsights(ctx, "ci", insightArgs())
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:ContributorInsights", "ci")

	rules := m.ByType(tInsightRule)
	if len(rules) != len(insights.Specs) {
		t.Fatalf("%d rules, want %d", len(rules), len(insights.Specs))
	}
	r := mustGet(t, m, "ci-"+insights.TopRejectedSources)
	if r.Input("ruleName") != "vpc-flow-logs-test-top-rejected-sources" || r.Input("ruleState") != "ENABLED" {
		t.Errorf("rule = %v", r.Inputs)
	}
	var def insights.Definition
	if err := json.Unmarshal([]byte(r.Input("ruleDefinition")), &def); err != nil {
		t.Fatalf("ruleDefinition is not JSON: %v\n%s", err, r.Input("ruleDefinition"))
	}
	if len(def.LogGroupNames) != 1 || def.LogGroupNames[0] != "/flow/logs" {
		t.Errorf("rule reads %v, want the flow-log log group", def.LogGroupNames)
	}
	if def.Fields["4"] != "srcaddr" || def.Fields["13"] != "action" {
		t.Errorf("Fields = %v, want srcaddr at 4 and action at 13 (version 2 format)", def.Fields)
	}

	a := mustGet(t, m, "ci-one-source-rejected-alarm")
	qs, _ := a.Inputs["metricQueries"].([]any)
	if len(qs) != 1 {
		t.Fatalf("metricQueries = %v", a.Inputs["metricQueries"])
	}
	q := asMap(qs[0])
	if q["expression"] != "INSIGHT_RULE_METRIC('vpc-flow-logs-test-top-rejected-sources', 'MaxContributorValue')" ||
		q["period"] != float64(300) || q["returnData"] != true {
		t.Errorf("metric query = %v", q)
	}
	if a.Inputs["threshold"] != float64(100) || a.Inputs["comparisonOperator"] != "GreaterThanOrEqualToThreshold" ||
		a.Inputs["treatMissingData"] != "notBreaching" || a.Inputs["metricName"] != nil {
		t.Errorf("alarm = %v", a.Inputs)
	}
	for _, k := range []string{"alarmActions", "okActions"} {
		if acts, _ := a.Inputs[k].([]any); len(acts) != 1 || acts[0] != "arn:aws:sns:us-east-1:123456789012:alarms" {
			t.Errorf("%s = %v", k, a.Inputs[k])
		}
	}
	if d := a.Input("alarmDescription"); !strings.HasSuffix(d, runbook.Link(InsightRunbookAnchor)) {
		t.Errorf("description does not end with the runbook link: %q", d)
	}
	if !slices.Contains(a.Dependencies, r.URN) {
		t.Errorf("alarm does not wait for the rule it reads: %v", a.Dependencies)
	}
}

// The rule names are exported (for dashboards) both as outputs and as
// plain strings.
func TestContributorInsightsOutputs(t *testing.T) {
	var c *ContributorInsights
	run(t, func(ctx *pulumi.Context) error {
		var err error
		c, err = NewContributorInsights(ctx, "ci", insightArgs())
		return err
	})
	names, _ := await(t, c.RuleNames).(map[string]string)
	if names[insights.TopInterfaces] != "vpc-flow-logs-test-top-interfaces" || len(names) != len(insights.Specs) {
		t.Errorf("RuleNames = %v", names)
	}
	if c.Names[insights.TopInterfaces] != "vpc-flow-logs-test-top-interfaces" {
		t.Errorf("Names = %v", c.Names)
	}
}

func TestContributorInsightsRejectsBadArgs(t *testing.T) {
	cases := map[string]func(a *ContributorInsightsArgs){
		"unknown rule":        func(a *ContributorInsightsArgs) { a.Rules = append(a.Rules, "top-talkers") },
		"duplicate rule":      func(a *ContributorInsightsArgs) { a.Rules = append(a.Rules, insights.TopInterfaces) },
		"unrecorded field":    func(a *ContributorInsightsArgs) { a.Fields = flowlog.V2Fields()[:5] },
		"no log group":        func(a *ContributorInsightsArgs) { a.LogGroupName = nil },
		"no prefix":           func(a *ContributorInsightsArgs) { a.NamePrefix = "" },
		"long rule name":      func(a *ContributorInsightsArgs) { a.NamePrefix = strings.Repeat("x", 120) },
		"alarm on other rule": func(a *ContributorInsightsArgs) { a.Rules = []string{insights.TopInterfaces} },
		"bad metric":          func(a *ContributorInsightsArgs) { a.Alarms[0].Metric = "Top" },
		"bad comparison":      func(a *ContributorInsightsArgs) { a.Alarms[0].Comparison = "GreaterThanUpperThreshold" },
		"period 90":           func(a *ContributorInsightsArgs) { a.Alarms[0].Period = 90 },
		"negative threshold":  func(a *ContributorInsightsArgs) { a.Alarms[0].Threshold = -1 },
		"no topic":            func(a *ContributorInsightsArgs) { a.AlarmTopicArn = nil },
		"bad alarm name":      func(a *ContributorInsightsArgs) { a.Alarms[0].Name = "One" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := insightArgs()
			mutate(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewContributorInsights(ctx, "ci", a)
				return err
			}, "vpc-flow-logs", "test", nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if n := len(m.Resources); n > 1 { // the stack itself
				t.Errorf("%d resources registered before the error", n)
			}
		})
	}
}

// An anomaly rule's alarm compares the metric with its band: two returned
// queries, the band as threshold metric, no threshold or metric of its own.
func TestMetricAlarmSNSAnomaly(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		a := alarmArgs()
		a.Rules[1] = AlarmRule{
			Name: "rejects-unusual", Conditions: []flowlog.Condition{{Field: "action", Op: flowlog.OpEq, Value: "REJECT"}},
			Period: 300, EvaluationPeriods: 2, Comparison: "GreaterThanUpperThreshold", Anomaly: &Anomaly{Band: 2.5},
		}
		_, err := NewMetricAlarmSNS(ctx, "al", a)
		return err
	})
	a := mustGet(t, m, "al-rejects-unusual-alarm")
	for _, k := range []string{"threshold", "metricName", "namespace", "statistic", "period"} {
		if v, set := a.Inputs[k]; set && v != nil {
			t.Errorf("anomaly alarm sets %s = %v", k, v)
		}
	}
	if a.Inputs["thresholdMetricId"] != "band" || a.Inputs["comparisonOperator"] != "GreaterThanUpperThreshold" || a.Inputs["evaluationPeriods"] != float64(2) {
		t.Errorf("alarm = %v", a.Inputs)
	}
	qs, _ := a.Inputs["metricQueries"].([]any)
	if len(qs) != 2 {
		t.Fatalf("metricQueries = %v", a.Inputs["metricQueries"])
	}
	m1, band := asMap(qs[0]), asMap(qs[1])
	metric := asMap(m1["metric"])
	if m1["id"] != "m1" || m1["returnData"] != true || metric["metricName"] != "rejects-unusual" ||
		metric["namespace"] != "VPCFlowLogs/test" || metric["stat"] != "Sum" || metric["period"] != float64(300) {
		t.Errorf("metric query = %v", m1)
	}
	if band["id"] != "band" || band["expression"] != "ANOMALY_DETECTION_BAND(m1, 2.5)" || band["returnData"] != true {
		t.Errorf("band query = %v", band)
	}
	if d := a.Input("alarmDescription"); !strings.Contains(d, "anomaly band 2.5 standard deviations") {
		t.Errorf("description does not name the band: %q", d)
	}
}

func TestMetricAlarmSNSRejectsBadAnomaly(t *testing.T) {
	cases := map[string]func(r *AlarmRule){
		"threshold too":       func(r *AlarmRule) { r.Threshold = 3 },
		"band 0":              func(r *AlarmRule) { r.Anomaly.Band = 0 },
		"static comparison":   func(r *AlarmRule) { r.Comparison = "GreaterThanThreshold" },
		"band op, no anomaly": func(r *AlarmRule) { r.Anomaly = nil; r.Threshold = 1 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			r := AlarmRule{
				Name: "rejects-unusual", Conditions: []flowlog.Condition{{Field: "action", Op: flowlog.OpEq, Value: "REJECT"}},
				Period: 300, EvaluationPeriods: 1, Comparison: "GreaterThanUpperThreshold", Anomaly: &Anomaly{Band: 2},
			}
			mutate(&r)
			if _, err := RenderPatterns(flowlog.V2Fields(), []AlarmRule{r}); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// The runbook link of the insight alarms points at a section of
// docs/operations.md (GitHub's heading anchor: lower case, spaces as
// hyphens, punctuation dropped).
func TestInsightRunbookSectionExists(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	var anchors []string
	for _, line := range strings.Split(string(b), "\n") {
		h, ok := strings.CutPrefix(line, "## ")
		if !ok {
			continue
		}
		a := strings.Map(func(r rune) rune {
			switch {
			case r == ' ':
				return '-'
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				return unicode.ToLower(r)
			}
			return -1
		}, strings.TrimSpace(h))
		anchors = append(anchors, a)
	}
	if !slices.Contains(anchors, InsightRunbookAnchor) {
		t.Errorf("docs/operations.md has no section with anchor %q; it has %v", InsightRunbookAnchor, anchors)
	}
}

// TestInsightAlarmArgsAtTheirBounds: the alarm settings are accepted at each
// end of what CloudWatch takes (PutMetricAlarm: a period that is a multiple
// of 60 up to 86,400 s, at least one evaluation period; a threshold of 0 is
// a threshold), and refused one step past it; only alarms need the topic.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
func TestInsightAlarmArgsAtTheirBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(al *InsightAlarm)
		ok   bool
	}{
		{"threshold 0", func(al *InsightAlarm) { al.Threshold = 0 }, true},
		{"period 60", func(al *InsightAlarm) { al.Period = 60 }, true},
		{"period 86400", func(al *InsightAlarm) { al.Period = 86400 }, true},
		{"period 86460", func(al *InsightAlarm) { al.Period = 86460 }, false},
		{"period 0", func(al *InsightAlarm) { al.Period = 0 }, false},
		{"one evaluation period", func(al *InsightAlarm) { al.EvaluationPeriods = 1 }, true},
		{"no evaluation period", func(al *InsightAlarm) { al.EvaluationPeriods = 0 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := insightArgs()
			tc.set(&a.Alarms[0])
			_, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewContributorInsights(ctx, "ci", a)
				return err
			}, "vpc-flow-logs", "test", nil)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v, want accepted = %v", err, tc.ok)
			}
		})
	}
	t.Run("no alarms need no topic", func(t *testing.T) {
		a := insightArgs()
		a.Alarms, a.AlarmTopicArn = nil, nil
		if _, err := mockaws.Run(func(ctx *pulumi.Context) error {
			_, err := NewContributorInsights(ctx, "ci", a)
			return err
		}, "vpc-flow-logs", "test", nil); err != nil {
			t.Fatalf("rules without alarms refused: %v", err)
		}
	})
}

// TestInsightAlarmDescriptionFitsCloudWatch: the description is the
// configured text, a space, the rule's summary and the runbook link, and
// never longer than the 1,024 characters PutMetricAlarm takes
// (AlarmDescription): at exactly 1,024 it is kept whole; one more and the
// summary is cut with "..." before the link, which is always kept.
func TestInsightAlarmDescriptionFitsCloudWatch(t *testing.T) {
	al := insightArgs().Alarms[0]
	link := " Runbook: " + runbook.Link(InsightRunbookAnchor)
	al.Description = ""
	if got := insightAlarmDescription(al, "expr"); !strings.HasPrefix(got, "(Contributor Insights alarm one-source-rejected: expr ") || !strings.HasSuffix(got, link) {
		t.Errorf("without a description: %q", got)
	}
	al.Description = "x"
	base := len(insightAlarmDescription(al, "expr")) // "x (...)" and the link
	for _, extra := range []int{1024 - base, 1025 - base, 5000} {
		al.Description = strings.Repeat("x", 1+extra)
		got := insightAlarmDescription(al, "expr")
		whole := extra <= 1024-base
		if len(got) > 1024 || !strings.HasSuffix(got, link) || strings.Contains(got, "...") == whole {
			t.Errorf("description of %d characters: %d characters, kept whole = %v, want at most 1024, whole = %v, ending in the link",
				len(al.Description), len(got), !strings.Contains(got, "..."), whole)
		}
		if !whole && len(got) != 1024 {
			t.Errorf("a cut description is %d characters, want the 1024 of the limit", len(got))
		}
		if whole && !strings.HasPrefix(got, al.Description+" (") {
			t.Errorf("a description that fits is not kept whole: %q", got[:40])
		}
	}
	// A description of two-byte characters is cut at a character
	// boundary: a cut inside one is not UTF-8, which the Pulumi SDK
	// refuses to marshal ("contains non-UTF8 bytes"), so the stack
	// would not deploy.
	for n := 500; n < 520; n++ {
		al.Description = strings.Repeat("é", n)
		got := insightAlarmDescription(al, "expr")
		if !utf8.ValidString(got) || len(got) > 1024 || !strings.HasSuffix(got, link) {
			t.Fatalf("description of %d two-byte characters: valid UTF-8 %v, %d bytes, ends in the link %v",
				n, utf8.ValidString(got), len(got), strings.HasSuffix(got, link))
		}
	}
}
