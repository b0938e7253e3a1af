package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// maxDetailLogs is how many problem events (malformed, not a flow log, too
// big) are logged one by one per invocation and kind; the rest are counted
// in the summary line, so a misconfigured format cannot flood the logs.
const maxDetailLogs = 10

// Handler is the forwarder Lambda function. For each CloudWatch Logs
// subscription payload it packs the flow log lines, each with its newline,
// into as few Firehose records as the 1,000 KiB record quota allows, and
// sends them with PutRecordBatch. The objects Firehose writes to S3 are the
// same lines in the same order, whether they came one per record or packed.
//
// Every input ends in exactly one place: delivered to Firehose, or written
// to the function's dead-letter queue (DEAD_LETTER_QUEUE_URL) as one or
// more DeadLetter messages that carry the reason and the input itself:
//
//   - A CONTROL_MESSAGE (CloudWatch Logs checking the destination) carries
//     no log data and is ignored.
//   - A payload that cannot be decoded (bad base64, gzip or JSON, or an
//     unknown message type): ReasonBadPayload, with the payload as
//     received.
//   - Log events that do not have the documented shape:
//     ReasonMalformedEvents, with the payload as received and their
//     indexes; the payload's other events go on.
//   - Lines that are not records of the configured format (or contain a
//     line break): ReasonNotFlowLog, with the lines.
//   - A line too big for a Firehose record: ReasonOversize, with the line.
//   - Records that Firehose still has not accepted after the Sender's
//     retries, or that there was no time left to send: ReasonFirehoseRefused,
//     with their lines.
//
// The invocation succeeds once everything is delivered or dead-lettered,
// so Lambda does not retry it and re-send what Firehose had accepted. It
// fails only when dead letters cannot be written; Lambda's retries (which
// re-send the whole payload) and the on-failure destination take over.
type Handler struct {
	parser  *flowlog.Parser
	sender  *Sender
	dlq     DeadLetterWriter
	logger  *slog.Logger
	scratch sync.Pool // of *scratch
	// maxRecordBytes bounds a packed record; MaxRecordBytes unless a
	// test lowers it.
	maxRecordBytes int
}

// DeadLetterWriter stores dead-letter message bodies durably;
// *DeadLetterQueue is the SQS one.
type DeadLetterWriter interface {
	Write(ctx context.Context, bodies []string) error
}

// scratch is the per-invocation working memory, recycled between
// invocations: the decoder and the buffers records are packed into.
type scratch struct {
	event   fastjson.Parser // the Lambda event
	d       *cwlogs.Decoder
	buf     []byte   // good lines, each with its newline
	records [][]byte // slices of buf
	spans   []span   // spans[i]: the event times of records[i]'s lines
	bad     []byte   // not-flow-log lines, each with its newline
}

// span is the earliest and latest timestamp (ms) of some log events; the
// zero span holds none.
type span struct {
	first, last int64
	some        bool
}

// add widens s to hold t.
func (s *span) add(t int64) {
	if !s.some {
		*s = span{t, t, true}
		return
	}
	s.first, s.last = min(s.first, t), max(s.last, t)
}

// join widens s to hold o.
func (s *span) join(o span) {
	if o.some {
		s.add(o.first)
		s.add(o.last)
	}
}

// maxScratchBytes bounds the buffers kept between invocations.
const maxScratchBytes = 8 << 20

// NewHandler returns the function's handler for cfg, sending with api and
// dead-lettering with dlq.
func NewHandler(cfg Config, api FirehoseAPI, dlq DeadLetterWriter, logger *slog.Logger) *Handler {
	return &Handler{
		parser:         flowlog.NewParser(cfg.Fields),
		sender:         &Sender{API: api, Config: cfg.Send, Logger: logger},
		dlq:            dlq,
		logger:         logger,
		maxRecordBytes: MaxRecordBytes,
		scratch: sync.Pool{New: func() any {
			return &scratch{d: cwlogs.NewDecoder()}
		}},
	}
}

