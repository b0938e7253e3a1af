package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/wait"
)

// FirehoseAPI is the part of the Firehose client that the Sender uses;
// *firehose.Client implements it.
type FirehoseAPI interface {
	PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, optFns ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error)
}

// SendConfig controls batching and retries.
type SendConfig struct {
	// StreamName is the Firehose stream.
	StreamName string
	// MaxAttempts is the number of calls made for one batch, the first
	// included, before its failed records are given up.
	MaxAttempts int
	// BackoffBase and BackoffMax shape the jittered exponential backoff
	// between attempts (see backoff).
	BackoffBase, BackoffMax time.Duration
	// CallTimeout bounds one PutRecordBatch call.
	CallTimeout time.Duration
	// DeadlineMargin is kept free before the context's deadline: no call or
	// wait extends into it, so that the function can report failures before
	// Lambda stops it. It is reduced to half the time left when the
	// invocation starts with less than twice the margin.
	DeadlineMargin time.Duration
	// MaxBatchRecords and MaxBatchBytes bound each call; zero means the
	// Firehose quotas, MaxBatchRecords and MaxBatchBytes.
	MaxBatchRecords, MaxBatchBytes int
}

// DefaultSendConfig returns the defaults used when the environment does not
// override them.
func DefaultSendConfig() SendConfig {
	return SendConfig{
		MaxAttempts:     8,
		BackoffBase:     100 * time.Millisecond,
		BackoffMax:      5 * time.Second,
		CallTimeout:     10 * time.Second,
		DeadlineMargin:  3 * time.Second,
		MaxBatchRecords: MaxBatchRecords,
		MaxBatchBytes:   MaxBatchBytes,
	}
}

// Sender delivers records to Firehose with PutRecordBatch.
//
// Records are sent in order, in consecutive batches within the call quotas.
// After a call, only what was not accepted is sent again: the records that
// the response lists with an ErrorCode (FailedPutCount > 0), or the whole
// batch when the call itself failed with a retryable error (throttling,
// 5xx, timeout, network). A record acknowledged with a RecordId is never
// sent again, so the Sender's retries do not duplicate accepted records.
// (Like any at-least-once client it cannot tell whether a call whose
// response was lost, such as one that timed out, had been accepted; it
// retries such a call, and Firehose may then hold those records twice.)
//
// Retries wait a jittered exponential backoff and stop after
// SendConfig.MaxAttempts calls per batch, or earlier when the next wait
// would reach into the deadline margin. A non-retryable error (unknown
// stream, access denied) stops the whole Send. Records still not accepted
// then are reported in SendResult.Failed and the returned *SendError.
type Sender struct {
	API    FirehoseAPI
	Config SendConfig
	// Sleep waits for d or until ctx is done; nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now tells the time; nil means time.Now.
	Now func() time.Time
	// Rand returns a number in [0, 1) for the jitter; nil means math/rand/v2.
	Rand func() float64
	// Logger receives a debug line per retry; nil means slog.Default().
	Logger *slog.Logger
}

// SendResult counts what one Send did.
type SendResult struct {
	Records int // records handed to Send
	Sent    int // records accepted by Firehose
	Failed  int // records not accepted when Send gave up
	// Calls is the number of PutRecordBatch calls; Retries of them re-sent
	// records after a failure, RetriedRecords records in all.
	Calls, Retries, RetriedRecords int
	// FailedCalls counts calls that failed as a whole (throttled, 5xx,
	// timed out); RecordFailures counts records a response listed as failed.
	FailedCalls, RecordFailures int
}

// SendError is returned when some records could not be delivered.
type SendError struct {
	Failed, Records int
	Stream          string
	// Err is the last failure seen (a call error or a record error code).
	Err error
	// Undelivered lists every record not accepted, in order, with the
	// failure that stopped its batch.
	Undelivered []Undelivered
}

