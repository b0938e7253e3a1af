package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsfake"
)

// Forwarder letters go back to the stream: a split input is joined before
// it is sent, a copy written by a Lambda retry is deleted without a second
// send, records Firehose fails (partially, or by throttling) are retried,
// and an undecodable input is reported and left.
func TestForwarderRecordsToFirehose(t *testing.T) {
	e := newEnv(t)
	e.add(
		forwarderBody(t, "firehose_refused", "a", 1, 1, "line-a1\nline-a2\n"),
		forwarderBody(t, "firehose_refused", "b", 2, 3, "dle-of-b\nline-b2-st"),
		forwarderBody(t, "not_flow_log", "c", 1, 1, "garbage\n"),
		forwarderBody(t, "firehose_refused", "b", 1, 3, "line-b1-mid"),
		forwarderBody(t, "firehose_refused", "a", 1, 1, "line-a1\nline-a2\n"), // a Lambda retry's copy
		forwarderBody(t, "firehose_refused", "b", 3, 3, "art\n"),
	)
	e.srv.Firehose.FailRecord = func(n, i int) string {
		if n == 0 && i == 0 {
			return "ServiceUnavailableException"
		}
		return ""
	}
	e.srv.Firehose.Fault = func(n int) *awsfake.Fault {
		if n == 1 {
			return &awsfake.Fault{Status: http.StatusBadRequest, Code: "ThrottlingException"}
		}
		return nil
	}
	sum, err := Run(context.Background(), e.config(&FirehoseSink{API: e.firehose, Stream: "fh", Backoff: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range e.srv.Firehose.Records("fh") {
		got = append(got, string(r))
	}
	want := []string{"line-a1\nline-a2\n", "line-b1-middle-of-b\nline-b2-start\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("stream got %q, want %q", got, want)
	}
	left := e.srv.SQS.Bodies(queueURL)
	if len(left) != 1 || !strings.Contains(left[0], "not_flow_log") {
		t.Errorf("left in the queue: %q, want only the not_flow_log letter", left)
	}
	checkSummary(t, sum, Summary{Received: 6, Replayed: 4, Inputs: 2, Skipped: 1, Duplicates: 1, Left: 1})
}

// On-failure records are replayed by invoking the function synchronously
// with the original event; throttling is retried, a function error leaves
// the message in the queue.
func TestOnFailureToLambda(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.add(onFailureBody(t, "req-"+string(rune('a'+i)), payloadN(i)))
	}
	e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
		if n < 4 { // beyond the SDK's three tries: the sink's own backoff
			return nil, "", &awsfake.Fault{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException"}
		}
		if decodeN(t, p) == 3 {
			return []byte(`{"errorMessage":"still broken"}`), "Unhandled", nil
		}
		return []byte(`null`), "", nil
	}
	sum, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "fwd", Backoff: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	for _, inv := range e.srv.Lambda.Invocations() {
		if inv.Function != "fwd" || inv.InvocationType != "RequestResponse" {
			t.Errorf("invocation of %s as %s", inv.Function, inv.InvocationType)
		}
		count[decodeN(t, inv.Payload)]++
	}
	for i := range 5 {
		if count[i] != 1 {
			t.Errorf("payload %d ran %d times, want 1", i, count[i])
		}
	}
	left := e.srv.SQS.Bodies(queueURL)
	if len(left) != 1 || !strings.Contains(left[0], "req-d") {
		t.Errorf("left: %q, want the record whose replay failed", left)
	}
	checkSummary(t, sum, Summary{Received: 5, Replayed: 4, Inputs: 4, Failed: 1, Left: 1})
}

// A run stopped half-way (its context cancelled after k replays, as by
// Ctrl-C) and a second run after the visibility timeout replay every
// message exactly once and leave the queue empty.
func TestCrashThenSecondRunReplaysEachOnce(t *testing.T) {
	e := newEnv(t)
	const total, k = 23, 7
	for i := range total {
		e.add(onFailureBody(t, "req-"+strings.Repeat("x", i), payloadN(i)))
	}
	throttles := 0
	e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
		if n%5 == 2 && throttles < 6 {
			throttles++
			return nil, "", &awsfake.Fault{Status: http.StatusTooManyRequests, Code: "TooManyRequestsException"}
		}
		return []byte(`null`), "", nil
	}
	// SQS throttles too; the SDK retries it.
	e.srv.SQS.Fault = func(op string, n int) *awsfake.Fault {
		if (op == "ReceiveMessage" && n%3 == 1) || (op == "DeleteMessage" && n%4 == 2) {
			return awsfake.Throttled
		}
		return nil
	}
	sink := &LambdaSink{API: e.lambda, Function: "fwd", Backoff: noSleep}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := e.config(sink)
	cfg.Event = func(ev Event) {
		if ev.Outcome == OutcomeReplayed && ev.Done == k {
			cancel()
		}
	}
	sum1, err := Run(ctx, cfg)
	if !errors.Is(err, ErrStopped) || !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v, want stopped by the cancellation", err)
	}
	if sum1.Replayed != k {
		t.Errorf("first run replayed %d, want %d", sum1.Replayed, k)
	}
	sum2, count := e.secondRun(t, sink)
	for i := range total {
		if count[i] != 1 {
			t.Errorf("payload %d ran %d times, want exactly once", i, count[i])
		}
	}
	if left := e.srv.SQS.Bodies(queueURL); len(left) != 0 {
		t.Errorf("%d messages left", len(left))
	}
	if sum1.Replayed+sum2.Replayed != total || sum2.Left != 0 {
		t.Errorf("replayed %d + %d of %d, left %d", sum1.Replayed, sum2.Replayed, total, sum2.Left)
	}
}

