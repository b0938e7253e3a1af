package main

// Edges of the forwarder's bounds and counters that the scenario tests do
// not pin down: each test here kills mutants that lived in `make mutate`
// (docs/testing.md lists them).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// TestSenderBatchBoundsFromConfig: zero batch bounds mean the PutRecordBatch
// quotas, bounds above the quotas are cut to them, and bounds below them are
// kept.
func TestSenderBatchBoundsFromConfig(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		maxRecords, maxBytes int
		n, size              int
		want                 string
	}{
		{"zero means the quotas", 0, 0, 3, 10, "[3]"},
		{"records above the quota", 1000, 0, 600, 10, "[500 100]"},
		{"bytes above the quota", 0, 8 << 20, 5, MaxRecordBytes, "[4 1]"},
		{"fewer records", 2, 0, 5, 10, "[2 2 1]"},
		{"fewer bytes", 0, 25, 5, 10, "[2 2 1]"},
	} {
		var calls []int
		s := testSender(apiFunc(func(_ context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
			calls = append(calls, len(in.Records))
			return acceptAll{}.PutRecordBatch(context.Background(), in)
		}), newFakeClock())
		s.Config.MaxBatchRecords, s.Config.MaxBatchBytes = tc.maxRecords, tc.maxBytes
		res, err := s.Send(context.Background(), makeRecords(tc.n, tc.size))
		if err != nil || res.Sent != tc.n || fmt.Sprint(calls) != tc.want {
			t.Errorf("%s: calls %v, want %s; %+v %v", tc.name, calls, tc.want, res, err)
		}
	}
}

// TestSenderZeroCallTimeoutIsTheDefault: a CallTimeout of zero bounds each
// call by the default (10s), not by an already expired context.
func TestSenderZeroCallTimeoutIsTheDefault(t *testing.T) {
	s := testSender(apiFunc(func(ctx context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if d, ok := ctx.Deadline(); !ok || time.Until(d) < 5*time.Second {
			t.Errorf("call deadline %v (set %v), want about 10s away", time.Until(d), ok)
		}
		return acceptAll{}.PutRecordBatch(ctx, in)
	}), newFakeClock())
	s.Config.CallTimeout, s.Config.MaxAttempts = 0, 1
	if res, err := s.Send(context.Background(), makeRecords(2, 10)); err != nil || res.Sent != 2 {
		t.Fatalf("%+v %v", res, err)
	}
}

// TestSenderNoTimeLeft: an invocation that starts at its deadline makes no
// call; its records fail with errDeadline and nothing else.
func TestSenderNoTimeLeft(t *testing.T) {
	clock := newFakeClock()
	calls := 0
	s := testSender(apiFunc(func(_ context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		calls++
		return acceptAll{}.PutRecordBatch(context.Background(), in)
	}), clock)
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now())
	defer cancel()
	res, err := s.Send(ctx, makeRecords(3, 10))
	var se *SendError
	if calls != 0 || !errors.As(err, &se) || !errors.Is(err, errDeadline) || se.Err != errDeadline || res.Failed != 3 {
		t.Fatalf("calls %d, res %+v, err %v", calls, res, err)
	}
}

// TestSenderCountsPartialFailures: the counters of a Send whose first call
// has two of four records refused, and whose second call takes them.
func TestSenderCountsPartialFailures(t *testing.T) {
	var sent []string
	s := testSender(apiFunc(func(_ context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		out, _ := acceptAll{}.PutRecordBatch(context.Background(), in)
		for i, r := range in.Records {
			sent = append(sent, string(r.Data[:1]))
			if len(in.Records) == 4 && i%2 == 1 {
				out.RequestResponses[i].ErrorCode = aws.String("ServiceUnavailableException")
				out.RequestResponses[i].ErrorMessage = aws.String("Slow down.")
			}
		}
		out.FailedPutCount = aws.Int32(2)
		return out, nil
	}), newFakeClock())
	res, err := s.Send(context.Background(), makeRecords(4, 10))
	want := SendResult{Records: 4, Sent: 4, Calls: 2, Retries: 1, RetriedRecords: 2, RecordFailures: 2}
	if err != nil || res != want || strings.Join(sent, "") != "012313" {
		t.Fatalf("res %+v, want %+v; sent %v; err %v", res, want, sent, err)
	}
}

