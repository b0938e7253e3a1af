package components

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// LogDestinationArgs configures LogDestination.
type LogDestinationArgs struct {
	// DestinationName is unique per account and region.
	DestinationName string
	// StreamArn and RoleArn: OrgLogStream's stream and role.
	StreamArn pulumi.StringInput
	RoleArn   pulumi.StringInput
	// Senders may subscribe their log groups to the destination.
	Senders OrgSenders
	Tags    map[string]string
}

// LogDestination is a CloudWatch Logs destination in one member region
// (a subscription filter's destination must be in the log group's region),
// targeting the central stream, with its access policy. Pass the region's
// aws provider with pulumi.Provider; the stream may be in another region
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions-Kinesis.html).
type LogDestination struct {
	pulumi.ResourceState

	Arn pulumi.StringOutput `pulumi:"arn"`
}

// A destination name (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDestination.html).
var destinationNameRe = regexp.MustCompile(`^[^:*]{1,512}$`)

// NewLogDestination creates the destination and its policy.
func NewLogDestination(ctx *pulumi.Context, name string, args *LogDestinationArgs, opts ...pulumi.ResourceOption) (*LogDestination, error) {
	if args == nil {
		return nil, errors.New("LogDestination: args are required")
	}
	a := *args
	var errs []error
	if !destinationNameRe.MatchString(a.DestinationName) {
		errs = append(errs, fmt.Errorf("DestinationName: %q is not 1-512 characters without ':' and '*'", a.DestinationName))
	}
	if a.StreamArn == nil || a.RoleArn == nil {
		errs = append(errs, errors.New("StreamArn and RoleArn: required"))
	}
	errs = appendErr(errs, a.Senders.validate("Senders"))
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("LogDestination %q: %w", name, err)
	}
	c := &LogDestination{}
	if err := ctx.RegisterComponentResource(typeToken("LogDestination"), name, c, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	dest, err := cloudwatch.NewLogDestination(ctx, name, &cloudwatch.LogDestinationArgs{
		Name:      pulumi.String(a.DestinationName),
		TargetArn: a.StreamArn,
		RoleArn:   a.RoleArn,
		Tags:      NameTags(a.Tags, name),
	}, parent)
	if err != nil {
		return nil, err
	}
	// Who may call PutSubscriptionFilter with this destination: the
	// organization (aws:PrincipalOrgID) or the listed accounts
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html).
	st := statement{
		"Sid":      "MembersSubscribe",
		"Effect":   "Allow",
		"Action":   "logs:PutSubscriptionFilter",
		"Resource": dest.Arn,
	}
	if a.Senders.OrganizationID != "" {
		st["Principal"] = "*"
		st["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalOrgID": a.Senders.OrganizationID}}
	} else {
		st["Principal"] = map[string]any{"AWS": a.Senders.accountList()}
	}
	pa := &cloudwatch.LogDestinationPolicyArgs{
		DestinationName: dest.Name,
		AccessPolicy:    policyJSON(policy(st)),
	}
	if a.Senders.OrganizationID != "" {
		// PutDestinationPolicy refuses to replace a policy that granted
		// individual accounts with one that grants an organization (a
		// central stack switched from memberAccountIds to organizationId)
		// unless forceUpdate is true, which affirms that every sender's
		// subscription filter already names a role in the sender account
		// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDestinationPolicy.html,
		// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/Cross-Account-Log_Subscription-Update.html).
		// MemberRelay's subscription filter always does.
		pa.ForceUpdate = pulumi.Bool(true)
	}
	if _, err := cloudwatch.NewLogDestinationPolicy(ctx, name+"-policy", pa, parent); err != nil {
		return nil, err
	}
	c.Arn = dest.Arn
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"arn": c.Arn})
}