// A run killed half-way, with no chance to clean up: from the moment the
// function has run the (k+1)-th replay, nothing the run sends has any
// effect (no delete, no visibility change, no further invocation), as when
// the process dies. A second run after the visibility timeout loses
// nothing: every payload ran, each once, but the one whose delete the kill
// cut off, which ran twice (docs/replay.md says so); the queue ends empty.
func TestKilledThenSecondRunLosesNothing(t *testing.T) {
	e := newEnv(t)
	const total, k = 23, 7
	for i := range total {
		e.add(onFailureBody(t, "req-"+strings.Repeat("x", i), payloadN(i)))
	}
	var mu sync.Mutex
	dead, ran, killedAt := false, 0, -1
	gone := &awsfake.Fault{Status: http.StatusForbidden, Code: "AccessDeniedException"}
	e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
		mu.Lock()
		defer mu.Unlock()
		if dead {
			return nil, "", gone
		}
		if ran++; ran == k+1 {
			dead, killedAt = true, decodeN(t, p)
		}
		return []byte(`null`), "", nil
	}
	e.srv.SQS.Fault = func(op string, n int) *awsfake.Fault {
		mu.Lock()
		defer mu.Unlock()
		if dead {
			return gone
		}
		return nil
	}
	sink := &LambdaSink{API: e.lambda, Function: "fwd", Backoff: noSleep}
	if _, err := Run(context.Background(), e.config(sink)); err == nil {
		t.Fatal("the killed run reports success")
	}
	if killedAt < 0 {
		t.Fatal("the run never reached the kill")
	}
	mu.Lock()
	dead = false
	mu.Unlock()
	sum2, count := e.secondRun(t, sink)
	for i := range total {
		want := 1
		if i == killedAt {
			want = 2
		}
		if count[i] != want {
			t.Errorf("payload %d ran %d times, want %d", i, count[i], want)
		}
	}
	if left := e.srv.SQS.Bodies(queueURL); len(left) != 0 {
		t.Errorf("%d messages left", len(left))
	}
	if sum2.Replayed != total-k {
		t.Errorf("second run replayed %d, want the %d the first did not delete", sum2.Replayed, total-k)
	}
}

