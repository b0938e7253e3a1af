package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// newTestHandler wires a Handler for default-format records to the fakes,
// with the real OpenSearch and SQS clients.
func newTestHandler(t *testing.T, os *fakeOS, q *fakeSQS) *Handler {
	t.Helper()
	enc, err := document.NewEncoder(flowlog.V2Fields(), "cwl")
	if err != nil {
		t.Fatal(err)
	}
	sl := &recordingSleep{}
	return &Handler{
		Parser:      flowlog.NewParser(flowlog.V2Fields()),
		Encoder:     enc,
		Bulk:        &BulkSender{Client: os.client(t, 2*time.Second), Sleep: sl.Sleep, Rand: func() float64 { return 0.5 }},
		DeadLetters: &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL, Sleep: sl.Sleep},
		Log:         quietLog,
	}
}

func lambdaEvent(t testing.TB, p *cwlogs.Payload) []byte {
	t.Helper()
	ev, err := cwlogstest.LambdaEvent(p)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// rawLambdaEvent wraps an arbitrary payload document as CloudWatch Logs
// would: gzip, base64, {"awslogs":{"data":...}}.
func rawLambdaEvent(t testing.TB, payloadJSON []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(payloadJSON)
	zw.Close()
	ev, _ := json.Marshal(map[string]map[string]string{"awslogs": {"data": base64.StdEncoding.EncodeToString(buf.Bytes())}})
	return ev
}

// awslogsData returns the awslogs.data of a CloudWatch Logs event: the
// payload as it came, for prepareFrom.
func awslogsData(t testing.TB, event []byte) []byte {
	t.Helper()
	var outer struct{ Awslogs struct{ Data string } }
	if err := json.Unmarshal(event, &outer); err != nil {
		t.Fatal(err)
	}
	return []byte(outer.Awslogs.Data)
}

func keyOf(enc *document.Encoder, ev cwlogs.Event) string {
	index, _ := enc.Index(ev.Timestamp)
	return index + "/" + ev.ID
}

func TestHandlerIndexesAndDeadLetters(t *testing.T) {
	os, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, os, q)
	p := cwlogstest.FlowLogPayload(300, 11)
	// Events that cannot be indexed, each for a different reason.
	p.Events[5].Message = "this is not a flow log record"
	p.Events[6].Message = "2 123456789012 eni-0123 10.0.0.1 10.0.0.2 99999999999 443 6 1 40 1718000000 1718000060 ACCEPT OK"
	p.Events[7].ID = ""
	p.Events[8].Timestamp = -5
	badPort := "2 123456789012 eni-0123 10.0.0.1 10.0.0.2 12345 443 6 1 40 1718000000 1718000060 ACCEPT OK"
	p.Events[9].Message = badPort
	wantStage := map[int]string{5: StageParse, 6: StageDocument, 7: StageDocument, 8: StageDocument, 10: StageIndex, 20: StageIndex}
	rejected := map[string]bool{keyOf(h.Encoder, p.Events[10]): true, keyOf(h.Encoder, p.Events[20]): true}
	throttled := keyOf(h.Encoder, p.Events[30])
	os.onItem = func(key string, try int) (int, string, string) {
		if rejected[key] {
			return http.StatusBadRequest, "mapper_parsing_exception", "failed to parse field [dstaddr] of type [ip]"
		}
		if key == throttled && try == 1 {
			return http.StatusTooManyRequests, "es_rejected_execution_exception", "rejected execution"
		}
		return 0, "", ""
	}
	ev := lambdaEvent(t, p)

	s, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	wantIndexed := 300 - len(wantStage)
	if s.Events != 300 || s.Indexed != wantIndexed || s.Failed != 0 || s.Documents != 300-4 {
		t.Fatalf("summary %+v", s)
	}
	if s.Indexed+sum(s.DeadLettered) != s.Events {
		t.Fatalf("indexed %d + dead-lettered %v != events %d", s.Indexed, s.DeadLettered, s.Events)
	}
	if os.count() != wantIndexed {
		t.Fatalf("the domain holds %d documents, want %d", os.count(), wantIndexed)
	}
	for i, e := range p.Events {
		if _, bad := wantStage[i]; bad {
			continue
		}
		key := keyOf(h.Encoder, e)
		if os.opsOf(key) != 1 {
			t.Fatalf("event %d indexed %d times", i, os.opsOf(key))
		}
		if i == 9 {
			doc, _ := os.doc(key)
			if doc["srcport"] != 12345.0 || doc["srcaddr"] != "10.0.0.1" || doc[document.EventIDField] != e.ID || doc[document.LogGroupField] != p.LogGroup || doc[document.LogStreamField] != p.LogStream {
				t.Fatalf("document %v", doc)
			}
		}
	}

	letters := q.letters(t)
	if len(letters) != len(wantStage) {
		t.Fatalf("%d dead letters, want %d: %+v", len(letters), len(wantStage), letters)
	}
	byLine := map[string]DeadLetter{}
	for _, d := range letters {
		byLine[d.Line+"|"+d.ID] = d
		if d.Reason == "" || d.LogGroup != p.LogGroup || d.LogStream != p.LogStream {
			t.Fatalf("dead letter without reason or source: %+v", d)
		}
	}
	for i, stage := range wantStage {
		e := p.Events[i]
		d, ok := byLine[e.Message+"|"+e.ID]
		if !ok {
			t.Fatalf("event %d not dead-lettered", i)
		}
		if d.Stage != stage {
			t.Errorf("event %d dead-lettered at %q, want %q (%s)", i, d.Stage, stage, d.Reason)
		}
		if stage == StageIndex && (d.Status != 400 || d.ErrorType != "mapper_parsing_exception" || !strings.Contains(d.Reason, "[dstaddr]") || d.Index != "cwl-2024.06.10" || d.ID != e.ID) {
			t.Errorf("index dead letter %+v", d)
		}
	}
	if d := byLine[p.Events[6].Message+"|"+p.Events[6].ID]; !strings.Contains(d.Reason, "srcport") || !strings.Contains(d.Reason, "out of range") {
		t.Errorf("dead letter reason %q", d.Reason)
	}

	// A replay (Lambda's async retry, or CloudWatch redelivering) overwrites.
	s2, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Indexed != wantIndexed || os.count() != wantIndexed {
		t.Fatalf("after a replay: summary %+v, %d documents stored, want %d", s2, os.count(), wantIndexed)
	}
	for i, e := range p.Events {
		if _, bad := wantStage[i]; !bad && os.opsOf(keyOf(h.Encoder, e)) != 2 {
			t.Fatalf("event %d: %d index operations after a replay, want 2 (one overwrite)", i, os.opsOf(keyOf(h.Encoder, e)))
		}
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestHandlerControlMessage(t *testing.T) {
	os, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, os, q)
	p := &cwlogs.Payload{MessageType: cwlogs.MessageTypeControl, Owner: "CloudwatchLogs", LogGroup: "", LogStream: "",
		Events: []cwlogs.Event{{ID: "", Timestamp: 1718000000000, Message: "CWL CONTROL MESSAGE: Checking health of destination Lambda function."}}}
	s, err := h.Handle(context.Background(), lambdaEvent(t, p))
	if err != nil || s.MessageType != cwlogs.MessageTypeControl || s.Documents != 0 {
		t.Fatalf("summary %+v, error %v", s, err)
	}
	if os.requests != 0 || q.calls != 0 {
		t.Fatalf("a control message made %d OpenSearch and %d SQS calls", os.requests, q.calls)
	}
}

func TestHandlerRejectsUndecodablePayloads(t *testing.T) {
	os, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, os, q)
	gz := func(s string) string {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return base64.StdEncoding.EncodeToString(b.Bytes())
	}
	wrap := func(data string) string { return `{"awslogs":{"data":"` + data + `"}}` }
	for name, ev := range map[string]string{
		"empty":            "",
		"not JSON":         "{not json",
		"null":             "null",
		"no awslogs":       `{"Records":[]}`,
		"data not string":  `{"awslogs":{"data":42}}`,
		"bad base64":       wrap("!!!not base64!!!"),
		"not gzip":         wrap(base64.StdEncoding.EncodeToString([]byte("plain text"))),
		"truncated gzip":   wrap(gz(`{"messageType":"DATA_MESSAGE","logEvents":[]}`)[:20]),
		"gzip of not JSON": wrap(gz("hello")),
		"no messageType":   wrap(gz(`{"logEvents":[]}`)),
		"logEvents object": wrap(gz(`{"messageType":"DATA_MESSAGE","logEvents":{}}`)),
		"unknown type":     wrap(gz(`{"messageType":"SOMETHING_ELSE","logEvents":[]}`)),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := h.Handle(context.Background(), []byte(ev))
			if !errors.Is(err, ErrBadPayload) {
				t.Fatalf("error %v, want ErrBadPayload", err)
			}
		})
	}
	if os.requests != 0 || q.calls != 0 {
		t.Fatalf("bad payloads made %d OpenSearch and %d SQS calls", os.requests, q.calls)
	}
}

