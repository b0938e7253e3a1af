package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// Alarm is the JSON message CloudWatch publishes to SNS when an alarm
// changes state (the fields this function uses).
type Alarm struct {
	AlarmName        string
	AlarmDescription string
	AWSAccountID     string `json:"AWSAccountId"`
	NewStateValue    string
	NewStateReason   string
	OldStateValue    string
	// StateChangeTime is e.g. "2024-05-01T10:15:32.123+0000".
	StateChangeTime string
	// Region is the Region's long name, e.g. "US East (N. Virginia)".
	Region   string
	AlarmArn string
	Trigger  Trigger
}

// Trigger is the alarm's metric and condition.
type Trigger struct {
	MetricName         string
	Namespace          string
	Statistic          string // e.g. "SUM"
	ExtendedStatistic  string // e.g. "p99", when Statistic is empty
	Dimensions         []Dimension
	Period             int // seconds
	EvaluationPeriods  int
	DatapointsToAlarm  int
	ComparisonOperator string
	Threshold          float64
	TreatMissingData   string
}

// Dimension is one metric dimension; SNS spells the keys in lower case.
type Dimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ParseAlarm reads a CloudWatch alarm notification; ok is false when the
// message is something else.
func ParseAlarm(message string) (Alarm, bool) {
	var a Alarm
	if err := json.Unmarshal([]byte(message), &a); err != nil || a.AlarmName == "" || a.NewStateValue == "" {
		return Alarm{}, false
	}
	return a, true
}

// alarmTimeLayouts are the forms StateChangeTime takes.
var alarmTimeLayouts = []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05.000Z0700", time.RFC3339Nano}

// ChangedAt is StateChangeTime; ok is false when it cannot be read.
func (a Alarm) ChangedAt() (time.Time, bool) {
	for _, l := range alarmTimeLayouts {
		if t, err := time.Parse(l, a.StateChangeTime); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Window is the interval the alarm evaluated: EvaluationPeriods periods
// ending at the state change. ok is false for alarms without a period
// (metric math) or an unreadable time.
func (a Alarm) Window() (start, end time.Time, ok bool) {
	end, ok = a.ChangedAt()
	if !ok || a.Trigger.Period <= 0 {
		return time.Time{}, time.Time{}, false
	}
	n := max(a.Trigger.EvaluationPeriods, 1)
	return end.Add(-time.Duration(a.Trigger.Period*n) * time.Second), end, true
}

// RegionCode is the Region of the alarm, from its ARN ("" when unknown).
func (a Alarm) RegionCode() string {
	parts := strings.SplitN(a.AlarmArn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[3]
	}
	return ""
}

// Rule is what MetricAlarmSNS writes into a rule alarm's description:
//
//	<description> (rule <name>: <summary>; pattern <pattern>) Runbook: <link>
//
// (components/metricalarmsns.go, alarmDescription), the text before the
// link cut with "..." when the whole would pass 1024 characters.
type Rule struct {
	Name        string
	Description string
	Pattern     string
	// Truncated is set when the description was cut inside the pattern.
	Truncated bool
}

var ruleRe = regexp.MustCompile(`(?s)^(.*?)\s*\(rule ([a-z0-9][a-z0-9-]{0,62}): [^;]*; pattern (.*)$`)

// ParseRule reads the rule from an alarm description, with or without the
// runbook link at its end; ok is false for alarms that are not flow-log
// rules (the operational alarms).
func ParseRule(description string) (Rule, bool) {
	text, _ := runbook.Split(description)
	m := ruleRe.FindStringSubmatch(text)
	if m == nil {
		return Rule{}, false
	}
	r := Rule{Description: strings.TrimSpace(m[1]), Name: m[2], Pattern: m[3]}
	if p, ok := strings.CutSuffix(r.Pattern, ")"); ok {
		r.Pattern = p
	} else {
		r.Pattern = strings.TrimSuffix(r.Pattern, "...")
		r.Truncated = true
	}
	return r, true
}

// datapointsRe finds the datapoints a state reason lists, e.g.
// "[3.0 (01/05/24 10:14:00), 1.0 (01/05/24 10:13:00)]".
var datapointsRe = regexp.MustCompile(`\[(-?[0-9][0-9.eE+-]* \([^)]*\)(?:, -?[0-9][0-9.eE+-]* \([^)]*\))*)\]`)

// Observed returns the datapoints the state reason quotes ("" when none).
func (a Alarm) Observed() string {
	if m := datapointsRe.FindStringSubmatch(a.NewStateReason); m != nil {
		return m[1]
	}
	return ""
}
