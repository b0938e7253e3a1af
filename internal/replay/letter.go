// Package replay feeds what a stack's dead-letter queues hold back into the
// normal path: it receives the messages of one SQS queue, recognises what
// each holds (see Kind), hands the replayable ones to a Sink (Firehose, a
// Lambda function, a file) and deletes a message only once its replay
// succeeded. See docs/replay.md.
package replay

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Kind is what a dead-letter message holds.
type Kind string

const (
	// KindForwarderRecords: flow log lines Firehose refused, written by the
	// forwarder (lambda/forwarder/deadletter.go, reason firehose_refused).
	// Replayed by sending the lines to the delivery stream again.
	KindForwarderRecords Kind = "forwarder-records"
	// KindForwarderInput: an input the forwarder could not decode or
	// deliver at all (not_flow_log, oversize_line, malformed_events,
	// bad_payload). Reported, never replayed: it would fail the same way.
	KindForwarderInput Kind = "forwarder-undecodable"
	// KindIndexerReject: a document OpenSearch refused (indexer stage
	// "index", e.g. a mapping error; lambda/indexer/deadletter.go).
	// Replayed by invoking the indexer with the log event it came from,
	// once the mapping is fixed.
	KindIndexerReject Kind = "indexer-reject"
	// KindIndexerInput: a log event the indexer could not parse or turn
	// into a document (stages event, parse, document). Reported, never
	// replayed.
	KindIndexerInput Kind = "indexer-undecodable"
	// KindOnFailure: a Lambda on-failure destination record of an
	// asynchronous invocation whose retries all failed; its requestPayload
	// is the original event. Replayed by invoking the function with it.
	// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
	KindOnFailure Kind = "lambda-on-failure"
	// KindSNSNotification: an SNS notification that SNS could not deliver
	// to the Slack function and dead-lettered (the subscription's redrive
	// policy). Replayed by invoking the function with the SNS event it
	// would have received.
	// https://docs.aws.amazon.com/sns/latest/dg/sns-dead-letter-queues.html
	KindSNSNotification Kind = "sns-notification"
	// KindKinesisBatch: the record a Kinesis event source mapping sends to
	// its on-failure destination when it discards a batch (retries or
	// record age exhausted): metadata only, KinesisBatchInfo naming the
	// stream, the shard and the first and last sequence numbers. Replayed
	// by reading those records back from the stream and invoking the
	// function with the Kinesis event they made, while the stream still
	// holds them.
	// https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
	KindKinesisBatch Kind = "kinesis-batch"
	// KindUnknown: a body none of the above describes. Reported, never
	// replayed.
	KindUnknown Kind = "unknown"
)

// Replayable reports whether messages of kind k are replayed (the others are
// reported and left in the queue).
func (k Kind) Replayable() bool {
	switch k {
	case KindForwarderRecords, KindIndexerReject, KindOnFailure, KindSNSNotification, KindKinesisBatch:
		return true
	}
	return false
}

// Letter is one dead-letter message, decoded.
type Letter struct {
	Kind Kind
	// Reason says why the message is in the queue (the writer's reason,
	// the function's error, or why the body was not understood).
	Reason string
	// LogGroup and LogStream name the CloudWatch Logs source, when known.
	LogGroup, LogStream string
	// First and Last are the earliest and latest event times the message
	// holds, zero when it holds none.
	First, Last time.Time
	// Key identifies the content, so that copies of one input (a Lambda
	// retry writes the same letter again) are replayed once.
	Key string
	// Part and Parts number the pieces of an input split over several
	// messages (Parts > 1); GroupKey names the input. Data is this
	// message's piece, decoded.
	GroupKey    string
	Part, Parts int
	Data        []byte
	// Event is, for KindIndexerReject, the log event to index again.
	Event *LogEvent
	// Payload is, for KindOnFailure and KindSNSNotification, the event to
	// invoke the function with.
	Payload json.RawMessage
	// Batch is, for KindKinesisBatch, the discarded batch.
	Batch *KinesisBatchInfo
}

// KinesisBatchInfo is the part of a Kinesis event source mapping's
// on-failure record that names the discarded batch (the records themselves
// are not in it: they must be read from the stream before they expire).
// https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
type KinesisBatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamArn                       string `json:"streamArn"`
}

