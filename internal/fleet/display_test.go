package fleet

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFormatChanges(t *testing.T) {
	for _, tc := range []struct {
		in   map[string]int
		want string
	}{
		{map[string]int{"create": 41}, "+41"},
		{map[string]int{"same": 41}, "no changes (41 same)"},
		{map[string]int{"same": 40, "read": 2}, "no changes (40 same)"},
		{map[string]int{"create": 1, "update": 2, "delete": 3, "replace": 4, "same": 5, "create-replacement": 4, "delete-replaced": 4}, "+1 ~2 -3 +-4 (5 same)"},
		{map[string]int{"import": 2, "discard": 1}, "discard 1 import 2"},
		{nil, "no changes"},
	} {
		if got := FormatChanges(tc.in); got != tc.want {
			t.Errorf("FormatChanges(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if Changed(map[string]int{"same": 3}) || !Changed(map[string]int{"update": 1}) {
		t.Error("Changed")
	}
}

func TestBrief(t *testing.T) {
	err := errors.New("failed to run update: exit status 255\ncode: 255\nstdout: Updating (m1):\n" +
		"    error: config vpc-flow-logs:vpcIds: \"vpc-1\"; allowed: vpc-...\n" +
		"    error: update failed\n  pulumi:pulumi:Stack (vpc-flow-logs-m1):\n    error: config vpc-flow-logs:vpcIds: \"vpc-1\"; allowed: vpc-...\n")
	if got := Brief(err); got != `config vpc-flow-logs:vpcIds: "vpc-1"; allowed: vpc-...` {
		t.Errorf("Brief = %q", got)
	}
	list := errors.New("stdout: Updating (m-broken):\n    error: an unhandled error occurred: 2 errors occurred:\n    \t* config vpc-flow-logs:vpcIds: \"vpc-x\"\n    \t* config vpc-flow-logs:trafficType: \"SOME\"\n\n    error: update failed\n")
	if got := Brief(list); got != `config vpc-flow-logs:vpcIds: "vpc-x"; config vpc-flow-logs:trafficType: "SOME"` {
		t.Errorf("Brief of an error list = %q", got)
	}
	if got := Brief(errors.New("stack x: no such thing\nmore")); got != "stack x: no such thing" {
		t.Errorf("Brief without diagnostics = %q", got)
	}
	cli := errors.New("failed to select stack: exit status 3\ncode: 3\nstdout: \nstderr: error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n")
	if got := Brief(cli); got != "PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions" {
		t.Errorf("Brief of a CLI error = %q", got)
	}
	if Brief(nil) != "" {
		t.Error("Brief(nil)")
	}
}

func TestWriteTable(t *testing.T) {
	f := orgFleet()
	res := []Result{
		{Stack: f.Stack("central"), State: Succeeded, Changes: map[string]int{"create": 30}, Duration: 12340 * time.Millisecond},
		{Stack: f.Stack("m1"), State: Failed, Duration: 2 * time.Second, Err: errors.New("    error: boom"), Log: "/w/m1/up.log"},
		{Stack: f.Stack("m2"), State: Skipped, Err: errors.New("not run: central failed")},
		{Stack: f.Stack("solo"), State: Succeeded, Changes: map[string]int{"same": 3}, Duration: time.Second},
	}
	var b bytes.Buffer
	if err := WriteTable(&b, f, Up, res); err != nil {
		t.Fatal(err)
	}
	want := `STACK    ROLE        ACCOUNT       REGION     RESULT     CHANGES              DURATION
central  central     999999999999  eu-west-1  succeeded  +30                  12.3s
m1       member      111111111111  eu-west-1  failed     -                    2s
m2       member      111111111111  us-east-1  skipped    -                    -
solo     standalone  -             us-east-1  succeeded  no changes (3 same)  1s
m1: failed: boom (engine output: /w/m1/up.log)
m2: skipped: not run: central failed
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestPlainProgress(t *testing.T) {
	f := orgFleet()
	var b bytes.Buffer
	p := &Plain{W: &b, Op: Up, Total: 2}
	p.Started(f.Stack("central"))
	p.Progress(f.Stack("central"), Progress{Resources: 3})
	p.Finished(Result{Stack: f.Stack("central"), State: Succeeded, Changes: map[string]int{"create": 3}, Duration: time.Second})
	p.Finished(Result{Stack: f.Stack("m1"), State: Skipped, Err: errors.New("not run: central failed")})
	want := "central: up started (central, 999999999999 eu-west-1)\n" +
		"[1/2] central: up succeeded in 1s: +3\n" +
		"[2/2] m1: up skipped: not run: central failed\n"
	if b.String() != want {
		t.Errorf("plain progress:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestLiveTable(t *testing.T) {
	f := orgFleet()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	l := NewLive(&b, Up, f.Stacks[:3], func() time.Time { return now })
	l.Started(f.Stack("central"))
	now = now.Add(1500 * time.Millisecond)
	l.Progress(f.Stack("central"), Progress{Resources: 7, Current: "flowlogs-bucket"})
	l.Finished(Result{Stack: f.Stack("solo"), State: Failed, Err: errors.New("error: nope"), Duration: time.Second})
	want := `STACK    REGION     UP       TIME  RESOURCES  DETAIL
m1       eu-west-1  queued                    
solo     us-east-1  failed   1s    0          nope
central  eu-west-1  running  1.5s  7          flowlogs-bucket
`
	if got := l.Render(); got != want {
		t.Errorf("live table:\n%q\nwant:\n%q", got, want)
	}
	// Every drawing after the first moves up over the previous one.
	if n := strings.Count(b.String(), "\x1b[4A"); n != 2 {
		t.Errorf("%d redraws in place, want 2:\n%q", n, b.String())
	}
}

func TestLiveTableOfALargeFleet(t *testing.T) {
	f := &File{}
	for i := range 40 {
		f.Stacks = append(f.Stacks, &Stack{Name: fmt.Sprintf("s%02d", i), Region: "eu-west-1"})
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	l := NewLive(&b, Preview, f.Stacks, func() time.Time { return now })
	for i := range 10 {
		l.Started(f.Stacks[i])
		if i < 8 {
			l.Finished(Result{Stack: f.Stacks[i], State: Succeeded, Duration: time.Second})
		}
	}
	l.Finished(Result{Stack: f.Stacks[8], State: Failed, Duration: time.Second, Err: errors.New("error: x")})
	// Progress within 100ms of the last drawing does not draw again.
	before := b.Len()
	l.Progress(f.Stacks[9], Progress{Resources: 4, Current: "r"})
	if b.Len() != before {
		t.Error("progress redrew the table within 100ms")
	}
	want := "40 stacks: 30 queued, 1 running, 8 succeeded, 1 failed, 0 skipped\n" +
		"STACK  REGION     PREVIEW  TIME  RESOURCES  DETAIL\n" +
		"s08    eu-west-1  failed   1s    0          x\n" +
		"s09    eu-west-1  running  0s    4          r\n"
	if got := l.Render(); got != want {
		t.Errorf("large fleet table:\n%s\nwant:\n%s", got, want)
	}
}

var update = flag.Bool("update", false, "rewrite the generated block of docs/fleet.md")

const (
	refBegin = "<!-- fleet-reference:begin (go test ./internal/fleet -run TestDocs -update) -->\n"
	refEnd   = "<!-- fleet-reference:end -->"
)

// TestDocsFleetReference: docs/fleet.md's fleet file table is ReferenceTable.
func TestDocsFleetReference(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "fleet.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, refBegin), strings.Index(doc, refEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no generated block %q ... %q", path, refBegin, refEnd)
	}
	want := doc[:i+len(refBegin)] + ReferenceTable() + doc[j:]
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Errorf("%s: the fleet file table is stale; run go test ./internal/fleet -run TestDocs -update", path)
	}
}
