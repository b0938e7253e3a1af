package dashboard

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// WidgetTypes are the widget types the body structure documents.
var WidgetTypes = []string{"metric", "text", "log", "alarm", "explorer"}

// views are the documented values of a metric widget's view.
var views = []string{"timeSeries", "singleValue", "gauge", "bar", "pie", "table"}

// topLevel are the documented top-level keys of a body.
var topLevel = []string{"widgets", "start", "end", "periodOverride", "variables"}

// Validate checks a dashboard body against the documented structure
// (DocBodyStructure): a JSON object with a widgets array of at most
// MaxWidgets widgets and only documented top-level keys; each widget of a
// documented type, inside the 24-unit grid (width 1-24, height 1-1000,
// x+width <= 24, x and y >= 0) with a properties object; a metric widget
// with a region and either a metrics array or a Contributor Insights rule,
// each metric in the array form [namespace, name, (dimension name, value)...,
// {options}] or an {expression} object, and any stat (the widget's or a
// metric's) a CloudWatch statistic ([IsStatistic]); horizontal annotations with a
// numeric value; an alarm widget with 1 to 100 alarm ARNs; a text widget
// with markdown; a log widget with a query and a region. It returns every
// problem found, each naming the widget.
func Validate(raw string) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &top); err != nil {
		return fmt.Errorf("body is not a JSON object: %w", err)
	}
	var errs []error
	for _, k := range sortedKeys(top) {
		if !slices.Contains(topLevel, k) {
			errs = append(errs, fmt.Errorf("top-level key %q is not one of %v", k, topLevel))
		}
	}
	if po, ok := top["periodOverride"]; ok {
		var s string
		if json.Unmarshal(po, &s) != nil || (s != "auto" && s != "inherit") {
			errs = append(errs, fmt.Errorf("periodOverride %s: allowed: \"auto\" or \"inherit\"", po))
		}
	}
	if _, ok := top["end"]; ok {
		if _, ok := top["start"]; !ok {
			errs = append(errs, errors.New("end without start"))
		}
	}
	rw, ok := top["widgets"]
	if !ok {
		return errors.Join(append(errs, errors.New("widgets: required (it may be empty)"))...)
	}
	var widgets []map[string]any
	if err := json.Unmarshal(rw, &widgets); err != nil {
		return errors.Join(append(errs, fmt.Errorf("widgets: not an array of objects: %w", err))...)
	}
	if len(widgets) > MaxWidgets {
		errs = append(errs, fmt.Errorf("widgets: %d; at most %d", len(widgets), MaxWidgets))
	}
	for i, w := range widgets {
		for _, e := range checkWidget(w) {
			errs = append(errs, fmt.Errorf("widget %d (%v %q): %w", i, w["type"], title(w), e))
		}
	}
	return errors.Join(errs...)
}

func title(w map[string]any) string {
	p, _ := w["properties"].(map[string]any)
	s, _ := p["title"].(string)
	return s
}

