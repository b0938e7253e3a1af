package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/valyala/fastjson"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// A central stack receives its members' flow logs through a CloudWatch Logs
// destination whose target is a Kinesis data stream; an event source
// mapping reads the stream and invokes the forwarder synchronously with a
// batch of records of one shard, in sequence order. Each record's data is
// one subscription payload exactly as a subscribed function receives it
// in awslogs.data, less the base64: the gzip-compressed JSON document
// (DATA_MESSAGE or CONTROL_MESSAGE). The event carries the record's bytes
// in base64, so kinesis.data decodes like awslogs.data.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CrossAccountSubscriptions-Kinesis.html
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
// https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html
//
// The response reports partial failures (the mapping is configured with
// FunctionResponseTypes ["ReportBatchItemFailures"]): Lambda checkpoints
// before the lowest sequence number listed and retries every record from
// it; an empty list is a complete success.
// https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
//
// So the forwarder handles the records one by one, in order, each payload
// as an awslogs event is handled (delivered or dead-lettered, event by
// event), and stops at the first record it could neither deliver nor
// dead-letter (its dead letters could not be written), reporting that
// record's sequence number alone. The records after it are not touched:
// Lambda retries them anyway, and delivering them now would put their lines
// into Firehose twice. The records before it are checkpointed and never
// re-sent. The same holds when the invocation runs low on time before a
// record: it stops there and reports it, rather than letting Lambda time the
// invocation out and retry the whole batch.
//
// Duplicates that remain: a record whose refused lines could not be
// dead-lettered (Firehose and SQS both failing for it) is retried whole, so
// the lines Firehose did accept from it are delivered again; and, as for
// any Firehose client, a call whose answer was lost after Firehose accepted
// it.

// KinesisBatch is what one Kinesis invocation did; it is logged as the
// batch's summary line, after the per-record summary lines. Total sums the
// records' Stats, so its counters account for every event of the records
// handled.
type KinesisBatch struct {
	StreamARN, ShardID string
	// Records is the number of records in the event; Handled were
	// delivered or dead-lettered (control messages included).
	Records, Handled int
	// BadRecords counts the records whose data is not a decodable
	// subscription payload (dead-lettered whole); Control the
	// CONTROL_MESSAGE records (ignored, their events not counted).
	BadRecords, Control int
	// RetryFrom is the sequence number reported in BatchItemFailures ("" if
	// none); Retried is the number of records from it on, left to Lambda's
	// retry. LowOnTime says the batch stopped for the deadline.
	RetryFrom string
	Retried   int
	LowOnTime bool
	// Total sums the Stats of the handled records and of the failed one.
	Total Stats
}

// kinesis forwards the records of a Kinesis event and returns the
// events.KinesisEventResponse. It fails (and Lambda retries the batch)
// only when a record without a sequence number could not be handled:
// without one it cannot be reported.
func (h *Handler) kinesis(ctx context.Context, sc *scratch, recs []*fastjson.Value) ([]byte, error) {
	start := time.Now()
	b := KinesisBatch{Records: len(recs)}
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	if len(recs) > 0 {
		b.StreamARN = string(recs[0].GetStringBytes("eventSourceARN"))
		b.ShardID, _, _ = strings.Cut(string(recs[0].GetStringBytes("eventID")), ":")
	}
	var fatal error
	for i, r := range recs {
		seq := string(r.GetStringBytes("kinesis", "sequenceNumber"))
		source := string(r.GetStringBytes("eventID"))
		if source == "" {
			source = b.ShardID + ":" + seq
		}
		if i > 0 && seq != "" && h.lowOnTime(ctx) {
			b.LowOnTime = true
			b.RetryFrom, b.Retried = seq, len(recs)-i
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: seq})
			break
		}
		var st Stats
		var err error
		if data := r.Get("kinesis", "data"); data != nil && data.Type() == fastjson.TypeString {
			b64, _ := data.StringBytes()
			st, err = h.process(ctx, sc, source, func() (*cwlogs.Payload, error) { return sc.d.Decode(b64) }, func() string { return string(b64) })
		} else {
			st, err = h.badRecord(ctx, source, r)
		}
		b.Total.add(st)
		if st.BadPayload != "" {
			b.BadRecords++
		}
		if st.Control {
			b.Control++
		}
		if err == nil {
			b.Handled++
			continue
		}
		if seq == "" {
			fatal = fmt.Errorf("kinesis record %d of %d has no sequence number to report: %w", i+1, len(recs), err)
			break
		}
		b.RetryFrom, b.Retried = seq, len(recs)-i
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: seq})
		break
	}
	h.logBatch(b, start, fatal)
	if fatal != nil {
		return nil, fatal
	}
	return json.Marshal(resp)
}

