// Package dashboard builds the body of the stack's CloudWatch dashboard from
// a typed description of what the stack declared (Description), and checks a
// body against CloudWatch's documented dashboard body structure (Validate).
//
// Body is a pure function: the program collects the description from the
// components it registered (stacks.Deploy) and the tests feed it fixtures, so
// a widget appears exactly for each alarm, Contributor Insights rule, Lambda
// function, SQS queue, Firehose stream and OpenSearch domain the stack
// declares, and for nothing it does not.
//
// Structure: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
package dashboard

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
)

// DocBodyStructure is the AWS page of the dashboard body structure.
const DocBodyStructure = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html"

// DocPutDashboard is the AWS page of PutDashboard (the name limits).
const DocPutDashboard = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html"

// Description is what the stack declared that the dashboard shows.
type Description struct {
	// Title heads the dashboard (the project and stack).
	Title string
	// Region is the region of every metric; Account is the ClientId
	// dimension of the OpenSearch metrics.
	Region  string
	Account string
	// Alarms are the stack's metric alarms: one graph each, with its threshold.
	Alarms []Alarm
	// InsightRules are Contributor Insights rule names: one top-contributors graph each.
	InsightRules []string
	// Functions, Queues, Streams and Domains are the names of the Lambda
	// functions, SQS queues, Firehose delivery streams and OpenSearch domains.
	Functions []string
	Queues    []string
	Streams   []string
	Domains   []string
}

// Alarm is one metric alarm as declared.
type Alarm struct {
	Name       string // the alarm's name
	ARN        string
	Namespace  string
	Metric     string
	Statistic  string
	Dimensions map[string]string
	Threshold  float64
	Period     int // seconds
	Comparison string
	// AnomalyBand, when above 0, makes this an anomaly-detection alarm: its
	// graph shows the metric and ANOMALY_DETECTION_BAND(metric, band), with
	// no threshold line (the band is the threshold).
	AnomalyBand float64
	// Expression, when set, is the metric-math expression the alarm
	// evaluates (INSIGHT_RULE_METRIC of a Contributor Insights rule), graphed
	// instead of Namespace/Metric, with the threshold line. The expression
	// names its own statistic (MaxContributorValue, ...), so Statistic is
	// empty and the graph sets none.
	Expression string
}

// Grid of the generated dashboard: CloudWatch's grid is 24 units wide.
const (
	GridWidth    = 24
	widgetWidth  = 8
	widgetHeight = 6
	headerHeight = 1
	// MaxWidgets is the documented maximum number of widgets in a body.
	MaxWidgets = 500
	// MaxAlarmsPerWidget is the documented maximum of an alarm status widget's alarms array.
	MaxAlarmsPerWidget = 100
	// MaxContributors is how many contributors an insight rule graph shows
	// (GetInsightRuleReport allows 1 to 100).
	MaxContributors = 10
)

// nameRe is what PutDashboard accepts as a dashboard name: A-Z, a-z, 0-9,
// "-" and "_", at most 255 characters (DocPutDashboard).
var nameRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

var nameBad = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// Name is the dashboard name of a project's stack in a region. Dashboards
// are global to the account (not regional), so the region is part of the
// name: the same stack deployed to two regions of one account gets two
// dashboards. Characters PutDashboard refuses become "-".
func Name(project, stack, region string) string {
	n := nameBad.ReplaceAllString(project+"-"+stack+"-"+region, "-")
	if len(n) > 255 {
		n = n[:255]
	}
	return n
}

// CheckName reports a dashboard name PutDashboard refuses.
func CheckName(name string) error {
	if !nameRe.MatchString(name) {
		return fmt.Errorf("dashboard name %q: allowed: 1 to 255 of A-Z, a-z, 0-9, - and _ (%s)", name, DocPutDashboard)
	}
	return nil
}

// ConsoleURL is the CloudWatch console address of a dashboard in the aws partition.
func ConsoleURL(region, name string) string {
	return fmt.Sprintf("https://%s.console.aws.amazon.com/cloudwatch/home?region=%s#dashboards:name=%s",
		region, url.QueryEscape(region), url.PathEscape(name))
}

// Widget is one widget of a body.
type Widget struct {
	Type       string         `json:"type"`
	X          int            `json:"x"`
	Y          int            `json:"y"`
	Width      int            `json:"width"`
	Height     int            `json:"height"`
	Properties map[string]any `json:"properties"`
}

// body is the top-level structure.
type body struct {
	Start          string   `json:"start"`
	PeriodOverride string   `json:"periodOverride"`
	Widgets        []Widget `json:"widgets"`
}

