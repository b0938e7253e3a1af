package components

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

const (
	testDestination = "arn:aws:logs:us-east-1:210987654321:destination:flows"
	testBus         = "arn:aws:events:eu-west-1:210987654321:event-bus/alarms"
)

func TestMemberRelay(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewMemberRelay(ctx, "central", &MemberRelayArgs{
			LogGroupName:      pulumi.String("flows"),
			LogGroupArn:       pulumi.String("arn:aws:logs:us-east-1:123456789012:log-group:flows"),
			LogDestinationArn: testDestination,
			AlarmArns:         []pulumi.StringInput{pulumi.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:a"), pulumi.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:b")},
			AlarmEventBusArn:  testBus,
		})
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:MemberRelay", "central")
	sub := mustGet(t, m, "central-subscription")
	if sub.Input("destinationArn") != testDestination || sub.Input("filterPattern") != "" || sub.Input("roleArn") == "" {
		t.Errorf("subscription = %v", sub.Inputs)
	}
	// The subscription role: CloudWatch Logs may assume it, in the form
	// CloudWatch Logs documents for it (no condition: the page shows none,
	// and a key it does not send fails the subscription), and it may put
	// events of the flow-log group only.
	trust := mustJSON(t, policyDoc(t, mustGet(t, m, "central-subscription-role"), "assumeRolePolicy"))
	if !strings.Contains(trust, `"Service":"logs.amazonaws.com"`) || strings.Contains(trust, "Condition") {
		t.Errorf("subscription role trust = %s, want logs.amazonaws.com without a condition", trust)
	}
	if p := mustJSON(t, policyDoc(t, mustGet(t, m, "central-subscription-role-policy"), "policy")); !strings.Contains(p, `"logs:PutLogEvents"`) || !strings.Contains(p, "log-group:flows:*") {
		t.Errorf("subscription role policy = %s", p)
	}
	// The alarm relay.
	var pattern map[string]any
	if err := json.Unmarshal([]byte(mustGet(t, m, "central-alarms").Input("eventPattern")), &pattern); err != nil {
		t.Fatal(err)
	}
	if got := mustJSON(t, pattern); got != `{"detail-type":["CloudWatch Alarm State Change"],"resources":["arn:aws:cloudwatch:us-east-1:123456789012:alarm:a","arn:aws:cloudwatch:us-east-1:123456789012:alarm:b"],"source":["aws.cloudwatch"]}` {
		t.Errorf("event pattern = %s", got)
	}
	tgt := mustGet(t, m, "central-alarms-target")
	if tgt.Input("arn") != testBus || tgt.Input("roleArn") == "" {
		t.Errorf("target = %v", tgt.Inputs)
	}
	if p := mustJSON(t, policyDoc(t, mustGet(t, m, "central-alarms-role-policy"), "policy")); !strings.Contains(p, `"Action":"events:PutEvents","Effect":"Allow","Resource":"`+testBus+`"`) {
		t.Errorf("alarm role policy = %s", p)
	}
	if trust := mustJSON(t, policyDoc(t, mustGet(t, m, "central-alarms-role"), "assumeRolePolicy")); !strings.Contains(trust, `"Service":"events.amazonaws.com"`) || strings.Contains(trust, "Condition") {
		t.Errorf("alarm role trust = %s, want events.amazonaws.com without a condition", trust)
	}
}

// TestMemberRelaySpreadsAlarmsOverRules: EventBridge refuses an event
// pattern over 2,048 characters, and each alarm's ARN takes its share: the
// relay spreads the alarms over as many rules as their longest possible
// names need, each with its target, and forwards every alarm once.
func TestMemberRelaySpreadsAlarmsOverRules(t *testing.T) {
	const n = 20
	var arns []pulumi.StringInput
	want := map[string]bool{}
	for i := range n {
		arn := fmt.Sprintf("arn:aws:cloudwatch:us-east-1:123456789012:alarm:%02d-%s", i, strings.Repeat("x", 252))
		arns = append(arns, pulumi.String(arn))
		want[arn] = true
	}
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewMemberRelay(ctx, "central", &MemberRelayArgs{AlarmArns: arns, AlarmEventBusArn: testBus})
		return err
	})
	rules := m.ByType("aws:cloudwatch/eventRule:EventRule")
	if len(rules) < 2 {
		t.Fatalf("%d rules for %d alarms of 255-character names", len(rules), n)
	}
	for _, r := range rules {
		p := r.Input("eventPattern")
		if len(p) > awslimits.MaxEventPatternChars {
			t.Errorf("%s: pattern of %d characters", r.Name, len(p))
		}
		var pattern struct{ Resources []string }
		if err := json.Unmarshal([]byte(p), &pattern); err != nil {
			t.Fatal(err)
		}
		for _, a := range pattern.Resources {
			if !want[a] {
				t.Errorf("%s forwards %s, unknown or twice", r.Name, a)
			}
			delete(want, a)
		}
		tgt := mustGet(t, m, r.Name+"-target")
		if tgt.Input("arn") != testBus || tgt.Input("roleArn") == "" {
			t.Errorf("%s target = %v", r.Name, tgt.Inputs)
		}
	}
	if len(want) > 0 {
		t.Errorf("%d alarms not forwarded", len(want))
	}
}

