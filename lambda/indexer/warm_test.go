package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// warmPayloads returns n payloads from different log groups and streams, as
// one warm function environment receives them: group names of one length,
// ENI stream names (always of one length), and sizes that shrink so that
// every payload after the first fits the buffers the decoder grew for it.
func warmPayloads(n int) []*cwlogs.Payload {
	groups := []string{"/vpc/flow-logs-a", "/vpc/flow-logs-b", "/vpc/flow-logs-c"}
	out := make([]*cwlogs.Payload, n)
	for i := range out {
		p := cwlogstest.FlowLogPayload(200-3*i, uint64(1000+i))
		p.LogGroup = groups[i%len(groups)]
		out[i] = p
	}
	return out
}

// checkDocument compares a stored _bulk source with the line and metadata
// it was built from, field by field: every present value of the line under
// its column (numbers as JSON numbers, the rest as strings), no key for a
// missing value, and @timestamp, log_group, log_stream and event_id from the
// payload, nothing else.
func checkDocument(t *testing.T, raw []byte, fields []flowlog.Field, line string, m document.Meta) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("document %s: %v", raw, err)
	}
	want := map[string]any{
		document.TimestampField: json.Number(fmt.Sprint(m.Timestamp)),
		document.LogGroupField:  m.Source.LogGroup(),
		document.LogStreamField: m.Source.LogStream(),
		document.EventIDField:   m.ID,
	}
	values := strings.Split(line, " ")
	if len(values) != len(fields) {
		t.Fatalf("line %q has %d values for %d fields", line, len(values), len(fields))
	}
	for i, f := range fields {
		switch v := values[i]; {
		case v == flowlog.Missing:
		case f.IsNumeric():
			want[f.Column()] = json.Number(v)
		default:
			want[f.Column()] = v
		}
	}
	for k, w := range want {
		if got, ok := doc[k]; !ok || got != w {
			t.Errorf("document of event %s, line %q: %s = %#v, want %#v", m.ID, line, k, got, w)
		}
	}
	for k := range doc {
		if _, ok := want[k]; !ok {
			t.Errorf("document of event %s has an unexpected key %s", m.ID, k)
		}
	}
}

