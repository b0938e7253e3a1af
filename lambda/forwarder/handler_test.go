package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/firehose"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

const testStream = "vpc-flow-logs"

// testEnv is a Handler configured from a test environment, sending with the
// real SDK clients to a fakeFirehose and a fakeSQS, with a fake clock for
// its retries.
type testEnv struct {
	h     *Handler
	fake  *fakeFirehose
	sqs   *fakeSQS
	clock *fakeClock
	logs  *syncBuffer
}

func newTestEnv(t *testing.T, script func(n int, records [][]byte) outcome, env map[string]string) *testEnv {
	t.Helper()
	fake := &fakeFirehose{script: script}
	client := fake.start(t)
	fsqs := &fakeSQS{}
	sqsClient := fsqs.start(t)
	vars := map[string]string{
		EnvDeliveryStream:     testStream,
		EnvFlowLogFormat:      flowlog.LogFormat(flowlog.V2Fields()),
		EnvDeadLetterQueueURL: testQueueURL,
		EnvMaxAttempts:        "5",
		EnvCallTimeout:        "30s",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	h := NewHandler(cfg, client, nil, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	h.dlq = &DeadLetterQueue{API: sqsClient, QueueURL: cfg.DeadLetterQueueURL, Sender: h.sender}
	clock := newFakeClock()
	h.sender.Sleep, h.sender.Now = clock.Sleep, clock.Now
	h.sender.Rand = func() float64 { return 0.5 }
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("function logs:\n%s", logs.String())
		}
	})
	return &testEnv{h: h, fake: fake, sqs: fsqs, clock: clock, logs: logs}
}

// unpacked makes the handler send every line as its own record, as the
// forwarder did before packing: the Sender tests below count records and
// batches line by line.
func (e *testEnv) unpacked() *testEnv {
	e.h.maxRecordBytes = 1
	return e
}

// checkAccounting checks that every event of a data payload is counted in
// exactly one place.
func checkAccounting(t *testing.T, st Stats) {
	t.Helper()
	if got := st.DeliveredLines + st.RefusedLines + st.Unsent + st.NotFlowLog + st.Oversize + st.MalformedEvents; got != st.Events {
		t.Errorf("events not accounted for: %d in the payload, %d counted: %+v", st.Events, got, st)
	}
	if st.Lines != st.DeliveredLines+st.RefusedLines+st.Unsent {
		t.Errorf("lines %d != delivered %d + refused %d + unsent %d", st.Lines, st.DeliveredLines, st.RefusedLines, st.Unsent)
	}
}

// invoke runs the handler on p, delivered as CloudWatch Logs does: the
// Lambda event JSON is decoded into events.CloudwatchLogsEvent first.
func (e *testEnv) invoke(t *testing.T, p *cwlogs.Payload) (Stats, error) {
	t.Helper()
	raw, err := cwlogstest.LambdaEvent(p)
	if err != nil {
		t.Fatal(err)
	}
	return e.invokeRaw(t, raw)
}

func (e *testEnv) invokeRaw(t *testing.T, raw []byte) (Stats, error) {
	t.Helper()
	var ev events.CloudwatchLogsEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return e.h.Process(ctx, ev.AWSLogs.Data)
}

// flowLogPayload is a realistic payload of n distinct default-format lines.
func flowLogPayload(n int, seed uint64) *cwlogs.Payload {
	p := cwlogstest.FlowLogPayload(n+n/10+10, seed)
	seen := map[string]bool{}
	events := p.Events[:0]
	for _, e := range p.Events {
		if !seen[e.Message] && len(events) < n {
			seen[e.Message] = true
			events = append(events, e)
		}
	}
	p.Events = events
	return p
}

// records is what the forwarder must send for events: each message and a
// newline.
func records(evs []cwlogs.Event) [][]byte {
	out := make([][]byte, len(evs))
	for i, e := range evs {
		out[i] = []byte(e.Message + "\n")
	}
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// lines returns the JSON log lines with the given msg.
func (s *syncBuffer) lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// joined is the text the forwarder must deliver for events, in order: each
// message and a newline.
func joined(evs []cwlogs.Event) string {
	var sb strings.Builder
	for _, e := range evs {
		sb.WriteString(strings.TrimRight(e.Message, "\r\n"))
		sb.WriteByte('\n')
	}
	return sb.String()
}

// concat is the text of records in order: what Firehose writes to S3.
func concat(recs [][]byte) string {
	return string(bytes.Join(recs, nil))
}

// TestHandlerPacksLines: a 2,000-line payload goes out as one or two
// records, every record a run of whole lines within the 1,000 KiB quota, and
// the records concatenated are the input lines with their newlines, byte
// for byte, in order.
func TestHandlerPacksLines(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fields  []flowlog.Field
		records int
	}{
		{"default format", flowlog.V2Fields(), 1},
		{"all fields", flowlog.Catalog, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, nil, map[string]string{EnvFlowLogFormat: flowlog.LogFormat(tc.fields)})
			p := flowLogPayloadFields(2000, 1, tc.fields)
			st, err := e.invoke(t, p)
			if err != nil {
				t.Fatal(err)
			}
			calls, delivered, violations := e.fake.snapshot()
			if len(violations) > 0 {
				t.Fatal(violations)
			}
			if got, want := concat(delivered), joined(p.Events); got != want {
				t.Fatalf("S3 would hold %d bytes that differ from the %d bytes of input lines", len(got), len(want))
			}
			if len(delivered) != tc.records || len(calls) != 1 || st.Records != tc.records {
				t.Errorf("%d records in %d calls, want %d in 1 (payload %d bytes of lines)", len(delivered), len(calls), tc.records, len(joined(p.Events)))
			}
			for i, r := range delivered {
				if len(r) > MaxRecordBytes || r[len(r)-1] != '\n' {
					t.Errorf("record %d: %d bytes, ends %q", i, len(r), r[len(r)-1])
				}
			}
			if st.Events != 2000 || st.Lines != 2000 || st.DeliveredLines != 2000 || st.DeadLetters != 0 {
				t.Errorf("stats = %+v", st)
			}
			checkAccounting(t, st)
		})
	}
}

