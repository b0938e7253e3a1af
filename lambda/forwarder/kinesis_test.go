package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// invokeKinesis calls the entry point with a Kinesis event and decodes the
// response.
func (e *testEnv) invokeKinesis(t *testing.T, ctx context.Context, event []byte) (events.KinesisEventResponse, error) {
	t.Helper()
	out, err := e.h.Invoke(ctx, event)
	var resp events.KinesisEventResponse
	if err == nil {
		if uerr := json.Unmarshal(out, &resp); uerr != nil || resp.BatchItemFailures == nil {
			t.Fatalf("response %s: %v", out, uerr)
		}
	}
	return resp, err
}

func failures(resp events.KinesisEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

// retryFrom is the Kinesis event Lambda sends after a partial failure: the
// records from the reported sequence number on.
// https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
func retryFrom(t *testing.T, recs []cwlogstest.KinesisRecord, seq string) ([]cwlogstest.KinesisRecord, []byte) {
	t.Helper()
	for i, r := range recs {
		if r.Kinesis.SequenceNumber == seq {
			ev, err := cwlogstest.KinesisEventOf(recs[i:])
			if err != nil {
				t.Fatal(err)
			}
			return recs[i:], ev
		}
	}
	t.Fatalf("sequence number %s is not in the batch", seq)
	return nil, nil
}

func kinesisRecords(t *testing.T, payloads ...*cwlogs.Payload) []cwlogstest.KinesisRecord {
	t.Helper()
	recs := make([]cwlogstest.KinesisRecord, len(payloads))
	for i, p := range payloads {
		data, err := cwlogstest.KinesisData(p)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = cwlogstest.NewKinesisRecord(i, data)
	}
	return recs
}

// TestKinesisTestdataEvent forwards the Kinesis event of
// lambda/internal/cwlogs/testdata (a health check, then log data): every
// flow log line reaches Firehose in order, nothing is reported failed, and
// the batch's summary line adds up the records' summary lines.
func TestKinesisTestdataEvent(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	event, err := os.ReadFile("../internal/cwlogs/testdata/kinesis_lambda_event.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.invokeKinesis(t, context.Background(), event)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	js, err := os.ReadFile("../internal/cwlogs/testdata/data_message.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cwlogs.DecodeJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	_, delivered, _ := e.fake.snapshot()
	if got := concat(delivered); !strings.HasPrefix(got, joined(p.Events)) {
		t.Errorf("delivered %q, want the data message's lines first", got)
	}
	batch := e.logs.lines(t, "kinesis batch forwarded")
	if len(batch) != 1 || batch[0]["kinesis_records"] != float64(3) || batch[0]["handled_records"] != float64(3) ||
		batch[0]["control_messages"] != float64(1) || batch[0]["error"] != nil ||
		batch[0]["retry_from"] != "" || batch[0]["stream_arn"] != cwlogstest.StreamARN || batch[0]["shard_id"] != cwlogstest.ShardID {
		t.Fatalf("batch summary %v", batch)
	}
	checkBatchSums(t, e, batch[0])
}

// checkBatchSums checks that the batch summary's counters are the sums of
// the per-record summary lines.
func checkBatchSums(t *testing.T, e *testEnv, batch map[string]any) {
	t.Helper()
	var records []map[string]any
	for _, msg := range []string{"payload forwarded", "payload forwarded with dead letters", "malformed payload", "dead letters not written"} {
		records = append(records, e.logs.lines(t, msg)...)
	}
	for _, k := range []string{"events", "lines", "delivered_lines", "refused_lines", "unsent_lines", "malformed_events", "not_flow_log", "oversize", "dead_letters"} {
		sum := 0.0
		for _, r := range records {
			if r["kinesis_record"] == nil {
				t.Fatalf("record summary without kinesis_record: %v", r)
			}
			sum += r[k].(float64)
		}
		if batch[k] != sum {
			t.Errorf("batch %s = %v, records sum to %v", k, batch[k], sum)
		}
	}
	ev := batch["events"].(float64)
	acc := batch["delivered_lines"].(float64) + batch["refused_lines"].(float64) + batch["unsent_lines"].(float64) +
		batch["malformed_events"].(float64) + batch["not_flow_log"].(float64) + batch["oversize"].(float64)
	if ev != acc {
		t.Errorf("batch events %v, accounted %v", ev, acc)
	}
}

// TestKinesisDeadLetterFailure: the dead letters of record 1 cannot be
// written. The forwarder reports record 1 alone and leaves records 2 and 3
// untouched; record 1's good lines are not sent either (its dead letters
// go first). Lambda retries from record 1; then every line is delivered
// exactly once and every bad line dead-lettered.
func TestKinesisDeadLetterFailure(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	ps := []*cwlogs.Payload{flowLogPayload(20, 1), flowLogPayload(20, 2), flowLogPayload(20, 3), flowLogPayload(20, 4)}
	ps[1].Events = append(ps[1].Events, cwlogs.Event{ID: "1", Timestamp: 1, Message: "not a flow log line"})
	recs := kinesisRecords(t, ps...)
	event, err := cwlogstest.KinesisEventOf(recs)
	if err != nil {
		t.Fatal(err)
	}
	e.sqs.script = func(int, []string) sqsOutcome {
		return sqsOutcome{status: http.StatusBadRequest, errType: "com.amazonaws.sqs#KmsAccessDenied"}
	}
	resp, err := e.invokeKinesis(t, context.Background(), event)
	if err != nil || fmt.Sprint(failures(resp)) != fmt.Sprint([]string{recs[1].Kinesis.SequenceNumber}) {
		t.Fatalf("failures %v, err %v", failures(resp), err)
	}
	_, delivered, _ := e.fake.snapshot()
	if concat(delivered) != joined(ps[0].Events) {
		t.Fatalf("delivered before the retry: %d bytes, want record 0's lines only", len(concat(delivered)))
	}
	batch := e.logs.lines(t, "kinesis batch forwarded")
	if len(batch) != 1 || batch[0]["level"] != "WARN" || batch[0]["handled_records"] != float64(1) ||
		batch[0]["retried_records"] != float64(3) || batch[0]["unsent_lines"] != float64(20) {
		t.Fatalf("batch summary %v", batch)
	}
	checkBatchSums(t, e, batch[0])

	// Lambda retries from the reported record.
	e.sqs.script = nil
	_, event = retryFrom(t, recs, failures(resp)[0])
	resp, err = e.invokeKinesis(t, context.Background(), event)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry: failures %v, err %v", failures(resp), err)
	}
	_, delivered, _ = e.fake.snapshot()
	var want []cwlogs.Event
	for _, p := range ps {
		for _, ev := range p.Events {
			if ev.Message != "not a flow log line" {
				want = append(want, ev)
			}
		}
	}
	if concat(delivered) != joined(want) {
		t.Errorf("delivered after the retry differs from every line once, in order")
	}
	if got := reassemble(t, e.sqs.letters(t))[ReasonNotFlowLog]; len(got) != 1 || got[0] != "not a flow log line\n" {
		t.Errorf("not-flow-log letters %q", got)
	}
}

// TestKinesisRefusedNotWritten: Firehose refuses record 0's lines and SQS
// refuses their dead letters: record 0 is reported, nothing after it is
// sent. (Its lines were not accepted, so the retry duplicates nothing.)
func TestKinesisRefusedNotWritten(t *testing.T) {
	e := newTestEnv(t, func(int, [][]byte) outcome { return throttle("ServiceUnavailableException") }, map[string]string{EnvMaxAttempts: "2"})
	e.sqs.script = func(int, []string) sqsOutcome {
		return sqsOutcome{status: http.StatusInternalServerError, errType: "InternalError"}
	}
	recs := kinesisRecords(t, flowLogPayload(5, 5), flowLogPayload(5, 6))
	event, _ := cwlogstest.KinesisEventOf(recs)
	resp, err := e.invokeKinesis(t, context.Background(), event)
	if err != nil || fmt.Sprint(failures(resp)) != fmt.Sprint([]string{recs[0].Kinesis.SequenceNumber}) {
		t.Fatalf("failures %v, err %v", failures(resp), err)
	}
	calls, _, _ := e.fake.snapshot()
	for _, c := range calls {
		if strings.Contains(concat(c.records), strings.Fields(flowLogPayload(5, 6).Events[0].Message)[3]+" ") && len(calls) > 2 {
			t.Errorf("record 1 was sent")
		}
	}
	if len(calls) != 2 {
		t.Errorf("%d calls, want record 0's 2 attempts only", len(calls))
	}
}

// TestKinesisBadRecords: records whose data is not a subscription payload
// (or is missing) are dead-lettered as received, naming the record; the
// batch succeeds and the good records are delivered.
func TestKinesisBadRecords(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	good := flowLogPayload(10, 7)
	recs := kinesisRecords(t, good, good, good, good)
	recs[1].Kinesis.Data = []byte("not gzip")
	recs[2].Kinesis.Data = gzipBytes([]byte(`{"messageType":"NEW_MESSAGE","logEvents":[]}`))
	// Record 1 without an eventID: its letter names it by shard and
	// sequence number all the same.
	recs[1].EventID = ""
	event, _ := cwlogstest.KinesisEventOf(recs)
	// Record 3 without data at all.
	var raw map[string][]map[string]any
	if err := json.Unmarshal(event, &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw["Records"][3]["kinesis"].(map[string]any), "data")
	event, _ = json.Marshal(raw)
	resp, err := e.invokeKinesis(t, context.Background(), event)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v, err %v", failures(resp), err)
	}
	_, delivered, _ := e.fake.snapshot()
	if concat(delivered) != joined(good.Events) {
		t.Error("the good record was not delivered once")
	}
	letters := e.sqs.letters(t)
	got := reassemble(t, letters)[ReasonBadPayload]
	if len(got) != 3 || got[0] != base64.StdEncoding.EncodeToString([]byte("not gzip")) || !strings.Contains(got[2], `"sequenceNumber":"`+recs[3].Kinesis.SequenceNumber+`"`) {
		t.Fatalf("bad payload letters %q", got)
	}
	for i, l := range letters {
		if want := "kinesis record " + cwlogstest.ShardID + ":" + recs[i+1].Kinesis.SequenceNumber + ": "; !strings.HasPrefix(l.Detail, want) {
			t.Errorf("letter %d detail %q, want prefix %q", i, l.Detail, want)
		}
	}
	batch := e.logs.lines(t, "kinesis batch forwarded")
	if len(batch) != 1 || batch[0]["bad_records"] != float64(3) || batch[0]["handled_records"] != float64(4) || batch[0]["dead_letters"] != float64(3) {
		t.Errorf("batch summary %v", batch)
	}
}