// secondRun runs again after every visibility timeout the first run left
// has passed, and counts how often each payload ran in both runs.
func (e *env) secondRun(t *testing.T, sink Sink) (Summary, map[int]int) {
	t.Helper()
	e.clock.Advance(11 * time.Minute)
	sum, err := Run(context.Background(), e.config(sink))
	if err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	for _, inv := range e.srv.Lambda.Invocations() {
		count[decodeN(t, inv.Payload)]++
	}
	return sum, count
}

// A failure every message would meet (the function does not exist) stops
// the run at once; repeated function errors stop it after MaxFailures; the
// rest stays in the queue.
func TestStopsOnSystematicFailure(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   *awsfake.Fault
		fnErr   string
		invoked int
		failed  int
	}{
		{name: "missing function", fault: &awsfake.Fault{Status: http.StatusNotFound, Code: "ResourceNotFoundException"}, failed: 1},
		{name: "access denied", fault: &awsfake.Fault{Status: http.StatusForbidden, Code: "AccessDeniedException"}, failed: 1},
		{name: "function keeps failing", fnErr: "Unhandled", invoked: 3, failed: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			for i := range 12 {
				e.add(onFailureBody(t, "r"+strings.Repeat("y", i), payloadN(i)))
			}
			e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
				return []byte(`{"errorMessage":"x"}`), tc.fnErr, tc.fault
			}
			sum, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "fwd", Backoff: noSleep}))
			if !errors.Is(err, ErrStopped) {
				t.Fatalf("err = %v, want a stop", err)
			}
			if got := len(e.srv.Lambda.Invocations()); got != tc.invoked {
				t.Errorf("%d invocations ran, want %d", got, tc.invoked)
			}
			if left := e.srv.SQS.Bodies(queueURL); len(left) != 12 {
				t.Errorf("%d messages left, want all 12", len(left))
			}
			if sum.Replayed != 0 || sum.Failed != tc.failed || sum.Left != 12 {
				t.Errorf("summary %+v", sum)
			}
		})
	}
}

// Indexer rejects are replayed by invoking the indexer with a CloudWatch
// Logs event that holds the original log event (same id, so the document
// is written idempotently); a reject the replay itself dead-letters again
// (mapping still broken) is left, not replayed in a loop; undecodable
// inputs are reported.
func TestIndexerRejects(t *testing.T) {
	e := newEnv(t)
	e.add(
		indexerBody(t, "index", "ev-1", "2 123 eni-1 10.0.0.1 10.0.0.2 99999999 443 6 1 40 1 2 ACCEPT OK"),
		indexerBody(t, "parse", "ev-2", "not a flow log"),
		indexerBody(t, "index", "ev-3", "2 123 eni-1 10.0.0.1 10.0.0.2 88888888 443 6 1 40 1 2 ACCEPT OK"),
	)
	var ids []string
	e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
		var ev struct{ AWSLogs struct{ Data string } }
		if err := json.Unmarshal(p, &ev); err != nil {
			t.Fatalf("not a CloudWatch Logs event: %s", p)
		}
		lp, err := decodeLogs(ev.AWSLogs.Data)
		if err != nil {
			t.Fatal(err)
		}
		if lp.LogGroup != "/vpc/flow-logs" || lp.LogStream != "eni-1-all" || lp.MessageType != "DATA_MESSAGE" {
			t.Errorf("payload %+v", lp)
		}
		for _, ev := range lp.LogEvents {
			ids = append(ids, ev.ID)
			if ev.ID == "ev-3" {
				// Still refused: the indexer dead-letters it again.
				e.srv.SQS.Add(queueURL, indexerBody(t, "index", "ev-3", ev.Message), e.clock.Now())
			}
		}
		return []byte(`null`), "", nil
	}
	sum, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "idx", Backoff: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	// The two rejects of one stream received together: one invocation.
	if got := len(e.srv.Lambda.Invocations()); got != 1 || strings.Join(ids, ",") != "ev-1,ev-3" {
		t.Errorf("%d invocations of events %v, want one of ev-1 and ev-3 (and no loop)", got, ids)
	}
	left := e.srv.SQS.Bodies(queueURL)
	if len(left) != 2 || !strings.Contains(left[0], `"parse"`) || !strings.Contains(left[1], "ev-3") {
		t.Errorf("left %q", left)
	}
	checkSummary(t, sum, Summary{Received: 4, Replayed: 2, Inputs: 2, Skipped: 2, Left: 2})
}