// TestPackBoundaries: lines fill a record up to exactly the quota and the
// next line starts a new record; a line of exactly the quota (with its
// newline) goes alone.
func TestPackBoundaries(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	base := flowLogPayload(4, 40)
	line := func(i, size int) string {
		f := strings.Fields(base.Events[i].Message)
		f[2] = "eni-"
		s := strings.Join(f, " ")
		f[2] = "eni-" + strings.Repeat("a", size-len(s)-1) // -1: the newline
		return strings.Join(f, " ")
	}
	half := MaxRecordBytes / 2
	p := &cwlogs.Payload{MessageType: cwlogs.MessageTypeData, LogGroup: cwlogstest.LogGroup, LogStream: "s", Events: []cwlogs.Event{
		{ID: "1", Message: line(0, half)}, {ID: "2", Message: line(1, half)}, // exactly one record
		{ID: "3", Message: line(2, MaxRecordBytes)}, // alone
		{ID: "4", Message: line(3, 200)},
	}}
	st, err := e.invoke(t, p)
	if err != nil {
		t.Fatal(err)
	}
	_, delivered, _ := e.fake.snapshot()
	var sizes []int
	for _, r := range delivered {
		sizes = append(sizes, len(r))
	}
	if fmt.Sprint(sizes) != fmt.Sprint([]int{MaxRecordBytes, MaxRecordBytes, 200}) || concat(delivered) != joined(p.Events) {
		t.Errorf("record sizes %v", sizes)
	}
	checkAccounting(t, st)
}

func TestHandlerDeliversAll(t *testing.T) {
	e := newTestEnv(t, nil, nil).unpacked()
	p := flowLogPayload(2000, 1)
	st, err := e.invoke(t, p)
	if err != nil {
		t.Fatal(err)
	}
	want := records(p.Events)
	e.fake.checkDelivery(t, want, true)
	calls, delivered, _ := e.fake.snapshot()
	if len(calls) != 4 {
		t.Errorf("%d calls, want 4 batches of 500", len(calls))
	}
	for i := range want { // no failures: global order kept too
		if !bytes.Equal(delivered[i], want[i]) {
			t.Fatalf("record %d out of order", i)
		}
	}
	if st.Events != 2000 || st.Records != 2000 || st.Send.Sent != 2000 || st.Send.Failed != 0 || st.Send.Retries != 0 {
		t.Errorf("stats = %+v", st)
	}
	checkAccounting(t, st)
	if len(e.clock.Sleeps()) != 0 {
		t.Errorf("slept %v without failures", e.clock.Sleeps())
	}
	summary := e.logs.lines(t, "payload forwarded")
	if len(summary) != 1 || summary[0]["delivered_lines"] != float64(2000) || summary[0]["log_group"] != cwlogstest.LogGroup ||
		summary[0]["log_stream"] != p.LogStream || summary[0]["level"] != "INFO" {
		t.Errorf("summary log = %v", summary)
	}
}

// TestInvoke calls the Lambda entry point itself with raw events.
func TestInvoke(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	p := flowLogPayload(10, 2)
	event, err := cwlogstest.LambdaEvent(p)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := e.h.Invoke(context.Background(), event); err != nil || out != nil {
		t.Fatal(out, err)
	}
	_, delivered, _ := e.fake.snapshot()
	if concat(delivered) != joined(p.Events) {
		t.Error("delivered text differs from the input")
	}
	// Events without awslogs.data are dead-lettered as they are.
	bad := []string{`{"awslogs":{}}`, `{"awslogs":{"data":42}}`, `not json`, `[]`}
	for _, ev := range bad {
		if _, err := e.h.Invoke(context.Background(), []byte(ev)); err != nil {
			t.Fatalf("%s: %v", ev, err)
		}
	}
	got := reassemble(t, e.sqs.letters(t))[ReasonBadPayload]
	if fmt.Sprint(got) != fmt.Sprint(bad) {
		t.Errorf("dead letters %q, want %q", got, bad)
	}
	for _, l := range e.sqs.letters(t) {
		if !strings.HasPrefix(l.Detail, reasonBadEvent+": ") {
			t.Errorf("detail %q", l.Detail)
		}
	}
}