// TestSenderShortResponse: records the response has no entry for are not
// taken as accepted: they are sent again, and reported as
// MissingResponseEntry when they never are.
func TestSenderShortResponse(t *testing.T) {
	s := testSender(apiFunc(func(_ context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		return &firehose.PutRecordBatchOutput{FailedPutCount: aws.Int32(0), RequestResponses: make([]types.PutRecordBatchResponseEntry, 1)}, nil
	}), newFakeClock())
	s.Config.MaxAttempts = 2
	res, err := s.Send(context.Background(), makeRecords(3, 10))
	var re *RecordError
	if !errors.As(err, &re) || re.Code != "MissingResponseEntry" || re.Count != 1 {
		t.Fatalf("err %v", err)
	}
	// Call 1 takes record 0; call 2 gets records 1 and 2 and takes record 1.
	if res.Sent != 2 || res.Failed != 1 || res.RetriedRecords != 2 || res.RecordFailures != 3 {
		t.Fatalf("res %+v", res)
	}
}

// TestRetryableServerStatus: a 5xx answer is retried even when it carries
// a modelled client error code; a 4xx with such a code is not.
func TestRetryableServerStatus(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   bool
	}{{500, true}, {503, true}, {499, false}, {400, false}} {
		err := responseError(tc.status, apiError("ValidationException", smithy.FaultClient))
		if got := retryableCallError(context.Background(), err); got != tc.want {
			t.Errorf("%d ValidationException: retryable %v, want %v", tc.status, got, tc.want)
		}
	}
}

// TestLoadConfigBounds: every bound of the retry settings is accepted at its
// edge and refused one step past it, and BACKOFF_MAX may equal BACKOFF_BASE.
func TestLoadConfigBounds(t *testing.T) {
	base := map[string]string{EnvDeliveryStream: "s", EnvFlowLogFormat: "${version}", EnvDeadLetterQueueURL: testQueueURL}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, ok := range []map[string]string{
		with(EnvMaxAttempts, "1"), with(EnvMaxAttempts, "100"),
		with(EnvBackoffBase, "1ms", EnvBackoffMax, "1ms"), with(EnvBackoffBase, "1m", EnvBackoffMax, "1m"),
		with(EnvBackoffMax, "5m"),
		with(EnvCallTimeout, "100ms"), with(EnvCallTimeout, "15m"),
		with(EnvDeadlineMargin, "0s"), with(EnvDeadlineMargin, "5m"),
	} {
		if _, err := LoadConfig(env(ok)); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	for _, bad := range []map[string]string{
		with(EnvMaxAttempts, "0"), with(EnvMaxAttempts, "101"),
		with(EnvBackoffBase, "999us", EnvBackoffMax, "1ms"), with(EnvBackoffBase, "61s", EnvBackoffMax, "2m"),
		with(EnvBackoffMax, "5m1s"),
		with(EnvCallTimeout, "99ms"), with(EnvCallTimeout, "15m1s"),
		with(EnvDeadlineMargin, "-1ms"), with(EnvDeadlineMargin, "5m1s"),
		with(EnvBackoffBase, "2ms", EnvBackoffMax, "1ms"),
	} {
		if _, err := LoadConfig(env(bad)); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// TestJSONLenMatchesTheEncoder: jsonLen is the length encodeBody gives a
// rune inside a JSON string, for every ASCII rune and the others it treats
// apart.
func TestJSONLenMatchesTheEncoder(t *testing.T) {
	runes := []rune{'\u0080', 'é', '\u2027', '\u2028', '\u2029', '\u202a', '€', '\uFFFD', '😀'}
	for r := rune(0); r < 0x80; r++ {
		runes = append(runes, r)
	}
	for _, r := range runes {
		b, err := encodeBody(&DeadLetter{Data: string(r)})
		if err != nil {
			t.Fatal(err)
		}
		empty, _ := encodeBody(&DeadLetter{})
		want := len(b) - len(empty)
		if got := jsonLen(r, utf8.RuneLen(r)); got != want {
			t.Errorf("jsonLen(%U) = %d, the encoder writes %d bytes", r, got, want)
		}
	}
}

// TestSplitTextEdges: a piece uses its whole budget, is cut after its last
// newline when it has one, and otherwise on a rune boundary.
func TestSplitTextEdges(t *testing.T) {
	for _, tc := range []struct {
		s      string
		budget int
		want   []string
	}{
		{"", 4, []string{""}},
		{"abcdef", 3, []string{"abc", "def"}},
		{"abcdefg", 3, []string{"abc", "def", "g"}},
		{"a\nbcd", 4, []string{"a\n", "bcd"}},             // "\n" is 2 bytes in JSON
		{"ab\ncd\nef", 5, []string{"ab\n", "cd\n", "ef"}}, // cut after the newline, not at 5
		{"aé", 2, []string{"a", "é"}},                     // é is 2 bytes: no room after a
		{"a\"b", 3, []string{"a\"", "b"}},
	} {
		if got := splitText(tc.s, tc.budget); fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("splitText(%q, %d) = %q, want %q", tc.s, tc.budget, got, tc.want)
		}
	}
}

// TestCapTextEdges: text of exactly n bytes is kept whole; one byte more
// is cut to n bytes, on a rune boundary, ending in TruncatedMarker.
func TestCapTextEdges(t *testing.T) {
	n := len(TruncatedMarker) + 6
	for _, tc := range []struct{ in, want string }{
		{strings.Repeat("a", n), strings.Repeat("a", n)},
		{strings.Repeat("a", n+1), strings.Repeat("a", 6) + TruncatedMarker},
		{"a" + strings.Repeat("é", n), "aéé" + TruncatedMarker}, // byte 6 is inside an é
		{"\xff" + strings.Repeat("a", n-3), "\uFFFD" + strings.Repeat("a", n-3)},
	} {
		if got := capText(tc.in, n); got != tc.want || len(got) > n {
			t.Errorf("capText(%q, %d) = %q, want %q", tc.in, n, got, tc.want)
		}
	}
}

// sqsFunc adapts a function to SQSAPI, for tests without HTTP.
type sqsFunc func(ctx context.Context, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)

func (f sqsFunc) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return f(ctx, in)
}

// sqsAll answers every entry of in: failed with code if code is not "",
// else successful.
func sqsAll(in *sqs.SendMessageBatchInput, code string) *sqs.SendMessageBatchOutput {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		if code != "" {
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id, Code: aws.String(code), Message: aws.String("m")})
		} else {
			out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
		}
	}
	return out
}

