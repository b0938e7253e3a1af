package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
)

// QuickSight is the end of the s3-athena architecture, opt-in through
// quicksightPrincipalArn (QuickSight needs an account subscription): an Athena
// data source on the architecture's workgroup, a direct-query data set over
// its table and a dashboard, owned by the configured principal, and the
// service-role policy QuickSight needs to read the flow-log bucket and write
// query results.
func QuickSight(ctx *pulumi.Context, sh *Shared, s3fl *components.FlowLogToS3, table *components.AthenaTable) error {
	cfg := sh.Config
	qs, err := components.NewQuickSightAnalysis(ctx, "quicksight", &components.QuickSightAnalysisArgs{
		PrincipalArn:     cfg.QuickSightPrincipalArn,
		WorkgroupName:    table.WorkgroupName,
		DatabaseName:     table.DatabaseName,
		TableName:        table.TableName,
		Fields:           cfg.Fields,
		FlowLogBucketArn: s3fl.BucketArn,
		ResultBucketArn:  table.ResultBucketArn,
		KmsKeyArn:        cfg.BucketKmsKeyArn,
		IDPrefix:         "vpcflowlogs-" + glueIdent(ctx.Stack()),
		Tags:             sh.Tags,
	})
	if err != nil {
		return err
	}
	sh.export("quicksightDataSetArn", qs.DataSetArn)
	sh.export("quicksightDashboardId", qs.DashboardID)
	sh.export("quicksightDashboardUrl", qs.DashboardURL)
	return nil
}
