package stackconfig

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/insights"
)

// Anomaly asks for an anomaly-detection alarm instead of a fixed threshold:
// the alarm compares the metric with ANOMALY_DETECTION_BAND(metric, Band).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Anomaly_Detection_Alarm.html
type Anomaly struct {
	// Band is the width of the band in standard deviations (> 0).
	Band float64
	// Direction is upper, lower or both.
	Direction string
}

// Anomaly directions.
const (
	AnomalyUpper = "upper"
	AnomalyLower = "lower"
	AnomalyBoth  = "both"
)

// AnomalyDirections are the allowed directions, in order.
var AnomalyDirections = []string{AnomalyUpper, AnomalyLower, AnomalyBoth}

// DefaultAnomalyDirection alarms on values above the band ("far above normal").
const DefaultAnomalyDirection = AnomalyUpper

// Comparison is the CloudWatch comparison operator of the direction, one of
// awslimits.AnomalyComparisons.
func (a Anomaly) Comparison() string {
	switch a.Direction {
	case AnomalyLower:
		return awslimits.AnomalyComparisons[1]
	case AnomalyBoth:
		return awslimits.AnomalyComparisons[2]
	default:
		return awslimits.AnomalyComparisons[0]
	}
}

// InsightAlarm turns a Contributor Insights rule's metric into an alarm on
// the alarm topic, through INSIGHT_RULE_METRIC metric math.
type InsightAlarm struct {
	Name        string
	Description string
	// Rule is the Contributor Insights rule id (insights.IDs).
	Rule string
	// Metric is the INSIGHT_RULE_METRIC metric name (insights.Metrics).
	Metric            string
	Threshold         float64
	Period            int
	EvaluationPeriods int
	Comparison        string
}

// DefaultInsightMetric is the value of the top contributor: "any single
// source with more than N ..." alarms compare it with N.
const DefaultInsightMetric = "MaxContributorValue"

// anomalyJSON is the config shape of alarmRules[i].anomaly.
type anomalyJSON struct {
	Band      json.RawMessage `json:"band"`
	Direction string          `json:"direction"`
}

// anomaly reads alarmRules[i].anomaly.
func (l *loader) anomaly(key string, raw json.RawMessage) *Anomaly {
	var aj anomalyJSON
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&aj); err != nil {
		l.errs = append(l.errs, &Error{Key: Key(key), Value: string(raw), Allowed: "an object {band: <standard deviations > 0>, direction: upper|lower|both} (" + err.Error() + ")"})
		return nil
	}
	a := &Anomaly{Direction: aj.Direction}
	const bandAllowed = "a number of standard deviations > 0, e.g. 2 (the width of the ANOMALY_DETECTION_BAND)"
	if len(aj.Band) == 0 || string(aj.Band) == "null" {
		l.errs = append(l.errs, &Error{Key: Key(key + ".band"), Value: "(missing)", Allowed: bandAllowed})
	} else if err := json.Unmarshal(aj.Band, &a.Band); err != nil || !(a.Band > 0) || math.IsInf(a.Band, 0) {
		l.errs = append(l.errs, &Error{Key: Key(key + ".band"), Value: string(aj.Band), Allowed: bandAllowed})
	}
	if a.Direction == "" {
		a.Direction = DefaultAnomalyDirection
	} else if !slices.Contains(AnomalyDirections, a.Direction) {
		l.errs = append(l.errs, &Error{Key: Key(key + ".direction"), Value: quote(a.Direction), Allowed: strings.Join(AnomalyDirections, ", ")})
	}
	return a
}

