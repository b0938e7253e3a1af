package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// Backoff retries what the SDK's own retries did not get through
// (throttling that lasts, records Firehose failed).
type Backoff struct {
	// MaxAttempts is the number of tries; zero means 5.
	MaxAttempts int
	// Base is the first delay, doubled each time with jitter; zero means
	// 500ms.
	Base time.Duration
	// Sleep waits for d or until ctx is done; nil sleeps for real.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (b Backoff) attempts() int { return cmp0(b.MaxAttempts, 5) }

func cmp0(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// wait sleeps before try attempt+1.
func (b Backoff) wait(ctx context.Context, attempt int) error {
	base := b.Base
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	d := base << (attempt - 1)
	d = d/2 + time.Duration(rand.Float64()*float64(d/2))
	if b.Sleep != nil {
		return b.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// throttled reports whether err is throttling (after the SDK's retries).
func throttled(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "TooManyRequestsException", "ThrottlingException", "Throttling", "ServiceUnavailableException",
		"EC2ThrottledException", "ResourceConflictException":
		return true
	}
	return false
}

// FirehoseAPI is the part of the Firehose client FirehoseSink uses.
type FirehoseAPI interface {
	PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, optFns ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error)
}

// PutRecordBatch quotas, which cannot be raised: 500 records and 4 MiB a
// call, 1,000 KiB a record (before base64).
// https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
// https://docs.aws.amazon.com/firehose/latest/dev/limits.html
const (
	MaxBatchRecords = 500
	MaxBatchBytes   = 4 << 20
	MaxRecordBytes  = 1000 << 10
)

// FirehoseSink re-sends the lines of forwarder letters to the delivery
// stream, packed as the forwarder packs them: whole lines, each with its
// newline, in records of at most MaxRecordBytes.
type FirehoseSink struct {
	API    FirehoseAPI
	Stream string
	Backoff
}

// Accepts reports whether k is KindForwarderRecords.
func (s *FirehoseSink) Accepts(k Kind) bool { return k == KindForwarderRecords }

// Replay puts the item's lines, retrying the records Firehose failed.
func (s *FirehoseSink) Replay(ctx context.Context, it *Item) error {
	recs, err := PackLines(it.Data, MaxRecordBytes)
	if err != nil {
		return err
	}
	for len(recs) > 0 {
		n, size := 0, 0
		for n < len(recs) && n < MaxBatchRecords && size+len(recs[n]) <= MaxBatchBytes {
			size += len(recs[n])
			n++
		}
		if err := s.put(ctx, recs[:n]); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

// put sends one batch until every record is accepted or the attempts are
// spent.
func (s *FirehoseSink) put(ctx context.Context, recs [][]byte) error {
	pending := recs
	for attempt := 1; ; attempt++ {
		entries := make([]fhtypes.Record, len(pending))
		for i, r := range pending {
			entries[i] = fhtypes.Record{Data: r}
		}
		out, err := s.API.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String(s.Stream), Records: entries})
		var failed [][]byte
		var last error
		switch {
		case err != nil && !throttled(err):
			return fmt.Errorf("PutRecordBatch to %s: %w", s.Stream, err)
		case err != nil:
			failed, last = pending, err
		case aws.ToInt32(out.FailedPutCount) > 0 || len(out.RequestResponses) != len(pending):
			if len(out.RequestResponses) != len(pending) {
				return fmt.Errorf("PutRecordBatch to %s answered %d results for %d records", s.Stream, len(out.RequestResponses), len(pending))
			}
			for i, rr := range out.RequestResponses {
				if rr.ErrorCode != nil {
					failed = append(failed, pending[i])
					last = fmt.Errorf("%s: %s", aws.ToString(rr.ErrorCode), aws.ToString(rr.ErrorMessage))
				}
			}
		}
		if len(failed) == 0 {
			return nil
		}
		if attempt >= s.attempts() {
			return fmt.Errorf("Firehose %s did not accept %d of %d records after %d attempts: %w", s.Stream, len(failed), len(recs), attempt, last)
		}
		if err := s.wait(ctx, attempt); err != nil {
			return err
		}
		pending = failed
	}
}

// PackLines cuts data (lines, each ending in a newline) into records of at
// most max bytes, each holding whole lines. A line longer than max is an
// error.
func PackLines(data []byte, max int) ([][]byte, error) {
	var out [][]byte
	start, end := 0, 0
	for end < len(data) {
		nl := bytes.IndexByte(data[end:], '\n')
		next := len(data)
		if nl >= 0 {
			next = end + nl + 1
		}
		if next-end > max {
			return nil, fmt.Errorf("a line of %d bytes does not fit a Firehose record (%d bytes)", next-end, max)
		}
		if next-start > max {
			out = append(out, data[start:end])
			start = end
		}
		end = next
	}
	if end > start {
		out = append(out, data[start:end])
	}
	return out, nil
}

// LambdaAPI is the part of the Lambda client LambdaSink uses.
type LambdaAPI interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// LambdaSink invokes a function with the original event: the requestPayload
// of on-failure records, the SNS event of undelivered notifications, or a
// CloudWatch Logs subscription event rebuilt from an indexer reject.
//
// It invokes synchronously (InvocationType RequestResponse): the call
// returns when the function has finished and says whether it failed
// (X-Amz-Function-Error), so a message is deleted only once the function
// handled its event. An asynchronous (Event) invocation would only say the
// event was queued; its failure would come back as a new on-failure message
// after Lambda's retries. A synchronous payload may be 6 MB, an
// asynchronous one 1 MB.
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
//
// With a Kinesis client it also replays the batches a Kinesis event source
// mapping discarded (KindKinesisBatch): it reads the records back from the
// stream (ReadBatch) and invokes the function with the Kinesis events they
// make (KinesisEvents, as many as the payload limit needs), checking the
// batchItemFailures of each response.
type LambdaSink struct {
	API      LambdaAPI
	Function string
	// Kinesis reads discarded batches back from their stream; nil leaves
	// KindKinesisBatch messages in the queue.
	Kinesis KinesisAPI
	Backoff
}

// Accepts reports whether k is an event a function takes.
func (s *LambdaSink) Accepts(k Kind) bool {
	return k == KindOnFailure || k == KindSNSNotification || k == KindIndexerReject || (k == KindKinesisBatch && s.Kinesis != nil)
}

// Replay invokes the function with the item's event.
func (s *LambdaSink) Replay(ctx context.Context, it *Item) error {
	if it.Kind == KindKinesisBatch {
		return s.replayBatch(ctx, it.Batch)
	}
	_, err := s.invoke(ctx, it.Payload, it)
	return err
}

// replayBatch reads a discarded batch back and invokes the function with
// it. The events go in stream order; one the function reports failed
// (batchItemFailures) stops the replay, and the message stays: a later run
// sends the whole batch again (the indexer overwrites its documents; the
// forwarder delivers the events of the first invocations again).
func (s *LambdaSink) replayBatch(ctx context.Context, b *KinesisBatchInfo) error {
	recs, err := ReadBatch(ctx, s.Kinesis, b, s.Backoff)
	if err != nil {
		return err
	}
	evs, err := KinesisEvents(b, recs)
	if err != nil {
		return err
	}
	for i, ev := range evs {
		resp, err := s.invoke(ctx, ev, nil)
		if err != nil {
			return fmt.Errorf("kinesis event %d of %d (%d records of %s): %w", i+1, len(evs), len(recs), b.ShardID, err)
		}
		if failed := kinesisFailures(resp); len(failed) > 0 {
			return fmt.Errorf("%s reported records failed from %s (kinesis event %d of %d)", s.Function, failed[0], i+1, len(evs))
		}
	}
	return nil
}

// invoke invokes the function synchronously with payload (or, for an
// indexer reject, the subscription event rebuilt from it) and returns its
// response.
func (s *LambdaSink) invoke(ctx context.Context, payload json.RawMessage, it *Item) ([]byte, error) {
	if it != nil && it.Kind == KindIndexerReject {
		events := it.Events
		if len(events) == 0 {
			ev := *it.Event
			ev.Message = string(it.Data)
			events = []LogEvent{ev}
		}
		p, err := LogsEvent(it.LogGroup, it.LogStream, events)
		if err != nil {
			return nil, err
		}
		payload = p
	}
	for attempt := 1; ; attempt++ {
		out, err := s.API.Invoke(ctx, &lambda.InvokeInput{
			FunctionName:   aws.String(s.Function),
			InvocationType: lambdatypes.InvocationTypeRequestResponse,
			Payload:        payload,
		})
		if err == nil {
			if out.FunctionError != nil {
				msg := bytes.TrimSpace(out.Payload)
				if len(msg) > 512 {
					msg = append(msg[:509:509], "..."...)
				}
				return nil, fmt.Errorf("%s failed (%s): %s", s.Function, aws.ToString(out.FunctionError), msg)
			}
			return out.Payload, nil
		}
		if !throttled(err) || attempt >= s.attempts() {
			return nil, fmt.Errorf("invoking %s: %w", s.Function, err)
		}
		if err := s.wait(ctx, attempt); err != nil {
			return nil, err
		}
	}
}
