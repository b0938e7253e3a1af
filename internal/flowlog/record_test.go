package flowlog_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unsafe"

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
		{"port is a word", v2, replace(exAccept, 6, "ssh"), `dstport="ssh" is not an integer`},
		{"port is a decimal", v2, replace(exAccept, 6, "22.0"), "dstport"},
		{"port has a plus sign", v2, replace(exAccept, 6, "+22"), "dstport"},
		{"bytes overflow int64", v2, replace(exAccept, 9, "99999999999999999999"), "bytes"},
		{"bytes just above int64", v2, replace(exAccept, 9, "9223372036854775808"), "bytes"},
		{"start is a date", v2, replace(exAccept, 10, "2014-12-14T04:06:50Z"), "start"},
		{"version is a lone minus sign with digits missing", v2, replace(exAccept, 0, "--"), "version"},
		{"srcaddr is not an IP", v2, replace(exAccept, 3, "172.31.16.256"), `srcaddr="172.31.16.256" is not an IP address`},
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

// refValue is the reference of a value check: what Parse accepts for a
// field of kind k (ok) and whether Record.Plain holds, straight from the
// definitions (strconv, net/netip, the JSON string grammar).
func refValue(k flowlog.Kind, v string) (ok, plain bool) {
	if v == flowlog.Missing {
		return true, false
	}
	switch k {
	case flowlog.KindInt32, flowlog.KindInt64, flowlog.KindTime:
		if v == "" || v[0] == '+' {
			return false, false
		}
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return false, false
		}
		digits := strings.TrimPrefix(v, "-")
		return true, len(digits) <= 18 && (digits[0] != '0' || len(digits) == 1)
	case flowlog.KindIP:
		if _, err := netip.ParseAddr(v); err != nil {
			return false, false
		}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return true, false
		}
	}
	return true, true
}

// refParse is the reference of Parse: the values of line, whether they
// are a valid record of fields, and which values are plain.
func refParse(fields []flowlog.Field, line string) (vals []string, ok bool, plain []bool) {
	for _, v := range strings.Split(strings.TrimRight(line, "\r\n"), " ") {
		if v != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) != len(fields) {
		return vals, false, nil
	}
	ok = true
	plain = make([]bool, len(vals))
	for i, f := range fields {
		var good bool
		good, plain[i] = refValue(f.Kind, vals[i])
		ok = ok && good
	}
	return vals, ok, plain
}

// checkAgainstRef parses line with p and with refParse and fails on any
// difference: acceptance, values, Plain, Int.
func checkAgainstRef(t *testing.T, p *flowlog.Parser, line string) {
	t.Helper()
	r, err := p.Parse(line)
	vals, ok, plain := refParse(p.Fields(), line)
	if (err == nil) != ok {
		t.Fatalf("Parse(%q) error = %v, the reference says valid = %v", line, err, ok)
	}
	if err != nil {
		return
	}
	if !reflect.DeepEqual(r.Values, vals) {
		t.Fatalf("Parse(%q) = %q, want %q", line, r.Values, vals)
	}
	for i, f := range p.Fields() {
		if r.Plain(i) != plain[i] {
			t.Fatalf("Parse(%q): Plain(%d) (%s=%q) = %v, want %v", line, i, f.Name, vals[i], r.Plain(i), plain[i])
		}
		if f.IsNumeric() && vals[i] != flowlog.Missing {
			want, _ := strconv.ParseInt(vals[i], 10, 64)
			if got, ok := r.Int(i); !ok || got != want {
				t.Fatalf("Parse(%q): Int(%d) = %d, %v; want %d", line, i, got, ok, want)
			}
		}
	}
}

