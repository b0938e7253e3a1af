package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// FlowLogToS3Args configures FlowLogToS3.
type FlowLogToS3Args struct {
	// VpcIDs are the VPCs to log: one flow log each. The slice length decides
	// how many flow logs exist, so it is plain Go; the ids may be outputs.
	VpcIDs []pulumi.StringInput
	// Fields are the recorded fields, in order (flowlog.DefaultFields()).
	Fields []flowlog.Field
	// TrafficType is ACCEPT, REJECT or ALL.
	TrafficType string
	// AggregationInterval is 60 or 600 seconds.
	AggregationInterval int
	// FileFormat is "parquet" (default) or "plain-text".
	FileFormat string
	// ExistingBucketArn writes into this bucket instead of creating one; its
	// policy must already let delivery.logs.amazonaws.com write.
	ExistingBucketArn string
	// KmsKeyArn encrypts the created bucket with SSE-KMS; "" uses SSE-S3.
	// The component does not own the key: its key policy must let the log
	// delivery service use it (LogDeliveryKeyStatement), and the component
	// warns with the exact statement at every preview and update.
	KmsKeyArn string
	// ExpirationDays expires flow-log objects after this many days (0: never).
	ExpirationDays int
	// Partitions are the S3 prefix options; nil is Hive-compatible, per-hour
	// partitions. A member stack writing into the central bucket passes the
	// central stack's (its orgS3Destination output), which its table reads.
	// Both must be true: that is the only layout Location, the bucket
	// policy's write statement and AthenaTable's partition projection
	// describe (S3PartitionsLayoutError).
	Partitions *S3Partitions
	Tags       map[string]string
}

// S3Partitions are a flow log's S3 destination options besides the file format.
type S3Partitions struct {
	HiveCompatible bool
	PerHour        bool
}

// S3PartitionsLayoutError says why a flow log's S3 prefixes must be
// Hive-compatible and per hour, or is "" when they are. Without
// Hive-compatible prefixes a flow log writes
// AWSLogs/<account>/vpcflowlogs/<region>/yyyy/MM/dd[/HH]/, with them
// AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=/month=/day=[/hour=]/
// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html).
// Location, the AWSLogDeliveryWrite statement of a bucket FlowLogToS3 or
// OrgFlowLogBucket creates and AthenaTable's projection
// (year=/month=/day=/hour=) are the second layout with hours only: other
// options would have delivery denied and a table that finds nothing, so
// they are refused rather than derived.
func S3PartitionsLayoutError(hiveCompatible, perHour bool) string {
	if hiveCompatible && perHour {
		return ""
	}
	return fmt.Sprintf("hiveCompatiblePartitions %t, perHourPartition %t; allowed: both true "+
		"(the Athena table projects only the Hive-compatible, per-hour layout AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=/month=/day=/hour=/, "+
		"and the bucket policy admits delivery only under AWSLogs/aws-account-id=<account>/)", hiveCompatible, perHour)
}

// FlowLogToS3 delivers VPC flow logs to S3 with Hive-compatible, per-hour
// partitions, into a private, encrypted, versioned bucket that is retained when
// the stack is destroyed.
type FlowLogToS3 struct {
	pulumi.ResourceState

	BucketName pulumi.StringOutput      `pulumi:"bucketName"`
	BucketArn  pulumi.StringOutput      `pulumi:"bucketArn"`
	FlowLogIDs pulumi.StringArrayOutput `pulumi:"flowLogIds"`
	// Location is the S3 URI under which the per-hour partitions start
	// (…/aws-region=<region>/), for AthenaTable.
	Location pulumi.StringOutput `pulumi:"location"`
	// LogFormat is the flow log's format string, derived from the catalog.
	LogFormat pulumi.StringOutput `pulumi:"logFormat"`
}

