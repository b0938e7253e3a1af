package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testLogGroup is the flow-log log group the golden messages link to.
const testLogGroup = "flowlogs-cw-logs-1a2b3c4"

func testFormatter() Formatter {
	return Formatter{LogGroup: testLogGroup, Fields: flowlog.V2Fields(), Region: "us-east-1"}
}

func readEvent(t *testing.T, path string) events.SNSEvent {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(ev.Records) != 1 {
		t.Fatalf("%s: %d records", path, len(ev.Records))
	}
	return ev
}

// TestGoldenMessages renders each SNS payload in testdata/*.sns.json (the
// JSON CloudWatch publishes, in the event SNS hands Lambda) and compares the
// Slack message with testdata/*.slack.json. Run with -update to rewrite
// the golden files after a deliberate change, and review the diff.
func TestGoldenMessages(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.sns.json"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".sns.json")
		t.Run(name, func(t *testing.T) {
			ev := readEvent(t, in)
			got, err := testFormatter().Format(ev.Records[0].SNS).Encode("  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".slack.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGoldenMessages -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("message differs from %s (run with -update and review the diff):\n%s", golden, got)
			}
			checkSlackLimits(t, got)
		})
	}
}

// checkSlackLimits checks a payload against Block Kit's documented limits.
func checkSlackLimits(t *testing.T, payload []byte) {
	t.Helper()
	var m struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	if m.Text == "" || len(m.Blocks) == 0 || len(m.Blocks) > 50 {
		t.Errorf("text %q, %d blocks", m.Text, len(m.Blocks))
	}
	for _, b := range m.Blocks {
		switch b["type"] {
		case "header":
			if n := len([]rune(b["text"].(map[string]any)["text"].(string))); n > maxHeader {
				t.Errorf("header of %d characters", n)
			}
		case "section":
			if f, ok := b["fields"].([]any); ok && len(f) > 10 {
				t.Errorf("section with %d fields", len(f))
			}
		case "actions":
			for _, e := range b["elements"].([]any) {
				if u := e.(map[string]any)["url"].(string); len(u) > maxButtonURL || !strings.HasPrefix(u, "https://") {
					t.Errorf("button URL %q", u)
				}
			}
		}
	}
}

// The rule alarm message carries what the issue asks for.
func TestRuleAlarmMessageContent(t *testing.T) {
	ev := readEvent(t, filepath.Join("testdata", "ssh-reject-alarm.sns.json"))
	m := testFormatter().Format(ev.Records[0].SNS)
	b, _ := m.Encode("")
	all := string(b)
	for _, want := range []string{
		"ALARM: ssh-reject-from-host",                          // rule name
		"OK → ALARM",                                           // state change
		"Sum &gt;= 1 per 1 min",                                // threshold (> escaped for mrkdwn)
		"3.0 (01/05/24 10:14:00)",                              // observed
		"10:14:32 – 10:15:32 UTC (1 × 1 min)",                  // window
		`srcaddr=\"10.0.0.155\", dstaddr, srcport, dstport=22`, // the pattern
		"SSH (22/TCP) REJECTed from 10.0.0.155",                // description
	} {
		if !strings.Contains(all, want) {
			t.Errorf("message lacks %q:\n%s", want, all)
		}
	}
	link := insightsLink(t, m)
	detail := decodeQueryDetail(t, link)
	for _, want := range []string{
		"end~'2024-05-01T10:15:32.123Z", "start~'2024-05-01T10:14:32.123Z", "timeType~'ABSOLUTE", "tz~'UTC",
		"source~(~'" + testLogGroup + ")",
		`parse @message "* * * * * * * * * * * * * *" as version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status`,
		`| filter srcaddr = "10.0.0.155" and dstport = 22 and protocol = 6 and action = "REJECT"`,
		"| display @timestamp, srcaddr, dstaddr, dstport, protocol, action",
	} {
		if !strings.Contains(detail, want) {
			t.Errorf("Logs Insights link lacks %q:\n%s", want, detail)
		}
	}
	if !strings.HasPrefix(link, "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:logs-insights$3FqueryDetail$3D~(") {
		t.Errorf("link %s", link)
	}
}

// insightsLink returns the URL of the Logs Insights button.
func insightsLink(t *testing.T, m Message) string {
	t.Helper()
	for _, b := range m.Blocks {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			if el := e.(block); el["action_id"] == "insights" {
				return el["url"].(string)
			}
		}
	}
	t.Fatal("no Logs Insights button")
	return ""
}

