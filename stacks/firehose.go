package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdabuild"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// ForwarderPackage is the Go main package of the Firehose forwarder Lambda.
const ForwarderPackage = "./lambda/forwarder"

// buildLambda builds a Lambda package of this module reproducibly, during
// preview and up alike, so deploying needs no pre-step.
func buildLambda(ctx *pulumi.Context, name, pkg string) (components.LambdaCode, error) {
	p, err := lambdabuild.Build(ctx.Context(), name, pkg, lambdabuild.Options{})
	if err != nil {
		return components.LambdaCode{}, err
	}
	return components.LambdaCode{ZipPath: p.ZipPath, SHA256: p.SHA256}, nil
}

// FirehoseAthena is the third architecture: VPC Flow Logs -> CloudWatch Logs
// (the shared log group) -> forwarder Lambda -> Kinesis Data Firehose (gzip)
// -> S3 -> Athena. firehoseFeedMode picks the feed: lambda (default),
// subscription (no Lambda) or direct (flow log -> Firehose).
func FirehoseAthena(ctx *pulumi.Context, sh *Shared) error {
	cfg := sh.Config
	args := &components.FirehosePipelineArgs{
		FeedMode:              cfg.Firehose.FeedMode,
		Fields:                cfg.Fields,
		BufferSizeMB:          cfg.Firehose.BufferSizeMB,
		BufferIntervalSeconds: cfg.Firehose.BufferIntervalSeconds,
		ExpirationDays:        cfg.DataRetentionDays,
		KmsKeyArn:             cfg.BucketKmsKeyArn,
		RetentionDays:         cfg.LogRetentionDays,
		AlarmTopicArn:         sh.Alarms.TopicArn,
		Tags:                  sh.Tags,
	}
	switch cfg.Firehose.FeedMode {
	case stackconfig.FeedDirect:
		args.VpcIDs = sh.VpcIDs
		args.TrafficType = cfg.TrafficType
		args.AggregationInterval = cfg.AggregationInterval
	default:
		if sh.Central != nil {
			// The members' records, from the organization stream.
			args.KinesisStreamArn = sh.Central.Stream.StreamArn
			args.KinesisKeyArn = sh.Central.Stream.KeyArn
			break
		}
		args.LogGroupName = sh.CloudWatch.LogGroupName
		args.LogGroupArn = sh.CloudWatch.LogGroupArn
	}
	if cfg.Firehose.FeedMode == stackconfig.FeedLambda {
		code, err := buildLambda(ctx, "forwarder", ForwarderPackage)
		if err != nil {
			return err
		}
		args.Forwarder = code
	}
	fp, err := components.NewFirehosePipeline(ctx, "firehose", args)
	if err != nil {
		return err
	}
	sh.monitor(&fp.Monitored)
	table, err := components.NewAthenaTable(ctx, "firehose-athena", &components.AthenaTableArgs{
		Location:     fp.Location,
		Fields:       cfg.Fields,
		Format:       awslimits.FileFormatPlainText,
		DatabaseName: glueDatabaseName(ctx, "firehose"),
		ScanLimitMB:  cfg.AthenaScanLimitMB,
		KmsKeyArn:    cfg.BucketKmsKeyArn,
		Queries:      []string{firehoseQuery},
		Tags:         sh.Tags,
	})
	if err != nil {
		return err
	}
	sh.export("firehoseBucket", fp.BucketName)
	sh.export("firehoseStreamName", fp.StreamName)
	sh.export("firehoseWorkgroup", table.WorkgroupName)
	sh.export("firehoseDatabase", table.DatabaseName)
	sh.export("firehoseTable", table.TableName)
	sh.export("firehoseNamedQueryIds", table.NamedQueryIDs)
	if cfg.Firehose.FeedMode == stackconfig.FeedLambda {
		sh.export("firehoseForwarderName", fp.ForwarderName)
		sh.export("firehoseDeadLetterQueueUrl", fp.DeadLetterQueueURL)
		sh.export("firehoseForwarderDeadLettersUrl", fp.ForwarderDeadLettersURL)
	}
	return nil
}

// firehoseQuery is the mission's query over the Firehose output.
const firehoseQuery = stackconfig.FirehoseQuery
