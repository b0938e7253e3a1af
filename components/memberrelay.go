package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
)

// MemberRelayArgs configures MemberRelay.
type MemberRelayArgs struct {
	// LogGroupName and LogGroupArn are the member's flow-log log group; with
	// LogDestinationArn they get one subscription filter to the central
	// stack's CloudWatch Logs destination.
	LogGroupName pulumi.StringInput
	LogGroupArn  pulumi.StringInput
	// LogDestinationArn is the central destination of the member's region
	// ("" = no subscription: no CloudWatch Logs architecture is enabled).
	LogDestinationArn string
	// AlarmArns are the member's alarms whose state changes go to
	// AlarmEventBusArn. Its length is plain Go: no alarms, no relay.
	AlarmArns []pulumi.StringInput
	// AlarmEventBusArn is the central event bus.
	AlarmEventBusArn string
	Tags             map[string]string
}

// MemberRelay connects a member stack to its central stack: the flow-log
// log group's subscription to the central CloudWatch Logs destination, and
// EventBridge rules on the member's default bus that forward the state
// changes of the member's alarms to the central event bus (one rule while
// the alarms' ARNs fit one event pattern, alarmsPerRelayRule).
type MemberRelay struct {
	pulumi.ResourceState

	SubscriptionRoleArn pulumi.StringOutput `pulumi:"subscriptionRoleArn"`
	// AlarmRuleArn is the first relay rule ("<name>-alarms"); the others
	// are "<name>-alarms-2", "-3", ...
	AlarmRuleArn pulumi.StringOutput `pulumi:"alarmRuleArn"`
}

func (a *MemberRelayArgs) validate() error {
	var errs []error
	if a.LogDestinationArn != "" {
		if err := validateArn("LogDestinationArn", a.LogDestinationArn, "logs"); err != nil {
			errs = append(errs, err)
		}
		if a.LogGroupName == nil || a.LogGroupArn == nil {
			errs = append(errs, errors.New("LogGroupName, LogGroupArn: required with LogDestinationArn"))
		}
	}
	if len(a.AlarmArns) > 0 {
		if err := validateArn("AlarmEventBusArn", a.AlarmEventBusArn, "events"); err != nil || a.AlarmEventBusArn == "" {
			errs = append(errs, fmt.Errorf("AlarmEventBusArn: %q is not an event bus ARN (required with AlarmArns)", a.AlarmEventBusArn))
		}
	}
	if a.LogDestinationArn == "" && len(a.AlarmArns) == 0 {
		errs = append(errs, errors.New("nothing to relay: set LogDestinationArn or AlarmArns"))
	}
	return errors.Join(errs...)
}

// MemberAlarmPattern is the event pattern of the relay rule: the alarm
// state changes (AlarmStateChangePattern) whose resources are the given
// alarms, the alarm's ARN being an event's resource
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
func MemberAlarmPattern(alarmArns []pulumi.StringInput) pulumi.StringOutput {
	arns := make([]any, len(alarmArns))
	for i, a := range alarmArns {
		arns[i] = a
	}
	return pulumi.JSONMarshal(pulumi.ToOutput(alarmPattern(arns)))
}

// alarmPattern is AlarmStateChangePattern with resources.
func alarmPattern(resources []any) map[string]any {
	pattern := map[string]any{"resources": resources}
	if resources == nil {
		pattern["resources"] = []any{}
	}
	for k, v := range AlarmStateChangePattern {
		pattern[k] = v
	}
	return pattern
}

// alarmsPerRelayRule is how many alarms one relay rule can name, whatever
// their names: the pattern (MemberAlarmPattern) of that many ARNs of
// alarms with the longest name CloudWatch allows (255 characters,
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)
// fits EventBridge's default event pattern size
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html).
func alarmsPerRelayRule(env awsEnv) int {
	fixed, _ := json.Marshal(alarmPattern(nil))
	longest := len(env.arn("cloudwatch", env.Region, env.AccountID, "alarm:"+strings.Repeat("x", maxAlarmNameLength)))
	return (awslimits.MaxEventPatternChars - len(fixed)) / (longest + len(`"",`))
}

// maxAlarmNameLength is CloudWatch's limit on an alarm name.
const maxAlarmNameLength = 255