// kinesisFailureRecord is the on-failure record of a Kinesis event source
// mapping: requestContext and responseContext as for an asynchronous
// invocation, no requestPayload, and KinesisBatchInfo.
type kinesisFailureRecord struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode    int    `json:"statusCode"`
		FunctionError string `json:"functionError"`
	} `json:"responseContext"`
	Version          string            `json:"version"`
	Timestamp        string            `json:"timestamp"`
	KinesisBatchInfo *KinesisBatchInfo `json:"KinesisBatchInfo"`
}

// LogEvent is a CloudWatch Logs log event.
type LogEvent struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

// forwarderLetter is the JSON of lambda/forwarder's DeadLetter.
type forwarderLetter struct {
	Reason    string `json:"reason"`
	Detail    string `json:"detail"`
	LogGroup  string `json:"log_group"`
	LogStream string `json:"log_stream"`
	ID        string `json:"id"`
	Part      int    `json:"part"`
	Parts     int    `json:"parts"`
	Encoding  string `json:"encoding"`
	Data      string `json:"data"`
	// The event times of the lines (milliseconds), when the letter holds lines.
	FirstEventMs int64 `json:"first_event_ms"`
	LastEventMs  int64 `json:"last_event_ms"`
}

// indexerLetter is the JSON of lambda/indexer's DeadLetterMessage.
type indexerLetter struct {
	Stage      string `json:"stage"`
	Reason     string `json:"reason"`
	Index      string `json:"index"`
	ID         string `json:"id"`
	Timestamp  int64  `json:"timestamp"`
	LogGroup   string `json:"log_group"`
	LogStream  string `json:"log_stream"`
	Line       string `json:"line"`
	LineBase64 string `json:"line_base64"`
	LineBytes  int    `json:"line_bytes"`
	Part       int    `json:"part"`
	Parts      int    `json:"parts"`
	LineSHA256 string `json:"line_sha256"`
}

// onFailureRecord is the invocation record Lambda sends to an on-failure
// destination.
// https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
type onFailureRecord struct {
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext struct {
		StatusCode    int    `json:"statusCode"`
		FunctionError string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

// snsNotification is an SNS message as SNS delivers it (and dead-letters
// it).
type snsNotification struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicArn  string `json:"TopicArn"`
	Subject   string `json:"Subject"`
	Message   string `json:"Message"`
	Timestamp string `json:"Timestamp"`
}

// Parse decodes one message body. It never fails: a body it does not
// understand is a KindUnknown letter whose Reason says why.
func Parse(body string) Letter {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &probe); err != nil {
		return Letter{Kind: KindUnknown, Reason: "not a JSON object: " + err.Error(), Key: contentKey("raw", body)}
	}
	has := func(k string) bool { _, ok := probe[k]; return ok }
	switch {
	case has("KinesisBatchInfo"):
		return parseKinesisBatch(body)
	case has("requestContext") && has("requestPayload"):
		return parseOnFailure(body)
	case has("stage") && has("line_bytes"):
		return parseIndexer(body)
	case has("reason") && has("encoding") && has("parts"):
		return parseForwarder(body)
	case has("Type") && has("TopicArn") && has("Message"):
		return parseSNS(body)
	}
	return Letter{Kind: KindUnknown, Reason: "not a dead letter this project writes", Key: contentKey("raw", body)}
}

func contentKey(kind, s string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + s))
	return hex.EncodeToString(sum[:12])
}

func parseForwarder(body string) Letter {
	var f forwarderLetter
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		return Letter{Kind: KindUnknown, Reason: "forwarder letter: " + err.Error(), Key: contentKey("raw", body)}
	}
	l := Letter{Kind: KindForwarderInput, Reason: f.Reason, LogGroup: f.LogGroup, LogStream: f.LogStream,
		GroupKey: "forwarder/" + f.ID, Part: f.Part, Parts: f.Parts}
	if f.Detail != "" {
		l.Reason += ": " + f.Detail
	}
	l.Key = fmt.Sprintf("forwarder/%s/%d", f.ID, f.Part)
	if f.FirstEventMs != 0 && f.LastEventMs != 0 {
		l.First, l.Last = time.UnixMilli(f.FirstEventMs).UTC(), time.UnixMilli(f.LastEventMs).UTC()
	}
	switch f.Encoding {
	case "text":
		l.Data = []byte(f.Data)
	case "base64":
		b, err := base64.StdEncoding.DecodeString(f.Data)
		if err != nil {
			return Letter{Kind: KindUnknown, Reason: "forwarder letter data: " + err.Error(), Key: l.Key}
		}
		l.Data = b
	default:
		return Letter{Kind: KindUnknown, Reason: fmt.Sprintf("forwarder letter encoding %q", f.Encoding), Key: l.Key}
	}
	if f.Reason == "firehose_refused" {
		if f.ID == "" || f.Part < 1 || f.Parts < f.Part {
			return Letter{Kind: KindUnknown, Reason: fmt.Sprintf("forwarder letter id %q part %d of %d", f.ID, f.Part, f.Parts), Key: l.Key}
		}
		l.Kind = KindForwarderRecords
	}
	return l
}