// lowOnTime reports whether too little of the invocation is left to start
// another record: less than twice the Sender's deadline margin, which it
// keeps free for the dead letters.
func (h *Handler) lowOnTime(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && d.Sub(h.sender.now()) < 2*h.sender.Config.DeadlineMargin
}

// badRecord dead-letters a Kinesis record without string data, the record
// JSON as it came.
func (h *Handler) badRecord(ctx context.Context, source string, r *fastjson.Value) (Stats, error) {
	start := time.Now()
	st := Stats{Source: source, BadPayload: reasonBadEvent}
	h.logger.Error("kinesis record without string data: dead-lettered", slog.String("kinesis_record", source))
	l := &letters{}
	l.add(DeadLetter{Reason: ReasonBadPayload, Detail: sourced(source, reasonBadEvent+`: no string "kinesis.data"`)}, string(r.MarshalTo(nil)))
	return h.finish(ctx, &st, start, l)
}

// add sums o's counters into s.
func (s *Stats) add(o Stats) {
	if o.Control {
		return // its events are CloudWatch Logs' health check, not log data
	}
	s.Events += o.Events
	s.MalformedEvents += o.MalformedEvents
	s.NotFlowLog += o.NotFlowLog
	s.Oversize += o.Oversize
	s.Lines += o.Lines
	s.Records += o.Records
	s.DeliveredLines += o.DeliveredLines
	s.RefusedLines += o.RefusedLines
	s.Unsent += o.Unsent
	s.DeadLetters += o.DeadLetters
	s.DeadLetterError = s.DeadLetterError || o.DeadLetterError
	s.Send.Sent += o.Send.Sent
	s.Send.Failed += o.Send.Failed
	s.Send.Calls += o.Send.Calls
	s.Send.Retries += o.Send.Retries
	s.Send.RetriedRecords += o.Send.RetriedRecords
	s.Send.FailedCalls += o.Send.FailedCalls
	s.Send.RecordFailures += o.Send.RecordFailures
}

// logBatch writes the batch's summary line: INFO when every record was
// handled, WARN when records are left to Lambda's retry, ERROR when the
// invocation fails.
func (h *Handler) logBatch(b KinesisBatch, start time.Time, err error) {
	level := slog.LevelInfo
	switch {
	case err != nil:
		level = slog.LevelError
	case b.RetryFrom != "":
		level = slog.LevelWarn
	}
	t := b.Total
	attrs := []slog.Attr{
		slog.String("stream_arn", b.StreamARN),
		slog.String("shard_id", b.ShardID),
		slog.Int("kinesis_records", b.Records),
		slog.Int("handled_records", b.Handled),
		slog.Int("bad_records", b.BadRecords),
		slog.Int("control_messages", b.Control),
		slog.String("retry_from", b.RetryFrom),
		slog.Int("retried_records", b.Retried),
		slog.Bool("low_on_time", b.LowOnTime),
		slog.Int("events", t.Events),
		slog.Int("lines", t.Lines),
		slog.Int("records", t.Records),
		slog.Int("delivered_lines", t.DeliveredLines),
		slog.Int("refused_lines", t.RefusedLines),
		slog.Int("unsent_lines", t.Unsent),
		slog.Int("malformed_events", t.MalformedEvents),
		slog.Int("not_flow_log", t.NotFlowLog),
		slog.Int("oversize", t.Oversize),
		slog.Int("dead_letters", t.DeadLetters),
		slog.Int("calls", t.Send.Calls),
		slog.Int("retries", t.Send.Retries),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
	}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	h.logger.LogAttrs(context.Background(), level, "kinesis batch forwarded", attrs...)
}