func TestHandlerDeadLettersMalformedEventsAndIndexesTheRest(t *testing.T) {
	os, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, os, q)
	good := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
	payload := `{"messageType":"DATA_MESSAGE","owner":"123456789010","logGroup":"/vpc/flow-logs","logStream":"eni-1235b8ca123456789-all","subscriptionFilters":["f"],"logEvents":[` +
		`{"id":"1001","timestamp":1418530070000,"message":"` + good + `"},` +
		`{"id":"1002","timestamp":1418530070000,"message":42},` +
		`"not an event",` +
		`{"id":"1004","timestamp":"yesterday","message":"` + good + `"},` +
		`{"id":"1005","timestamp":1418530070000},` +
		`{"id":"1006","timestamp":1418530071000,"message":"` + strings.Replace(good, "ACCEPT", "REJECT", 1) + `"}]}`
	s, err := h.Handle(context.Background(), rawLambdaEvent(t, []byte(payload)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Events != 6 || s.Indexed != 2 || s.DeadLettered[StageEvent] != 4 {
		t.Fatalf("summary %+v", s)
	}
	if os.count() != 2 {
		t.Fatalf("%d documents stored", os.count())
	}
	letters := q.letters(t)
	if len(letters) != 4 {
		t.Fatalf("%d dead letters", len(letters))
	}
	// Each letter keeps the event's JSON as it came, whitespace and
	// escapes included, so that what was skipped can be inspected.
	texts := []string{`{"id":"1002","timestamp":1418530070000,"message":42}`, `"not an event"`,
		`{"id":"1004","timestamp":"yesterday","message":"` + good + `"}`, `{"id":"1005","timestamp":1418530070000}`}
	for i, d := range letters {
		if d.Stage != StageEvent || !strings.HasPrefix(d.Reason, "malformed log event: ") || d.Line != texts[i] {
			t.Fatalf("dead letter %d: %+v, want the line %s", i, d, texts[i])
		}
	}
}

// A malformed event's text is read back as it came: escapes, spaces and
// bytes that are not UTF-8 (then in line_base64) included; on the Kinesis
// path too.
func TestMalformedEventsKeepTheirText(t *testing.T) {
	good := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530070 1418530070 ACCEPT OK"
	bad := []string{
		`{ "id" : "7\u0031", "timestamp" : 1418530070000 , "message" : ["\"a\"", null] }`,
		"{\"id\":\"8\",\"timestamp\":1418530070000,\"message\":{\"k\":\"caf\xe9\"}}",
	}
	payload := `{"messageType":"DATA_MESSAGE","owner":"123456789010","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[` +
		bad[0] + `,{"id":"2","timestamp":1418530070000,"message":"` + good + `"},` + bad[1] + `]}`
	check := func(t *testing.T, q *fakeSQS) {
		t.Helper()
		letters := q.letters(t) // lines joined, line_base64 decoded
		if len(letters) != 2 {
			t.Fatalf("%d letters: %+v", len(letters), letters)
		}
		for i, l := range letters {
			if l.Stage != StageEvent || l.Line != bad[i] {
				t.Errorf("letter %d: %+v, want the line %q", i, l, bad[i])
			}
		}
		if !strings.Contains(q.messages[1], `"line_base64":`) {
			t.Errorf("the text that is not UTF-8 is not in line_base64: %s", q.messages[1])
		}
	}
	t.Run("subscription", func(t *testing.T) {
		os, q := newFakeOS(t), newFakeSQS(t)
		s, err := newTestHandler(t, os, q).Handle(context.Background(), rawLambdaEvent(t, []byte(payload)))
		if err != nil || s.Indexed != 1 {
			t.Fatalf("summary %+v, %v", s, err)
		}
		check(t, q)
	})
	t.Run("kinesis", func(t *testing.T) {
		os, q := newFakeOS(t), newFakeSQS(t)
		recs := kinesisRecordsOf(t, cwlogstest.FlowLogPayload(1, 3))
		recs[0].Kinesis.Data = gzipped(t, payload)
		k, resp, err := newTestHandler(t, os, q).HandleKinesis(context.Background(), kinesisEvent(t, recs))
		if err != nil || len(resp.BatchItemFailures) != 0 || k.Indexed != 1 {
			t.Fatalf("summary %+v, %v", k, err)
		}
		check(t, q)
	})
}

// A payload cwlogs reads and encoding/json refuses (a raw control
// character in a string): the malformed events' letters say their texts
// could not be read back, and the first holds the whole payload, which
// rebuilds byte for byte from its messages.
func TestMalformedEventsOfAPayloadNotReadBack(t *testing.T) {
	good := "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530070 1418530070 ACCEPT OK"
	payload := "{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1234\x01\",\"logGroup\":\"g\",\"logStream\":\"s\",\"logEvents\":[" +
		`{"id":"1","timestamp":1418530070000,"message":1},{"id":"2","timestamp":1418530070000,"message":"` + good + `"},{"id":"3"}]}`
	event := rawLambdaEvent(t, []byte(payload))
	os, q := newFakeOS(t), newFakeSQS(t)
	s, err := newTestHandler(t, os, q).Handle(context.Background(), event)
	if err != nil || s.Indexed != 1 || s.DeadLettered[StageEvent] != 2 {
		t.Fatalf("summary %+v, %v", s, err)
	}
	letters := q.letters(t)
	if len(letters) != 2 || letters[0].Line != string(awslogsData(t, event)) || letters[1].Line != "" ||
		!strings.Contains(letters[0].Reason, "could not be read back (json: invalid character") || !strings.Contains(letters[1].Reason, `the letter of event 0 (id "1"); this is event 2`) {
		t.Fatalf("letters %+v", letters)
	}
}

// When the texts cannot be read back (data is not the payload cwlogs
// decoded), each malformed event's letter says so and keeps its id.
func TestMalformedEventTextNotReadBack(t *testing.T) {
	h := newTestHandler(t, newFakeOS(t), newFakeSQS(t))
	good := cwlogstest.FlowLogPayload(4, 1).Events
	payload := func(malformed ...cwlogs.MalformedEvent) *cwlogs.Payload {
		return &cwlogs.Payload{MessageType: cwlogs.MessageTypeData, LogGroup: "g", LogStream: "s", Events: good, Malformed: malformed}
	}
	b64 := func(js string) string { return base64.StdEncoding.EncodeToString(gzipped(t, js)) }
	six := payload(cwlogs.MalformedEvent{Index: 0, ID: "1", Reason: "no message"}, cwlogs.MalformedEvent{Index: 5, ID: "6", Reason: "no message"})
	for _, tc := range []struct {
		name  string
		p     *cwlogs.Payload
		data  string
		limit int
	}{
		{"not base64", six, "!!", 0},
		{"not gzip", six, base64.StdEncoding.EncodeToString([]byte("plain")), 0},
		{"not JSON", six, b64("{"), 0},
		{"too few events", six, b64(`{"logEvents":[{}]}`), 0},
		{"one event short", six, b64(`{"logEvents":[{},{},{},{},{}]}`), 0},
		{"one event more", six, b64(`{"logEvents":[{},{},{},{},{},{},{}]}`), 0},
		{"over the limit", six, b64(`{"logEvents":[{},{},{},{},{},{}],"x":"` + strings.Repeat("x", 100) + `"}`), 40},
		{"not an object", six, b64(`[{},{},{},{},{},{}]`), 0},
		{"two logEvents keys", six, b64(`{"logEvents":[{},{},{},{},{},{}],"logEvents":[{},{},{},{},{},{}]}`), 0},
		{"logEvents null", six, b64(`{"logEvents":null}`), 0},
		{"logEvents an object", six, b64(`{"logEvents":{"0":{}}}`), 0},
		{"logEvents an object of six", six, b64(`{"logEvents":{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}}`), 0},
		{"an array for the payload", six, b64(`[1,2,3,4,5,6]`), 0},
		{"no logEvents", six, b64(`{"messageType":"DATA_MESSAGE"}`), 0},
		{"bad JSON before", six, b64(`{"owner":[1,],"logEvents":[{},{},{},{},{},{}]}`), 0},
		{"bad JSON in an event", six, b64(`{"logEvents":[{},{},{,},{},{},{}]}`), 0},
		{"bad key", six, b64(`{"logEvents":[{},{},{},{},{},{}],3:4}`), 0},
		{"no closing bracket", six, b64(`{"logEvents":[{},{},{},{},{},{}`), 0},
		{"no closing brace", six, b64(`{"logEvents":[{},{},{},{},{},{}]`), 0},
		{"negative index", payload(cwlogs.MalformedEvent{Index: -1, ID: "0"}), b64(`{"logEvents":[{},{},{},{},{}]}`), 0},
		{"index past the end", payload(cwlogs.MalformedEvent{Index: 5, ID: "5"}), b64(`{"logEvents":[{},{},{},{},{}]}`), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.dec.MaxDecompressedBytes = tc.limit
			h.prepareFrom(tc.p, []byte(tc.data))
			if len(h.letters) != len(tc.p.Malformed) {
				t.Fatalf("%d letters: %+v", len(h.letters), h.letters)
			}
			// The first letter holds the whole payload; the others say
			// which letter that is.
			for i, d := range h.letters {
				line, says := "", "): the whole payload is the line of the letter of event "+strconv.Itoa(tc.p.Malformed[0].Index)+
					" (id "+strconv.Quote(tc.p.Malformed[0].ID)+"); this is event "+strconv.Itoa(tc.p.Malformed[i].Index)
				if i == 0 {
					line, says = tc.data, "): the line is the whole payload as it came (gzip'd JSON in base64), event "+strconv.Itoa(tc.p.Malformed[0].Index)+" of its logEvents"
				}
				if d.Stage != StageEvent || d.ID != tc.p.Malformed[i].ID || d.Line != line || !strings.Contains(d.Reason, "; the event's text could not be read back (") || !strings.Contains(d.Reason, says) {
					t.Errorf("letter %d: %+v", i, d)
				}
			}
		})
	}
	// The payload of the right events: the texts, and nothing added to the reasons.
	h.dec.MaxDecompressedBytes = 0
	h.prepareFrom(six, []byte(b64(`{"messageType":"DATA_MESSAGE","subscriptionFilters":["f"],"logEvents":[{"a":1},{},{},{},{},[ 6 ]],"owner":"x"}`)))
	if len(h.letters) != 2 || h.letters[0].Line != `{"a":1}` || h.letters[1].Line != `[ 6 ]` || strings.Contains(h.letters[0].Reason, "read back") {
		t.Fatalf("letters %+v", h.letters)
	}
}

