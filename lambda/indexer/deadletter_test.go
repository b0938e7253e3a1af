package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSetLineTruncatesOnARuneBoundary(t *testing.T) {
	var d DeadLetter
	line := strings.Repeat("é", MaxDeadLetterLine) // two bytes each
	d.SetLine(line)
	if !d.LineTruncated || len(d.Line) > MaxDeadLetterLine || !utf8.ValidString(d.Line) {
		t.Fatalf("truncated=%v len=%d valid=%v", d.LineTruncated, len(d.Line), utf8.ValidString(d.Line))
	}
	d = DeadLetter{}
	d.SetLine("short\uFFFEline\uFFFF")
	if d.LineTruncated || d.Line != "short\uFFFDline\uFFFD" {
		t.Fatalf("line %q", d.Line)
	}
}

func TestSQSDeadLettersBatchesByCountAndSize(t *testing.T) {
	q := newFakeSQS(t)
	sink := &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL}
	var letters []DeadLetter
	for i := 0; i < 25; i++ {
		d := DeadLetter{Stage: StageParse, Reason: "bad", ID: strings.Repeat("1", 56)}
		d.SetLine(strings.Repeat("x", 100))
		letters = append(letters, d)
	}
	for i := 0; i < 12; i++ { // 40 KiB each: at most 6 fit in 256 KiB
		d := DeadLetter{Stage: StageParse, Reason: "big", ID: "2"}
		d.SetLine(strings.Repeat("\x01", 6800)) // escaped to \u0001: 40 KiB of JSON
		letters = append(letters, d)
	}
	if err := sink.Send(context.Background(), letters); err != nil {
		t.Fatal(err)
	}
	got := q.letters(t)
	if len(got) != len(letters) {
		t.Fatalf("%d messages, want %d", len(got), len(letters))
	}
	// 10 + 10 + (5 small and 5 big) + 6 big + 1 big: the 7 last are cut by size.
	if q.calls != 5 {
		t.Fatalf("%d SendMessageBatch calls, want 5", q.calls)
	}
	for i, n := range q.callBytes {
		if n > sqsMaxBatchBytes {
			t.Fatalf("call %d carried %d bytes, over SQS's batch limit", i, n)
		}
	}
	for i, m := range q.messages {
		if !json.Valid([]byte(m)) {
			t.Fatalf("message %d is not JSON", i)
		}
	}
}

func TestSQSDeadLettersRetriesServerFailedEntries(t *testing.T) {
	q := newFakeSQS(t)
	q.onEntry = func(n int, body string) (bool, string, bool) {
		return n == 1 && strings.Contains(body, `"id":"retry`), "InternalError", false
	}
	sl := &recordingSleep{}
	sink := &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL, Sleep: sl.Sleep, Rand: func() float64 { return 0 }}
	letters := []DeadLetter{{Stage: StageIndex, ID: "retry-1", Reason: "r"}, {Stage: StageIndex, ID: "ok", Reason: "r"}, {Stage: StageIndex, ID: "retry-2", Reason: "r"}}
	if err := sink.Send(context.Background(), letters); err != nil {
		t.Fatal(err)
	}
	got := q.letters(t)
	if len(got) != 3 || q.calls != 2 || sl.count() != 1 {
		t.Fatalf("%d messages in %d calls after %d waits", len(got), q.calls, sl.count())
	}
	ids := map[string]int{}
	for _, d := range got {
		ids[d.ID]++
	}
	if ids["retry-1"] != 1 || ids["retry-2"] != 1 || ids["ok"] != 1 {
		t.Fatalf("delivered %v: each letter must arrive once", ids)
	}
}

func TestSQSDeadLettersReportsSenderFaults(t *testing.T) {
	q := newFakeSQS(t)
	q.onEntry = func(n int, body string) (bool, string, bool) { return true, "InvalidMessageContents", true }
	sl := &recordingSleep{}
	sink := &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL, Sleep: sl.Sleep}
	err := sink.Send(context.Background(), []DeadLetter{{Stage: StageParse, Reason: "r"}})
	if err == nil || !strings.Contains(err.Error(), "InvalidMessageContents") || q.calls != 1 || sl.count() != 0 {
		t.Fatalf("error %v after %d calls", err, q.calls)
	}
}

func TestSQSDeadLettersGivesUp(t *testing.T) {
	q := newFakeSQS(t)
	q.onEntry = func(n int, body string) (bool, string, bool) { return true, "ServiceUnavailable", false }
	sl := &recordingSleep{}
	sink := &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL, Sleep: sl.Sleep, MaxAttempts: 3}
	err := sink.Send(context.Background(), []DeadLetter{{Stage: StageParse, Reason: "r"}, {Stage: StageParse, Reason: "s"}})
	if err == nil || !strings.Contains(err.Error(), "2 of 2 dead letters not sent") || q.calls != 3 || sl.count() != 2 {
		t.Fatalf("error %v after %d calls and %d waits", err, q.calls, sl.count())
	}
}
