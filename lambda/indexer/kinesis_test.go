package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

func kinesisEvent(t *testing.T, recs []cwlogstest.KinesisRecord) []byte {
	t.Helper()
	ev, err := cwlogstest.KinesisEventOf(recs)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func kinesisRecordsOf(t *testing.T, ps ...*cwlogs.Payload) []cwlogstest.KinesisRecord {
	t.Helper()
	recs := make([]cwlogstest.KinesisRecord, len(ps))
	for i, p := range ps {
		data, err := cwlogstest.KinesisData(p)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = cwlogstest.NewKinesisRecord(i, data)
	}
	return recs
}

// invokeKinesis calls the entry point and decodes the response.
func invokeKinesis(t *testing.T, h *Handler, event []byte) (events.KinesisEventResponse, error) {
	t.Helper()
	out, err := h.Invoke(context.Background(), event)
	var resp events.KinesisEventResponse
	if err == nil {
		if uerr := json.Unmarshal(out, &resp); uerr != nil || resp.BatchItemFailures == nil {
			t.Fatalf("response %s: %v", out, uerr)
		}
	}
	return resp, err
}

func seqs(resp events.KinesisEventResponse) string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return strings.Join(out, ",")
}

// idsOf returns the event ids of p as a set.
func idsOf(p *cwlogs.Payload) map[string]bool {
	m := map[string]bool{}
	for _, e := range p.Events {
		m[e.ID] = true
	}
	return m
}

func idOfKey(key string) string { return key[strings.LastIndexByte(key, '/')+1:] }

// TestKinesisTestdataEvent indexes the Kinesis event of
// lambda/internal/cwlogs/testdata: the health check is skipped, the flow
// log records indexed under their event ids, the other lines
// dead-lettered; nothing is reported failed.
func TestKinesisTestdataEvent(t *testing.T) {
	fos, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, fos, q)
	event, err := os.ReadFile("../internal/cwlogs/testdata/kinesis_lambda_event.json")
	if err != nil {
		t.Fatal(err)
	}
	k, resp, err := h.HandleKinesis(context.Background(), event)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	js, _ := os.ReadFile("../internal/cwlogs/testdata/data_message.json")
	p, err := cwlogs.DecodeJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if k.Records != 3 || k.Handled != 3 || k.Control != 1 || k.Indexed != len(p.Events) || fos.count() != len(p.Events) {
		t.Fatalf("summary %+v, %d documents", k, fos.count())
	}
	if k.Events != k.Indexed+k.DeadLettered[StageParse]+k.DeadLettered[StageEvent]+k.DeadLettered[StageDocument]+k.DeadLettered[StageIndex] {
		t.Errorf("events not accounted for: %+v", k)
	}
	if len(q.letters(t)) != k.DeadLettered[StageParse] || k.DeadLettered[StageParse] == 0 {
		t.Errorf("%d letters, summary %+v", len(q.letters(t)), k)
	}
}

// TestKinesisFailedRecordRetried: OpenSearch keeps refusing (429) some
// documents of record 1. The indexer reports record 1 alone and leaves
// records 2 and 3 alone; Lambda retries from record 1, and then every
// document is indexed once under its event id: the documents of record 0
// are not sent again, those of record 1 that had been indexed are
// overwritten, not duplicated.
func TestKinesisFailedRecordRetried(t *testing.T) {
	fos, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, fos, q)
	ps := []*cwlogs.Payload{cwlogstest.FlowLogPayload(10, 31), cwlogstest.FlowLogPayload(10, 32), cwlogstest.FlowLogPayload(10, 33), cwlogstest.FlowLogPayload(10, 34)}
	failing := map[string]bool{ps[1].Events[2].ID: true, ps[1].Events[7].ID: true}
	down := true
	fos.onItem = func(key string, try int) (int, string, string) {
		if down && failing[idOfKey(key)] {
			return http.StatusTooManyRequests, "es_rejected_execution_exception", "queue full"
		}
		return 0, "", ""
	}
	recs := kinesisRecordsOf(t, ps...)
	resp, err := invokeKinesis(t, h, kinesisEvent(t, recs))
	if err != nil || seqs(resp) != recs[1].Kinesis.SequenceNumber {
		t.Fatalf("failures %q, err %v", seqs(resp), err)
	}
	later := idsOf(ps[2])
	for id := range idsOf(ps[3]) {
		later[id] = true
	}
	for _, key := range keysSeen(fos) {
		if later[idOfKey(key)] {
			t.Fatalf("document %s of a record after the failed one was sent", key)
		}
	}
	if q.calls != 0 {
		t.Errorf("%d SQS calls: a failing record's letters wait for its retry", q.calls)
	}

	down = false
	resp, err = invokeKinesis(t, h, kinesisEvent(t, recs[1:]))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("retry: failures %q, err %v", seqs(resp), err)
	}
	total := 0
	for _, p := range ps {
		total += len(p.Events)
	}
	if fos.count() != total {
		t.Fatalf("%d documents, want %d (one per event)", fos.count(), total)
	}
	for _, key := range keysSeen(fos) {
		id := idOfKey(key)
		if idsOf(ps[0])[id] && fos.seenOf(key) != 1 {
			t.Errorf("document %s of record 0 sent %d times", key, fos.seenOf(key))
		}
	}
}

func keysSeen(f *fakeOS) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.seen {
		out = append(out, k)
	}
	return out
}