// Stats counts what one invocation did. It is logged as the invocation's
// summary line. For a data payload, Events = DeliveredLines + RefusedLines
// + Unsent + NotFlowLog + Oversize + MalformedEvents: every event is counted
// in exactly one place.
type Stats struct {
	LogGroup, LogStream string
	// BadPayload is why the payload could not be decoded (a cwlogs.Reason
	// or "unknown_message_type"), "" if it was.
	BadPayload string
	// Control is set for a CONTROL_MESSAGE, which is ignored.
	Control bool
	// Events is the number of log events in the payload, malformed ones
	// included.
	Events int
	// MalformedEvents, NotFlowLog and Oversize count the events
	// dead-lettered before sending.
	MalformedEvents, NotFlowLog, Oversize int
	// Lines is the number of flow log lines handed to Firehose, packed
	// into Records records.
	Lines, Records int
	// DeliveredLines were accepted by Firehose; RefusedLines were not and
	// were dead-lettered (ReasonFirehoseRefused).
	DeliveredLines, RefusedLines int
	// Unsent counts the lines not sent at all because the dead letters
	// written before sending could not be (the invocation, or the Kinesis
	// record, then fails and is retried whole).
	Unsent int
	// Source names the Kinesis record the payload came in
	// ("shardId-...:sequence number"), "" for a CloudWatch Logs event.
	Source string
	// DeadLetters is the number of dead-letter messages written.
	DeadLetters int
	// DeadLetterError is set when dead letters could not be written: the
	// invocation then fails.
	DeadLetterError bool
	// Send is what the Sender did with the records.
	Send SendResult
}

// Invoke is the Lambda entry point (lambda.Handler). It takes two shapes of
// event, told apart by their JSON:
//
//   - {"awslogs":{"data":"..."}} from a subscription filter on a log group
//     (an asynchronous invocation): it reads data with fastjson straight
//     from the event's bytes and forwards the payload (see Process); the
//     response is empty.
//   - {"Records":[{"kinesis":{"data":"...","sequenceNumber":"..."},...}]}
//     from a Kinesis event source mapping (a central stack reading its
//     members' logs from a data stream): each record's data is one
//     subscription payload, forwarded in order, and the response is an
//     events.KinesisEventResponse (see kinesis.go).
//
// An event of neither shape is dead-lettered as it is (ReasonBadPayload).
func (h *Handler) Invoke(ctx context.Context, event []byte) ([]byte, error) {
	sc := h.scratch.Get().(*scratch)
	defer h.putScratch(sc)
	v, err := sc.event.ParseBytes(event)
	var b64 []byte
	if err == nil {
		data := v.Get("awslogs", "data")
		switch {
		case data != nil && data.Type() == fastjson.TypeString:
			b64, _ = data.StringBytes() // valid until sc.event is used again
		case cwlogs.IsKinesisEvent(v):
			return h.kinesis(ctx, sc, v.GetArray("Records"))
		default:
			err = errors.New(`neither a CloudWatch Logs event (no string "awslogs.data") nor a Kinesis event ("Records" of "kinesis" records)`)
		}
	}
	if err != nil {
		start := time.Now()
		st := Stats{BadPayload: reasonBadEvent}
		h.logger.Error("malformed event: dead-lettered", slog.Int("event_bytes", len(event)), slog.Any("error", err))
		l := &letters{}
		l.add(DeadLetter{Reason: ReasonBadPayload, Detail: reasonBadEvent + ": " + err.Error()}, string(event))
		_, err = h.finish(ctx, &st, start, l)
		return nil, err
	}
	_, err = h.process(ctx, sc, "", func() (*cwlogs.Payload, error) { return sc.d.Decode(b64) }, func() string { return string(b64) })
	return nil, err
}

// reasonBadEvent is Stats.BadPayload for an event without awslogs.data.
const reasonBadEvent = "bad_event"

// sourced prefixes a dead letter's detail with the Kinesis record the
// payload came in, if it came in one.
func sourced(source, detail string) string {
	if source == "" {
		return detail
	}
	return "kinesis record " + source + ": " + detail
}

// Process forwards the payload in data (the event's awslogs.data) and
// returns what it did. The error is non-nil only when dead letters could
// not be written.
func (h *Handler) Process(ctx context.Context, data string) (Stats, error) {
	sc := h.scratch.Get().(*scratch)
	defer h.putScratch(sc)
	return h.process(ctx, sc, "", func() (*cwlogs.Payload, error) { return sc.d.DecodeString(data) }, func() string { return data })
}

