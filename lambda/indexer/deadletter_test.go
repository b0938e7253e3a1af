package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSQSDeadLettersBatchesByCountAndSize(t *testing.T) {
	q := newFakeSQS(t)
	sink := &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL}
	var letters []DeadLetter
	for i := 0; i < 25; i++ {
		d := DeadLetter{Stage: StageParse, Reason: "bad", ID: strings.Repeat("1", 56), Line: strings.Repeat("x", 100)}
		letters = append(letters, d)
	}
	for i := 0; i < 12; i++ { // 40 KiB each: at most 6 fit in 256 KiB
		d := DeadLetter{Stage: StageParse, Reason: "big", ID: "2", Line: strings.Repeat("\x01", 6800)} // escaped to \u0001: 40 KiB of JSON
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
	if err == nil || !strings.Contains(err.Error(), "2 of 2 dead-letter messages (of 2 dead letters) not sent") || q.calls != 3 || sl.count() != 2 {
		t.Fatalf("error %v after %d calls and %d waits", err, q.calls, sl.count())
	}
}

// TestSQSDeadLettersFullBatch: messages that add up to exactly 256 KiB go
// in one SendMessageBatch call: "the maximum total payload size (the sum of
// the individual lengths of all of the batched messages)" is 256 KiB.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
func TestSQSDeadLettersFullBatch(t *testing.T) {
	letter := func(n int) DeadLetter {
		return DeadLetter{Stage: StageParse, Reason: "r", Line: strings.Repeat("x", n)}
	}
	probe := letter(60000)
	m, err := probe.Messages(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := letter(60000 + sqsMaxBatchBytes/4 - len(m[0])) // a message of 64 KiB
	if m, _ = d.Messages(nil); len(m) != 1 || len(m[0]) != sqsMaxBatchBytes/4 {
		t.Fatalf("message of %d bytes", len(m[0]))
	}
	q := newFakeSQS(t)
	sink := &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL}
	if err := sink.Send(context.Background(), []DeadLetter{d, d, d, d}); err != nil {
		t.Fatal(err)
	}
	if q.calls != 1 || len(q.letters(t)) != 4 {
		t.Errorf("%d calls for 4 messages of 64 KiB", q.calls)
	}
}

// TestSQSDeadLettersCountsFailedBatches: the error counts the messages of
// the batch that failed, wherever it was in the list.
func TestSQSDeadLettersCountsFailedBatches(t *testing.T) {
	q := newFakeSQS(t)
	q.onCall = func(n int) int {
		if n == 2 {
			return http.StatusForbidden
		}
		return 0
	}
	sink := &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL, Sleep: (&recordingSleep{}).Sleep}
	letters := make([]DeadLetter, 12)
	for i := range letters {
		letters[i] = DeadLetter{Stage: StageParse, Reason: "r", Line: fmt.Sprint(i)}
	}
	err := sink.Send(context.Background(), letters)
	if err == nil || !strings.HasPrefix(err.Error(), "2 of 12 dead-letter messages") || q.calls != 2 {
		t.Fatalf("%d calls, err %v", q.calls, err)
	}
}

// TestSQSDeadLettersBackoffDefaults: with MaxAttempts and BaseDelay zero, a
// failed entry is tried 4 times, after waits of 100ms doubled each time,
// with equal jitter (Rand 0.5: three quarters of each).
func TestSQSDeadLettersBackoffDefaults(t *testing.T) {
	q := newFakeSQS(t)
	q.onEntry = func(n int, body string) (bool, string, bool) { return true, "ServiceUnavailable", false }
	sl := &recordingSleep{}
	sink := &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL, Sleep: sl.Sleep, Rand: func() float64 { return 0.5 }}
	err := sink.Send(context.Background(), []DeadLetter{{Stage: StageParse, Reason: "r"}})
	if err == nil || !strings.Contains(err.Error(), "after 4 attempts") || q.calls != 4 {
		t.Fatalf("error %v after %d calls", err, q.calls)
	}
	if fmt.Sprint(sl.delays) != "[75ms 150ms 300ms]" {
		t.Errorf("waits %v, want [75ms 150ms 300ms]", sl.delays)
	}
}

