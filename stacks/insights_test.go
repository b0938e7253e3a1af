package stacks

import (
	"fmt"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/insights"
)

const tInsightRule = "aws:cloudwatch/contributorInsightRule:ContributorInsightRule"

// The dev stack deploys every Contributor Insights rule over the shared
// flow-log log group and exports their names by rule id (for dashboards).
func TestDevStackContributorInsights(t *testing.T) {
	r, err := deploy(t, devConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.ByType(tInsightRule)); n != len(insights.Specs) {
		t.Errorf("%d Contributor Insights rules, want %d", n, len(insights.Specs))
	}
	want := map[string]string{}
	for _, id := range insights.IDs() {
		want[id] = insights.RuleName("vpc-flow-logs-dev", id)
	}
	if got := r.outputs["contributorInsightRuleNames"]; fmt.Sprint(got) != fmt.Sprint(want) { // maps print sorted
		t.Errorf("contributorInsightRuleNames = %v, want %v", got, want)
	}
}

// No rules without the CloudWatch Logs flow log, and none with [].
func TestContributorInsightsOff(t *testing.T) {
	for name, cfg := range map[string]map[string]string{
		"no rules":               with(devConfig(t), "contributorInsights", "[]", "contributorInsightAlarms", "[]"),
		"no CloudWatch flow log": with(devConfig(t), "architectures", `["firehose-athena"]`, "firehoseFeedMode", "direct", "alarmRules", "[]"),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := deploy(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(r.ByType(tInsightRule)); n != 0 {
				t.Errorf("%d Contributor Insights rules", n)
			}
			if _, ok := r.outputs["contributorInsightRuleNames"]; ok {
				t.Error("contributorInsightRuleNames exported without rules")
			}
		})
	}
}