// The parser reads eight bytes at a time: values are checked in every
// position relative to an 8-byte boundary (the leading spaces shift them),
// and at the end of the line, against the reference.
func TestValuesAgreeWithReference(t *testing.T) {
	ints := []string{
		"0", "7", "-0", "-7", "00", "007", "-007", "10", "65535", "2147483647", "2147483648", "-2147483648",
		"12345678", "123456789", "1234567890", "1418530070", "123456789012345", "1234567890123456",
		"12345678901234567", "123456789012345678", "-123456789012345678", "012345678901234567",
		"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
		"09223372036854775807", "0000000000000000000001", "99999999999999999999", "-", "--", "-x", "+1", "1-", "1.0",
		"1e3", "0x10", "1_000", "12a", "a12", "１", "1\t", "1\x00", "\xff1",
	}
	ips := []string{
		"0.0.0.0", "1.2.3.4", "10.0.0.1", "172.31.16.139", "255.255.255.255", "256.1.1.1", "1.256.1.1",
		"1.1.1.256", "1.1.1.300", "1.1.1.999", "1.1.1.250", "1.1.1.249", "1.1.1.260", "01.1.1.1", "1.01.1.1",
		"1.1.1.01", "1.1.1.00", "0.0.0.00", "1.1.1", "1.1.1.1.1", "1..1.1", ".1.1.1", "1.1.1.", "1.1.1.1.",
		"1111.1.1.1", "1.1.1.1111", "1.1.1.12345", "1.2.3.4a", "a.b.c.d", "1.2.3.-4", "1.2.3.4%eth0",
		"123.123.123.123", "100.100.100.100", "199.200.201.255", "10.0.0.1/24", "::1", "::", "fe80::1%eth0",
		"fe80::1%\"q\"", "2001:db8::1", "::ffff:10.0.0.1", "2600:1f18:abc:def::12", "1:2:3:4:5:6:7:8",
		"1:2:3:4:5:6:7:8:9", "gggg::1", "-", "--", "x", "1.2.3.4.5.6.7.8.9",
		// Another byte where a dot must be.
		"1x2.3.4", "1.2x3.4", "1.2.3x4", "1.2.3:4", "10.20.30x40", "255.255.255x255",
	}
	texts := []string{
		"ACCEPT", "OK", "eni-1235b8ca123456789", "123456789012", "-", "--", "a\"b", "a\\b", "tab\there",
		"\x7f", "caf\xc3\xa9", "\xff", "\x00", "\x1f", "0123456789abcdef", "0123456789abcde\"",
		"0123456789abcdef\x01", "a", "ab", "abcdefg", "abcdefgh", "abcdefghi",
		// Around the value copies' blocks of 16 and 32 bytes.
		"0123456789abcdefg", strings.Repeat("v", 31), strings.Repeat("v", 32), strings.Repeat("v", 33),
		strings.Repeat("v", 64), strings.Repeat("v", 65), strings.Repeat("v", 100),
	}
	cases := []struct {
		kinds  []string // field names, one of each kind, and a filler
		values []string
	}{
		{[]string{"bytes", "dstport", "start"}, ints},
		{[]string{"srcaddr", "pkt-dstaddr"}, ips},
		{[]string{"interface-id", "pkt-src-aws-service"}, texts},
	}
	for _, c := range cases {
		for _, name := range c.kinds {
			fs := mustFields(t, []string{"action", name, "log-status"})
			p := flowlog.NewParser(fs)
			last := flowlog.NewParser(mustFields(t, []string{"action", name}))
			tp, tlast := plainTemplate(t, p, 0), plainTemplate(t, last, 0)
			for _, v := range c.values {
				for pad := 0; pad < 17; pad++ {
					lead := strings.Repeat(" ", pad)
					for _, line := range []string{lead + "ACCEPT " + v + " OK", lead + "ACCEPT " + v + " " + strings.Repeat("x", pad)} {
						checkAgainstRef(t, p, line)
						checkAppendPlain(t, p, tp, 0, line)
					}
					for _, line := range []string{lead + "ACCEPT " + v, lead + "ACCEPT " + v + "\r\n", strings.Repeat("x", pad+1) + " " + v} {
						checkAgainstRef(t, last, line)
						checkAppendPlain(t, last, tlast, 0, line)
					}
				}
			}
		}
	}
}

// Every IPv4 address made of octets around the edges of the rules, in every
// alignment, agrees with net/netip: in ParseInto (scanIPv4), in
// AppendPlain (ipv4Len, then plainField for what it leaves) and in
// AppendLine (ipv4Len, then scanIP).
func TestIPv4AgreesWithNetip(t *testing.T) {
	octets := []string{"0", "1", "9", "00", "01", "10", "99", "099", "100", "199", "200", "249", "250", "255", "256", "259", "260", "300", "999", "0000", "1234", ""}
	p := flowlog.NewParser(mustFields(t, []string{"srcaddr", "dstaddr"}))
	tmpl := plainTemplate(t, p, 0)
	var r flowlog.Record
	for _, ip := range dottedQuads(octets) {
		_, err := netip.ParseAddr(ip)
		for pad, line := range []string{ip + " " + ip, " " + ip + " 1.2.3.4", "   1.2.3.4 " + ip} {
			if perr := p.ParseInto(line, &r); (perr == nil) != (err == nil) {
				t.Fatalf("ParseInto(%q) error = %v, netip.ParseAddr(%q) error = %v", line, perr, ip, err)
			}
			if err == nil && (!r.Plain(0) || !r.Plain(1)) {
				t.Fatalf("ParseInto(%q) (%d): Plain = %v, %v", line, pad, r.Plain(0), r.Plain(1))
			}
			checkAppendPlain(t, p, tmpl, 0, line)
			checkValid(t, p, line)
		}
	}
}