// TestHandlerBatchBytes sends records big enough that the 4 MiB per call
// quota, not the 500 records, limits the batches, packed or not.
func TestHandlerBatchBytes(t *testing.T) {
	for _, packed := range []bool{false, true} {
		t.Run(fmt.Sprint("packed=", packed), func(t *testing.T) {
			e := newTestEnv(t, nil, nil)
			if !packed {
				e.unpacked()
			}
			p := flowLogPayload(1200, 3)
			for i := range p.Events {
				// Lengthen the interface id (a string field) to about 9 KB.
				f := strings.Fields(p.Events[i].Message)
				f[2] = fmt.Sprintf("eni-%d-%s", i, strings.Repeat("x", 9000))
				p.Events[i].Message = strings.Join(f, " ")
			}
			st, err := e.invoke(t, p)
			if err != nil {
				t.Fatal(err)
			}
			calls, delivered, _ := e.fake.snapshot()
			if !packed {
				e.fake.checkDelivery(t, records(p.Events), true)
			}
			if concat(delivered) != joined(p.Events) {
				t.Fatal("delivered text differs from the input")
			}
			for _, c := range calls {
				size := 0
				for _, r := range c.records {
					size += len(r)
				}
				if size > MaxBatchBytes || len(c.records) > MaxBatchRecords {
					t.Errorf("call of %d records, %d bytes", len(c.records), size)
				}
			}
			if len(calls) != 3 || st.DeliveredLines != 1200 {
				t.Errorf("%d calls, delivered %d; want 3 calls of at most 4 MiB", len(calls), st.DeliveredLines)
			}
			checkAccounting(t, st)
		})
	}
}

// TestHandlerCallFailures injects failures of whole calls, which must be
// retried with backoff until the records are accepted.
func TestHandlerCallFailures(t *testing.T) {
	tests := []struct {
		name string
		fail outcome
	}{
		{"ServiceUnavailableException", throttle("ServiceUnavailableException")},
		{"ThrottlingException", throttle("ThrottlingException")},
		{"LimitExceededException", throttle("LimitExceededException")},
		{"500 InternalFailure", serverError(http.StatusInternalServerError)},
		{"503", serverError(http.StatusServiceUnavailable)},
		{"502 HTML", outcome{status: http.StatusBadGateway, rawBody: "<html>Bad Gateway</html>", dropEntries: -1}},
		{"reset before the answer", outcome{reset: true, dropEntries: -1}},
		{"truncated answer", outcome{truncate: true, dropEntries: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Calls 0 and 1 fail, and call 3 (a retry of the second batch).
			e := newTestEnv(t, func(n int, _ [][]byte) outcome {
				if n == 0 || n == 1 || n == 3 {
					return tc.fail
				}
				return accept()
			}, nil).unpacked()
			p := flowLogPayload(700, 4)
			st, err := e.invoke(t, p)
			if err != nil {
				t.Fatal(err)
			}
			calls, delivered, _ := e.fake.snapshot()
			if tc.fail.truncate {
				// The fake accepted the records of a truncated answer: the
				// retry delivers them again, the one duplicate the protocol
				// cannot rule out.
				if dups := countDuplicates(delivered); dups != 500+500+200 || len(delivered) != 700+dups {
					t.Errorf("%d records delivered, %d duplicates", len(delivered), dups)
				}
			} else {
				e.fake.checkDelivery(t, records(p.Events), true)
			}
			if len(calls) != 5 || st.Send.Calls != 5 || st.Send.Retries != 3 || st.Send.FailedCalls != 3 || st.DeliveredLines != 700 {
				t.Errorf("calls=%d stats=%+v", len(calls), st.Send)
			}
			// Retries re-send the same batch.
			if len(calls[2].records) != 500 || len(calls[4].records) != 200 {
				t.Errorf("batch sizes %d, %d", len(calls[2].records), len(calls[4].records))
			}
			// Backoff with jitter 0.5: 100ms*[0.75], 200ms*[0.75], then a new batch starts over.
			want := []time.Duration{75 * time.Millisecond, 150 * time.Millisecond, 75 * time.Millisecond}
			if got := e.clock.Sleeps(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("sleeps = %v, want %v", got, want)
			}
			checkAccounting(t, st)
		})
	}
}

// countDuplicates counts records delivered more than once.
func countDuplicates(recs [][]byte) int {
	seen := map[string]bool{}
	n := 0
	for _, r := range recs {
		if seen[string(r)] {
			n++
		}
		seen[string(r)] = true
	}
	return n
}