// integer returns v as an int when it is a JSON number without a fraction.
func integer(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

func checkWidget(w map[string]any) []error {
	var errs []error
	typ, _ := w["type"].(string)
	if !slices.Contains(WidgetTypes, typ) {
		errs = append(errs, fmt.Errorf("type %v is not one of %v", w["type"], WidgetTypes))
	}
	bounds := func(key string, lo, hi int, required bool) (int, bool) {
		v, present := w[key]
		if !present {
			if required {
				errs = append(errs, fmt.Errorf("%s: required", key))
			}
			return 0, false
		}
		n, ok := integer(v)
		if !ok || n < lo || n > hi {
			errs = append(errs, fmt.Errorf("%s %v: allowed: an integer from %d to %d", key, v, lo, hi))
			return 0, false
		}
		return n, true
	}
	x, okX := bounds("x", 0, GridWidth-1, false)
	bounds("y", 0, 1<<30, false)
	width, okW := bounds("width", 1, GridWidth, false)
	if !okW {
		if _, present := w["width"]; !present {
			width, okW = 6, true // the documented default
		}
	}
	bounds("height", 1, 1000, false)
	if okX && okW && x+width > GridWidth {
		errs = append(errs, fmt.Errorf("x %d + width %d is beyond the %d-unit grid", x, width, GridWidth))
	}
	props, ok := w["properties"].(map[string]any)
	if !ok {
		return append(errs, errors.New("properties: required object"))
	}
	switch typ {
	case "metric":
		errs = append(errs, checkMetricWidget(props)...)
	case "text":
		if s, _ := props["markdown"].(string); s == "" {
			errs = append(errs, errors.New("properties.markdown: required"))
		}
	case "alarm":
		arns, ok := props["alarms"].([]any)
		if !ok || len(arns) < 1 || len(arns) > MaxAlarmsPerWidget {
			errs = append(errs, fmt.Errorf("properties.alarms: required, 1 to %d alarm ARNs", MaxAlarmsPerWidget))
		}
		for _, a := range arns {
			if s, _ := a.(string); !strings.HasPrefix(s, "arn:") {
				errs = append(errs, fmt.Errorf("properties.alarms: %v is not an alarm ARN", a))
			}
		}
	case "log":
		if s, _ := props["query"].(string); s == "" {
			errs = append(errs, errors.New("properties.query: required"))
		}
		if s, _ := props["region"].(string); s == "" {
			errs = append(errs, errors.New("properties.region: required"))
		}
	}
	return errs
}

func checkMetricWidget(p map[string]any) []error {
	var errs []error
	if s, _ := p["region"].(string); s == "" {
		errs = append(errs, errors.New("properties.region: required"))
	}
	if v, ok := p["view"]; ok {
		if s, _ := v.(string); !slices.Contains(views, s) {
			errs = append(errs, fmt.Errorf("properties.view %v is not one of %v", v, views))
		}
	}
	if v, ok := p["stat"]; ok {
		if s, _ := v.(string); !IsStatistic(s) {
			errs = append(errs, fmt.Errorf("properties.stat %v: %s", v, statisticsAllowed))
		}
	}
	if v, ok := p["period"]; ok {
		n, isInt := integer(v)
		if !isInt || n < 1 || (n >= 60 && n%60 != 0) || (n < 60 && !slices.Contains([]int{1, 5, 10, 30}, n)) {
			errs = append(errs, fmt.Errorf("properties.period %v: allowed: 1, 5, 10, 30 or a multiple of 60 (seconds)", v))
		}
	}
	metrics, hasMetrics := p["metrics"]
	rule, hasRule := p["insightRule"]
	switch {
	case hasMetrics == hasRule:
		errs = append(errs, errors.New("properties: exactly one of metrics or insightRule is required"))
	case hasRule:
		r, _ := rule.(map[string]any)
		if s, _ := r["ruleName"].(string); s == "" {
			errs = append(errs, errors.New("properties.insightRule.ruleName: required"))
		}
		if v, ok := r["maxContributorCount"]; ok {
			if n, isInt := integer(v); !isInt || n < 1 || n > 100 {
				errs = append(errs, fmt.Errorf("properties.insightRule.maxContributorCount %v: allowed: 1 to 100", v))
			}
		}
	default:
		list, ok := metrics.([]any)
		if !ok || len(list) == 0 {
			errs = append(errs, errors.New("properties.metrics: a non-empty array is required"))
		}
		for i, m := range list {
			if err := checkMetric(m); err != nil {
				errs = append(errs, fmt.Errorf("properties.metrics[%d]: %w", i, err))
			}
		}
	}
	if a, ok := p["annotations"]; ok {
		am, _ := a.(map[string]any)
		if am == nil {
			errs = append(errs, errors.New("properties.annotations: not an object"))
		}
		for _, kind := range []string{"horizontal", "vertical"} {
			v, present := am[kind]
			if !present {
				continue
			}
			list, ok := v.([]any)
			if !ok {
				errs = append(errs, fmt.Errorf("properties.annotations.%s: not an array", kind))
				continue
			}
			for i, an := range list {
				o, _ := an.(map[string]any)
				val, present := o["value"]
				if _, isNum := val.(float64); kind == "horizontal" && (!present || !isNum) {
					errs = append(errs, fmt.Errorf("properties.annotations.horizontal[%d]: a numeric value is required", i))
				}
				if _, isStr := val.(string); kind == "vertical" && (!present || !isStr) {
					errs = append(errs, fmt.Errorf("properties.annotations.vertical[%d]: a time value is required", i))
				}
			}
		}
	}
	return errs
}

// checkMetric checks one entry of a metrics array: [namespace, name,
// (dimension name, dimension value)..., {rendering options}] or
// [{expression, ...}].
func checkMetric(m any) error {
	arr, ok := m.([]any)
	if !ok || len(arr) == 0 {
		return errors.New("not a non-empty array")
	}
	if o, ok := arr[0].(map[string]any); ok {
		if s, _ := o["expression"].(string); s == "" || len(arr) != 1 {
			return errors.New("an object entry must be the only one and hold an expression")
		}
		return nil
	}
	strs := arr
	if o, ok := arr[len(arr)-1].(map[string]any); ok {
		strs = arr[:len(arr)-1]
		if v, ok := o["stat"]; ok {
			if s, _ := v.(string); !IsStatistic(s) {
				return fmt.Errorf("stat %v: %s", v, statisticsAllowed)
			}
		}
	}
	for i, v := range strs {
		if s, ok := v.(string); !ok || s == "" {
			return fmt.Errorf("element %d (%v): namespace, metric name and dimensions must be non-empty strings, options an object at the end", i, v)
		}
	}
	if len(strs) < 2 || len(strs)%2 != 0 {
		return fmt.Errorf("%d strings: want namespace, metric name and dimension name/value pairs", len(strs))
	}
	if len(strs) > 2+2*30 {
		return fmt.Errorf("%d dimensions; a metric has at most 30", (len(strs)-2)/2)
	}
	return nil
}

// statisticsAllowed names what IsStatistic accepts, for error messages.
const statisticsAllowed = "allowed: SampleCount, Average, Sum, Minimum, Maximum, IQM, a percentile pNN[.NN], or tmNN, wmNN, tcNN, tsNN, TM(a:b), WM(a:b), TC(a:b), TS(a:b), PR(a:b)"

// extendedStatistic is a percentile or one of the extended statistics of
// "CloudWatch statistics definitions"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html),
// in their short (p99, tm90) and range (TM(10%:90%), PR(:300)) forms.
var extendedStatistic = regexp.MustCompile(`^(?:(?:p|tm|wm|tc|ts)(?:100|[0-9]{1,2})(?:\.[0-9]{1,10})?|(?:TM|WM|TC|TS|PR)\([^()]*:[^()]*\))$`)

// IsStatistic reports whether s is a statistic a metric widget may show: one
// of the five the dashboard body structure lists for "stat" (SampleCount,
// Average, Sum, Minimum, Maximum), a percentile, or an extended statistic.
// A Contributor Insights value such as MaxContributorValue is not one: it
// belongs inside INSIGHT_RULE_METRIC.
func IsStatistic(s string) bool {
	switch s {
	case "SampleCount", "Average", "Sum", "Minimum", "Maximum", "IQM":
		return true
	}
	return extendedStatistic.MatchString(s)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