// TestKinesisLowOnTime: with too little of the invocation left, the
// forwarder stops before the next record and reports it, rather than
// dead-lettering its lines for lack of time or being timed out (which
// would retry the records already delivered).
func TestKinesisLowOnTime(t *testing.T) {
	e := newTestEnv(t, nil, map[string]string{EnvDeadlineMargin: "3s"})
	recs := kinesisRecords(t, flowLogPayload(5, 8), flowLogPayload(5, 9))
	event, _ := cwlogstest.KinesisEventOf(recs)
	ctx, cancel := context.WithDeadline(context.Background(), e.clock.Now().Add(5*time.Second))
	defer cancel()
	resp, err := e.invokeKinesis(t, ctx, event)
	if err != nil || fmt.Sprint(failures(resp)) != fmt.Sprint([]string{recs[1].Kinesis.SequenceNumber}) {
		t.Fatalf("failures %v, err %v", failures(resp), err)
	}
	_, delivered, _ := e.fake.snapshot()
	if concat(delivered) != joined(flowLogPayload(5, 8).Events) {
		t.Error("want record 0 delivered, record 1 left")
	}
	if b := e.logs.lines(t, "kinesis batch forwarded"); len(b) != 1 || b[0]["low_on_time"] != true || b[0]["retried_records"] != float64(1) {
		t.Errorf("batch summary %v", b)
	}
}

