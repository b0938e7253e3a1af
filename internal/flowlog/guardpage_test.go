//go:build linux

package flowlog_test

import (
	"bytes"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// Parsing reads whole words of the line but never past its end: a line that
// ends where readable memory ends (the next page is mapped PROT_NONE, so a
// read there is a fault that kills the test binary) parses and lays out
// exactly like the same line anywhere else, and so does a line whose
// padding ends there (AppendPlainPadded). Every suffix of each line is
// tried too, so every value in turn is the last one, at every distance from
// the end.
func TestNoReadPastTheLine(t *testing.T) {
	atPageEnd := guardPage(t)
	for _, tc := range []struct{ format, line string }{
		{flowlog.LogFormat(flowlog.V2Fields()), exAccept},
		{flowlog.LogFormat(flowlog.V2Fields()), exIPv6},
		{flowlog.LogFormat(flowlog.V2Fields()), exNoData},
		{exV5Format, exV5Ingress},
		{exNATFormat, exNATLine},
	} {
		p := mustParser(t, tc.format)
		tmpl := plainTemplate(t, p, 0)
		fields := strings.Fields(tc.line)
		for i := range fields {
			// The line's last i values, so the format's first values get
			// the line's last ones: some lines are invalid, which is fine.
			line := strings.Join(fields[i:], " ")
			var want, got flowlog.Record
			wantErr := p.ParseInto(line, &want)
			gotErr := p.ParseInto(atPageEnd(line), &got)
			if (wantErr == nil) != (gotErr == nil) || strings.Join(want.Values, " ") != strings.Join(got.Values, " ") {
				t.Fatalf("ParseInto(%q) at a page end = %q, %v; elsewhere %q, %v", line, got.Values, gotErr, want.Values, wantErr)
			}
			wantOut, wantOK := p.AppendPlain(nil, line, tmpl)
			gotOut, gotOK := p.AppendPlain(nil, atPageEnd(line), tmpl)
			if wantOK != gotOK || !bytes.Equal(wantOut, gotOut) {
				t.Fatalf("AppendPlain(%q) at a page end = %q, %v; elsewhere %q, %v", line, gotOut, gotOK, wantOut, wantOK)
			}
			// AppendPlainPadded reads the line and its padding (a space, a
			// zero, noise) but nothing past them.
			pad := padded(line)
			withPad := atPageEnd(unsafe.String(unsafe.StringData(pad), len(pad)+flowlog.LinePad))
			gotOut, gotOK = p.AppendPlainPadded(nil, withPad[:len(line)], tmpl)
			if wantOK != gotOK || !bytes.Equal(wantOut, gotOut) {
				t.Fatalf("AppendPlainPadded(%q) with its padding at a page end = %q, %v; AppendPlain %q, %v", line, gotOut, gotOK, wantOut, wantOK)
			}
		}
	}
}

// guardPage maps a readable page followed by an unreadable one and returns
// a function that copies a string to the end of the readable page: a read
// past it is a fault that kills the test binary.
func guardPage(t *testing.T) func(string) string {
	t.Helper()
	pageSize := syscall.Getpagesize()
	mem, err := syscall.Mmap(-1, 0, 2*pageSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[pageSize:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	return func(s string) string {
		if s == "" {
			return ""
		}
		off := pageSize - len(s)
		copy(mem[off:pageSize], s)
		return unsafe.String(&mem[off], len(s))
	}
}
