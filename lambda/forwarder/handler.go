package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// maxDetailLogs is how many problem events (malformed, not a flow log, too
// big) are logged one by one per invocation and kind; the rest are counted
// in the summary line, so a misconfigured format cannot flood the logs.
const maxDetailLogs = 10

// Handler is the forwarder Lambda function. For each CloudWatch Logs
// subscription payload it sends every flow log line to Firehose as one
// newline-terminated record.
//
// What it does with payloads that are not all good:
//
//   - A CONTROL_MESSAGE (CloudWatch Logs checking the destination) is
//     ignored.
//   - A payload that cannot be decoded (bad base64, gzip or JSON, or an
//     unknown message type) is logged with its log group and stream when
//     they can be read, and counted; the invocation succeeds, because a
//     retry would decode the same bytes the same way.
//   - Log events that are malformed, are not lines of the configured flow
//     log format (FLOW_LOG_FORMAT), or contain line breaks are logged with
//     their group, stream and event id, counted, and left out; the other
//     events of the payload still go out.
//   - A line too big for a Firehose record (over 1,000 KiB with its newline)
//     is logged, counted and dropped, and does not fail the invocation: the
//     quota cannot be raised, so every retry would fail the same way and the
//     payload's good records would be re-sent each time; a flow log record
//     is never near that size, so such a line is not flow log data anyway.
//   - Records that Firehose still has not accepted after the Sender's
//     retries fail the invocation, so Lambda's asynchronous retries and the
//     function's on-failure destination take over. (Those retries re-send
//     the whole payload, including records accepted the first time.)
type Handler struct {
	parser   *flowlog.Parser
	sender   *Sender
	logger   *slog.Logger
	decoders sync.Pool // of *cwlogs.Decoder
}

// NewHandler returns the function's handler for cfg, sending with api.
func NewHandler(cfg Config, api FirehoseAPI, logger *slog.Logger) *Handler {
	return &Handler{
		parser: flowlog.NewParser(cfg.Fields),
		sender: &Sender{API: api, Config: cfg.Send, Logger: logger},
		logger: logger,
		decoders: sync.Pool{New: func() any {
			return cwlogs.NewDecoder()
		}},
	}
}

// Stats counts what one invocation did. It is logged as the invocation's
// summary line.
type Stats struct {
	LogGroup, LogStream string
	// BadPayload is why the payload could not be decoded (a cwlogs.Reason
	// or "unknown_message_type"), "" if it was.
	BadPayload string
	// Control is set for a CONTROL_MESSAGE, which is ignored.
	Control bool
	// Events is the number of log events in the payload, malformed ones
	// included; MalformedEvents, NotFlowLog and Oversize count those left
	// out, and Records those handed to Firehose.
	Events, MalformedEvents, NotFlowLog, Oversize, Records int
	// Send is what the Sender did with the records.
	Send SendResult
}

// Handle is the Lambda entry point. Only the base64 string of the event is
// decoded by the runtime's encoding/json; the payload itself goes through
// the fast cwlogs decoder.
func (h *Handler) Handle(ctx context.Context, ev events.CloudwatchLogsEvent) error {
	_, err := h.Process(ctx, ev.AWSLogs.Data)
	return err
}

// Process forwards the payload in data (the event's awslogs.data) and
// returns what it did. The error is non-nil only when records could not be
// delivered.
func (h *Handler) Process(ctx context.Context, data string) (Stats, error) {
	start := time.Now()
	var st Stats
	d := h.decoders.Get().(*cwlogs.Decoder)
	defer h.decoders.Put(d)

	p, err := d.DecodeString(data) // valid until d is used again
	if err != nil {
		st.BadPayload = cwlogs.Reason(err)
		var de *cwlogs.DecodeError
		if errors.As(err, &de) {
			st.LogGroup, st.LogStream = de.LogGroup, de.LogStream
		}
		h.logger.Error("malformed payload: not forwarded",
			slog.String("log_group", st.LogGroup), slog.String("log_stream", st.LogStream),
			slog.String("reason", st.BadPayload), slog.Int("data_bytes", len(data)), slog.Any("error", err))
		h.logSummary(st, start, nil)
		return st, nil
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
		h.logger.Error("malformed payload: unknown message type, not forwarded",
			slog.String("log_group", st.LogGroup), slog.String("log_stream", st.LogStream),
			slog.String("message_type", p.MessageType), slog.Int("events", st.Events))
		h.logSummary(st, start, nil)
		return st, nil
	}

	records := h.records(p, &st)
	res, err := h.sender.Send(ctx, records)
	st.Send = res
	h.logSummary(st, start, err)
	if err != nil {
		return st, fmt.Errorf("forwarder: log group %s, stream %s: %w", st.LogGroup, st.LogStream, err)
	}
	return st, nil
}

