package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// An operational alarm ends its description with the link to its runbook
// section and notifies the topic on ALARM and on OK.
func TestOpsAlarmLinksToItsRunbook(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := opsAlarm(ctx, "x-errors", opsAlarmArgs{
			Description: "Invocations of x failed", Runbook: runbook.IndexerErrors,
			Namespace: "AWS/Lambda", Metric: "Errors", Statistic: "Sum",
			Comparison: "GreaterThanThreshold", TopicArn: pulumi.String(testTopic),
		})
		return err
	})
	a := mustGet(t, m, "x-errors")
	if d := a.Input("alarmDescription"); d != "Invocations of x failed Runbook: "+runbook.Link(runbook.IndexerErrors) {
		t.Errorf("description %q", d)
	}
	for _, k := range []string{"alarmActions", "okActions"} {
		if got, _ := a.Inputs[k].([]any); len(got) != 1 || got[0] != testTopic {
			t.Errorf("%s = %v, want the topic", k, a.Inputs[k])
		}
	}
}

// An alarm without a runbook section is a programming error the run reports
// before registering the alarm.
func TestOpsAlarmWithoutRunbookFails(t *testing.T) {
	m, err := mockaws.Run(func(ctx *pulumi.Context) error {
		_, err := opsAlarm(ctx, "x-errors", opsAlarmArgs{
			Description: "Invocations of x failed",
			Namespace:   "AWS/Lambda", Metric: "Errors", Statistic: "Sum", Comparison: "GreaterThanThreshold",
		})
		return err
	}, "vpc-flow-logs", "test", nil)
	if err == nil || !strings.Contains(err.Error(), "x-errors") || !strings.Contains(err.Error(), "runbook") {
		t.Errorf("err = %v, want one naming the alarm and the missing runbook section", err)
	}
	if len(m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm")) != 0 {
		t.Error("the alarm was registered")
	}
}
