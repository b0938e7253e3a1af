package components

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The relay rules are named as MemberRelay.AlarmRuleArn documents them,
// "<name>-alarms", "<name>-alarms-2", "-3", ... (docs/organization.md lists
// them so too), and AlarmRuleArn is the first one's ARN.
func TestMemberRelayRuleNames(t *testing.T) {
	arns := longestAlarmArns(2*alarmsPerRelayRule(mockEnv) + 1)
	var c *MemberRelay
	m := run(t, func(ctx *pulumi.Context) error {
		var err error
		c, err = NewMemberRelay(ctx, "central", &MemberRelayArgs{AlarmArns: arns, AlarmEventBusArn: testBus})
		return err
	})
	var got []string
	for _, r := range m.ByType("aws:cloudwatch/eventRule:EventRule") {
		got = append(got, r.Name)
	}
	slices.Sort(got)
	if want := []string{"central-alarms", "central-alarms-2", "central-alarms-3"}; !slices.Equal(got, want) {
		t.Errorf("rules %v, want %v", got, want)
	}
	if got, want := await(t, c.AlarmRuleArn), mustGet(t, m, "central-alarms").Outputs["arn"]; got != want {
		t.Errorf("AlarmRuleArn %v, want the first rule's %v", got, want)
	}
}
