package dashboard

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func fixture() Description {
	return Description{
		Title: "vpc-flow-logs dev", Region: "us-east-1", Account: "123456789012",
		Alarms: []Alarm{
			{Name: "rule-ssh", ARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:rule-ssh", Namespace: "VPCFlowLogs/dev", Metric: "ssh",
				Statistic: "Sum", Threshold: 5, Period: 300, Comparison: "GreaterThanOrEqualToThreshold"},
			{Name: "fn-errors", ARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:fn-errors", Namespace: "AWS/Lambda", Metric: "Errors",
				Statistic: "Sum", Dimensions: map[string]string{"FunctionName": "fn"}, Threshold: 0, Period: 300, Comparison: "GreaterThanThreshold"},
		},
		InsightRules: []string{"top-talkers", "rejected-sources"},
		Functions:    []string{"fn", "fn2"},
		Queues:       []string{"dlq"},
		Streams:      []string{"stream"},
		Domains:      []string{"domain"},
	}
}

func TestBodyShowsExactlyTheDescription(t *testing.T) {
	d := fixture()
	b, err := Body(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(b); err != nil {
		t.Fatalf("generated body is not valid:\n%v\n%s", err, b)
	}
	c, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &Contents{
		AlarmARNs:    []string{d.Alarms[1].ARN, d.Alarms[0].ARN},
		AlarmGraphs:  []string{AlarmGraphKey(d.Alarms[1]), AlarmGraphKey(d.Alarms[0])},
		InsightRules: []string{"rejected-sources", "top-talkers"},
		Functions:    []string{"fn", "fn2"}, Queues: []string{"dlq"}, Streams: []string{"stream"}, Domains: []string{"domain"},
	}
	if fmt.Sprint(c) != fmt.Sprint(want) {
		t.Errorf("contents\n got %+v\nwant %+v", c, want)
	}
	// The OpenSearch metrics carry the account as ClientId.
	if !strings.Contains(b, `"ClientId","123456789012"`) && !strings.Contains(b, `"ClientId","123456789012",`) {
		t.Errorf("OpenSearch widget lacks the ClientId dimension:\n%s", b)
	}
	// Contributor Insights widgets name their rule.
	if !strings.Contains(b, `"insightRule":{"maxContributorCount":10,"orderBy":"Sum","ruleName":"top-talkers"}`) {
		t.Errorf("no insight rule widget for top-talkers:\n%s", b)
	}
}

func TestBodyLeavesOutWhatIsNotDeclared(t *testing.T) {
	b, err := Body(Description{Region: "eu-west-1", Title: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(b); err != nil {
		t.Fatal(err)
	}
	var got struct{ Widgets []Widget }
	if err := json.Unmarshal([]byte(b), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Widgets) != 1 || got.Widgets[0].Type != "text" {
		t.Errorf("an empty description should give only the title, got %+v", got.Widgets)
	}
	// Only queues: no Lambda, Firehose, OpenSearch or alarm section.
	b, err = Body(Description{Region: "eu-west-1", Queues: []string{"q"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"Lambda functions", "Firehose streams", "OpenSearch domains", "## Alarms", "Contributor Insights"} {
		if strings.Contains(b, absent) {
			t.Errorf("body has a %q section without such resources", absent)
		}
	}
	if _, err := Body(Description{}); err == nil {
		t.Error("a description without a region was accepted")
	}
}

func TestBodySplitsAlarmStatusWidgetsAt100(t *testing.T) {
	d := Description{Region: "us-east-1"}
	for i := range 150 {
		d.Alarms = append(d.Alarms, Alarm{Name: fmt.Sprintf("a%03d", i), ARN: fmt.Sprintf("arn:aws:cloudwatch:us-east-1:1:alarm:a%03d", i),
			Namespace: "N", Metric: "M", Statistic: "Sum", Threshold: float64(i), Period: 60})
	}
	b, err := Body(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(b); err != nil {
		t.Fatal(err)
	}
	c, err := Read(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.AlarmARNs) != 150 || len(c.AlarmGraphs) != 150 {
		t.Errorf("got %d alarm ARNs and %d graphs, want 150 each", len(c.AlarmARNs), len(c.AlarmGraphs))
	}
	// Too many widgets for one dashboard is refused, not rendered.
	for i := range MaxWidgets {
		d.Functions = append(d.Functions, fmt.Sprintf("f%d", i))
	}
	if _, err := Body(d); err == nil || !strings.Contains(err.Error(), "at most 500") {
		t.Errorf("a body over %d widgets: err %v", MaxWidgets, err)
	}
}

func TestLayoutStaysInTheGrid(t *testing.T) {
	b, err := Body(fixture())
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Widgets []Widget }
	if err := json.Unmarshal([]byte(b), &got); err != nil {
		t.Fatal(err)
	}
	// No two widgets overlap.
	type cell struct{ x, y int }
	used := map[cell]int{}
	for i, w := range got.Widgets {
		for x := w.X; x < w.X+w.Width; x++ {
			for y := w.Y; y < w.Y+w.Height; y++ {
				if j, ok := used[cell{x, y}]; ok {
					t.Fatalf("widgets %d and %d overlap at %d,%d", j, i, x, y)
				}
				used[cell{x, y}] = i
			}
		}
	}
}

func TestName(t *testing.T) {
	if n := Name("vpc-flow-logs", "org.dev", "us-east-1"); n != "vpc-flow-logs-org-dev-us-east-1" || CheckName(n) != nil {
		t.Errorf("Name = %q", n)
	}
	if n := Name("p", strings.Repeat("s", 300), "r"); len(n) != 255 || CheckName(n) != nil {
		t.Errorf("long name: %d characters", len(n))
	}
	for _, bad := range []string{"", "a.b", "a b", strings.Repeat("a", 256)} {
		if CheckName(bad) == nil {
			t.Errorf("CheckName(%q) accepted", bad)
		}
	}
	if u := ConsoleURL("eu-west-1", "n"); u != "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=n" {
		t.Errorf("ConsoleURL = %s", u)
	}
}

// TestValidateRejects proves each check of Validate can fail: every case
// breaks one documented rule of a valid body and must be reported.
func TestValidateRejects(t *testing.T) {
	valid, err := Body(fixture())
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(valid); err != nil {
		t.Fatal(err)
	}
	// metricWidget is the index of the first metric widget with metrics
	// (an alarm graph), textWidget of the title.
	var base map[string]any
	if err := json.Unmarshal([]byte(valid), &base); err != nil {
		t.Fatal(err)
	}
	widgets := base["widgets"].([]any)
	index := func(pred func(map[string]any) bool) int {
		for i, w := range widgets {
			if pred(w.(map[string]any)) {
				return i
			}
		}
		t.Fatal("fixture lacks a widget")
		return -1
	}
	props := func(w map[string]any) map[string]any { return w["properties"].(map[string]any) }
	metricW := index(func(w map[string]any) bool { return w["type"] == "metric" && props(w)["annotations"] != nil })
	ruleW := index(func(w map[string]any) bool { return w["type"] == "metric" && props(w)["insightRule"] != nil })
	alarmW := index(func(w map[string]any) bool { return w["type"] == "alarm" })
	textW := index(func(w map[string]any) bool { return w["type"] == "text" })

	cases := []struct {
		name   string
		mutate func(b map[string]any, w []any)
		want   string
	}{
		{"not JSON", nil, "not a JSON object"},
		{"unknown top-level key", func(b map[string]any, _ []any) { b["widgetz"] = 1 }, `top-level key "widgetz"`},
		{"no widgets", func(b map[string]any, _ []any) { delete(b, "widgets") }, "widgets: required"},
		{"widgets not an array", func(b map[string]any, _ []any) { b["widgets"] = "x" }, "not an array"},
		{"bad periodOverride", func(b map[string]any, _ []any) { b["periodOverride"] = "always" }, "periodOverride"},
		{"end without start", func(b map[string]any, _ []any) { delete(b, "start"); b["end"] = "2026-01-01T00:00:00Z" }, "end without start"},
		{"too many widgets", func(b map[string]any, w []any) {
			many := make([]any, 0, MaxWidgets+1)
			for range MaxWidgets + 1 {
				many = append(many, w[textW])
			}
			b["widgets"] = many
		}, "at most 500"},
		{"unknown widget type", func(_ map[string]any, w []any) { w[textW].(map[string]any)["type"] = "graph" }, "type graph is not one of"},
		{"width 0", func(_ map[string]any, w []any) { w[metricW].(map[string]any)["width"] = 0 }, "width 0"},
		{"width 25", func(_ map[string]any, w []any) { w[textW].(map[string]any)["width"] = 25 }, "width 25"},
		{"height 1001", func(_ map[string]any, w []any) { w[metricW].(map[string]any)["height"] = 1001 }, "height 1001"},
		{"height fraction", func(_ map[string]any, w []any) { w[metricW].(map[string]any)["height"] = 2.5 }, "height 2.5"},
		{"negative x", func(_ map[string]any, w []any) { w[metricW].(map[string]any)["x"] = -1 }, "x -1"},
		{"beyond the grid", func(_ map[string]any, w []any) { w[metricW].(map[string]any)["x"] = 20 }, "beyond the 24-unit grid"},
		{"no properties", func(_ map[string]any, w []any) { delete(w[metricW].(map[string]any), "properties") }, "properties: required"},
		{"metric without region", func(_ map[string]any, w []any) { delete(props(w[metricW].(map[string]any)), "region") }, "region: required"},
		{"metric without metrics", func(_ map[string]any, w []any) { delete(props(w[metricW].(map[string]any)), "metrics") }, "exactly one of metrics or insightRule"},
		{"empty metrics", func(_ map[string]any, w []any) { props(w[metricW].(map[string]any))["metrics"] = []any{} }, "non-empty array"},
		{"metric with one string", func(_ map[string]any, w []any) {
			props(w[metricW].(map[string]any))["metrics"] = []any{[]any{"AWS/Lambda"}}
		}, "want namespace, metric name"},
		{"dimension without value", func(_ map[string]any, w []any) {
			props(w[metricW].(map[string]any))["metrics"] = []any{[]any{"AWS/Lambda", "Errors", "FunctionName"}}
		}, "dimension name/value pairs"},
		{"options not last", func(_ map[string]any, w []any) {
			props(w[metricW].(map[string]any))["metrics"] = []any{[]any{"AWS/Lambda", map[string]any{}, "Errors"}}
		}, "must be non-empty strings"},
		{"expression object with others", func(_ map[string]any, w []any) {
			props(w[metricW].(map[string]any))["metrics"] = []any{[]any{map[string]any{"expression": "m1*2"}, "x"}}
		}, "hold an expression"},
		{"bad view", func(_ map[string]any, w []any) { props(w[metricW].(map[string]any))["view"] = "line" }, "view line"},
		{"bad period", func(_ map[string]any, w []any) { props(w[metricW].(map[string]any))["period"] = 90 }, "period 90"},
		{"Contributor Insights value as stat", func(_ map[string]any, w []any) {
			props(w[metricW].(map[string]any))["stat"] = "MaxContributorValue"
		}, "properties.stat MaxContributorValue"},
		{"bad stat in a metric's options", func(_ map[string]any, w []any) {
			props(w[metricW].(map[string]any))["metrics"] = []any{[]any{"AWS/Lambda", "Errors", map[string]any{"stat": "Total"}}}
		}, "stat Total"},
		{"annotation without value", func(_ map[string]any, w []any) {
			props(w[metricW].(map[string]any))["annotations"] = map[string]any{"horizontal": []any{map[string]any{"label": "x"}}}
		}, "numeric value is required"},
		{"insight rule without name", func(_ map[string]any, w []any) {
			props(w[ruleW].(map[string]any))["insightRule"] = map[string]any{"maxContributorCount": 10}
		}, "ruleName: required"},
		{"insight rule 101 contributors", func(_ map[string]any, w []any) {
			props(w[ruleW].(map[string]any))["insightRule"].(map[string]any)["maxContributorCount"] = 101
		}, "maxContributorCount 101"},
		{"alarm widget without alarms", func(_ map[string]any, w []any) { props(w[alarmW].(map[string]any))["alarms"] = []any{} }, "1 to 100 alarm ARNs"},
		{"alarm widget with a name", func(_ map[string]any, w []any) { props(w[alarmW].(map[string]any))["alarms"] = []any{"my-alarm"} }, "is not an alarm ARN"},
		{"text without markdown", func(_ map[string]any, w []any) { delete(props(w[textW].(map[string]any)), "markdown") }, "markdown: required"},
		{"log without query", func(_ map[string]any, w []any) {
			w[textW].(map[string]any)["type"] = "log"
		}, "query: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := "{not json"
			if tc.mutate != nil {
				var b map[string]any
				if err := json.Unmarshal([]byte(valid), &b); err != nil {
					t.Fatal(err)
				}
				ws, _ := b["widgets"].([]any)
				tc.mutate(b, ws)
				raw, err := json.Marshal(b)
				if err != nil {
					t.Fatal(err)
				}
				body = string(raw)
			}
			err := Validate(body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate: %v; want an error containing %q", err, tc.want)
			}
		})
	}
	if !slices.Contains(WidgetTypes, "explorer") {
		t.Error("explorer is a documented widget type")
	}
}

// TestMetricMathAlarmGraphs: an anomaly-detection alarm is graphed with its
// metric and its band (no threshold line: a threshold of 0 would be a lie),
// and a Contributor Insights alarm with its INSIGHT_RULE_METRIC expression and
// its threshold; both pass the structure check and read back as such.
func TestMetricMathAlarmGraphs(t *testing.T) {
	anomaly := Alarm{Name: "rejects-unusual", ARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a", Namespace: "VPCFlowLogs/dev",
		Metric: "rejects-unusual", Statistic: "Sum", Period: 300, AnomalyBand: 2}
	insight := Alarm{Name: "one-source-many-rejects", ARN: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:b",
		Expression: `INSIGHT_RULE_METRIC("vpc-flow-logs-dev-top-rejected-sources", "MaxContributorValue")`,
		Threshold:  100, Period: 300, Comparison: "GreaterThanThreshold"}
	body, err := Body(Description{Region: "us-east-1", Alarms: []Alarm{anomaly, insight}})
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(body); err != nil {
		t.Fatalf("body breaks the documented structure: %v", err)
	}
	c, err := Read(body)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{AlarmGraphKey(anomaly), AlarmGraphKey(insight)}
	slices.Sort(want)
	got := slices.Clone(c.AlarmGraphs)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("alarm graphs %q, want %q", got, want)
	}
	if !strings.Contains(want[0], "anomaly band 2") && !strings.Contains(want[1], "anomaly band 2") {
		t.Errorf("the anomaly alarm's key names no band: %q", want)
	}
	if strings.Contains(body, `"value":0`) {
		t.Errorf("a threshold line at 0 is drawn:\n%s", body)
	}
	// The expression names its statistic; the graph sets none of its own.
	var b struct {
		Widgets []struct{ Properties map[string]any } `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &b); err != nil {
		t.Fatal(err)
	}
	for _, w := range b.Widgets {
		if w.Properties["title"] == insight.Name {
			if st, ok := w.Properties["stat"]; ok {
				t.Errorf("the INSIGHT_RULE_METRIC graph sets stat %v", st)
			}
		}
	}
}

func TestIsStatistic(t *testing.T) {
	for _, s := range []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum", "IQM", "p99", "p99.9", "p100", "p0", "tm90", "wm99", "tc90", "ts99.5", "TM(10%:90%)", "PR(:300)", "TS(80%:)"} {
		if !IsStatistic(s) {
			t.Errorf("IsStatistic(%q) = false", s)
		}
	}
	for _, s := range []string{"", "MaxContributorValue", "UniqueContributors", "sum", "Avg", "p", "p101", "p99.", "tm", "TM(10%)", "TM(1:2))", "P99"} {
		if IsStatistic(s) {
			t.Errorf("IsStatistic(%q) = true", s)
		}
	}
}
