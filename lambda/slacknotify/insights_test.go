package main

import (
	"strings"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

func v2Columns() []string {
	var out []string
	for _, f := range flowlog.V2Fields() {
		out = append(out, f.Column())
	}
	return out
}

func TestTranslatePattern(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    string
		exact   bool
	}{
		{`[version, account_id, interface_id, srcaddr="10.0.0.155", dstaddr, srcport, dstport=22, protocol=6, packets, bytes, start, end, action="REJECT", log_status]`,
			`srcaddr = "10.0.0.155" and dstport = 22 and protocol = 6 and action = "REJECT"`, true},
		{`[version, account_id, interface_id, srcaddr=10.0.*, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]`,
			`srcaddr like /^10\.0\./`, true},
		{`[v, a, i, s="*.155", d, sp, dp!=22, p, pk, b, st, e, act!="ACCEPT", ls]`,
			`srcaddr like /\.155$/ and dstport != 22 and action != "ACCEPT"`, true},
		{`[version, account_id, ..., action="REJECT", log_status]`, `action = "REJECT"`, true},
		{`[version=2, ...]`, `version = 2`, true},
		{`[..., dstport>=1024 && dstport<=2048, protocol, packets, bytes, start, end, action, log_status]`,
			`dstport >= 1024 and dstport <= 2048`, true},
		{`[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport=22 || dstport=3389, protocol, packets, bytes, start, end, action, log_status]`,
			`(dstport = 22 or dstport = 3389)`, true},
		{`[version, account_id, interface_id, srcaddr=%^10\.0\.[0-9]+\.1$%, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]`,
			`srcaddr like /^10\.0\.[0-9]+\.1$/`, true},
		// Parentheses are not translated: the rest still filters.
		{`[version, account_id, interface_id, srcaddr, dstaddr, srcport, (dstport=22 || dstport=23) && dstport!=0, protocol=6, packets, bytes, start, end, action, log_status]`,
			`protocol = 6`, false},
		// Slots that cannot be aligned with the format: no filter.
		{`[version, srcaddr="10.0.0.1"]`, ``, false},
		{`[..., srcaddr, ..., action="REJECT"]`, ``, false},
		{`ERROR -WARN`, ``, false},
		// "..." matches zero fields or more: every field after it, or before it.
		{`[..., version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action="REJECT", log_status]`,
			`action = "REJECT"`, true},
		{`[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action="REJECT", log_status, ...]`,
			`action = "REJECT"`, true},
		// More slots after "..." than the format has fields: no filter.
		{`[..., x, version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action="REJECT", log_status]`,
			``, false},
		// Negated regular expressions and unquoted strings.
		{`[..., srcaddr!=%^10\.%, dstaddr!=10.0.0.1, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]`,
			`srcaddr not like /^10\./ and dstaddr != "10.0.0.1"`, true},
		// %% is no regular expression (an empty one), and no value either.
		{`[..., action=%%, log_status]`, ``, false},
		// Parentheses, commas and escaped quotes inside a quoted value or a
		// regular expression are part of the value.
		{`[..., srcaddr=%^10\.(0|1)\.%, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action="(REJECT)", log_status]`,
			`srcaddr like /^10\.(0|1)\./ and action = "(REJECT)"`, true},
		{`[..., action="x\",(y", log_status]`, `action = "x\",(y"`, true},
		// A parenthesis outside quotes and regular expressions: not translated.
		{`[..., action=(REJECT), log_status]`, ``, false},
		{`[..., action="REJECT" && action=(x), log_status]`, ``, false},
		// "*" alone matches every value.
		{`[..., srcaddr="*", dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]`, `srcaddr like /$/`, true},
		{``, ``, true},
	} {
		got, exact := translatePattern(v2Columns(), tc.pattern)
		if got != tc.want || exact != tc.exact {
			t.Errorf("translatePattern(%s)\n got %q, %v\nwant %q, %v", tc.pattern, got, exact, tc.want, tc.exact)
		}
	}
	// "..." alone stands for every field, of a format of one field too.
	if got, exact := translatePattern([]string{"srcaddr"}, "[...]"); got != "" || !exact {
		t.Errorf("translatePattern([...]) over one column = %q, %v; want no filter, exact", got, exact)
	}
}