// dottedQuads returns every a.b.c.d of the octets, in order.
func dottedQuads(octets []string) []string {
	var ips []string
	for _, a := range octets {
		for _, b := range octets {
			for _, c := range octets {
				for _, d := range octets {
					ips = append(ips, a+"."+b+"."+c+"."+d)
				}
			}
		}
	}
	return ips
}

// Every printable byte (space included) put into or over each byte of an
// address, in either field of a two-address format: AppendPlain and
// AppendLine take exactly the lines ParseInto takes. It holds ipv4Len to
// that where a digit may be followed by anything: "10:.0.0.0" (a colon
// after two digits) and "1 .0.0.0" (a space after one, the line then having
// one value too many) are no addresses, and a loop that read the byte after
// a digit as a third digit, or as a second, had taken them.
func TestIPv4LookalikesAgreeWithParseInto(t *testing.T) {
	p := flowlog.NewParser(mustFields(t, []string{"srcaddr", "dstaddr"}))
	tmpl := plainTemplate(t, p, 0)
	// Octets of each length, in every order: a byte put after a digit
	// of one octet must meet octets of one digit after it, as above.
	ips := append(dottedQuads([]string{"0", "10", "255"}), "1.2.3.4", "100.200.250.249", "9.99.199.1")
	for _, ip := range ips {
		for k := 0; k <= len(ip); k++ {
			for c := byte(' '); c <= '~'; c++ {
				variants := []string{ip[:k] + string(c) + ip[k:]}
				if k < len(ip) {
					variants = append(variants, ip[:k]+string(c)+ip[k+1:])
				}
				for _, v := range variants {
					checkAppendPlain(t, p, tmpl, 0, v+" 1.2.3.4")
					checkAppendPlain(t, p, tmpl, 0, "1.2.3.4 "+v)
					checkValid(t, p, v+" 1.2.3.4")
					checkValid(t, p, "1.2.3.4 "+v)
				}
			}
		}
	}
}

func TestPlain(t *testing.T) {
	p := mustParser(t, exV5Format)
	r, err := p.Parse(exV5Ingress)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range r.Values {
		if got, want := r.Plain(i), v != flowlog.Missing; got != want {
			t.Errorf("Plain(%d) (%q) = %v, want %v", i, v, got, want)
		}
	}
	if r.Plain(-1) || r.Plain(len(r.Values)) || r.Plain(64) {
		t.Error("Plain out of range is true")
	}
	// A record built by hand, or after an error: nothing is plain.
	hand := flowlog.Record{Values: strings.Fields(exAccept)}
	if hand.Plain(0) {
		t.Error("Plain of a record built by hand is true")
	}
	if err := p.ParseInto("garbage", &r); err == nil || r.Plain(0) {
		t.Errorf("after error %v, Plain(0) = %v", err, r.Plain(0))
	}
}