// TestDeadLetterQueueFullBatch: messages that add up to exactly 256 KiB go
// in one SendMessageBatch call: "the maximum total payload size (the sum of
// the individual lengths of all of the batched messages)" is 256 KiB.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
func TestDeadLetterQueueFullBatch(t *testing.T) {
	q, f, _ := dlqEnv(t, nil)
	bodies := make([]string, 4)
	for i := range bodies {
		bodies[i] = `{"n":"` + strings.Repeat("x", sqsMaxBatchBytes/4-8) + `"}`
	}
	if err := q.Write(context.Background(), bodies); err != nil {
		t.Fatal(err)
	}
	if f.calls != 1 || len(f.violations) != 0 || len(f.messages) != 4 {
		t.Errorf("%d calls, %d messages, violations %v", f.calls, len(f.messages), f.violations)
	}
}

// TestDeadLetterQueueFailedEntriesNamed: when SQS keeps failing entries
// the error names SQS's code.
func TestDeadLetterQueueFailedEntriesNamed(t *testing.T) {
	calls := 0
	q := &DeadLetterQueue{API: sqsFunc(func(_ context.Context, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		calls++
		return sqsAll(in, "InternalError"), nil
	}), QueueURL: testQueueURL, Sender: testSender(acceptAll{}, newFakeClock())}
	q.Sender.Config.MaxAttempts = 3
	logs := &syncBuffer{}
	q.Sender.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	err := q.Write(context.Background(), []string{"a", "b"})
	if !errors.Is(err, errDeadLetter) || !strings.Contains(err.Error(), "SQS failed 2 messages, e.g. InternalError") || calls != 3 {
		t.Fatalf("%d calls, err %v", calls, err)
	}
	// Each retry's debug line numbers the attempt it announces.
	if r := logs.lines(t, "retrying SendMessageBatch"); len(r) != 2 || r[0]["attempt"] != float64(2) || r[1]["attempt"] != float64(3) {
		t.Errorf("retry log lines %v", r)
	}
}