// TestKinesisNoSequenceNumber: a record that can neither be handled nor
// reported fails the invocation, so that Lambda retries the batch.
func TestKinesisNoSequenceNumber(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	e.sqs.script = func(int, []string) sqsOutcome {
		return sqsOutcome{status: http.StatusBadRequest, errType: "com.amazonaws.sqs#KmsAccessDenied"}
	}
	recs := kinesisRecords(t, flowLogPayload(3, 10))
	recs[0].Kinesis.SequenceNumber = ""
	recs[0].Kinesis.Data = []byte("junk")
	event, _ := cwlogstest.KinesisEventOf(recs)
	if _, err := e.h.Invoke(context.Background(), event); err == nil || !strings.Contains(err.Error(), "kinesis record 1 of 1 has no sequence number") {
		t.Fatalf("err = %v", err)
	}
	if b := e.logs.lines(t, "kinesis batch forwarded"); len(b) != 1 || !strings.Contains(fmt.Sprint(b[0]["error"]), "no sequence number") {
		t.Errorf("batch summary %v", b)
	}
}

// TestEventShapes: one entry point tells the shapes apart; an empty Kinesis
// batch is a success; events of neither shape are dead-lettered as
// received.
func TestEventShapes(t *testing.T) {
	e := newTestEnv(t, nil, nil)
	if resp, err := e.invokeKinesis(t, context.Background(), []byte(`{"Records":[]}`)); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("empty batch: %v %v", resp, err)
	}
	bad := []string{`{"Records":[{"eventSource":"aws:sqs","body":"x"}]}`, `{"Records":{"kinesis":{}}}`}
	for _, ev := range bad {
		if out, err := e.h.Invoke(context.Background(), []byte(ev)); err != nil || out != nil {
			t.Fatalf("%s: %s %v", ev, out, err)
		}
	}
	if got := reassemble(t, e.sqs.letters(t))[ReasonBadPayload]; fmt.Sprint(got) != fmt.Sprint(bad) {
		t.Errorf("letters %q", got)
	}
}