// plainTemplate is a template that writes every value as <name=value>.
func plainTemplate(t testing.TB, p *flowlog.Parser, maxLen int) *flowlog.Template {
	t.Helper()
	tf := make([]flowlog.TemplateField, len(p.Fields()))
	for i, f := range p.Fields() {
		tf[i] = flowlog.TemplateField{Before: "<" + f.Name + "=", After: ">", MaxLen: maxLen}
	}
	if len(tf) > 0 {
		// One Before longer than a block (of the interface id in a
		// default-format line, the longest value), one empty After.
		tf[longBefore(len(tf))].Before = strings.Repeat("#", 40) + tf[longBefore(len(tf))].Before
		tf[len(tf)-1].After = ""
	}
	tmpl, err := p.Template(tf)
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// longBefore is the field of plainTemplate's long Before, of n fields.
func longBefore(n int) int { return min(2, n-1) }

// checkAppendPlain checks that AppendPlain takes line exactly when ParseInto
// accepts it with plain values no longer than maxLen, and then writes the
// values ParseInto finds.
func checkAppendPlain(t *testing.T, p *flowlog.Parser, tmpl *flowlog.Template, maxLen int, line string) {
	t.Helper()
	r, err := p.Parse(line)
	want := []byte("prefix")
	take := err == nil
	for i, f := range p.Fields() {
		if err != nil {
			break
		}
		v := r.Values[i]
		if v == flowlog.Missing {
			continue
		}
		if !r.Plain(i) || (maxLen > 0 && len(v) > maxLen) {
			take = false
			break
		}
		if i == longBefore(len(r.Values)) {
			want = append(want, strings.Repeat("#", 40)...)
		}
		want = append(want, "<"+f.Name+"="+v...)
		if i < len(r.Values)-1 {
			want = append(want, '>')
		}
	}
	got, ok := p.AppendPlain([]byte("prefix"), line, tmpl)
	if ok != take {
		t.Fatalf("AppendPlain(%q) ok = %v; ParseInto error %v, want ok = %v", line, ok, err, take)
	}
	if !ok {
		want = []byte("prefix")
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendPlain(%q) = %q, want %q", line, got, want)
	}
	// The line where it is, followed by the padding and noise after it.
	if got, ok := p.AppendPlainPadded([]byte("prefix"), padded(line), tmpl); ok != take || !bytes.Equal(got, want) {
		t.Fatalf("AppendPlainPadded(%q) = %q, %v; want %q, %v", line, got, ok, want, take)
	}
}

// padded returns a copy of line followed by the padding AppendPlainPadded
// needs: a space, a zero byte and flowlog.LinePad-2 bytes of noise made of
// what values are made of (digits, dots, colons, dashes, letters, spaces),
// which a parse that read past the zero would take for more of the line.
func padded(line string) string {
	buf := make([]byte, len(line)+flowlog.LinePad)
	copy(buf, line)
	buf[len(line)], buf[len(line)+1] = ' ', 0
	const noise = "0123456789.:- aAfFxX%\\"
	for i := len(line) + 2; i < len(buf); i++ {
		buf[i] = noise[paddingNoise.IntN(len(noise))]
	}
	return unsafe.String(&buf[0], len(line))
}

var paddingNoise = rand.New(rand.NewPCG(7, 11))

func TestAppendPlain(t *testing.T) {
	for _, tc := range []struct {
		format string
		lines  []string
	}{
		{flowlog.LogFormat(flowlog.V2Fields()), []string{exAccept, exReject, exNoData, exSkipData, exIPv6, exAccept + "\r\n", exAccept + "\r", exAccept + "\n",
			"  " + strings.ReplaceAll(exAccept, " ", "   ") + "  ", exAccept + " extra", strings.TrimSuffix(exAccept, " OK"), strings.TrimSuffix(exAccept, "OK"), strings.TrimSuffix(exAccept, "OK") + " ",
			strings.Replace(exAccept, "ACCEPT", `"ACCEPT"`, 1), strings.Replace(exAccept, " 22 ", " 022 ", 1),
			strings.Replace(exAccept, " 22 ", " 2x ", 1), strings.Replace(exAccept, "4249", "12345678901234567890", 1),
			strings.Replace(exAccept, "4249", "1234567890123456789", 1), "", " ", "garbage"}},
		{exV5Format, []string{exV5Ingress, exV5Egress}},
		{exNATFormat, []string{exNATLine, "- - - - - -", "i-1 eni-1 fe80::1%eth0 10.0.0.1 - -"}},
	} {
		p := mustParser(t, tc.format)
		// 20 and 21 bracket the longest value of exAccept (the interface ID):
		// a value as long as MaxLen is taken, a longer one is not.
		for _, maxLen := range []int{0, 5, 20, 21} {
			tmpl := plainTemplate(t, p, maxLen)
			for _, line := range tc.lines {
				checkAppendPlain(t, p, tmpl, maxLen, line)
			}
		}
	}
	// A template is for its parser only.
	p1, p2 := flowlog.NewParser(flowlog.V2Fields()), flowlog.NewParser(flowlog.V2Fields())
	if _, ok := p2.AppendPlain(nil, exAccept, plainTemplate(t, p1, 0)); ok {
		t.Error("AppendPlain took another parser's template")
	}
	if _, err := p1.Template(nil); err == nil {
		t.Error("Template of no fields for a format of 14: no error")
	}
	if _, err := p1.Template(make([]flowlog.TemplateField, 14)); err != nil {
		t.Errorf("Template of empty fields: %v", err)
	}
	long := make([]flowlog.TemplateField, 14)
	long[3].After = "123456789"
	if _, err := p1.Template(long); err == nil {
		t.Error("Template with a 9-byte After: no error")
	}
	// 8 bytes is the longest After a template takes.
	long[3].After = "12345678"
	if _, err := p1.Template(long); err != nil {
		t.Errorf("Template with an 8-byte After: %v", err)
	}
}

// AppendPlain reads a copy of the line followed by a space and a stop byte
// (0), which ends the spaces after the last value: a line that ends early,
// at any field and after any spaces, fails, and so does a 0 byte of the
// line itself, at a value's start, within it or after the last one.
func TestAppendPlainShortLinesAndStopBytes(t *testing.T) {
	for _, tc := range []struct{ format, line string }{
		{flowlog.LogFormat(flowlog.V2Fields()), exAccept},
		{flowlog.LogFormat(flowlog.V2Fields()), exNoData},
		{flowlog.LogFormat(flowlog.V2Fields()), exIPv6},
		{exV5Format, exV5Egress},
	} {
		p := mustParser(t, tc.format)
		tmpl := plainTemplate(t, p, 0)
		vals := strings.Fields(tc.line)
		var lines []string
		for k := range len(vals) + 1 {
			prefix := strings.Join(vals[:k], " ")
			lines = append(lines, prefix, prefix+" ", prefix+"   ", prefix+"\x00", prefix+" \x00", prefix+"\x00 "+strings.Join(vals[k:], " "))
			if k < len(vals) {
				rest := strings.Join(vals[k+1:], " ")
				lines = append(lines, prefix+" \x00"+vals[k]+" "+rest, prefix+" "+vals[k]+"\x00"+" "+rest)
			}
		}
		for _, line := range lines {
			checkAppendPlain(t, p, tmpl, 0, line)
		}
	}
}

// ParseInto reuses the Record's storage: once the Record holds a record of
// the format, parsing the next line into it does not allocate.
func TestParseIntoDoesNotAllocate(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	r, err := p.Parse(exAccept)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := p.ParseInto(exReject, &r); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("ParseInto allocates %v times per line", allocs)
	}
}