// TestDeadLetterQueueCancelled: once the invocation is cancelled, the
// batches not yet written count as failed without being tried.
func TestDeadLetterQueueCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	q := &DeadLetterQueue{API: sqsFunc(func(_ context.Context, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		calls++
		cancel()
		return nil, errThrottled
	}), QueueURL: testQueueURL, Sender: testSender(acceptAll{}, newFakeClock())}
	bodies := make([]string, 25)
	for i := range bodies {
		bodies[i] = fmt.Sprintf(`{"n":%d}`, i)
	}
	err := q.Write(ctx, bodies)
	if !errors.Is(err, errDeadLetter) || !strings.Contains(err.Error(), "25 of 25 messages") || calls != 1 {
		t.Fatalf("%d calls, err %v", calls, err)
	}
}

// TestDeadLetterQueueDeadline: the DLQ keeps dlqReserve free before the
// invocation's deadline: no call when less is left, and no backoff that
// would reach into it.
func TestDeadLetterQueueDeadline(t *testing.T) {
	for _, tc := range []struct {
		name      string
		left      time.Duration
		wantCalls int
	}{
		{"only the reserve left", 200 * time.Millisecond, 0}, // dlqReserve
		// 40ms to work: one call, then the 50ms backoff would reach into the reserve.
		{"backoff into the reserve", dlqReserve + 40*time.Millisecond, 1},
	} {
		clock := newFakeClock()
		calls := 0
		q := &DeadLetterQueue{API: sqsFunc(func(_ context.Context, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			calls++
			return nil, errThrottled
		}), QueueURL: testQueueURL, Sender: testSender(acceptAll{}, clock)}
		ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(tc.left))
		err := q.Write(ctx, []string{"a"})
		cancel()
		if !errors.Is(err, errDeadline) || calls != tc.wantCalls || len(clock.Sleeps()) != 0 {
			t.Errorf("%s: %d calls, sleeps %v, err %v", tc.name, calls, clock.Sleeps(), err)
		}
	}
}

// TestDeadLetterQueueZeroCallTimeout: a CallTimeout of zero bounds each
// SendMessageBatch call by the default, not by an expired context.
func TestDeadLetterQueueZeroCallTimeout(t *testing.T) {
	q := &DeadLetterQueue{API: sqsFunc(func(ctx context.Context, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return sqsAll(in, ""), nil
	}), QueueURL: testQueueURL, Sender: testSender(acceptAll{}, newFakeClock())}
	q.Sender.Config.CallTimeout, q.Sender.Config.MaxAttempts = 0, 1
	if err := q.Write(context.Background(), []string{"a"}); err != nil {
		t.Fatal(err)
	}
}

// TestHandlerLineAtTheRecordQuota: a flow log line that fills a Firehose
// record exactly with its newline is delivered; one byte more is
// dead-lettered as oversize.
func TestHandlerLineAtTheRecordQuota(t *testing.T) {
	fields := strings.Fields(flowLogPayload(1, 3).Events[0].Message)
	line := func(size int) string {
		f := append([]string(nil), fields...)
		f[2] = ""
		rest := len(strings.Join(f, " "))
		f[2] = "eni-" + strings.Repeat("f", size-rest-len("eni-"))
		return strings.Join(f, " ")
	}
	for _, tc := range []struct {
		size                int
		delivered, oversize int
	}{{MaxRecordBytes - 1, 1, 0}, {MaxRecordBytes, 0, 1}} {
		e := newTestEnv(t, nil, nil)
		l := line(tc.size)
		if len(l) != tc.size {
			t.Fatalf("line of %d bytes, want %d", len(l), tc.size)
		}
		p := flowLogPayload(1, 3)
		p.Events[0].Message = l
		st, err := e.invoke(t, p)
		if err != nil || st.DeliveredLines != tc.delivered || st.Oversize != tc.oversize {
			t.Errorf("line of %d bytes: stats %+v, err %v", tc.size, st, err)
		}
		if _, err := flowlog.NewParser(flowlog.V2Fields()).Parse(l); err != nil {
			t.Errorf("line of %d bytes does not parse: %v", tc.size, err)
		}
	}
}