// Every part of a dead letter is capped, and the line, however long and
// whatever its characters, is split so that every message fits SQS and
// the pieces rebuild it byte for byte.
func TestDeadLetterMessagesFitSQS(t *testing.T) {
	worst := strings.Repeat("<\x01é\u2028", 30<<10) // every rune escaped to six bytes but é
	huge := strings.Repeat("&", 300<<10)
	for name, d := range map[string]DeadLetter{
		"parse error quoting a 250 KB value": {Stage: StageParse, Reason: "not a flow log record: field srcport=\"" + strings.Repeat("9", 250_000) + "\" is not an integer",
			ID: strings.Repeat("1", 56), LogGroup: "/vpc/flow-logs", LogStream: "eni-0123456789abcdef0-all", Line: "2 123 eni-1 10.0.0.1 10.0.0.2 " + strings.Repeat("9", 250_000) + " 443 6 1 40 1 2 ACCEPT OK"},
		"escapes everywhere":                       {Stage: StageIndex, Reason: huge, ErrorType: huge, Index: huge, ID: huge, LogGroup: huge, LogStream: huge, Line: worst},
		"invalid UTF-8 and SQS-refused characters": {Stage: StageParse, Reason: "bad\uFFFE", Line: strings.Repeat("\xff\uFFFF", 200<<10)},
		"a line of exactly one message":            {Stage: StageParse, Reason: "r", Line: strings.Repeat("x", lineBudget)},
		"a line one byte over":                     {Stage: StageParse, Reason: "r", Line: strings.Repeat("\x01", lineBudget/6+1)},
		"empty line":                               {Stage: StageEvent, Reason: "malformed log event"},
	} {
		t.Run(name, func(t *testing.T) {
			bodies, err := d.Messages(nil)
			if err != nil {
				t.Fatal(err)
			}
			q := &fakeSQS{t: t, messages: bodies}
			for i, b := range bodies {
				if len(b) > MaxMessageBytes {
					t.Fatalf("message %d of %d is %d bytes", i+1, len(bodies), len(b))
				}
				if strings.ContainsAny(b, "\uFFFE\uFFFF") || !utf8.ValidString(b) {
					t.Fatalf("message %d holds characters SQS refuses", i+1)
				}
			}
			got := q.letters(t)
			if len(got) != 1 || got[0].Line != d.Line {
				t.Fatalf("%d letters; line rebuilt: %v", len(got), len(got) == 1 && got[0].Line == d.Line)
			}
			var m DeadLetterMessage
			_ = json.Unmarshal([]byte(bodies[0]), &m)
			for _, f := range []struct{ name, in, out string }{{"reason", d.Reason, m.Reason}, {"log_group", d.LogGroup, m.LogGroup}, {"id", d.ID, m.ID}} {
				cut := slices.Contains(m.Truncated, f.name)
				if cut != (f.out != f.in && len(f.in) > maxNameBytes) && f.name != "reason" {
					t.Errorf("%s: truncated %v for a %d-byte value", f.name, cut, len(f.in))
				}
				if cut && !strings.HasSuffix(f.out, fmt.Sprintf("…[truncated: %d bytes in all]", len(f.in))) {
					t.Errorf("%s cut without its marker: ...%q", f.name, f.out[max(0, len(f.out)-60):])
				}
			}
		})
	}
}

// TestDeadLetterBase64Pieces: a line that is not text goes in pieces of
// lineBudget/4*3 bytes, lineBudget once in base64: a line of exactly that
// many bytes is one message, without part numbers; one byte more is two.
func TestDeadLetterBase64Pieces(t *testing.T) {
	for _, tc := range []struct {
		bytes, messages int
		parts           bool
	}{{1, 1, false}, {lineBudget / 4 * 3, 1, false}, {lineBudget/4*3 + 1, 2, true}} {
		d := DeadLetter{Stage: StageParse, Reason: "r", Line: strings.Repeat("\xff", tc.bytes)}
		bodies, err := d.Messages(nil)
		if err != nil || len(bodies) != tc.messages {
			t.Fatalf("line of %d bytes: %d messages, err %v; want %d", tc.bytes, len(bodies), err, tc.messages)
		}
		if hasPart := strings.Contains(bodies[0], `"part":`); hasPart != tc.parts {
			t.Errorf("line of %d bytes: part numbers %v, want %v: %.120s", tc.bytes, hasPart, tc.parts, bodies[0])
		}
	}
}

