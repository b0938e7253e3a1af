package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// fuzzHandler is a handler without senders: the fuzz targets run decode and
// prepare, everything up to the network.
func fuzzHandler(t testing.TB, fields []flowlog.Field) *Handler {
	enc, err := document.NewEncoder(fields, "cwl")
	if err != nil {
		t.Fatal(err)
	}
	return &Handler{Parser: flowlog.NewParser(fields), Encoder: enc}
}

// checkPrepared asserts what prepare guarantees for any input: every event
// is either a document or a dead letter, and the _bulk body is valid
// NDJSON made of one action line (index, with _index and _id, no _type) and
// one source object per document, exactly where the documents say.
func checkPrepared(t *testing.T, h *Handler, p *cwlogs.Payload) {
	t.Helper()
	b := &h.batch
	if got, want := len(b.Docs)+len(h.letters), len(p.Events)+len(p.Malformed); got != want {
		t.Fatalf("%d documents + %d dead letters for %d events", len(b.Docs), len(h.letters), want)
	}
	end := 0
	for i, d := range b.Docs {
		if d.Start != end || d.End <= d.Start || d.End > len(b.Body) {
			t.Fatalf("document %d spans [%d,%d), previous ended at %d", i, d.Start, d.End, end)
		}
		end = d.End
		doc := b.Body[d.Start:d.End]
		nl := bytes.IndexByte(doc, '\n')
		if nl < 0 || bytes.Count(doc, []byte{'\n'}) != 2 || doc[len(doc)-1] != '\n' {
			t.Fatalf("document %d is not two lines: %q", i, doc)
		}
		action, source := doc[:nl], doc[nl+1:len(doc)-1]
		var a map[string]map[string]any
		if err := json.Unmarshal(action, &a); err != nil {
			t.Fatalf("action line %q: %v", action, err)
		}
		var wantID string
		_ = json.Unmarshal(document.AppendString(nil, d.ID), &wantID)
		meta, ok := a["index"]
		if len(a) != 1 || !ok || len(meta) != 2 || meta["_index"] != d.Index || meta["_id"] != wantID || wantID == "" {
			t.Fatalf("action line %s for document %q in %q", action, d.ID, d.Index)
		}
		if _, typ := meta["_type"]; typ {
			t.Fatalf("action line has _type: %s", action)
		}
		var src map[string]any
		if err := json.Unmarshal(source, &src); err != nil {
			t.Fatalf("source line %q: %v", source, err)
		}
		if src[document.EventIDField] != meta["_id"] {
			t.Fatalf("event_id %v != _id %v", src[document.EventIDField], meta["_id"])
		}
	}
	if end != len(b.Body) {
		t.Fatalf("documents cover %d of %d body bytes", end, len(b.Body))
	}
	for _, d := range h.letters {
		if d.Reason == "" || d.Stage == "" {
			t.Fatalf("dead letter without stage or reason: %+v", d)
		}
		if _, err := json.Marshal(d); err != nil {
			t.Fatalf("dead letter does not encode: %v", err)
		}
	}
}

// FuzzLambdaEvent feeds arbitrary bytes as the function's event.
func FuzzLambdaEvent(f *testing.F) {
	ev, _ := cwlogstest.LambdaEvent(cwlogstest.FlowLogPayload(3, 1))
	f.Add(ev)
	f.Add([]byte(`{"awslogs":{"data":""}}`))
	f.Add([]byte(`{"awslogs":{"data":"H4sIAAAAAAAA/w=="}}`))
	f.Add([]byte(`null`))
	h := fuzzHandler(f, flowlog.V2Fields())
	f.Fuzz(func(t *testing.T, event []byte) {
		p, err := h.decode(event)
		if err != nil {
			return
		}
		h.prepare(p)
		checkPrepared(t, h, p)
	})
}

