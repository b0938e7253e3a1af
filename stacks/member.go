package stacks

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/orgref"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// DeployMember registers a member stack: the flow logs of one account and
// region, delivering to the central stack it names (centralStack), which it
// reads through a stack reference (docs/organization.md, "Member stacks").
//
// What it declares follows the central stack's architectures
// (orgArchitectures): the CloudWatch Logs flow log of every monitored VPC
// with the stack's metric-filter alarms (alarmRules) and Contributor
// Insights, always; with s3-athena, an S3 flow log per VPC into the central
// bucket with the central stack's format and partitions; with a CloudWatch
// Logs architecture, one subscription filter to the central destination of
// the member's region; and the relay of its alarms' state changes to the
// central event bus. Everything the central outputs and the VPC selection
// decide is resolved before the first AWS resource is registered.
func DeployMember(ctx *pulumi.Context, cfg *stackconfig.Config) (map[string]pulumi.Input, error) {
	central, err := ReadCentral(ctx, cfg.Org.CentralStack)
	if err != nil {
		return nil, err
	}
	region, err := aws.GetRegion(ctx, &aws.GetRegionArgs{})
	if err != nil {
		return nil, fmt.Errorf("looking up the AWS region: %w", err)
	}
	var destination string
	if central.CloudWatchLogs() {
		if destination, err = central.LogDestination(region.Name); err != nil {
			return nil, err
		}
	}
	eff, err := memberConfig(cfg, central)
	if err != nil {
		return nil, err
	}

	sh := newShared(ctx, eff)
	sh.export("centralStack", pulumi.String(central.Stack))
	sh.export("centralAlarmTopicArn", pulumi.String(central.AlarmTopicArn))

	vpcs := MemberVpcs{Found: cfg.VpcIDs, Monitored: cfg.VpcIDs}
	if cfg.VpcSelector != nil {
		id, err := aws.GetCallerIdentity(ctx, &aws.GetCallerIdentityArgs{})
		if err != nil {
			return nil, fmt.Errorf("looking up the AWS account: %w", err)
		}
		vpcs, err = selectVpcs(ctx, cfg.VpcSelector, flowLogsPerVpc(eff.Architectures), flowLogFinder(ctx, region.Name, id.AccountId))
		if err != nil {
			return nil, err
		}
		for _, s := range vpcs.Skipped {
			if err := ctx.Log.Warn(fmt.Sprintf("VPC %s is not monitored: %s", s.ID, s.Reason), nil); err != nil {
				return nil, err
			}
		}
	}
	sh.export("memberVpcs", vpcs.Output())
	if len(vpcs.Monitored) == 0 {
		// An account with nothing to monitor yet is not an error: the next
		// pulumi up after a VPC appears declares its flow logs.
		return sh.Outputs, ctx.Log.Warn(fmt.Sprintf("no VPC to monitor in %s (found %d): the stack declares nothing until the selection (%s) matches one", region.Name, len(vpcs.Found), stackconfig.Key("vpcSelector")), nil)
	}
	for _, id := range vpcs.Monitored {
		sh.VpcIDs = append(sh.VpcIDs, pulumi.String(id))
	}

	// The alarms fire here, with the log group they read; their state
	// changes reach the central topic through the relay below.
	if err := cloudWatchFlowLog(ctx, sh); err != nil {
		return nil, err
	}
	if err := deployAlarms(ctx, sh, &components.MetricAlarmSNSArgs{
		LogGroupName: sh.CloudWatch.LogGroupName,
		Fields:       eff.Fields,
		Rules:        AlarmRules(eff.AlarmRules),
		Emails:       eff.AlarmEmails,
		Namespace:    "VPCFlowLogs/" + ctx.Stack(),
		Tags:         sh.Tags,
	}); err != nil {
		return nil, err
	}
	if err := ContributorInsights(ctx, sh); err != nil {
		return nil, fmt.Errorf("contributor insights: %w", err)
	}

	if s3 := central.S3; s3 != nil {
		fl, err := components.NewFlowLogToS3(ctx, "s3-athena-flowlogs", &components.FlowLogToS3Args{
			VpcIDs:              sh.VpcIDs,
			Fields:              eff.Fields,
			TrafficType:         eff.TrafficType,
			AggregationInterval: eff.AggregationInterval,
			FileFormat:          s3.FileFormat,
			ExistingBucketArn:   s3.BucketArn,
			Partitions:          &components.S3Partitions{HiveCompatible: s3.HiveCompatiblePartitions, PerHour: s3.PerHourPartition},
			Tags:                sh.Tags,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", stackconfig.S3Athena, err)
		}
		sh.export("s3FlowLogIds", fl.FlowLogIDs)
	}

	relay := &components.MemberRelayArgs{
		LogGroupName:      sh.CloudWatch.LogGroupName,
		LogGroupArn:       sh.CloudWatch.LogGroupArn,
		LogDestinationArn: destination,
		AlarmEventBusArn:  central.AlarmEventBusArn,
		Tags:              sh.Tags,
	}
	for _, r := range eff.AlarmRules {
		relay.AlarmArns = append(relay.AlarmArns, sh.Alarms.AlarmArns.MapIndex(pulumi.String(r.Name)))
	}
	if sh.Insights != nil {
		for _, a := range eff.InsightAlarms {
			relay.AlarmArns = append(relay.AlarmArns, sh.Insights.AlarmArns.MapIndex(pulumi.String(a.Name)))
		}
	}
	if destination != "" || len(relay.AlarmArns) > 0 {
		r, err := components.NewMemberRelay(ctx, "central", relay)
		if err != nil {
			return nil, err
		}
		if destination != "" {
			sh.export("centralLogDestinationArn", pulumi.String(destination))
		}
		if len(relay.AlarmArns) > 0 {
			sh.export("alarmRelayRuleArn", r.AlarmRuleArn)
		}
	}
	if eff.Dashboard {
		if err := Dashboard(ctx, sh); err != nil {
			return nil, fmt.Errorf("dashboard: %w", err)
		}
	}
	return sh.Outputs, nil
}

// ReadCentral reads the central stack's outputs (orgref) through a stack
// reference. GetOutputDetails waits for each value, so what the member
// declares depends on plain values, never on apply callbacks; a missing or
// mistyped output fails here, naming the central stack and the output.
func ReadCentral(ctx *pulumi.Context, stack string) (*orgref.Central, error) {
	ref, err := pulumi.NewStackReference(ctx, stack, nil)
	if err != nil {
		return nil, fmt.Errorf("central stack %s (%s): %w", stack, stackconfig.Key("centralStack"), err)
	}
	values := map[string]any{}
	for _, name := range orgref.Names {
		d, err := ref.GetOutputDetails(name)
		if err != nil {
			return nil, fmt.Errorf("central stack %s: reading output %s: %w", stack, name, err)
		}
		v := d.Value
		if v == nil {
			v = d.SecretValue
		}
		if v != nil {
			values[name] = v
		}
	}
	return orgref.Parse(stack, func(name string) (any, bool) { v, ok := values[name]; return v, ok })
}

// memberConfig is the member's configuration with what the central stack
// decides: its architectures, its flow-log format (every member writes the
// columns the central table reads) and its S3 file format. The rules that
// read fields are checked against that format here, before anything is
// registered.
func memberConfig(cfg *stackconfig.Config, central *orgref.Central) (*stackconfig.Config, error) {
	eff := *cfg
	eff.Architectures = central.Architectures
	eff.Fields = central.Fields
	if central.S3 != nil {
		eff.S3FileFormat = central.S3.FileFormat
	}
	if _, err := components.RenderPatterns(eff.Fields, AlarmRules(eff.AlarmRules)); err != nil {
		return nil, fmt.Errorf("config %s with the central stack's %s (%s): %w", stackconfig.Key("alarmRules"), orgref.OutFlowLogFormat, central.Stack, err)
	}
	if len(eff.ContributorInsights) > 0 {
		if _, err := components.RuleDefinitions(&components.ContributorInsightsArgs{
			Fields: eff.Fields, Rules: eff.ContributorInsights, NamePrefix: stackconfig.Namespace,
		}, "flow-logs"); err != nil {
			return nil, fmt.Errorf("config %s with the central stack's %s (%s): %w", stackconfig.Key("contributorInsights"), orgref.OutFlowLogFormat, central.Stack, err)
		}
	}
	return &eff, nil
}
