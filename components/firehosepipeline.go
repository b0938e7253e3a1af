package components

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kinesis"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdasize"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// Ways to feed the delivery stream.
const (
	// FeedLambda: log-group subscription -> Go forwarder Lambda -> PutRecordBatch.
	FeedLambda = "lambda"
	// FeedSubscription: log-group subscription straight to Firehose, which
	// decompresses and extracts the messages itself (no Lambda).
	FeedSubscription = "subscription"
	// FeedDirect: the flow log delivers to Firehose itself (a second flow log per VPC).
	FeedDirect = "direct"
)

// FeedModes lists the feed modes.
var FeedModes = []string{FeedLambda, FeedSubscription, FeedDirect}

// FirehoseDataPrefix is where records land: Hive-style hourly partitions from
// the arrival time, the layout AthenaTable projects.
const FirehoseDataPrefix = "flowlogs/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"

// FirehoseErrorPrefix keeps failed records apart from data.
const FirehoseErrorPrefix = "errors/!{firehose:error-output-type}/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"

// minFirehoseBufferInterval is the shortest buffering interval the
// component deploys. Firehose accepts 0-900 s for S3, 0 being zero
// buffering (https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html,
// https://docs.aws.amazon.com/firehose/latest/dev/buffering-hints.html).
// The bridged provider's extended_s3_configuration.buffering_interval is
// Optional with Default 300 (terraform-provider-aws,
// internal/service/firehose/delivery_stream.go): its expand function sends
// whatever value it holds, but 0 is the one value that code treating zero
// values as absent cannot tell from "unset", and the Pulumi bridge's
// handling of zero values next to schema defaults has had such defects
// (pulumi/pulumi-terraform-bridge#2618; #3484, inputs recovered from state
// dropping zero values). The mocked engine the tests use never runs the
// provider, so nothing here shows that an explicit 0 reaches Firehose
// rather than 300. The config (firehoseBufferIntervalSeconds) refuses 0
// for the same reason; both take 1-900, which
// TestFirehoseBufferIntervalAgreesWithConfig holds them to.
const minFirehoseBufferInterval = 1

// FirehosePipelineArgs configures FirehosePipeline.
type FirehosePipelineArgs struct {
	// FeedMode is FeedLambda (default), FeedSubscription or FeedDirect.
	FeedMode string
	// LogGroupName and LogGroupArn: the shared flow-log log group (lambda and subscription modes).
	LogGroupName pulumi.StringInput
	LogGroupArn  pulumi.StringInput
	// KinesisStreamArn, instead of LogGroupName (lambda mode only), feeds
	// the forwarder from a Kinesis data stream (a central stack's, which its
	// members' CloudWatch Logs destinations fill) through an event source
	// mapping; KinesisKeyArn is the stream's KMS key (docs/organization.md).
	KinesisStreamArn pulumi.StringInput
	KinesisKeyArn    pulumi.StringInput
	// VpcIDs, TrafficType and AggregationInterval: the flow logs of direct mode.
	VpcIDs              []pulumi.StringInput
	TrafficType         string
	AggregationInterval int
	// Fields is the record format (the forwarder parses lines with it).
	Fields []flowlog.Field
	// Forwarder is the built forwarder Lambda (lambda mode).
	Forwarder LambdaCode
	// BufferSizeMB (1-128; 0 means 64) and BufferIntervalSeconds (1-900,
	// required) tune delivery batching. BufferIntervalSeconds has no
	// default here and 0 is refused, as the config refuses it
	// (firehoseBufferIntervalSeconds, default 300): Firehose takes 0 as zero
	// buffering, but the provider's buffering_interval is Optional with
	// Default 300, and nothing in this program can show that an explicit 0
	// reaches Firehose rather than the default (minFirehoseBufferInterval).
	BufferSizeMB          int
	BufferIntervalSeconds int
	// ExpirationDays expires delivered objects (0: never).
	ExpirationDays int
	// KmsKeyArn encrypts the bucket with SSE-KMS ("" = SSE-S3).
	KmsKeyArn string
	// RetentionDays is the retention of the component's own log groups.
	RetentionDays int
	// AlarmTopicArn receives the operational alarms.
	AlarmTopicArn pulumi.StringInput
	Tags          map[string]string
}