// FuzzPayloadJSON feeds arbitrary payload documents, wrapped as CloudWatch
// Logs delivers them (gzip, base64, {"awslogs":{"data":...}}).
func FuzzPayloadJSON(f *testing.F) {
	f.Add(cwlogs.AppendJSON(nil, cwlogstest.FlowLogPayload(4, 2)))
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"1","timestamp":1,"message":"2 1 eni-1 - - - - - - - 1 2 - NODATA"},{"id":2},"x",{"message":"\u0000\ud800"}]}`))
	f.Add([]byte(`{"messageType":"CONTROL_MESSAGE","logEvents":[]}`))
	h := fuzzHandler(f, flowlog.V2Fields())
	f.Fuzz(func(t *testing.T, js []byte) {
		ev := rawLambdaEvent(t, js)
		p, err := h.decode(ev)
		if err != nil {
			return
		}
		data := awslogsData(t, ev)
		h.prepareFrom(p, data)
		checkPrepared(t, h, p)
		// The malformed events' letters come first, each with its event's
		// JSON text unless the reason says it could not be read back (then
		// the first holds the whole payload): a text that, alone in a
		// payload, is that same malformed event.
		for i, m := range p.Malformed {
			d := h.letters[i]
			if d.Stage != StageEvent || d.ID != m.ID {
				t.Fatalf("letter %d of malformed event %+v: %+v", i, m, d)
			}
			if strings.Contains(d.Reason, "; the event's text could not be read back (") {
				if (i == 0) != (d.Line == string(data)) || i > 0 && d.Line != "" {
					t.Fatalf("letter %d of malformed event %+v, not read back: the line %.80q", i, m, d.Line)
				}
				continue
			}
			alone, err := cwlogs.DecodeJSON([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[` + d.Line + `]}`))
			if err != nil || len(alone.Events) != 0 || len(alone.Malformed) != 1 || alone.Malformed[0].ID != m.ID || alone.Malformed[0].Reason != m.Reason {
				t.Fatalf("letter %d of malformed event %+v has the text %q of another: %+v, %v", i, m, d.Line, alone, err)
			}
		}
	})
}

// FuzzRecord feeds one log event of arbitrary content to the parse and
// document stages, for the default format and a v5 custom format.
func FuzzRecord(f *testing.F) {
	f.Add("2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK", "3195310660696698337880902507980421114328961542429822156", int64(1418530070000), "/vpc/flow-logs", "eni-1-all")
	f.Add("2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA", "1", int64(0), "", "")
	f.Add("2 1 \"q\" fe80::1%eth0 ::1 007 -0 2147483648 1 1 1 1 A\\B \x01", "\xff", int64(-1), "\"", "\\")
	f.Add("5 52.95.128.179 10.0.0.71 80 34210 6 1616729292 1616729349 IPv4 14 15044 123456789012 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-0c50d5961bcb2d47b eni-1235b8ca123456789 ap-southeast-2 apse2-az3 - - ACCEPT 19 52.95.128.179 10.0.0.71 S3 - - ingress OK", "9", int64(1616729349000), "g", "s")
	v5, err := flowlog.ParseLogFormat("${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${type} ${packets} ${bytes} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${region} ${az-id} ${sublocation-type} ${sublocation-id} ${action} ${tcp-flags} ${pkt-srcaddr} ${pkt-dstaddr} ${pkt-src-aws-service} ${pkt-dst-aws-service} ${traffic-path} ${flow-direction} ${log-status}")
	if err != nil {
		f.Fatal(err)
	}
	handlers := []*Handler{fuzzHandler(f, flowlog.V2Fields()), fuzzHandler(f, v5)}
	f.Fuzz(func(t *testing.T, line, id string, ts int64, group, stream string) {
		p := &cwlogs.Payload{MessageType: cwlogs.MessageTypeData, LogGroup: group, LogStream: stream,
			Events: []cwlogs.Event{{ID: id, Timestamp: ts, Message: line}, {ID: id + "x", Timestamp: ts, Message: line}}}
		for _, h := range handlers {
			h.prepare(p)
			checkPrepared(t, h, p)
		}
	})
}