func parseIndexer(body string) Letter {
	var x indexerLetter
	if err := json.Unmarshal([]byte(body), &x); err != nil {
		return Letter{Kind: KindUnknown, Reason: "indexer letter: " + err.Error(), Key: contentKey("raw", body)}
	}
	l := Letter{Kind: KindIndexerInput, Reason: x.Stage + ": " + x.Reason, LogGroup: x.LogGroup, LogStream: x.LogStream}
	if x.Timestamp != 0 {
		l.First = time.UnixMilli(x.Timestamp).UTC()
		l.Last = l.First
	}
	line := []byte(x.Line)
	if x.LineBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(x.LineBase64)
		if err != nil {
			return Letter{Kind: KindUnknown, Reason: "indexer letter line: " + err.Error(), Key: contentKey("raw", body)}
		}
		line = b
	}
	l.Data = line
	l.GroupKey = "indexer/" + x.Index + "/" + x.ID + "/" + x.LineSHA256
	l.Part, l.Parts = max(x.Part, 1), max(x.Parts, 1)
	l.Key = fmt.Sprintf("%s/%d", l.GroupKey, l.Part)
	if x.Stage == "index" {
		switch {
		case x.ID == "":
			l.Reason += " (no event id: cannot be indexed idempotently)"
		case x.LineBase64 != "":
			// JSON strings carry UTF-8 only, so the event cannot be
			// rebuilt byte for byte.
			l.Reason += " (line is not valid UTF-8)"
		default:
			l.Kind = KindIndexerReject
			l.Event = &LogEvent{ID: x.ID, Timestamp: x.Timestamp}
		}
	}
	return l
}

func parseOnFailure(body string) Letter {
	var r onFailureRecord
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return Letter{Kind: KindUnknown, Reason: "on-failure record: " + err.Error(), Key: contentKey("raw", body)}
	}
	l := Letter{Kind: KindOnFailure, Payload: r.RequestPayload, Reason: r.RequestContext.Condition}
	if r.ResponseContext.FunctionError != "" {
		l.Reason += ": " + r.ResponseContext.FunctionError
	}
	if msg := errorMessage(r.ResponsePayload); msg != "" {
		l.Reason += ": " + msg
	}
	l.Key = "invocation/" + r.RequestContext.RequestID
	if r.RequestContext.RequestID == "" {
		l.Key = contentKey("payload", string(r.RequestPayload))
	}
	if len(bytes.TrimSpace(r.RequestPayload)) == 0 || string(bytes.TrimSpace(r.RequestPayload)) == "null" {
		l.Kind, l.Reason = KindUnknown, "on-failure record without a requestPayload"
		return l
	}
	describeEvent(&l, r.RequestPayload)
	return l
}

// errorMessage returns the errorMessage of a Lambda error response.
func errorMessage(p json.RawMessage) string {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(p, &e) != nil {
		return ""
	}
	return e.ErrorMessage
}

// describeEvent fills in the log group and event times of a CloudWatch Logs
// subscription event; other events are left alone.
func describeEvent(l *Letter, payload json.RawMessage) {
	var ev struct {
		AWSLogs struct {
			Data string `json:"data"`
		} `json:"awslogs"`
	}
	if json.Unmarshal(payload, &ev) != nil || ev.AWSLogs.Data == "" {
		return
	}
	p, err := decodeLogs(ev.AWSLogs.Data)
	if err != nil {
		return
	}
	l.LogGroup, l.LogStream = p.LogGroup, p.LogStream
	for _, e := range p.LogEvents {
		t := time.UnixMilli(e.Timestamp).UTC()
		if l.First.IsZero() || t.Before(l.First) {
			l.First = t
		}
		if t.After(l.Last) {
			l.Last = t
		}
	}
}

