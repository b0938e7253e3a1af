package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// FlowLogToCloudWatchArgs configures FlowLogToCloudWatch.
type FlowLogToCloudWatchArgs struct {
	// VpcIDs are the VPCs to log: one flow log each, all into one log group.
	VpcIDs []pulumi.StringInput
	// Fields are the recorded fields, in order.
	Fields []flowlog.Field
	// TrafficType is ACCEPT, REJECT or ALL.
	TrafficType string
	// AggregationInterval is 60 or 600 seconds.
	AggregationInterval int
	// RetentionDays is the log group's retention; one of awslimits.RetentionDays.
	RetentionDays int
	// KmsKeyArn encrypts the log group with this key ("" = CloudWatch default).
	KmsKeyArn string
	Tags      map[string]string
}

// FlowLogToCloudWatch delivers VPC flow logs of several VPCs into one log
// group, through a role only the flow-logs service of this account can assume.
// The log group is what metric filters and subscription filters hang off.
type FlowLogToCloudWatch struct {
	pulumi.ResourceState

	LogGroupName pulumi.StringOutput      `pulumi:"logGroupName"`
	LogGroupArn  pulumi.StringOutput      `pulumi:"logGroupArn"`
	RoleArn      pulumi.StringOutput      `pulumi:"roleArn"`
	FlowLogIDs   pulumi.StringArrayOutput `pulumi:"flowLogIds"`
	LogFormat    pulumi.StringOutput      `pulumi:"logFormat"`
}

func (a *FlowLogToCloudWatchArgs) validate() error {
	var errs []error
	if len(a.VpcIDs) == 0 {
		errs = append(errs, errors.New("VpcIDs: at least one VPC is required"))
	}
	if len(a.Fields) == 0 {
		errs = append(errs, errors.New("Fields: at least one flow log field is required"))
	}
	errs = appendErr(errs, oneOf("TrafficType", a.TrafficType, awslimits.TrafficTypes))
	errs = appendErr(errs, oneOf("AggregationInterval", a.AggregationInterval, awslimits.AggregationIntervals))
	errs = appendErr(errs, oneOf("RetentionDays", a.RetentionDays, awslimits.RetentionDays))
	if err := validateArn("KmsKeyArn", a.KmsKeyArn, "kms"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// NewFlowLogToCloudWatch creates the log group, the delivery role and one flow log per VPC.
func NewFlowLogToCloudWatch(ctx *pulumi.Context, name string, args *FlowLogToCloudWatchArgs, opts ...pulumi.ResourceOption) (*FlowLogToCloudWatch, error) {
	if args == nil {
		return nil, errors.New("FlowLogToCloudWatch: args are required")
	}
	a := *args
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("FlowLogToCloudWatch %q: %w", name, err)
	}
	c := &FlowLogToCloudWatch{}
	if err := ctx.RegisterComponentResource(typeToken("FlowLogToCloudWatch"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	lgArgs := &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.RetentionDays),
		Tags:            NameTags(a.Tags, name+"-logs"),
	}
	if a.KmsKeyArn != "" {
		lgArgs.KmsKeyId = pulumi.String(a.KmsKeyArn)
	}
	lg, err := cloudwatch.NewLogGroup(ctx, name+"-logs", lgArgs, parent)
	if err != nil {
		return nil, err
	}

	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description: pulumi.String("Lets VPC Flow Logs of this account deliver to one log group"),
		// The trust condition VPC Flow Logs documents: the flow log's account and ARN
		// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
		AssumeRolePolicy: policyJSON(serviceTrust(env, "vpc-flow-logs", map[string]any{
			"StringEquals": map[string]any{"aws:SourceAccount": env.AccountID},
			"ArnLike":      map[string]any{"aws:SourceArn": env.arn("ec2", env.Region, env.AccountID, "vpc-flow-log/*")},
		})),
		Tags: NameTags(a.Tags, name+"-role"),
	}, parent)
	if err != nil {
		return nil, err
	}
	// The flow logs wait for the role's policy: a flow log whose role cannot
	// yet write reports its first deliveries as failed ("Access error").
	rp, err := iam.NewRolePolicy(ctx, name+"-role-policy", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: policyJSON(policy(statement{
			"Sid":      "DeliverToOneLogGroup",
			"Effect":   "Allow",
			"Action":   []any{"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
			"Resource": []any{lg.Arn, pulumi.Sprintf("%s:*", lg.Arn)},
		})),
	}, parent)
	if err != nil {
		return nil, err
	}

	format := flowlog.LogFormat(a.Fields)
	var ids []pulumi.StringOutput
	for i, vpc := range a.VpcIDs {
		fl, err := ec2.NewFlowLog(ctx, fmt.Sprintf("%s-vpc%d", name, i), &ec2.FlowLogArgs{
			VpcId:                  vpc,
			TrafficType:            pulumi.String(a.TrafficType),
			LogDestinationType:     pulumi.String("cloud-watch-logs"),
			LogDestination:         lg.Arn,
			IamRoleArn:             role.Arn,
			LogFormat:              pulumi.String(format),
			MaxAggregationInterval: pulumi.Int(a.AggregationInterval),
			Tags:                   NameTags(a.Tags, fmt.Sprintf("%s-vpc%d", name, i)),
		}, parent, pulumi.DependsOn([]pulumi.Resource{rp}), flowLogReplacement)
		if err != nil {
			return nil, err
		}
		ids = append(ids, fl.ID().ToStringOutput())
	}

	c.LogGroupName = lg.Name
	c.LogGroupArn = lg.Arn
	c.RoleArn = role.Arn
	c.FlowLogIDs = pulumi.ToStringArrayOutput(ids)
	c.LogFormat = pulumi.String(format).ToStringOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"logGroupName": c.LogGroupName,
		"logGroupArn":  c.LogGroupArn,
		"roleArn":      c.RoleArn,
		"flowLogIds":   c.FlowLogIDs,
		"logFormat":    c.LogFormat,
	})
}