// decodeQueryDetail undoes the JSURL escaping of the link's fragment, so
// the test reads the query as the console will.
func decodeQueryDetail(t *testing.T, link string) string {
	t.Helper()
	_, frag, ok := strings.Cut(link, "#logsV2:logs-insights$3FqueryDetail$3D")
	if !ok {
		t.Fatalf("no queryDetail in %s", link)
	}
	var b strings.Builder
	for i := 0; i < len(frag); i++ {
		switch {
		case strings.HasPrefix(frag[i:], "**") && i+6 <= len(frag):
			var r rune
			for _, c := range frag[i+2 : i+6] {
				r = r*16 + hexVal(t, c)
			}
			b.WriteRune(r)
			i += 5
		case frag[i] == '*' && i+3 <= len(frag):
			b.WriteByte(byte(hexVal(t, rune(frag[i+1]))*16 + hexVal(t, rune(frag[i+2]))))
			i += 2
		case frag[i] == '!':
			b.WriteByte('$')
		default:
			b.WriteByte(frag[i])
		}
	}
	return b.String()
}

func hexVal(t *testing.T, c rune) rune {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	t.Fatalf("bad hex digit %q", c)
	return 0
}

func TestOperationalAlarmHasNoInsightsLink(t *testing.T) {
	ev := readEvent(t, filepath.Join("testdata", "forwarder-errors-alarm.sns.json"))
	m := testFormatter().Format(ev.Records[0].SNS)
	for _, b := range m.Blocks {
		if b["type"] == "actions" {
			for _, e := range b["elements"].([]any) {
				if e.(block)["action_id"] == "insights" {
					t.Error("an operational alarm (no flow-log rule) links to flow-log records")
				}
			}
		}
	}
	js, _ := json.Marshal(m)
	if !strings.Contains(string(js), "AWS/Lambda Errors (FunctionName=firehose-forwarder-7a1b2c3)") {
		t.Errorf("metric and dimensions missing: %s", js)
	}
}

func TestNoLogGroupNoLink(t *testing.T) {
	ev := readEvent(t, filepath.Join("testdata", "ssh-reject-alarm.sns.json"))
	f := testFormatter()
	f.LogGroup = ""
	js, _ := json.Marshal(f.Format(ev.Records[0].SNS))
	if strings.Contains(string(js), "logs-insights") || !strings.Contains(string(js), "no Logs Insights link") {
		t.Errorf("without a log group: %s", js)
	}
}

func TestParseRule(t *testing.T) {
	for _, tc := range []struct {
		desc string
		want Rule
		ok   bool
	}{
		{"SSH from host (rule ssh: Sum of matching flow-log records over 60s, 1 period(s), threshold 1; pattern [a, b=2])",
			Rule{Name: "ssh", Description: "SSH from host", Pattern: "[a, b=2]"}, true},
		{"(rule r-1: Sum over 60s; pattern [a, b=\"(x)\"])", Rule{Name: "r-1", Pattern: `[a, b="(x)"]`}, true},
		{"Long (rule long: Sum of matching flow-log records over 60s, 1 period(s), threshold 1; pattern [version, account_id, inter...",
			Rule{Name: "long", Description: "Long", Pattern: "[version, account_id, inter", Truncated: true}, true},
		{"Invocations of firehose-forwarder failed; they are retried and then dead-lettered", Rule{}, false},
		{"", Rule{}, false},
		// The descriptions the program writes now end with the runbook link.
		{"SSH from host (rule ssh: Sum of matching flow-log records over 60s, 1 period(s), threshold 1; pattern [a, b=2]) Runbook: " + runbook.Link(runbook.RuleAlarm),
			Rule{Name: "ssh", Description: "SSH from host", Pattern: "[a, b=2]"}, true},
		{runbook.Description("Invocations of firehose-forwarder failed", runbook.ForwarderErrors), Rule{}, false},
	} {
		got, ok := ParseRule(tc.desc)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseRule(%q) = %+v, %v; want %+v, %v", tc.desc, got, ok, tc.want, tc.ok)
		}
	}
}

