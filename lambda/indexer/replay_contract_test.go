package main

import (
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/replay"
)

// cmd/replay reads the rejects this package writes: a document OpenSearch
// refused is replayable with its event (id, timestamp, the whole line, even
// split over several messages); a line that did not parse is reported.
func TestReplayReadsIndexerRejects(t *testing.T) {
	long := strings.Repeat("x", 400<<10)
	for _, tc := range []struct {
		name, stage, line string
		kind              replay.Kind
	}{
		{"refused", StageIndex, "2 123456789012 eni-1 10.0.0.1 10.0.0.2 99999999 443 6 1 40 1 2 ACCEPT OK", replay.KindIndexerReject},
		{"refused, split", StageIndex, long, replay.KindIndexerReject},
		{"not parsed", StageParse, "hello", replay.KindIndexerInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := DeadLetter{Stage: tc.stage, Reason: "mapper_parsing_exception", Status: 400, Index: "flowlogs-2026.11.30",
				ID: "36000000000000000000000000000000000000000000000000000001", Timestamp: 1764500000000,
				LogGroup: "/vpc/flow-logs", LogStream: "eni-1-all", Line: tc.line}
			bodies, err := d.Messages(nil)
			if err != nil {
				t.Fatal(err)
			}
			var joined []byte
			for i, b := range bodies {
				l := replay.Parse(b)
				if l.Kind != tc.kind || l.LogGroup != d.LogGroup || l.LogStream != d.LogStream || l.Parts != len(bodies) || l.Part != i+1 {
					t.Fatalf("parsed %+v", l)
				}
				if tc.kind == replay.KindIndexerReject && (l.Event == nil || l.Event.ID != d.ID || l.Event.Timestamp != d.Timestamp) {
					t.Fatalf("event %+v", l.Event)
				}
				if l.First.UnixMilli() != d.Timestamp {
					t.Errorf("event time %v", l.First)
				}
				joined = append(joined, l.Data...)
			}
			if string(joined) != tc.line {
				t.Error("joined line differs from the original")
			}
		})
	}
}

// A Kinesis record that is not a subscription payload (stage payload) is
// reported by cmd/replay, never replayed: replaying it would fail the same
// way.
func TestReplayReportsPayloadLetters(t *testing.T) {
	d := DeadLetter{Stage: StagePayload, Reason: "kinesis record shardId-000000000000:4966: bad_gzip: not gzip", Line: "bm90IGd6aXA="}
	bodies, err := d.Messages(nil)
	if err != nil || len(bodies) != 1 {
		t.Fatal(bodies, err)
	}
	if l := replay.Parse(bodies[0]); l.Kind != replay.KindIndexerInput || !strings.HasPrefix(l.Reason, "payload: kinesis record ") || string(l.Data) != d.Line {
		t.Fatalf("parsed %+v", l)
	}
}
