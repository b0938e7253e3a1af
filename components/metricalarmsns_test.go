package components

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

func alarmArgs() *MetricAlarmSNSArgs {
	return &MetricAlarmSNSArgs{
		LogGroupName: pulumi.String("/flow/logs"),
		Fields:       flowlog.V2Fields(),
		Namespace:    "VPCFlowLogs/test",
		Emails:       []string{"secops@example.com", "noc@example.com"},
		Rules: []AlarmRule{
			{
				Name: "ssh-reject", Threshold: 1, Period: 60, EvaluationPeriods: 1,
				Conditions: []flowlog.Condition{
					{Field: "srcaddr", Op: flowlog.OpEq, Value: "10.0.0.155"},
					{Field: "dstport", Op: flowlog.OpEq, Value: "22"},
					{Field: "protocol", Op: flowlog.OpEq, Value: "6"},
					{Field: "action", Op: flowlog.OpEq, Value: "REJECT"},
				},
			},
			{Name: "raw", Pattern: `[version, account_id, ...]`, Threshold: 3, Period: 300, EvaluationPeriods: 2, Comparison: "GreaterThanThreshold"},
		},
	}
}

func TestMetricAlarmSNS(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewMetricAlarmSNS(ctx, "al", alarmArgs())
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:MetricAlarmSNS", "al")

	key := mustGet(t, m, "al-key")
	if key.Inputs["enableKeyRotation"] != true {
		t.Error("topic key rotation off")
	}
	kp := policyDoc(t, key, "policy")
	cw := statementBySid(t, kp, "CloudWatchAlarmsPublish")
	if asMap(cw["Principal"])["Service"] != "cloudwatch.amazonaws.com" {
		t.Errorf("key policy does not let CloudWatch use the key: %v", cw)
	}
	if asMap(asMap(cw["Condition"])["StringEquals"])["aws:SourceAccount"] != mockaws.Account {
		t.Errorf("key policy CloudWatch grant lacks aws:SourceAccount: %v", cw)
	}
	topic := mustGet(t, m, "al-topic")
	if topic.Input("kmsMasterKeyId") != key.Outputs["arn"] {
		t.Errorf("topic encrypted with %q, want the component key %q", topic.Input("kmsMasterKeyId"), key.Outputs["arn"])
	}
	tp := policyDoc(t, mustGet(t, m, "al-topic-policy"), "policy")
	pub := statementBySid(t, tp, "CloudWatchAlarmsPublish")
	if asMap(asMap(pub["Condition"])["ArnLike"])["aws:SourceArn"] != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*" {
		t.Errorf("topic policy publish grant not limited to this account's alarms: %v", pub)
	}

	subs := m.ByType("aws:sns/topicSubscription:TopicSubscription")
	if len(subs) != 2 {
		t.Fatalf("want 2 e-mail subscriptions, got %d", len(subs))
	}
	for _, s := range subs {
		if s.Input("protocol") != "email" || s.Input("topic") != topic.Outputs["arn"] {
			t.Errorf("subscription %s = %v", s.Name, s.Inputs)
		}
	}

	f := mustGet(t, m, "al-ssh-reject")
	want := `[version, account_id, interface_id, srcaddr="10.0.0.155", dstaddr, srcport, dstport=22, protocol=6, packets, bytes, start, end, action="REJECT", log_status]`
	if f.Input("pattern") != want {
		t.Errorf("pattern\n got %s\nwant %s", f.Input("pattern"), want)
	}
	if f.Input("logGroupName") != "/flow/logs" {
		t.Errorf("filter on log group %q", f.Input("logGroupName"))
	}
	mt := asMap(f.Inputs["metricTransformation"])
	if mt["name"] != "ssh-reject" || mt["namespace"] != "VPCFlowLogs/test" || mt["value"] != "1" || mt["defaultValue"] != "0" {
		t.Errorf("metric transformation = %v", mt)
	}

	a := mustGet(t, m, "al-ssh-reject-alarm")
	checks := map[string]any{
		"statistic": "Sum", "period": float64(60), "evaluationPeriods": float64(1), "threshold": float64(1),
		"comparisonOperator": "GreaterThanOrEqualToThreshold", "treatMissingData": "notBreaching",
		"metricName": "ssh-reject", "namespace": "VPCFlowLogs/test",
	}
	for k, v := range checks {
		if a.Inputs[k] != v {
			t.Errorf("alarm %s = %v, want %v", k, a.Inputs[k], v)
		}
	}
	if acts := a.Inputs["alarmActions"].([]any); len(acts) != 1 || acts[0] != topic.Outputs["arn"] {
		t.Errorf("alarm actions = %v", acts)
	}
	raw := mustGet(t, m, "al-raw-alarm")
	if raw.Inputs["threshold"] != float64(3) || raw.Inputs["evaluationPeriods"] != float64(2) || raw.Inputs["comparisonOperator"] != "GreaterThanThreshold" {
		t.Errorf("raw rule alarm = %v", raw.Inputs)
	}
	if mustGet(t, m, "al-raw").Input("pattern") != `[version, account_id, ...]` {
		t.Error("raw pattern not passed through unchanged")
	}
	if !strings.Contains(a.Input("alarmDescription"), want) {
		t.Errorf("alarm description should carry the pattern: %q", a.Input("alarmDescription"))
	}
}

