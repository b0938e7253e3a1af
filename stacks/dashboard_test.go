package stacks

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/dashboard"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

const tDashboard = "aws:cloudwatch/dashboard:Dashboard"

// graphContents is what the dashboard must show of a recorded run: every
// metric alarm (its state and its metric with its threshold), and the
// health of every Lambda function, SQS queue, Firehose stream and
// OpenSearch domain registered, by the names the mocked AWS gave them.
func graphContents(t *testing.T, m *mockaws.Mocks) *dashboard.Contents {
	t.Helper()
	c := &dashboard.Contents{}
	name := func(r *mockaws.Resource, key string) string {
		s, ok := r.Outputs[key].(string)
		if !ok || s == "" {
			t.Fatalf("%s (%s) has no %s output", r.Name, r.Type, key)
		}
		return s
	}
	for _, a := range m.ByType("aws:cloudwatch/metricAlarm:MetricAlarm") {
		dims := map[string]string{}
		if d, ok := a.Inputs["dimensions"].(map[string]any); ok {
			for k, v := range d {
				dims[k] = fmt.Sprint(v)
			}
		}
		th, _ := a.Inputs["threshold"].(float64)
		al := dashboard.Alarm{Namespace: a.Input("namespace"), Metric: a.Input("metricName"), Dimensions: dims, Threshold: th}
		if al.Metric == "" { // metric math: an anomaly band over a metric, or an INSIGHT_RULE_METRIC expression
			for _, q := range mockaws.List(a.Inputs["metricQueries"]) {
				if qm := mockaws.Get(q, "metric"); qm != nil {
					al.Namespace, al.Metric = mockaws.Str(mockaws.Get(qm, "namespace")), mockaws.Str(mockaws.Get(qm, "metricName"))
					continue
				}
				e := mockaws.Str(mockaws.Get(q, "expression"))
				if rest, ok := strings.CutPrefix(e, "ANOMALY_DETECTION_BAND(m1, "); ok {
					if _, err := fmt.Sscanf(strings.TrimSuffix(rest, ")"), "%g", &al.AnomalyBand); err != nil {
						t.Fatalf("%s: band of %q: %v", a.Name, e, err)
					}
				} else if insightAlarm(a) {
					al.Expression = e
				}
			}
		}
		c.AlarmARNs = append(c.AlarmARNs, name(a, "arn"))
		c.AlarmGraphs = append(c.AlarmGraphs, dashboard.AlarmGraphKey(al))
	}
	for _, r := range m.ByType("aws:cloudwatch/contributorInsightRule:ContributorInsightRule") {
		c.InsightRules = append(c.InsightRules, r.Input("ruleName"))
	}
	for _, f := range m.ByType("aws:lambda/function:Function") {
		c.Functions = append(c.Functions, name(f, "name"))
	}
	for _, q := range m.ByType("aws:sqs/queue:Queue") {
		c.Queues = append(c.Queues, name(q, "name"))
	}
	for _, s := range m.ByType("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream") {
		c.Streams = append(c.Streams, name(s, "name"))
	}
	for _, d := range m.ByType("aws:opensearch/domain:Domain") {
		c.Domains = append(c.Domains, name(d, "domainName"))
	}
	for _, s := range []*[]string{&c.AlarmARNs, &c.AlarmGraphs, &c.InsightRules, &c.Functions, &c.Queues, &c.Streams, &c.Domains} {
		slices.Sort(*s)
	}
	return c
}

// TestDashboardShowsExactlyTheGraph: the body of the stack's one dashboard,
// read back, names exactly the alarms, functions, queues, streams and
// domains the run registered (a widget for each, none for anything else),
// and it passes the documented-structure check. Each variant enables
// different parts, so a widget that does not follow the graph fails one.
func TestDashboardShowsExactlyTheGraph(t *testing.T) {
	dev := devConfig(t)
	variants := map[string]map[string]string{
		"dev": dev,
		"every feature": with(dev, "slackMode", "webhook", "slackWebhookUrl", testSlackWebhook,
			"opensearchAccessHost", "true", "alarmEmails", `["a@example.com"]`),
		"existing domain, subscription feed, s3-athena without rules": with(dev,
			"architectures", `["cloudwatch-opensearch","firehose-athena","s3-athena"]`, "alarmRules", "[]",
			"firehoseFeedMode", "subscription",
			"opensearchExistingEndpoint", "vpc-logs-abc.us-east-1.es.amazonaws.com",
			"opensearchExistingArn", "arn:aws:es:us-east-1:123456789012:domain/logs", "opensearchAccessHost", "false"),
		"s3-athena only": with(dev, "architectures", `["s3-athena"]`),
	}
	for name, cfg := range variants {
		t.Run(name, func(t *testing.T) {
			r, err := deploy(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			ds := r.ByType(tDashboard)
			if len(ds) != 1 {
				t.Fatalf("%d dashboards, want 1", len(ds))
			}
			body := ds[0].Input("dashboardBody")
			if err := dashboard.Validate(body); err != nil {
				t.Fatalf("body breaks the documented structure: %v", err)
			}
			got, err := dashboard.Read(body)
			if err != nil {
				t.Fatal(err)
			}
			want := graphContents(t, r.Mocks)
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Errorf("dashboard shows\n%+v\nthe graph has\n%+v", got, want)
			}
			dn := ds[0].Input("dashboardName")
			if err := dashboard.CheckName(dn); err != nil {
				t.Error(err)
			}
			if r.outputs["dashboardName"] != dn || r.outputs["dashboardUrl"] != dashboard.ConsoleURL(mockaws.Region, dn) {
				t.Errorf("outputs dashboardName %v, dashboardUrl %v; dashboard %s", r.outputs["dashboardName"], r.outputs["dashboardUrl"], dn)
			}
		})
	}
}

func TestDashboardCanBeTurnedOff(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "dashboard", "false"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.ByType(tDashboard)); n != 0 {
		t.Errorf("dashboard: false still registers %d dashboards", n)
	}
	for _, k := range []string{"dashboardName", "dashboardUrl"} {
		if _, ok := r.outputs[k]; ok {
			t.Errorf("dashboard: false still exports %s", k)
		}
	}
}

// insightAlarm reports whether an alarm reads a Contributor Insights rule.
func insightAlarm(a *mockaws.Resource) bool {
	for _, q := range mockaws.List(a.Inputs["metricQueries"]) {
		if strings.HasPrefix(mockaws.Str(mockaws.Get(q, "expression")), "INSIGHT_RULE_METRIC(") {
			return true
		}
	}
	return false
}