// TestKinesisBadRecords: records that are not subscription payloads are
// dead-lettered (stage payload, naming the record) and the batch goes on;
// when their dead letter cannot be written, the record is reported.
func TestKinesisBadRecords(t *testing.T) {
	fos, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, fos, q)
	good := cwlogstest.FlowLogPayload(5, 35)
	recs := kinesisRecordsOf(t, good, good, good)
	recs[0].Kinesis.Data = []byte("not gzip")
	recs[1].Kinesis.Data = gzipped(t, `{"messageType":"NEW_MESSAGE","logEvents":[]}`)
	// Record 1 without an eventID: its letter names it by shard and
	// sequence number all the same.
	recs[1].EventID = ""
	k, resp, err := h.HandleKinesis(context.Background(), kinesisEvent(t, recs))
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %q, err %v", seqs(resp), err)
	}
	letters := q.letters(t)
	if len(letters) != 2 || k.BadRecords != 2 || k.DeadLettered[StagePayload] != 2 || fos.count() != len(good.Events) {
		t.Fatalf("letters %+v, summary %+v", letters, k)
	}
	for i, l := range letters {
		if l.Stage != StagePayload || !strings.HasPrefix(l.Reason, "kinesis record "+cwlogstest.ShardID+":"+recs[i].Kinesis.SequenceNumber+": ") {
			t.Errorf("letter %d: %+v", i, l)
		}
	}

	q.onCall = func(int) int { return http.StatusInternalServerError }
	resp, err = invokeKinesis(t, h, kinesisEvent(t, recs))
	if err != nil || seqs(resp) != recs[0].Kinesis.SequenceNumber {
		t.Fatalf("with SQS down: failures %q, err %v", seqs(resp), err)
	}
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestInvokeShapes: one entry point; a subscription event answers its
// Summary, a Kinesis event (even empty) a KinesisEventResponse, and an event
// of neither shape fails with ErrBadPayload (the asynchronous invocation's
// on-failure destination keeps it with the error).
func TestInvokeShapes(t *testing.T) {
	fos, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, fos, q)
	p := cwlogstest.FlowLogPayload(3, 36)
	out, err := h.Invoke(context.Background(), lambdaEvent(t, p))
	var s Summary
	if err != nil || json.Unmarshal(out, &s) != nil || s.Indexed != 3 || s.KinesisRecord != "" {
		t.Fatalf("subscription event: %s %v", out, err)
	}
	out, err = h.Invoke(context.Background(), kinesisEvent(t, kinesisRecordsOf(t, cwlogstest.FlowLogPayload(2, 37))))
	if err != nil || string(out) != `{"batchItemFailures":[]}` {
		t.Fatalf("kinesis event: %s %v", out, err)
	}
	if resp, err := invokeKinesis(t, h, []byte(`{"Records":[]}`)); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("empty batch: %v %v", resp, err)
	}
	for _, ev := range []string{`{"Records":[{"eventSource":"aws:sqs"}]}`, `{"foo":1}`, `not json`} {
		if _, err := h.Invoke(context.Background(), []byte(ev)); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: %v", ev, err)
		}
	}
	if fos.count() != 5 {
		t.Errorf("%d documents, want 5", fos.count())
	}
}

// TestKinesisLowOnTime: with less than twice the bulk sender's reserve
// left (3s by default, Reserve 0), the indexer stops before the next
// record and reports it; with exactly twice, or with the check disabled
// (a negative Reserve), it indexes every record. The clock is a fake one an
// hour ahead of the real one, so the contexts' real deadlines never pass.
func TestKinesisLowOnTime(t *testing.T) {
	start := time.Now().Add(time.Hour).Truncate(time.Second)
	for _, tc := range []struct {
		name    string
		left    time.Duration
		reserve time.Duration
		low     bool
	}{
		{"less than twice the default reserve", 6*time.Second - time.Millisecond, 0, true},
		{"twice the default reserve", 6 * time.Second, 0, false},
		{"reserve disabled", time.Second, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fos, q := newFakeOS(t), newFakeSQS(t)
			h := newTestHandler(t, fos, q)
			clock := &fakeClock{now: start}
			h.Bulk.Now, h.Bulk.Reserve = clock.Now, tc.reserve
			ps := []*cwlogs.Payload{cwlogstest.FlowLogPayload(5, 36), cwlogstest.FlowLogPayload(5, 37), cwlogstest.FlowLogPayload(5, 38)}
			recs := kinesisRecordsOf(t, ps...)
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(tc.left))
			defer cancel()
			k, resp, err := h.HandleKinesis(ctx, kinesisEvent(t, recs))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.low {
				if len(resp.BatchItemFailures) != 0 || k.LowOnTime || k.Handled != 3 || fos.count() != 15 {
					t.Fatalf("failures %q, summary %+v", seqs(resp), k)
				}
				return
			}
			if seqs(resp) != recs[1].Kinesis.SequenceNumber || !k.LowOnTime || k.RetryFrom != recs[1].Kinesis.SequenceNumber ||
				k.Retried != 2 || k.Handled != 1 || fos.count() != 5 {
				t.Fatalf("failures %q, summary %+v", seqs(resp), k)
			}
		})
	}
}

// TestKinesisNoSequenceNumber: a record that can neither be indexed nor
// dead-lettered, and has no sequence number to report, fails the
// invocation, so that Lambda retries the batch.
func TestKinesisNoSequenceNumber(t *testing.T) {
	fos, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, fos, q)
	q.onCall = func(int) int { return http.StatusInternalServerError }
	recs := kinesisRecordsOf(t, cwlogstest.FlowLogPayload(3, 39), cwlogstest.FlowLogPayload(3, 40))
	recs[1].Kinesis.SequenceNumber = ""
	recs[1].Kinesis.Data = []byte("junk")
	k, _, err := h.HandleKinesis(context.Background(), kinesisEvent(t, recs))
	if err == nil || !strings.Contains(err.Error(), "kinesis record 2 of 2 has no sequence number to report") || k.Handled != 1 || k.RetryFrom != "" {
		t.Fatalf("summary %+v, err %v", k, err)
	}
}
