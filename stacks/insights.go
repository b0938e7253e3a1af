package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// ContributorInsights declares the Contributor Insights rules (and their
// alarms) over the shared CloudWatch Logs flow log, when an architecture
// has that flow log and the stack keeps at least one rule
// (contributorInsights). It exports the rule names by rule id.
func ContributorInsights(ctx *pulumi.Context, sh *Shared) error {
	cfg := sh.Config
	if sh.CloudWatch == nil || len(cfg.ContributorInsights) == 0 {
		return nil
	}
	ci, err := components.NewContributorInsights(ctx, "insights", &components.ContributorInsightsArgs{
		LogGroupName:  sh.CloudWatch.LogGroupName,
		Fields:        cfg.Fields,
		Rules:         cfg.ContributorInsights,
		NamePrefix:    stackconfig.Namespace + "-" + ctx.Stack(),
		Alarms:        InsightAlarms(cfg.InsightAlarms),
		AlarmTopicArn: sh.Alarms.TopicArn,
		Tags:          sh.Tags,
	})
	if err != nil {
		return err
	}
	sh.Insights = ci
	sh.monitor(&ci.Monitored)
	// The dashboard graphs each rule's top contributors.
	for _, id := range cfg.ContributorInsights {
		sh.InsightRules = append(sh.InsightRules, pulumi.String(ci.Names[id]))
	}
	sh.export("contributorInsightRuleNames", ci.RuleNames)
	return nil
}

// InsightAlarms converts validated config alarms into component alarms.
func InsightAlarms(alarms []stackconfig.InsightAlarm) []components.InsightAlarm {
	out := make([]components.InsightAlarm, 0, len(alarms))
	for _, a := range alarms {
		out = append(out, components.InsightAlarm{
			Name: a.Name, Description: a.Description, Rule: a.Rule, Metric: a.Metric,
			Threshold: a.Threshold, Period: a.Period, EvaluationPeriods: a.EvaluationPeriods, Comparison: a.Comparison,
		})
	}
	return out
}
