package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// Message is an incoming-webhook payload: Text is the notification and
// fallback text, Blocks the Block Kit layout Slack shows.
type Message struct {
	Text   string  `json:"text"`
	Blocks []block `json:"blocks,omitempty"`
}

// Encode returns the message as the webhook's JSON body (indented when
// indent is set). &, < and > stay as they are: they are already escaped for
// mrkdwn where they must be.
func (m Message) Encode(indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// block is one Block Kit block (a map, so the JSON keys come out sorted).
type block = map[string]any

// Slack's limits on Block Kit text.
const (
	maxHeader      = 150
	maxSectionText = 3000
	maxFieldText   = 2000
	maxButtonURL   = 3000
	maxText        = 3000
)

// Formatter renders SNS notifications as Slack messages.
type Formatter struct {
	// LogGroup is the flow-log log group the Logs Insights link queries; ""
	// leaves the link out.
	LogGroup string
	// Fields is the flow-log format, for the query's parse expression.
	Fields []flowlog.Field
	// Region is used when the alarm's ARN names none (AWS_REGION).
	Region string
}

// Format renders one SNS notification: a CloudWatch alarm as a readable
// alarm message, anything else as its subject and text.
func (f Formatter) Format(n events.SNSEntity) Message {
	if a, ok := ParseAlarm(n.Message); ok {
		return f.Alarm(a)
	}
	return f.Other(n)
}

var stateEmoji = map[string]string{
	"ALARM":             ":rotating_light:",
	"OK":                ":white_check_mark:",
	"INSUFFICIENT_DATA": ":grey_question:",
}

var comparisonSymbol = map[string]string{
	"GreaterThanOrEqualToThreshold": ">=",
	"GreaterThanThreshold":          ">",
	"LessThanThreshold":             "<",
	"LessThanOrEqualToThreshold":    "<=",
}

var statisticName = map[string]string{
	"SUM": "Sum", "AVERAGE": "Average", "MAXIMUM": "Maximum", "MINIMUM": "Minimum", "SAMPLE_COUNT": "SampleCount",
}

// Alarm renders an alarm's state change: what fired (the rule, or the
// alarm), the change, threshold and observed value, the window, the rule's
// pattern, the reason, and links to the alarm, to its runbook section (the
// link its description ends with) and, for a flow-log rule, to the Logs
// Insights query that lists the matching records of the window.
func (f Formatter) Alarm(a Alarm) Message {
	rule, isRule := ParseRule(a.AlarmDescription)
	title := a.AlarmName
	description, runbookURL := runbook.Split(a.AlarmDescription)
	if isRule {
		title, description = rule.Name, rule.Description
	}
	region := a.RegionCode()
	if region == "" {
		region = f.Region
	}
	emoji := stateEmoji[a.NewStateValue]
	if emoji == "" {
		emoji = ":bell:"
	}

	text := fmt.Sprintf("%s: %s (%s -> %s)", a.NewStateValue, title, orDash(a.OldStateValue), a.NewStateValue)
	if description != "" {
		text += " - " + description
	}
	m := Message{Text: clip(escape(text), maxText)}
	m.Blocks = append(m.Blocks, block{
		"type": "header",
		"text": block{"type": "plain_text", "text": clip(emoji+" "+a.NewStateValue+": "+title, maxHeader), "emoji": true},
	})
	if description != "" {
		m.Blocks = append(m.Blocks, section("*"+escape(description)+"*"))
	}

	changed := a.StateChangeTime
	if t, ok := a.ChangedAt(); ok {
		changed = t.Format("2006-01-02 15:04:05 UTC")
	}
	fields := []string{
		"*State change*\n" + escape(orDash(a.OldStateValue)+" → "+a.NewStateValue),
		"*Changed at*\n" + escape(changed),
		"*Threshold*\n" + escape(thresholdText(a.Trigger)),
		"*Observed*\n" + escape(observedText(a)),
	}
	start, end, hasWindow := a.Window()
	if hasWindow {
		fields = append(fields, "*Window*\n"+escape(windowText(start, end, a.Trigger)))
	}
	fields = append(fields,
		"*Metric*\n"+escape(metricText(a.Trigger)),
		"*Alarm*\n`"+escape(a.AlarmName)+"`",
		"*Account / Region*\n"+escape(orDash(a.AWSAccountID)+" / "+orDash(region)),
	)
	m.Blocks = append(m.Blocks, fieldsSection(fields))

	if isRule && rule.Pattern != "" {
		p := "*Pattern*\n```" + escape(rule.Pattern) + "```"
		if rule.Truncated {
			p += "\n_(cut short in the alarm description)_"
		}
		m.Blocks = append(m.Blocks, section(p))
	}
	if a.NewStateReason != "" {
		m.Blocks = append(m.Blocks, section("*Reason*\n"+escape(a.NewStateReason)))
	}

	var buttons []any
	var notes []string
	if isRule && hasWindow && region != "" {
		if f.LogGroup == "" || len(f.Fields) == 0 {
			notes = append(notes, "No CloudWatch Logs flow log in this stack, so no Logs Insights link.")
		} else {
			pattern := rule.Pattern
			if rule.Truncated {
				pattern = "" // a cut pattern cannot be translated; list the window's records
			}
			q := BuildInsightsQuery(f.Fields, pattern)
			u := InsightsURL(region, f.LogGroup, q.Text, start, end)
			if len(u) <= maxButtonURL {
				buttons = append(buttons, button("Matching flow-log records", u, "insights"))
				what := "Logs Insights lists source, destination, port and action of the records that match the pattern"
				if !q.Exact || rule.Truncated {
					what = "Logs Insights lists source, destination, port and action of the window's records (the pattern could not be translated in full, so it may list more than matched)"
				}
				notes = append(notes, fmt.Sprintf("%s in %s between %s and %s.", what, f.LogGroup,
					start.Format("15:04:05"), end.Format("15:04:05 UTC")))
			} else {
				notes = append(notes, "The Logs Insights link is too long for Slack; run the rule's pattern in Logs Insights by hand.")
			}
		}
	}
	if region != "" {
		buttons = append(buttons, button("Alarm in CloudWatch", AlarmURL(region, a.AlarmName), "alarm"))
	}
	if runbookURL != "" && len(runbookURL) <= maxButtonURL {
		buttons = append(buttons, button("Runbook", runbookURL, "runbook"))
	}
	if len(buttons) > 0 {
		m.Blocks = append(m.Blocks, block{"type": "actions", "elements": buttons})
	}
	if len(notes) > 0 {
		m.Blocks = append(m.Blocks, block{"type": "context", "elements": []any{
			block{"type": "mrkdwn", "text": clip(escape(strings.Join(notes, " ")), maxSectionText)},
		}})
	}
	return m
}

// Other renders a notification that is not a CloudWatch alarm.
func (f Formatter) Other(n events.SNSEntity) Message {
	subject := n.Subject
	if subject == "" {
		subject = "Notification"
	}
	body := n.Message
	if body == "" {
		body = "(empty message)"
	}
	m := Message{Text: clip(escape(subject), maxText)}
	m.Blocks = []block{
		{"type": "header", "text": block{"type": "plain_text", "text": clip(":bell: "+subject, maxHeader), "emoji": true}},
		section(clip(escape(body), maxSectionText)),
		{"type": "context", "elements": []any{block{"type": "mrkdwn", "text": clip(escape("From "+orDash(n.TopicArn)), maxSectionText)}}},
	}
	return m
}

func section(mrkdwn string) block {
	return block{"type": "section", "text": block{"type": "mrkdwn", "text": clip(mrkdwn, maxSectionText)}}
}

func fieldsSection(fields []string) block {
	out := make([]any, 0, len(fields))
	for _, f := range fields[:min(len(fields), 10)] { // Slack takes at most 10
		out = append(out, block{"type": "mrkdwn", "text": clip(f, maxFieldText)})
	}
	return block{"type": "section", "fields": out}
}

func button(text, url, id string) block {
	return block{"type": "button", "text": block{"type": "plain_text", "text": text}, "url": url, "action_id": id}
}

func thresholdText(t Trigger) string {
	stat := statisticName[t.Statistic]
	if stat == "" {
		stat = t.Statistic
	}
	if stat == "" {
		stat = t.ExtendedStatistic
	}
	op := comparisonSymbol[t.ComparisonOperator]
	if op == "" {
		op = t.ComparisonOperator
	}
	s := strings.TrimSpace(fmt.Sprintf("%s %s %s", stat, op, number(t.Threshold)))
	if t.Period > 0 {
		s += fmt.Sprintf(" per %s", seconds(t.Period))
	}
	n := max(t.EvaluationPeriods, 1)
	dp := t.DatapointsToAlarm
	if dp <= 0 {
		dp = n
	}
	if n > 1 || dp != n {
		s += fmt.Sprintf(", %d of %d periods", dp, n)
	}
	return s
}

func observedText(a Alarm) string {
	if o := a.Observed(); o != "" {
		return o
	}
	return "no datapoints in the reason"
}

func windowText(start, end time.Time, t Trigger) string {
	layout := "15:04:05"
	if start.YearDay() != end.YearDay() || start.Year() != end.Year() {
		layout = "2006-01-02 15:04:05"
	}
	return fmt.Sprintf("%s – %s UTC (%d × %s)", start.Format(layout), end.Format("15:04:05"), max(t.EvaluationPeriods, 1), seconds(t.Period))
}

func metricText(t Trigger) string {
	s := strings.TrimPrefix(t.Namespace+" "+t.MetricName, " ")
	if s == "" {
		return "-"
	}
	var dims []string
	for _, d := range t.Dimensions {
		dims = append(dims, d.Name+"="+d.Value)
	}
	if len(dims) > 0 {
		s += " (" + strings.Join(dims, ", ") + ")"
	}
	return s
}

func seconds(n int) string {
	switch {
	case n > 0 && n%3600 == 0:
		return fmt.Sprintf("%d h", n/3600)
	case n > 0 && n%60 == 0:
		return fmt.Sprintf("%d min", n/60)
	}
	return fmt.Sprintf("%d s", n)
}

func number(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// escape makes text safe for Slack mrkdwn: &, < and > are control
// characters there (links, mentions).
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// clip shortens s to at most n runes, ending in "…" when cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