// TestMakeLettersSmallestLimit: a limit that leaves exactly 64 bytes for
// data after the widest header works; one byte less is refused.
func TestMakeLettersSmallestLimit(t *testing.T) {
	data := "abc"
	probe := DeadLetter{Reason: ReasonOversize, ID: strings.Repeat("0", 24), Part: len(data) + 1, Parts: len(data) + 1, Encoding: EncodingText}
	head, err := encodeBody(&probe)
	if err != nil {
		t.Fatal(err)
	}
	if bodies, err := makeLetters(DeadLetter{Reason: ReasonOversize}, data, len(head)+64); err != nil || len(bodies) != 1 {
		t.Errorf("limit %d (64 for data): %d bodies, err %v", len(head)+64, len(bodies), err)
	}
	if _, err := makeLetters(DeadLetter{Reason: ReasonOversize}, data, len(head)+63); err == nil {
		t.Errorf("limit %d (63 for data): no error", len(head)+63)
	}
}

// TestTruncateForLogs: a line of exactly n bytes is logged whole; a longer
// one is cut to n bytes and marked.
func TestTruncateForLogs(t *testing.T) {
	if got := truncate("abcd", 4); got != "abcd" {
		t.Errorf("truncate(abcd, 4) = %q", got)
	}
	if got := truncate("abcde", 4); got != "abcd..." {
		t.Errorf("truncate(abcde, 4) = %q", got)
	}
}

// TestHandlerNotFlowLogDetail: the not-flow-log letter's detail names the
// first bad event, and says how many lines it stands for only when there
// are several.
func TestHandlerNotFlowLogDetail(t *testing.T) {
	for _, tc := range []struct {
		bad        int
		wantSuffix string
	}{{1, ""}, {3, " (first of 3 lines)"}} {
		e := newTestEnv(t, nil, nil)
		p := flowLogPayload(2, 5)
		for i := range tc.bad {
			p.Events = append(p.Events, p.Events[0])
			p.Events[len(p.Events)-1].ID = fmt.Sprintf("bad-%d", i)
			p.Events[len(p.Events)-1].Message = "not a flow log"
		}
		if _, err := e.invoke(t, p); err != nil {
			t.Fatal(err)
		}
		letters := e.sqs.letters(t)
		if len(letters) != 1 || letters[0].Reason != ReasonNotFlowLog || letters[0].Lines != tc.bad ||
			!strings.HasPrefix(letters[0].Detail, "event bad-0: ") || strings.Contains(letters[0].Detail, "first of") != (tc.bad > 1) ||
			(tc.bad > 1 && !strings.HasSuffix(letters[0].Detail, tc.wantSuffix)) {
			t.Errorf("%d bad lines: letters %+v", tc.bad, letters)
		}
	}
}

// TestKinesisJustEnoughTime: with exactly twice the deadline margin left,
// the forwarder is not low on time and handles every record.
func TestKinesisJustEnoughTime(t *testing.T) {
	e := newTestEnv(t, nil, map[string]string{EnvDeadlineMargin: "3s"})
	recs := kinesisRecords(t, flowLogPayload(5, 8), flowLogPayload(5, 9))
	event, _ := cwlogstest.KinesisEventOf(recs)
	ctx, cancel := context.WithDeadline(context.Background(), e.clock.Now().Add(6*time.Second))
	defer cancel()
	resp, err := e.invokeKinesis(t, ctx, event)
	if err != nil || len(failures(resp)) != 0 {
		t.Fatalf("failures %v, err %v", failures(resp), err)
	}
	_, delivered, _ := e.fake.snapshot()
	if concat(delivered) != joined(flowLogPayload(5, 8).Events)+joined(flowLogPayload(5, 9).Events) {
		t.Error("want both records delivered")
	}
}