// TestKinesisPartialFailures: Firehose fails some entries of every call
// (and, for record 2's lines, keeps failing them): the records' lines are
// delivered after the sender's retries, record 2's refused lines are
// dead-lettered, and the batch succeeds with every line accounted for.
func TestKinesisPartialFailures(t *testing.T) {
	ps := []*cwlogs.Payload{flowLogPayload(40, 21), flowLogPayload(40, 22), flowLogPayload(40, 23)}
	stuck := map[string]bool{}
	for _, ev := range ps[2].Events[:5] {
		stuck[ev.Message+"\n"] = true
	}
	e := newTestEnv(t, nil, map[string]string{EnvMaxAttempts: "4"}).unpacked()
	e.fake.script = func(n int, recs [][]byte) outcome {
		return failRecords(func(i int) string {
			if stuck[string(recs[i])] || (n%2 == 0 && i%3 == 0) {
				return "ServiceUnavailableException"
			}
			return ""
		})
	}
	recs := kinesisRecords(t, ps...)
	event, _ := cwlogstest.KinesisEventOf(recs)
	resp, err := e.invokeKinesis(t, context.Background(), event)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v, err %v", failures(resp), err)
	}
	_, delivered, _ := e.fake.snapshot()
	got := map[string]int{}
	for _, r := range delivered {
		got[string(r)]++
	}
	for _, p := range ps {
		for _, ev := range p.Events {
			line := ev.Message + "\n"
			if want := map[bool]int{true: 0, false: 1}[stuck[line]]; got[line] != want {
				t.Fatalf("line delivered %d times, want %d", got[line], want)
			}
		}
	}
	refused := reassemble(t, e.sqs.letters(t))[ReasonFirehoseRefused]
	if n := strings.Count(strings.Join(refused, ""), "\n"); n != 5 {
		t.Errorf("%d refused lines dead-lettered, want 5", n)
	}
	batch := e.logs.lines(t, "kinesis batch forwarded")
	if len(batch) != 1 || batch[0]["refused_lines"] != float64(5) || batch[0]["delivered_lines"] != float64(115) || batch[0]["retries"] == float64(0) {
		t.Fatalf("batch summary %v", batch)
	}
	checkBatchSums(t, e, batch[0])
}

// BenchmarkHandlerKinesis is BenchmarkHandler for a Kinesis event of ten
// records of 2,000 lines each: the same work per line, plus the event's
// larger JSON.
func BenchmarkHandlerKinesis(b *testing.B) {
	ps := make([]*cwlogs.Payload, 10)
	for i := range ps {
		ps[i] = cwlogstest.FlowLogPayload(2000, uint64(i+1))
	}
	event, err := cwlogstest.KinesisEvent(ps...)
	if err != nil {
		b.Fatal(err)
	}
	h := NewHandler(benchConfig(b, flowlog.V2Fields()), acceptAll{}, &memoryDLQ{}, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	b.SetBytes(int64(len(event)))
	b.ReportAllocs()
	for b.Loop() {
		out, err := h.Invoke(ctx, event)
		if err != nil || string(out) != `{"batchItemFailures":[]}` {
			b.Fatalf("%s %v", out, err)
		}
	}
}