// A pattern too long for the 1024 characters is cut before the runbook
// link; the rule still parses, its pattern marked as cut.
func TestParseRuleOfACutDescription(t *testing.T) {
	pattern := "[" + strings.Repeat("f, ", 400) + "g]"
	d := runbook.Description("Long (rule long: Sum of matching flow-log records over 60s, 1 period(s), threshold 1; pattern "+pattern+")", runbook.RuleAlarm)
	r, ok := ParseRule(d)
	if !ok || r.Name != "long" || r.Description != "Long" || !r.Truncated {
		t.Fatalf("ParseRule(%q) = %+v, %v", d, r, ok)
	}
	if len(r.Pattern) < 800 || !strings.HasPrefix(pattern, r.Pattern) || strings.Contains(r.Pattern, "Runbook") {
		t.Errorf("pattern %q is not the cut pattern", r.Pattern)
	}
}

func TestTruncatedPatternListsTheWindow(t *testing.T) {
	a := Alarm{
		AlarmName: "alarms-long-alarm-1", NewStateValue: "ALARM", OldStateValue: "OK",
		AlarmDescription: "Long (rule long: Sum of matching flow-log records over 60s, 1 period(s), threshold 1; pattern [version, account_id, srcaddr=\"10...",
		StateChangeTime:  "2024-05-01T10:15:32.123+0000", AlarmArn: "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:alarms-long-alarm-1",
		Trigger: Trigger{Period: 60, EvaluationPeriods: 1, Statistic: "SUM", ComparisonOperator: "GreaterThanOrEqualToThreshold", Threshold: 1},
	}
	m := testFormatter().Alarm(a)
	detail := decodeQueryDetail(t, insightsLink(t, m))
	if strings.Contains(detail, "| filter") {
		t.Errorf("a cut pattern must not be half translated: %s", detail)
	}
	if !strings.Contains(insightsLink(t, m), "https://eu-west-1.console.aws.amazon.com/") {
		t.Error("the link is not in the alarm's Region")
	}
	js, _ := json.Marshal(m)
	if !strings.Contains(string(js), "cut short") || !strings.Contains(string(js), "may list more than matched") {
		t.Errorf("the cut is not explained: %s", js)
	}
}

func TestAlarmTimes(t *testing.T) {
	a := Alarm{StateChangeTime: "2024-05-02T00:05:41.310+0000", Trigger: Trigger{Period: 300, EvaluationPeriods: 3}}
	start, end, ok := a.Window()
	if !ok || !end.Equal(time.Date(2024, 5, 2, 0, 5, 41, 310e6, time.UTC)) || end.Sub(start) != 15*time.Minute {
		t.Errorf("window %v - %v, %v", start, end, ok)
	}
	for _, s := range []string{"2024-05-02T00:05:41.310Z", "2024-05-02T02:05:41.310+0200"} {
		if got, ok := (Alarm{StateChangeTime: s}).ChangedAt(); !ok || !got.Equal(end) {
			t.Errorf("ChangedAt(%s) = %v, %v", s, got, ok)
		}
	}
	if _, _, ok := (Alarm{StateChangeTime: "yesterday", Trigger: Trigger{Period: 60}}).Window(); ok {
		t.Error("unreadable time gives a window")
	}
	// A metric-math alarm's trigger has no period (0): no window either.
	if _, _, ok := (Alarm{StateChangeTime: "2024-05-02T00:05:41.310+0000", Trigger: Trigger{EvaluationPeriods: 3}}).Window(); ok {
		t.Error("an alarm without a period gives a window")
	}
}

func TestAlarmConsoleLinks(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":     "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#alarmsV2:alarm/a%20b",
		"cn-north-1":    "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/a%20b",
		"us-gov-west-1": "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#alarmsV2:alarm/a%20b",
	} {
		if got := AlarmURL(region, "a b"); got != want {
			t.Errorf("AlarmURL(%s) = %s", region, got)
		}
	}
	if _, err := url.Parse(AlarmURL("us-east-1", "x")); err != nil {
		t.Error(err)
	}
}

func TestSecondsText(t *testing.T) {
	for n, want := range map[int]string{0: "0 s", 45: "45 s", 60: "1 min", 300: "5 min", 5400: "90 min", 3600: "1 h", 7200: "2 h", 86400: "24 h"} {
		if got := seconds(n); got != want {
			t.Errorf("seconds(%d) = %q, want %q", n, got, want)
		}
	}
}