// TestPutScratchKeepsBoundedBuffers: buffers of up to maxScratchBytes (and
// up to maxScratchBytes/64 record slices) are kept for the next invocation,
// emptied and holding no reference into the last payload; bigger ones are
// dropped.
func TestPutScratchKeepsBoundedBuffers(t *testing.T) {
	h := NewHandler(Config{}, acceptAll{}, nil, nil)
	line := []byte("line\n")
	for _, tc := range []struct {
		name              string
		buf, bad, records int // capacities
		keepBuf, keepBad  bool
		keepRecords       bool
	}{
		{"at the bounds", maxScratchBytes, maxScratchBytes, maxScratchBytes / 64, true, true, true},
		{"over the bounds", maxScratchBytes + 1, maxScratchBytes + 1, maxScratchBytes/64 + 1, false, false, false},
		{"small", 16, 16, 2, true, true, true},
	} {
		sc := &scratch{buf: make([]byte, 5, tc.buf), bad: make([]byte, 3, tc.bad), records: make([][]byte, 2, tc.records)}
		sc.records[0], sc.records[1] = line, line
		recs := sc.records
		h.putScratch(sc)
		if recs[0] != nil || recs[1] != nil {
			t.Errorf("%s: the records still reference the payload", tc.name)
		}
		if (cap(sc.buf) == tc.buf) != tc.keepBuf || (cap(sc.bad) == tc.bad) != tc.keepBad || (cap(sc.records) == tc.records) != tc.keepRecords ||
			len(sc.buf) != 0 || len(sc.bad) != 0 || len(sc.records) != 0 {
			t.Errorf("%s: kept buf %d/%d, bad %d/%d, records %d/%d", tc.name, len(sc.buf), cap(sc.buf), len(sc.bad), cap(sc.bad), len(sc.records), cap(sc.records))
		}
	}
}

// TestHandlerWithoutDeadLetterQueue: a handler without a dead-letter queue
// forwards a clean payload without touching the queue, and fails a payload
// with something to dead-letter instead of calling a nil queue.
func TestHandlerWithoutDeadLetterQueue(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	e.h.dlq = nil
	st, err := e.invoke(t, flowLogPayload(3, 11))
	if err != nil || st.DeliveredLines != 3 || st.DeadLetterError {
		t.Fatalf("clean payload: stats %+v, err %v", st, err)
	}
	p := flowLogPayload(3, 12)
	p.Events[1].Message = "not a flow log"
	st, err = e.invoke(t, p)
	if err == nil || !strings.Contains(err.Error(), "no dead-letter queue configured") || !st.DeadLetterError || st.Unsent != 2 {
		t.Fatalf("payload with a bad line: stats %+v, err %v", st, err)
	}
	// The summary line carries the error only when there is one.
	ok, failed := e.logs.lines(t, "payload forwarded"), e.logs.lines(t, "dead letters not written")
	if _, has := ok[0]["error"]; len(ok) != 1 || has {
		t.Errorf("summary of the clean payload: %v", ok)
	}
	if len(failed) != 1 || !strings.Contains(fmt.Sprint(failed[0]["error"]), "no dead-letter queue configured") {
		t.Errorf("summary of the failed payload: %v", failed)
	}
}

// TestMalformedDetailFillsItsCap: the list of malformed events stops once
// the detail holds MaxDetailBytes; a detail that reaches the cap exactly is
// kept whole, without TruncatedMarker.
func TestMalformedDetailFillsItsCap(t *testing.T) {
	h := NewHandler(Config{}, acceptAll{}, nil, slog.New(slog.DiscardHandler))
	detail := func(reason0 string) string {
		p := &cwlogs.Payload{Malformed: []cwlogs.MalformedEvent{{Index: 0, Reason: reason0}, {Index: 1, Reason: "b"}}}
		l := &letters{}
		h.malformed(p, &Stats{}, "data", l)
		if l.err != nil || len(l.bodies) != 1 {
			t.Fatalf("letters %d, err %v", len(l.bodies), l.err)
		}
		var d DeadLetter
		if err := json.Unmarshal([]byte(l.bodies[0]), &d); err != nil {
			t.Fatal(err)
		}
		return d.Detail
	}
	short := detail("a")
	head := len(short) - len(" 0: a; 1: b;")
	reason := strings.Repeat("r", MaxDetailBytes-head-len(" 0: ;"))
	if got := detail(reason); len(got) != MaxDetailBytes || !strings.HasSuffix(got, " 0: "+reason+";") {
		t.Errorf("detail of %d bytes ending %q, want the first event only, %d bytes", len(got), got[max(len(got)-20, 0):], MaxDetailBytes)
	}
}