// TestHandlerPartialFailures fails some records of each call: only those are
// sent again, in order, until all are accepted.
func TestHandlerPartialFailures(t *testing.T) {
	e := newTestEnv(t, func(n int, recs [][]byte) outcome {
		if n >= 6 {
			return accept()
		}
		return failRecords(func(i int) string {
			switch {
			case i%3 == 0:
				return "ServiceUnavailableException"
			case i%7 == 0:
				return "InternalFailure"
			}
			return ""
		})
	}, map[string]string{EnvMaxAttempts: "10"}).unpacked()
	p := flowLogPayload(1100, 5)
	st, err := e.invoke(t, p)
	if err != nil {
		t.Fatal(err)
	}
	want := records(p.Events)
	e.fake.checkDelivery(t, want, true)
	calls, _, _ := e.fake.snapshot()
	// Each retry carries exactly the records the previous call rejected.
	for n := 1; n < len(calls); n++ {
		prev, cur := calls[n-1], calls[n]
		var rejected [][]byte
		for i, ok := range prev.accepted {
			if !ok {
				rejected = append(rejected, prev.records[i])
			}
		}
		if len(rejected) > 0 && fmt.Sprint(rejected) != fmt.Sprint(cur.records) {
			t.Fatalf("call %d does not re-send exactly the %d records call %d rejected", n, len(rejected), n-1)
		}
	}
	if st.Send.Sent != 1100 || st.Send.Retries == 0 || st.Send.RecordFailures != st.Send.RetriedRecords {
		t.Errorf("stats = %+v", st.Send)
	}
	checkAccounting(t, st)
}

// TestHandlerErrorCodeWithZeroFailedPutCount: an answer that says
// FailedPutCount 0 but gives some entries an ErrorCode did not accept those
// records; they are sent again.
func TestHandlerErrorCodeWithZeroFailedPutCount(t *testing.T) {
	e := newTestEnv(t, func(n int, recs [][]byte) outcome {
		if n == 0 {
			o := failRecords(func(i int) string {
				if i%2 == 1 {
					return "ServiceUnavailableException"
				}
				return ""
			})
			o.zeroFailedPutCount = true
			return o
		}
		return accept()
	}, nil).unpacked()
	p := flowLogPayload(10, 41)
	st, err := e.invoke(t, p)
	if err != nil {
		t.Fatal(err)
	}
	e.fake.checkDelivery(t, records(p.Events), true)
	calls, _, _ := e.fake.snapshot()
	if len(calls) != 2 || len(calls[1].records) != 5 || st.DeliveredLines != 10 || st.DeadLetters != 0 {
		t.Errorf("%d calls, stats %+v", len(calls), st)
	}
}

// TestHandlerMalformedResponse covers a response that lists fewer entries
// than records were sent: the unlisted records are sent again.
func TestHandlerMalformedResponse(t *testing.T) {
	e := newTestEnv(t, func(n int, recs [][]byte) outcome {
		if n == 0 {
			o := failRecords(func(i int) string {
				if i == 1 {
					return "ServiceUnavailableException"
				}
				return ""
			})
			o.dropEntries = 5
			return o
		}
		return accept()
	}, nil).unpacked()
	p := flowLogPayload(8, 6)
	if _, err := e.invoke(t, p); err != nil {
		t.Fatal(err)
	}
	calls, _, _ := e.fake.snapshot()
	if len(calls) != 2 || len(calls[1].records) != 4 {
		t.Fatalf("calls = %d, retry of %d records, want 1 + 3 unlisted", len(calls), len(calls[1].records))
	}
	// Records 5-7 were accepted by the fake but not reported: resending
	// them is the documented at-least-once behaviour, so check only that
	// everything arrived and no reported record was sent again.
	_, delivered, _ := e.fake.snapshot()
	if len(delivered) != 8+3 {
		t.Fatalf("delivered %d", len(delivered))
	}
}

// refusedText is the text of the ReasonFirehoseRefused dead letters.
func refusedText(t *testing.T, e *testEnv) string {
	t.Helper()
	return strings.Join(reassemble(t, e.sqs.letters(t))[ReasonFirehoseRefused], "")
}

