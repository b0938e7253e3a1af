package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Why an input went to the dead-letter queue (DeadLetter.Reason).
const (
	// ReasonFirehoseRefused: flow log lines that Firehose still had not
	// accepted when the Sender gave up (retries spent, the invocation's
	// deadline near, or a non-retryable error such as a missing stream).
	// Data is the lines, each with its newline: re-send it as Firehose
	// records to deliver them.
	ReasonFirehoseRefused = "firehose_refused"
	// ReasonNotFlowLog: a log event that is not a line of the configured
	// flow log format (or contains a line break). Data is the line and a
	// newline; Detail is the parser's error for the first line of the
	// letter.
	ReasonNotFlowLog = "not_flow_log"
	// ReasonOversize: a line larger than a Firehose record can hold.
	// Data is the line and a newline, split across parts.
	ReasonOversize = "oversize_line"
	// ReasonMalformedEvents: log events that do not have the documented
	// shape (no string "message", say), which the decoder cannot return
	// as lines. Data is the whole payload as received (awslogs.data,
	// base64 gzip); Detail lists the malformed events' indexes in
	// logEvents and why. The payload's good events were delivered.
	ReasonMalformedEvents = "malformed_events"
	// ReasonBadPayload: a payload that cannot be decoded (bad base64,
	// gzip or JSON, or an unknown message type). Data is the payload as
	// received (awslogs.data).
	ReasonBadPayload = "bad_payload"
)

// Encodings of DeadLetter.Data.
const (
	// EncodingText: Data is the bytes themselves (valid UTF-8).
	EncodingText = "text"
	// EncodingBase64: Data is the standard base64 of the bytes, used when
	// they are not valid UTF-8 or hold characters SQS does not accept.
	// Each part is encoded on its own, so parts decode separately.
	EncodingBase64 = "base64"
)

// MaxDeadLetterBytes is the largest message body sent to the dead-letter
// queue: 256 KiB, the SQS message size limit of queues created before the
// limit was raised, and of the whole SendMessageBatch request.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
const MaxDeadLetterBytes = 256 << 10

// MaxDetailBytes caps DeadLetter.Detail (and the names), so that the
// header of a letter never crowds out its data: longer text is cut and
// ends with TruncatedMarker.
const MaxDetailBytes = 2 << 10

// TruncatedMarker ends a Detail, LogGroup or LogStream that was cut to
// MaxDetailBytes. Data is never cut: it is split into parts instead.
const TruncatedMarker = "...[truncated]"

// DeadLetter is one SQS message of the forwarder's dead-letter queue, a
// JSON object. An input too big for one message is split into Parts
// messages with the same ID, numbered from 1: the concatenation of their
// decoded Data, in Part order, is the input byte for byte. Where the input
// is lines, parts are cut after a newline whenever a line fits in a part,
// so that most parts are whole lines that can be replayed on their own.
type DeadLetter struct {
	// Reason is one of the Reason constants.
	Reason string `json:"reason"`
	// Detail says more: the error, the Firehose error code, the malformed
	// events. At most MaxDetailBytes, ending in TruncatedMarker if cut.
	Detail string `json:"detail,omitempty"`
	// LogGroup and LogStream name the CloudWatch Logs source when known.
	LogGroup  string `json:"log_group,omitempty"`
	LogStream string `json:"log_stream,omitempty"`
	// Lines is how many log lines the whole input holds (all parts), for
	// line reasons.
	Lines int `json:"lines,omitempty"`
	// FirstEventMs and LastEventMs are the earliest and latest timestamp
	// (milliseconds since the Unix epoch) of the CloudWatch Logs events
	// whose lines the input holds, for the line reasons (firehose_refused,
	// not_flow_log, oversize_line); every part carries the whole input's.
	// Unset for the payload reasons, whose events could not all be read.
	FirstEventMs int64 `json:"first_event_ms,omitempty"`
	LastEventMs  int64 `json:"last_event_ms,omitempty"`
	// ID identifies the input: the hex SHA-256 prefix of reason and data.
	// A Lambda retry of the same event produces the same ID, so a replay
	// can skip copies.
	ID string `json:"id"`
	// Part (from 1) and Parts number the messages of one input.
	Part  int `json:"part"`
	Parts int `json:"parts"`
	// Encoding is EncodingText or EncodingBase64.
	Encoding string `json:"encoding"`
	// Data is this part of the input, encoded as Encoding says.
	Data string `json:"data"`
}

