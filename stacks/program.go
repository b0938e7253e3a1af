// Package stacks composes the components into the three architectures and
// runs them as one Pulumi program. Program is the entry point of main.go, of
// the offline plan tool and of the tests, so all of them run the same code.
package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// Shared is what the architectures share: the monitored VPCs, the one
// CloudWatch Logs flow log per VPC and the alarm topic.
type Shared struct {
	Config  *stackconfig.Config
	Tags    map[string]string
	VpcIDs  []pulumi.StringInput
	Network *DemoNetwork // nil when the stack monitors existing VPCs
	// CloudWatch is the shared flow log into CloudWatch Logs (nil if no architecture needs it).
	CloudWatch *components.FlowLogToCloudWatch
	// Alarms owns the SNS topic every architecture sends alarms to, and the
	// metric-filter rules of the s3-athena architecture.
	Alarms *components.MetricAlarmSNS
	// Insights are the Contributor Insights rules over the CloudWatch Logs
	// flow log (nil when there are none); Insights.Names are the rule names
	// by rule id.
	Insights *components.ContributorInsights
	// Outputs are the stack outputs, by name; Program exports them.
	Outputs map[string]pulumi.Input
	// Monitored is what the components declared that the dashboard shows.
	Monitored []*components.Monitored
	// InsightRules are the Contributor Insights rule names the dashboard graphs.
	InsightRules []pulumi.StringInput

	// Central is what a central stack (stackRole: central) adds; nil on a
	// standalone stack. The architectures read it to receive the members'
	// flow logs instead of the stack's own.
	Central *Central
}

// newShared starts the shared state of a stack: its tags (the project's,
// the stack's, then the configured ones) and no outputs yet.
func newShared(ctx *pulumi.Context, cfg *stackconfig.Config) *Shared {
	tags := map[string]string{"project": stackconfig.Namespace, "stack": ctx.Stack()}
	for k, v := range cfg.Tags {
		tags[k] = v
	}
	return &Shared{Config: cfg, Tags: tags, Outputs: map[string]pulumi.Input{}}
}

// deployAlarms declares the alarm topic (and the metric-filter rules in
// args) and the Slack notifications of the alarms.
func deployAlarms(ctx *pulumi.Context, sh *Shared, args *components.MetricAlarmSNSArgs) error {
	alarms, err := components.NewMetricAlarmSNS(ctx, "alarms", args)
	if err != nil {
		return err
	}
	sh.Alarms = alarms
	sh.monitor(&alarms.Monitored)
	sh.export("alarmTopicArn", alarms.TopicArn)
	if err := SlackAlarms(ctx, sh); err != nil {
		return fmt.Errorf("slack alarms: %w", err)
	}
	return nil
}

// deployArchitectures declares every enabled architecture and the dashboard.
func deployArchitectures(ctx *pulumi.Context, sh *Shared) (map[string]pulumi.Input, error) {
	cfg := sh.Config
	for _, a := range cfg.Architectures {
		if err := architectures[a](ctx, sh); err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
	}
	if cfg.Dashboard {
		if err := Dashboard(ctx, sh); err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
	}
	return sh.Outputs, nil
}

// monitor records what a component declared for the dashboard.
func (sh *Shared) monitor(m *components.Monitored) { sh.Monitored = append(sh.Monitored, m) }

// export records a stack output.
func (sh *Shared) export(name string, v pulumi.Input) { sh.Outputs[name] = v }

// LoadConfig reads and validates the stack configuration from the context.
func LoadConfig(ctx *pulumi.Context) (*stackconfig.Config, error) {
	return stackconfig.Load(ctx.GetConfig)
}

// Program is the Pulumi program: it validates the whole configuration before
// it registers any resource, then exports the stack outputs.
func Program(ctx *pulumi.Context) error {
	outputs, err := Deploy(ctx)
	if err != nil {
		return err
	}
	for k, v := range outputs {
		ctx.Export(k, v)
	}
	return nil
}