// TestHandlerPersistentFailure: records that are never accepted go to the
// dead-letter queue after the configured attempts, the invocation succeeds,
// and nothing accepted is re-sent.
func TestHandlerPersistentFailure(t *testing.T) {
	t.Run("throttled calls", func(t *testing.T) {
		e := newTestEnv(t, func(int, [][]byte) outcome { return throttle("ServiceUnavailableException") }, map[string]string{EnvMaxAttempts: "3"}).unpacked()
		p := flowLogPayload(700, 7)
		st, err := e.invoke(t, p)
		if err != nil {
			t.Fatalf("err = %v; refused records are dead-lettered", err)
		}
		e.fake.checkDelivery(t, records(p.Events), false)
		if st.Send.Calls != 6 || st.Send.Failed != 700 || st.Send.Sent != 0 || st.RefusedLines != 700 || st.DeliveredLines != 0 {
			t.Errorf("stats = %+v", st)
		}
		if refusedText(t, e) != joined(p.Events) {
			t.Error("dead letters do not hold the refused lines in order")
		}
		letters := e.sqs.letters(t)
		if !strings.Contains(letters[0].Detail, "ServiceUnavailableException") || letters[0].LogGroup != cwlogstest.LogGroup {
			t.Errorf("letter %+v", letters[0])
		}
		checkAccounting(t, st)
		if got := e.logs.lines(t, "payload forwarded with dead letters"); len(got) != 1 || got[0]["refused_lines"] != float64(700) {
			t.Errorf("summary = %v", got)
		}
	})
	t.Run("one record always fails", func(t *testing.T) {
		p := flowLogPayload(600, 8)
		poison := p.Events[123].Message + "\n"
		e := newTestEnv(t, func(n int, recs [][]byte) outcome {
			return failRecords(func(i int) string {
				if string(recs[i]) == poison {
					return "KMS.ThrottlingException"
				}
				return ""
			})
		}, map[string]string{EnvMaxAttempts: "4"}).unpacked()
		st, err := e.invoke(t, p)
		if err != nil {
			t.Fatal(err)
		}
		e.fake.checkDelivery(t, records(p.Events), false)
		_, delivered, _ := e.fake.snapshot()
		if len(delivered) != 599 || st.Send.Sent != 599 || st.Send.Calls != 2+3 || st.RefusedLines != 1 {
			t.Errorf("delivered %d, stats %+v", len(delivered), st)
		}
		if refusedText(t, e) != poison {
			t.Errorf("dead letter %q", refusedText(t, e))
		}
		checkAccounting(t, st)
	})
	t.Run("packed record refused", func(t *testing.T) {
		e := newTestEnv(t, func(int, [][]byte) outcome {
			return failRecords(func(int) string { return "ServiceUnavailableException" })
		}, map[string]string{EnvMaxAttempts: "2"})
		p := flowLogPayload(4000, 9)
		st, err := e.invoke(t, p)
		if err != nil {
			t.Fatal(err)
		}
		// About 400 KB of lines: more than one SQS message, split after
		// whole lines.
		letters := e.sqs.letters(t)
		if len(letters) < 2 || refusedText(t, e) != joined(p.Events) {
			t.Fatalf("%d letters", len(letters))
		}
		for _, l := range letters {
			if !strings.HasSuffix(l.Data, "\n") || l.Lines != 4000 {
				t.Errorf("part %d/%d does not end after a whole line (lines %d)", l.Part, l.Parts, l.Lines)
			}
		}
		checkAccounting(t, st)
	})
}

// TestHandlerDeadline: retries stop before the invocation's deadline, less
// the margin; the records go to the dead-letter queue within the margin.
func TestHandlerDeadline(t *testing.T) {
	e := newTestEnv(t, func(int, [][]byte) outcome { return throttle("ThrottlingException") },
		map[string]string{EnvMaxAttempts: "100", EnvBackoffBase: "1s", EnvBackoffMax: "4s", EnvDeadlineMargin: "3s"}).unpacked()
	p := flowLogPayload(50, 9)
	raw, _ := cwlogstest.LambdaEvent(p)
	var ev events.CloudwatchLogsEvent
	json.Unmarshal(raw, &ev)
	ctx, cancel := context.WithDeadline(context.Background(), e.clock.Now().Add(20*time.Second))
	defer cancel()
	st, err := e.h.Process(ctx, ev.AWSLogs.Data)
	if err != nil {
		t.Fatal(err)
	}
	var slept time.Duration
	for _, d := range e.clock.Sleeps() {
		slept += d
	}
	if slept > 17*time.Second || slept < 10*time.Second {
		t.Errorf("slept %v in all; the budget is 20s - 3s margin", slept)
	}
	if st.Send.Failed != 50 || st.Send.Calls < 4 || st.RefusedLines != 50 {
		t.Errorf("stats = %+v", st)
	}
	if l := e.sqs.letters(t); len(l) != 1 || !strings.Contains(l[0].Detail, errDeadline.Error()) {
		t.Errorf("letters %+v", l)
	}
	e.fake.checkDelivery(t, records(p.Events), false)
}

