package components

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kinesis"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// OrgLogStreamArgs configures OrgLogStream.
type OrgLogStreamArgs struct {
	// Senders are who may subscribe their log groups to the destinations
	// (the role's trust names their regions; the destination policies,
	// LogDestination, name the senders).
	Senders OrgSenders
	// Regions are the regions the members run in: CloudWatch Logs
	// delivers a member's records from its own region, so the role must be
	// assumable there. At least one.
	Regions []string
	// RetentionHours keeps records in the stream this long (24-8760), long
	// enough for a consumer that stopped to catch up or to be replayed.
	RetentionHours int
	// IteratorAgeAlarmMinutes alarms when the oldest unread record is older
	// than this (default 60).
	IteratorAgeAlarmMinutes int
	AlarmTopicArn           pulumi.StringInput
	Tags                    map[string]string
}

// OrgLogStream is the central stack's Kinesis data stream that the members'
// CloudWatch Logs subscriptions fill through the destinations
// (LogDestination, one per member region): on-demand capacity, encrypted
// with its own customer managed key, the role CloudWatch Logs assumes to put
// records into it, and alarms on its consumers' lag and on write throttles.
type OrgLogStream struct {
	pulumi.ResourceState

	StreamArn  pulumi.StringOutput `pulumi:"streamArn"`
	StreamName pulumi.StringOutput `pulumi:"streamName"`
	KeyArn     pulumi.StringOutput `pulumi:"keyArn"`
	// RoleArn is the role every destination names (CloudWatch Logs assumes
	// it to call kinesis:PutRecord).
	RoleArn pulumi.StringOutput `pulumi:"roleArn"`
	// Monitored is what the dashboard shows of this component (not an output).
	Monitored Monitored
}

var regionNameRe = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)

// validateRegions checks the member regions of an organization component:
// at least one, each a region name.
func validateRegions(errs []error, regions []string) []error {
	if len(regions) == 0 {
		errs = append(errs, errors.New("Regions: at least one member region"))
	}
	for i, r := range regions {
		if !regionNameRe.MatchString(r) {
			errs = append(errs, fmt.Errorf("Regions[%d]: %q is not a region name", i, r))
		}
	}
	return errs
}

func (a *OrgLogStreamArgs) validate() error {
	var errs []error
	errs = appendErr(errs, a.Senders.validate("Senders"))
	errs = validateRegions(errs, a.Regions)
	if a.RetentionHours == 0 {
		a.RetentionHours = DefaultOrgStreamRetentionHours
	}
	// https://docs.aws.amazon.com/kinesis/latest/APIReference/API_IncreaseStreamRetentionPeriod.html
	if a.RetentionHours < 24 || a.RetentionHours > 8760 {
		errs = append(errs, fmt.Errorf("RetentionHours: %d is not between 24 and 8760", a.RetentionHours))
	}
	if a.IteratorAgeAlarmMinutes == 0 {
		a.IteratorAgeAlarmMinutes = 60
	}
	if a.IteratorAgeAlarmMinutes < 1 {
		errs = append(errs, fmt.Errorf("IteratorAgeAlarmMinutes: %d must be >= 1", a.IteratorAgeAlarmMinutes))
	}
	return errors.Join(errs...)
}

// DefaultOrgStreamRetentionHours is seven days: a consumer that was broken
// over a long weekend still finds its records (the event source mappings
// start at TRIM_HORIZON), at the price of extended retention
// (https://docs.aws.amazon.com/streams/latest/dev/kinesis-extended-retention.html).
const DefaultOrgStreamRetentionHours = 168

