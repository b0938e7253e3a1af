package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/valyala/fastjson"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// A central stack receives its members' flow logs through a CloudWatch Logs
// destination whose target is a Kinesis data stream; an event source
// mapping reads the stream and invokes the indexer synchronously with a
// batch of records of one shard, in sequence order. Each record's data is
// one subscription payload (DATA_MESSAGE or CONTROL_MESSAGE), the
// gzip-compressed JSON a subscribed function gets in awslogs.data; the
// event carries the record's bytes in base64, so kinesis.data decodes like
// awslogs.data.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions-Kinesis.html
// https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
//
// The response reports partial failures (FunctionResponseTypes
// ["ReportBatchItemFailures"] on the mapping): Lambda checkpoints before the
// lowest sequence number listed and retries every record from it.
// https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
//
// The records are indexed one by one, in order, each as a subscription
// event is (documents with the CloudWatch Logs event id as _id; what cannot
// be indexed dead-lettered with its reason). The first record whose
// documents still fail after the bulk retries, or whose dead letters cannot
// be written, is reported alone and the batch stops there: Lambda retries
// from it, so indexing the records after it now would only be done twice.
// A retried record overwrites the documents it had indexed (same _id),
// so retries never duplicate documents. A record whose data cannot be
// decoded is dead-lettered (StagePayload), not failed: retrying it cannot
// help, and failing it would hold up the shard.

// KinesisSummary is what one Kinesis invocation did (its log line).
type KinesisSummary struct {
	StreamARN string `json:"streamArn,omitempty"`
	ShardID   string `json:"shardId,omitempty"`
	// Records is the number of records in the event; Handled were indexed
	// or dead-lettered (control messages included).
	Records int `json:"records"`
	Handled int `json:"handled"`
	// BadRecords were dead-lettered whole (StagePayload); Control are
	// CONTROL_MESSAGE records (nothing to index).
	BadRecords int `json:"badRecords,omitempty"`
	Control    int `json:"control,omitempty"`
	// RetryFrom is the sequence number reported (empty if none); Retried
	// the number of records from it on; LowOnTime says the batch stopped
	// for the deadline.
	RetryFrom string `json:"retryFrom,omitempty"`
	Retried   int    `json:"retried,omitempty"`
	LowOnTime bool   `json:"lowOnTime,omitempty"`
	// Events, Documents, Indexed, DeadLettered, Unsent and Failed sum the
	// records' Summaries (control messages left out).
	Events       int            `json:"events"`
	Documents    int            `json:"documents"`
	Indexed      int            `json:"indexed"`
	DeadLettered map[string]int `json:"deadLettered,omitempty"`
	Unsent       int            `json:"unsent,omitempty"`
	Failed       int            `json:"failed"`
	DurationMS   int64          `json:"durationMs"`
}

// HandleKinesis processes a Kinesis event (see kinesis.go's comment).
func (h *Handler) HandleKinesis(ctx context.Context, event []byte) (KinesisSummary, events.KinesisEventResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, err := h.jp.ParseBytes(event)
	if err != nil || !cwlogs.IsKinesisEvent(v) {
		return KinesisSummary{}, events.KinesisEventResponse{}, fmt.Errorf("%w: not a Kinesis event", ErrBadPayload)
	}
	return h.kinesis(ctx, v.GetArray("Records"))
}