func TestHandlerFailsWhileDocumentsStillFail(t *testing.T) {
	os, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, os, q)
	h.Bulk.MaxAttempts = 3
	p := cwlogstest.FlowLogPayload(50, 12)
	stuck := keyOf(h.Encoder, p.Events[0])
	rejected := keyOf(h.Encoder, p.Events[1])
	os.onItem = func(key string, try int) (int, string, string) {
		switch key {
		case stuck:
			return http.StatusServiceUnavailable, "unavailable_shards_exception", "primary shard is not active"
		case rejected:
			return http.StatusBadRequest, "mapper_parsing_exception", "failed to parse"
		}
		return 0, "", ""
	}
	s, err := h.Handle(context.Background(), lambdaEvent(t, p))
	if !errors.Is(err, ErrNotIndexed) {
		t.Fatalf("error %v, want ErrNotIndexed", err)
	}
	if s.Failed != 1 || s.Indexed != 48 || s.Unsent != 1 || len(s.DeadLettered) != 0 || !strings.Contains(s.FailReasons[0], "unavailable_shards_exception") {
		t.Fatalf("summary %+v", s)
	}
	checkAccounted(t, s)
	// The rejected document is not dead-lettered by the failing invocation:
	// the retry does it, once.
	if l := q.letters(t); len(l) != 0 {
		t.Fatalf("dead letters %+v", l)
	}
	// Lambda's retry succeeds once the shard is back: nothing is duplicated.
	os.onItem = func(key string, try int) (int, string, string) {
		if key == rejected {
			return http.StatusBadRequest, "mapper_parsing_exception", "failed to parse"
		}
		return 0, "", ""
	}
	s, err = h.Handle(context.Background(), lambdaEvent(t, p))
	if err != nil || s.Indexed != 49 || os.count() != 49 {
		t.Fatalf("retry: summary %+v, error %v, %d stored", s, err, os.count())
	}
	checkAccounted(t, s)
	if l := q.letters(t); len(l) != 1 || l[0].ID != p.Events[1].ID {
		t.Fatalf("dead letters %+v", l)
	}
}