func TestHandlerNonRetryableError(t *testing.T) {
	e := newTestEnv(t, func(int, [][]byte) outcome {
		return outcome{status: http.StatusBadRequest, errType: "ResourceNotFoundException", dropEntries: -1}
	}, nil).unpacked()
	p := flowLogPayload(900, 10)
	st, err := e.invoke(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Send.Calls != 1 || st.Send.Failed != 900 || len(e.clock.Sleeps()) != 0 {
		t.Errorf("stats = %+v; a non-retryable error must stop at once", st.Send)
	}
	if refusedText(t, e) != joined(p.Events) {
		t.Error("dead letters do not hold every line")
	}
	if l := e.sqs.letters(t); !strings.Contains(l[0].Detail, "ResourceNotFoundException") {
		t.Errorf("detail %q", l[0].Detail)
	}
}

func TestHandlerControlMessage(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	p := &cwlogs.Payload{
		MessageType: cwlogs.MessageTypeControl,
		Owner:       "CloudwatchLogs",
		Events:      []cwlogs.Event{{Timestamp: 1432826855000, Message: "CWL CONTROL MESSAGE: Checking health of destination Firehose."}},
	}
	st, err := e.invoke(t, p)
	if err != nil || !st.Control || st.Records != 0 {
		t.Fatalf("st = %+v, err = %v", st, err)
	}
	if calls, _, _ := e.fake.snapshot(); len(calls) != 0 {
		t.Fatalf("%d calls for a control message", len(calls))
	}
	if len(e.sqs.letters(t)) != 0 {
		t.Error("a control message was dead-lettered")
	}
	if len(e.logs.lines(t, "control message ignored")) != 1 {
		t.Errorf("no log line for the control message")
	}
}

// TestHandlerMalformedPayloads: undecodable payloads go to the dead-letter
// queue as received, with the reason and their source when it can be read;
// the invocation succeeds.
func TestHandlerMalformedPayloads(t *testing.T) {
	good := cwlogs.AppendJSON(nil, flowLogPayload(5, 11))
	gz := gzipBytes(good)
	tests := []struct {
		name, data, reason, group string
	}{
		{"bad base64", "H4sI***", cwlogs.ReasonBase64, ""},
		{"bad gzip", base64.StdEncoding.EncodeToString(good), cwlogs.ReasonGzip, ""},
		{"truncated gzip", base64.StdEncoding.EncodeToString(gz[:len(gz)-9]), cwlogs.ReasonGzip, ""},
		{"bad JSON", base64.StdEncoding.EncodeToString(gzipBytes(good[:len(good)/2])), cwlogs.ReasonJSON, cwlogstest.LogGroup},
		{"not JSON", base64.StdEncoding.EncodeToString(gzipBytes([]byte("2 123456789012 eni-1 ACCEPT OK"))), cwlogs.ReasonJSON, ""},
		{"unknown type", base64.StdEncoding.EncodeToString(gzipBytes([]byte(`{"messageType":"NEW_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"message":"m"}]}`))), "unknown_message_type", "g"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTestEnv(t, nil, nil)
			raw, _ := json.Marshal(map[string]map[string]string{"awslogs": {"data": tc.data}})
			st, err := e.invokeRaw(t, raw)
			if err != nil {
				t.Fatalf("err = %v; a malformed payload must not fail the invocation", err)
			}
			if st.BadPayload != tc.reason || st.LogGroup != tc.group || st.DeadLetters != 1 {
				t.Errorf("stats = %+v, want reason %q group %q", st, tc.reason, tc.group)
			}
			if calls, _, _ := e.fake.snapshot(); len(calls) != 0 {
				t.Errorf("%d calls", len(calls))
			}
			letters := e.sqs.letters(t)
			if len(letters) != 1 || letters[0].Reason != ReasonBadPayload || letters[0].Data != tc.data ||
				letters[0].LogGroup != tc.group || !strings.Contains(letters[0].Detail, tc.reason) {
				t.Errorf("letters = %+v", letters)
			}
			logged := e.logs.lines(t, "malformed payload")
			if len(logged) != 1 || logged[0]["malformed_payloads"] != float64(1) || logged[0]["log_group"] != tc.group || logged[0]["dead_letters"] != float64(1) {
				t.Errorf("summary = %v", logged)
			}
		})
	}
}

// TestHandlerMixedEvents: malformed events, lines that are not flow log
// records and oversize lines are dead-lettered with their reason and the
// original; the good events of the same payload still go out, in order.
func TestHandlerMixedEvents(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	good := flowLogPayload(30, 12)
	var evs []cwlogs.Event
	var want []cwlogs.Event
	huge := strings.Fields(good.Events[0].Message)
	huge[2] = "eni-" + strings.Repeat("f", MaxRecordBytes)
	bad := []string{
		"START RequestId: 1234 Version: $LATEST",
		"2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.23 52.94.133.131 49152 443 6 12 2345 1718000040 ACCEPT OK", // a field short
		"2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.999 52.94.133.131 49152 443 6 12 2345 1718000040 1718000095 ACCEPT OK",
		"2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.23 52.94.133.131 49152 https 6 12 2345 1718000040 1718000095 ACCEPT OK",
		"2 123456789012 eni-0a1b2c3d4e5f67890\n10.0.1.23 52.94.133.131 49152 443 6 12 2345 1718000040 1718000095 ACCEPT OK",
		"",
		"caf\xe9 \x00 not UTF-8",
	}
	for i, ev := range good.Events {
		evs = append(evs, ev)
		want = append(want, ev)
		if i < len(bad) {
			evs = append(evs, cwlogs.Event{ID: fmt.Sprintf("bad-%d", i), Timestamp: ev.Timestamp, Message: bad[i]})
		}
	}
	// A trailing newline is not doubled.
	evs[0].Message += "\n"
	evs = append(evs, cwlogs.Event{ID: "huge", Message: strings.Join(huge, " ")})
	good.Events = evs
	js := cwlogs.AppendJSON(nil, good)
	// Two malformed events the encoder cannot produce.
	js = bytes.Replace(js, []byte(`"logEvents":[`), []byte(`"logEvents":[{"id":"no-message","timestamp":1},{"id":"numeric","message":42},`), 1)
	data := base64.StdEncoding.EncodeToString(gzipBytes(js))
	raw, _ := json.Marshal(map[string]map[string]string{"awslogs": {"data": data}})

	st, err := e.invokeRaw(t, raw)
	if err != nil {
		t.Fatal(err)
	}
	_, delivered, _ := e.fake.snapshot()
	if concat(delivered) != joined(want) {
		t.Errorf("delivered %q", concat(delivered))
	}
	if st.Events != 30+len(bad)+1+2 || st.MalformedEvents != 2 || st.NotFlowLog != len(bad) || st.Oversize != 1 || st.DeliveredLines != 30 {
		t.Errorf("stats = %+v", st)
	}
	checkAccounting(t, st)
	got := reassemble(t, e.sqs.letters(t))
	// The line with a line break has its own letter; the others share one.
	var wantBad []string
	for _, b := range bad {
		if !strings.Contains(b, "\n") {
			wantBad = append(wantBad, b+"\n")
		}
	}
	notFlow := got[ReasonNotFlowLog]
	if len(notFlow) != 2 || notFlow[1] != strings.Join(wantBad, "") || notFlow[0] != bad[4]+"\n" {
		t.Errorf("not-flow-log letters %q", notFlow)
	}
	if o := got[ReasonOversize]; len(o) != 1 || o[0] != strings.Join(huge, " ")+"\n" {
		t.Errorf("oversize letters: %d", len(o))
	}
	if m := got[ReasonMalformedEvents]; len(m) != 1 || m[0] != data {
		t.Errorf("malformed-events letters %q", m)
	}
	for _, l := range e.sqs.letters(t) {
		if l.Reason == ReasonMalformedEvents && !strings.Contains(l.Detail, `0: log event has no "message"`) {
			t.Errorf("detail %q", l.Detail)
		}
	}
	if m := e.logs.lines(t, "malformed log event: dead-lettered with its payload"); len(m) != 2 || m[1]["event_id"] != "numeric" {
		t.Errorf("malformed logs = %v", m)
	}
	summary := e.logs.lines(t, "payload forwarded with dead letters")
	if len(summary) != 1 || summary[0]["not_flow_log"] != float64(len(bad)) || summary[0]["malformed_events"] != float64(2) ||
		summary[0]["oversize"] != float64(1) || summary[0]["dead_letters"] != float64(len(e.sqs.letters(t))) {
		t.Errorf("summary = %v", summary)
	}
}

