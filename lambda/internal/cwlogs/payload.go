// Package cwlogs decodes the payloads that CloudWatch Logs subscription
// filters deliver to Lambda functions, and encodes them the same way for tests.
//
// A subscribed Lambda receives {"awslogs":{"data":"..."}} where data is the
// standard base64 encoding of a gzip stream of one JSON document:
//
//	{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/vpc/flow-logs",
//	 "logStream":"eni-0123456789abcdef0-all","subscriptionFilters":["forwarder"],
//	 "logEvents":[{"id":"3595...","timestamp":1432826855000,"message":"2 123456789012 eni-..."}]}
//
// Decode (base64), DecodeGzip and DecodeJSON each start from one of the
// three layers. Two ways to call them:
//
//   - A Decoder, for the hot path of a Lambda handler, recycles everything:
//     buffers, gzip reader and the returned Payload, whose strings point
//     into the decompressed JSON. Once warm it decodes a payload without
//     allocating, but the Payload is only valid until the Decoder's next
//     call.
//   - The package-level functions use pooled Decoders and return an
//     independent Payload (its strings copied into one allocation).
//
// The JSON is read by a small scanner that knows the payload's shape (see
// scan.go for why no library): with gzip it decodes at about 85% of the
// speed of gunzip alone (BenchmarkDecodeVsGunzip).
//
// Errors are *DecodeError values that say which layer was broken: test
// them with errors.Is against ErrBadBase64, ErrBadGzip, ErrTooLarge or
// ErrBadJSON, or map them to a label with Reason. A log event of the wrong
// shape (for example without a string "message") does not fail the
// payload: it is left out of Payload.Events and reported in
// Payload.Malformed. No input makes the decoder panic, and Encode,
// EncodeGzip and AppendJSON write payloads exactly as CloudWatch Logs does,
// for tests.
package cwlogs

import "strings"

// Message types of a subscription payload.
const (
	// MessageTypeData carries log events.
	MessageTypeData = "DATA_MESSAGE"
	// MessageTypeControl is sent by CloudWatch Logs to check that the
	// destination is reachable; its events are not log data.
	MessageTypeControl = "CONTROL_MESSAGE"
)

// Event is one log event of a subscription payload.
type Event struct {
	// ID is the event's unique id, a 56-digit decimal string; empty in
	// control messages.
	ID string
	// Timestamp is the event time in milliseconds since the Unix epoch.
	Timestamp int64
	// Message is the log line, unescaped from its JSON string.
	Message string
}

// Payload is one decoded subscription payload.
//
// A Payload from a Decoder is only valid until that Decoder's next call; one
// from the package-level functions or Clone is independent, its strings
// sharing one allocation (so keeping any one of them keeps all the text
// alive).
type Payload struct {
	// MessageType is MessageTypeData or MessageTypeControl.
	MessageType string
	// Owner is the AWS account id of the log group's owner.
	Owner string
	// LogGroup is the name of the source log group.
	LogGroup string
	// LogStream is the name of the source log stream.
	LogStream string
	// SubscriptionFilters names the subscription filters that matched.
	SubscriptionFilters []string
	// Events are the well-formed log events, in payload order.
	Events []Event
	// Malformed lists the log events that were skipped because they do not
	// have the documented shape. It is empty when every event was well
	// formed. (Slices of a Decoder's Payload may be empty but not nil.)
	Malformed []MalformedEvent
	// Padded is set when each event's Message but an empty one is
	// followed in memory by a space, a zero byte and MessagePad-2 more bytes that can be read: the
	// padding flowlog.Parser.AppendPlainPadded needs to read a line where
	// it is, without a copy. A Decoder pads the messages in its buffer,
	// over the JSON after each one, which it has read; a Payload from
	// Clone or the package-level functions is not padded. It holds for
	// the decoder's own strings only: a caller that puts other strings in
	// Events must clear it.
	Padded bool `json:"-"`
}

// IsControl reports whether p is a CONTROL_MESSAGE.
func (p *Payload) IsControl() bool { return p.MessageType == MessageTypeControl }

// IsData reports whether p is a DATA_MESSAGE.
func (p *Payload) IsData() bool { return p.MessageType == MessageTypeData }

// MalformedEvent describes a log event that was skipped.
type MalformedEvent struct {
	// Index is the event's position in the payload's logEvents array.
	Index int
	// ID is the event's id if it had a string one, else "".
	ID string
	// Reason says what was wrong, e.g. `"message" is not a string`.
	Reason string
}

// Clone returns a deep copy of p that shares no memory with it. All its
// strings are copied into one new allocation.
func (p *Payload) Clone() *Payload {
	if p == nil {
		return nil
	}
	n := len(p.MessageType) + len(p.Owner) + len(p.LogGroup) + len(p.LogStream)
	for _, f := range p.SubscriptionFilters {
		n += len(f)
	}
	for i := range p.Events {
		n += len(p.Events[i].ID) + len(p.Events[i].Message)
	}
	for i := range p.Malformed {
		n += len(p.Malformed[i].ID)
	}
	var sb strings.Builder
	sb.Grow(n)
	sb.WriteString(p.Owner)
	sb.WriteString(p.LogGroup)
	sb.WriteString(p.LogStream)
	for _, f := range p.SubscriptionFilters {
		sb.WriteString(f)
	}
	for i := range p.Events {
		sb.WriteString(p.Events[i].ID)
		sb.WriteString(p.Events[i].Message)
	}
	for i := range p.Malformed {
		sb.WriteString(p.Malformed[i].ID)
	}
	sb.WriteString(p.MessageType)
	all := sb.String()
	next := func(s string) string {
		out := all[:len(s)]
		all = all[len(s):]
		return out
	}

	c := &Payload{}
	c.Owner = next(p.Owner)
	c.LogGroup = next(p.LogGroup)
	c.LogStream = next(p.LogStream)
	if len(p.SubscriptionFilters) > 0 {
		c.SubscriptionFilters = make([]string, len(p.SubscriptionFilters))
		for i, f := range p.SubscriptionFilters {
			c.SubscriptionFilters[i] = next(f)
		}
	}
	if len(p.Events) > 0 {
		c.Events = make([]Event, len(p.Events))
		for i, e := range p.Events {
			c.Events[i] = Event{ID: next(e.ID), Timestamp: e.Timestamp, Message: next(e.Message)}
		}
	}
	if len(p.Malformed) > 0 {
		c.Malformed = make([]MalformedEvent, len(p.Malformed))
		for i, m := range p.Malformed {
			c.Malformed[i] = MalformedEvent{Index: m.Index, ID: next(m.ID), Reason: m.Reason}
		}
	}
	c.MessageType = internType(next(p.MessageType))
	return c
}

// reset empties p, keeping the capacity of its slices but no references to
// the strings they held.
func (p *Payload) reset() {
	clear(p.SubscriptionFilters)
	clear(p.Events)
	clear(p.Malformed)
	*p = Payload{
		SubscriptionFilters: p.SubscriptionFilters[:0],
		Events:              p.Events[:0],
		Malformed:           p.Malformed[:0],
	}
}
