package dashboard

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Contents is what a body's widgets show, read back from the body: the
// tests compare it with the resources the stack registered, and the plan
// summary prints it.
type Contents struct {
	// AlarmARNs are the alarms of the alarm status widgets.
	AlarmARNs []string
	// AlarmGraphs are the metric widgets with a threshold line, each as
	// MetricKey(namespace, metric, dimensions) + " threshold " + value.
	AlarmGraphs  []string
	InsightRules []string
	// Functions, Queues, Streams and Domains are the resources of the health widgets.
	Functions []string
	Queues    []string
	Streams   []string
	Domains   []string
}

// MetricKey identifies a metric: namespace, name and sorted dimensions.
func MetricKey(namespace, name string, dims map[string]string) string {
	parts := []string{namespace, name}
	for _, k := range sortedKeys(dims) {
		parts = append(parts, k+"="+dims[k])
	}
	return strings.Join(parts, " ")
}

// AlarmGraphKey is how Contents names the graph of an alarm: its metric (or
// metric-math expression) and threshold, or its metric and anomaly band.
func AlarmGraphKey(a Alarm) string {
	switch {
	case a.AnomalyBand > 0:
		return fmt.Sprintf("%s anomaly band %g", MetricKey(a.Namespace, a.Metric, a.Dimensions), a.AnomalyBand)
	case a.Expression != "":
		return fmt.Sprintf("expression %s threshold %g", a.Expression, a.Threshold)
	}
	return fmt.Sprintf("%s threshold %g", MetricKey(a.Namespace, a.Metric, a.Dimensions), a.Threshold)
}

// healthDimension is the dimension that names the resource of a health widget.
var healthDimension = map[string]string{
	"FunctionName":       "function",
	"QueueName":          "queue",
	"DeliveryStreamName": "stream",
	"DomainName":         "domain",
}

// Read returns what a body shows. A health widget must name exactly one
// resource in all its metrics.
func Read(raw string) (*Contents, error) {
	var b struct {
		Widgets []Widget `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		return nil, err
	}
	c := &Contents{}
	for i, w := range b.Widgets {
		p := w.Properties
		switch w.Type {
		case "alarm":
			arns, _ := p["alarms"].([]any)
			for _, a := range arns {
				s, _ := a.(string)
				c.AlarmARNs = append(c.AlarmARNs, s)
			}
		case "metric":
			if r, ok := p["insightRule"].(map[string]any); ok {
				s, _ := r["ruleName"].(string)
				c.InsightRules = append(c.InsightRules, s)
				continue
			}
			metrics, _ := p["metrics"].([]any)
			var keys []string
			found := map[string]string{}
			var exprs []string
			for _, m := range metrics {
				arr, _ := m.([]any)
				if len(arr) == 1 {
					if o, ok := arr[0].(map[string]any); ok {
						e, _ := o["expression"].(string)
						exprs = append(exprs, e)
						continue
					}
				}
				var strs []string
				for _, v := range arr {
					if s, ok := v.(string); ok {
						strs = append(strs, s)
					}
				}
				if len(strs) < 2 {
					return nil, fmt.Errorf("widget %d: metric %v has no namespace and name", i, m)
				}
				dims := map[string]string{}
				for j := 2; j+1 < len(strs); j += 2 {
					dims[strs[j]] = strs[j+1]
					if kind, ok := healthDimension[strs[j]]; ok {
						if prev, seen := found[kind]; seen && prev != strs[j+1] {
							return nil, fmt.Errorf("widget %d: shows two %ss, %s and %s", i, kind, prev, strs[j+1])
						}
						found[kind] = strs[j+1]
					}
				}
				keys = append(keys, MetricKey(strs[0], strs[1], dims))
			}
			if h := horizontal(p); h != nil && len(keys) == 0 && len(exprs) == 1 {
				c.AlarmGraphs = append(c.AlarmGraphs, fmt.Sprintf("expression %s threshold %g", exprs[0], *h))
				continue
			}
			if len(exprs) > 0 {
				band, ok := anomalyBand(exprs)
				if !ok || len(keys) != 1 || horizontal(p) != nil {
					return nil, fmt.Errorf("widget %d: expressions %q with %d metrics are neither an anomaly band nor an alarm expression", i, exprs, len(keys))
				}
				c.AlarmGraphs = append(c.AlarmGraphs, fmt.Sprintf("%s anomaly band %g", keys[0], band))
				continue
			}
			if h := horizontal(p); h != nil {
				if len(keys) != 1 {
					return nil, fmt.Errorf("widget %d: an alarm graph shows one metric, not %d", i, len(keys))
				}
				c.AlarmGraphs = append(c.AlarmGraphs, fmt.Sprintf("%s threshold %g", keys[0], *h))
				continue
			}
			if len(found) != 1 {
				return nil, fmt.Errorf("widget %d: a health graph names one resource, found %v", i, found)
			}
			for kind, name := range found {
				switch kind {
				case "function":
					c.Functions = append(c.Functions, name)
				case "queue":
					c.Queues = append(c.Queues, name)
				case "stream":
					c.Streams = append(c.Streams, name)
				case "domain":
					c.Domains = append(c.Domains, name)
				}
			}
		}
	}
	for _, s := range []*[]string{&c.AlarmARNs, &c.AlarmGraphs, &c.InsightRules, &c.Functions, &c.Queues, &c.Streams, &c.Domains} {
		slices.Sort(*s)
	}
	return c, nil
}

// horizontal is the value of a metric widget's first horizontal annotation.
func horizontal(p map[string]any) *float64 {
	a, _ := p["annotations"].(map[string]any)
	list, _ := a["horizontal"].([]any)
	if len(list) == 0 {
		return nil
	}
	o, _ := list[0].(map[string]any)
	v, ok := o["value"].(float64)
	if !ok {
		return nil
	}
	return &v
}

// Summary is a one-line account of the contents, for the plan summary.
func (c *Contents) Summary() string {
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, "1 "+one)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, many))
		}
	}
	add(len(c.AlarmGraphs), "alarm graph", "alarm graphs")
	add(len(c.InsightRules), "Contributor Insights rule", "Contributor Insights rules")
	add(len(c.Functions), "Lambda function", "Lambda functions")
	add(len(c.Queues), "SQS queue", "SQS queues")
	add(len(c.Streams), "Firehose stream", "Firehose streams")
	add(len(c.Domains), "OpenSearch domain", "OpenSearch domains")
	if len(parts) == 0 {
		return "no widgets beyond the title"
	}
	return strings.Join(parts, ", ")
}

// anomalyBand reads the band of a graph whose one expression is
// ANOMALY_DETECTION_BAND(m1, band).
func anomalyBand(exprs []string) (float64, bool) {
	if len(exprs) != 1 {
		return 0, false
	}
	rest, ok := strings.CutPrefix(exprs[0], "ANOMALY_DETECTION_BAND(m1, ")
	if !ok {
		return 0, false
	}
	v, ok := strings.CutSuffix(rest, ")")
	if !ok {
		return 0, false
	}
	band, err := strconv.ParseFloat(v, 64)
	return band, err == nil && band > 0
}
