package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsfake"
)

const (
	testStreamARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/vpc-flow-logs-central"
	testShard     = "shardId-000000000001"
)

// kinesisBatchBody is the record a Kinesis event source mapping sends to
// its on-failure destination, as the Lambda documentation shows it.
// https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
func kinesisBatchBody(t *testing.T, requestID string, first, last awsfake.KinesisRecord, n int) string {
	return mustJSON(t, map[string]any{
		"requestContext": map[string]any{"requestId": requestID,
			"functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:vpc-flow-logs-forwarder",
			"condition":   "RetryAttemptsExhausted", "approximateInvokeCount": 3},
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
		"version":         "1.0",
		"timestamp":       "2026-11-30T11:00:06.021Z",
		"KinesisBatchInfo": map[string]any{
			"shardId":                         testShard,
			"startSequenceNumber":             first.SequenceNumber,
			"endSequenceNumber":               last.SequenceNumber,
			"approximateArrivalOfFirstRecord": first.Arrival.UTC().Format("2006-01-02T15:04:05.000Z"),
			"approximateArrivalOfLastRecord":  last.Arrival.UTC().Format("2006-01-02T15:04:05.000Z"),
			"batchSize":                       n,
			"streamArn":                       testStreamARN,
		},
	})
}

// putRecords fills the fake shard with n records of distinct data.
func putRecords(e *env, n, size int) []awsfake.KinesisRecord {
	recs := make([]awsfake.KinesisRecord, n)
	at := time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)
	for i := range recs {
		data := bytes.Repeat([]byte{byte('a' + i%26)}, size)
		recs[i] = awsfake.KinesisRecord{PartitionKey: "pk", Data: data, Arrival: at.Add(time.Duration(i) * time.Second)}
	}
	return e.srv.Kinesis.Put(testStreamARN, testShard, recs...)
}

// The documented on-failure record of a Kinesis event source mapping is a
// replayable kinesis-batch letter; its arrival times span the inventory.
func TestParseKinesisBatch(t *testing.T) {
	e := newEnv(t)
	recs := putRecords(e, 3, 4)
	l := Parse(kinesisBatchBody(t, "r1", recs[0], recs[2], 3))
	if l.Kind != KindKinesisBatch || l.Batch == nil || l.Batch.StreamArn != testStreamARN || l.Batch.BatchSize != 3 ||
		!l.First.Equal(recs[0].Arrival) || !l.Last.Equal(recs[2].Arrival) || !strings.HasPrefix(l.Reason, "RetryAttemptsExhausted: Unhandled: 3 records") {
		t.Fatalf("letter %+v", l)
	}
	if !l.Kind.Replayable() {
		t.Error("not replayable")
	}
	if l := Parse(`{"requestContext":{},"KinesisBatchInfo":{"shardId":"s"}}`); l.Kind != KindUnknown {
		t.Errorf("incomplete batch info parsed as %s", l.Kind)
	}
}

// A discarded batch is read back from the stream (over several GetRecords
// pages, from its first to its last sequence number, nothing before or
// after) and the function is invoked with the Kinesis event of those
// records, as the event source mapping would; the message is deleted.
func TestKinesisBatchToLambda(t *testing.T) {
	e := newEnv(t)
	recs := putRecords(e, 8, 16)
	e.add(kinesisBatchBody(t, "r1", recs[2], recs[6], 5))
	e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
		return []byte(`{"batchItemFailures":[]}`), "", nil
	}
	sum, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "fwd", Kinesis: e.kinesis, Backoff: noSleep}))
	if err != nil {
		t.Fatal(err)
	}
	inv := e.srv.Lambda.Invocations()
	if len(inv) != 1 {
		t.Fatalf("%d invocations", len(inv))
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(inv[0].Payload, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 5 {
		t.Fatalf("%d records, want 5", len(ev.Records))
	}
	for i, r := range ev.Records {
		want := recs[2+i]
		if r.Kinesis.SequenceNumber != want.SequenceNumber || !bytes.Equal(r.Kinesis.Data, want.Data) || r.EventSource != "aws:kinesis" ||
			r.EventID != testShard+":"+want.SequenceNumber || r.EventSourceArn != testStreamARN || r.AwsRegion != "eu-west-1" ||
			r.Kinesis.PartitionKey != "pk" || r.Kinesis.ApproximateArrivalTimestamp.Unix() != want.Arrival.Unix() {
			t.Errorf("record %d: %+v", i, r)
		}
	}
	if left := e.srv.SQS.Bodies(queueURL); len(left) != 0 {
		t.Errorf("left %q", left)
	}
	checkSummary(t, sum, Summary{Received: 1, Replayed: 1, Inputs: 1, Left: 0})
}

// Records gone from the stream (its retention is over) are reported and
// the message left, without a failure and without stopping the run: the
// next message is still replayed. A function that reports a record failed
// leaves its message too, as a failure.
func TestKinesisBatchExpiredOrRefused(t *testing.T) {
	e := newEnv(t)
	recs := putRecords(e, 6, 8)
	e.add(kinesisBatchBody(t, "old", recs[0], recs[2], 3))
	e.add(kinesisBatchBody(t, "refused", recs[3], recs[4], 2))
	e.add(kinesisBatchBody(t, "ok", recs[5], recs[5], 1))
	e.srv.Kinesis.Trim(testStreamARN, testShard, 1)
	var reasons []string
	e.srv.Lambda.Handle = func(n int, fn, typ string, p []byte) ([]byte, string, *awsfake.Fault) {
		var ev events.KinesisEvent
		json.Unmarshal(p, &ev)
		if ev.Records[0].Kinesis.SequenceNumber == recs[3].SequenceNumber {
			return []byte(`{"batchItemFailures":[{"itemIdentifier":"` + recs[4].SequenceNumber + `"}]}`), "", nil
		}
		return []byte(`{"batchItemFailures":[]}`), "", nil
	}
	cfg := e.config(&LambdaSink{API: e.lambda, Function: "fwd", Kinesis: e.kinesis, Backoff: noSleep})
	cfg.Event = func(ev Event) { reasons = append(reasons, string(ev.Outcome)+" "+ev.Reason) }
	sum, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.srv.Lambda.Invocations()) != 2 {
		t.Errorf("%d invocations, want the refused and the good batch", len(e.srv.Lambda.Invocations()))
	}
	left := e.srv.SQS.Bodies(queueURL)
	if len(left) != 2 || !strings.Contains(left[0]+left[1], `"requestId":"old"`) || !strings.Contains(left[0]+left[1], `"requestId":"refused"`) {
		t.Errorf("left %q", left)
	}
	joined := strings.Join(reasons, "\n")
	if !strings.Contains(joined, "skipped ") || !strings.Contains(joined, "have expired from the stream") || !strings.Contains(joined, "reported records failed from "+recs[4].SequenceNumber) {
		t.Errorf("events:\n%s", joined)
	}
	checkSummary(t, sum, Summary{Received: 3, Replayed: 1, Inputs: 1, Failed: 1, Skipped: 1, Left: 2})
}

