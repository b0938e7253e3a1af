package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
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