// TestDetailLogsPerKind: of eleven malformed events, and of eleven lines
// too big for a record, maxDetailLogs are logged one by one; the rest are
// only counted.
func TestDetailLogsPerKind(t *testing.T) {
	logs := &syncBuffer{}
	h := NewHandler(Config{Fields: flowlog.V2Fields()}, acceptAll{}, nil, slog.New(slog.NewJSONHandler(logs, nil)))
	fields := strings.Fields(flowLogPayload(1, 3).Events[0].Message)
	fields[2] = "eni-" + strings.Repeat("f", MaxRecordBytes)
	big := strings.Join(fields, " ")
	p := &cwlogs.Payload{MessageType: cwlogs.MessageTypeData}
	for i := range maxDetailLogs + 1 {
		p.Malformed = append(p.Malformed, cwlogs.MalformedEvent{Index: 2 * i, Reason: "no message"})
		p.Events = append(p.Events, cwlogs.Event{ID: fmt.Sprint(i), Message: big})
	}
	st, l := &Stats{}, &letters{}
	h.malformed(p, st, "data", l)
	sc := h.scratch.Get().(*scratch)
	h.records(p, st, sc, l)
	if st.MalformedEvents != maxDetailLogs+1 || st.Oversize != maxDetailLogs+1 || l.err != nil {
		t.Fatalf("stats %+v, err %v", st, l.err)
	}
	for _, msg := range []string{"malformed log event: dead-lettered with its payload", "flow log line too big for a Firehose record: dead-lettered"} {
		if n := len(logs.lines(t, msg)); n != maxDetailLogs {
			t.Errorf("%q: %d lines, want %d", msg, n, maxDetailLogs)
		}
	}
	// The size of an oversize line is counted with its newline, in the log
	// and in the letter.
	if o := logs.lines(t, "flow log line too big for a Firehose record: dead-lettered"); len(o) == 0 || o[0]["bytes"] != float64(len(big)+1) {
		t.Errorf("oversize log %v, want bytes %d", o[:min(len(o), 1)], len(big)+1)
	}
	var d DeadLetter
	if err := json.Unmarshal([]byte(l.bodies[1]), &d); err != nil || d.Reason != ReasonOversize ||
		!strings.HasPrefix(d.Detail, fmt.Sprintf("event 0: %d bytes with its newline", len(big)+1)) {
		t.Errorf("first oversize letter: %s %q, err %v", d.Reason, d.Detail, err)
	}
}

// TestRecordsBufferSizedOnce: the lines are packed into one buffer
// allocated at their exact size and AppendLine's room after the last one
// (so that it is never grown, and copied, mid-payload), and a scratch
// buffer of exactly that size is reused rather than replaced.
func TestRecordsBufferSizedOnce(t *testing.T) {
	h := NewHandler(Config{Fields: flowlog.V2Fields()}, acceptAll{}, nil, slog.New(slog.DiscardHandler))
	p := flowLogPayload(20, 14)
	size := 0
	for _, e := range p.Events {
		size += len(e.Message) + 1
	}
	sc := &scratch{}
	h.records(p, &Stats{}, sc, &letters{})
	if len(sc.buf) != size || cap(sc.buf) != size+flowlog.AppendLineRoom {
		t.Errorf("buffer of %d bytes, capacity %d, want %d and %d", len(sc.buf), cap(sc.buf), size, size+flowlog.AppendLineRoom)
	}
	buf := make([]byte, 0, size+flowlog.AppendLineRoom)
	sc = &scratch{buf: buf}
	h.records(p, &Stats{}, sc, &letters{})
	if &sc.buf[:1][0] != &buf[:1][0] {
		t.Error("a scratch buffer of exactly the size needed was replaced")
	}
}

// TestPackOneByteOver: two lines that fill a record but for one byte
// make two records.
func TestPackOneByteOver(t *testing.T) {
	h := NewHandler(Config{Fields: flowlog.V2Fields()}, acceptAll{}, nil, slog.New(slog.DiscardHandler))
	h.maxRecordBytes = 1000
	base := flowLogPayload(2, 15)
	line := func(i, size int) string { // size with the newline
		f := strings.Fields(base.Events[i].Message)
		f[2] = "eni-"
		f[2] += strings.Repeat("a", size-len(strings.Join(f, " "))-1)
		return strings.Join(f, " ")
	}
	p := &cwlogs.Payload{MessageType: cwlogs.MessageTypeData, Events: []cwlogs.Event{{ID: "1", Message: line(0, 500)}, {ID: "2", Message: line(1, 501)}}}
	records := h.records(p, &Stats{}, &scratch{}, &letters{})
	if len(records) != 2 || len(records[0]) != 500 || len(records[1]) != 501 {
		t.Errorf("%d records for lines of 500 and 501 bytes in records of at most 1000", len(records))
	}
}

