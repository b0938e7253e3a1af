package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/replay"
)

// cmd/replay reads the letters this package writes: refused lines are
// replayable and, joined in part order, are the input byte for byte
// (text or base64, whole or split); the other reasons are reported.
func TestReplayReadsForwarderLetters(t *testing.T) {
	lines := strings.Repeat("2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 49152 6 1 40 1 2 ACCEPT OK\n", 40)
	for _, tc := range []struct {
		name, reason, data string
		max                int
		kind               replay.Kind
	}{
		{"refused whole", ReasonFirehoseRefused, lines, 0, replay.KindForwarderRecords},
		{"refused split", ReasonFirehoseRefused, lines, 1200, replay.KindForwarderRecords},
		{"refused not UTF-8, split", ReasonFirehoseRefused, "\xff\xfe" + lines, 1200, replay.KindForwarderRecords},
		{"not a flow log", ReasonNotFlowLog, "hello\n", 0, replay.KindForwarderInput},
		{"bad payload", ReasonBadPayload, "H4sI", 0, replay.KindForwarderInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := DeadLetter{Reason: tc.reason, Detail: "why", LogGroup: "/vpc/flow-logs", LogStream: "eni-all"}
			if tc.reason != ReasonBadPayload {
				hdr.FirstEventMs, hdr.LastEventMs = 1764806400000, 1764806459999
			}
			bodies, err := makeLetters(hdr, tc.data, tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if tc.max > 0 && len(bodies) < 2 {
				t.Fatalf("%d letters, want a split", len(bodies))
			}
			// Parts may arrive in any order.
			slices.Reverse(bodies)
			parts := map[int][]byte{}
			for _, b := range bodies {
				l := replay.Parse(b)
				if l.Kind != tc.kind || l.LogGroup != "/vpc/flow-logs" || l.Parts != len(bodies) || !strings.HasPrefix(l.Reason, tc.reason) {
					t.Fatalf("parsed %+v", l)
				}
				parts[l.Part] = l.Data
				// Every part carries the input's event times, as the
				// dry-run inventory shows them.
				want := [2]time.Time{time.UnixMilli(hdr.FirstEventMs), time.UnixMilli(hdr.LastEventMs)}
				if hdr.FirstEventMs == 0 {
					want = [2]time.Time{}
				}
				if !l.First.Equal(want[0]) || !l.Last.Equal(want[1]) {
					t.Errorf("part %d: events %v .. %v, want %d .. %d ms", l.Part, l.First, l.Last, hdr.FirstEventMs, hdr.LastEventMs)
				}
			}
			var joined []byte
			for p := 1; p <= len(bodies); p++ {
				joined = append(joined, parts[p]...)
			}
			if string(joined) != tc.data {
				t.Errorf("joined data differs from the input")
			}
		})
	}
}