// A dry run lists without changing anything: every message is still there
// and visible at once.
func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.add(
		forwarderBody(t, "firehose_refused", "a", 1, 1, "l1\n"),
		onFailureBody(t, "r1", map[string]any{"awslogs": map[string]any{"data": mustLogs(t)}}),
		indexerBody(t, "parse", "ev-2", "x"),
	)
	cfg := e.config(nil)
	cfg.DryRun = true
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	inv := sum.Inventory
	if inv.Messages != 3 || inv.ByKind[KindForwarderRecords] != 1 || inv.ByKind[KindOnFailure] != 1 || inv.ByKind[KindIndexerInput] != 1 {
		t.Errorf("inventory %+v", inv)
	}
	if inv.ByLogGroup["/vpc/flow-logs"] != 3 {
		t.Errorf("log groups %v", inv.ByLogGroup)
	}
	if got := inv.FirstEvent.UnixMilli(); got != 1764400000000 {
		t.Errorf("first event %v", inv.FirstEvent)
	}
	if got := inv.LastEvent.UnixMilli(); got != 1764500000000 {
		t.Errorf("last event %v", inv.LastEvent)
	}
	var buf bytes.Buffer
	inv.Write(&buf, e.clock.Now())
	for _, want := range []string{"messages: 3", "oldest 1m0s", "first 2025-11-29T07:06:40Z", "forwarder-records (replayable)", "indexer-undecodable (reported, not replayed)"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("inventory text lacks %q:\n%s", want, buf.String())
		}
	}
	if sum.Left != 3 || len(e.srv.SQS.Bodies(queueURL)) != 3 {
		t.Errorf("left %d", sum.Left)
	}
	again, err := Run(context.Background(), cfg)
	if err != nil || again.Received != 3 {
		t.Errorf("a second dry run at once received %d (%v), want all 3 visible", again.Received, err)
	}
}

