package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
)

// S3Athena is the second architecture: VPC Flow Logs -> S3 (Hive-compatible,
// hourly partitions) -> Glue table with partition projection -> Athena
// workgroup and saved queries. Its alarms (Flow Logs -> CloudWatch Logs
// metric filters -> alarms -> SNS e-mail) are the rules of sh.Alarms on the
// shared CloudWatch Logs flow log.
func S3Athena(ctx *pulumi.Context, sh *Shared) error {
	if sh.Central != nil {
		return centralS3Athena(ctx, sh)
	}
	cfg := sh.Config
	s3fl, err := components.NewFlowLogToS3(ctx, "s3-athena-flowlogs", &components.FlowLogToS3Args{
		VpcIDs:              sh.VpcIDs,
		Fields:              cfg.Fields,
		TrafficType:         cfg.TrafficType,
		AggregationInterval: cfg.AggregationInterval,
		FileFormat:          cfg.S3FileFormat,
		ExistingBucketArn:   cfg.ExistingBucketArn,
		KmsKeyArn:           cfg.BucketKmsKeyArn,
		ExpirationDays:      cfg.DataRetentionDays,
		Tags:                sh.Tags,
	})
	if err != nil {
		return err
	}
	table, err := s3AthenaTable(ctx, sh, s3fl.Location, s3fl.BucketName, nil)
	if err != nil {
		return err
	}
	sh.export("alarmPatterns", sh.Alarms.Patterns)
	if cfg.QuickSightPrincipalArn != "" {
		return QuickSight(ctx, sh, s3fl, table)
	}
	return nil
}

// s3AthenaTable is the Glue table, workgroup and saved queries over the
// flow-log bucket (location is where the partitions start; sources, on a
// central stack, the members' account and region partitions) and their
// outputs.
func s3AthenaTable(ctx *pulumi.Context, sh *Shared, location, bucketName pulumi.StringOutput, sources *components.SourcePartitions) (*components.AthenaTable, error) {
	cfg := sh.Config
	table, err := components.NewAthenaTable(ctx, "s3-athena", &components.AthenaTableArgs{
		Location:       location,
		Fields:         cfg.Fields,
		Format:         cfg.S3FileFormat,
		SkipHeaderLine: true,
		DatabaseName:   glueDatabaseName(ctx, "s3"),
		ScanLimitMB:    cfg.AthenaScanLimitMB,
		KmsKeyArn:      cfg.BucketKmsKeyArn,
		Sources:        sources,
		Tags:           sh.Tags,
	})
	if err != nil {
		return nil, err
	}
	sh.export("s3AthenaBucket", bucketName)
	sh.export("s3AthenaWorkgroup", table.WorkgroupName)
	sh.export("s3AthenaDatabase", table.DatabaseName)
	sh.export("s3AthenaTable", table.TableName)
	sh.export("s3AthenaNamedQueryIds", table.NamedQueryIDs)
	return table, nil
}

// glueDatabaseName is unique per stack and architecture: Glue database names
// are global in an account and region, and Pulumi does not auto-name them.
func glueDatabaseName(ctx *pulumi.Context, arch string) string {
	return glueIdent("vpcflowlogs_" + ctx.Stack() + "_" + arch)
}
