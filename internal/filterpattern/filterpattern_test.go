package filterpattern

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Log lines from the CloudWatch Logs User Guide, "Filter pattern syntax",
// space-delimited section (older and current revisions).
const (
	apache1 = `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`
	apache2 = `127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324`
	apache3 = `127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355`
	apache4 = `127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`

	svcGet   = `INFO 09/25/2014 12:00:00 GET /service/resource/67 1200`
	svcPost  = `INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310`
	svcWarn  = `WARNING 09/25/2014 12:00:02 Invalid user request`
	svcError = `ERROR 09/25/2014 12:00:02 Failed to process request`
)

// VPC Flow Log records in the default (version 2) format:
// version account-id interface-id srcaddr dstaddr srcport dstport protocol
// packets bytes start end action log-status
const (
	flowSSHAccept = `2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK`
	flowSSHReject = `2 123456789010 eni-1235b8ca123456789 198.51.100.7 172.31.16.21 51234 22 6 1 40 1418530010 1418530070 REJECT OK`
	flowRDPReject = `2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK`
	flowICMPIn    = `2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 0 0 1 4 336 1432917027 1432917142 ACCEPT OK`
	flowICMPOut   = `2 123456789010 eni-1235b8ca123456789 172.31.16.139 203.0.113.12 0 0 1 4 336 1432917094 1432917142 REJECT OK`
	flowBig       = `2 123456789010 eni-1235b8ca123456789 10.0.0.155 10.0.1.20 443 50432 6 900 1500000 1418530010 1418530070 ACCEPT OK`
	flowNoData    = `2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA`
	flowSkipData  = `2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA`
)

var flowNames = []string{"version", "account", "eni", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "action", "logstatus"}

var flowFields = "[" + strings.Join(flowNames, ", ") + "]"

// flowPattern returns the 14-field default-format pattern with the named
// field replaced by cond.
func flowPattern(field, cond string) string {
	names := append([]string(nil), flowNames...)
	for i, n := range names {
		if n == field {
			names[i] = cond
			return "[" + strings.Join(names, ", ") + "]"
		}
	}
	panic("flowPattern: no field " + field)
}

type matchCase struct {
	name    string
	pattern string
	line    string
	want    bool
}

func runMatchCases(t *testing.T, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.pattern, err)
			}
			if got := p.Match(tc.line); got != tc.want {
				t.Errorf("Parse(%q).Match(%q) = %v, want %v", tc.pattern, tc.line, got, tc.want)
			}
		})
	}
}