// A shard that no longer exists is reported like expired records; without
// a Kinesis client the sink leaves kinesis-batch messages alone.
func TestKinesisBatchGoneOrNoClient(t *testing.T) {
	e := newEnv(t)
	recs := putRecords(e, 2, 8)
	body := strings.ReplaceAll(kinesisBatchBody(t, "x", recs[0], recs[1], 2), testShard, "shardId-000000000099")
	e.add(body)
	sum, err := Run(context.Background(), e.config(&LambdaSink{API: e.lambda, Function: "fwd", Kinesis: e.kinesis, Backoff: noSleep}))
	if err != nil || sum.Skipped != 1 || sum.Failed != 0 {
		t.Fatalf("sum %+v, err %v", sum, err)
	}
	e2 := newEnv(t)
	recs = putRecords(e2, 2, 8)
	e2.add(kinesisBatchBody(t, "x", recs[0], recs[1], 2))
	sum, err = Run(context.Background(), e2.config(&LambdaSink{API: e2.lambda, Function: "fwd", Backoff: noSleep}))
	if err != nil || sum.Skipped != 1 || len(e2.srv.Lambda.Invocations()) != 0 {
		t.Fatalf("sum %+v, err %v", sum, err)
	}
}

// Throttled reads are retried; big batches become several events, each
// within the synchronous invocation payload limit, in stream order.
func TestKinesisEventsChunked(t *testing.T) {
	e := newEnv(t)
	recs := putRecords(e, 9, 900<<10)
	e.srv.Kinesis.Fault = func(op string, n int) *awsfake.Fault {
		if op == "GetRecords" && n%2 == 0 {
			return &awsfake.Fault{Status: http.StatusBadRequest, Code: "ProvisionedThroughputExceededException"}
		}
		return nil
	}
	b := &KinesisBatchInfo{ShardID: testShard, StartSequenceNumber: recs[0].SequenceNumber, EndSequenceNumber: recs[8].SequenceNumber, StreamArn: testStreamARN, BatchSize: 9}
	got, err := ReadBatch(context.Background(), e.kinesis, b, Backoff{MaxAttempts: 8, Sleep: noSleep.Sleep})
	if err != nil || len(got) != 9 {
		t.Fatalf("%d records, err %v", len(got), err)
	}
	evs, err := KinesisEvents(b, got)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []string
	for _, ev := range evs {
		if len(ev) > 6_000_000 {
			t.Errorf("event of %d bytes", len(ev))
		}
		var k events.KinesisEvent
		if err := json.Unmarshal(ev, &k); err != nil {
			t.Fatal(err)
		}
		for _, r := range k.Records {
			seqs = append(seqs, r.Kinesis.SequenceNumber)
		}
	}
	if len(evs) < 2 || len(seqs) != 9 || seqs[0] != recs[0].SequenceNumber || seqs[8] != recs[8].SequenceNumber {
		t.Errorf("%d events, sequence numbers %v", len(evs), seqs)
	}
}