// TestWarmHandlerKeepsEachPayloadsSource runs one handler, as one warm
// Lambda environment does, over payloads from different groups and streams
// and compares every stored document with its source. (The encoder used to
// cache the group and stream as views of the decoder's reused buffer, so a
// payload of the same group from another stream was stored with the
// previous payload's stream.)
func TestWarmHandlerKeepsEachPayloadsSource(t *testing.T) {
	os, q := newFakeOS(t), newFakeSQS(t)
	h := newTestHandler(t, os, q)
	payloads := warmPayloads(24)
	for i, p := range payloads {
		s, err := h.Handle(context.Background(), lambdaEvent(t, p))
		if err != nil {
			t.Fatalf("payload %d: %v", i, err)
		}
		if s.LogGroup != p.LogGroup || s.LogStream != p.LogStream || s.Indexed != len(p.Events) {
			t.Fatalf("payload %d: summary %+v", i, s)
		}
	}
	total := 0
	for _, p := range payloads {
		total += len(p.Events)
		for _, e := range p.Events {
			os.mu.Lock()
			raw, ok := os.docs[keyOf(h.Encoder, e)]
			os.mu.Unlock()
			if !ok {
				t.Fatalf("event %s of %s not stored", e.ID, p.LogStream)
			}
			checkDocument(t, raw, flowlog.V2Fields(), e.Message, document.Meta{ID: e.ID, Timestamp: e.Timestamp, Source: document.NewSource(p.LogGroup, p.LogStream)})
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	if os.count() != total || len(q.letters(t)) != 0 {
		t.Fatalf("%d documents stored for %d events, %d dead letters", os.count(), total, len(q.letters(t)))
	}
}

// checkSources asserts that every document prepared from p carries p's
// group and stream and its own event's id and time, byte for byte.
func checkSources(t *testing.T, h *Handler, p *cwlogs.Payload) {
	t.Helper()
	tail := append([]byte(`,"`+document.LogGroupField+`":`), document.AppendString(nil, p.LogGroup)...)
	tail = append(append(tail, `,"`+document.LogStreamField+`":`...), document.AppendString(nil, p.LogStream)...)
	tail = append(tail, `,"`+document.EventIDField+`":`...)
	for _, d := range h.batch.Docs {
		ev := p.Events[d.Event]
		doc := h.batch.Body[d.Start:d.End]
		want := append(append(bytes.Clone(tail), document.AppendString(nil, ev.ID)...), "}\n"...)
		if !bytes.HasSuffix(doc, want) {
			t.Fatalf("document of event %d ends %q, want %q", d.Event, doc[max(0, len(doc)-len(want)):], want)
		}
		ts := fmt.Sprintf(`{"%s":%d,`, document.TimestampField, ev.Timestamp)
		if !bytes.Contains(doc, []byte("\n"+ts)) {
			t.Fatalf("document of event %d does not start its source with %s: %s", d.Event, ts, doc)
		}
	}
}

// FuzzPayloadSequence runs one handler over a sequence of payloads, as a
// warm environment does, whose groups, streams and sizes the fuzzer picks
// (two free names, and near-identical same-length ones), and checks each
// payload's documents against that payload, not the ones before it.
func FuzzPayloadSequence(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7}, "/vpc/flow-logs-x", "eni-0aaaaaaaaaaaaaaaa-all")
	f.Add([]byte{7, 7, 0, 9, 3, 3}, `"\`, "\xff\u2028")
	h := fuzzHandler(f, flowlog.V2Fields())
	f.Fuzz(func(t *testing.T, spec []byte, g, s string) {
		groups := []string{"/vpc/flow-logs-a", "/vpc/flow-logs-b", g, "/vpc/flow-logs-\"", ""}
		streams := []string{"eni-0aaaaaaaaaaaaaaaa-all", "eni-0aaaaaaaaaaaaaaab-all", s, "eni-0aaaaaaaaaaaaaaa\\-all"}
		for i := 0; i+1 < len(spec) && i < 16; i += 2 {
			p := cwlogstest.FlowLogPayload(1+int(spec[i]>>4), uint64(spec[i+1]))
			p.LogGroup = groups[int(spec[i]&0x0f)%len(groups)]
			p.LogStream = streams[int(spec[i+1])%len(streams)]
			dp, err := h.decode(lambdaEvent(t, p))
			if err != nil {
				t.Fatal(err)
			}
			h.prepare(dp)
			checkPrepared(t, h, dp)
			if dp.LogGroup != p.LogGroup || dp.LogStream != p.LogStream {
				t.Fatalf("decoded %q %q, want %q %q", dp.LogGroup, dp.LogStream, p.LogGroup, p.LogStream)
			}
			checkSources(t, h, dp)
		}
	})
}

// A decoded payload's messages are padded and read where they are; the
// same payload unpadded (its Clone) is read through copies: both make the
// same body, documents and dead letters.
func TestPreparePaddedAndUnpadded(t *testing.T) {
	h := fuzzHandler(t, flowlog.V2Fields())
	p := cwlogstest.FlowLogPayload(300, 5)
	p.Events[7].Message += " extra" // a dead letter
	v := strings.Fields(p.Events[9].Message)
	v[9] = "00042" // bytes with leading zeros: the general path
	p.Events[9].Message = strings.Join(v, " ")
	dp, err := h.decode(lambdaEvent(t, p))
	if err != nil {
		t.Fatal(err)
	}
	if !dp.Padded {
		t.Fatal("the decoded payload is not padded")
	}
	h.prepare(dp)
	body, docs, letters := string(h.batch.Body), slices.Clone(h.batch.Docs), slices.Clone(h.letters)
	h.prepare(dp.Clone())
	if string(h.batch.Body) != body || !slices.Equal(h.batch.Docs, docs) || !reflect.DeepEqual(h.letters, letters) {
		t.Fatalf("unpadded: %d documents, %d dead letters, body equal %v; padded: %d, %d", len(h.batch.Docs), len(h.letters), string(h.batch.Body) == body, len(docs), len(letters))
	}
	if len(docs) != 299 || len(letters) != 1 {
		t.Fatalf("%d documents and %d dead letters, want 299 and 1", len(docs), len(letters))
	}
}