// checkAccounted asserts the summary's accounting: every event is indexed,
// dead-lettered, left unsent in a failed invocation's event, or failed.
func checkAccounted(t *testing.T, s Summary) {
	t.Helper()
	if s.Indexed+sum(s.DeadLettered)+s.Unsent+s.Failed != s.Events {
		t.Fatalf("indexed %d + dead-lettered %v + unsent %d + failed %d != %d events", s.Indexed, s.DeadLettered, s.Unsent, s.Failed, s.Events)
	}
}

func TestHandlerFailsWhenDeadLettersCannotBeSent(t *testing.T) {
	os, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, os, q)
	q.onCall = func(int) int { return http.StatusBadRequest }
	p := cwlogstest.FlowLogPayload(10, 13)
	p.Events[3].Message = "garbage"
	s, err := h.Handle(context.Background(), lambdaEvent(t, p))
	if !errors.Is(err, ErrNotIndexed) || s.DeadLetterError == "" || s.Indexed != 9 || s.Unsent != 1 {
		t.Fatalf("summary %+v, error %v", s, err)
	}
	checkAccounted(t, s)
	if !strings.Contains(err.Error(), "KmsAccessDenied") {
		t.Fatalf("error %v does not carry SQS's reason", err)
	}
}

func TestHandlerInvokeReturnsSummaryJSON(t *testing.T) {
	os, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, os, q)
	out, err := h.Invoke(context.Background(), lambdaEvent(t, cwlogstest.FlowLogPayload(5, 14)))
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(out, &s); err != nil || s.Indexed != 5 {
		t.Fatalf("response %s (%v)", out, err)
	}
}

