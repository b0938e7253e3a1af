package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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
	// StageEvent: a log event without the documented shape (no string
	// message, say), which cwlogs skipped; Line is its JSON as received, or the payload (prepareFrom).
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
	// StagePayload: a Kinesis record whose data is not a decodable
	// subscription payload (bad gzip or JSON, an unknown message type, no
	// data). Line is the record's data in base64 as the event carried it
	// (the record's JSON when it had no data); Reason names the record.
	StagePayload = "payload"
)

// MaxMessageBytes is the largest SQS message the sink writes: 256 KiB, the
// default maximum message size of a queue (MaximumMessageSize, 262,144
// bytes, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html)
// and the most every queue accepts whatever its setting.
const MaxMessageBytes = 256 << 10

// Caps on the parts of a dead letter other than its line, in bytes before
// JSON escaping. A capped value ends in a marker (see capText) and is listed
// in the message's "truncated". With every escaped character counted six
// bytes, the capped parts take at most 6*(4 KiB + 5*1 KiB) = 54 KiB of a
// message, which leaves lineBudget for the line.
const (
	maxReasonBytes = 4 << 10
	maxNameBytes   = 1 << 10 // error type, index, id, log group, log stream
	// lineBudget is the JSON-escaped size of the line (or of its base64)
	// in one message.
	lineBudget = 160 << 10
)

// DeadLetter is a log event that will never be indexed, with the reason.
// The sink writes it as one or more SQS messages (see Messages).
type DeadLetter struct {
	// Stage is where the event was refused: StageEvent, StageParse,
	// StageDocument or StageIndex.
	Stage string
	// Reason says why, e.g. "mapper_parsing_exception: failed to parse field [srcport]".
	Reason string
	// Status is OpenSearch's item status (StageIndex only).
	Status int
	// ErrorType is OpenSearch's error type (StageIndex only).
	ErrorType string
	// Index and ID are the document's _index and _id, when known.
	Index, ID string
	// Timestamp is the event time in epoch milliseconds.
	Timestamp int64
	// LogGroup and LogStream name the CloudWatch Logs source.
	LogGroup, LogStream string
	// Line is the original log line, whole: it may be a view of the
	// payload, valid for the invocation.
	Line string
}

// DeadLetterMessage is one SQS message of a dead letter, a JSON object. A
// dead letter whose line does not fit one message is split into Parts
// messages that carry the same metadata and consecutive pieces of the line
// (Part 1 to Parts): the line is the concatenation of the pieces in Part
// order, LineBytes long, and its SHA-256 is LineSHA256 (which, with the
// event id, also tells which messages belong together).
type DeadLetterMessage struct {
	Stage     string `json:"stage"`
	Reason    string `json:"reason"`
	Status    int    `json:"status,omitempty"`
	ErrorType string `json:"error_type,omitempty"`
	Index     string `json:"index,omitempty"`
	ID        string `json:"id,omitempty"`
	Timestamp int64  `json:"timestamp,omitempty"`
	LogGroup  string `json:"log_group,omitempty"`
	LogStream string `json:"log_stream,omitempty"`
	// Line is the line (or this message's piece of it) as text; a line
	// that is not valid UTF-8, or holds a character SQS refuses (U+FFFE,
	// U+FFFF), is in LineBase64 instead, byte for byte.
	Line       string `json:"line,omitempty"`
	LineBase64 string `json:"line_base64,omitempty"`
	// LineBytes is the length of the whole line.
	LineBytes int `json:"line_bytes"`
	// Part and Parts number the pieces of a split line (both 0 when the
	// line is whole in this message); LineSHA256 is the whole line's
	// SHA-256, in hex, when it is split.
	Part       int    `json:"part,omitempty"`
	Parts      int    `json:"parts,omitempty"`
	LineSHA256 string `json:"line_sha256,omitempty"`
	// Truncated names the fields cut to their cap (their text then ends
	// in a marker saying how long they were): never the line.
	Truncated []string `json:"truncated,omitempty"`
}

// Messages appends the SQS message bodies of d to dst: one, or one per
// piece of a line too long for one message. Every body is at most
// MaxMessageBytes long.
func (d *DeadLetter) Messages(dst []string) ([]string, error) {
	m := DeadLetterMessage{Status: d.Status, Timestamp: d.Timestamp, LineBytes: len(d.Line)}
	for _, f := range []struct {
		dst   *string
		src   string
		limit int
		name  string
	}{
		{&m.Stage, d.Stage, maxNameBytes, "stage"},
		{&m.Reason, d.Reason, maxReasonBytes, "reason"},
		{&m.ErrorType, d.ErrorType, maxNameBytes, "error_type"},
		{&m.Index, d.Index, maxNameBytes, "index"},
		{&m.ID, d.ID, maxNameBytes, "id"},
		{&m.LogGroup, d.LogGroup, maxNameBytes, "log_group"},
		{&m.LogStream, d.LogStream, maxNameBytes, "log_stream"},
	} {
		var cut bool
		*f.dst, cut = capText(f.src, f.limit)
		if cut {
			m.Truncated = append(m.Truncated, f.name)
		}
	}
	text := utf8.ValidString(d.Line) && !strings.ContainsAny(d.Line, "\uFFFE\uFFFF")
	var pieces []string
	if text {
		pieces = splitText(d.Line, lineBudget)
	} else {
		pieces = splitBytes(d.Line, lineBudget/4*3)
	}
	if len(pieces) > 1 {
		sum := sha256.Sum256([]byte(d.Line))
		m.Parts, m.LineSHA256 = len(pieces), hex.EncodeToString(sum[:])
	}
	for i, piece := range pieces {
		if m.Parts > 0 {
			m.Part = i + 1
		}
		if text {
			m.Line = piece
		} else {
			m.LineBase64 = base64.StdEncoding.EncodeToString([]byte(piece))
		}
		b, err := json.Marshal(&m)
		if err != nil {
			return dst, fmt.Errorf("encoding a dead letter: %w", err)
		}
		if len(b) > MaxMessageBytes { // the caps above rule it out
			return dst, fmt.Errorf("a dead letter message of %d bytes exceeds the SQS limit of %d", len(b), MaxMessageBytes)
		}
		dst = append(dst, string(b))
	}
	return dst, nil
}