func (a *FlowLogToS3Args) validate() error {
	var errs []error
	if len(a.VpcIDs) == 0 {
		errs = append(errs, errors.New("VpcIDs: at least one VPC is required"))
	}
	if len(a.Fields) == 0 {
		errs = append(errs, errors.New("Fields: at least one flow log field is required"))
	}
	errs = appendErr(errs, oneOf("TrafficType", a.TrafficType, awslimits.TrafficTypes))
	errs = appendErr(errs, oneOf("AggregationInterval", a.AggregationInterval, awslimits.AggregationIntervals))
	if a.FileFormat == "" {
		a.FileFormat = awslimits.FileFormatParquet
	}
	if a.FileFormat != awslimits.FileFormatParquet && a.FileFormat != awslimits.FileFormatPlainText {
		errs = append(errs, fmt.Errorf("FileFormat: %q is not %q or %q", a.FileFormat, awslimits.FileFormatParquet, awslimits.FileFormatPlainText))
	}
	if err := validateArn("ExistingBucketArn", a.ExistingBucketArn, "s3"); err != nil {
		errs = append(errs, err)
	}
	if err := validateArn("KmsKeyArn", a.KmsKeyArn, "kms"); err != nil {
		errs = append(errs, err)
	}
	if a.ExistingBucketArn != "" && a.KmsKeyArn != "" {
		errs = append(errs, errors.New("KmsKeyArn: only applies to a bucket this component creates, not to ExistingBucketArn"))
	}
	if a.ExpirationDays < 0 {
		errs = append(errs, fmt.Errorf("ExpirationDays: %d is negative", a.ExpirationDays))
	}
	if p := a.Partitions; p != nil {
		if msg := S3PartitionsLayoutError(p.HiveCompatible, p.PerHour); msg != "" {
			errs = append(errs, errors.New("Partitions: "+msg))
		}
	}
	return errors.Join(errs...)
}

// NewFlowLogToS3 creates the bucket (unless one is given) and one flow log per VPC.
func NewFlowLogToS3(ctx *pulumi.Context, name string, args *FlowLogToS3Args, opts ...pulumi.ResourceOption) (*FlowLogToS3, error) {
	if args == nil {
		return nil, errors.New("FlowLogToS3: args are required")
	}
	a := *args
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("FlowLogToS3 %q: %w", name, err)
	}
	c := &FlowLogToS3{}
	if err := ctx.RegisterComponentResource(typeToken("FlowLogToS3"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}

	if a.KmsKeyArn != "" {
		if err := ctx.Log.Warn(LogDeliveryKeyWarning(a.KmsKeyArn, env.Partition, env.Region, env.AccountID),
			&pulumi.LogArgs{Resource: c}); err != nil {
			return nil, err
		}
	}

	var bucketArn, bucketName pulumi.StringOutput
	var flowLogDeps []pulumi.Resource
	if a.ExistingBucketArn != "" {
		bucketArn = pulumi.String(a.ExistingBucketArn).ToStringOutput()
		bucketName = pulumi.String(a.ExistingBucketArn[strings.LastIndex(a.ExistingBucketArn, ":")+1:]).ToStringOutput()
	} else {
		logsSourceArn := env.arn("logs", env.Region, env.AccountID, "*")
		b, err := newSecureBucket(ctx, name+"-bucket", secureBucketArgs{
			KmsKeyArn:      a.KmsKeyArn,
			ExpirationDays: a.ExpirationDays,
			Retain:         true,
			Tags:           a.Tags,
			ExtraStatements: func(arn pulumi.StringOutput) []statement {
				cond := map[string]any{
					"StringEquals": map[string]any{"aws:SourceAccount": env.AccountID},
					"ArnLike":      map[string]any{"aws:SourceArn": logsSourceArn},
				}
				return []statement{
					{
						"Sid":       "AWSLogDeliveryAclCheck",
						"Effect":    "Allow",
						"Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"},
						"Action":    []any{"s3:GetBucketAcl", "s3:ListBucket"},
						"Resource":  arn,
						"Condition": cond,
					},
					{
						"Sid":       "AWSLogDeliveryWrite",
						"Effect":    "Allow",
						"Principal": map[string]any{"Service": "delivery.logs.amazonaws.com"},
						"Action":    "s3:PutObject",
						"Resource":  pulumi.Sprintf("%s/AWSLogs/aws-account-id=%s/*", arn, env.AccountID),
						"Condition": map[string]any{
							"StringEquals": map[string]any{
								"aws:SourceAccount": env.AccountID,
								"s3:x-amz-acl":      "bucket-owner-full-control",
							},
							"ArnLike": map[string]any{"aws:SourceArn": logsSourceArn},
						},
					},
				}
			},
		}, c)
		if err != nil {
			return nil, err
		}
		bucketArn, bucketName = b.Bucket.Arn, b.Bucket.Bucket
		// Log delivery writes the bucket policy itself when a flow log is
		// created and finds no delivery statement; creating the flow logs after
		// the program's policy (which has them) means AWS leaves it alone
		// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-V2-S3.html).
		flowLogDeps = append(flowLogDeps, b.Policy)
	}

	format := flowlog.LogFormat(a.Fields)
	var ids []pulumi.StringOutput
	for i, vpc := range a.VpcIDs {
		fl, err := ec2.NewFlowLog(ctx, fmt.Sprintf("%s-vpc%d", name, i), &ec2.FlowLogArgs{
			VpcId:                  vpc,
			TrafficType:            pulumi.String(a.TrafficType),
			LogDestinationType:     pulumi.String("s3"),
			LogDestination:         bucketArn,
			LogFormat:              pulumi.String(format),
			MaxAggregationInterval: pulumi.Int(a.AggregationInterval),
			DestinationOptions: &ec2.FlowLogDestinationOptionsArgs{
				FileFormat: pulumi.String(a.FileFormat),
				// The one layout validate() admits (S3PartitionsLayoutError):
				// Location and the bucket policy below are written for it.
				HiveCompatiblePartitions: pulumi.Bool(true),
				PerHourPartition:         pulumi.Bool(true),
			},
			Tags: NameTags(a.Tags, fmt.Sprintf("%s-vpc%d", name, i)),
		}, pulumi.Parent(c), pulumi.DependsOn(flowLogDeps), flowLogReplacement)
		if err != nil {
			return nil, err
		}
		ids = append(ids, fl.ID().ToStringOutput())
	}

	c.BucketArn = bucketArn
	c.BucketName = bucketName
	c.FlowLogIDs = pulumi.ToStringArrayOutput(ids)
	c.Location = pulumi.Sprintf("s3://%s/AWSLogs/aws-account-id=%s/aws-service=vpcflowlogs/aws-region=%s/", bucketName, env.AccountID, env.Region)
	c.LogFormat = pulumi.String(format).ToStringOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"bucketName": c.BucketName,
		"bucketArn":  c.BucketArn,
		"flowLogIds": c.FlowLogIDs,
		"location":   c.Location,
		"logFormat":  c.LogFormat,
	})
}