// kinesis indexes the records of a Kinesis event. It fails (and Lambda
// retries the batch) only when a record without a sequence number could
// not be handled: without one it cannot be reported.
func (h *Handler) kinesis(ctx context.Context, recs []*fastjson.Value) (KinesisSummary, events.KinesisEventResponse, error) {
	began := time.Now()
	k := KinesisSummary{Records: len(recs)}
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	if len(recs) > 0 {
		k.StreamARN = string(recs[0].GetStringBytes("eventSourceARN"))
		k.ShardID, _, _ = strings.Cut(string(recs[0].GetStringBytes("eventID")), ":")
	}
	report := func(seq string, i int) {
		k.RetryFrom, k.Retried = seq, len(recs)-i
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: seq})
	}
	var fatal error
	for i, r := range recs {
		seq := string(r.GetStringBytes("kinesis", "sequenceNumber"))
		source := string(r.GetStringBytes("eventID"))
		if source == "" {
			source = k.ShardID + ":" + seq
		}
		if i > 0 && seq != "" && h.lowOnTime(ctx) {
			k.LowOnTime = true
			report(seq, i)
			break
		}
		err := h.record(ctx, r, source, &k)
		if err == nil {
			k.Handled++
			continue
		}
		if seq == "" {
			fatal = fmt.Errorf("kinesis record %d of %d has no sequence number to report: %w", i+1, len(recs), err)
			break
		}
		report(seq, i)
		break
	}
	k.DurationMS = time.Since(began).Milliseconds()
	switch {
	case fatal != nil:
		h.logger().Error("kinesis batch failed", "summary", k, "error", fatal)
	case k.RetryFrom != "":
		h.logger().Warn("kinesis batch indexed in part", "summary", k)
	default:
		h.logger().Info("kinesis batch indexed", "summary", k)
	}
	return k, resp, fatal
}

// record indexes one Kinesis record's payload and adds its counts to k. The
// error is non-nil when the record could neither be indexed nor
// dead-lettered.
func (h *Handler) record(ctx context.Context, r *fastjson.Value, source string, k *KinesisSummary) error {
	began := time.Now()
	data := r.Get("kinesis", "data")
	if data == nil || data.Type() != fastjson.TypeString {
		return h.badRecord(ctx, k, source, string(r.MarshalTo(nil)), errors.New(`no string "kinesis.data"`))
	}
	b64, _ := data.StringBytes()
	p, err := h.dec.Decode(b64)
	switch {
	case err != nil:
		return h.badRecord(ctx, k, source, string(b64), err)
	case p.IsControl():
		k.Control++
		h.logger().Info("control message", "kinesisRecord", source)
		return nil
	case !p.IsData():
		return h.badRecord(ctx, k, source, string(b64), fmt.Errorf("unknown messageType %q", p.MessageType))
	}
	s, err := h.payload(ctx, p, began, source, b64)
	k.Events += s.Events
	k.Documents += s.Documents
	k.Indexed += s.Indexed
	k.Unsent += s.Unsent
	k.Failed += s.Failed
	for stage, n := range s.DeadLettered {
		if k.DeadLettered == nil {
			k.DeadLettered = map[string]int{}
		}
		k.DeadLettered[stage] += n
	}
	return err
}

// badRecord dead-letters a record whose data is not a subscription payload.
func (h *Handler) badRecord(ctx context.Context, k *KinesisSummary, source, line string, cause error) error {
	k.BadRecords++
	d := DeadLetter{Stage: StagePayload, Reason: fmt.Sprintf("kinesis record %s: %s: %v", source, cwlogs.Reason(cause), cause), Line: line}
	h.logger().Error("bad payload in kinesis record: dead-lettered", "kinesisRecord", source, "reason", cwlogs.Reason(cause), "error", cause)
	if err := h.DeadLetters.Send(ctx, []DeadLetter{d}); err != nil {
		return fmt.Errorf("kinesis record %s: dead letter not written: %w", source, err)
	}
	if k.DeadLettered == nil {
		k.DeadLettered = map[string]int{}
	}
	k.DeadLettered[StagePayload]++
	return nil
}

// lowOnTime reports whether too little of the invocation is left to start
// another record: less than twice the bulk sender's reserve.
func (h *Handler) lowOnTime(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	if !ok || h.Bulk == nil {
		return false
	}
	reserve := h.Bulk.Reserve
	if reserve == 0 {
		reserve = DefaultReserve
	}
	return reserve > 0 && d.Sub(h.Bulk.now()) < 2*reserve
}