// TestHandlerLogFlood: a misconfigured format logs a bounded number of lines
// and dead-letters the lines in as few messages as fit.
func TestHandlerLogFlood(t *testing.T) {
	v3 := flowlog.LogFormat(append(flowlog.V2Fields(), flowlog.Catalog[14])) // + vpc-id
	e := newTestEnv(t, nil, map[string]string{EnvFlowLogFormat: v3})
	p := flowLogPayload(500, 13)
	st, err := e.invoke(t, p)
	if err != nil || st.NotFlowLog != 500 || st.Records != 0 {
		t.Fatalf("st = %+v, err = %v", st, err)
	}
	if n := len(e.logs.lines(t, "log event is not a flow log record: dead-lettered")); n != maxDetailLogs {
		t.Errorf("%d detail lines, want %d", n, maxDetailLogs)
	}
	if calls, _, _ := e.fake.snapshot(); len(calls) != 0 {
		t.Errorf("%d calls with nothing to send", len(calls))
	}
	if got := reassemble(t, e.sqs.letters(t))[ReasonNotFlowLog]; len(got) != 1 || got[0] != joined(p.Events) || st.DeadLetters != 1 {
		t.Errorf("%d letters", st.DeadLetters)
	}
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// memoryDLQ keeps dead letters in memory.
type memoryDLQ struct{ bodies []string }

func (m *memoryDLQ) Write(_ context.Context, bodies []string) error {
	m.bodies = append(m.bodies, bodies...)
	return nil
}

// BenchmarkHandler measures the function's own work on a realistic payload:
// decode, flow log validation and packing, with a Firehose that accepts
// everything in memory (no HTTP, no SDK serialisation).
func BenchmarkHandler(b *testing.B) {
	p := cwlogstest.FlowLogPayload(2000, 1)
	data, err := cwlogs.EncodeString(p)
	if err != nil {
		b.Fatal(err)
	}
	h := NewHandler(benchConfig(b, flowlog.V2Fields()), acceptAll{}, &memoryDLQ{}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	b.SetBytes(int64(len(cwlogs.AppendJSON(nil, p))))
	b.ReportAllocs()
	for b.Loop() {
		st, err := h.Process(ctx, data)
		if err != nil || st.DeliveredLines != 2000 {
			b.Fatalf("%+v %v", st, err)
		}
	}
	b.ReportMetric(testing.AllocsPerRun(5, func() { h.Process(ctx, data) })/2000, "allocs/record")
}

func benchConfig(tb testing.TB, fields []flowlog.Field) Config {
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{EnvDeliveryStream: testStream, EnvFlowLogFormat: flowlog.LogFormat(fields), EnvDeadLetterQueueURL: testQueueURL}[k]
	})
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// recordingAPI accepts everything and keeps the records.
type recordingAPI struct{ records [][]byte }

func (r *recordingAPI) PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, _ ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	for _, rec := range in.Records {
		r.records = append(r.records, bytes.Clone(rec.Data))
	}
	return acceptAll{}.PutRecordBatch(ctx, in)
}