func TestAWSDocExamples(t *testing.T) {
	const seven = `[ip, user, username, timestamp, request, status_code, bytes]`
	runMatchCases(t, []matchCase{
		{"seven fields", seven, apache1, true},
		{"seven fields 404 line", seven, apache4, true},
		{"bytes > 1000 (1534)", `[ip, user, username, timestamp, request, status_code, bytes > 1000]`, apache1, true},
		{"bytes > 1000 (5324)", `[ip, user, username, timestamp, request, status_code, bytes > 1000]`, apache2, true},
		{"bytes > 5000 (4355)", `[ip, user, username, timestamp, request, status_code, bytes > 5000]`, apache3, false},
		{"status 200 on 200", `[ip, user, username, timestamp, request, status_code = 200, bytes]`, apache1, true},
		{"status 200 on 500", `[ip, user, username, timestamp, request, status_code = 200, bytes]`, apache2, false},
		{"status 4* on 404", `[ip, user, username, timestamp, request, status_code = 4*, bytes]`, apache4, true},
		{"status 4* on 200", `[ip, user, username, timestamp, request, status_code = 4*, bytes]`, apache1, false},
		{"request *html* on index.html", `[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]`, apache4, true},
		{"request *html* on gif", `[ip, user, username, timestamp, request = *html*, status_code, bytes]`, apache1, false},
		{"status 4* and not 403", `[ip, user, username, timestamp, request, status_code = 4* && status_code != 403, bytes]`, apache4, true},
		{"status 5* and not 500", `[ip, user, username, timestamp, request, status_code = 5* && status_code != 500, bytes]`, apache2, false},
		{"ellipsis then status/bytes", `[..., status_code, bytes]`, apache1, true},
		{"ip user ellipsis status bytes", `[ip, user, ..., status_code, bytes]`, apache1, true},
		{"ip user ellipsis", `[ip, user, ...]`, apache1, true},
		{"trailing comma example", `[..., request=*.html*, status_code=4*,]`, apache4, true},
		{"trailing comma example, 200", `[..., request=*.html*, status_code=4*,]`, apache1, false},
		// Current revision of the doc.
		{"regex ip, wildcard request", `[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`, apache4, true},
		{"regex ip outside range", `[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`, strings.Replace(apache4, "127.0.0.1", "127.0.1.0", 1), false},
		{"ellipsis for four unnamed fields", `[..., request =*.html*, status_code = 4*, bytes]`, apache4, true},
		{"404 || 410 on 404", `[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]`, apache4, true},
		{"404 || 410 on 410", `[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]`, strings.Replace(apache4, " 404 ", " 410 ", 1), true},
		{"404 || 410 on 403", `[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]`, strings.Replace(apache4, " 404 ", " 403 ", 1), false},
		{"status 4* || 5* on 500", `[ip, user, username, timestamp, request, status_code=4* || status_code=5*, bytes]`, apache2, true},
		{"status 4* || 5* on 200", `[ip, user, username, timestamp, request, status_code=4* || status_code=5*, bytes]`, apache1, false},
		{"quoted request value", `[ip, user, username, timestamp, request = "GET /index.html HTTP/1.0", status_code, bytes]`, apache4, true},
		{"bracketed timestamp value", `[ip, user, username, timestamp = "10/Oct/2000:13:25:15 -0700", request, status_code, bytes]`, apache4, true},
		{"bracketed timestamp prefix", `[ip, user, username, timestamp = 10/Oct/2000*, request, status_code, bytes]`, apache4, true},
	})
}

// The w1/w2 examples: the last field takes the rest of the line, which is
// why the doc insists on the "blank w2 indicator".
func TestAWSDocWordExamples(t *testing.T) {
	lines := []string{svcGet, svcPost, svcWarn, svcError}
	tests := []struct {
		pattern string
		want    []bool // per line above
	}{
		{`[w1=ERROR, w2]`, []bool{false, false, false, true}},
		{`[w1=ERROR || w1=WARNING, w2]`, []bool{false, false, true, true}},
		{`[w1!=ERROR && w1!=WARNING, w2]`, []bool{true, true, false, false}},
		{`[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]`, []bool{true, false, false, false}},
		{`[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]`, []bool{false, true, false, false}},
		// Without w2 the single field is the whole line.
		{`[w1=ERROR]`, []bool{false, false, false, false}},
		{`[w1=ERROR*]`, []bool{false, false, false, true}},
		{`[w1, w2 = "09/25/2014 12:00:02 Failed to process request"]`, []bool{false, false, false, true}},
		{`[w1, w2, w3, w4 = Invalid, w5]`, []bool{false, false, true, false}},
		{`[w1, w2, w3, w4, w5 = request]`, []bool{false, false, false, false}},
	}
	for _, tc := range tests {
		p := MustParse(tc.pattern)
		for i, line := range lines {
			if got := p.Match(line); got != tc.want[i] {
				t.Errorf("%s .Match(%q) = %v, want %v", tc.pattern, line, got, tc.want[i])
			}
		}
	}
}