// process decodes the payload with decode and forwards it; raw returns the
// payload as received, for a dead letter. source names the Kinesis record
// that carried the payload ("" for a CloudWatch Logs event).
func (h *Handler) process(ctx context.Context, sc *scratch, source string, decode func() (*cwlogs.Payload, error), raw func() string) (Stats, error) {
	start := time.Now()
	st := Stats{Source: source}
	p, err := decode() // valid until sc.d is used again
	if err != nil {
		st.BadPayload = cwlogs.Reason(err)
		var de *cwlogs.DecodeError
		if errors.As(err, &de) {
			st.LogGroup, st.LogStream = de.LogGroup, de.LogStream
		}
		data := raw()
		h.logger.Error("malformed payload: dead-lettered",
			slog.String("log_group", st.LogGroup), slog.String("log_stream", st.LogStream),
			slog.String("reason", st.BadPayload), slog.Int("data_bytes", len(data)), slog.Any("error", err))
		l := &letters{}
		l.add(DeadLetter{Reason: ReasonBadPayload, Detail: sourced(source, st.BadPayload+": "+err.Error()), LogGroup: st.LogGroup, LogStream: st.LogStream}, data)
		return h.finish(ctx, &st, start, l)
	}
	// Stats outlives the decoder's buffer.
	st.LogGroup, st.LogStream = strings.Clone(p.LogGroup), strings.Clone(p.LogStream)
	st.Events = len(p.Events) + len(p.Malformed)

	switch {
	case p.IsControl():
		st.Control = true
		h.logger.Info("control message ignored", slog.String("owner", p.Owner), slog.Int("events", st.Events))
		return st, nil
	case !p.IsData():
		st.BadPayload = "unknown_message_type"
		h.logger.Error("malformed payload: unknown message type, dead-lettered",
			slog.String("log_group", st.LogGroup), slog.String("log_stream", st.LogStream),
			slog.String("message_type", p.MessageType), slog.Int("events", st.Events))
		l := &letters{}
		l.add(DeadLetter{Reason: ReasonBadPayload, Detail: sourced(source, st.BadPayload+": "+strconv.Quote(p.MessageType)),
			LogGroup: st.LogGroup, LogStream: st.LogStream}, raw())
		return h.finish(ctx, &st, start, l)
	}

	l := &letters{}
	if len(p.Malformed) > 0 {
		h.malformed(p, &st, raw(), l)
	}
	records := h.records(p, &st, sc, l)
	// The dead letters known before sending are written first: if they
	// cannot be, nothing has reached Firehose, so the retry of the whole
	// payload (Lambda's, or a Kinesis batch retried from this record)
	// duplicates no line in the stream.
	if len(l.bodies) > 0 || l.err != nil {
		if err := h.write(ctx, &st, l); err != nil {
			st.Unsent = st.Lines
			h.logSummary(st, start, err)
			return st, err
		}
		l = &letters{}
	}
	res, err := h.sender.Send(ctx, records)
	st.Send = res
	st.DeliveredLines = st.Lines
	if err != nil {
		var se *SendError
		if !errors.As(err, &se) { // not expected: treat every record as refused
			se = &SendError{Undelivered: []Undelivered{{Records: records, Err: err}}}
		}
		for _, u := range se.Undelivered {
			h.refused(u, sc, &st, l)
		}
		h.logger.Warn("records refused by Firehose: dead-lettered",
			slog.String("log_group", st.LogGroup), slog.String("log_stream", st.LogStream),
			slog.Int("lines", st.RefusedLines), slog.Int("records", res.Failed), slog.Any("error", err))
	}
	return h.finish(ctx, &st, start, l)
}

// putScratch returns sc to the pool, dropping buffers that grew too big to
// keep and every reference into the last payload.
func (h *Handler) putScratch(sc *scratch) {
	clear(sc.records)
	sc.buf, sc.records, sc.spans, sc.bad = sc.buf[:0], sc.records[:0], sc.spans[:0], sc.bad[:0]
	if cap(sc.buf) > maxScratchBytes {
		sc.buf = nil
	}
	if cap(sc.bad) > maxScratchBytes {
		sc.bad = nil
	}
	if cap(sc.records) > maxScratchBytes/64 {
		sc.records, sc.spans = nil, nil
	}
	h.scratch.Put(sc)
}

// letters collects the dead-letter bodies of one invocation.
type letters struct {
	bodies []string
	err    error
}

func (l *letters) add(hdr DeadLetter, data string) {
	b, err := makeLetters(hdr, data, 0)
	if err != nil {
		l.err = errors.Join(l.err, err)
		return
	}
	l.bodies = append(l.bodies, b...)
}

// finish writes the dead letters, logs the summary and returns the
// invocation's result.
func (h *Handler) finish(ctx context.Context, st *Stats, start time.Time, l *letters) (Stats, error) {
	err := h.write(ctx, st, l)
	h.logSummary(*st, start, err)
	return *st, err
}