func mustLogs(t *testing.T) string {
	p, err := LogsEvent("/vpc/flow-logs", "eni-1-all", []LogEvent{{ID: "1", Timestamp: 1764400000000, Message: "m"}, {ID: "2", Timestamp: 1764450000000, Message: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	var ev struct{ AWSLogs struct{ Data string } }
	json.Unmarshal(p, &ev)
	return ev.AWSLogs.Data
}

// ToFile writes every message as a JSON line and deletes it only when
// asked, after the write.
func TestToFile(t *testing.T) {
	e := newEnv(t)
	e.add(indexerBody(t, "index", "ev-1", "line one"), indexerBody(t, "parse", "ev-2", "line two"))
	var buf bytes.Buffer
	syncs := 0
	cfg := e.config(nil)
	cfg.ToFile, cfg.Sync, cfg.DeleteWritten = &buf, func() error { syncs++; return nil }, true
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 || syncs != 2 {
		t.Fatalf("file %q, %d syncs", buf.String(), syncs)
	}
	var rec FileRecord
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec.Kind != KindIndexerReject || !strings.Contains(rec.Body, "line one") {
		t.Errorf("record %+v (%v)", rec, err)
	}
	if sum.Written != 2 || sum.Left != 0 {
		t.Errorf("summary %+v", sum)
	}
}

func TestPackLines(t *testing.T) {
	recs, err := PackLines([]byte("aaaa\nbb\ncccc\nd\n"), 8)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		got = append(got, string(r))
	}
	if strings.Join(got, "|") != "aaaa\nbb\n|cccc\nd\n" {
		t.Errorf("records %q", got)
	}
	if _, err := PackLines([]byte("123456789\n"), 8); err == nil {
		t.Error("a line over the record size packed")
	}
}

// A message whose replay failed comes back once its visibility timeout
// passes (here each invocation takes longer than it); the run does not
// replay it again.
func TestRedeliveredMessageNotReplayedTwice(t *testing.T) {
	e := newEnv(t)
	for i := range 8 {
		e.add(onFailureBody(t, "q"+strings.Repeat("z", i), payloadN(i)))
	}
	e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
		e.clock.Advance(2 * time.Minute)
		if decodeN(t, p)%2 == 1 {
			return []byte(`{"errorMessage":"no"}`), "Unhandled", nil
		}
		return []byte(`null`), "", nil
	}
	cfg := e.config(&LambdaSink{API: e.lambda, Function: "fwd", Backoff: noSleep})
	cfg.Visibility = time.Minute
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	for _, inv := range e.srv.Lambda.Invocations() {
		count[decodeN(t, inv.Payload)]++
	}
	for i := range 8 {
		if count[i] != 1 {
			t.Errorf("payload %d ran %d times, want 1", i, count[i])
		}
	}
	checkSummary(t, sum, Summary{Received: 8, Replayed: 4, Inputs: 4, Failed: 4, Left: 4})
}

// A notification SNS dead-lettered is replayed as the SNS event the
// function would have received.
func TestSNSNotificationToLambda(t *testing.T) {
	e := newEnv(t)
	note := map[string]any{"Type": "Notification", "MessageId": "m-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:alarms",
		"Subject": "ALARM", "Message": `{"AlarmName":"ssh"}`, "Timestamp": "2026-11-30T11:00:00.000Z"}
	e.add(mustJSON(t, note))
	sum, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "notify", Backoff: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	invs := e.srv.Lambda.Invocations()
	if len(invs) != 1 {
		t.Fatalf("%d invocations", len(invs))
	}
	var ev struct {
		Records []struct {
			EventSource string
			Sns         map[string]any
		}
	}
	if err := json.Unmarshal(invs[0].Payload, &ev); err != nil || len(ev.Records) != 1 || ev.Records[0].EventSource != "aws:sns" ||
		ev.Records[0].Sns["Message"] != note["Message"] || ev.Records[0].Sns["MessageId"] != "m-1" {
		t.Errorf("event %s (%v)", invs[0].Payload, err)
	}
	checkSummary(t, sum, Summary{Received: 1, Replayed: 1, Inputs: 1})
}

// The parts of a split input wait for the others with their visibility
// timeout extended, so no other consumer receives them meanwhile.
func TestHeldPartsVisibilityExtended(t *testing.T) {
	e := newEnv(t)
	e.add(forwarderBody(t, "firehose_refused", "s", 1, 2, "first-"))
	for i := range 20 {
		e.add(forwarderBody(t, "firehose_refused", "f"+strings.Repeat("w", i), 1, 1, "filler\n"))
	}
	e.add(forwarderBody(t, "firehose_refused", "s", 2, 2, "second\n"))
	// Each put takes a minute of the ten-minute timeout.
	e.srv.Firehose.Fault = func(n int) *awsfake.Fault {
		e.clock.Advance(time.Minute)
		return nil
	}
	sink := &FirehoseSink{API: e.firehose, Stream: "fh", Backoff: noSleep}
	sum, err := Run(context.Background(), e.config(sink))
	if err != nil {
		t.Fatal(err)
	}
	got := e.srv.Firehose.Records("fh")
	if len(got) != 21 || string(got[20]) != "first-second\n" {
		t.Errorf("stream got %q", got)
	}
	// Part 2 comes 20 minutes in: without the extension part 1 would
	// have been visible (and received) again.
	if n := e.srv.SQS.ReceiveCounts(queueURL)[0]; n != 1 {
		t.Errorf("the held part was received %d times, want once", n)
	}
	checkSummary(t, sum, Summary{Received: 22, Replayed: 22, Inputs: 21})
}

// A part whose siblings never come is left in the queue, counted as
// incomplete, and its input is not replayed.
func TestIncompleteSplitInputLeft(t *testing.T) {
	e := newEnv(t)
	e.add(forwarderBody(t, "firehose_refused", "s", 1, 3, "a"), forwarderBody(t, "firehose_refused", "s", 3, 3, "c\n"))
	var kinds []Kind
	cfg := e.config(&FirehoseSink{API: e.firehose, Stream: "fh", Backoff: noSleep})
	cfg.Event = func(ev Event) {
		if ev.Outcome == OutcomeHeld {
			kinds = append(kinds, ev.Kind)
		}
	}
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.srv.Firehose.Records("fh"); len(got) != 0 {
		t.Errorf("stream got %q", got)
	}
	// Two held when received, two incomplete at the end.
	if len(kinds) != 4 || kinds[3] != KindForwarderRecords {
		t.Errorf("held events %v", kinds)
	}
	checkSummary(t, sum, Summary{Received: 2, Incomplete: 2, Left: 2})
}

// At the end of a run the messages left are made visible again ten to a
// ChangeMessageVisibilityBatch call, each call on its own: an entry SQS
// fails and a call refused leave those messages hidden, counted in the
// summary with the first error, and the others visible at once.
func TestReleaseInBatchesReportsFailures(t *testing.T) {
	e := newEnv(t)
	for i := range 25 {
		e.add(onFailureBody(t, "b"+strings.Repeat("v", i), payloadN(i)))
	}
	e.srv.SQS.FailEntry = func(op string, n, i int) string {
		if op == "ChangeMessageVisibilityBatch" && n == 1 && i == 3 {
			return "InternalError"
		}
		return ""
	}
	e.srv.SQS.Fault = func(op string, n int) *awsfake.Fault {
		if op == "ChangeMessageVisibilityBatch" && n == 2 {
			return &awsfake.Fault{Status: http.StatusForbidden, Code: "AccessDenied"}
		}
		return nil
	}
	cfg := e.config(nil)
	cfg.DryRun = true
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.srv.SQS.Calls("ChangeMessageVisibilityBatch"); n != 3 {
		t.Errorf("%d ChangeMessageVisibilityBatch calls, want 3 (10, 10 and 5 messages)", n)
	}
	if n := e.srv.SQS.Calls("ChangeMessageVisibility"); n != 0 {
		t.Errorf("%d ChangeMessageVisibility calls, want none", n)
	}
	if sum.Hidden != 6 || !strings.Contains(sum.HiddenError, "InternalError") {
		t.Errorf("hidden %d (%q), want 6: one entry failed and a call of 5 refused", sum.Hidden, sum.HiddenError)
	}
	again, err := Run(context.Background(), cfg)
	if err != nil || again.Received != 19 {
		t.Errorf("a second dry run at once received %d (%v), want the 19 made visible", again.Received, err)
	}
}

// A run that stops while handling the first messages of a receive (a
// systematic failure, or a cancellation) makes the rest of that receive
// visible again too: a second run at once, without waiting for any
// visibility timeout, finds every message left.
func TestStopReleasesTheWholeReceive(t *testing.T) {
	t.Run("systematic failure", func(t *testing.T) {
		e := newEnv(t)
		for i := range 10 {
			e.add(onFailureBody(t, "s"+strings.Repeat("y", i), payloadN(i)))
		}
		e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
			return nil, "", &awsfake.Fault{Status: http.StatusNotFound, Code: "ResourceNotFoundException"}
		}
		sum, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "fwd", Backoff: noSleep}))
		if !errors.Is(err, ErrStopped) || sum.Received != 1 {
			t.Fatalf("err %v, received %d: want a stop at the first message", err, sum.Received)
		}
		cfg := e.config(nil)
		cfg.DryRun = true
		again, err := Run(context.Background(), cfg)
		if err != nil || again.Received != 10 {
			t.Errorf("a dry run at once received %d (%v), want all 10 visible", again.Received, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		e := newEnv(t)
		for i := range 10 {
			e.add(onFailureBody(t, "c"+strings.Repeat("x", i), payloadN(i)))
		}
		sink := &LambdaSink{API: e.lambda, Function: "fwd", Backoff: noSleep}
		ctx, cancel := context.WithCancel(context.Background())
		cfg := e.config(sink)
		cfg.Event = func(ev Event) {
			if ev.Outcome == OutcomeReplayed && ev.Done == 3 {
				cancel()
			}
		}
		if _, err := Run(ctx, cfg); !errors.Is(err, context.Canceled) {
			t.Fatalf("first run: %v, want stopped by the cancellation", err)
		}
		sum, err := Run(context.Background(), e.config(sink))
		if err != nil {
			t.Fatal(err)
		}
		if left := e.srv.SQS.Bodies(queueURL); len(left) != 0 || sum.Left != 0 {
			t.Errorf("%d messages left after the second run (summary %+v)", len(left), sum)
		}
		count := map[int]int{}
		for _, inv := range e.srv.Lambda.Invocations() {
			count[decodeN(t, inv.Payload)]++
		}
		for i := range 10 {
			if count[i] != 1 {
				t.Errorf("payload %d ran %d times, want 1", i, count[i])
			}
		}
	})
}