func TestVPCFlowLogs(t *testing.T) {
	const sshReject = `[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`
	runMatchCases(t, []matchCase{
		{"all fields, accept", flowFields, flowSSHAccept, true},
		{"all fields, nodata", flowFields, flowNoData, true},
		{"ssh reject on ssh reject", sshReject, flowSSHReject, true},
		{"ssh reject on ssh accept", sshReject, flowSSHAccept, false},
		{"ssh reject on rdp reject", sshReject, flowRDPReject, false},
		{"ssh reject on nodata", sshReject, flowNoData, false},
		{"reject action", flowPattern("action", "action=REJECT"), flowICMPOut, true},
		{"reject action on accept", flowPattern("action", "action=REJECT"), flowICMPIn, false},
		{"numeric dstport", flowPattern("dstport", "dstport=22"), flowSSHAccept, true},
		{"numeric dstport 3389", flowPattern("dstport", "dstport=3389"), flowRDPReject, true},
		{"dstport 22 || 3389 on rdp", flowPattern("dstport", "dstport=22 || dstport=3389"), flowRDPReject, true},
		{"dstport 22 || 3389 on https", flowPattern("dstport", "dstport=22 || dstport=3389"), flowBig, false},
		{"quoted srcaddr", flowPattern("srcaddr", `srcaddr="10.0.0.155"`), flowBig, true},
		{"quoted srcaddr other", flowPattern("srcaddr", `srcaddr="10.0.0.155"`), flowSSHAccept, false},
		{"unquoted srcaddr prefix", flowPattern("srcaddr", `srcaddr=172.31.*`), flowSSHAccept, true},
		{"srcaddr not in 172.31", flowPattern("srcaddr", `srcaddr!=172.31.*`), flowICMPIn, true},
		{"srcaddr not in 172.31 on 172.31", flowPattern("srcaddr", `srcaddr!=172.31.*`), flowSSHAccept, false},
		{"protocol icmp", flowPattern("protocol", "protocol=1"), flowICMPIn, true},
		{"bytes range inside", `[..., bytes >= 1000 && bytes < 5000, start, end, action, logstatus]`, flowSSHAccept, true},
		{"bytes range below", `[..., bytes >= 1000 && bytes < 5000, start, end, action, logstatus]`, flowICMPIn, false},
		{"bytes range above", `[..., bytes >= 1000 && bytes < 5000, start, end, action, logstatus]`, flowBig, false},
		{"large transfer", flowPattern("bytes", "bytes > 1000000"), flowBig, true},
		{"large transfer, scientific", flowPattern("bytes", "bytes >= 1.5e6"), flowBig, true},
		{"large transfer, scientific above", flowPattern("bytes", "bytes > 1.5e+6"), flowBig, false},
		{"packets <= 4", flowPattern("packets", "packets <= 4"), flowICMPIn, true},
		{"packets < 4", flowPattern("packets", "packets < 4"), flowICMPIn, false},
		{"account id numeric", flowPattern("account", "account = 123456789010"), flowSSHAccept, true},
		{"eni wildcard", flowPattern("eni", "eni = eni-1235b8ca*"), flowSSHAccept, true},
		{"eni wildcard other", flowPattern("eni", "eni = eni-1235b8ca*"), flowSkipData, false},
		{"logstatus NODATA", flowPattern("logstatus", "logstatus = NODATA"), flowNoData, true},
		{"logstatus not OK", flowPattern("logstatus", "logstatus != OK"), flowSkipData, true},
		{"logstatus not OK on OK", flowPattern("logstatus", "logstatus != OK"), flowSSHAccept, false},
	})
}

// NODATA/SKIPDATA records carry "-"; numeric conditions never match them.
func TestDashValuesInNumericConditions(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"bytes > 0", flowPattern("bytes", "bytes > 0"), flowNoData, false},
		{"bytes >= 0", flowPattern("bytes", "bytes >= 0"), flowNoData, false},
		{"bytes < 1", flowPattern("bytes", "bytes < 1"), flowNoData, false},
		{"bytes = 0", flowPattern("bytes", "bytes = 0"), flowNoData, false},
		{"bytes != 0", flowPattern("bytes", "bytes != 0"), flowNoData, false},
		{"bytes != 0 on data", flowPattern("bytes", "bytes != 0"), flowSSHAccept, true},
		{"dstport != 22", flowPattern("dstport", "dstport != 22"), flowSkipData, false},
		{"dstport != 22 || string dash", flowPattern("dstport", "dstport != 22 || dstport = -"), flowSkipData, true},
		{"string = -", flowPattern("srcaddr", "srcaddr = -"), flowNoData, true},
		{"quoted string = -", flowPattern("srcaddr", `srcaddr = "-"`), flowNoData, true},
		{"string != -", flowPattern("srcaddr", "srcaddr != -"), flowNoData, false},
		{"string != - on data", flowPattern("srcaddr", "srcaddr != -"), flowSSHAccept, true},
		{"action = - on nodata", flowPattern("action", "action = -"), flowNoData, true},
	})
}

