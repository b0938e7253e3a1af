package flowlog_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// validParsers are the formats AppendLine is compared with ParseInto on: the
// default, every field of the catalog, a custom order, and the NAT example
// (no log-status, an instance-id first).
func validParsers(t testing.TB) []*flowlog.Parser {
	return []*flowlog.Parser{
		flowlog.NewParser(flowlog.V2Fields()),
		flowlog.NewParser(flowlog.Catalog),
		flowlog.NewParser(mustFields(t, customNames)),
		mustParser(t, exNATFormat),
		mustParser(t, exV5Format),
	}
}

// checkValid fails when p.AppendLine(dst, line) and ParseInto disagree:
// AppendLine must append line, without its line ending, and a newline to
// dst exactly when ParseInto accepts it and it has no line break before
// its line ending, and otherwise return dst as it was and ErrLineBreak
// (for any line with a line break) or ParseInto's error.
func checkValid(t *testing.T, p *flowlog.Parser, line string) {
	t.Helper()
	var r flowlog.Record
	err := p.ParseInto(line, &r)
	trimmed := strings.TrimRight(line, "\r\n")
	if strings.ContainsAny(trimmed, "\r\n") {
		err = flowlog.ErrLineBreak
	}
	// dst with content and no room: AppendLine grows it.
	dst := []byte("prefix\n")[:7:7]
	got, gotErr := p.AppendLine(dst, line)
	switch {
	case (gotErr == nil) != (err == nil):
		t.Fatalf("%d fields: AppendLine(%q) error %v, ParseInto and line breaks: %v", len(p.Fields()), line, gotErr, err)
	case err == nil && string(got) != "prefix\n"+trimmed+"\n":
		t.Fatalf("%d fields: AppendLine(%q) = %q, want the line and a newline after the prefix", len(p.Fields()), line, got)
	case err != nil && (string(got) != "prefix\n" || gotErr.Error() != err.Error() || !errors.Is(gotErr, flowlog.ErrNotFlowLog)):
		t.Fatalf("%d fields: AppendLine(%q) = %q, %v; want dst unchanged and %v", len(p.Fields()), line, got, gotErr, err)
	}
}

// mutationBytes are the bytes mutations insert or substitute: separators,
// line endings, the characters of numbers and addresses, text, and bytes
// no flow log writes.
const mutationBytes = " -0123456789.:%aAfFgzZ\r\n\t\x00\x7f\x80\xff\"\\+eE"

// mutations calls fn with every line one edit away from line: each byte
// deleted, each byte replaced by each of mutationBytes, and each of them
// inserted at each position.
func mutations(line string, fn func(string)) {
	for i := 0; i <= len(line); i++ {
		if i < len(line) {
			fn(line[:i] + line[i+1:])
		}
		for j := 0; j < len(mutationBytes); j++ {
			c := mutationBytes[j : j+1]
			if i < len(line) {
				fn(line[:i] + c + line[i+1:])
			}
			fn(line[:i] + c + line[i:])
		}
	}
}

// validLines are lines of every parser's format, valid for some of them:
// AWS's examples, the benchmark's lines, and values at the edges of what
// the checks accept.
func validLines() []string {
	lines := []string{
		exAccept, exReject, exNoData, exSkipData, exIPv6, exV5Ingress, exV5Egress, exNATLine,
		"", " ", "  ", "-", "- -", exAccept + "\r\n", " " + exAccept + "  ", "- - - - - - - - - - - - - -",
		"2 1 eni-1 ::1 ::ffff:10.0.0.1 -0 0 -1 9223372036854775807 -9223372036854775808 1 1 X Y",
		"2 1 eni-1 ::1 ::ffff:10.0.0.1 -0 0 -1 9223372036854775808 -9223372036854775809 1 1 X Y",
		"2 1 eni-1 fe80::1%eth0 10.0.0.1 1 1 1 1 1 1 1 ACCEPT OK",
		"2 1 eni-1 10.0.0.1 10.0.0.2 1 1 1 1 9999999999999999999 1 1 ACCEPT OK",
		"2 1 eni-1 255.255.255.255 0.0.0.0 65535 0 255 1234567890123456 12345678901234567 1 1 ACCEPT OK",
		"2 1 eni-1 256.1.1.1 01.2.3.4 1 1 1 1 1 1 1 ACCEPT OK",
		"2 1 eni-1 1.2.3.4 1.2.3 1 1 1 1 1 1 1 ACCEPT OK",
		"10.0.0.71 52.95.128.179 80 ACCEPT 10.0.0.71 ingress OK",
		"- - - - - - -",
	}
	return append(lines, benchLines(40)...)
}

