package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// ErrBadPayload is wrapped by the error of an invocation whose event is not
// a decodable CloudWatch Logs subscription event. Retrying it cannot help;
// the failed invocation's record (with the event) ends up in the function's
// on-failure destination.
var ErrBadPayload = errors.New("not a decodable CloudWatch Logs subscription event")

// ErrNotIndexed is wrapped by the error of an invocation some of whose
// documents could not be indexed or dead-lettered: the invocation fails so
// that Lambda retries it (documents keep their _id, so the documents already
// indexed are overwritten, not duplicated).
var ErrNotIndexed = errors.New("documents not indexed")

// retainBatchBytes bounds the batch buffer kept between invocations.
const retainBatchBytes = 16 << 20

// Handler is the indexer function. It implements lambda.Handler: Invoke
// takes the raw subscription event {"awslogs":{"data":"..."}}.
//
// For each log event it parses the message with the field catalog's record
// parser, builds the document (document.Encoder) and indexes it with the
// _id of the event; what cannot be parsed, built or indexed for good goes to
// the dead-letter sink with its reason. The invocation fails when documents
// still fail after the sender's retries or dead letters cannot be sent.
type Handler struct {
	Parser      *flowlog.Parser
	Encoder     *document.Encoder
	Bulk        *BulkSender
	DeadLetters DeadLetterSink
	Log         *slog.Logger

	// Lambda runs one invocation at a time per environment; the mutex keeps
	// the reused buffers below safe should that change.
	mu      sync.Mutex
	dec     cwlogs.Decoder
	jp      fastjson.Parser
	rec     flowlog.Record
	batch   Batch
	letters []DeadLetter
	// The source of the last payload's documents, kept for the next
	// payloads of the same log stream (it holds copies of the names, not
	// views of dec's buffer).
	source *document.Source
}

// Summary is the outcome of one invocation (the function's response, and
// its log line).
type Summary struct {
	MessageType string `json:"messageType"`
	LogGroup    string `json:"logGroup,omitempty"`
	LogStream   string `json:"logStream,omitempty"`
	// Events is the number of log events in the payload, malformed ones included.
	Events int `json:"events"`
	// Documents is the number of documents built and sent to OpenSearch.
	Documents int `json:"documents"`
	// Indexed is the number of documents OpenSearch accepted.
	Indexed int `json:"indexed"`
	// DeadLettered counts the events written to the dead-letter queue, by
	// stage.
	DeadLettered map[string]int `json:"deadLettered,omitempty"`
	// Unsent is the number of events to dead-letter whose letters were not
	// written: because documents failed (the invocation fails, and the
	// event, retried by Lambda and finally kept in the on-failure queue,
	// still holds them) or because the queue refused them
	// (DeadLetterError).
	Unsent int `json:"unsent,omitempty"`
	// DeadLetterError is set when dead letters could not be sent.
	DeadLetterError string `json:"deadLetterError,omitempty"`
	// Failed is the number of documents neither indexed nor dead-lettered.
	Failed int `json:"failed"`
	// FailReasons are up to five distinct reasons of the failures.
	FailReasons []string `json:"failReasons,omitempty"`
	// Requests is the number of _bulk requests; Resent the document resends.
	Requests int `json:"requests"`
	Resent   int `json:"resent"`
	// DurationMS is the invocation's duration in milliseconds.
	DurationMS int64 `json:"durationMs"`
	// KinesisRecord names the Kinesis record the payload came in
	// ("shardId-...:sequence number"), empty for a subscription event.
	KinesisRecord string `json:"kinesisRecord,omitempty"`
}

// Invoke implements lambda.Handler. It takes two shapes of event, told
// apart by their JSON: a CloudWatch Logs subscription event
// {"awslogs":{"data":"..."}} (see Handle; the response is the Summary), and
// a Kinesis event {"Records":[{"kinesis":{...}}]} from the event source
// mapping of a central stack's data stream (see kinesis.go; the response is
// an events.KinesisEventResponse). An event of neither shape fails with
// ErrBadPayload, as an undecodable subscription event does: the
// asynchronous invocation's on-failure destination keeps it with the error.
func (h *Handler) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, perr := h.jp.ParseBytes(event)
	if perr == nil && cwlogs.IsKinesisEvent(v) {
		_, resp, err := h.kinesis(ctx, v.GetArray("Records"))
		if err != nil {
			return nil, err
		}
		return json.Marshal(resp)
	}
	s, err := h.handle(ctx, v, perr)
	if err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