func TestNumericVersusString(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"numeric = matches leading zero", `[a = 22]`, `022`, true},
		{"numeric = matches decimal", `[a = 22]`, `22.0`, true},
		{"numeric = matches exponent", `[a = 1000]`, `1e3`, true},
		{"numeric = matches plus sign", `[a = 22]`, `+22`, true},
		{"string = does not match leading zero", `[a = "22"]`, `022`, false},
		{"string = exact", `[a = "22"]`, `22`, true},
		{"numeric = negative", `[a = -5]`, `-5`, true},
		{"numeric < negative", `[a < 0]`, `-0.5`, true},
		{"numeric = on word", `[a = 22]`, `twentytwo`, false},
		{"numeric = on hex", `[a = 22]`, `0x16`, false},
		{"numeric = on trailing junk", `[a = 22]`, `22ms`, false},
		{"numeric = on NaN", `[a != 1]`, `NaN`, false},
		{"numeric = on Inf", `[a > 1]`, `Inf`, false},
		{"numeric huge", `[a > 1]`, `1e999`, true},
		{"numeric decimal compare", `[a >= 55.5]`, `55.5`, true},
		{"numeric decimal compare below", `[a > 55.5]`, `55.49`, false},
		{"ip is a string", `[a = 10.0.0.155]`, `10.0.0.155`, true},
		{"ip is not a number", `[a = 10.0.0.155]`, `10.0.0.1550`, false},
		{"case sensitive", `[a = accept]`, `ACCEPT`, false},
	})
}

func TestWildcards(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"prefix", `[a = 4*]`, `404`, true},
		{"prefix miss", `[a = 4*]`, `504`, false},
		{"prefix empty rest", `[a = 4*]`, `4`, true},
		{"suffix", `[a = *.html]`, `/index.html`, true},
		{"suffix miss", `[a = *.html]`, `/index.html5`, false},
		{"contains", `[a = *html*]`, `/index.html?x=1`, true},
		{"contains miss", `[a = *html*]`, `/index.htm`, false},
		{"star matches anything", `[a = *]`, `whatever`, true},
		{"star matches empty quoted field", `[a = *, b]`, `"" x`, true},
		{"quoted wildcard", `[a = "GET *"]`, `"GET /index.html HTTP/1.0"`, true},
		{"quoted wildcard miss", `[a = "GET *"]`, `"POST /index.html HTTP/1.0"`, false},
		{"interior star is literal", `[a = Ev*ent]`, `EvXent`, false},
		{"interior star literal match", `[a = Ev*ent]`, `Ev*ent`, true},
		{"not-equal prefix", `[a != 2*]`, `404`, true},
		{"not-equal prefix miss", `[a != 2*]`, `200`, false},
	})
}

func TestRegex(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"unanchored search", `[a = %ERR%]`, `xERRx`, true},
		{"anchored", `[a = %^ERR$%]`, `xERRx`, false},
		{"not-equal regex", `[a != %^10\.%]`, `172.31.16.139`, true},
		{"not-equal regex miss", `[a != %^10\.%]`, `10.0.0.1`, false},
		{"regex with comma and brackets", `[a = %^[0-9]{1,3}$%, b]`, `404 x`, true},
		{"regex with comma and brackets, miss", `[a = %^[0-9]{1,3}$%, b]`, `4040 x`, false},
		{"regex alternation", `[a = %^ERROR$|^WARN$%, b]`, `WARN x`, true},
		{"two regexes allowed", `[a = %^1%, b = %2$%]`, `10 32`, true},
		{"regex or string", `[a = %^5[0-9][0-9]$% || a = 404, b]`, `404 x`, true},
		// ':' is the first symbol the regex page lists.
		{"regex with colon", `[a = %^09:[0-5][0-9]$%, b]`, `09:30 x`, true},
		{"regex with colon, miss", `[a = %^09:[0-5][0-9]$%, b]`, `09:60 x`, false},
		// {m, n} as the regex page writes it, with a blank.
		{"repetition with a blank", `[a = %^a{3, 5}$%, b]`, `aaaa x`, true},
		{"repetition with a blank, miss", `[a = %^a{3, 5}$%, b]`, `aa x`, false},
		{"POSIX class keeps its braces", `[a = %^[[:alpha:]{,2}]$%, b]`, `0 x`, false},
	})
}