func parseKinesisBatch(body string) Letter {
	var r kinesisFailureRecord
	if err := json.Unmarshal([]byte(body), &r); err != nil || r.KinesisBatchInfo == nil {
		reason := "Kinesis on-failure record without KinesisBatchInfo"
		if err != nil {
			reason = "Kinesis on-failure record: " + err.Error()
		}
		return Letter{Kind: KindUnknown, Reason: reason, Key: contentKey("raw", body)}
	}
	b := r.KinesisBatchInfo
	l := Letter{Kind: KindKinesisBatch, Batch: b, Reason: r.RequestContext.Condition,
		Key: "kinesis/" + b.StreamArn + "/" + b.ShardID + "/" + b.StartSequenceNumber + "-" + b.EndSequenceNumber}
	if r.ResponseContext.FunctionError != "" {
		l.Reason += ": " + r.ResponseContext.FunctionError
	}
	l.Reason += fmt.Sprintf(": %d records of %s %s", b.BatchSize, b.StreamArn, b.ShardID)
	if t, err := time.Parse(time.RFC3339Nano, b.ApproximateArrivalOfFirstRecord); err == nil {
		l.First = t.UTC()
	}
	if t, err := time.Parse(time.RFC3339Nano, b.ApproximateArrivalOfLastRecord); err == nil {
		l.Last = t.UTC()
	}
	if b.StreamArn == "" || b.ShardID == "" || b.StartSequenceNumber == "" || b.EndSequenceNumber == "" {
		l.Kind, l.Reason = KindUnknown, "Kinesis on-failure record without stream, shard or sequence numbers: "+l.Reason
	}
	return l
}

func parseSNS(body string) Letter {
	var n snsNotification
	if err := json.Unmarshal([]byte(body), &n); err != nil || n.Type != "Notification" {
		return Letter{Kind: KindUnknown, Reason: "SNS message that is not a Notification", Key: contentKey("raw", body)}
	}
	l := Letter{Kind: KindSNSNotification, Reason: "SNS could not deliver it", Key: "sns/" + n.MessageID}
	if t, err := time.Parse(time.RFC3339, n.Timestamp); err == nil {
		l.First, l.Last = t.UTC(), t.UTC()
	}
	// The event SNS invokes a subscribed function with.
	// https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
	var sns map[string]any
	if err := json.Unmarshal([]byte(body), &sns); err != nil {
		return Letter{Kind: KindUnknown, Reason: err.Error(), Key: l.Key}
	}
	ev := map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": n.TopicArn, "Sns": sns,
	}}}
	p, err := json.Marshal(ev)
	if err != nil {
		return Letter{Kind: KindUnknown, Reason: err.Error(), Key: l.Key}
	}
	l.Payload = p
	return l
}

// logsPayload is the JSON inside a CloudWatch Logs subscription event.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
type logsPayload struct {
	MessageType         string     `json:"messageType"`
	Owner               string     `json:"owner"`
	LogGroup            string     `json:"logGroup"`
	LogStream           string     `json:"logStream"`
	SubscriptionFilters []string   `json:"subscriptionFilters"`
	LogEvents           []LogEvent `json:"logEvents"`
}

// maxLogsPayload bounds a decompressed subscription payload read by
// decodeLogs (CloudWatch Logs delivers at most 1 MB compressed events).
const maxLogsPayload = 64 << 20

func decodeLogs(data string) (*logsPayload, error) {
	gz, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxLogsPayload))
	if err != nil {
		return nil, err
	}
	var p logsPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// LogsEvent returns the event a subscribed Lambda function receives from
// CloudWatch Logs for events of one log group and stream:
// {"awslogs":{"data":"<base64 of gzip of the JSON payload>"}}.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html#LambdaFunctionExample
func LogsEvent(logGroup, logStream string, events []LogEvent) (json.RawMessage, error) {
	p := logsPayload{MessageType: "DATA_MESSAGE", LogGroup: logGroup, LogStream: logStream,
		SubscriptionFilters: []string{"replay"}, LogEvents: events}
	raw, err := json.Marshal(&p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	var sb strings.Builder
	sb.WriteString(`{"awslogs":{"data":"`)
	sb.WriteString(base64.StdEncoding.EncodeToString(buf.Bytes()))
	sb.WriteString(`"}}`)
	return json.RawMessage(sb.String()), nil
}