// Handle processes one CloudWatch Logs subscription event.
func (h *Handler) Handle(ctx context.Context, event []byte) (Summary, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, err := h.jp.ParseBytes(event)
	return h.handle(ctx, v, err)
}

// handle processes the subscription event v (perr: why it is not JSON).
func (h *Handler) handle(ctx context.Context, v *fastjson.Value, perr error) (Summary, error) {
	began := time.Now()
	p, err := h.decodeValue(v, perr)
	if err != nil {
		h.logger().Error("bad payload", "reason", cwlogs.Reason(err), "error", err)
		return Summary{}, err
	}
	return h.payload(ctx, p, began, "", v.GetStringBytes("awslogs", "data"))
}

// payload indexes the events of p, decoded from data; source names the
// Kinesis record it came in ("" for a subscription event).
func (h *Handler) payload(ctx context.Context, p *cwlogs.Payload, began time.Time, source string, data []byte) (Summary, error) {
	// The payload's strings alias the decoder's buffer: the summary,
	// which outlives this call, gets copies.
	s := Summary{MessageType: strings.Clone(p.MessageType), LogGroup: strings.Clone(p.LogGroup), LogStream: strings.Clone(p.LogStream), Events: len(p.Events) + len(p.Malformed), KinesisRecord: source}
	if p.IsControl() {
		h.logger().Info("control message", "summary", s)
		return s, nil
	}
	if !p.IsData() {
		err := fmt.Errorf("%w: unknown messageType %q", ErrBadPayload, p.MessageType)
		h.logger().Error("bad payload", "error", err)
		return s, err
	}

	h.prepareFrom(p, data)
	s.Documents = len(h.batch.Docs)
	res := h.Bulk.Send(ctx, &h.batch)
	for _, r := range res.Rejected {
		ev := &p.Events[r.Doc.Event]
		d := DeadLetter{Stage: StageIndex, Reason: joinReason(r.Type, r.Reason), Status: r.Status, ErrorType: r.Type,
			Index: r.Doc.Index, ID: r.Doc.ID, Timestamp: ev.Timestamp, LogGroup: p.LogGroup, LogStream: p.LogStream, Line: ev.Message}
		h.letters = append(h.letters, d)
	}
	s.Indexed, s.Requests, s.Resent, s.Failed = res.Indexed, res.Requests, res.Resent, len(res.Failed)
	s.FailReasons = distinctReasons(res.Failed, 5)

	// Every event ends in one place: indexed, dead-lettered, or (when
	// documents still fail) left in the input that the failed invocation
	// hands back to Lambda. Dead letters are written only when no document
	// failed: otherwise the retry would write them again. The lines stay
	// recoverable with the rest of the input: an asynchronous invocation's
	// event lands whole in the on-failure queue; a Kinesis record is
	// reported in batchItemFailures and retried, and its on-failure
	// message holds only the shard and sequence numbers (Lambda's Kinesis
	// failure destinations send metadata, not the records), from which
	// cmd/replay reads the record back while the stream retains it.
	// https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
	var dlErr error
	switch {
	case len(h.letters) == 0:
	case s.Failed > 0:
		s.Unsent = len(h.letters)
	default:
		if dlErr = h.DeadLetters.Send(ctx, h.letters); dlErr != nil {
			s.DeadLetterError, s.Unsent = dlErr.Error(), len(h.letters)
			break
		}
		s.DeadLettered = make(map[string]int)
		for _, d := range h.letters {
			s.DeadLettered[d.Stage]++
		}
	}
	s.DurationMS = time.Since(began).Milliseconds()
	h.release()

	if s.Failed > 0 || dlErr != nil {
		err := fmt.Errorf("%w: %d of %d documents failed (%v); %d dead letters not written: %v", ErrNotIndexed, s.Failed, s.Documents, s.FailReasons, s.Unsent, dlErr)
		h.logger().Error("invocation failed", "summary", s, "error", err)
		return s, err
	}
	h.logger().Info("indexed", "summary", s)
	return s, nil
}