// TestAppendLineAgreesWithParseInto is the differential test of
// AppendLine: on AWS's examples, realistic lines and every line one edit
// away from them, in every format, AppendLine takes exactly the lines
// ParseInto accepts (but those with a line break inside) and refuses the
// others with ParseInto's error.
func TestAppendLineAgreesWithParseInto(t *testing.T) {
	parsers := validParsers(t)
	for _, line := range validLines() {
		for _, p := range parsers {
			checkValid(t, p, line)
			mutations(line, func(m string) { checkValid(t, p, m) })
		}
	}
}

// TestAppendLineAcceptsAndRefuses pins a few answers, so that AppendLine
// and ParseInto cannot both drift the same way unnoticed.
func TestAppendLineAcceptsAndRefuses(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	for _, line := range []string{exAccept, exReject, exNoData, exSkipData, exIPv6, exAccept + "\n", "  " + exAccept + " ",
		// ParseInto's, not checkLine's: a negative integer, 17 digits.
		"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 -20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 12345678901234567 1418530010 1418530070 ACCEPT OK",
	} {
		if _, err := p.AppendLine(nil, line); err != nil {
			t.Errorf("AppendLine(%q): %v", line, err)
		}
	}
	for _, line := range []string{
		"", exAccept + " x", exAccept[:len(exAccept)-3],
		"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070x ACCEPT OK",
		"2 123456789010 eni-1 172.31.16.139 172.31.16.256 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 99999999999999999999 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-1 172.31.16.139 172.31.16.21 +20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	} {
		if _, err := p.AppendLine(nil, line); err == nil || errors.Is(err, flowlog.ErrLineBreak) {
			t.Errorf("AppendLine(%q): %v, want ParseInto's error", line, err)
		}
	}
	for _, line := range []string{
		"2 123456789010 eni-1\n 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-1 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT\rOK",
		"2 123456789010 eni-1 fe80::1%a\nb 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
		"2 123456789010 eni-1 fe80::1%a\rb 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
	} {
		if _, err := p.AppendLine(nil, line); !errors.Is(err, flowlog.ErrLineBreak) {
			t.Errorf("AppendLine(%q): %v, want ErrLineBreak", line, err)
		}
	}
}

// TestAppendLineKeepsDst: AppendLine writes past dst's length only, in its
// spare capacity, and grows dst without losing it.
func TestAppendLineKeepsDst(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	dst := make([]byte, 0, 4096)
	var want []byte
	for _, line := range []string{exAccept, exReject + " x", exIPv6, "bad", exNoData} {
		var err error
		dst, err = p.AppendLine(dst, line)
		if err == nil {
			want = append(append(want, line...), '\n')
		}
	}
	if !bytes.Equal(dst, want) {
		t.Fatalf("AppendLine's appends = %q, want %q", dst, want)
	}
	// Without room for the line and its padding: grown, the line after
	// dst's bytes. Nearly full, and with room for the line but not the
	// padding.
	for _, spare := range []int{1, len(exAccept) + 1} {
		full := append(make([]byte, 0, 100+spare), strings.Repeat("x", 99)+"\n"...)
		got, err := p.AppendLine(full, exAccept)
		if err != nil || string(got) != strings.Repeat("x", 99)+"\n"+exAccept+"\n" {
			t.Fatalf("AppendLine into a dst with %d bytes of room = %q, %v", spare, got, err)
		}
	}
}