// layout places widgets on the grid row by row.
type layout struct {
	widgets []Widget
	x, y    int
	rowH    int
}

func (l *layout) newRow() {
	if l.x > 0 {
		l.y += l.rowH
	}
	l.x, l.rowH = 0, 0
}

func (l *layout) place(typ string, w, h int, props map[string]any) {
	if l.x+w > GridWidth {
		l.newRow()
	}
	l.widgets = append(l.widgets, Widget{Type: typ, X: l.x, Y: l.y, Width: w, Height: h, Properties: props})
	l.x += w
	l.rowH = max(l.rowH, h)
}

// section starts a row with a text header.
func (l *layout) section(markdown string) {
	l.newRow()
	l.place("text", GridWidth, headerHeight, map[string]any{"markdown": markdown})
	l.newRow()
}

// metric is one line of a metrics array: namespace, metric name, dimension
// name/value pairs (sorted by name) and the rendering options.
// alarmGraph is the metric widget of one alarm: its metric (or metric-math
// expression) with its threshold as a horizontal line, or, for an
// anomaly-detection alarm, its metric with the band the alarm compares it to
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Anomaly_Detection.html).
func alarmGraph(region string, a Alarm) map[string]any {
	p := map[string]any{
		"title":   a.Name,
		"region":  region,
		"view":    "timeSeries",
		"stacked": false,
		"period":  a.Period,
	}
	if a.Statistic != "" {
		p["stat"] = a.Statistic
	}
	switch {
	case a.AnomalyBand > 0:
		p["metrics"] = []any{
			metric(a.Namespace, a.Metric, a.Dimensions, map[string]any{"id": "m1"}),
			[]any{map[string]any{"expression": anomalyExpression(a.AnomalyBand), "id": "ad1", "label": fmt.Sprintf("expected band (%g standard deviations)", a.AnomalyBand)}},
		}
		return p
	case a.Expression != "":
		p["metrics"] = []any{[]any{map[string]any{"expression": a.Expression, "id": "e1", "label": a.Name}}}
	default:
		p["metrics"] = []any{metric(a.Namespace, a.Metric, a.Dimensions, nil)}
	}
	label := fmt.Sprintf("threshold %s %g", cmp.Or(comparisonSymbol[a.Comparison], a.Comparison), a.Threshold)
	p["annotations"] = map[string]any{"horizontal": []any{map[string]any{"label": label, "value": a.Threshold}}}
	return p
}

// anomalyExpression is the band of the graph's metric m1.
func anomalyExpression(band float64) string {
	return fmt.Sprintf("ANOMALY_DETECTION_BAND(m1, %g)", band)
}