// Every pattern the stack renders from a structured match translates in
// full, with the default (v2-v5) fields too.
func TestRenderedPatternsTranslateInFull(t *testing.T) {
	port, proto := 22, 6
	for _, m := range []stackconfig.Match{
		{SrcAddr: "10.0.0.155", DstPort: &port, Protocol: &proto, Action: "REJECT"},
		{SrcAddr: "10.1.0.0/16", DstAddr: "192.168.7.0/24"},
		{DstAddr: "2001:db8::1", Action: "ACCEPT"},
	} {
		for _, fields := range [][]flowlog.Field{flowlog.V2Fields(), flowlog.DefaultFields()} {
			p, err := flowlog.FilterPattern(fields, m.Conditions())
			if err != nil {
				t.Fatal(err)
			}
			q := BuildInsightsQuery(fields, p)
			if !q.Exact || !strings.Contains(q.Text, "| filter ") {
				t.Errorf("%s did not translate in full:\n%s", p, q.Text)
			}
			if n := strings.Count(q.Text, "*"); n != len(fields) {
				t.Errorf("parse has %d globs for %d fields", n, len(fields))
			}
		}
	}
}

func TestBuildInsightsQueryShowsOnlyRecordedFields(t *testing.T) {
	fields, err := flowlog.FieldsByName([]string{"version", "srcaddr", "dstaddr", "action", "log-status"})
	if err != nil {
		t.Fatal(err)
	}
	q := BuildInsightsQuery(fields, "")
	want := "parse @message \"* * * * *\" as version, srcaddr, dstaddr, action, log_status\n" +
		"| display @timestamp, srcaddr, dstaddr, action\n| sort @timestamp desc\n| limit 1000"
	if q.Text != want || !q.Exact {
		t.Errorf("query\n%s\nwant\n%s", q.Text, want)
	}
}

func TestInsightsURLEscaping(t *testing.T) {
	start := time.Date(2024, 5, 1, 10, 14, 32, 0, time.UTC)
	u := InsightsURL("eu-west-1", "/vpc/flow-logs", "fields @message\n| filter x = \"a$b\" ü", start, start.Add(time.Minute))
	want := "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D" +
		"~(end~'2024-05-01T10*3a15*3a32.000Z~start~'2024-05-01T10*3a14*3a32.000Z~timeType~'ABSOLUTE~tz~'UTC" +
		"~editorString~'fields*20*40message*0a*7c*20filter*20x*20*3d*20*22a!b*22*20*fc" +
		"~source~(~'*2fvpc*2fflow-logs))"
	if u != want {
		t.Errorf("InsightsURL\n got %s\nwant %s", u, want)
	}
	for in, want := range map[string]string{
		"日":            "**65e5",
		"azAZ09-._":    "azAZ09-._",    // the edges of the kept ranges
		"\u00ff\u0100": "*ff**0100",    // the last one-byte escape, the first UTF-16 unit
		"\U00010000":   "**d800**dc00", // the first character beyond the BMP: a surrogate pair
		"😀":            "**d83d**de00",
	} {
		if got := jsurlEscape(in); got != want {
			t.Errorf("jsurlEscape(%q) = %s, want %s", in, got, want)
		}
	}
	// No character the URL fragment would need to percent-encode.
	for _, c := range u {
		if c == ' ' || c == '"' || c == '<' || c == '>' || c == '`' || c == '#' && !strings.Contains(u, "#logsV2") {
			t.Errorf("unescaped %q in %s", c, u)
		}
	}
}