func TestTokenizer(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{``, nil},
		{`   `, nil},
		{`a b  c`, []string{"a", "b", "c"}},
		{"a\tb\r\nc\n", []string{"a", "b", "c"}},
		{`  lead trail  `, []string{"lead", "trail"}},
		{`"a b" [c d] e`, []string{"a b", "c d", "e"}},
		{`"" []`, []string{"", ""}},
		{`"a b"c`, []string{"a b", "c"}},
		{`[a "b c" d] e`, []string{`a "b c" d`, "e"}},
		{`"a [b c] d" e`, []string{"a [b c] d", "e"}},
		{`[a [b] c]`, []string{"a [b", "c]"}},
		{`ab"c d"`, []string{`ab"c`, `d"`}},
		{`"unterminated quote`, []string{`"unterminated`, "quote"}},
		{`[unterminated bracket`, []string{"[unterminated", "bracket"}},
		{`x ]y`, []string{"x", "]y"}},
	}
	for _, tc := range tests {
		var got []string
		for _, tok := range tokenize(tc.line) {
			got = append(got, tok.val)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("tokenize(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestEllipsisPositions(t *testing.T) {
	runMatchCases(t, []matchCase{
		{"start", `[..., action = ACCEPT, logstatus = OK]`, flowSSHAccept, true},
		{"start, miss", `[..., action = ACCEPT, logstatus = OK]`, flowRDPReject, false},
		{"middle", `[version = 2, account, eni, ..., action = REJECT, logstatus]`, flowRDPReject, true},
		{"middle, miss", `[version = 3, account, eni, ..., action = REJECT, logstatus]`, flowRDPReject, false},
		{"end", `[version, account, eni, srcaddr = 172.31.9.69, ...]`, flowRDPReject, true},
		{"end, miss", `[version, account, eni, srcaddr = 172.31.9.69, ...]`, flowSSHAccept, false},
		{"alone matches anything", `[...]`, flowNoData, true},
		{"alone matches empty line", `[...]`, ``, true},
		{"matches zero fields", `[a, ..., b]`, `x y`, true},
		{"too few fields", `[a, ..., b]`, `x`, false},
		{"pre and post do not overlap", `[a = x, b = y, ..., c = y]`, `x y`, false},
		{"end, exact count", `[a, b, ...]`, `x y`, true},
		{"start, empty line", `[..., a]`, ``, false},
	})
}

func TestFieldCount(t *testing.T) {
	thirteen := `[version, account, eni, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action]`
	fifteen := `[version, account, eni, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end, action, logstatus, extra]`
	runMatchCases(t, []matchCase{
		{"exact 14", flowFields, flowSSHAccept, true},
		{"15 fields vs 14 tokens", fifteen, flowSSHAccept, false},
		{"13 fields: last takes rest", thirteen, flowSSHAccept, true},
		{"13 fields: last = rest of line", strings.Replace(thirteen, "action]", `action = "ACCEPT OK"]`, 1), flowSSHAccept, true},
		{"13 fields: last is not a single token", strings.Replace(thirteen, "action]", `action = ACCEPT]`, 1), flowSSHAccept, false},
		{"13 fields: numeric on rest fails", `[version, account, eni, srcaddr, dstaddr, srcport, dstport, protocol, packets, bytes, start, end > 0]`, flowSSHAccept, false},
		{"rest keeps raw text", `[a, b = "\"x y\" [z]  w"]`, `a "x y" [z]  w`, true},
		{"rest single quoted token is unwrapped", `[a, b = "x y"]`, `a "x y"`, true},
		{"empty line vs one field", `[a]`, ``, false},
		{"one field vs one token", `[a]`, `x`, true},
		{"trailing unnamed field takes rest", `[a = x,]`, `x y z`, true},
		{"trailing unnamed field needs a token", `[a = x,]`, `x`, false},
	})
}

func TestFieldsAndString(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string
	}{
		{`[ip, user, username, timestamp, request, status_code, bytes]`, []string{"ip", "user", "username", "timestamp", "request", "status_code", "bytes"}},
		{`[..., status_code = 4* || status_code = 5*, bytes > 1000]`, []string{"status_code", "bytes"}},
		{`[version, srcaddr="10.0.0.155", dstport=22, ...]`, []string{"version", "srcaddr", "dstport"}},
		{`[a, (b = 1 || b = 2) && b != 3, ...]`, []string{"a", "b"}},
		{`[..., request=*.html*, status_code=4*,]`, []string{"request", "status_code", ""}},
		{`[...]`, []string{}},
	}
	for _, tc := range tests {
		p := MustParse(tc.pattern)
		if got := p.Fields(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Fields(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
		if p.String() != tc.pattern {
			t.Errorf("String() = %q, want %q", p.String(), tc.pattern)
		}
	}
	// Fields returns a copy.
	p := MustParse(`[a, b]`)
	p.Fields()[0] = "mutated"
	if p.Fields()[0] != "a" {
		t.Error("Fields exposes internal state")
	}
}

func TestSyntaxFlexibility(t *testing.T) {
	// Spacing, parentheses and precedence variants that must parse and agree.
	runMatchCases(t, []matchCase{
		{"no spaces", `[a=1,b=2]`, `1 2`, true},
		{"lots of spaces", "  [ a  =  1 ,\tb = 2 ]  ", `1 2`, true},
		{"&& binds tighter than ||", `[a = 1 || a = 2 && a = 3]`, `1`, true},
		{"&& binds tighter than ||, second", `[a = 2 && a = 3 || a = 1]`, `1`, true},
		{"parentheses override", `[(a = 1 || a = 2) && a = 3]`, `1`, false},
		{"nested parentheses", `[((a >= 1) && (a <= 3)) || a = 9]`, `9`, true},
		{"quoted value with escaped quote", `[a = "say \"hi\""]`, `say"hi"`, false},
		{"quoted value with escapes", `[a = "x\\y"]`, `x\y`, true},
		{"quoted value that is one escaped backslash", `[a = "\\"]`, `\`, true},
		{"quoted value with comma and bracket", `[a = "x, ]y", b]`, `"x, ]y" z`, true},
		{"other backslash kept", `[a = "x\ty"]`, `x\ty`, true},
		{"unquoted value with symbols", `[a = arn:aws:iam::1234/role@x$y]`, `arn:aws:iam::1234/role@x$y`, true},
	})
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		column  int
		msg     string
	}{
		{"unclosed", `[a, b`, 6, "expected ',' or ']', found end of pattern"},
		{"unclosed after cond", `[a = 1`, 7, "not closed"},
		{"unclosed after blanks", `  [a, b`, 8, "(the '[' at column 3 is not closed)"},
		{"junk after close", `[a] b`, 5, `unexpected 'b' after the closing ']'`},
		{"empty middle field", `[a,,b]`, 4, "empty field"},
		{"leading comma", `[,a]`, 2, "empty field"},
		{"missing operator", `[a b]`, 4, `expected a comparison operator (=, !=, <, <=, >, >=) after field name "a", found 'b'`},
		{"double equals", `[a == 1]`, 4, "'==' is not an operator"},
		{"equals bang", `[w1=!ERROR&&w1=!WARN, w2]`, 4, "'=!' is not an operator; use '!='"},
		{"missing value", `[a =, b]`, 5, `expected a value after "=" for field "a", found ','`},
		{"missing value at end", `[a =`, 5, `expected a value after "=", found end of pattern`},
		{"unclosed parenthesis at end", `[a = 1 && (a = 2`, 17, "expected ')' to close the '(' at column 11, found end of pattern"},
		{"field name at end", `[a, (`, 6, "expected a field name, found end of pattern"},
		{"relational on string", `[a > abc]`, 6, `operator ">" needs a number, found "abc"`},
		{"relational on wildcard", `[a >= 4*]`, 7, `needs a number`},
		{"relational on quoted", `[a < "5"]`, 4, `operator "<" needs a number, but the value is the quoted string "5"`},
		{"unterminated quote", `[a = "x, b]`, 6, "unterminated quoted value"},
		{"backslash ends an unterminated quote", `[a = "x\`, 6, "unterminated quoted value"},
		{"parenthesis inside a regex", `[a = %ab(c%]`, 9, "parentheses are not supported in regular expressions"},
		{"JSON selector name at the end", `{ $.a`, 6, "after the selector, found end of pattern"},
		{"JSON array index at the end", `{ $.a[1`, 8, "expected ']' to close the '[' at column 6, found end of pattern"},
		{"JSON keyword at the end", `{ $.a IS NULL`, 14, "expected '}' to close the '{' at column 1, found end of pattern"},
		{"JSON unquoted value starting with @", `{ $.a = @x }`, 9, "character '@' in an unquoted value"},
		{"JSON unquoted value with U+0080", "{ $.a = x\u0080 }", 10, `character '\u0080' in an unquoted value`},
		{"multi-byte character inside a regex", `[a = %abé%]`, 9, "multi-byte characters are not supported"},
		{"cross-field condition", `[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]`, 62, `condition on "bytes" inside field "status_code"`},
		{"cross-field or", `[a = 1 || b = 2, b]`, 11, `condition on "b" inside field "a"`},
		{"duplicate name", `[a, b, a]`, 8, `duplicate field name "a" (first used at column 2)`},
		{"duplicate name with condition", `[a, a = 1]`, 5, `duplicate field name "a"`},
		{"two ellipses", `[..., a, ...]`, 10, "only one '...' is allowed"},
		{"ellipsis with condition", `[... = 1]`, 6, `expected ',' or ']' after '...', found '='`},
		{"ellipsis in expression", `[a = 1 || ..., b]`, 11, "'...' cannot be combined with conditions"},
		{"unicode ellipsis", `[…, a]`, 2, "three dots"},
		{"bad field name", `[ip, -, -, timestamp]`, 6, "expected a field name, found '-'"},
		{"hyphenated name", `[log-status]`, 5, `expected a comparison operator`},
		{"dangling and", `[a = 1 &&]`, 10, "expected a field name, found ']'"},
		{"single ampersand", `[a = 1 & a = 2]`, 8, `expected ',' or ']' after field "a", found '&'`},
		{"dangling or", `[a = 1 ||, b]`, 10, "expected a field name, found ','"},
		{"unclosed paren", `[(a = 1, b]`, 8, "expected ')' to close the '(' at column 2"},
		{"stray paren", `[a = 1), b]`, 7, `found ')'`},
		{"space in unquoted value", `[request = GET /index.html]`, 16, `found '/'`},
		{"unterminated regex", `[a = %abc, b]`, 6, "unterminated regular expression"},
		{"empty regex", `[a = %%]`, 6, "empty regular expression"},
		{"regex parentheses", `[a = %(x)%]`, 7, "parentheses are not supported"},
		{"regex bang", `[a = %something!%]`, 16, `character '!' is not supported`},
		{"regex multibyte", `[a = %é%]`, 7, "multi-byte"},
		{"regex relational", `[a > %1%]`, 4, `operator ">" cannot be used with a regular expression`},
		{"invalid regex", `[a = %[%]`, 6, "invalid regular expression"},
		{"three regexes", `[a = %x%, b = %y%, c = %z%]`, 24, "at most 2 regular expressions"},
		{"too long", "[" + strings.Repeat("a", 1024) + "]", 1, "at most 1024"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.pattern)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tc.pattern, p.Fields(), tc.msg)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T %v, want *SyntaxError", tc.pattern, err, err)
			}
			if !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("Parse(%q) error %q, want it to contain %q", tc.pattern, se.Msg, tc.msg)
			}
			if se.Column != tc.column {
				t.Errorf("Parse(%q) error %q at column %d, want column %d", tc.pattern, err, se.Column, tc.column)
			}
			if want := "filterpattern: at column "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), want)
			}
			if se.Pattern != tc.pattern {
				t.Errorf("SyntaxError.Pattern = %q, want %q", se.Pattern, tc.pattern)
			}
		})
	}
}

func TestMaxLengthAccepted(t *testing.T) {
	pat := "[" + strings.Repeat("a", 1022) + "]"
	if _, err := Parse(pat); err != nil {
		t.Fatalf("1024-character pattern rejected: %v", err)
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !strings.Contains(err.Error(), "empty field") {
			t.Errorf("MustParse panic = %v, want a *SyntaxError", r)
		}
	}()
	MustParse("[a,,b]")
}

func TestNilPattern(t *testing.T) {
	var p *Pattern
	if p.Match("x") || p.Fields() != nil || p.String() != "" || p.Regexps() != 0 {
		t.Error("nil *Pattern should match nothing and have no fields")
	}
	if (&Pattern{}).Match("x") {
		t.Error("a zero Pattern should match nothing")
	}
}

func FuzzParse(f *testing.F) {
	seeds := []struct{ pattern, line string }{
		{`[ip, user, username, timestamp, request, status_code, bytes]`, apache1},
		{`[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes > 1000]`, apache4},
		{`[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]`, apache4},
		{`[..., request=*.html*, status_code=4*,]`, apache4},
		{`[w1=ERROR || w1=WARNING, w2]`, svcError},
		{`[w1!=ERROR && w1!=WARNING, w2]`, svcGet},
		{`[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]`, svcGet},
		{`[version, account, eni, source, destination, srcport, destport="22", protocol="6", packets, bytes, windowstart, windowend, action="REJECT", flowlogstatus]`, flowSSHReject},
		{`[..., bytes >= 1000 && bytes < 2000, start, end, action, logstatus]`, flowNoData},
		{`[version, srcaddr="10.0.0.155", dstport=22, ...]`, flowBig},
		{`[(a = 1 || a = 2) && a != 3, ...]`, `"x y" [z`},
		{`[a = "x\"y", b]`, `"unterminated`},
		{`[a = 1e999, b < -.5]`, "1e999\t-1"},
		{`[a,`, ``},
		{`{ $.a = 1 }`, `{"a":1}`},
		{`[…]`, "\xff\xfe"},
		{`[]`, ``},
		{`REJECT -"172.31." ?"10.0.0.155" ?ACCEPT`, flowSSHReject},
		{`%^2 [0-9]+%`, flowNoData},
		{`{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, docCompoundEvent},
		{`{ $.a[0][1] IS NULL || $.b NOT EXISTS && $.c != %x% }`, `{"a":[[1,null]]}`},
		{`{ $.latency >= 1e3 }`, `{"latency": 1000}`},
		{``, ``},
	}
	for _, s := range seeds {
		f.Add(s.pattern, s.line)
	}
	f.Fuzz(func(t *testing.T, pattern, line string) {
		p, err := Parse(pattern)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) returned %T, want *SyntaxError", pattern, err)
			}
			if se.Offset < 0 || se.Offset > len(pattern) || se.Column < 1 || se.Msg == "" {
				t.Fatalf("Parse(%q) returned malformed error %+v", pattern, se)
			}
			return
		}
		got := p.Match(line)
		if got != p.Match(line) {
			t.Fatalf("Match(%q) is not deterministic", line)
		}
		if p.Regexps() < 0 || p.Regexps() > maxRegexps || p.Kind() != KindDelimited && p.Fields() != nil {
			t.Fatalf("Parse(%q): kind %v, %d regexps, fields %q", pattern, p.Kind(), p.Regexps(), p.Fields())
		}
		// Parse(String()) round-trips: same kind, fields, regexps and outcome.
		q, err := Parse(p.String())
		if err != nil {
			t.Fatalf("Parse(%q.String()): %v", pattern, err)
		}
		if q.Kind() != p.Kind() || q.Regexps() != p.Regexps() || !reflect.DeepEqual(q.Fields(), p.Fields()) || q.Match(line) != got {
			t.Fatalf("Parse(String()) of %q does not round-trip", pattern)
		}
	})
}