func (e *SendError) Error() string {
	return fmt.Sprintf("%d of %d records not delivered to Firehose stream %s: %v", e.Failed, e.Records, e.Stream, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// errDeadline is the cause when retries stop at the deadline margin.
var errDeadline = errors.New("invocation deadline reached")

// RecordError is a record-level failure from a PutRecordBatch response.
type RecordError struct {
	Code, Message string
	Count         int // records that failed in that response
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("%d records failed in PutRecordBatch, e.g. %s: %s", e.Count, e.Code, e.Message)
}

// Send delivers records, each one Firehose record, as described on Sender.
// It returns a *SendError if any record was not accepted.
func (s *Sender) Send(ctx context.Context, records [][]byte) (SendResult, error) {
	res := SendResult{Records: len(records)}
	if len(records) == 0 {
		return res, nil
	}
	cfg := s.Config
	maxRecords, maxBytes := cfg.MaxBatchRecords, cfg.MaxBatchBytes
	if maxRecords <= 0 || maxRecords > MaxBatchRecords {
		maxRecords = MaxBatchRecords
	}
	if maxBytes <= 0 || maxBytes > MaxBatchBytes {
		maxBytes = MaxBatchBytes
	}
	run := sendRun{s: s, ctx: ctx, res: &res, entries: make([]types.Record, 0, min(maxRecords, len(records)))}
	if d, ok := ctx.Deadline(); ok {
		margin := min(cfg.DeadlineMargin, d.Sub(s.now())/2)
		run.deadline, run.hasDeadline = d.Add(-max(margin, 0)), true
	}

	var lastErr error
	var undelivered []Undelivered
	for rest := records; len(rest) > 0; {
		n := nextBatch(rest, maxRecords, maxBytes)
		batch := rest[:n]
		rest = rest[n:]
		failed, err := run.sendBatch(batch)
		if err == nil {
			continue
		}
		res.Failed += len(failed)
		undelivered = append(undelivered, Undelivered{Records: failed, Err: err})
		lastErr = err
		if errors.Is(err, errDeadline) || errors.Is(err, errPermanent) || ctx.Err() != nil {
			// No time, or no point, for the rest: never sent.
			if len(rest) > 0 {
				res.Failed += len(rest)
				undelivered = append(undelivered, Undelivered{Records: rest, Err: fmt.Errorf("not sent: %w", err)})
			}
			break
		}
	}
	if res.Failed > 0 {
		return res, &SendError{Failed: res.Failed, Records: res.Records, Stream: cfg.StreamName, Err: lastErr, Undelivered: undelivered}
	}
	return res, nil
}

// Undelivered is records that Firehose did not accept, and why.
type Undelivered struct {
	Records [][]byte
	Err     error
}

// errPermanent marks a call error that retrying cannot fix.
var errPermanent = errors.New("non-retryable error")

// sendRun is the state of one Send.
type sendRun struct {
	s           *Sender
	ctx         context.Context
	res         *SendResult
	deadline    time.Time
	hasDeadline bool
	entries     []types.Record // request entries, reused between calls
}

// sendBatch sends one batch until every record is accepted, and otherwise
// returns those that were not, with the reason.
func (r *sendRun) sendBatch(batch [][]byte) (failed [][]byte, err error) {
	cfg := r.s.Config
	pending := batch
	var lastErr error
	for attempt := 1; ; attempt++ {
		timeout := cfg.CallTimeout
		if timeout <= 0 {
			timeout = DefaultSendConfig().CallTimeout
		}
		if r.hasDeadline {
			left := r.deadline.Sub(r.s.now())
			if left <= 0 {
				return pending, deadlineError(lastErr)
			}
			timeout = min(timeout, left)
		}
		out, err := r.put(pending, timeout)
		r.res.Calls++
		if attempt > 1 {
			r.res.Retries++
			r.res.RetriedRecords += len(pending)
		}
		if err != nil {
			if !retryableCallError(r.ctx, err) {
				if cerr := r.ctx.Err(); cerr != nil {
					return pending, fmt.Errorf("%w: %w", cerr, err)
				}
				return pending, fmt.Errorf("%w: %w", errPermanent, err)
			}
			r.res.FailedCalls++
			lastErr = err
		} else {
			var recErr *RecordError
			before := len(pending)
			pending, recErr = failedRecords(pending, out)
			r.res.Sent += before - len(pending)
			if len(pending) == 0 {
				return nil, nil
			}
			r.res.RecordFailures += len(pending)
			lastErr = recErr
		}
		if attempt >= max(cfg.MaxAttempts, 1) {
			return pending, fmt.Errorf("gave up after %d attempts: %w", attempt, lastErr)
		}
		delay := backoff(attempt, cfg.BackoffBase, cfg.BackoffMax, r.s.rand())
		if r.hasDeadline && !r.s.now().Add(delay).Before(r.deadline) {
			return pending, deadlineError(lastErr)
		}
		r.s.logger().Debug("retrying PutRecordBatch",
			slog.Int("attempt", attempt+1), slog.Int("records", len(pending)),
			slog.Duration("backoff", delay), slog.Any("error", lastErr))
		if err := r.s.sleep(r.ctx, delay); err != nil {
			return pending, err
		}
	}
}

func deadlineError(last error) error {
	if last == nil {
		return errDeadline
	}
	return fmt.Errorf("%w: %w", errDeadline, last)
}

// put makes one PutRecordBatch call with the given timeout.
func (r *sendRun) put(recs [][]byte, timeout time.Duration) (*firehose.PutRecordBatchOutput, error) {
	ctx, cancel := context.WithTimeout(r.ctx, timeout)
	defer cancel()
	r.entries = r.entries[:0]
	for _, rec := range recs {
		r.entries = append(r.entries, types.Record{Data: rec})
	}
	out, err := r.s.API.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{
		DeliveryStreamName: aws.String(r.s.Config.StreamName),
		Records:            r.entries,
	})
	clear(r.entries) // do not keep the records reachable
	if err == nil && out == nil {
		err = errors.New("PutRecordBatch returned no output")
	}
	return out, err
}

// failedRecords returns the records of sent that the response did not
// accept, in their original order, deciding entry by entry: a record failed
// if its response entry has an ErrorCode, whatever FailedPutCount says, or
// if the response has no entry for it (a malformed response: resending is
// safer than losing it).
func failedRecords(sent [][]byte, out *firehose.PutRecordBatchOutput) ([][]byte, *RecordError) {
	var failed [][]byte
	recErr := &RecordError{}
	for i, rec := range sent {
		if i < len(out.RequestResponses) {
			e := out.RequestResponses[i]
			if aws.ToString(e.ErrorCode) == "" {
				continue
			}
			if recErr.Code == "" {
				recErr.Code, recErr.Message = aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage)
			}
		} else if recErr.Code == "" {
			recErr.Code, recErr.Message = "MissingResponseEntry", "response listed fewer records than were sent"
		}
		failed = append(failed, rec)
	}
	if len(failed) == 0 {
		return nil, nil
	}
	recErr.Count = len(failed)
	return failed, recErr
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Sender) rand() float64 {
	if s.Rand != nil {
		return s.Rand()
	}
	return rand.Float64()
}

func (s *Sender) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Sender) sleep(ctx context.Context, d time.Duration) error {
	if s.Sleep != nil {
		return s.Sleep(ctx, d)
	}
	return wait.Sleep(ctx, d)
}