// Deploy registers every resource of the enabled architectures and returns
// the stack outputs.
func Deploy(ctx *pulumi.Context) (map[string]pulumi.Input, error) {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return nil, err
	}
	// Keys set for an architecture the stack does not enable: shown in preview.
	for _, w := range cfg.Warnings {
		if err := ctx.Log.Warn(w, nil); err != nil {
			return nil, err
		}
	}
	if err := CheckSecrets(cfg, ctx.IsConfigSecret); err != nil {
		return nil, err
	}
	switch cfg.Org.Role {
	case stackconfig.Central:
		return DeployCentral(ctx, cfg)
	case stackconfig.Member:
		return DeployMember(ctx, cfg)
	}
	sh := newShared(ctx, cfg)
	tags := sh.Tags

	if len(cfg.VpcIDs) == 0 {
		n, err := NewDemoNetwork(ctx, "demo", tags)
		if err != nil {
			return nil, err
		}
		sh.Network = n
		sh.VpcIDs = []pulumi.StringInput{n.VpcID}
		sh.export("demoVpcId", n.VpcID)
	} else {
		for _, id := range cfg.VpcIDs {
			sh.VpcIDs = append(sh.VpcIDs, pulumi.String(id))
		}
	}

	if cfg.NeedsCloudWatchFlowLog() {
		if err := cloudWatchFlowLog(ctx, sh); err != nil {
			return nil, err
		}
	}

	alarmArgs := &components.MetricAlarmSNSArgs{
		Fields:    cfg.Fields,
		Emails:    cfg.AlarmEmails,
		Namespace: "VPCFlowLogs/" + ctx.Stack(),
		Tags:      tags,
	}
	if cfg.Enabled(stackconfig.S3Athena) {
		alarmArgs.LogGroupName = sh.CloudWatch.LogGroupName
		alarmArgs.Rules = AlarmRules(cfg.AlarmRules)
	}
	if err := deployAlarms(ctx, sh, alarmArgs); err != nil {
		return nil, err
	}
	if err := ContributorInsights(ctx, sh); err != nil {
		return nil, fmt.Errorf("contributor insights: %w", err)
	}
	return deployArchitectures(ctx, sh)
}

// cloudWatchFlowLog declares the one CloudWatch Logs flow log of sh's VPCs
// that every reader of CloudWatch Logs shares.
func cloudWatchFlowLog(ctx *pulumi.Context, sh *Shared) error {
	cfg := sh.Config
	cw, err := components.NewFlowLogToCloudWatch(ctx, "flowlogs-cw", &components.FlowLogToCloudWatchArgs{
		VpcIDs:              sh.VpcIDs,
		Fields:              cfg.Fields,
		TrafficType:         cfg.TrafficType,
		AggregationInterval: cfg.AggregationInterval,
		RetentionDays:       cfg.LogRetentionDays,
		KmsKeyArn:           cfg.LogKmsKeyArn,
		Tags:                sh.Tags,
	})
	if err != nil {
		return err
	}
	sh.CloudWatch = cw
	sh.export("flowLogGroupName", cw.LogGroupName)
	return nil
}

// architectures maps each architecture to its composition.
var architectures = map[stackconfig.Architecture]func(*pulumi.Context, *Shared) error{
	stackconfig.CloudWatchOpenSearch: CloudWatchOpenSearch,
	stackconfig.S3Athena:             S3Athena,
	stackconfig.FirehoseAthena:       FirehoseAthena,
}

// CheckSecrets refuses a secret key (stackfile.SecretKeys) whose value the
// engine did not pass as a secret: it would sit in plain text in the stack
// file. Pulumi.yaml cannot mark such keys secret without making them required
// in every stack, so the program checks it.
func CheckSecrets(cfg *stackconfig.Config, isSecret func(key string) bool) error {
	if cfg.Slack.Mode == stackconfig.SlackWebhook && !isSecret(stackconfig.Key("slackWebhookUrl")) {
		return fmt.Errorf("config %s: the value is stored in plain text; allowed: a secret, set with pulumi config set --secret %s <url>",
			stackconfig.Key("slackWebhookUrl"), stackconfig.Key("slackWebhookUrl"))
	}
	return nil
}

// AlarmRules converts validated config rules into component rules.
func AlarmRules(rules []stackconfig.AlarmRule) []components.AlarmRule {
	out := make([]components.AlarmRule, 0, len(rules))
	for _, r := range rules {
		cr := components.AlarmRule{
			Name:              r.Name,
			Description:       r.Description,
			Pattern:           r.Pattern,
			Threshold:         r.Threshold,
			Period:            r.Period,
			EvaluationPeriods: r.EvaluationPeriods,
			Comparison:        r.Comparison,
		}
		if r.Anomaly != nil {
			cr.Anomaly = &components.Anomaly{Band: r.Anomaly.Band}
		}
		if r.Match != nil {
			cr.Conditions = r.Match.Conditions()
		}
		out = append(out, cr)
	}
	return out
}