// A value plainFields leaves to plainField (an IPv6 address, 11 bytes) is
// taken at exactly MaxLen and not at one byte less.
func TestAppendPlainSlowValueAtMaxLen(t *testing.T) {
	p := flowlog.NewParser(mustFields(t, []string{"action", "srcaddr"}))
	for _, maxLen := range []int{10, 11} {
		checkAppendPlain(t, p, plainTemplate(t, p, maxLen), maxLen, "ACCEPT 2001:db8::1")
		checkAppendPlain(t, p, plainTemplate(t, p, maxLen), maxLen, "ACCEPT 2001:db8::1 ")
	}
}

func TestAppendPlainDoesNotAllocate(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	tmpl := plainTemplate(t, p, 0)
	buf := make([]byte, 0, 4096)
	allocs := testing.AllocsPerRun(100, func() {
		var ok bool
		if buf, ok = p.AppendPlain(buf[:0], exAccept, tmpl); !ok {
			t.Fatal("AppendPlain failed")
		}
	})
	if allocs != 0 {
		t.Fatalf("AppendPlain allocates %v times per line", allocs)
	}
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
	templates := make([]*flowlog.Template, len(parsers))
	for i, p := range parsers {
		templates[i] = plainTemplate(f, p, 9)
	}
	f.Fuzz(func(t *testing.T, line string) {
		for i, p := range parsers {
			checkAgainstRef(t, p, line)
			checkAppendPlain(t, p, templates[i], 9, line)
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

// benchLines returns n realistic default-format records: private, public
// and IPv6 peers, varied ports and counters, a few NODATA rows.
func benchLines(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	lines := make([]string, n)
	start := 1718000000
	for i := range lines {
		end := start + 30 + r.IntN(31)
		if r.IntN(50) == 0 {
			lines[i] = fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - %d %d - NODATA", start, end)
			continue
		}
		peer := fmt.Sprintf("%d.%d.%d.%d", []int{3, 10, 18, 52, 104, 151}[r.IntN(6)], r.IntN(256), r.IntN(256), 1+r.IntN(254))
		if r.IntN(10) == 0 {
			peer = fmt.Sprintf("2600:1f18:%x:%x::%x", r.IntN(0x10000), r.IntN(0x10000), 1+r.IntN(0xffff))
		}
		packets := 1 + r.IntN(40)
		action := []string{"ACCEPT", "ACCEPT", "ACCEPT", "REJECT"}[r.IntN(4)]
		lines[i] = fmt.Sprintf("2 123456789012 eni-0a1b2c3d4e5f60718 10.0.%d.%d %s %d %d %d %d %d %d %d %s OK",
			r.IntN(256), 1+r.IntN(254), peer, 1024+r.IntN(64512), []int{443, 80, 22, 53, 3306}[r.IntN(5)], []int{6, 17, 1}[r.IntN(3)],
			packets, packets*(40+r.IntN(1461)), start, end, action)
	}
	return lines
}

// BenchmarkParseInto measures the general path of the Lambda functions:
// one reused Record, realistic default-format lines. MB/s are of line text.
func BenchmarkParseInto(b *testing.B) {
	lines := benchLines(2000)
	p := flowlog.NewParser(flowlog.V2Fields())
	var r flowlog.Record
	benchLinesLoop(b, lines, func(l string) bool { return p.ParseInto(l, &r) == nil })
}

// BenchmarkAppendPlain measures the hot path of the indexer: lines to
// values laid out by a template, in one pass.
func BenchmarkAppendPlain(b *testing.B) {
	lines := benchLines(2000)
	p := flowlog.NewParser(flowlog.V2Fields())
	tmpl := plainTemplate(b, p, 0)
	buf := make([]byte, 0, 1<<20)
	benchLinesLoop(b, lines, func(l string) bool {
		var ok bool
		buf, ok = p.AppendPlain(buf[:0], l, tmpl)
		return ok
	})
}

func benchLinesLoop(b *testing.B, lines []string, parse func(string) bool) {
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			if !parse(l) {
				b.Fatalf("%q refused", l)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(lines)), "ns/line")
}

// AppendPlain makes room for the Befores and Afters too: with the longest
// Afters (8 bytes) on every field they outweigh the values, and appending to
// a nil slice or to a long full one still yields exactly the laid-out record.
func TestAppendPlainRoomForLongAfters(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	tf := make([]flowlog.TemplateField, len(p.Fields()))
	for i := range tf {
		tf[i] = flowlog.TemplateField{Before: "[", After: "]<----->"}
	}
	tmpl, err := p.Template(tf)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for _, v := range strings.Fields(exAccept) {
		want = append(want, "["+v+"]<----->"...)
	}
	// A full dst longer than the record: the room left is cap - len, not
	// anything larger.
	full := bytes.Repeat([]byte("x"), 512)
	full = full[:512:512]
	for _, dst := range [][]byte{nil, full} {
		got, ok := p.AppendPlain(dst, exAccept, tmpl)
		if !ok {
			t.Fatalf("AppendPlain(%q) not taken", exAccept)
		}
		if w := append(append([]byte(nil), dst...), want...); !bytes.Equal(got, w) {
			t.Errorf("AppendPlain(%q, %q) = %q, want %q", dst, exAccept, got, w)
		}
	}
}

// An IPv6 address with a zone is plain when the zone is: bytes from 0x20 to
// 0x7f but '"' and '\\' (the zone is copied into JSON as it is).
func TestPlainZone(t *testing.T) {
	p := flowlog.NewParser(mustFields(t, []string{"srcaddr", "dstaddr"}))
	for zone, plain := range map[string]bool{
		"eth0": true, "\x7f": true, "~": true,
		"\x80": false, "\xff": false, "\x1f": false, `"`: false, `\`: false,
	} {
		line := "fe80::1%" + zone + " 10.0.0.1"
		r, err := p.Parse(line)
		if err != nil {
			t.Fatalf("Parse(%q): %v", line, err)
		}
		if r.Plain(0) != plain || !r.Plain(1) {
			t.Errorf("Parse(%q): Plain = %v, %v; want %v, true", line, r.Plain(0), r.Plain(1), plain)
		}
	}
}

// AppendPlainPadded grows dst when its spare room is short of what the
// line's layout may take, by any amount, and never writes past it.
func TestAppendPlainPaddedGrowsDst(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	tmpl := plainTemplate(t, p, 0)
	want, ok := p.AppendPlain([]byte("0123456789"), exAccept, tmpl)
	if !ok {
		t.Fatal("AppendPlain refused the line")
	}
	line := padded(exAccept)
	for room := 0; room <= 400; room++ {
		dst := append(make([]byte, 0, 10+room), "0123456789"...)
		got, ok := p.AppendPlainPadded(dst, line, tmpl)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("room %d: %q, %v; want %q", room, got, ok, want)
		}
	}
}