// cancelAt cancels the run's context as invocation n starts, as Ctrl-C
// while the function runs would, then invokes.
type cancelAt struct {
	LambdaAPI
	n      int
	calls  int
	cancel context.CancelFunc
}

func (c *cancelAt) Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	if c.calls == c.n {
		c.cancel()
	}
	c.calls++
	return c.LambdaAPI.Invoke(ctx, in, optFns...)
}

// A stop (Ctrl-C) during a replay lets that replay finish, deletes its
// message, and stops before the next: the function is not left to finish
// with its message counted failed and kept, to be replayed again by the
// next run.
func TestStopDuringReplayFinishesIt(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		e.add(onFailureBody(t, "k"+strings.Repeat("q", i), payloadN(i)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	sink := &LambdaSink{API: &cancelAt{LambdaAPI: e.lambda, n: 2, cancel: cancel}, Function: "fwd", Backoff: noSleep}
	sum1, err := Run(ctx, e.config(sink))
	if !errors.Is(err, ErrStopped) || !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: %v, want stopped by the cancellation", err)
	}
	if sum1.Replayed != 3 || sum1.Failed != 0 || len(e.srv.Lambda.Invocations()) != 3 {
		t.Errorf("first run %+v after %d invocations, want the third replayed and nothing after it", sum1, len(e.srv.Lambda.Invocations()))
	}
	sum2, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "fwd", Backoff: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	count := map[int]int{}
	for _, inv := range e.srv.Lambda.Invocations() {
		count[decodeN(t, inv.Payload)]++
	}
	for i := range 5 {
		if count[i] != 1 {
			t.Errorf("payload %d ran %d times, want 1", i, count[i])
		}
	}
	if sum2.Replayed != 2 || sum2.Left != 0 {
		t.Errorf("second run %+v, want the other 2 replayed", sum2)
	}
}

// The messages of a receive wait while the ones before them are replayed
// (here each replay takes 110 s of the 10-minute visibility timeout): they
// are hidden again before their visibility ends, so another consumer
// polling meanwhile gets none of them, and every delete takes effect.
func TestWaitingMessagesStayHidden(t *testing.T) {
	e := newEnv(t)
	for i := range 10 {
		e.add(onFailureBody(t, "v"+strings.Repeat("z", i), payloadN(i)))
	}
	other := -1
	e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
		e.clock.Advance(110 * time.Second)
		if n == 5 { // 11 minutes in: another consumer polls
			out, err := e.sqs.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10})
			if err != nil {
				t.Error(err)
			} else {
				other = len(out.Messages)
			}
		}
		return []byte(`null`), "", nil
	}
	sum, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "fwd", Backoff: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	if other != 0 {
		t.Errorf("another consumer received %d messages the run held", other)
	}
	if left := e.srv.SQS.Bodies(queueURL); len(left) != 0 {
		t.Errorf("%d messages left though all %d were replayed", len(left), sum.Replayed)
	}
	if n := e.srv.SQS.Calls("ChangeMessageVisibilityBatch"); n < 2 {
		t.Errorf("%d visibility changes", n)
	}
	checkSummary(t, sum, Summary{Received: 10, Replayed: 10, Inputs: 10})
}

