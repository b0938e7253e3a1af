package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Stages at which a log event can be dead-lettered.
const (
	// StageEvent: the payload's log event does not have the documented
	// shape (no string message, say); cwlogs skipped it.
	StageEvent = "event"
	// StageParse: the message is not a flow log record of the configured
	// format (wrong field count, a non-integer port, a bad address...).
	StageParse = "parse"
	// StageDocument: the record cannot become a document (an integer out
	// of range, no event id, a timestamp outside 1970-9999).
	StageDocument = "document"
	// StageIndex: OpenSearch rejected the document (a 4xx item status
	// other than 429, typically mapper_parsing_exception).
	StageIndex = "index"
)

// MaxDeadLetterLine bounds the original line kept in a dead letter, so that
// a message always fits in an SQS message.
const MaxDeadLetterLine = 32 << 10

// DeadLetter is a log event that will never be indexed, with the reason.
// It is sent to the dead-letter queue as this JSON object.
type DeadLetter struct {
	// Stage is where the event was refused: StageEvent, StageParse,
	// StageDocument or StageIndex.
	Stage string `json:"stage"`
	// Reason says why, e.g. "mapper_parsing_exception: failed to parse field [srcport]".
	Reason string `json:"reason"`
	// Status is OpenSearch's item status (StageIndex only).
	Status int `json:"status,omitempty"`
	// ErrorType is OpenSearch's error type (StageIndex only).
	ErrorType string `json:"error_type,omitempty"`
	// Index and ID are the document's _index and _id, when known.
	Index string `json:"index,omitempty"`
	ID    string `json:"id,omitempty"`
	// Timestamp is the event time in epoch milliseconds.
	Timestamp int64 `json:"timestamp,omitempty"`
	// LogGroup and LogStream name the CloudWatch Logs source.
	LogGroup  string `json:"log_group,omitempty"`
	LogStream string `json:"log_stream,omitempty"`
	// Line is the original log line (at most MaxDeadLetterLine bytes).
	Line string `json:"line"`
	// LineTruncated is set when Line was cut to MaxDeadLetterLine bytes.
	LineTruncated bool `json:"line_truncated,omitempty"`
}

// SetLine stores line, cut to MaxDeadLetterLine bytes on a rune boundary and
// with the few characters SQS refuses (U+FFFE, U+FFFF) replaced. Control
// characters and invalid UTF-8 need no care: JSON encoding escapes or
// replaces them.
func (d *DeadLetter) SetLine(line string) {
	if len(line) > MaxDeadLetterLine {
		cut := MaxDeadLetterLine
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line, d.LineTruncated = line[:cut], true
	}
	if strings.ContainsAny(line, "\uFFFE\uFFFF") {
		line = strings.NewReplacer("\uFFFE", "\uFFFD", "\uFFFF", "\uFFFD").Replace(line)
	}
	d.Line = line
}

// DeadLetterSink stores dead letters durably.
type DeadLetterSink interface {
	Send(ctx context.Context, letters []DeadLetter) error
}

// SQSAPI is the part of the SQS client the sink uses; *sqs.Client
// implements it.
type SQSAPI interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// SQS limits on one SendMessageBatch call.
const (
	sqsMaxBatchEntries = 10
	// sqsMaxBatchBytes is the payload limit of a batch of queues created
	// with the former 256 KiB default; newer queues allow more.
	sqsMaxBatchBytes = 256 << 10
)

// SQSDeadLetters sends dead letters to an SQS queue as JSON messages, ten
// (or 256 KiB) at a time. Entries SQS reports as failed by its own fault are
// retried with backoff; entries failed by the sender's fault, and calls that
// fail once the client's own retries are spent, are errors.
type SQSDeadLetters struct {
	Client   SQSAPI
	QueueURL string
	// MaxAttempts is the number of tries of a failed entry; zero means 4.
	MaxAttempts int
	// BaseDelay is the first retry's delay (doubled each time, jittered);
	// zero means 100ms.
	BaseDelay time.Duration
	// Sleep waits for d or until ctx is done; nil means SleepContext.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for the jitter; nil means math/rand/v2.
	Rand func() float64
}

// Send sends every letter; it returns an error naming how many could not be
// sent.
func (q *SQSDeadLetters) Send(ctx context.Context, letters []DeadLetter) error {
	if len(letters) == 0 {
		return nil
	}
	bodies := make([]string, len(letters))
	for i := range letters {
		b, err := json.Marshal(&letters[i])
		if err != nil {
			return fmt.Errorf("encoding dead letter %d: %w", i, err)
		}
		bodies[i] = string(b)
	}
	var errs []error
	failed := 0
	for start := 0; start < len(bodies); {
		end, size := start, 0
		for end < len(bodies) && end-start < sqsMaxBatchEntries && (end == start || size+len(bodies[end]) <= sqsMaxBatchBytes) {
			size += len(bodies[end])
			end++
		}
		if err := q.sendBatch(ctx, bodies[start:end]); err != nil {
			failed += end - start
			errs = append(errs, err)
		}
		start = end
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d dead letters not sent to %s: %w", failed, len(letters), q.QueueURL, errors.Join(errs...))
	}
	return nil
}

// sendBatch sends up to ten messages, retrying the entries SQS failed.
func (q *SQSDeadLetters) sendBatch(ctx context.Context, bodies []string) error {
	pending := make([]types.SendMessageBatchRequestEntry, len(bodies))
	for i, b := range bodies {
		pending[i] = types.SendMessageBatchRequestEntry{Id: aws.String("m" + strconv.Itoa(i)), MessageBody: aws.String(b)}
	}
	attempts := q.MaxAttempts
	if attempts <= 0 {
		attempts = 4
	}
	delay := q.BaseDelay
	if delay <= 0 {
		delay = 100 * time.Millisecond
	}
	for attempt := 1; ; attempt++ {
		out, err := q.Client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.QueueURL), Entries: pending})
		if err != nil {
			// The SDK has already retried throttling and transient errors.
			return fmt.Errorf("SendMessageBatch: %w", err)
		}
		if len(out.Failed) == 0 {
			return nil
		}
		byID := make(map[string]types.SendMessageBatchRequestEntry, len(pending))
		for _, e := range pending {
			byID[aws.ToString(e.Id)] = e
		}
		var retry []types.SendMessageBatchRequestEntry
		var reasons []string
		for _, f := range out.Failed {
			reasons = append(reasons, fmt.Sprintf("%s: %s", aws.ToString(f.Code), aws.ToString(f.Message)))
			if f.SenderFault {
				return fmt.Errorf("SQS refused %d dead letters: %s", len(out.Failed), strings.Join(reasons, "; "))
			}
			if e, ok := byID[aws.ToString(f.Id)]; ok {
				retry = append(retry, e)
			}
		}
		if attempt >= attempts || len(retry) == 0 {
			return fmt.Errorf("SQS failed %d dead letters after %d attempts: %s", len(out.Failed), attempt, strings.Join(reasons, "; "))
		}
		d := delay << (attempt - 1)
		jitter := mathrand.Float64()
		if q.Rand != nil {
			jitter = q.Rand()
		}
		d = d/2 + time.Duration(jitter*float64(d/2))
		sleep := q.Sleep
		if sleep == nil {
			sleep = SleepContext
		}
		if err := sleep(ctx, d); err != nil {
			return fmt.Errorf("SQS failed %d dead letters: %s (%w)", len(out.Failed), strings.Join(reasons, "; "), err)
		}
		pending = retry
	}
}
