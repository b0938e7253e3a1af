package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// OrgAlarmBusArgs configures OrgAlarmBus.
type OrgAlarmBusArgs struct {
	// BusName names the event bus (members' forwarding rules target its
	// ARN); MetricAlarmSNSArgs.EventRules must list the bus's rule
	// (AlarmBusRule) so that it may publish to TopicArn.
	BusName string
	// Senders may put events on the bus.
	Senders OrgSenders
	// TopicArn receives every alarm state change that reaches the bus.
	TopicArn pulumi.StringInput
	Tags     map[string]string
}

// OrgAlarmBus is the central event bus the members forward their alarms'
// state changes to (a rule on each member's default bus, docs/organization.md),
// its policy (events:PutEvents for the organization or the account list),
// and the rule that sends what arrives to the central alarm topic.
type OrgAlarmBus struct {
	pulumi.ResourceState

	BusArn  pulumi.StringOutput `pulumi:"busArn"`
	BusName pulumi.StringOutput `pulumi:"busName"`
	RuleArn pulumi.StringOutput `pulumi:"ruleArn"`
}

// AlarmBusRule is the name of the bus's rule that sends to the topic
// (rule names are per bus).
const AlarmBusRule = "alarms-to-topic"

// AlarmStateChangePattern is the event pattern of CloudWatch alarm state
// changes (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html).
var AlarmStateChangePattern = map[string]any{
	"source":      []any{"aws.cloudwatch"},
	"detail-type": []any{"CloudWatch Alarm State Change"},
}

// An event bus name (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEventBus.html).
var busNameRe = regexp.MustCompile(`^[/\.\-_A-Za-z0-9]{1,256}$`)

// NewOrgAlarmBus creates the bus, its policy, the rule and its target.
func NewOrgAlarmBus(ctx *pulumi.Context, name string, args *OrgAlarmBusArgs, opts ...pulumi.ResourceOption) (*OrgAlarmBus, error) {
	if args == nil {
		return nil, errors.New("OrgAlarmBus: args are required")
	}
	a := *args
	var errs []error
	if !busNameRe.MatchString(a.BusName) || a.BusName == "default" {
		errs = append(errs, fmt.Errorf("BusName: %q is not a custom event bus name", a.BusName))
	}
	errs = appendErr(errs, a.Senders.validate("Senders"))
	if a.TopicArn == nil {
		errs = append(errs, errors.New("TopicArn: required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("OrgAlarmBus %q: %w", name, err)
	}
	c := &OrgAlarmBus{}
	if err := ctx.RegisterComponentResource(typeToken("OrgAlarmBus"), name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	bus, err := cloudwatch.NewEventBus(ctx, name, &cloudwatch.EventBusArgs{
		Name:        pulumi.String(a.BusName),
		Description: pulumi.String("Alarm state changes the member stacks forward to the central alarm topic"),
		Tags:        NameTags(a.Tags, name),
	}, parent)
	if err != nil {
		return nil, err
	}
	// A member's rule puts events with its own role, so the principal is
	// the member account: the organization (aws:PrincipalOrgID, one
	// statement whatever the number of members) or the listed accounts
	// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-perms.html).
	st := statement{
		"Sid":      "MembersPutAlarmEvents",
		"Effect":   "Allow",
		"Action":   "events:PutEvents",
		"Resource": bus.Arn,
	}
	if a.Senders.OrganizationID != "" {
		st["Principal"] = "*"
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": a.Senders.OrganizationID}}
	} else {
		st["Principal"] = map[string]any{"AWS": a.Senders.accountList()}
	}
	if _, err := cloudwatch.NewEventBusPolicy(ctx, name+"-policy", &cloudwatch.EventBusPolicyArgs{
		EventBusName: bus.Name,
		Policy:       policyJSON(policy(st)),
	}, parent); err != nil {
		return nil, err
	}
	pattern, err := json.Marshal(AlarmStateChangePattern)
	if err != nil {
		return nil, err
	}
	rule, err := cloudwatch.NewEventRule(ctx, name+"-to-topic", &cloudwatch.EventRuleArgs{
		Name:         pulumi.String(AlarmBusRule),
		EventBusName: bus.Name,
		Description:  pulumi.String("Members' alarm state changes to the central alarm topic"),
		EventPattern: pulumi.String(string(pattern)),
		Tags:         NameTags(a.Tags, name+"-to-topic"),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := cloudwatch.NewEventTarget(ctx, name+"-topic", &cloudwatch.EventTargetArgs{
		EventBusName: bus.Name,
		Rule:         rule.Name,
		Arn:          a.TopicArn,
	}, parent); err != nil {
		return nil, err
	}
	c.BusArn = bus.Arn
	c.BusName = bus.Name
	c.RuleArn = rule.Arn
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"busArn": c.BusArn, "busName": c.BusName, "ruleArn": c.RuleArn})
}