// TestCapTextEdges: text of exactly the limit is kept whole; longer text is
// cut on a rune boundary to fit the limit with its marker, even when no
// byte before the cut starts a rune.
func TestCapTextEdges(t *testing.T) {
	marker := func(n int) string { return fmt.Sprintf("…[truncated: %d bytes in all]", n) }
	for _, tc := range []struct {
		in, want string
		cut      bool
	}{
		{strings.Repeat("a", 100), strings.Repeat("a", 100), false},
		{strings.Repeat("a", 101), strings.Repeat("a", 100-len(marker(101))) + marker(101), true},
		// The cut falls inside an é: back to its first byte.
		{"a" + strings.Repeat("é", 60), "a" + strings.Repeat("é", (100-len(marker(121))-1)/2) + marker(121), true},
		// Nothing but continuation bytes: cut to nothing.
		{strings.Repeat("\x80", 200), marker(200), true},
	} {
		got, cut := capText(tc.in, 100)
		if got != tc.want || cut != tc.cut || len(got) > 100 {
			t.Errorf("capText(%q, 100) = %q, %v; want %q, %v", tc.in, got, cut, tc.want, tc.cut)
		}
	}
}

// TestSplitTextCounts: splitText counts a rune six bytes when encoding/json
// may escape it and its UTF-8 length otherwise, and fills each piece up to
// the budget.
func TestSplitTextCounts(t *testing.T) {
	for _, tc := range []struct {
		r        string
		perPiece int // with a budget of 12
	}{
		{"a", 12}, {" ", 12}, {"~", 12}, {"é", 6}, {"\u2027", 4}, {"😀", 3},
		{"\x00", 2}, {"\x1f", 2}, {`"`, 2}, {`\`, 2}, {"<", 2}, {">", 2}, {"&", 2}, {"\u2028", 2}, {"\u2029", 2},
	} {
		s := strings.Repeat(tc.r, 3*tc.perPiece+1)
		got := splitText(s, 12)
		want := []string{strings.Repeat(tc.r, tc.perPiece), strings.Repeat(tc.r, tc.perPiece), strings.Repeat(tc.r, tc.perPiece), tc.r}
		if !slices.Equal(got, want) {
			t.Errorf("splitText(%d × %q, 12) = %q, want pieces of %d", 3*tc.perPiece+1, tc.r, got, tc.perPiece)
		}
	}
}

// TestSQSDeadLettersKeepTheReserve: a dead-letter call that stalls is cut
// off Reserve before the invocation's deadline, so the function can still
// log and answer (a Kinesis batch whose invocation times out is retried
// whole, and its dead letters written again).
func TestSQSDeadLettersKeepTheReserve(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	client := sqs.NewFromConfig(testAWS, func(o *sqs.Options) { o.BaseEndpoint = aws.String(srv.URL); o.RetryMaxAttempts = 1 })
	sink := &SQSDeadLetters{Client: client, QueueURL: testQueueURL, Reserve: time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	deadline, _ := ctx.Deadline()
	if err := sink.Send(ctx, []DeadLetter{{Stage: StageIndex, ID: "1", Reason: "r"}}); err == nil {
		t.Fatal("a stalled SendMessageBatch succeeded")
	}
	if left := time.Until(deadline); left < 500*time.Millisecond {
		t.Errorf("Send returned %v before the deadline, want the 1 s reserve kept", left)
	}
	// With the reserve already reached, no call is made at all.
	short, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	if err := sink.Send(short, []DeadLetter{{Stage: StageIndex, ID: "2", Reason: "r"}}); err == nil || !strings.Contains(err.Error(), "no time left") {
		t.Errorf("Send within the reserve: %v, want no time left", err)
	}
}

// TestSQSDeadLettersBackoffStopsBeforeTheReserve: a retry whose backoff
// would reach into the reserve is not waited for.
func TestSQSDeadLettersBackoffStopsBeforeTheReserve(t *testing.T) {
	q := newFakeSQS(t)
	q.onEntry = func(n int, body string) (bool, string, bool) { return true, "InternalError", false }
	sl := &recordingSleep{}
	sink := &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL, Sleep: sl.Sleep, BaseDelay: 10 * time.Second, Rand: func() float64 { return 0 }}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := sink.Send(ctx, []DeadLetter{{Stage: StageIndex, ID: "1", Reason: "r"}})
	if err == nil || !strings.Contains(err.Error(), "no time left for a retry") {
		t.Fatalf("Send: %v, want no time left for a retry", err)
	}
	if q.calls != 1 || len(sl.delays) != 0 {
		t.Errorf("%d calls, slept %v: want one call and no wait into the reserve", q.calls, sl.delays)
	}
}
