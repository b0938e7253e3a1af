package components

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/insights"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// InsightAlarm alarms on one metric of a Contributor Insights rule, e.g.
// MaxContributorValue: "any single contributor above N".
type InsightAlarm struct {
	// Name names the alarm resource: lowercase letters, digits, dashes.
	Name        string
	Description string
	// Rule is the rule id (insights.IDs); the component must deploy it.
	Rule string
	// Metric is an INSIGHT_RULE_METRIC metric name (insights.Metrics).
	Metric            string
	Threshold         float64
	Period            int
	EvaluationPeriods int
	Comparison        string
}

// ContributorInsightsArgs configures ContributorInsights.
type ContributorInsightsArgs struct {
	// LogGroupName is the flow-log log group the rules read.
	LogGroupName pulumi.StringInput
	// Fields is the log group's record format: the rules read fields by position.
	Fields []flowlog.Field
	// Rules are the rule ids to deploy (insights.IDs).
	Rules []string
	// NamePrefix starts every rule name: rule names are unique per account
	// and region, so it names the project and stack.
	NamePrefix string
	// Alarms alarm on the rules' metrics and notify AlarmTopicArn.
	Alarms        []InsightAlarm
	AlarmTopicArn pulumi.StringInput
	Tags          map[string]string
}

// ContributorInsights declares CloudWatch Contributor Insights rules over the
// flow-log log group, generated from the field catalog for the log group's
// format, and alarms on their metrics through INSIGHT_RULE_METRIC.
type ContributorInsights struct {
	pulumi.ResourceState

	// RuleNames are the rule names by rule id, for dashboards and
	// INSIGHT_RULE_METRIC expressions.
	RuleNames pulumi.StringMapOutput `pulumi:"ruleNames"`
	AlarmArns pulumi.StringMapOutput `pulumi:"alarmArns"`
	// Names are the same rule names as plain strings (they are fixed by
	// NamePrefix), for code that builds widgets before deployment.
	Names map[string]string
	// Monitored holds the insight alarms, for the dashboard (not an output).
	Monitored Monitored
}

// InsightRunbookAnchor is the docs/operations.md section the insight alarms link to.
const InsightRunbookAnchor = runbook.InsightAlarm

var (
	insightAlarmNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	// PutInsightRule: RuleName is 1-128 printable ASCII characters.
	insightRuleNameRe = regexp.MustCompile(`^[\x20-\x7E]{1,128}$`)
)

// RuleDefinitions validates the args and returns each rule's definition for
// a log group name, by rule id.
func RuleDefinitions(a *ContributorInsightsArgs, logGroupName string) (map[string]string, error) {
	var errs []error
	out := map[string]string{}
	for i, id := range a.Rules {
		s, ok := insights.Lookup(id)
		if !ok {
			errs = append(errs, fmt.Errorf("Rules[%d]: %q is not one of %v", i, id, insights.IDs()))
			continue
		}
		if _, dup := out[id]; dup {
			errs = append(errs, fmt.Errorf("Rules[%d]: %q is listed twice", i, id))
			continue
		}
		if n := insights.RuleName(a.NamePrefix, id); !insightRuleNameRe.MatchString(n) {
			errs = append(errs, fmt.Errorf("Rules[%d]: rule name %q must be 1-%d printable ASCII characters", i, n, insights.MaxRuleNameLength))
		}
		d, err := s.Build(a.Fields, logGroupName)
		if err != nil {
			errs = append(errs, fmt.Errorf("Rules[%d]: %w", i, err))
			continue
		}
		js, err := d.JSON()
		if err != nil {
			errs = append(errs, fmt.Errorf("Rules[%d]: %w", i, err))
			continue
		}
		out[id] = js
	}
	return out, errors.Join(errs...)
}

func validateInsightAlarms(a *ContributorInsightsArgs) []error {
	var errs []error
	seen := map[string]bool{}
	for i, al := range a.Alarms {
		where := fmt.Sprintf("Alarms[%d] %q", i, al.Name)
		if !insightAlarmNameRe.MatchString(al.Name) {
			errs = append(errs, fmt.Errorf("%s: name must be 1-63 lowercase letters, digits and dashes", where))
		}
		if seen[al.Name] {
			errs = append(errs, fmt.Errorf("%s: name is used twice", where))
		}
		seen[al.Name] = true
		if !slices.Contains(a.Rules, al.Rule) {
			errs = append(errs, fmt.Errorf("%s: rule %q is not one of the deployed rules %v", where, al.Rule, a.Rules))
		}
		errs = appendErr(errs, oneOf(where+": metric", al.Metric, insights.Metrics))
		errs = appendErr(errs, oneOf(where+": comparison", al.Comparison, awslimits.AlarmComparisons))
		if al.Threshold < 0 {
			errs = append(errs, fmt.Errorf("%s: threshold %g must be >= 0", where, al.Threshold))
		}
		if al.Period < 60 || al.Period%60 != 0 || al.Period > 86400 {
			errs = append(errs, fmt.Errorf("%s: period %d must be a multiple of 60 between 60 and 86400", where, al.Period))
		}
		if al.EvaluationPeriods < 1 {
			errs = append(errs, fmt.Errorf("%s: evaluation periods %d must be >= 1", where, al.EvaluationPeriods))
		}
	}
	if len(a.Alarms) > 0 && a.AlarmTopicArn == nil {
		errs = append(errs, errors.New("AlarmTopicArn: required when there are alarms"))
	}
	return errs
}