// NewOrgLogStream creates the key, the stream, the CloudWatch Logs role and
// the alarms.
func NewOrgLogStream(ctx *pulumi.Context, name string, args *OrgLogStreamArgs, opts ...pulumi.ResourceOption) (*OrgLogStream, error) {
	if args == nil {
		return nil, errors.New("OrgLogStream: args are required")
	}
	a := *args
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("OrgLogStream %q: %w", name, err)
	}
	c := &OrgLogStream{}
	if err := ctx.RegisterComponentResource(typeToken("OrgLogStream"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	// A customer managed key, so that who may write (the CloudWatch Logs
	// role: kms:GenerateDataKey) and who may read (the consumers' roles:
	// kms:Decrypt) is granted in IAM, one grant per role
	// (https://docs.aws.amazon.com/streams/latest/dev/permissions-user-key-KMS.html).
	key, err := kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:       pulumi.String("Encrypts the organization flow-log stream " + name),
		EnableKeyRotation: pulumi.Bool(true),
		Policy: policyJSON(policy(statement{
			"Sid":       "AccountAdministers",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": env.arn("iam", "", env.AccountID, "root")},
			"Action":    "kms:*",
			"Resource":  "*",
		})),
		Tags: NameTags(a.Tags, name+"-key"),
	}, parent)
	if err != nil {
		return nil, err
	}
	stream, err := kinesis.NewStream(ctx, name, &kinesis.StreamArgs{
		// On demand: no shard count to size for members that come and go
		// (https://docs.aws.amazon.com/streams/latest/dev/how-do-i-size-a-stream.html#ondemandmode).
		StreamModeDetails: &kinesis.StreamStreamModeDetailsArgs{StreamMode: pulumi.String("ON_DEMAND")},
		EncryptionType:    pulumi.String("KMS"),
		KmsKeyId:          key.Arn,
		RetentionPeriod:   pulumi.Int(a.RetentionHours),
		Tags:              NameTags(a.Tags, name),
	}, parent)
	if err != nil {
		return nil, err
	}

	// CloudWatch Logs assumes the role in the sender's region on the
	// sender's behalf; the documented trust policy tests aws:SourceArn
	// against the senders' logs ARNs
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html).
	// The accounts are not listed, with an organization or an account
	// list alike: the ARN pattern names each member region and any account
	// (arn:<partition>:logs:<region>:*:*). Who may subscribe at all is
	// decided by each destination's access policy (aws:PrincipalOrgID or
	// the listed accounts, LogDestination), and the role is only ever used
	// by this account's destinations (passing it takes iam:PassRole here).
	// One ARN per account and region grew the trust policy with every
	// account, and IAM's default "Role trust policy length" quota is 2,048
	// characters (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
	// CreateRole failed from 23 accounts in two regions.
	var sources []any
	for _, r := range a.Regions {
		sources = append(sources, env.arn("logs", r, "*", "*"))
	}
	role, err := iam.NewRole(ctx, name+"-logs-role", &iam.RoleArgs{
		Description:      pulumi.String("Lets CloudWatch Logs put the members' subscription data into " + name),
		AssumeRolePolicy: policyJSON(serviceTrust(env, "logs", map[string]any{"StringLike": map[string]any{"aws:SourceArn": sources}})),
		Tags:             NameTags(a.Tags, name+"-logs-role"),
	}, parent)
	if err != nil {
		return nil, err
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-logs-role-policy", &iam.RolePolicyArgs{
		Role: role.ID(),
		Policy: policyJSON(policy(
			statement{
				"Sid": "PutToOneStream", "Effect": "Allow",
				"Action":   "kinesis:PutRecord",
				"Resource": stream.Arn,
			},
			statement{
				"Sid": "EncryptRecords", "Effect": "Allow",
				"Action":   "kms:GenerateDataKey",
				"Resource": key.Arn,
			},
		)),
	}, parent)
	if err != nil {
		return nil, err
	}
	if _, err := opsAlarm(ctx, name+"-iterator-age", opsAlarmArgs{
		Description: fmt.Sprintf("A consumer of the organization stream %s is more than %d minutes behind; records older than the stream's %d-hour retention are lost",
			name, a.IteratorAgeAlarmMinutes, a.RetentionHours),
		Runbook:   runbook.OrgStreamIteratorAge,
		Namespace: "AWS/Kinesis", Metric: "GetRecords.IteratorAgeMilliseconds", Statistic: "Maximum",
		Dimensions: pulumi.StringMap{"StreamName": stream.Name},
		Comparison: "GreaterThanThreshold", Threshold: float64(a.IteratorAgeAlarmMinutes * 60_000),
		TopicArn: a.AlarmTopicArn, Tags: a.Tags, Monitor: &c.Monitored,
	}, parent); err != nil {
		return nil, err
	}
	if _, err := opsAlarm(ctx, name+"-write-throttles", opsAlarmArgs{
		Description: "The organization stream " + name + " throttled writes from the members' CloudWatch Logs destinations",
		Runbook:     runbook.OrgStreamWriteThrottle,
		Namespace:   "AWS/Kinesis", Metric: "WriteProvisionedThroughputExceeded", Statistic: "Sum",
		Dimensions: pulumi.StringMap{"StreamName": stream.Name},
		Comparison: "GreaterThanThreshold", Threshold: 0,
		TopicArn: a.AlarmTopicArn, Tags: a.Tags, Monitor: &c.Monitored,
	}, parent); err != nil {
		return nil, err
	}

	c.StreamArn = stream.Arn
	c.StreamName = stream.Name
	c.KeyArn = key.Arn
	// The destinations need the role's permissions when they are created
	// (CloudWatch Logs sends a test record then).
	c.RoleArn = pulumi.All(role.Arn, rolePolicy.ID()).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"streamArn":  c.StreamArn,
		"streamName": c.StreamName,
		"keyArn":     c.KeyArn,
		"roleArn":    c.RoleArn,
	})
}