func metric(namespace, name string, dims map[string]string, opts map[string]any) []any {
	m := []any{namespace, name}
	for _, k := range slices.Sorted(maps.Keys(dims)) {
		m = append(m, k, dims[k])
	}
	if len(opts) > 0 {
		m = append(m, opts)
	}
	return m
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// comparisonSymbol renders a CloudWatch comparison operator for a label.
var comparisonSymbol = map[string]string{
	"GreaterThanOrEqualToThreshold": ">=",
	"GreaterThanThreshold":          ">",
	"LessThanThreshold":             "<",
	"LessThanOrEqualToThreshold":    "<=",
}

// Body renders the dashboard body of d as JSON. Sections without anything
// to show are left out; within a section the widgets are sorted by name.
func Body(d Description) (string, error) {
	if d.Region == "" {
		return "", fmt.Errorf("dashboard: Region is required")
	}
	l := &layout{}
	l.place("text", GridWidth, 2, map[string]any{"markdown": fmt.Sprintf(
		"# %s\nDeclared by the Pulumi program (docs/dashboard.md): changes made in the console are overwritten on the next `pulumi up`.",
		cmp.Or(d.Title, "VPC flow logs"))})

	alarms := slices.Clone(d.Alarms)
	slices.SortFunc(alarms, func(a, b Alarm) int { return cmp.Compare(a.Name, b.Name) })
	if len(alarms) > 0 {
		l.section("## Alarms\nState of every alarm, then each alarm's metric with its threshold (horizontal line).")
		for i := 0; i < len(alarms); i += MaxAlarmsPerWidget {
			chunk := alarms[i:min(i+MaxAlarmsPerWidget, len(alarms))]
			arns := make([]any, len(chunk))
			for j, a := range chunk {
				arns[j] = a.ARN
			}
			rows := (len(chunk) + 3) / 4 // the widget lists about four alarms per row
			l.place("alarm", GridWidth, 1+rows, map[string]any{
				"title":  "Alarm states",
				"alarms": arns,
				"sortBy": "stateUpdatedTimestamp",
			})
		}
		l.newRow()
		for _, a := range alarms {
			l.place("metric", widgetWidth, widgetHeight, alarmGraph(d.Region, a))
		}
	}

	// A rule's top-contributors graph: a metric widget whose insightRule names
	// the rule, as the console writes it; GetInsightRuleReport allows 1-100
	// contributors (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetInsightRuleReport.html).
	if rules := sortedCopy(d.InsightRules); len(rules) > 0 {
		l.section("## Contributor Insights\nTop contributors of each rule.")
		for _, r := range rules {
			l.place("metric", widgetWidth*3/2, widgetHeight, map[string]any{
				"title":  r,
				"region": d.Region,
				"view":   "timeSeries",
				"insightRule": map[string]any{
					"ruleName": r, "maxContributorCount": MaxContributors, "orderBy": "Sum",
				},
				"legend": map[string]any{"position": "bottom"},
			})
		}
	}

	// Metric names and dimensions as the services document them:
	// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html,
	// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html,
	// https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html,
	// https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-cloudwatchmetrics.html
	// (AWS/ES metrics carry DomainName and ClientId, the account).
	right := map[string]any{"yAxis": "right"}
	health := []struct {
		header string
		names  []string
		title  string
		period int
		stat   string
		lines  func(name string) []any
	}{
		{"## Lambda functions\nInvocations, errors and throttles (Sum, left) and the longest duration (ms, right).", d.Functions, "Lambda %s", 300, "Sum",
			func(n string) []any {
				dims := map[string]string{"FunctionName": n}
				return []any{
					metric("AWS/Lambda", "Invocations", dims, nil),
					metric("AWS/Lambda", "Errors", dims, nil),
					metric("AWS/Lambda", "Throttles", dims, nil),
					metric("AWS/Lambda", "Duration", dims, map[string]any{"stat": "Maximum", "yAxis": "right"}),
				}
			}},
		{"## SQS queues\nMessages waiting (left) and the age of the oldest in seconds (right); a dead-letter queue should stay at 0.", d.Queues, "SQS %s", 300, "Maximum",
			func(n string) []any {
				dims := map[string]string{"QueueName": n}
				return []any{
					metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", dims, nil),
					metric("AWS/SQS", "ApproximateAgeOfOldestMessage", dims, right),
				}
			}},
		{"## Firehose streams\nRecords in and delivered to S3 (Sum, left) and the age of the oldest undelivered record in seconds (right).", d.Streams, "Firehose %s", 300, "Sum",
			func(n string) []any {
				dims := map[string]string{"DeliveryStreamName": n}
				return []any{
					metric("AWS/Firehose", "IncomingRecords", dims, nil),
					metric("AWS/Firehose", "DeliveryToS3.Records", dims, nil),
					metric("AWS/Firehose", "DeliveryToS3.DataFreshness", dims, map[string]any{"stat": "Maximum", "yAxis": "right"}),
				}
			}},
		{"## OpenSearch domains\nCluster status red/yellow (1 = in that state), CPU and JVM memory pressure (%, left) and the fullest node's free storage (MB, right).", d.Domains, "OpenSearch %s", 300, "Maximum",
			func(n string) []any {
				dims := map[string]string{"DomainName": n, "ClientId": d.Account}
				return []any{
					metric("AWS/ES", "ClusterStatus.red", dims, nil),
					metric("AWS/ES", "ClusterStatus.yellow", dims, nil),
					metric("AWS/ES", "CPUUtilization", dims, nil),
					metric("AWS/ES", "JVMMemoryPressure", dims, nil),
					metric("AWS/ES", "FreeStorageSpace", dims, map[string]any{"stat": "Minimum", "yAxis": "right"}),
				}
			}},
	}
	for _, h := range health {
		names := sortedCopy(h.names)
		if len(names) == 0 {
			continue
		}
		l.section(h.header)
		for _, n := range names {
			l.place("metric", widgetWidth, widgetHeight, map[string]any{
				"title":   fmt.Sprintf(h.title, n),
				"region":  d.Region,
				"view":    "timeSeries",
				"stacked": false,
				"stat":    h.stat,
				"period":  h.period,
				"metrics": h.lines(n),
			})
		}
	}
	if len(l.widgets) > MaxWidgets {
		return "", fmt.Errorf("dashboard: %d widgets; CloudWatch accepts at most %d (%s)", len(l.widgets), MaxWidgets, DocBodyStructure)
	}
	b, err := json.Marshal(body{Start: "-PT6H", PeriodOverride: "inherit", Widgets: l.widgets})
	if err != nil {
		return "", err
	}
	return string(b), nil
}