func TestMetricAlarmSNSWithoutRulesIsJustATopic(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		a := alarmArgs()
		a.Rules, a.LogGroupName = nil, nil
		_, err := NewMetricAlarmSNS(ctx, "topic-only", a)
		return err
	})
	if n := len(m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")); n != 0 {
		t.Errorf("%d alarms without rules", n)
	}
	mustGet(t, m, "topic-only-topic")
}

func TestMetricAlarmSNSRejectsBadRules(t *testing.T) {
	cases := map[string]func(a *MetricAlarmSNSArgs){
		"threshold 0":         func(a *MetricAlarmSNSArgs) { a.Rules[0].Threshold = 0 },
		"period 90":           func(a *MetricAlarmSNSArgs) { a.Rules[0].Period = 90 },
		"both forms":          func(a *MetricAlarmSNSArgs) { a.Rules[0].Pattern = "[x]" },
		"duplicate name":      func(a *MetricAlarmSNSArgs) { a.Rules[1].Name = a.Rules[0].Name },
		"unrecorded field":    func(a *MetricAlarmSNSArgs) { a.Rules[0].Conditions[0].Field = "pkt-srcaddr" },
		"bad comparison":      func(a *MetricAlarmSNSArgs) { a.Rules[1].Comparison = "Equal" },
		"bad email":           func(a *MetricAlarmSNSArgs) { a.Emails = []string{"nobody"} },
		"rules, no log group": func(a *MetricAlarmSNSArgs) { a.LogGroupName = nil },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := alarmArgs()
			mutate(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewMetricAlarmSNS(ctx, "bad", a)
				return err
			}, "p", "s", nil)
			if err == nil || len(m.Resources) != 0 {
				t.Fatalf("err = %v, %d resources registered", err, len(m.Resources))
			}
		})
	}
}

// The bounds RenderPatterns documents are inclusive: a period of 60 s to one
// day (86,400 s, within PutMetricAlarm's limit of Period x EvaluationPeriods,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html),
// a threshold from 1, and a filter pattern of up to
// awslimits.MaxFilterPatternLength characters (PutMetricFilter's
// filterPattern,
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html).
func TestRenderPatternsAtTheirBounds(t *testing.T) {
	pattern := func(n int) string { return "[" + strings.Repeat("x", n-2) + "]" }
	cases := []struct {
		name   string
		mutate func(r *AlarmRule)
		ok     bool
	}{
		{"period 60", func(r *AlarmRule) { r.Period = 60 }, true},
		{"period 86400", func(r *AlarmRule) { r.Period = 86400 }, true},
		{"period 86460", func(r *AlarmRule) { r.Period = 86460 }, false},
		{"threshold 1", func(r *AlarmRule) { r.Threshold = 1 }, true},
		{"threshold 0", func(r *AlarmRule) { r.Threshold = 0 }, false},
		{"pattern at the limit", func(r *AlarmRule) { r.Pattern = pattern(awslimits.MaxFilterPatternLength) }, true},
		{"pattern over the limit", func(r *AlarmRule) { r.Pattern = pattern(awslimits.MaxFilterPatternLength + 1) }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := AlarmRule{Name: "raw", Pattern: "[x]", Threshold: 3, Period: 300, EvaluationPeriods: 1}
			c.mutate(&r)
			got, err := RenderPatterns(flowlog.V2Fields(), []AlarmRule{r})
			if c.ok && (err != nil || got["raw"] != r.Pattern) {
				t.Errorf("refused: %v (patterns %v)", err, got)
			}
			if !c.ok && err == nil {
				t.Error("accepted")
			}
		})
	}
}