// TestAppendLineDoesNotAllocate: the lines AppendLine's own loop decides
// (every kind of value flow logs write: integers of up to 16 digits with
// or without leading zeros, IPv4 and IPv6 addresses, text, missing values,
// runs of spaces, in every format) cost no allocation; a line it left to
// ParseInto would cost one, so this also holds the loop to deciding them.
func TestAppendLineDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		format string
		lines  []string
	}{
		{flowlog.LogFormat(flowlog.V2Fields()), append(benchLines(40), exAccept, exReject, exNoData, exSkipData, exIPv6,
			exAccept+"\r\n", "  "+strings.ReplaceAll(exAccept, " ", "   ")+"  ", strings.ReplaceAll(exIPv6, " ", "  "),
			strings.Replace(exAccept, " 22 ", " 022 ", 1), strings.Replace(exAccept, "4249", "1234567890123456", 1),
			"2 123456789010 eni-1235b8ca123456789 fe80::1%eth0 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK",
			"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACC\x80\"\\EPT OK")},
		{exV5Format, []string{exV5Ingress, exV5Egress}},
		{exNATFormat, []string{exNATLine, "- - - - - -", "i-1 eni-1 fe80::1%eth0 10.0.0.1 - -"}},
		{flowlog.LogFormat(flowlog.Catalog), []string{strings.TrimSpace(strings.Repeat("- ", len(flowlog.Catalog)))}},
	} {
		p := mustParser(t, tc.format)
		dst := make([]byte, 0, 4096)
		for _, line := range tc.lines {
			if _, err := p.AppendLine(dst, line); err != nil {
				t.Fatalf("AppendLine(%q): %v", line, err)
			}
			if allocs := testing.AllocsPerRun(20, func() { p.AppendLine(dst, line) }); allocs != 0 {
				t.Errorf("AppendLine(%q) allocates %v times", line, allocs)
			}
		}
	}
}

// FuzzAppendLineAgreesWithParseInto compares AppendLine with ParseInto on
// arbitrary lines and on
// mutations of valid ones: the fuzzer picks a line, and an edit (delete,
// substitute or insert the byte c at position at) that is applied to it
// and to one of the seed lines (picked by at).
func FuzzAppendLineAgreesWithParseInto(f *testing.F) {
	for _, line := range validLines()[:20] {
		f.Add(line, uint16(0), byte(' '), uint8(0))
	}
	f.Add(exAccept, uint16(40), byte('9'), uint8(1))
	f.Add(exIPv6, uint16(60), byte(':'), uint8(2))
	parsers := validParsers(f)
	seeds := validLines()
	f.Fuzz(func(t *testing.T, line string, at uint16, c byte, op uint8) {
		edit := func(s string) string {
			i := int(at) % (len(s) + 1)
			switch op % 3 {
			case 0:
				if i < len(s) {
					return s[:i] + s[i+1:]
				}
				return s
			case 1:
				if i < len(s) {
					return s[:i] + string(c) + s[i+1:]
				}
				return s
			}
			return s[:i] + string(c) + s[i:]
		}
		seed := seeds[int(at)%len(seeds)]
		for _, p := range parsers {
			checkValid(t, p, line)
			checkValid(t, p, edit(line))
			checkValid(t, p, edit(seed))
		}
	})
}

// BenchmarkAppendLine is AppendLine on the lines of BenchmarkParseInto:
// the forwarder's check and copy, to compare with ParseInto.
func BenchmarkAppendLine(b *testing.B) {
	lines := benchLines(2000)
	p := flowlog.NewParser(flowlog.V2Fields())
	buf := make([]byte, 0, 1<<20)
	benchLinesLoop(b, lines, func(l string) bool {
		var err error
		buf, err = p.AppendLine(buf[:0], l)
		return err == nil
	})
}