// NewMemberRelay declares the subscription and the alarm relay.
func NewMemberRelay(ctx *pulumi.Context, name string, args *MemberRelayArgs, opts ...pulumi.ResourceOption) (*MemberRelay, error) {
	if args == nil {
		return nil, errors.New("MemberRelay: args are required")
	}
	a := *args
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("MemberRelay %q: %w", name, err)
	}
	c := &MemberRelay{}
	if err := ctx.RegisterComponentResource(typeToken("MemberRelay"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	c.SubscriptionRoleArn = pulumi.String("").ToStringOutput()
	c.AlarmRuleArn = pulumi.String("").ToStringOutput()

	if a.LogDestinationArn != "" {
		// A destination whose access policy admits an organization
		// (aws:PrincipalOrgID) needs a role in the sender account that
		// CloudWatch Logs assumes to check the sender, named in the
		// subscription filter; it is harmless with an account list
		// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateSubscriptionFilter-IAMrole.html).
		// Its trust policy is the one that page shows: the logs principal
		// and no condition. The page does not say which aws:Source* keys
		// CloudWatch Logs sends when it assumes this role (the sender's log
		// group, or the destination of the other account?), and a key it
		// does not send would fail every member's subscription; who may
		// name the role in a subscription filter is decided by
		// iam:PassRole in this account (policy.TrustForms,
		// DestinationSubscriptionRole).
		role, err := iam.NewRole(ctx, name+"-subscription-role", &iam.RoleArgs{
			Description:      pulumi.String("Lets CloudWatch Logs check this account's subscription to the central flow-log destination"),
			AssumeRolePolicy: policyJSON(serviceTrust(env, "logs", nil)),
			Tags:             NameTags(a.Tags, name+"-subscription-role"),
		}, parent)
		if err != nil {
			return nil, err
		}
		rp, err := iam.NewRolePolicy(ctx, name+"-subscription-role-policy", &iam.RolePolicyArgs{
			Role: role.ID(),
			Policy: policyJSON(policy(statement{
				"Sid":      "PutLogEventsOfTheFlowLogGroup",
				"Effect":   "Allow",
				"Action":   "logs:PutLogEvents",
				"Resource": pulumi.Sprintf("%s:*", a.LogGroupArn),
			})),
		}, parent)
		if err != nil {
			return nil, err
		}
		// One subscription filter, pattern "" (every record): the central
		// side parses and filters. The destination is in this region; its
		// Kinesis stream may be in another one.
		if _, err := cloudwatch.NewLogSubscriptionFilter(ctx, name+"-subscription", &cloudwatch.LogSubscriptionFilterArgs{
			LogGroup:       a.LogGroupName,
			FilterPattern:  pulumi.String(""),
			DestinationArn: pulumi.String(a.LogDestinationArn),
			RoleArn:        role.Arn,
		}, parent, pulumi.DependsOn([]pulumi.Resource{rp})); err != nil {
			return nil, err
		}
		c.SubscriptionRoleArn = role.Arn
	}

	if len(a.AlarmArns) > 0 {
		// A rule whose target is an event bus in another account sends
		// with a role of the sender's account that may events:PutEvents on
		// that bus: required when the receiving bus admits an organization,
		// and recommended always
		// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html,
		// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html).
		role, err := iam.NewRole(ctx, name+"-alarms-role", &iam.RoleArgs{
			Description: pulumi.String("Lets EventBridge forward this stack's alarm state changes to the central event bus"),
			// The execution role's trust policy EventBridge documents: its
			// principal and no condition
			// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-cross-account.html).
			AssumeRolePolicy: policyJSON(serviceTrust(env, "events", nil)),
			Tags:             NameTags(a.Tags, name+"-alarms-role"),
		}, parent)
		if err != nil {
			return nil, err
		}
		rp, err := iam.NewRolePolicy(ctx, name+"-alarms-role-policy", &iam.RolePolicyArgs{
			Role: role.ID(),
			Policy: policyJSON(policy(statement{
				"Sid":      "PutEventsOnTheCentralBus",
				"Effect":   "Allow",
				"Action":   "events:PutEvents",
				"Resource": a.AlarmEventBusArn,
			})),
		}, parent)
		if err != nil {
			return nil, err
		}
		// One rule per group of alarms: a pattern lists its alarms' ARNs
		// and EventBridge refuses a pattern over its size quota, so the
		// alarms are spread over as many rules as that takes.
		per := alarmsPerRelayRule(env)
		for i := 0; i*per < len(a.AlarmArns); i++ {
			ruleName := name + "-alarms"
			if i > 0 {
				ruleName = fmt.Sprintf("%s-alarms-%d", name, i+1)
			}
			rule, err := cloudwatch.NewEventRule(ctx, ruleName, &cloudwatch.EventRuleArgs{
				Description:  pulumi.String("Forwards the state changes of this stack's flow-log alarms to the central event bus"),
				EventPattern: MemberAlarmPattern(a.AlarmArns[i*per : min((i+1)*per, len(a.AlarmArns))]),
				Tags:         NameTags(a.Tags, ruleName),
			}, parent)
			if err != nil {
				return nil, err
			}
			if _, err := cloudwatch.NewEventTarget(ctx, ruleName+"-target", &cloudwatch.EventTargetArgs{
				Rule:    rule.Name,
				Arn:     pulumi.String(a.AlarmEventBusArn),
				RoleArn: role.Arn,
			}, parent, pulumi.DependsOn([]pulumi.Resource{rp})); err != nil {
				return nil, err
			}
			if i == 0 {
				c.AlarmRuleArn = rule.Arn
			}
		}
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"subscriptionRoleArn": c.SubscriptionRoleArn,
		"alarmRuleArn":        c.AlarmRuleArn,
	})
}
