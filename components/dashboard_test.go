package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/dashboard"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// TestDashboardComponent: the dashboard is a child of its component, named
// from it, its body graphs what the sources recorded plus one widget per
// Contributor Insights rule, passes the structure check, and the outputs
// name the dashboard and its console URL.
func TestDashboardComponent(t *testing.T) {
	var d *Dashboard
	m := run(t, func(ctx *pulumi.Context) error {
		q, err := sqs.NewQueue(ctx, "q", &sqs.QueueArgs{})
		if err != nil {
			return err
		}
		mon := &Monitored{}
		mon.addQueue(q.Name)
		if _, err := opsAlarm(ctx, "q-depth", opsAlarmArgs{
			Runbook:   runbook.IndexerRejects,
			Namespace: "AWS/SQS", Metric: "ApproximateNumberOfMessagesVisible", Statistic: "Maximum",
			Dimensions: pulumi.StringMap{"QueueName": q.Name}, Comparison: "GreaterThanThreshold", Threshold: 0,
			Monitor: mon,
		}); err != nil {
			return err
		}
		d, err = NewDashboard(ctx, "mon", &DashboardArgs{
			DashboardName: "vpc-flow-logs-test-us-east-1", Title: "t",
			Sources:      []*Monitored{mon, nil},
			InsightRules: []pulumi.StringInput{pulumi.String("top-talkers"), pulumi.String("rejected-sources")},
		})
		return err
	})
	comp := mustGet(t, m, "mon")
	if comp.Type != "vpcflowlogs:index:Dashboard" {
		t.Errorf("type %s", comp.Type)
	}
	r := mustGet(t, m, "mon-dashboard")
	if r.Parent != comp.URN || r.Type != "aws:cloudwatch/dashboard:Dashboard" {
		t.Errorf("dashboard %s parent %s", r.Type, r.Parent)
	}
	body := r.Input("dashboardBody")
	if err := dashboard.Validate(body); err != nil {
		t.Fatal(err)
	}
	c, err := dashboard.Read(body)
	if err != nil {
		t.Fatal(err)
	}
	queue := mustGet(t, m, "q").Outputs["name"].(string)
	if strings.Join(c.Queues, ",") != queue || len(c.AlarmGraphs) != 1 || len(c.AlarmARNs) != 1 ||
		strings.Join(c.InsightRules, ",") != "rejected-sources,top-talkers" {
		t.Errorf("contents %+v", c)
	}
	// The alarm's graph is of its own metric: the queue's dimension too.
	if want := dashboard.MetricKey("AWS/SQS", "ApproximateNumberOfMessagesVisible", map[string]string{"QueueName": queue}) + " threshold 0"; len(c.AlarmGraphs) == 1 && c.AlarmGraphs[0] != want {
		t.Errorf("alarm graph %q, want %q", c.AlarmGraphs[0], want)
	}
	if got := await(t, d.DashboardURL); got != dashboard.ConsoleURL(mockaws.Region, "vpc-flow-logs-test-us-east-1") {
		t.Errorf("DashboardURL %v", got)
	}
	if got := await(t, d.DashboardName); got != "vpc-flow-logs-test-us-east-1" {
		t.Errorf("DashboardName %v", got)
	}
}

func TestDashboardRefusesAnInvalidNameBeforeRegistering(t *testing.T) {
	m, err := mockaws.Run(func(ctx *pulumi.Context) error {
		_, err := NewDashboard(ctx, "mon", &DashboardArgs{DashboardName: "org.dev"})
		return err
	}, "vpc-flow-logs", "test", nil)
	if err == nil || !strings.Contains(err.Error(), `"org.dev"`) || !strings.Contains(err.Error(), "A-Z, a-z, 0-9, - and _") {
		t.Errorf("err %v", err)
	}
	if m != nil && len(m.Resources) != 0 {
		t.Errorf("registered %d resources", len(m.Resources))
	}
	if _, err := NewDashboard(nil, "mon", nil); err == nil {
		t.Error("nil args accepted")
	}
}