// NewContributorInsights creates one Contributor Insights rule per rule id
// and one alarm per InsightAlarm.
func NewContributorInsights(ctx *pulumi.Context, name string, args *ContributorInsightsArgs, opts ...pulumi.ResourceOption) (*ContributorInsights, error) {
	if args == nil {
		return nil, errors.New("ContributorInsights: args are required")
	}
	a := *args
	var errs []error
	if a.LogGroupName == nil {
		errs = append(errs, errors.New("LogGroupName: required"))
	}
	if a.NamePrefix == "" {
		errs = append(errs, errors.New("NamePrefix: required"))
	}
	// Validate with a stand-in name; the rules get the real one below.
	if _, err := RuleDefinitions(&a, "log-group"); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, validateInsightAlarms(&a)...)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("ContributorInsights %q: %w", name, err)
	}

	c := &ContributorInsights{Names: map[string]string{}}
	if err := ctx.RegisterComponentResource(typeToken("ContributorInsights"), name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	rules := map[string]*cloudwatch.ContributorInsightRule{}
	ruleNames := pulumi.StringMap{}
	for _, id := range a.Rules {
		definition := a.LogGroupName.ToStringOutput().ApplyT(func(lg string) (string, error) {
			defs, err := RuleDefinitions(&ContributorInsightsArgs{Rules: []string{id}, Fields: a.Fields, NamePrefix: a.NamePrefix}, lg)
			return defs[id], err
		}).(pulumi.StringOutput)
		ruleName := insights.RuleName(a.NamePrefix, id)
		r, err := cloudwatch.NewContributorInsightRule(ctx, name+"-"+id, &cloudwatch.ContributorInsightRuleArgs{
			RuleName:       pulumi.String(ruleName),
			RuleState:      pulumi.String("ENABLED"),
			RuleDefinition: definition,
			Tags:           NameTags(a.Tags, ruleName),
		}, append([]pulumi.ResourceOption{parent}, insightRuleReplacement...)...)
		if err != nil {
			return nil, err
		}
		rules[id] = r
		ruleNames[id] = r.RuleName
		c.Names[id] = ruleName
	}

	arns := pulumi.StringMap{}
	for _, al := range a.Alarms {
		// The rule's name is fixed, so the expression is plain text in the
		// plan; the alarm waits for the rule it reads.
		expr := insights.MetricExpression(c.Names[al.Rule], al.Metric)
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+al.Name+"-alarm", &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(insightAlarmDescription(al, expr)),
			ComparisonOperator: pulumi.String(al.Comparison),
			EvaluationPeriods:  pulumi.Int(al.EvaluationPeriods),
			Threshold:          pulumi.Float64(al.Threshold),
			// A metric-math alarm: the one query is the expression itself,
			// with its own period.
			// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContributorInsights-GraphReportData.html
			MetricQueries: cloudwatch.MetricAlarmMetricQueryArray{
				cloudwatch.MetricAlarmMetricQueryArgs{
					Id:         pulumi.String("insight"),
					Expression: pulumi.String(expr),
					Label:      pulumi.String(al.Rule + " " + al.Metric),
					Period:     pulumi.Int(al.Period),
					ReturnData: pulumi.Bool(true),
				},
			},
			TreatMissingData: pulumi.String("notBreaching"),
			AlarmActions:     pulumi.Array{a.AlarmTopicArn},
			OkActions:        pulumi.Array{a.AlarmTopicArn},
			Tags:             NameTags(a.Tags, name+"-"+al.Name+"-alarm"),
		}, parent, pulumi.DependsOn([]pulumi.Resource{rules[al.Rule]}))
		if err != nil {
			return nil, err
		}
		arns[al.Name] = alarm.Arn
		c.Monitored.addAlarm(alarm, MonitoredAlarm{
			Expression: expr, Threshold: al.Threshold,
			Period: al.Period, Comparison: al.Comparison,
		})
	}

	c.RuleNames = ruleNames.ToStringMapOutput()
	c.AlarmArns = arns.ToStringMapOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"ruleNames": c.RuleNames,
		"alarmArns": c.AlarmArns,
	})
}

// insightRuleReplacement replaces a rule whose definition, name or state
// changes, deleting the old one first. The provider's update of a rule
// only rewrites the Pulumi state (its resource embeds WithNoOpUpdate, and
// none of the three forces a replacement), so without this a changed field
// list or log group would never reach CloudWatch. Deleting first, because
// PutInsightRule writes a rule of the same name in place: with the default
// create-first replacement, the old resource's delete would remove the
// rule just written. The deployability rule deploy-noop-update-replaces
// checks both options.
// https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/cloudwatch/contributor_insight_rule.go
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutInsightRule.html
var insightRuleReplacement = []pulumi.ResourceOption{
	pulumi.ReplaceOnChanges([]string{"ruleDefinition", "ruleName", "ruleState"}),
	pulumi.DeleteBeforeReplace(true),
}

func insightAlarmDescription(al InsightAlarm, expr string) string {
	d := al.Description
	if d != "" {
		d += " "
	}
	// runbook.Description keeps the link and cuts the text, at a character
	// boundary, to CloudWatch's limit: the description is configured text
	// and may be any UTF-8, which a cut in the middle of a character would
	// make invalid (and the Pulumi SDK refuses to send).
	return runbook.Description(fmt.Sprintf("%s(Contributor Insights alarm %s: %s %s %g over %ds, %d period(s))",
		d, al.Name, expr, al.Comparison, al.Threshold, al.Period, al.EvaluationPeriods), InsightRunbookAnchor)
}