// clip keeps a text of exactly n runes, and cuts a longer one to n runes
// ending in "…".
func TestClip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"}, {"abcd", 3, "ab…"}, {"ééé", 3, "ééé"}, {"éééé", 3, "éé…"},
	} {
		if got := clip(tc.s, tc.n); got != tc.want {
			t.Errorf("clip(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}

// A metric-math alarm has no period (0) and, like most alarms, no
// DatapointsToAlarm (0): neither shows in the threshold.
func TestThresholdText(t *testing.T) {
	for _, tc := range []struct {
		trigger Trigger
		want    string
	}{
		{Trigger{Statistic: "SUM", ComparisonOperator: "GreaterThanThreshold", Threshold: 5, EvaluationPeriods: 1}, "Sum > 5"},
		{Trigger{Statistic: "SUM", ComparisonOperator: "GreaterThanThreshold", Threshold: 5, Period: 60, EvaluationPeriods: 3}, "Sum > 5 per 1 min, 3 of 3 periods"},
		{Trigger{Statistic: "SUM", ComparisonOperator: "GreaterThanThreshold", Threshold: 5, Period: 60, EvaluationPeriods: 3, DatapointsToAlarm: 2}, "Sum > 5 per 1 min, 2 of 3 periods"},
	} {
		if got := thresholdText(tc.trigger); got != tc.want {
			t.Errorf("thresholdText(%+v) = %q, want %q", tc.trigger, got, tc.want)
		}
	}
}

// blockTypes lists the types of a message's blocks.
func blockTypes(m Message) []string {
	var out []string
	for _, b := range m.Blocks {
		out = append(out, b["type"].(string))
	}
	return out
}

// buttonURL returns the URL of the button with the action id, "" if none.
func buttonURL(m Message, id string) string {
	for _, b := range m.Blocks {
		if b["type"] != "actions" {
			continue
		}
		for _, e := range b["elements"].([]any) {
			if btn := e.(block); btn["action_id"] == id {
				return btn["url"].(string)
			}
		}
	}
	return ""
}

// An alarm without a Region (none in its ARN, no AWS_REGION) and without a
// runbook link gets no button, so no actions block: Slack refuses an
// actions block without elements.
func TestNoButtonsNoActionsBlock(t *testing.T) {
	m := Formatter{}.Alarm(Alarm{AlarmName: "x", NewStateValue: "ALARM", OldStateValue: "OK"})
	if slices.Contains(blockTypes(m), "actions") {
		t.Errorf("blocks %v hold an actions block without buttons", blockTypes(m))
	}
}

// Links of up to maxButtonURL characters become buttons; a longer one is
// left out (the Logs Insights link with a note saying so).
func TestButtonURLLimit(t *testing.T) {
	ev := readEvent(t, filepath.Join("testdata", "ssh-reject-alarm.sns.json"))
	format := func(logGroup string) Message {
		f := testFormatter()
		f.LogGroup = logGroup
		return f.Format(ev.Records[0].SNS)
	}
	// Each letter of the log group name adds one character to the link.
	fixed := len(buttonURL(format("g"), "insights")) - 1
	if fixed <= 0 {
		t.Fatal("no Logs Insights button")
	}
	longest := strings.Repeat("g", maxButtonURL-fixed)
	if u := buttonURL(format(longest), "insights"); len(u) != maxButtonURL {
		t.Errorf("a link of %d characters: button URL of %d", maxButtonURL, len(u))
	}
	m := format(longest + "g")
	if u := buttonURL(m, "insights"); u != "" {
		t.Errorf("a link of %d characters became a button", len(u))
	}
	if b, _ := m.Encode(""); !strings.Contains(string(b), "too long for Slack") {
		t.Errorf("no note about the left-out link:\n%s", b)
	}

	anchor := maxButtonURL - len(runbook.Base) - 1
	for _, tc := range []struct {
		anchor int
		button bool
	}{{anchor, true}, {anchor + 1, false}} {
		link := runbook.Base + "#" + strings.Repeat("a", tc.anchor)
		m := Formatter{Region: "us-east-1"}.Alarm(Alarm{AlarmName: "x", NewStateValue: "ALARM", AlarmDescription: "Something broke. " + link})
		if got := buttonURL(m, "runbook"); (got == link) != tc.button {
			t.Errorf("runbook link of %d characters: button %q", len(link), got)
		}
	}
}
