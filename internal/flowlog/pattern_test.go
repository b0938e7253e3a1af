package flowlog_test

import (
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/filterpattern"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// v2Pattern is the condition-free pattern of the default format; rows below
// spell out only the slots their conditions change.
func v2Pattern(slots map[string]string) string {
	out := make([]string, 0, 14)
	for _, f := range flowlog.V2Fields() {
		if s, ok := slots[f.Column()]; ok {
			out = append(out, s)
		} else {
			out = append(out, f.Column())
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func TestFilterPatternRendersConditions(t *testing.T) {
	v2 := flowlog.V2Fields()
	tests := []struct {
		name    string
		fields  []flowlog.Field
		conds   []flowlog.Condition
		want    string
		matches []string // records the pattern must match
		misses  []string // records it must not match
	}{
		{
			name:   "no conditions names every column",
			fields: v2,
			want:   "[version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, log_status]",
			// A condition-free pattern still requires the field count.
			matches: []string{exAccept, exReject, exNoData, exIPv6},
			misses:  []string{"2 123456789010 eni-1 ACCEPT OK"},
		},
		{
			name:   "numbers unquoted, strings quoted",
			fields: v2,
			conds: []flowlog.Condition{
				{Field: "srcaddr", Op: flowlog.OpEq, Value: "172.31.9.69"},
				{Field: "dstport", Op: flowlog.OpEq, Value: "3389"},
				{Field: "protocol", Op: flowlog.OpEq, Value: "6"},
				{Field: "action", Op: flowlog.OpEq, Value: "REJECT"},
			},
			want:    v2Pattern(map[string]string{"srcaddr": `srcaddr="172.31.9.69"`, "dstport": "dstport=3389", "protocol": "protocol=6", "action": `action="REJECT"`}),
			matches: []string{exReject},
			misses:  []string{exAccept, exNoData, exSkipData, strings.Replace(exReject, "REJECT", "ACCEPT", 1)},
		},
		{
			name:   "conditions render in format order, not list order",
			fields: v2,
			conds: []flowlog.Condition{
				{Field: "action", Op: flowlog.OpEq, Value: "ACCEPT"},
				{Field: "dstport", Op: flowlog.OpEq, Value: "22"},
			},
			want:    v2Pattern(map[string]string{"dstport": "dstport=22", "action": `action="ACCEPT"`}),
			matches: []string{exAccept, exIPv6},
			misses:  []string{exReject},
		},
		{
			name:    "string field holding digits is compared as a string",
			fields:  v2,
			conds:   []flowlog.Condition{{Field: "account-id", Op: flowlog.OpEq, Value: "123456789010"}},
			want:    v2Pattern(map[string]string{"account_id": `account_id="123456789010"`}),
			matches: []string{exAccept, exNoData},
			misses:  []string{strings.Replace(exAccept, "123456789010", "000123456789010", 1)},
		},
		{
			name:    "prefix wildcard is unquoted",
			fields:  v2,
			conds:   []flowlog.Condition{{Field: "srcaddr", Op: flowlog.OpEq, Value: "172.31.16.*"}},
			want:    v2Pattern(map[string]string{"srcaddr": "srcaddr=172.31.16.*"}),
			matches: []string{exAccept},
			misses:  []string{exReject, exNoData, exIPv6},
		},
		{
			name:   "two conditions on one field are joined with &&",
			fields: v2,
			conds: []flowlog.Condition{
				{Field: "dstport", Op: flowlog.OpGe, Value: "1024"},
				{Field: "dstport", Op: flowlog.OpLt, Value: "4000"},
			},
			want:    v2Pattern(map[string]string{"dstport": "dstport>=1024 && dstport<4000"}),
			matches: []string{exReject},
			misses:  []string{exAccept, exNoData},
		},
		{
			name:   "not-equal and relational operators",
			fields: v2,
			conds: []flowlog.Condition{
				{Field: "action", Op: flowlog.OpNe, Value: "ACCEPT"},
				{Field: "bytes", Op: flowlog.OpGt, Value: "1000"},
				{Field: "packets", Op: flowlog.OpLe, Value: "20"},
			},
			want:    v2Pattern(map[string]string{"packets": "packets<=20", "bytes": "bytes>1000", "action": `action!="ACCEPT"`}),
			matches: []string{exReject},
			// NODATA has action "-" (!= ACCEPT) but no bytes: numeric conditions never match "-".
			misses: []string{exAccept, exNoData},
		},
		{
			name:    "negative number",
			fields:  v2,
			conds:   []flowlog.Condition{{Field: "srcport", Op: flowlog.OpGt, Value: "-1"}},
			want:    v2Pattern(map[string]string{"srcport": "srcport>-1"}),
			matches: []string{exAccept},
			misses:  []string{exNoData},
		},
		{
			name:   "custom format positions follow the format",
			fields: mustFields(t, customNames),
			conds: []flowlog.Condition{
				{Field: "dstport", Op: flowlog.OpEq, Value: "22"},
				{Field: "flow-direction", Op: flowlog.OpEq, Value: "ingress"},
			},
			want:    `[srcaddr, dstaddr, dstport=22, action, pkt_srcaddr, flow_direction="ingress", log_status]`,
			matches: []string{"10.0.0.155 10.0.1.20 22 REJECT 10.0.0.155 ingress OK"},
			misses:  []string{"10.0.0.155 10.0.1.20 22 REJECT 10.0.0.155 egress OK", "10.0.0.155 10.0.1.20 80 REJECT 10.0.0.155 ingress OK"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := flowlog.FilterPattern(tt.fields, tt.conds)
			if err != nil {
				t.Fatalf("FilterPattern: %v", err)
			}
			if got != tt.want {
				t.Errorf("FilterPattern =\n%s\nwant\n%s", got, tt.want)
			}
			p, err := filterpattern.Parse(got)
			if err != nil {
				t.Fatalf("rendered pattern does not parse: %v", err)
			}
			for _, line := range tt.matches {
				if !p.Match(line) {
					t.Errorf("%s does not match %q", got, line)
				}
			}
			for _, line := range tt.misses {
				if p.Match(line) {
					t.Errorf("%s matches %q", got, line)
				}
			}
		})
	}
}

func TestFilterPatternErrors(t *testing.T) {
	v2 := flowlog.V2Fields()
	tests := []struct {
		name    string
		cond    flowlog.Condition
		wantMsg []string
	}{
		{"field not in the format", flowlog.Condition{Field: "tcp-flags", Op: flowlog.OpEq, Value: "2"}, []string{`"tcp-flags"`, "not in the flow log format"}},
		{"field not in the catalog", flowlog.Condition{Field: "port", Op: flowlog.OpEq, Value: "22"}, []string{`"port"`, "unknown flow log field"}},
		{"column spelling is not a field name", flowlog.Condition{Field: "log_status", Op: flowlog.OpEq, Value: "OK"}, []string{`"log_status"`}},
		{"less-than on a string field", flowlog.Condition{Field: "action", Op: flowlog.OpLt, Value: "REJECT"}, []string{`"action"`, "non-numeric"}},
		{"greater-than on an address", flowlog.Condition{Field: "srcaddr", Op: flowlog.OpGt, Value: "10.0.0.1"}, []string{`"srcaddr"`, "non-numeric"}},
		{"unknown operator", flowlog.Condition{Field: "dstport", Op: "=~", Value: "22"}, []string{`"=~"`, "dstport"}},
		{"empty operator", flowlog.Condition{Field: "dstport", Op: "", Value: "22"}, []string{"dstport"}},
		{"word for a number", flowlog.Condition{Field: "dstport", Op: flowlog.OpEq, Value: "ssh"}, []string{`"dstport"`, `"ssh"`, "not an integer"}},
		{"decimal for a number", flowlog.Condition{Field: "bytes", Op: flowlog.OpGt, Value: "1.5"}, []string{`"bytes"`, "not an integer"}},
		{"wildcard on a number", flowlog.Condition{Field: "dstport", Op: flowlog.OpEq, Value: "80*"}, []string{`"dstport"`, "not an integer"}},
		{"missing marker on a number", flowlog.Condition{Field: "bytes", Op: flowlog.OpEq, Value: "-"}, []string{`"bytes"`}},
		{"empty number", flowlog.Condition{Field: "dstport", Op: flowlog.OpEq, Value: ""}, []string{`"dstport"`}},
		{"empty string", flowlog.Condition{Field: "action", Op: flowlog.OpEq, Value: ""}, []string{`"action"`}},
		{"quote in value", flowlog.Condition{Field: "action", Op: flowlog.OpEq, Value: `RE"JECT`}, []string{`"action"`}},
		{"space in value", flowlog.Condition{Field: "action", Op: flowlog.OpEq, Value: "RE JECT"}, []string{`"action"`}},
		{"comma in value", flowlog.Condition{Field: "interface-id", Op: flowlog.OpEq, Value: "eni-1,eni-2"}, []string{`"interface-id"`}},
		{"bracket in value", flowlog.Condition{Field: "interface-id", Op: flowlog.OpEq, Value: "eni-[1]"}, []string{`"interface-id"`}},
		{"trailing backslash escapes the closing quote", flowlog.Condition{Field: "interface-id", Op: flowlog.OpEq, Value: `eni-1\`}, []string{`"interface-id"`}},
		{"operator characters in an unquoted wildcard", flowlog.Condition{Field: "interface-id", Op: flowlog.OpEq, Value: "eni-1&&x*"}, []string{`"interface-id"`}},
		{"regex marker in an unquoted wildcard", flowlog.Condition{Field: "interface-id", Op: flowlog.OpEq, Value: "%eni%*"}, []string{`"interface-id"`}},
		{"comparison in an unquoted wildcard", flowlog.Condition{Field: "interface-id", Op: flowlog.OpEq, Value: "a=b*"}, []string{`"interface-id"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := flowlog.FilterPattern(v2, []flowlog.Condition{tt.cond})
			if err == nil {
				t.Fatalf("FilterPattern(%+v) = %s, want an error", tt.cond, got)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
		})
	}
}

// Whatever FilterPattern accepts must be a pattern CloudWatch Logs parses,
// and a plain (non-wildcard) string condition must match exactly that value.
func TestFilterPatternAcceptedValuesRoundTrip(t *testing.T) {
	fields := mustFields(t, []string{"interface-id", "action"})
	values := []string{
		"eni-1235b8ca123456789", "REJECT", "-", "a&b", "a|b", "(x)", "x=y", "!x", "<x>", "50%", "a\\b", "a\\", `\"`,
		"*", "eni-*", "eni-1&&x*", "%x%*", "(a*", "a\\*", "é*", "é",
	}
	for _, v := range values {
		pat, err := flowlog.FilterPattern(fields, []flowlog.Condition{{Field: "interface-id", Op: flowlog.OpEq, Value: v}})
		if err != nil {
			continue // rejecting is fine; producing a broken pattern is not
		}
		p, err := filterpattern.Parse(pat)
		if err != nil {
			t.Errorf("value %q renders %s, which is not a valid filter pattern: %v", v, pat, err)
			continue
		}
		if strings.HasSuffix(v, "*") {
			prefix := strings.TrimSuffix(v, "*")
			if !p.Match(prefix+"suffix ACCEPT") || (prefix != "" && p.Match("zz"+prefix+" ACCEPT")) {
				t.Errorf("value %q renders %s, which is not a prefix match", v, pat)
			}
			continue
		}
		if !p.Match(v+" ACCEPT") || p.Match(v+"x ACCEPT") {
			t.Errorf("value %q renders %s, which does not match exactly %q", v, pat, v)
		}
	}
}
