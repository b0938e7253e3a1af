package stacks

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/dashboard"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// Dashboard adds the stack's CloudWatch dashboard over what every component
// recorded in sh.Monitored, and exports its name and console URL.
func Dashboard(ctx *pulumi.Context, sh *Shared) error {
	// The region is part of the name: dashboards are global to the account
	// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html).
	reg, err := aws.GetRegion(ctx, &aws.GetRegionArgs{})
	if err != nil {
		return err
	}
	region := reg.Name
	d, err := components.NewDashboard(ctx, "monitoring", &components.DashboardArgs{
		DashboardName: dashboard.Name(stackconfig.Namespace, ctx.Stack(), region),
		Title:         stackconfig.Namespace + " " + ctx.Stack(),
		Sources:       sh.Monitored,
		InsightRules:  sh.InsightRules,
	})
	if err != nil {
		return err
	}
	sh.export("dashboardName", d.DashboardName)
	sh.export("dashboardUrl", d.DashboardURL)
	return nil
}