// TestHandlerLeadingLineBreak: a line break at the very start of a message
// is a line break too: the line is dead-lettered in its own letter.
func TestHandlerLeadingLineBreak(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	p := flowLogPayload(3, 16)
	p.Events[0].Message = "\n" + p.Events[0].Message
	p.Events[1].Message = "\r" + p.Events[1].Message
	st, err := e.invoke(t, p)
	if err != nil || st.NotFlowLog != 2 || st.DeliveredLines != 1 {
		t.Fatalf("stats %+v, err %v", st, err)
	}
	letters := e.sqs.letters(t)
	if len(letters) != 2 {
		t.Fatalf("%d letters, want one per line", len(letters))
	}
	for _, l := range letters {
		if l.Lines != 1 || !strings.Contains(l.Detail, flowlog.ErrLineBreak.Error()) {
			t.Errorf("letter %+v", l)
		}
	}
}

// TestSenderRecordErrorNamesTheFirstCode: the error of records Firehose
// keeps refusing carries the code and message of the first refused entry
// of the last response, and the retry's debug line numbers the attempt
// it announces.
func TestSenderRecordErrorNamesTheFirstCode(t *testing.T) {
	logs := &syncBuffer{}
	s := testSender(apiFunc(func(_ context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		out, _ := acceptAll{}.PutRecordBatch(context.Background(), in)
		// The first call refuses records 1 and 2, the retry both again.
		for i, code := range []string{"", "ServiceUnavailableException", "InternalFailure"}[3-len(in.Records):] {
			if code != "" {
				out.RequestResponses[i].ErrorCode, out.RequestResponses[i].ErrorMessage = aws.String(code), aws.String("m"+code)
			}
		}
		out.FailedPutCount = aws.Int32(2)
		return out, nil
	}), newFakeClock())
	s.Config.MaxAttempts = 2
	s.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	_, err := s.Send(context.Background(), makeRecords(3, 10))
	var re *RecordError
	if !errors.As(err, &re) || re.Code != "ServiceUnavailableException" || re.Message != "mServiceUnavailableException" || re.Count != 2 {
		t.Fatalf("err %v (%+v)", err, re)
	}
	if r := logs.lines(t, "retrying PutRecordBatch"); len(r) != 1 || r[0]["attempt"] != float64(2) {
		t.Errorf("retry log lines %v, want one for attempt 2", r)
	}
}

// TestDeadLetterQueueCountsFailedBatches: the error counts the messages of
// every batch that failed, wherever it was in the list.
func TestDeadLetterQueueCountsFailedBatches(t *testing.T) {
	calls := 0
	q := &DeadLetterQueue{API: sqsFunc(func(_ context.Context, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		calls++
		if calls == 1 {
			return sqsAll(in, ""), nil
		}
		return nil, apiError("AccessDenied", smithy.FaultClient)
	}), QueueURL: testQueueURL, Sender: testSender(acceptAll{}, newFakeClock())}
	bodies := make([]string, 25)
	for i := range bodies {
		bodies[i] = fmt.Sprintf(`{"n":%d}`, i)
	}
	err := q.Write(context.Background(), bodies)
	if !errors.Is(err, errDeadLetter) || !strings.Contains(err.Error(), ": 15 of 25 messages") || calls != 3 {
		t.Fatalf("%d calls, err %v", calls, err)
	}
}

// TestDeadLetterQueueMissingEntry: an entry the answer mentions neither as
// sent nor as failed is sent again, and named MissingResponseEntry when it
// never gets through.
func TestDeadLetterQueueMissingEntry(t *testing.T) {
	calls := 0
	q := &DeadLetterQueue{API: sqsFunc(func(_ context.Context, in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		calls++
		out := sqsAll(in, "")
		out.Successful = out.Successful[:len(out.Successful)-1]
		return out, nil
	}), QueueURL: testQueueURL, Sender: testSender(acceptAll{}, newFakeClock())}
	q.Sender.Config.MaxAttempts = 2
	err := q.Write(context.Background(), []string{"a", "b"})
	if !errors.Is(err, errDeadLetter) || !strings.Contains(err.Error(), "SQS failed 1 messages, e.g. MissingResponseEntry") || calls != 2 {
		t.Fatalf("%d calls, err %v", calls, err)
	}
}