// FirehosePipeline is a Kinesis Data Firehose delivery stream to S3 (GZIP,
// hourly partitions, separate error prefix, encrypted, delivery errors logged)
// and the feed chosen by FeedMode.
type FirehosePipeline struct {
	pulumi.ResourceState

	BucketName pulumi.StringOutput `pulumi:"bucketName"`
	StreamName pulumi.StringOutput `pulumi:"streamName"`
	StreamArn  pulumi.StringOutput `pulumi:"streamArn"`
	// Location is the S3 URI above the hourly partitions, for AthenaTable.
	Location pulumi.StringOutput `pulumi:"location"`
	// ForwarderName, DeadLetterQueueURL (the on-failure destination of
	// failed invocations) and ForwarderDeadLettersURL (the records and
	// inputs the forwarder could not deliver) are set in lambda mode.
	ForwarderName           pulumi.StringPtrOutput `pulumi:"forwarderName"`
	DeadLetterQueueURL      pulumi.StringPtrOutput `pulumi:"deadLetterQueueUrl"`
	ForwarderDeadLettersURL pulumi.StringPtrOutput `pulumi:"forwarderDeadLettersUrl"`
	// Monitored is what the dashboard shows of this component (not an output).
	Monitored Monitored
}

func (a *FirehosePipelineArgs) validate() error {
	var errs []error
	if a.FeedMode == "" {
		a.FeedMode = FeedLambda
	}
	if a.BufferSizeMB == 0 {
		a.BufferSizeMB = 64
	}
	if !slices.Contains(FeedModes, a.FeedMode) {
		errs = append(errs, fmt.Errorf("FeedMode: %q is not one of %v", a.FeedMode, FeedModes))
	}
	if len(a.Fields) == 0 {
		errs = append(errs, errors.New("Fields: at least one flow log field is required"))
	}
	switch {
	case a.KinesisStreamArn != nil && a.FeedMode != FeedLambda:
		errs = append(errs, fmt.Errorf("KinesisStreamArn: only in %s mode (the forwarder reads the stream), not %s", FeedLambda, a.FeedMode))
	case a.KinesisStreamArn != nil && (a.LogGroupName != nil || a.LogGroupArn != nil):
		errs = append(errs, errors.New("KinesisStreamArn and LogGroupName/LogGroupArn: set one (the forwarder's feed: a stream or a log group), not both"))
	}
	switch a.FeedMode {
	case FeedLambda, FeedSubscription:
		if a.KinesisStreamArn == nil && (a.LogGroupName == nil || a.LogGroupArn == nil) {
			errs = append(errs, fmt.Errorf("LogGroupName and LogGroupArn: required in %s mode", a.FeedMode))
		}
	case FeedDirect:
		if len(a.VpcIDs) == 0 {
			errs = append(errs, errors.New("VpcIDs: required in direct mode"))
		}
		errs = appendErr(errs, oneOf("TrafficType", a.TrafficType, awslimits.TrafficTypes))
		errs = appendErr(errs, oneOf("AggregationInterval", a.AggregationInterval, awslimits.AggregationIntervals))
	}
	if a.FeedMode == FeedLambda {
		if err := a.Forwarder.validate("Forwarder"); err != nil {
			errs = append(errs, err)
		}
	}
	if a.BufferSizeMB < 1 || a.BufferSizeMB > 128 {
		errs = append(errs, fmt.Errorf("BufferSizeMB: %d is not between 1 and 128", a.BufferSizeMB))
	}
	if a.BufferIntervalSeconds < minFirehoseBufferInterval || a.BufferIntervalSeconds > 900 {
		errs = append(errs, fmt.Errorf("BufferIntervalSeconds: %d; allowed: %d-900 seconds, set explicitly "+
			"(0, zero buffering, is refused: the provider's buffering_interval defaults to 300 and an explicit 0 is not shown to reach Firehose)",
			a.BufferIntervalSeconds, minFirehoseBufferInterval))
	}
	errs = appendErr(errs, oneOf("RetentionDays", a.RetentionDays, awslimits.RetentionDays))
	if err := validateArn("KmsKeyArn", a.KmsKeyArn, "kms"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// NewFirehosePipeline creates the bucket, the delivery stream and its feed.
func NewFirehosePipeline(ctx *pulumi.Context, name string, args *FirehosePipelineArgs, opts ...pulumi.ResourceOption) (*FirehosePipeline, error) {
	if args == nil {
		return nil, errors.New("FirehosePipeline: args are required")
	}
	a := *args
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("FirehosePipeline %q: %w", name, err)
	}
	c := &FirehosePipeline{}
	if err := ctx.RegisterComponentResource(typeToken("FirehosePipeline"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)

	bucket, err := newSecureBucket(ctx, name+"-bucket", secureBucketArgs{
		KmsKeyArn: a.KmsKeyArn, ExpirationDays: a.ExpirationDays, Retain: true, Tags: a.Tags,
	}, c)
	if err != nil {
		return nil, err
	}
	deliveryLogs, err := cloudwatch.NewLogGroup(ctx, name+"-delivery-logs", &cloudwatch.LogGroupArgs{
		RetentionInDays: pulumi.Int(a.RetentionDays),
		Tags:            NameTags(a.Tags, name+"-delivery-logs"),
	}, parent)
	if err != nil {
		return nil, err
	}
	deliveryStream, err := cloudwatch.NewLogStream(ctx, name+"-delivery-errors", &cloudwatch.LogStreamArgs{
		LogGroupName: deliveryLogs.Name,
		Name:         pulumi.String("DestinationDelivery"),
	}, parent)
	if err != nil {
		return nil, err
	}

	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Description: pulumi.String("Lets the delivery stream " + name + " write to its bucket"),
		// Firehose documents sts:ExternalId = the account id as its trust condition
		// (https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3).
		AssumeRolePolicy: policyJSON(serviceTrust(env, "firehose", map[string]any{
			"StringEquals": map[string]any{"sts:ExternalId": env.AccountID},
		})),
		Tags: NameTags(a.Tags, name+"-role"),
	}, parent)
	if err != nil {
		return nil, err
	}
	stmts := []statement{
		{
			"Sid":      "BucketLevel",
			"Effect":   "Allow",
			"Action":   []any{"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"},
			"Resource": bucket.Bucket.Arn,
		},
		{
			"Sid":    "WriteDataAndErrors",
			"Effect": "Allow",
			"Action": []any{"s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"},
			"Resource": []any{
				pulumi.Sprintf("%s/flowlogs/*", bucket.Bucket.Arn),
				pulumi.Sprintf("%s/errors/*", bucket.Bucket.Arn),
			},
		},
		{
			"Sid":      "DeliveryErrorLogs",
			"Effect":   "Allow",
			"Action":   "logs:PutLogEvents",
			"Resource": pulumi.Sprintf("%s:log-stream:*", deliveryLogs.Arn),
		},
	}
	if a.KmsKeyArn != "" {
		stmts = append(stmts, statement{
			"Sid":      "BucketKey",
			"Effect":   "Allow",
			"Action":   []any{"kms:GenerateDataKey", "kms:Decrypt"},
			"Resource": a.KmsKeyArn,
			"Condition": map[string]any{
				"StringEquals": map[string]any{"kms:ViaService": "s3." + env.Region + "." + env.DNSSuffix},
			},
		})
	}
	rolePolicy, err := iam.NewRolePolicy(ctx, name+"-role-policy", &iam.RolePolicyArgs{
		Role: role.ID(), Policy: policyJSON(policy(stmts...)),
	}, parent)
	if err != nil {
		return nil, err
	}

	s3conf := &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs{
		RoleArn:           role.Arn,
		BucketArn:         bucket.Bucket.Arn,
		Prefix:            pulumi.String(FirehoseDataPrefix),
		ErrorOutputPrefix: pulumi.String(FirehoseErrorPrefix),
		CompressionFormat: pulumi.String("GZIP"),
		BufferingSize:     pulumi.Int(a.BufferSizeMB),
		BufferingInterval: pulumi.Int(a.BufferIntervalSeconds),
		CloudwatchLoggingOptions: &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationCloudwatchLoggingOptionsArgs{
			Enabled:       pulumi.Bool(true),
			LogGroupName:  deliveryLogs.Name,
			LogStreamName: deliveryStream.Name,
		},
	}
	if a.KmsKeyArn != "" {
		s3conf.KmsKeyArn = pulumi.String(a.KmsKeyArn)
	}
	if a.FeedMode == FeedSubscription {
		// CloudWatch Logs sends gzip'd JSON envelopes; Firehose decompresses
		// them and, with message extraction, keeps only the log events'
		// messages, one per line: Figure 2 of
		// https://docs.aws.amazon.com/firehose/latest/dev/Message_extraction.html
		// (https://docs.aws.amazon.com/firehose/latest/dev/writing-with-cloudwatch-logs.html).
		// No page says whether the last message of a record ends with a
		// newline, and Firehose concatenates records without delimiters
		// (https://docs.aws.amazon.com/firehose/latest/dev/basic-deliver.html#format),
		// so without one the last line of a record and the first of the next
		// would merge into one corrupt row. AppendDelimiterToRecord ends every
		// record with a newline
		// (https://docs.aws.amazon.com/firehose/latest/APIReference/API_Processor.html):
		// the lines can never merge; at worst (extraction already ends the
		// record with a newline) a record is followed by an empty line, which
		// Athena reads as a row whose columns are all NULL (docs/firehose-athena.md, "Choosing
		// the Firehose feed mode").
		s3conf.ProcessingConfiguration = &kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationArgs{
			Enabled: pulumi.Bool(true),
			Processors: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArray{
				&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArgs{
					Type: pulumi.String("Decompression"),
					Parameters: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArray{
						&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArgs{
							ParameterName: pulumi.String("CompressionFormat"), ParameterValue: pulumi.String("GZIP"),
						},
					},
				},
				&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArgs{
					Type: pulumi.String("CloudWatchLogProcessing"),
					Parameters: kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArray{
						&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorParameterArgs{
							ParameterName: pulumi.String("DataMessageExtraction"), ParameterValue: pulumi.String("true"),
						},
					},
				},
				&kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfigurationProcessorArgs{
					Type: pulumi.String("AppendDelimiterToRecord"),
				},
			},
		}
	}
	streamTags := NameTags(a.Tags, name+"-stream")
	if a.FeedMode == FeedDirect {
		streamTags["LogDeliveryEnabled"] = pulumi.String("true") // required for flow-log delivery
	}
	stream, err := kinesis.NewFirehoseDeliveryStream(ctx, name+"-stream", &kinesis.FirehoseDeliveryStreamArgs{
		Destination:             pulumi.String("extended_s3"),
		ExtendedS3Configuration: s3conf,
		ServerSideEncryption:    &kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs{Enabled: pulumi.Bool(true), KeyType: pulumi.String("AWS_OWNED_CMK")},
		Tags:                    streamTags,
	}, parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy, bucket.Policy}))
	if err != nil {
		return nil, err
	}
	c.Monitored.Streams = append(c.Monitored.Streams, stream.Name)
	// DeliveryToS3.Success is successful S3 puts over all S3 puts; Firehose
	// retries a failed put until the records' 24-hour retention ends, then
	// drops them (https://docs.aws.amazon.com/firehose/latest/dev/troubleshooting.html);
	// the errors/ prefix holds only records its processors could not process.
	if _, err := opsAlarm(ctx, name+"-delivery-failures", opsAlarmArgs{
		Description: "Firehose " + name + " failed to put objects to S3; it retries for up to 24 hours, then drops the data",
		Namespace:   "AWS/Firehose", Metric: "DeliveryToS3.Success", Statistic: "Minimum",
		Dimensions: pulumi.StringMap{"DeliveryStreamName": stream.Name},
		Comparison: "LessThanThreshold", Threshold: 1,
		Runbook:  runbook.FirehoseDelivery,
		TopicArn: a.AlarmTopicArn, Tags: a.Tags, Monitor: &c.Monitored,
	}, parent); err != nil {
		return nil, err
	}

	var none *string
	forwarderName := pulumi.ToOutput(none).(pulumi.StringPtrOutput)
	dlqURL, deadLettersURL := forwarderName, forwarderName
	switch a.FeedMode {
	case FeedLambda:
		// What the forwarder cannot deliver (records Firehose still refuses
		// after its retries, undecodable payloads, lines not in the format)
		// goes here as replayable messages, so that the invocation succeeds
		// and Lambda does not re-send what Firehose had accepted.
		deadLetters, err := sqs.NewQueue(ctx, name+"-forwarder-dead-letters", &sqs.QueueArgs{
			SqsManagedSseEnabled:    pulumi.Bool(true),
			MessageRetentionSeconds: pulumi.Int(14 * 24 * 3600),
			Tags:                    NameTags(a.Tags, name+"-forwarder-dead-letters"),
		}, parent)
		if err != nil {
			return nil, err
		}
		c.Monitored.addQueue(deadLetters.Name)
		sub, err := newSubscriber(ctx, name+"-forwarder", env, subscriberArgs{
			Code:        a.Forwarder,
			Description: "Forwards flow-log records from CloudWatch Logs to Firehose " + name,
			Environment: map[string]pulumi.StringInput{
				"DELIVERY_STREAM_NAME":  stream.Name,
				"FLOW_LOG_FORMAT":       pulumi.String(flowlog.LogFormat(a.Fields)),
				"DEAD_LETTER_QUEUE_URL": deadLetters.Url,
			},
			Statements: []statement{
				{
					"Sid":      "PutToOneStream",
					"Effect":   "Allow",
					"Action":   "firehose:PutRecordBatch",
					"Resource": stream.Arn,
				},
				{
					"Sid":      "DeadLetters",
					"Effect":   "Allow",
					"Action":   "sqs:SendMessage",
					"Resource": deadLetters.Arn,
				},
			},
			// Memory from the forwarder's peak heap for the largest payload
			// (lambda/forwarder TestPeakHeapOfLargestPayload).
			Timeout: 120, MemoryMB: lambdasize.ForwarderMemoryMB, RetentionDays: a.RetentionDays,
			LogGroupName: a.LogGroupName, LogGroupArn: a.LogGroupArn,
			KinesisStreamArn: a.KinesisStreamArn, KinesisKeyArn: a.KinesisKeyArn,
			AlarmTopicArn: a.AlarmTopicArn, Tags: a.Tags, Monitor: &c.Monitored,
			ErrorsRunbook: runbook.ForwarderErrors, OnFailureRunbook: runbook.ForwarderOnFailure,
		}, c)
		if err != nil {
			return nil, err
		}
		if a.KinesisStreamArn != nil {
			if _, err := kinesisMapping(ctx, name+"-forwarder", sub.Function, a.KinesisStreamArn, sub.DLQ,
				[]pulumi.Resource{sub.RolePolicy}, parent); err != nil {
				return nil, err
			}
		}
		if _, err := queueDepthAlarm(ctx, name+"-forwarder-dead-letters-depth", deadLetters.Name, opsAlarmArgs{
			Description: "The forwarder of " + name + " dead-lettered flow-log data it could not deliver; inspect and replay " +
				name + "-forwarder-dead-letters",
			Runbook:  runbook.ForwarderDeadLetters,
			TopicArn: a.AlarmTopicArn, Tags: a.Tags, Monitor: &c.Monitored,
		}, parent); err != nil {
			return nil, err
		}
		forwarderName = sub.Function.Name.ToStringPtrOutput()
		dlqURL = sub.DLQ.Url.ToStringPtrOutput()
		deadLettersURL = deadLetters.Url.ToStringPtrOutput()
	case FeedSubscription:
		logsRole, err := iam.NewRole(ctx, name+"-logs-role", &iam.RoleArgs{
			Description: pulumi.String("Lets CloudWatch Logs put subscription data into " + name),
			// CloudWatch Logs documents aws:SourceArn on its log groups for this role
			// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#FirehoseExample).
			AssumeRolePolicy: policyJSON(serviceTrust(env, "logs", map[string]any{
				"StringLike": map[string]any{"aws:SourceArn": env.arn("logs", env.Region, env.AccountID, "*")},
			})),
			Tags: NameTags(a.Tags, name+"-logs-role"),
		}, parent)
		if err != nil {
			return nil, err
		}
		lrp, err := iam.NewRolePolicy(ctx, name+"-logs-role-policy", &iam.RolePolicyArgs{
			Role: logsRole.ID(),
			Policy: policyJSON(policy(statement{
				"Sid": "PutToOneStream", "Effect": "Allow",
				"Action":   []any{"firehose:PutRecord", "firehose:PutRecordBatch"},
				"Resource": stream.Arn,
			})),
		}, parent)
		if err != nil {
			return nil, err
		}
		if _, err := cloudwatch.NewLogSubscriptionFilter(ctx, name+"-subscription", &cloudwatch.LogSubscriptionFilterArgs{
			LogGroup:       a.LogGroupName,
			FilterPattern:  pulumi.String(""),
			DestinationArn: stream.Arn,
			RoleArn:        logsRole.Arn,
		}, parent, pulumi.DependsOn([]pulumi.Resource{lrp})); err != nil {
			return nil, err
		}
	case FeedDirect:
		format := flowlog.LogFormat(a.Fields)
		for i, vpc := range a.VpcIDs {
			if _, err := ec2.NewFlowLog(ctx, fmt.Sprintf("%s-vpc%d", name, i), &ec2.FlowLogArgs{
				VpcId:                  vpc,
				TrafficType:            pulumi.String(a.TrafficType),
				LogDestinationType:     pulumi.String("kinesis-data-firehose"),
				LogDestination:         stream.Arn,
				LogFormat:              pulumi.String(format),
				MaxAggregationInterval: pulumi.Int(a.AggregationInterval),
				Tags:                   NameTags(a.Tags, fmt.Sprintf("%s-vpc%d", name, i)),
			}, parent, flowLogReplacement); err != nil {
				return nil, err
			}
		}
	}

	c.BucketName = bucket.Bucket.Bucket
	c.StreamName = stream.Name
	c.StreamArn = stream.Arn
	c.Location = pulumi.Sprintf("s3://%s/flowlogs/", bucket.Bucket.Bucket)
	c.ForwarderName = forwarderName
	c.DeadLetterQueueURL = dlqURL
	c.ForwarderDeadLettersURL = deadLettersURL
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"bucketName":              c.BucketName,
		"streamName":              c.StreamName,
		"streamArn":               c.StreamArn,
		"location":                c.Location,
		"forwarderName":           c.ForwarderName,
		"deadLetterQueueUrl":      c.DeadLetterQueueURL,
		"forwarderDeadLettersUrl": c.ForwarderDeadLettersURL,
	})
}