// FuzzProcess feeds arbitrary payload documents to the handler: it must not
// panic or fail, every event must be accounted for, every record sent must
// be whole valid flow log lines with their newlines, and every dead letter
// must fit in an SQS message.
//
//	go test -run '^$' -fuzz FuzzProcess -fuzztime 20s -fuzzminimizetime 5s ./lambda/forwarder/
func FuzzProcess(f *testing.F) {
	f.Add(cwlogs.AppendJSON(nil, flowLogPayload(3, 1)))
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"2 1 eni-1 - - - - - - - 1 2 - NODATA\r\n"},{"message":"x\ny"},{"id":3}]}`))
	f.Add([]byte(`{"messageType":"CONTROL_MESSAGE"}`))
	fields := flowlog.V2Fields()
	parser := flowlog.NewParser(fields)
	api := &recordingAPI{}
	dlq := &memoryDLQ{}
	h := NewHandler(Config{StreamName: testStream, Fields: fields, Send: DefaultSendConfig()}, api, dlq, slog.New(slog.DiscardHandler))
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	f.Fuzz(func(t *testing.T, js []byte) {
		api.records, dlq.bodies = api.records[:0], dlq.bodies[:0]
		buf.Reset()
		zw.Reset(&buf)
		zw.Write(js)
		zw.Close()
		st, err := h.Process(context.Background(), base64.StdEncoding.EncodeToString(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if st.BadPayload == "" && !st.Control {
			checkAccounting(t, st)
		}
		if len(api.records) != st.Records || st.DeliveredLines != st.Lines {
			t.Fatalf("sent %d records, stats %+v", len(api.records), st)
		}
		var rec flowlog.Record
		for _, r := range api.records {
			if len(r) > MaxRecordBytes {
				t.Fatalf("record of %d bytes", len(r))
			}
			for _, line := range strings.SplitAfter(string(r), "\n") {
				if line == "" {
					continue
				}
				l, ok := strings.CutSuffix(line, "\n")
				if !ok || strings.ContainsAny(l, "\r\n") || parser.ParseInto(l, &rec) != nil {
					t.Fatalf("bad line %q", line)
				}
			}
		}
		for _, b := range dlq.bodies {
			if len(b) > MaxDeadLetterBytes || !validSQSText(b) {
				t.Fatalf("dead letter of %d bytes", len(b))
			}
		}
	})
}

// TestLettersCarryTheirEventTimes: each dead letter of lines names the
// earliest and latest timestamp of the events whose lines it holds, so that
// `replay --dry-run` can show them: a refused record's own events (not the
// whole payload's), a not-flow-log line's, an oversize line's.
func TestLettersCarryTheirEventTimes(t *testing.T) {
	p := flowLogPayload(40, 21)
	base := int64(1764806400000)
	for i := range p.Events {
		p.Events[i].Timestamp = base + int64(i)*1000
	}
	// Out of order within the payload: the letter's range is min and max,
	// not first and last.
	p.Events[25].Timestamp = base - 5000
	p.Events[7].Message = "not a flow log line"
	p.Events[12].Message = "START RequestId: 1234"
	huge := strings.Fields(p.Events[9].Message)
	huge[2] = "eni-" + strings.Repeat("f", MaxRecordBytes)
	p.Events[9].Message = strings.Join(huge, " ")
	// Each record holds about 10 lines; Firehose refuses the record that
	// holds event 25's line, every time.
	target := p.Events[25].Message + "\n"
	e := newTestEnv(t, func(n int, recs [][]byte) outcome {
		return failRecords(func(i int) string {
			if strings.Contains(string(recs[i]), target) {
				return "ServiceUnavailableException"
			}
			return ""
		})
	}, map[string]string{EnvMaxAttempts: "2"})
	e.h.maxRecordBytes = 10 * (len(p.Events[0].Message) + 1)
	st, err := e.invoke(t, p)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, st)
	if st.NotFlowLog != 2 || st.Oversize != 1 {
		t.Fatalf("stats = %+v", st)
	}
	var refused *DeadLetter
	letters := e.sqs.letters(t)
	for i, l := range letters {
		switch l.Reason {
		case ReasonFirehoseRefused:
			refused = &letters[i]
		case ReasonNotFlowLog: // events 7 and 12 share one letter
			if l.FirstEventMs != base+7000 || l.LastEventMs != base+12000 {
				t.Errorf("not-flow-log letter: events %d .. %d, want %d .. %d", l.FirstEventMs, l.LastEventMs, base+7000, base+12000)
			}
		case ReasonOversize:
			if l.FirstEventMs != base+9000 || l.LastEventMs != base+9000 {
				t.Errorf("oversize letter: events %d .. %d, want %d", l.FirstEventMs, l.LastEventMs, base+9000)
			}
		}
	}
	if refused == nil {
		t.Fatalf("no refused letter among %+v", letters)
	}
	// The refused lines, found back in the payload, give the range.
	lo, hi := int64(1<<62), int64(0)
	for _, ev := range p.Events {
		if strings.Contains(refused.Data, ev.Message+"\n") {
			lo, hi = min(lo, ev.Timestamp), max(hi, ev.Timestamp)
		}
	}
	if refused.FirstEventMs != lo || refused.LastEventMs != hi || lo != base-5000 {
		t.Errorf("refused letter: events %d .. %d, want %d .. %d", refused.FirstEventMs, refused.LastEventMs, lo, hi)
	}
	if hi >= base+39000 || refused.Lines >= 30 {
		t.Errorf("the refused letter spans the payload (%d lines, last %d), not its record", refused.Lines, hi)
	}
}