// write writes the dead letters in l and counts them in st.
func (h *Handler) write(ctx context.Context, st *Stats, l *letters) error {
	err := l.err
	if err == nil && len(l.bodies) > 0 && h.dlq == nil {
		err = errors.New("no dead-letter queue configured")
	}
	if err == nil && len(l.bodies) > 0 {
		err = h.dlq.Write(ctx, l.bodies)
	}
	if err == nil {
		st.DeadLetters += len(l.bodies)
		return nil
	}
	st.DeadLetterError = true
	return fmt.Errorf("forwarder: log group %s, stream %s: %w", st.LogGroup, st.LogStream, err)
}

// malformed dead-letters the payload for its malformed events, listing
// them; its good events go on.
func (h *Handler) malformed(p *cwlogs.Payload, st *Stats, data string, l *letters) {
	var detail strings.Builder
	fmt.Fprintf(&detail, "%d malformed log events (index in logEvents: reason):", len(p.Malformed))
	for i, m := range p.Malformed {
		st.MalformedEvents++
		if detail.Len() < MaxDetailBytes {
			fmt.Fprintf(&detail, " %d: %s;", m.Index, m.Reason)
		}
		if i < maxDetailLogs {
			h.logger.Warn("malformed log event: dead-lettered with its payload",
				slog.String("log_group", p.LogGroup), slog.String("log_stream", p.LogStream),
				slog.String("event_id", m.ID), slog.Int("index", m.Index), slog.String("reason", m.Reason))
		}
	}
	l.add(DeadLetter{Reason: ReasonMalformedEvents, Detail: detail.String(), LogGroup: st.LogGroup, LogStream: st.LogStream,
		Lines: len(p.Malformed)}, data)
}

// refused dead-letters the lines of records Firehose did not accept, with
// the event times of those records (sc.spans, found by the records' first
// byte: each record is its own slice of sc.buf).
func (h *Handler) refused(u Undelivered, sc *scratch, st *Stats, l *letters) {
	size := 0
	var times span
	for _, r := range u.Records {
		size += len(r)
		for i, rec := range sc.records {
			if len(r) > 0 && len(rec) > 0 && &rec[0] == &r[0] {
				times.join(sc.spans[i])
				break
			}
		}
	}
	var sb strings.Builder
	sb.Grow(size)
	for _, r := range u.Records {
		sb.Write(r)
	}
	lines := strings.Count(sb.String(), "\n")
	st.RefusedLines += lines
	st.DeliveredLines -= lines
	l.add(DeadLetter{Reason: ReasonFirehoseRefused, Detail: u.Err.Error(), LogGroup: st.LogGroup, LogStream: st.LogStream,
		Lines: lines, FirstEventMs: times.first, LastEventMs: times.last}, sb.String())
}

