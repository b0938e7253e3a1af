package flowlog_test

import (
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// Flow log records from the "Flow log record examples" page of the VPC user
// guide, default (version 2) format.
const (
	exAccept   = "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	exReject   = "2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK"
	exNoData   = "2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA"
	exSkipData = "2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA"
	exIPv6     = "2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102:3304:8879:34cf:4071 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK"
)

// AWS's custom-format example for traffic to and from an AWS service
// (version 5 fields, in an order that is not the catalog's).
const (
	exV5Format  = "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${type} ${packets} ${bytes} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${action} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${traffic-path} ${flow-direction} ${log-status}"
	exV5Ingress = "5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK"
	exV5Egress  = "5 10.0.0.71 52.95.128.179 34210 80 6 1616729292 1616729349 IPv4 7 471 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 3 10.0.0.71 52.95.128.179 - S3 8 egress OK"
)

// AWS's NAT gateway example format (version 3 fields, no log-status).
const (
	exNATFormat = "${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr}"
	exNATLine   = "- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5"
)

func mustParser(t testing.TB, format string) *flowlog.Parser {
	t.Helper()
	fs, err := flowlog.ParseLogFormat(format)
	if err != nil {
		t.Fatalf("ParseLogFormat(%q): %v", format, err)
	}
	return flowlog.NewParser(fs)
}

func TestParseAWSExamples(t *testing.T) {
	v2 := flowlog.LogFormat(flowlog.V2Fields())
	tests := []struct {
		name, format, line string
		values             map[string]string // present values, by field name
		ints               map[string]int64  // numeric values, by field name
		missing            []string          // fields recorded as "-"
		status             string
	}{
		{
			name: "SSH accepted", format: v2, line: exAccept,
			values:  map[string]string{"version": "2", "account-id": "123456789010", "interface-id": "eni-1235b8ca123456789", "srcaddr": "172.31.16.139", "dstaddr": "172.31.16.21", "action": "ACCEPT"},
			ints:    map[string]int64{"srcport": 20641, "dstport": 22, "protocol": 6, "packets": 20, "bytes": 4249, "start": 1418530010, "end": 1418530070},
			missing: nil, status: flowlog.StatusOK,
		},
		{
			name: "RDP rejected", format: v2, line: exReject,
			values: map[string]string{"srcaddr": "172.31.9.69", "dstaddr": "172.31.9.12", "action": "REJECT"},
			ints:   map[string]int64{"srcport": 49761, "dstport": 3389, "protocol": 6},
			status: flowlog.StatusOK,
		},
		{
			name: "no data", format: v2, line: exNoData,
			values:  map[string]string{"interface-id": "eni-1235b8ca123456789"},
			ints:    map[string]int64{"version": 2, "start": 1431280876, "end": 1431280934},
			missing: []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action"},
			status:  flowlog.StatusNoData,
		},
		{
			name: "skipped data", format: v2, line: exSkipData,
			values:  map[string]string{"interface-id": "eni-11111111aaaaaaaaa"},
			ints:    map[string]int64{"start": 1431280876, "end": 1431280934},
			missing: []string{"srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "action"},
			status:  flowlog.StatusSkipData,
		},
		{
			name: "IPv6", format: v2, line: exIPv6,
			values: map[string]string{"srcaddr": "2001:db8:1234:a100:8d6e:3477:df66:f105", "dstaddr": "2001:db8:1234:a102:3304:8879:34cf:4071", "action": "ACCEPT"},
			ints:   map[string]int64{"srcport": 34892, "dstport": 22, "packets": 54, "bytes": 8855, "end": 1477913820},
			status: flowlog.StatusOK,
		},
		{
			name: "v5 ingress from S3", format: exV5Format, line: exV5Ingress,
			values:  map[string]string{"type": "IPv4", "vpc-id": "vpc-abcdefab012345678", "region": "ap-southeast-2", "az-id": "apse2-az3", "pkt-srcaddr": "52.95.128.179", "pkt-src-aws-service": "S3", "flow-direction": "ingress"},
			ints:    map[string]int64{"version": 5, "srcport": 80, "dstport": 34210, "tcp-flags": 19, "packets": 14, "bytes": 15044, "start": 1616729292},
			missing: []string{"sublocation-type", "sublocation-id", "pkt-dst-aws-service", "traffic-path"},
			status:  flowlog.StatusOK,
		},
		{
			name: "v5 egress to S3", format: exV5Format, line: exV5Egress,
			values:  map[string]string{"pkt-dst-aws-service": "S3", "flow-direction": "egress", "instance-id": "i-0c50d5961bcb2d47b"},
			ints:    map[string]int64{"traffic-path": 8, "tcp-flags": 3, "bytes": 471},
			missing: []string{"pkt-src-aws-service"},
			status:  flowlog.StatusOK,
		},
		{
			name: "NAT gateway, no log-status", format: exNATFormat, line: exNATLine,
			values:  map[string]string{"pkt-dstaddr": "203.0.113.5", "srcaddr": "10.0.1.5"},
			missing: []string{"instance-id"},
			status:  "", // the format has no log-status
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParser(t, tt.format)
			r, err := p.Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := strings.Join(r.Values, " "); got != tt.line || r.Len() != len(p.Fields()) {
				t.Errorf("Values = %q (%d), want the line's %d tokens", got, r.Len(), len(p.Fields()))
			}
			for name, want := range tt.values {
				if got, ok := r.Get(name); !ok || got != want {
					t.Errorf("Get(%q) = %q, %v; want %q", name, got, ok, want)
				}
			}
			for name, want := range tt.ints {
				i := p.Index(name)
				if i < 0 {
					t.Fatalf("Index(%q) = -1", name)
				}
				if got, ok := r.Int(i); !ok || got != want {
					t.Errorf("Int(%s) = %d, %v; want %d", name, got, ok, want)
				}
				if r.Missing(i) {
					t.Errorf("Missing(%s) = true", name)
				}
			}
			for _, name := range tt.missing {
				i := p.Index(name)
				if i < 0 {
					t.Fatalf("Index(%q) = -1", name)
				}
				if !r.Missing(i) {
					t.Errorf("Missing(%s) = false for %q", name, r.Values[i])
				}
				if got, ok := r.Get(name); ok || got != "" {
					t.Errorf("Get(%q) = %q, %v; want \"\", false for a missing value", name, got, ok)
				}
				if got, ok := r.Int(i); ok || got != 0 {
					t.Errorf("Int(%s) = %d, %v; want 0, false for a missing value", name, got, ok)
				}
			}
			if got := r.Status(); got != tt.status {
				t.Errorf("Status() = %q, want %q", got, tt.status)
			}
			if got, ok := r.Get("no-such-field"); ok || got != "" {
				t.Errorf("Get(unknown field) = %q, %v", got, ok)
			}
			if p.Index("no-such-field") != -1 {
				t.Error("Index(unknown field) != -1")
			}
		})
	}
}

func TestParseToleratesLineEndingsAndSpaceRuns(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	want := strings.Fields(exAccept)
	for _, line := range []string{
		exAccept + "\n",
		exAccept + "\r\n",
		"  " + strings.ReplaceAll(exAccept, " ", "   ") + "  ",
	} {
		r, err := p.Parse(line)
		if err != nil {
			t.Errorf("Parse(%q): %v", line, err)
			continue
		}
		if !reflect.DeepEqual(r.Values, want) {
			t.Errorf("Parse(%q) = %q, want %q", line, r.Values, want)
		}
	}
}

func TestParseRejectsNonFlowLogLines(t *testing.T) {
	v2 := flowlog.V2Fields()
	custom := mustFields(t, customNames)
	replace := func(line string, i int, v string) string {
		toks := strings.Fields(line)
		toks[i] = v
		return strings.Join(toks, " ")
	}
	tests := []struct {
		name    string
		fields  []flowlog.Field
		line    string
		wantMsg string
	}{
		{"empty", v2, "", "0 fields"},
		{"blank", v2, "   \r\n", "0 fields"},
		{"one field short", v2, strings.TrimSuffix(exAccept, " OK"), "13 fields, want 14"},
		{"one field too many", v2, exAccept + " extra", "more than 14"},
		{"v2-5 line for a v2 parser", v2, exAccept + " vpc-1 subnet-1 i-1 2 IPv4", "more than 14"},
		{"tab separated", v2, strings.ReplaceAll(exAccept, " ", "\t"), "1 fields"},
		{"Lambda log line", v2, "START RequestId: 8f5f2a2e-1c9c-4a7e-9a0b-1f2e3d4c5b6a Version: $LATEST", "fields, want 14"},
		{"JSON", v2, `{"version":2,"srcaddr":"10.0.0.1"}`, "1 fields"},
		{"port is a word", v2, replace(exAccept, 6, "ssh"), `dstport="ssh"`},
		{"port is a decimal", v2, replace(exAccept, 6, "22.0"), "dstport"},
		{"port has a plus sign", v2, replace(exAccept, 6, "+22"), "dstport"},
		{"bytes overflow int64", v2, replace(exAccept, 9, "99999999999999999999"), "bytes"},
		{"bytes just above int64", v2, replace(exAccept, 9, "9223372036854775808"), "bytes"},
		{"start is a date", v2, replace(exAccept, 10, "2014-12-14T04:06:50Z"), "start"},
		{"version is a lone minus sign with digits missing", v2, replace(exAccept, 0, "--"), "version"},
		{"srcaddr is not an IP", v2, replace(exAccept, 3, "172.31.16.256"), `srcaddr="172.31.16.256"`},
		{"dstaddr is a CIDR", v2, replace(exAccept, 4, "172.31.16.0/24"), "dstaddr"},
		{"dstaddr is a hostname", v2, replace(exAccept, 4, "ip-172-31-16-21"), "dstaddr"},
		{"custom: pkt-srcaddr is not an IP", custom, "10.0.0.1 10.0.0.2 22 ACCEPT eni-1 ingress OK", "pkt-srcaddr"},
		{"custom: v2 line", custom, exAccept, "more than 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := flowlog.NewParser(tt.fields)
			var r flowlog.Record
			var err error
			func() {
				defer func() {
					if v := recover(); v != nil {
						t.Fatalf("Parse panicked: %v", v)
					}
				}()
				r, err = p.Parse(tt.line)
			}()
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want an error", tt.line, r.Values)
			}
			if !errors.Is(err, flowlog.ErrNotFlowLog) {
				t.Errorf("error %v does not wrap ErrNotFlowLog", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
		})
	}
}

// The Lambda functions reuse one Record across lines; a bad line in between
// must not leak values into the next good one.
func TestParseIntoReusesRecord(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	var r flowlog.Record
	for _, step := range []struct {
		line string
		ok   bool
	}{
		{exAccept, true},
		{exReject + " extra tokens here", false},
		{exNoData, true},
		{"garbage", false},
		{exIPv6, true},
	} {
		err := p.ParseInto(step.line, &r)
		if (err == nil) != step.ok {
			t.Fatalf("ParseInto(%q) error = %v, want ok=%v", step.line, err, step.ok)
		}
		if !step.ok {
			continue
		}
		want, err := p.Parse(step.line)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(r.Values, want.Values) || r.Status() != want.Status() {
			t.Errorf("ParseInto(%q) = %q, Parse = %q", step.line, r.Values, want.Values)
		}
	}
}

// normalize is the line as the parser sees it: line endings trimmed and runs
// of spaces collapsed.
func normalize(line string) string {
	var toks []string
	for _, tok := range strings.Split(strings.TrimRight(line, "\r\n"), " ") {
		if tok != "" {
			toks = append(toks, tok)
		}
	}
	return strings.Join(toks, " ")
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		exAccept, exReject, exNoData, exSkipData, exIPv6, exV5Ingress, exV5Egress,
		"", " ", "\r\n", exAccept + "\r\n", "- - - - - - - - - - - - - -",
		"2 1 eni-1 ::1 ::ffff:10.0.0.1 -0 0 -1 9223372036854775807 -9223372036854775807 1 1 X Y",
		"2 1 eni-1 fe80::1%eth0 10.0.0.1 1 1 1 1 1 1 1 ACCEPT OK",
		"2 1 eni-1 10.0.0.1 10.0.0.2 1 1 1 1 9999999999999999999 1 1 ACCEPT OK",
	} {
		f.Add(s)
	}
	parsers := []*flowlog.Parser{
		flowlog.NewParser(flowlog.V2Fields()),
		flowlog.NewParser(flowlog.DefaultFields()),
		flowlog.NewParser(mustFields(f, customNames)),
	}
	f.Fuzz(func(t *testing.T, line string) {
		for _, p := range parsers {
			r, err := p.Parse(line)
			if err != nil {
				if !errors.Is(err, flowlog.ErrNotFlowLog) {
					t.Fatalf("Parse(%q) error %v does not wrap ErrNotFlowLog", line, err)
				}
				continue
			}
			if r.Len() != len(p.Fields()) {
				t.Fatalf("Parse(%q) returned %d values for %d fields", line, r.Len(), len(p.Fields()))
			}
			if got, want := strings.Join(r.Values, " "), normalize(line); got != want {
				t.Fatalf("Parse(%q) values re-join to %q, want %q", line, got, want)
			}
			for i, f := range p.Fields() {
				v := r.Values[i]
				if v == "" || strings.Contains(v, " ") {
					t.Fatalf("value %d %q is empty or holds a space", i, v)
				}
				got, present := r.Get(f.Name)
				if present == r.Missing(i) || present && got != v {
					t.Fatalf("Get(%q) = %q, %v but value is %q", f.Name, got, present, v)
				}
				if r.Missing(i) {
					continue
				}
				switch {
				case f.IsNumeric():
					// Parse promises numeric values are integers: Int must agree.
					if _, ok := r.Int(i); !ok {
						t.Fatalf("Parse accepted %s=%q but Int reports no value", f.Name, v)
					}
				case f.Kind == flowlog.KindIP:
					if _, err := netip.ParseAddr(v); err != nil {
						t.Fatalf("Parse accepted %s=%q: %v", f.Name, v, err)
					}
				}
			}
			var reused flowlog.Record
			if err := p.ParseInto(line, &reused); err != nil || !reflect.DeepEqual(reused.Values, r.Values) {
				t.Fatalf("ParseInto disagrees with Parse: %v %q", err, reused.Values)
			}
		}
	})
}