// decode parses a subscription event and decodes its payload.
func (h *Handler) decode(event []byte) (*cwlogs.Payload, error) {
	return h.decodeValue(h.jp.ParseBytes(event))
}

// decodeValue extracts awslogs.data from the parsed event v (perr: the
// parse error) and decodes the payload.
func (h *Handler) decodeValue(v *fastjson.Value, perr error) (*cwlogs.Payload, error) {
	if perr != nil {
		return nil, fmt.Errorf("%w: the event is not JSON: %v", ErrBadPayload, perr)
	}
	data := v.Get("awslogs", "data")
	if data == nil || data.Type() != fastjson.TypeString {
		return nil, fmt.Errorf("%w: the event has no string awslogs.data (nor is it a Kinesis event)", ErrBadPayload)
	}
	b64, _ := data.StringBytes()
	p, err := h.dec.Decode(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	return p, nil
}

// prepare parses and encodes the payload's events into h.batch, and puts
// the events that cannot be indexed into h.letters.
func (h *Handler) prepare(p *cwlogs.Payload) {
	h.batch.Reset()
	h.letters = h.letters[:0]
	for _, m := range p.Malformed {
		h.letters = append(h.letters, DeadLetter{Stage: StageEvent, Reason: "malformed log event: " + m.Reason, ID: m.ID, LogGroup: p.LogGroup, LogStream: p.LogStream})
	}
	if h.source == nil || !h.source.Is(p.LogGroup, p.LogStream) {
		h.source = document.NewSource(p.LogGroup, p.LogStream)
	}
	for i := range p.Events {
		ev := &p.Events[i]
		meta := document.Meta{ID: ev.ID, Timestamp: ev.Timestamp, Source: h.source}
		start := len(h.batch.Body)
		// The hot path, for the valid records of plain values real flow
		// logs are made of: the line to the document in one pass.
		var body []byte
		var index string
		var ok bool
		if p.Padded { // the line where the decoder left it, not a copy
			body, index, ok = h.Encoder.AppendPaddedLine(h.batch.Body, h.Parser, ev.Message, meta)
		} else {
			body, index, ok = h.Encoder.AppendLine(h.batch.Body, h.Parser, ev.Message, meta)
		}
		if !ok {
			// The general path, which also says what is wrong.
			if err := h.Parser.ParseInto(ev.Message, &h.rec); err != nil {
				h.reject(p, ev, StageParse, err)
				continue
			}
			var err error
			body, index, err = h.Encoder.Append(h.batch.Body, &h.rec, meta)
			if err != nil {
				h.reject(p, ev, StageDocument, err)
				continue
			}
		}
		h.batch.Body = body
		h.batch.Docs = append(h.batch.Docs, Doc{Start: start, End: len(body), Index: index, ID: ev.ID, Event: i})
	}
}

func (h *Handler) reject(p *cwlogs.Payload, ev *cwlogs.Event, stage string, err error) {
	d := DeadLetter{Stage: stage, Reason: err.Error(), ID: ev.ID, Timestamp: ev.Timestamp, LogGroup: p.LogGroup, LogStream: p.LogStream, Line: ev.Message}
	if index, ok := h.Encoder.Index(ev.Timestamp); ok && ev.ID != "" {
		d.Index = index
	}
	h.letters = append(h.letters, d)
}

// release drops references into the payload and oversized buffers.
func (h *Handler) release() {
	clear(h.rec.Values)
	clear(h.letters)
	h.letters = h.letters[:0]
	if cap(h.batch.Body) > retainBatchBytes {
		h.batch = Batch{}
	} else {
		h.batch.Reset()
	}
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func joinReason(typ, reason string) string {
	switch {
	case typ == "":
		return reason
	case reason == "":
		return typ
	}
	return typ + ": " + reason
}

func distinctReasons(errs []ItemError, n int) []string {
	var out []string
	seen := make(map[string]bool)
	for _, e := range errs {
		r := joinReason(e.Type, e.Reason)
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
			if len(out) == n {
				break
			}
		}
	}
	return out
}