// Whether a copy of a replayed input predates the replay (a Lambda retry's
// copy: deleted) or was dead-lettered by the replay itself (kept, never
// replayed in a loop) is decided on SQS's clock only: the local clock
// ahead of SQS's does not turn the replay's own dead letter into an old
// copy, nor does it behind SQS's keep an old copy.
func TestCopiesJudgedOnSQSClock(t *testing.T) {
	line := "2 123 eni-1 10.0.0.1 10.0.0.2 88888888 443 6 1 40 1 2 ACCEPT OK"
	for _, tc := range []struct {
		name             string
		skew             time.Duration // local clock minus SQS's
		redeadLetter     bool          // the replay dead-letters the reject again
		left, duplicates int
	}{
		{name: "local ahead, dead-lettered again", skew: 5 * time.Second, redeadLetter: true, left: 1},
		{name: "local behind, dead-lettered again", skew: -5 * time.Second, redeadLetter: true, left: 1},
		{name: "local ahead, old copy", skew: 5 * time.Second, duplicates: 1},
		{name: "local behind, old copy", skew: -5 * time.Second, duplicates: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.add(indexerBody(t, "index", "ev-3", line))
			if !tc.redeadLetter {
				// A retry's copy, sent before the run, received after the
				// original (in a later receive).
				e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
					e.srv.SQS.Add(queueURL, indexerBody(t, "index", "ev-3", line), e.clock.Now().Add(-30*time.Second))
					return []byte(`null`), "", nil
				}
			} else {
				e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
					e.clock.Advance(time.Second)
					e.srv.SQS.Add(queueURL, indexerBody(t, "index", "ev-3", line), e.clock.Now())
					return []byte(`null`), "", nil
				}
			}
			cfg := e.config(&LambdaSink{API: e.lambda, Function: "idx", Backoff: noSleep})
			cfg.Now = func() time.Time { return e.clock.Now().Add(tc.skew) }
			sum, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(e.srv.Lambda.Invocations()); got != 1 {
				t.Errorf("%d invocations, want 1", got)
			}
			if left := e.srv.SQS.Bodies(queueURL); len(left) != tc.left || sum.Duplicates != tc.duplicates {
				t.Errorf("%d left, %d duplicates; want %d and %d", len(left), sum.Duplicates, tc.left, tc.duplicates)
			}
		})
	}
}

