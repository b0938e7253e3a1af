package components

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/dashboard"
)

// DashboardArgs configures Dashboard.
type DashboardArgs struct {
	// DashboardName names the dashboard (internal/dashboard.Name): unique in
	// the account, as dashboards are global, not regional.
	DashboardName string
	// Title heads the dashboard.
	Title string
	// Sources are what the stack's components declared (their Monitored).
	Sources []*Monitored
	// InsightRules are Contributor Insights rule names, one graph each.
	InsightRules []pulumi.StringInput
}

// Dashboard is the stack's CloudWatch dashboard: the alarms with their
// thresholds, the Contributor Insights rules and the health of every Lambda
// function, queue, Firehose stream and OpenSearch domain the sources
// declare. The body is internal/dashboard.Body of what the sources hold once
// their names are known, checked by internal/dashboard.Validate.
type Dashboard struct {
	pulumi.ResourceState

	DashboardName pulumi.StringOutput `pulumi:"dashboardName"`
	DashboardArn  pulumi.StringOutput `pulumi:"dashboardArn"`
	// DashboardURL opens the dashboard in the CloudWatch console.
	DashboardURL pulumi.StringOutput `pulumi:"dashboardUrl"`
}

// NewDashboard creates the dashboard.
func NewDashboard(ctx *pulumi.Context, name string, args *DashboardArgs, opts ...pulumi.ResourceOption) (*Dashboard, error) {
	if args == nil {
		return nil, errors.New("Dashboard: args are required")
	}
	a := *args
	if err := dashboard.CheckName(a.DashboardName); err != nil {
		return nil, fmt.Errorf("Dashboard %q: DashboardName: %w", name, err)
	}
	c := &Dashboard{}
	if err := ctx.RegisterComponentResource(typeToken("Dashboard"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}

	// Every name and ARN the body needs, resolved together.
	var alarms []any
	var functions, queues, streams, domains pulumi.StringArray
	for _, s := range a.Sources {
		if s == nil {
			continue
		}
		for _, al := range s.Alarms {
			al := al
			dims := al.Dimensions
			if dims == nil {
				dims = pulumi.StringMap{}
			}
			alarms = append(alarms, pulumi.All(al.Name, al.Arn, dims.ToStringMapOutput()).ApplyT(func(v []any) dashboard.Alarm {
				return dashboard.Alarm{
					Name: v[0].(string), ARN: v[1].(string), Dimensions: v[2].(map[string]string),
					Namespace: al.Namespace, Metric: al.Metric, Statistic: al.Statistic,
					Threshold: al.Threshold, Period: al.Period, Comparison: al.Comparison,
					AnomalyBand: al.AnomalyBand, Expression: al.Expression,
				}
			}))
		}
		for _, f := range s.Functions {
			functions = append(functions, f)
		}
		for _, q := range s.Queues {
			queues = append(queues, q)
		}
		for _, st := range s.Streams {
			streams = append(streams, st)
		}
		for _, d := range s.Domains {
			domains = append(domains, d)
		}
	}
	rules := pulumi.StringArray(a.InsightRules)
	inputs := append([]any{rules.ToStringArrayOutput(), functions.ToStringArrayOutput(), queues.ToStringArrayOutput(),
		streams.ToStringArrayOutput(), domains.ToStringArrayOutput()}, alarms...)
	body := pulumi.All(inputs...).ApplyT(func(v []any) (string, error) {
		d := dashboard.Description{
			Title: a.Title, Region: env.Region, Account: env.AccountID,
			InsightRules: v[0].([]string), Functions: v[1].([]string), Queues: v[2].([]string),
			Streams: v[3].([]string), Domains: v[4].([]string),
		}
		for _, al := range v[5:] {
			d.Alarms = append(d.Alarms, al.(dashboard.Alarm))
		}
		b, err := dashboard.Body(d)
		if err != nil {
			return "", err
		}
		if err := dashboard.Validate(b); err != nil {
			return "", fmt.Errorf("dashboard %s: the generated body breaks the documented structure: %w", a.DashboardName, err)
		}
		return b, nil
	}).(pulumi.StringOutput)

	d, err := cloudwatch.NewDashboard(ctx, name+"-dashboard", &cloudwatch.DashboardArgs{
		DashboardName: pulumi.String(a.DashboardName),
		DashboardBody: body,
	}, pulumi.Parent(c))
	if err != nil {
		return nil, err
	}
	c.DashboardName = d.DashboardName
	c.DashboardArn = d.DashboardArn
	c.DashboardURL = d.DashboardName.ApplyT(func(n string) string { return dashboard.ConsoleURL(env.Region, n) }).(pulumi.StringOutput)
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"dashboardName": c.DashboardName,
		"dashboardArn":  c.DashboardArn,
		"dashboardUrl":  c.DashboardURL,
	})
}