// Each part is optional; nothing to relay is an error.
func TestMemberRelayParts(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewMemberRelay(ctx, "central", &MemberRelayArgs{
			AlarmArns:        []pulumi.StringInput{pulumi.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:a")},
			AlarmEventBusArn: testBus,
		})
		return err
	})
	if n := len(m.ByType("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")); n != 0 {
		t.Errorf("%d subscriptions without a destination", n)
	}
	for _, tc := range []struct {
		args MemberRelayArgs
		want string
	}{
		{MemberRelayArgs{}, "nothing to relay"},
		{MemberRelayArgs{LogDestinationArn: testDestination}, "LogGroupName, LogGroupArn: required"},
		{MemberRelayArgs{LogDestinationArn: "arn:aws:kinesis:us-east-1:210987654321:stream/x", LogGroupName: pulumi.String("g"), LogGroupArn: pulumi.String("a")}, "not an ARN of service logs"},
		{MemberRelayArgs{AlarmArns: []pulumi.StringInput{pulumi.String("a")}}, "AlarmEventBusArn"},
	} {
		args := tc.args
		_, err := mockaws.Run(func(ctx *pulumi.Context) error {
			_, err := NewMemberRelay(ctx, "central", &args)
			return err
		}, "vpc-flow-logs", "test", nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("args %+v: error %v, want %q", tc.args, err, tc.want)
		}
	}
	// Logs alone need no event bus: only alarms do.
	if _, err := mockaws.Run(func(ctx *pulumi.Context) error {
		_, err := NewMemberRelay(ctx, "central", &MemberRelayArgs{
			LogDestinationArn: testDestination, LogGroupName: pulumi.String("g"),
			LogGroupArn: pulumi.String("arn:aws:logs:us-east-1:123456789012:log-group:g"),
		})
		return err
	}, "vpc-flow-logs", "test", nil); err != nil {
		t.Errorf("a relay of logs alone refused: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// alarmsPerRelayRule is the most alarms of the longest names one relay
// rule's pattern holds within EventBridge's limit: that many fit, one more
// does not. The regions' names of a partition differ in length, and so do
// the ARNs; the lengths here cover and go beyond the real ones.
func TestAlarmsPerRelayRuleIsTheMostThatFit(t *testing.T) {
	for _, partition := range []string{"aws", "aws-us-gov", "aws-iso-b"} {
		for n := 1; n <= 60; n++ {
			env := awsEnv{AccountID: "123456789012", Region: strings.Repeat("r", n), Partition: partition}
			per := alarmsPerRelayRule(env)
			size := func(k int) int {
				arns := make([]any, k)
				for i := range arns {
					arns[i] = env.arn("cloudwatch", env.Region, env.AccountID, "alarm:"+strings.Repeat("x", maxAlarmNameLength))
				}
				return len(mustJSON(t, alarmPattern(arns)))
			}
			if s := size(per); per < 1 || s > awslimits.MaxEventPatternChars {
				t.Errorf("%s, region of %d characters: %d alarms make a pattern of %d characters, over %d", partition, n, per, s, awslimits.MaxEventPatternChars)
			}
			if s := size(per + 1); s <= awslimits.MaxEventPatternChars {
				t.Errorf("%s, region of %d characters: %d alarms, but %d fit (%d characters)", partition, n, per, per+1, s)
			}
		}
	}
}

// A relay of logs alone declares nothing for alarms; alarms that fill
// their rules exactly take exactly that many rules, none empty.
func TestMemberRelayRuleCount(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewMemberRelay(ctx, "central", &MemberRelayArgs{
			LogGroupName:      pulumi.String("flows"),
			LogGroupArn:       pulumi.String("arn:aws:logs:us-east-1:123456789012:log-group:flows"),
			LogDestinationArn: testDestination,
		})
		return err
	})
	for _, r := range m.Resources {
		if strings.Contains(r.Name, "alarms") {
			t.Errorf("a relay of logs alone declares %s (%s)", r.Name, r.Type)
		}
	}

	per := alarmsPerRelayRule(mockEnv)
	arns := longestAlarmArns(2 * per)
	m = run(t, func(ctx *pulumi.Context) error {
		_, err := NewMemberRelay(ctx, "central", &MemberRelayArgs{AlarmArns: arns, AlarmEventBusArn: testBus})
		return err
	})
	rules := m.ByType("aws:cloudwatch/eventRule:EventRule")
	if len(rules) != 2 {
		t.Fatalf("%d rules for %d alarms, %d to a rule", len(rules), len(arns), per)
	}
	for _, r := range rules {
		var pattern struct{ Resources []string }
		if err := json.Unmarshal([]byte(r.Input("eventPattern")), &pattern); err != nil {
			t.Fatal(err)
		}
		if len(pattern.Resources) != per {
			t.Errorf("%s forwards %d alarms, want %d", r.Name, len(pattern.Resources), per)
		}
	}
}

// mockEnv is the account and Region the mocks answer for.
var mockEnv = awsEnv{AccountID: mockaws.Account, Region: mockaws.Region, Partition: "aws"}

// longestAlarmArns returns n distinct ARNs of alarms of the mocks' account
// and Region with names of the longest length CloudWatch allows.
func longestAlarmArns(n int) []pulumi.StringInput {
	arns := make([]pulumi.StringInput, n)
	for i := range arns {
		arns[i] = pulumi.String(mockEnv.arn("cloudwatch", mockEnv.Region, mockEnv.AccountID, fmt.Sprintf("alarm:%03d-%s", i, strings.Repeat("x", maxAlarmNameLength-4))))
	}
	return arns
}