// capText returns s if it is at most limit bytes long, else its first bytes
// (cut on a rune boundary) and a marker that says how long s was, within
// limit bytes in all. Characters SQS refuses (U+FFFE, U+FFFF) become
// U+FFFD; invalid UTF-8 becomes U+FFFD when the message is JSON-encoded.
func capText(s string, limit int) (string, bool) {
	cut := false
	if len(s) > limit {
		marker := fmt.Sprintf("…[truncated: %d bytes in all]", len(s))
		n := max(limit-len(marker), 0)
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s, cut = s[:n]+marker, true
	}
	if strings.ContainsAny(s, "\uFFFE\uFFFF") {
		s = strings.NewReplacer("\uFFFE", "\uFFFD", "\uFFFF", "\uFFFD").Replace(s)
	}
	return s, cut
}

// splitText splits valid UTF-8 into pieces, on rune boundaries, whose JSON
// encoding takes at most budget bytes: a rune counts its UTF-8 length, or
// six bytes if encoding/json may escape it (\u00XX, \u2028, and the HTML
// characters < > &), an over-estimate for \" and \\.
func splitText(s string, budget int) []string {
	if len(s)*6 <= budget {
		return []string{s}
	}
	var out []string
	start, size := 0, 0
	for i, r := range s {
		n := utf8.RuneLen(r)
		if r < 0x20 || r == '"' || r == '\\' || r == '<' || r == '>' || r == '&' || r == '\u2028' || r == '\u2029' {
			n = 6
		}
		if size+n > budget {
			out = append(out, s[start:i])
			start, size = i, 0
		}
		size += n
	}
	return append(out, s[start:])
}

// splitBytes splits s into pieces of at most n bytes.
func splitBytes(s string, n int) []string {
	out := make([]string, 0, len(s)/n+1)
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
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
	// CallTimeout bounds each SendMessageBatch call (the SDK's retries
	// included); zero means DefaultDeadLetterCallTimeout.
	CallTimeout time.Duration
	// Reserve is kept free before the context's deadline: no call runs
	// into it and no backoff waits into it, so that the function can still
	// log its summary and answer before Lambda stops it (a Kinesis batch
	// whose invocation times out is retried whole). Zero means
	// DefaultDeadLetterReserve.
	Reserve time.Duration
}

// Dead-letter call bounds (SQSDeadLetters), as the forwarder's: a call of
// at most 10 s, and 200 ms kept for the summary after the last one.
const (
	DefaultDeadLetterCallTimeout = 10 * time.Second
	DefaultDeadLetterReserve     = 200 * time.Millisecond
)

// callContext returns the context of one call: at most CallTimeout, and
// ending Reserve before ctx's deadline; ok is false when no time is left.
func (q *SQSDeadLetters) callContext(ctx context.Context) (context.Context, context.CancelFunc, bool) {
	timeout := cmp.Or(q.CallTimeout, DefaultDeadLetterCallTimeout)
	if d, ok := ctx.Deadline(); ok {
		left := time.Until(d) - cmp.Or(q.Reserve, DefaultDeadLetterReserve)
		if left <= 0 {
			return ctx, func() {}, false
		}
		timeout = min(timeout, left)
	}
	c, cancel := context.WithTimeout(ctx, timeout)
	return c, cancel, true
}

// Send sends every letter, as one or more messages each (see
// DeadLetter.Messages); it returns an error naming how many messages could
// not be sent.
func (q *SQSDeadLetters) Send(ctx context.Context, letters []DeadLetter) error {
	if len(letters) == 0 {
		return nil
	}
	var bodies []string
	for i := range letters {
		var err error
		if bodies, err = letters[i].Messages(bodies); err != nil {
			return fmt.Errorf("dead letter %d: %w", i, err)
		}
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
		return fmt.Errorf("%d of %d dead-letter messages (of %d dead letters) not sent to %s: %w", failed, len(bodies), len(letters), q.QueueURL, errors.Join(errs...))
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
		callCtx, cancel, ok := q.callContext(ctx)
		if !ok {
			return fmt.Errorf("SendMessageBatch: no time left before the invocation's deadline (%v kept for the summary)", cmp.Or(q.Reserve, DefaultDeadLetterReserve))
		}
		out, err := q.Client.SendMessageBatch(callCtx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(q.QueueURL), Entries: pending})
		cancel()
		if err != nil {
			// The SDK has already retried throttling and transient errors,
			// within the call's bounds.
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
		if dl, ok := ctx.Deadline(); ok && !time.Now().Add(d+cmp.Or(q.Reserve, DefaultDeadLetterReserve)).Before(dl) {
			return fmt.Errorf("SQS failed %d dead letters: %s (no time left for a retry before the invocation's deadline)", len(out.Failed), strings.Join(reasons, "; "))
		}
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