// contributorInsights reads which Contributor Insights rules to deploy. The
// default is every rule; a default rule whose fields flowLogFields does not
// record is skipped with a warning, a rule the stack lists itself is refused.
func (l *loader) contributorInsights(c *Config) []string {
	names, ok := l.stringList("contributorInsights")
	if !ok {
		return nil
	}
	explicit := names != nil && !slices.Equal(names, insights.IDs())
	if names == nil {
		names = insights.IDs()
	}
	var out []string
	for _, id := range names {
		s, known := insights.Lookup(id)
		switch {
		case !known:
			l.fail("contributorInsights", quote(id), strings.Join(insights.IDs(), ", ")+" (or [] for none)")
			l.refusedInsights = append(l.refusedInsights, id)
			continue
		case slices.Contains(out, id):
			l.fail("contributorInsights", quote(id), "each rule once")
			continue
		}
		// With flowLogFields refused, which fields are recorded is unknown:
		// its own error says what to fix, so the rule is taken unchecked.
		if missing := s.Missing(c.Fields); len(missing) > 0 && !l.fieldsInvalid {
			if explicit {
				l.fail("contributorInsights", quote(id), fmt.Sprintf("rules whose fields %s records (%s reads %s; add them to flowLogFields or drop the rule)",
					Key("flowLogFields"), id, strings.Join(missing, ", ")))
				l.refusedInsights = append(l.refusedInsights, id)
			} else if c.NeedsCloudWatchFlowLog() {
				l.notes = append(l.notes, fmt.Sprintf("config %s: the Contributor Insights rule %s is skipped: it reads %s, which %s does not record",
					Key("contributorInsights"), id, strings.Join(missing, ", "), Key("flowLogFields")))
			}
			continue
		}
		out = append(out, id)
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// insightAlarmJSON is the config shape of a contributorInsightAlarms entry.
type insightAlarmJSON struct {
	Name              string          `json:"name"`
	Description       string          `json:"description"`
	Rule              string          `json:"rule"`
	Metric            string          `json:"metric"`
	Threshold         json.RawMessage `json:"threshold"`
	Period            json.RawMessage `json:"period"`
	EvaluationPeriods json.RawMessage `json:"evaluationPeriods"`
	Comparison        string          `json:"comparison"`
}

// insightAlarms reads contributorInsightAlarms; rules must be among the
// deployed Contributor Insights rules.
func (l *loader) insightAlarms(rules []string) []InsightAlarm {
	v, ok := l.raw("contributorInsightAlarms")
	if !ok {
		return nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(v), &raws); err != nil {
		l.fail("contributorInsightAlarms", quote(v), "a list of alarm objects (see docs/detection.md)")
		return nil
	}
	var out []InsightAlarm
	seen := map[string]bool{}
	for i, raw := range raws {
		key := fmt.Sprintf("contributorInsightAlarms[%d]", i)
		var aj insightAlarmJSON
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&aj); err != nil {
			l.fail(key, string(raw), "an object with name, description, rule, metric, threshold, period, evaluationPeriods, comparison ("+err.Error()+")")
			continue
		}
		a := InsightAlarm{Name: aj.Name, Description: aj.Description, Rule: aj.Rule, Metric: aj.Metric, Comparison: aj.Comparison}
		if !ruleNameRe.MatchString(a.Name) {
			l.fail(key+".name", quote(a.Name), "1-63 lowercase letters, digits and dashes, starting with a letter or digit")
		} else if seen[a.Name] {
			l.fail(key+".name", quote(a.Name), "a name no other contributor insight alarm uses")
		}
		seen[a.Name] = true
		switch {
		case slices.Contains(rules, a.Rule), slices.Contains(l.refusedInsights, a.Rule):
			// Deployed, or refused in contributorInsights with its own error.
		case len(rules) == 0:
			l.fail(key+".rule", quote(a.Rule), fmt.Sprintf("a Contributor Insights rule the stack deploys, and it deploys none (%s is [], or %s records none of the fields the rules read): add the rule to %s (one of %s) with the fields it reads in %s, or remove this alarm",
				Key("contributorInsights"), Key("flowLogFields"), Key("contributorInsights"), strings.Join(insights.IDs(), ", "), Key("flowLogFields")))
		default:
			l.fail(key+".rule", quote(a.Rule), "a Contributor Insights rule the stack deploys ("+Key("contributorInsights")+"): "+strings.Join(rules, ", "))
		}
		if a.Metric == "" {
			a.Metric = DefaultInsightMetric
		} else if !slices.Contains(insights.Metrics, a.Metric) {
			l.fail(key+".metric", quote(a.Metric), strings.Join(insights.Metrics, ", "))
		}
		const thresholdAllowed = "a number >= 0 compared with the rule's metric"
		if len(aj.Threshold) == 0 || string(aj.Threshold) == "null" {
			l.errs = append(l.errs, &Error{Key: Key(key + ".threshold"), Value: "(missing)", Allowed: thresholdAllowed})
		} else if err := json.Unmarshal(aj.Threshold, &a.Threshold); err != nil || a.Threshold < 0 {
			l.errs = append(l.errs, &Error{Key: Key(key + ".threshold"), Value: string(aj.Threshold), Allowed: thresholdAllowed})
		}
		a.Period = l.ruleInt(key+".period", aj.Period, DefaultRulePeriod, "a multiple of 60 seconds, from 60 to 86400", func(n int) bool { return n >= 60 && n <= 86400 && n%60 == 0 })
		a.EvaluationPeriods = l.ruleInt(key+".evaluationPeriods", aj.EvaluationPeriods, DefaultEvaluationPeriods, "an integer >= 1", func(n int) bool { return n >= 1 })
		if a.Period > 0 && a.EvaluationPeriods > 0 {
			if limit := maxAlarmWindow(a.Period); a.Period*a.EvaluationPeriods > limit {
				l.fail(key+".evaluationPeriods", strconv.Itoa(a.EvaluationPeriods), fmt.Sprintf(
					"period x evaluationPeriods of at most %d s with a period of %d s (one day for periods under an hour, seven days otherwise)", limit, a.Period))
			}
		}
		if a.Comparison == "" {
			a.Comparison = DefaultComparison
		} else if !slices.Contains(awslimits.AlarmComparisons, a.Comparison) {
			l.fail(key+".comparison", quote(a.Comparison), strings.Join(awslimits.AlarmComparisons, ", "))
		}
		out = append(out, a)
	}
	return out
}
