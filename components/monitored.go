package components

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Monitored is what a component declared that the stack's CloudWatch
// dashboard shows (see Dashboard): its metric alarms, Lambda functions, SQS
// queues, Firehose delivery streams and OpenSearch domains. Components fill
// it as they register those resources, so the dashboard follows the graph.
type Monitored struct {
	Alarms    []MonitoredAlarm
	Functions []pulumi.StringOutput
	Queues    []pulumi.StringOutput
	Streams   []pulumi.StringOutput
	Domains   []pulumi.StringOutput
}

// MonitoredAlarm is one metric alarm as declared: its metric and threshold.
type MonitoredAlarm struct {
	Name       pulumi.StringOutput
	Arn        pulumi.StringOutput
	Namespace  string
	Metric     string
	Statistic  string
	Dimensions pulumi.StringMap
	Threshold  float64
	Period     int
	Comparison string
	// AnomalyBand (anomaly-detection alarms) and Expression (metric-math
	// alarms) as in dashboard.Alarm.
	AnomalyBand float64
	Expression  string
}

// addAlarm records an alarm (m may be nil: nothing is recorded).
func (m *Monitored) addAlarm(alarm *cloudwatch.MetricAlarm, a MonitoredAlarm) {
	if m == nil {
		return
	}
	a.Name, a.Arn = alarm.Name, alarm.Arn
	m.Alarms = append(m.Alarms, a)
}

func (m *Monitored) addFunction(name pulumi.StringOutput) {
	if m != nil {
		m.Functions = append(m.Functions, name)
	}
}

func (m *Monitored) addQueue(name pulumi.StringOutput) {
	if m != nil {
		m.Queues = append(m.Queues, name)
	}
}