// keyStatement is a key-policy statement with its keys in the order the AWS
// documentation shows them.
type keyStatement struct {
	Sid       string              `json:"Sid"`
	Effect    string              `json:"Effect"`
	Principal map[string][]string `json:"Principal"`
	Action    []string            `json:"Action"`
	Resource  string              `json:"Resource"`
	Condition map[string]any      `json:"Condition"`
}

// LogDeliveryKeyStatement is the statement the key policy of a customer
// managed KMS key needs so that VPC Flow Logs, which delivers to S3 as the
// log delivery service, can write to a bucket encrypted with it (SSE-KMS):
// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html
// and https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html#AWS-logs-SSE-KMS-S3
// (flow logs are the original vended logs, so aws:SourceArn is
// arn:<partition>:logs:<region>:<account>:*, as in the bucket policy).
// Without it delivery fails: S3 cannot encrypt what the service puts.
func LogDeliveryKeyStatement(partition, region, account string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(keyStatement{
		Sid:       "Allow Logs Delivery to use the key",
		Effect:    "Allow",
		Principal: map[string][]string{"Service": {"delivery.logs.amazonaws.com"}},
		Action:    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
		Resource:  "*",
		Condition: map[string]any{
			"StringEquals": map[string][]string{"aws:SourceAccount": {account}},
			"ArnLike":      map[string][]string{"aws:SourceArn": {fmt.Sprintf("arn:%s:logs:%s:%s:*", partition, region, account)}},
		},
	}); err != nil { // a fixed struct of strings always encodes
		panic(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// LogDeliveryKeyWarning is what FlowLogToS3 says when its bucket is
// encrypted with a key it does not own.
func LogDeliveryKeyWarning(keyArn, partition, region, account string) string {
	return fmt.Sprintf("bucketKmsKeyArn %s encrypts the flow-log bucket. This program does not own the key: "+
		"its key policy must let VPC Flow Logs deliver with it, or no flow log reaches S3. Add this statement to the key policy "+
		"(https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html; docs/configuration.md, \"KMS keys\"):\n%s",
		keyArn, LogDeliveryKeyStatement(partition, region, account))
}