// EventBridge rules named in EventRules, and only those, may publish to
// the topic and use its key: the topic policy names each rule's ARN, which
// is rule/<name> on the default bus and rule/<bus>/<name> on another
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-resources-for-iam-policies).
func TestMetricAlarmSNSEventRules(t *testing.T) {
	const sid = "EventBridgeRulesPublish"
	t.Run("named rules", func(t *testing.T) {
		m := run(t, func(ctx *pulumi.Context) error {
			a := alarmArgs()
			a.EventRules = []EventRuleName{{Rule: "a"}, {Bus: "default", Rule: "b"}, {Bus: "alarms", Rule: "c"}}
			_, err := NewMetricAlarmSNS(ctx, "al", a)
			return err
		})
		pub := statementBySid(t, policyDoc(t, mustGet(t, m, "al-topic-policy"), "policy"), sid)
		got := asMap(asMap(pub["Condition"])["ArnEquals"])["aws:SourceArn"]
		want := []any{
			"arn:aws:events:us-east-1:123456789012:rule/a",
			"arn:aws:events:us-east-1:123456789012:rule/b",
			"arn:aws:events:us-east-1:123456789012:rule/alarms/c",
		}
		if !slices.Equal(anySlice(got), want) {
			t.Errorf("topic admits rules %v, want %v", got, want)
		}
		if p := asMap(pub["Principal"])["Service"]; p != "events.amazonaws.com" || pub["Action"] != "sns:Publish" {
			t.Errorf("topic statement %v", pub)
		}
		key := statementBySid(t, policyDoc(t, mustGet(t, m, "al-key"), "policy"), sid)
		if p := asMap(key["Principal"])["Service"]; p != "events.amazonaws.com" {
			t.Errorf("key statement %v", key)
		}
	})
	t.Run("none", func(t *testing.T) {
		m := run(t, func(ctx *pulumi.Context) error {
			_, err := NewMetricAlarmSNS(ctx, "al", alarmArgs())
			return err
		})
		for _, name := range []string{"al-topic-policy", "al-key"} {
			for _, s := range policyDoc(t, mustGet(t, m, name), "policy")["Statement"].([]any) {
				if asMap(s)["Sid"] == sid {
					t.Errorf("%s lets EventBridge in without EventRules: %v", name, s)
				}
			}
		}
	})
}

func anySlice(v any) []any { s, _ := v.([]any); return s }

// alarmDescription has the form lambda/slacknotify reads and its doc
// comment gives, "<description> (rule <name>: <summary>; pattern
// <pattern>)": the description and a space only when there is one, and an
// anomaly band written as the rule gives it; the link goes to the rule
// alarms' section, or the anomaly alarms'.
func TestAlarmDescriptionForm(t *testing.T) {
	const pattern = "[x]"
	cases := []struct {
		name string
		rule AlarmRule
		want string
	}{
		{"no description", AlarmRule{Name: "r", Threshold: 1, Period: 60, EvaluationPeriods: 1},
			"(rule r: Sum of matching flow-log records over 60s, 1 period(s), threshold 1; pattern [x])"},
		{"description", AlarmRule{Name: "r", Description: "SSH", Threshold: 2, Period: 300, EvaluationPeriods: 3},
			"SSH (rule r: Sum of matching flow-log records over 300s, 3 period(s), threshold 2; pattern [x])"},
		{"anomaly band 2", AlarmRule{Name: "r", Period: 300, EvaluationPeriods: 1, Comparison: "GreaterThanUpperThreshold", Anomaly: &Anomaly{Band: 2}},
			"(rule r: Sum of matching flow-log records over 300s, 1 period(s), anomaly band 2 standard deviations, GreaterThanUpperThreshold; pattern [x])"},
		{"anomaly band 1.25", AlarmRule{Name: "r", Period: 300, EvaluationPeriods: 1, Comparison: "LessThanLowerThreshold", Anomaly: &Anomaly{Band: 1.25}},
			"(rule r: Sum of matching flow-log records over 300s, 1 period(s), anomaly band 1.25 standard deviations, LessThanLowerThreshold; pattern [x])"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, link := runbook.Split(alarmDescription(c.rule, pattern))
			section := runbook.RuleAlarm // an anomaly alarm has its own section
			if c.rule.Anomaly != nil {
				section = runbook.AnomalyAlarm
			}
			if text != c.want || link != runbook.Link(section) {
				t.Errorf("description\n got %q (link %q)\nwant %q", text, link, c.want)
			}
		})
	}
}

// The band's expression is ANOMALY_DETECTION_BAND(m1, <band>) with the band
// as given, as in PutMetricAlarm's example "ANOMALY_DETECTION_BAND(m1, 2)"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html):
// no digits dropped, none added.
func TestAnomalyBandExpression(t *testing.T) {
	for band, want := range map[float64]string{
		2:    "ANOMALY_DETECTION_BAND(m1, 2)",
		1.25: "ANOMALY_DETECTION_BAND(m1, 1.25)",
		0.5:  "ANOMALY_DETECTION_BAND(m1, 0.5)",
	} {
		if got := AnomalyBandExpression("m1", band); got != want {
			t.Errorf("band %g: %q, want %q", band, got, want)
		}
	}
}
