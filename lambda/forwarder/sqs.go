package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQSAPI is the part of the SQS client that DeadLetterQueue uses;
// *sqs.Client implements it.
type SQSAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// SendMessageBatch quotas: ten messages, and 256 KiB for the whole request.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
const (
	sqsMaxBatchEntries = 10
	sqsMaxBatchBytes   = 256 << 10
)

// DeadLetterQueue writes dead letters to the function's SQS queue with
// SendMessageBatch. Entries SQS failed by its own fault, and calls that
// failed with a retryable error, are retried with the Sender's backoff;
// an entry failed by the sender's fault, or retries spent, is an error.
// It shares the Sender's clock, sleep and deadline reserve so that tests
// run without real time.
type DeadLetterQueue struct {
	API      SQSAPI
	QueueURL string
	// Sender supplies MaxAttempts, BackoffBase/Max, CallTimeout, the
	// clock and the sleep; the dead letters use what the Sender left of
	// the deadline margin.
	Sender *Sender
}

// errDeadLetter wraps every failure to write dead letters.
var errDeadLetter = errors.New("dead letters not written")

// Write sends bodies, each at most MaxDeadLetterBytes, and returns an error
// naming how many could not be written.
func (q *DeadLetterQueue) Write(ctx context.Context, bodies []string) error {
	failed := 0
	var errs []error
	for start := 0; start < len(bodies); {
		end, size := start, 0
		for end < len(bodies) && end-start < sqsMaxBatchEntries && (end == start || size+len(bodies[end]) <= sqsMaxBatchBytes) {
			size += len(bodies[end])
			end++
		}
		if err := q.writeBatch(ctx, bodies[start:end]); err != nil {
			failed += end - start
			errs = append(errs, err)
			if ctx.Err() != nil {
				failed += len(bodies) - end
				break
			}
		}
		start = end
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d messages to %s: %w", errDeadLetter, failed, len(bodies), q.QueueURL, errors.Join(errs...))
	}
	return nil
}

func (q *DeadLetterQueue) writeBatch(ctx context.Context, bodies []string) error {
	s := q.Sender
	cfg := s.Config
	pending := make([]types.SendMessageBatchRequestEntry, len(bodies))
	for i, b := range bodies {
		pending[i] = types.SendMessageBatchRequestEntry{Id: aws.String("m" + strconv.Itoa(i)), MessageBody: aws.String(b)}
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		timeout := cfg.CallTimeout
		if timeout <= 0 {
			timeout = DefaultSendConfig().CallTimeout
		}
		if d, ok := ctx.Deadline(); ok {
			// Keep a little time to log the summary.
			left := d.Sub(s.now()) - dlqReserve
			if left <= 0 {
				return deadlineError(lastErr)
			}
			timeout = min(timeout, left)
		}
		callCtx, cancel := context.WithTimeout(ctx, timeout)
		out, err := q.API.SendMessageBatch(callCtx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.QueueURL), Entries: pending})
		cancel()
		switch {
		case err != nil:
			if !retryableCallError(ctx, err) {
				return fmt.Errorf("SendMessageBatch: %w", err)
			}
			lastErr = fmt.Errorf("SendMessageBatch: %w", err)
		case out == nil:
			lastErr = errors.New("SendMessageBatch returned no output")
		default:
			retry, err := failedEntries(pending, out)
			if err != nil {
				return err
			}
			if len(retry) == 0 {
				return nil
			}
			code := "MissingResponseEntry"
			if len(out.Failed) > 0 {
				code = aws.ToString(out.Failed[0].Code)
			}
			pending = retry
			lastErr = fmt.Errorf("SQS failed %d messages, e.g. %s", len(retry), code)
		}
		if attempt >= max(cfg.MaxAttempts, 1) {
			return fmt.Errorf("gave up after %d attempts: %w", attempt, lastErr)
		}
		delay := backoff(attempt, cfg.BackoffBase, cfg.BackoffMax, s.rand())
		if d, ok := ctx.Deadline(); ok && !s.now().Add(delay+dlqReserve).Before(d) {
			return deadlineError(lastErr)
		}
		s.logger().Debug("retrying SendMessageBatch", slog.Int("attempt", attempt+1), slog.Any("error", lastErr))
		if err := s.sleep(ctx, delay); err != nil {
			return err
		}
	}
}

// dlqReserve is the time kept after the last dead-letter call for the
// summary line.
const dlqReserve = 200 * time.Millisecond

// failedEntries returns the entries to send again: those SQS failed by its
// own fault, and those the answer does not mention at all. An entry failed
// by the sender's fault is an error: resending cannot fix it.
func failedEntries(sent []types.SendMessageBatchRequestEntry, out *sqs.SendMessageBatchOutput) ([]types.SendMessageBatchRequestEntry, error) {
	done := make(map[string]bool, len(sent))
	for _, s := range out.Successful {
		done[aws.ToString(s.Id)] = true
	}
	failed := make(map[string]types.BatchResultErrorEntry, len(out.Failed))
	for _, f := range out.Failed {
		if f.SenderFault {
			return nil, fmt.Errorf("SQS refused a dead letter: %s: %s", aws.ToString(f.Code), aws.ToString(f.Message))
		}
		failed[aws.ToString(f.Id)] = f
	}
	var retry []types.SendMessageBatchRequestEntry
	for _, e := range sent {
		id := aws.ToString(e.Id)
		if _, bad := failed[id]; bad || !done[id] {
			retry = append(retry, e)
		}
	}
	return retry, nil
}