// capText returns s cut to at most n bytes on a rune boundary, with
// TruncatedMarker appended when cut, and made safe for an SQS body.
func capText(s string, n int) string {
	s = sqsSafe(s)
	if len(s) <= n {
		return s
	}
	cut := n - len(TruncatedMarker)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + TruncatedMarker
}

// sqsSafe replaces what SQS refuses in a message body and JSON cannot
// escape: invalid UTF-8 and U+FFFE, U+FFFF. (Control characters are
// escaped by the JSON encoding.) Used for the informational fields only;
// Data that is not textSafe is base64-encoded instead.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
func sqsSafe(s string) string {
	if textSafe(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.NewReplacer("\uFFFE", "\uFFFD", "\uFFFF", "\uFFFD").Replace(s)
}

// textSafe reports whether s can travel as JSON text in an SQS message
// unchanged.
func textSafe(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, '\uFFFE') && !strings.ContainsRune(s, '\uFFFF')
}

// jsonLen is the length of r inside a JSON string as encodeBody writes it
// (encoding/json without HTML escaping).
func jsonLen(r rune, size int) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
		return 2
	case r < 0x20 || r == '\u2028' || r == '\u2029':
		return 6
	}
	return size
}

// encodeBody is the JSON of a letter, without HTML escaping (which would
// only make it longer).
func encodeBody(l *DeadLetter) (string, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(l); err != nil {
		return "", err
	}
	return strings.TrimSuffix(sb.String(), "\n"), nil
}

// makeLetters turns one input into message bodies of at most maxBytes
// (MaxDeadLetterBytes when 0), as described on DeadLetter. hdr supplies
// Reason, Detail, LogGroup, LogStream and Lines; the names and Detail are
// capped here.
func makeLetters(hdr DeadLetter, data string, maxBytes int) ([]string, error) {
	if maxBytes <= 0 {
		maxBytes = MaxDeadLetterBytes
	}
	hdr.Detail = capText(hdr.Detail, MaxDetailBytes)
	hdr.LogGroup = capText(hdr.LogGroup, MaxDetailBytes)
	hdr.LogStream = capText(hdr.LogStream, MaxDetailBytes)
	sum := sha256.New()
	io.WriteString(sum, hdr.Reason+"\x00")
	io.WriteString(sum, data)
	hdr.ID = hex.EncodeToString(sum.Sum(nil)[:12])
	hdr.Encoding = EncodingText
	if !textSafe(data) {
		hdr.Encoding = EncodingBase64
	}
	// The header with the widest part numbers a split can have.
	probe := hdr
	probe.Part, probe.Parts = len(data)+1, len(data)+1
	head, err := encodeBody(&probe)
	if err != nil {
		return nil, err
	}
	budget := maxBytes - len(head)
	if budget < 64 {
		return nil, fmt.Errorf("dead letter header of %d bytes leaves no room for data in %d", len(head), maxBytes)
	}
	var chunks []string
	if hdr.Encoding == EncodingBase64 {
		raw := budget / 4 * 3
		for rest := data; ; {
			n := min(raw, len(rest))
			chunks = append(chunks, base64.StdEncoding.EncodeToString([]byte(rest[:n])))
			rest = rest[n:]
			if len(rest) == 0 {
				break
			}
		}
	} else {
		chunks = splitText(data, budget)
	}
	bodies := make([]string, len(chunks))
	for i, c := range chunks {
		l := hdr
		l.Part, l.Parts, l.Data = i+1, len(chunks), c
		if bodies[i], err = encodeBody(&l); err != nil {
			return nil, err
		}
		if len(bodies[i]) > maxBytes {
			return nil, fmt.Errorf("dead letter part %d is %d bytes, over %d", i+1, len(bodies[i]), maxBytes)
		}
	}
	return bodies, nil
}

// splitText cuts valid UTF-8 s into pieces whose JSON-escaped length is at
// most budget, after the last newline that fits when there is one, else on
// a rune boundary. An empty s is one empty piece.
func splitText(s string, budget int) []string {
	var out []string
	for {
		size, cut, lastNL := 0, 0, -1
		for cut < len(s) {
			r, n := utf8.DecodeRuneInString(s[cut:])
			w := jsonLen(r, n)
			if size+w > budget {
				break
			}
			size += w
			cut += n
			if r == '\n' {
				lastNL = cut
			}
		}
		if cut == len(s) {
			return append(out, s)
		}
		if lastNL > 0 {
			cut = lastNL
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
}
