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
}

// LoadConfig reads and validates the stack configuration from the context.
func LoadConfig(ctx *pulumi.Context) (*stackconfig.Config, error) {
	return stackconfig.Load(ctx.GetConfig)
}

// Program is the Pulumi program: it validates the whole configuration before
// it registers any resource.
func Program(ctx *pulumi.Context) error {
	cfg, err := LoadConfig(ctx)
	if err != nil {
		return err
	}
	if err := PlanBudget(cfg).Check(); err != nil {
		return err
	}
	tags := map[string]string{"project": stackconfig.Namespace, "stack": ctx.Stack()}
	for k, v := range cfg.Tags {
		tags[k] = v
	}
	sh := &Shared{Config: cfg, Tags: tags}

	if len(cfg.VpcIDs) == 0 {
		n, err := NewDemoNetwork(ctx, "demo", tags)
		if err != nil {
			return err
		}
		sh.Network = n
		sh.VpcIDs = []pulumi.StringInput{n.VpcID}
		ctx.Export("demoVpcId", n.VpcID)
	} else {
		for _, id := range cfg.VpcIDs {
			sh.VpcIDs = append(sh.VpcIDs, pulumi.String(id))
		}
	}

	if cfg.NeedsCloudWatchFlowLog() {
		cw, err := components.NewFlowLogToCloudWatch(ctx, "flowlogs-cw", &components.FlowLogToCloudWatchArgs{
			VpcIDs:              sh.VpcIDs,
			Fields:              cfg.Fields,
			TrafficType:         cfg.TrafficType,
			AggregationInterval: cfg.AggregationInterval,
			RetentionDays:       cfg.LogRetentionDays,
			KmsKeyArn:           cfg.LogKmsKeyArn,
			Tags:                tags,
		})
		if err != nil {
			return err
		}
		sh.CloudWatch = cw
		ctx.Export("flowLogGroupName", cw.LogGroupName)
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
	alarms, err := components.NewMetricAlarmSNS(ctx, "alarms", alarmArgs)
	if err != nil {
		return err
	}
	sh.Alarms = alarms
	ctx.Export("alarmTopicArn", alarms.TopicArn)

	for _, a := range cfg.Architectures {
		build, ok := architectures[a]
		if !ok {
			return fmt.Errorf("architecture %q has no composition", a)
		}
		if err := build(ctx, sh); err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
	}
	return nil
}

// architectures maps each architecture to its composition.
var architectures = map[stackconfig.Architecture]func(*pulumi.Context, *Shared) error{
	stackconfig.S3Athena: S3Athena,
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
		if r.Match != nil {
			cr.Conditions = r.Match.Conditions()
		}
		out = append(out, cr)
	}
	return out
}