// A parse error quoting a 250 KB value: its dead letter fits SQS (the
// reason capped with a marker, the line split into pieces that rebuild
// it), so the invocation succeeds with the good documents indexed once.
func TestHandlerDeadLetterAtTheSQSLimit(t *testing.T) {
	os, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, os, q)
	p := cwlogstest.FlowLogPayload(50, 3)
	long := "2 123456789012 eni-0123 10.0.0.1 10.0.0.2 " + strings.Repeat("7", 250_000) + " 443 6 1 40 1718000000 1718000060 ACCEPT OK"
	p.Events[17].Message = long
	s, err := h.Handle(context.Background(), lambdaEvent(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if s.Indexed != 49 || s.DeadLettered[StageParse] != 1 || s.Indexed+sum(s.DeadLettered) != s.Events || os.count() != 49 {
		t.Fatalf("summary %+v, %d documents stored", s, os.count())
	}
	letters := q.letters(t)
	if len(letters) != 1 || letters[0].Line != long || letters[0].ID != p.Events[17].ID || len(letters[0].Reason) > maxReasonBytes ||
		!strings.Contains(letters[0].Reason, "truncated: ") {
		t.Fatalf("%d letters; line rebuilt %v; reason of %d bytes", len(letters), len(letters) == 1 && letters[0].Line == long, len(letters[0].Reason))
	}
	if len(q.messages) < 2 {
		t.Fatalf("the 250 KB line went in %d message(s)", len(q.messages))
	}
}

// TestDistinctReasons: the summary's failure reasons are the first n
// distinct "type: reason" texts, in order, a missing part left out.
func TestDistinctReasons(t *testing.T) {
	errs := []ItemError{
		{Type: "a", Reason: "1"}, {Type: "a", Reason: "1"}, {Type: "b"}, {Reason: "2"}, {Type: "a", Reason: "1"},
		{Type: "c", Reason: "3"}, {Type: "d", Reason: "4"}, {Type: "e", Reason: "5"},
	}
	if got := distinctReasons(errs, 5); strings.Join(got, "|") != "a: 1|b|2|c: 3|d: 4" {
		t.Errorf("distinctReasons = %q", got)
	}
	if got := distinctReasons(errs[:3], 5); strings.Join(got, "|") != "a: 1|b" {
		t.Errorf("distinctReasons of 3 = %q", got)
	}
}

// TestRejectNamesTheIndexOfAnIdentifiedEvent: a dead letter names the
// document's index only when the event has an id (and so a document).
func TestRejectNamesTheIndexOfAnIdentifiedEvent(t *testing.T) {
	fos, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, fos, q)
	p := &cwlogs.Payload{Events: []cwlogs.Event{{ID: "1", Timestamp: 1432826855000}, {Timestamp: 1432826855000}}}
	for i := range p.Events {
		h.reject(p, &p.Events[i], StageParse, errors.New("bad"))
	}
	if len(h.letters) != 2 || h.letters[0].Index != "cwl-2015.05.28" || h.letters[1].Index != "" {
		t.Errorf("letters %+v", h.letters)
	}
}

// TestReleaseKeepsBoundedBatches: a batch buffer of up to retainBatchBytes
// is kept for the next invocation, a bigger one dropped.
func TestReleaseKeepsBoundedBatches(t *testing.T) {
	h := &Handler{}
	for _, tc := range []struct {
		capacity int
		kept     bool
	}{{retainBatchBytes, true}, {retainBatchBytes + 1, false}} {
		h.batch.Body = make([]byte, 10, tc.capacity)
		h.release()
		if kept := cap(h.batch.Body) == tc.capacity; kept != tc.kept || len(h.batch.Body) != 0 {
			t.Errorf("capacity %d: kept %v, want %v", tc.capacity, kept, tc.kept)
		}
	}
}

// TestHandlerLogsToItsLogger: the handler logs to Log when it is set.
func TestHandlerLogsToItsLogger(t *testing.T) {
	var buf bytes.Buffer
	h := &Handler{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	h.logger().Info("here")
	if !strings.Contains(buf.String(), "msg=here") {
		t.Errorf("log %q", buf.String())
	}
}