// Two copies of one reject received together go once into the stream's
// invocation; the second copy is deleted as a duplicate when the replay
// succeeds, and left with the original when it fails.
func TestCopiesInOneReceiveSentOnce(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("failed %v", fail), func(t *testing.T) {
			e := newEnv(t)
			b := indexerBody(t, "index", "ev-1", "line one")
			e.add(b, indexerBody(t, "index", "ev-2", "line two"), b)
			var ids []string
			e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
				var ev struct{ AWSLogs struct{ Data string } }
				if err := json.Unmarshal(p, &ev); err != nil {
					t.Fatal(err)
				}
				lp, err := decodeLogs(ev.AWSLogs.Data)
				if err != nil {
					t.Fatal(err)
				}
				for _, ev := range lp.LogEvents {
					ids = append(ids, ev.ID)
				}
				if fail {
					return []byte(`{"errorMessage":"mapping"}`), "Unhandled", nil
				}
				return []byte(`null`), "", nil
			}
			sum, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "idx", Backoff: noSleep}))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(ids, ",") != "ev-1,ev-2" {
				t.Errorf("events sent %v, want ev-1 and ev-2 once", ids)
			}
			want := Summary{Received: 3, Replayed: 2, Inputs: 2, Duplicates: 1}
			if fail {
				want = Summary{Received: 3, Failed: 2, Skipped: 1, Left: 3}
			}
			checkSummary(t, sum, want)
			if left := e.srv.SQS.Bodies(queueURL); len(left) != want.Left {
				t.Errorf("%d left, want %d", len(left), want.Left)
			}
		})
	}
}