// records packs the payload's flow log lines, each with its newline, into
// records of at most h.maxRecordBytes, in payload order, and dead-letters
// the events that are not flow log lines or too big.
//
// Each line is checked where it is copied: flowlog.Parser.AppendLine
// appends it to buf when it is a record of the format with no line break
// in it, and otherwise says why (ParseInto's error, or ErrLineBreak). A
// record is cut before the line that would take it past the limit.
func (h *Handler) records(p *cwlogs.Payload, st *Stats, sc *scratch, l *letters) [][]byte {
	// Room for every line and its newline, and for AppendLine's padding
	// after the last one: one allocation, which records alias.
	size := flowlog.AppendLineRoom
	for i := range p.Events {
		size += len(p.Events[i].Message) + 1
	}
	buf := sc.buf[:0]
	if cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	records, spans := sc.records[:0], sc.spans[:0]
	bad := sc.bad[:0]
	badLines, badDetail := 0, ""
	var badTimes, recTimes span
	recStart := 0
	for i := range p.Events {
		e := &p.Events[i]
		line := flowlog.TrimLineEnding(e.Message)
		end := len(buf) // where the line goes
		var err error
		if buf, err = h.parser.AppendLine(buf, line); err != nil {
			st.NotFlowLog++
			if st.NotFlowLog <= maxDetailLogs {
				h.logger.Warn("log event is not a flow log record: dead-lettered",
					slog.String("log_group", p.LogGroup), slog.String("log_stream", p.LogStream),
					slog.String("event_id", e.ID), slog.Any("error", err), slog.String("line", truncate(line, 256)))
			}
			detail := fmt.Sprintf("event %s: %v", e.ID, err)
			if errors.Is(err, flowlog.ErrLineBreak) {
				// Its own letter: joined with others it would read as
				// several lines.
				l.add(DeadLetter{Reason: ReasonNotFlowLog, Detail: detail, LogGroup: st.LogGroup, LogStream: st.LogStream, Lines: 1,
					FirstEventMs: e.Timestamp, LastEventMs: e.Timestamp}, line+"\n")
				continue
			}
			if badLines == 0 {
				badDetail = detail
			}
			badLines++
			badTimes.add(e.Timestamp)
			bad = append(bad, line...)
			bad = append(bad, '\n')
			continue
		}
		if len(line)+1 > MaxRecordBytes {
			buf = buf[:end]
			st.Oversize++
			if st.Oversize <= maxDetailLogs {
				h.logger.Warn("flow log line too big for a Firehose record: dead-lettered",
					slog.String("log_group", p.LogGroup), slog.String("log_stream", p.LogStream),
					slog.String("event_id", e.ID), slog.Int("bytes", len(line)+1), slog.Int("max_bytes", MaxRecordBytes))
			}
			l.add(DeadLetter{Reason: ReasonOversize,
				Detail:   fmt.Sprintf("event %s: %d bytes with its newline, over the %d-byte Firehose record quota", e.ID, len(line)+1, MaxRecordBytes),
				LogGroup: st.LogGroup, LogStream: st.LogStream, Lines: 1, FirstEventMs: e.Timestamp, LastEventMs: e.Timestamp}, line+"\n")
			continue
		}
		if len(buf)-recStart > h.maxRecordBytes && end > recStart {
			records = append(records, buf[recStart:end:end])
			spans = append(spans, recTimes)
			recStart, recTimes = end, span{}
		}
		recTimes.add(e.Timestamp)
		st.Lines++
	}
	if len(buf) > recStart {
		records = append(records, buf[recStart:len(buf):len(buf)])
		spans = append(spans, recTimes)
	}
	if badLines > 0 {
		if badLines > 1 {
			badDetail += fmt.Sprintf(" (first of %d lines)", badLines)
		}
		l.add(DeadLetter{Reason: ReasonNotFlowLog, Detail: badDetail, LogGroup: st.LogGroup, LogStream: st.LogStream, Lines: badLines,
			FirstEventMs: badTimes.first, LastEventMs: badTimes.last}, string(bad))
	}
	sc.buf, sc.records, sc.spans, sc.bad = buf, records, spans, bad
	st.Records = len(records)
	return records
}

// logSummary writes the invocation's summary line: INFO when everything
// went out, WARN when something was dead-lettered, ERROR when dead letters
// could not be written (the invocation fails).
func (h *Handler) logSummary(st Stats, start time.Time, err error) {
	level, msg := slog.LevelInfo, "payload forwarded"
	switch {
	case err != nil:
		level, msg = slog.LevelError, "dead letters not written"
	case st.BadPayload != "":
		level, msg = slog.LevelWarn, "malformed payload"
	case st.DeadLetters > 0:
		level, msg = slog.LevelWarn, "payload forwarded with dead letters"
	}
	attrs := []slog.Attr{
		slog.String("log_group", st.LogGroup),
		slog.String("log_stream", st.LogStream),
		slog.Int("events", st.Events),
		slog.Int("lines", st.Lines),
		slog.Int("records", st.Records),
		slog.Int("delivered_lines", st.DeliveredLines),
		slog.Int("refused_lines", st.RefusedLines),
		slog.Int("unsent_lines", st.Unsent),
		slog.Int("malformed_events", st.MalformedEvents),
		slog.Int("not_flow_log", st.NotFlowLog),
		slog.Int("oversize", st.Oversize),
		slog.Int("dead_letters", st.DeadLetters),
		slog.Int("sent", st.Send.Sent),
		slog.Int("failed", st.Send.Failed),
		slog.Int("calls", st.Send.Calls),
		slog.Int("retries", st.Send.Retries),
		slog.Int("retried_records", st.Send.RetriedRecords),
		slog.Int("failed_calls", st.Send.FailedCalls),
		slog.Int("record_failures", st.Send.RecordFailures),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
	}
	if st.Source != "" {
		attrs = append(attrs, slog.String("kinesis_record", st.Source))
	}
	if st.BadPayload != "" {
		attrs = append(attrs, slog.Int("malformed_payloads", 1), slog.String("bad_payload", st.BadPayload))
	}
	if err != nil {
		attrs = append(attrs, slog.Any("error", err))
	}
	h.logger.LogAttrs(context.Background(), level, msg, attrs...)
}

// truncate shortens s to at most n bytes for a log line.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