// records turns the payload's flow log lines into Firehose records, each
// the line and a newline, all in one allocation, in payload order. The
// events left out are counted in st and logged.
func (h *Handler) records(p *cwlogs.Payload, st *Stats) [][]byte {
	for i, m := range p.Malformed {
		st.MalformedEvents++
		if i < maxDetailLogs {
			h.logger.Warn("malformed log event skipped",
				slog.String("log_group", p.LogGroup), slog.String("log_stream", p.LogStream),
				slog.String("event_id", m.ID), slog.Int("index", m.Index), slog.String("reason", m.Reason))
		}
	}

	size := 0
	for i := range p.Events {
		size += len(p.Events[i].Message) + 1
	}
	buf := make([]byte, 0, size)
	records := make([][]byte, 0, len(p.Events))
	var rec flowlog.Record
	for i := range p.Events {
		e := &p.Events[i]
		line := strings.TrimRight(e.Message, "\r\n")
		err := h.parseLine(line, &rec)
		if err != nil {
			st.NotFlowLog++
			if st.NotFlowLog <= maxDetailLogs {
				h.logger.Warn("log event is not a flow log record: skipped",
					slog.String("log_group", p.LogGroup), slog.String("log_stream", p.LogStream),
					slog.String("event_id", e.ID), slog.Any("error", err), slog.String("line", truncate(line, 256)))
			}
			continue
		}
		if len(line)+1 > MaxRecordBytes {
			st.Oversize++
			if st.Oversize <= maxDetailLogs {
				h.logger.Warn("flow log line too big for a Firehose record: dropped",
					slog.String("log_group", p.LogGroup), slog.String("log_stream", p.LogStream),
					slog.String("event_id", e.ID), slog.Int("bytes", len(line)+1), slog.Int("max_bytes", MaxRecordBytes))
			}
			continue
		}
		n := len(buf)
		buf = append(buf, line...)
		buf = append(buf, '\n')
		records = append(records, buf[n:len(buf):len(buf)])
	}
	st.Records = len(records)
	return records
}

// errLineBreak rejects lines that would become several lines in Firehose.
var errLineBreak = fmt.Errorf("%w: line break inside the line", flowlog.ErrNotFlowLog)

// parseLine checks that line is one record of the configured format.
func (h *Handler) parseLine(line string, rec *flowlog.Record) error {
	if strings.IndexByte(line, '\n') >= 0 || strings.IndexByte(line, '\r') >= 0 {
		return errLineBreak
	}
	return h.parser.ParseInto(line, rec)
}

// logSummary writes the invocation's summary line: INFO when everything
// went out, ERROR when records could not be delivered.
func (h *Handler) logSummary(st Stats, start time.Time, err error) {
	level, msg := slog.LevelInfo, "payload forwarded"
	switch {
	case err != nil:
		level, msg = slog.LevelError, "payload not fully delivered"
	case st.BadPayload != "":
		msg = "malformed payload"
	}
	attrs := []slog.Attr{
		slog.String("log_group", st.LogGroup),
		slog.String("log_stream", st.LogStream),
		slog.Int("events", st.Events),
		slog.Int("records", st.Records),
		slog.Int("sent", st.Send.Sent),
		slog.Int("failed", st.Send.Failed),
		slog.Int("malformed_events", st.MalformedEvents),
		slog.Int("not_flow_log", st.NotFlowLog),
		slog.Int("oversize", st.Oversize),
		slog.Int("calls", st.Send.Calls),
		slog.Int("retries", st.Send.Retries),
		slog.Int("retried_records", st.Send.RetriedRecords),
		slog.Int("failed_calls", st.Send.FailedCalls),
		slog.Int("record_failures", st.Send.RecordFailures),
		slog.Int64("duration_ms", time.Since(start).Milliseconds()),
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
