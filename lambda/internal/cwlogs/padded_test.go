package cwlogs_test

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"testing"
	"unsafe"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// checkPadded checks that p, from a Decoder, is padded if it has events:
// each non-empty message is followed in memory by a space and a zero byte.
func checkPadded(t *testing.T, p *cwlogs.Payload) {
	t.Helper()
	if len(p.Events) > 0 && !p.Padded {
		t.Fatalf("a Decoder's payload of %d events is not padded", len(p.Events))
	}
	for i, e := range p.Events {
		if e.Message == "" {
			continue
		}
		pad := unsafe.Slice(unsafe.StringData(e.Message), len(e.Message)+2)[len(e.Message):]
		if pad[0] != ' ' || pad[1] != 0 {
			t.Fatalf("event %d: message %q is followed by %q", i, e.Message, pad)
		}
	}
}

// A Decoder pads every message over the JSON after it, and the payload
// holds the same strings as one decoded without padding (the package-level
// functions' copy): the padding overwrites no byte of another string, on
// both event paths (the layout CloudWatch Logs writes and any other),
// with escapes that shrink a message in place, extractedFields after it,
// and keys in any order.
func TestDecoderPadsMessages(t *testing.T) {
	docs := [][]byte{
		cwlogs.AppendJSON(nil, cwlogstest.FlowLogPayload(50, 3)),
		[]byte(extractedDoc),
		[]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":2,"message":"m"},{"message":"first","id":"2","timestamp":3},{"id":"3","message":"x","timestamp":4}]}`),
		[]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":2,"message":"a\"b"},{"id":"2","timestamp":2,"message":"\u0041\n"},{"message":"\\","id":"3"},{"id":"4","message":"é\ud83d\ude00"}]}`),
		[]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":2,"message":""},{"id":"2","timestamp":2,"message":"y"} , { "id" : "3" , "message" : "z" } ],"logGroup":"g","logStream":"s"}`),
		[]byte(`{"logEvents":[{"message":"m1","id":"i1"},{"id":"i2","message":"m2"}],"owner":"o","messageType":"DATA_MESSAGE","subscriptionFilters":["f"]}`),
		[]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"a","message":"b","id":"1"},{"id":1,"message":"malformed"},{"id":"2","message":"after"}]}`),
	}
	var d cwlogs.Decoder
	for _, js := range docs {
		want, err := cwlogs.DecodeJSON(js)
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		if want.Padded {
			t.Fatal("the package-level DecodeJSON returned a padded payload")
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(js)
		zw.Close()
		for name, decode := range map[string]func() (*cwlogs.Payload, error){
			"DecodeJSON": func() (*cwlogs.Payload, error) { return d.DecodeJSON(js) },
			"DecodeGzip": func() (*cwlogs.Payload, error) { return d.DecodeGzip(gz.Bytes()) },
		} {
			got, err := decode()
			if err != nil {
				t.Fatalf("%s(%s): %v", name, js, err)
			}
			checkPadded(t, got)
			if g := got.Clone(); g.Padded || !reflect.DeepEqual(g, want) {
				t.Fatalf("%s(%s):\n got %+v\nwant %+v", name, js, g, want)
			}
		}
	}
}

// The decoder leaves the room flowlog.Parser.AppendPlainPadded reads.
func TestMessagePadIsLinePad(t *testing.T) {
	if cwlogs.MessagePad < flowlog.LinePad {
		t.Fatalf("MessagePad %d, flowlog.LinePad %d", cwlogs.MessagePad, flowlog.LinePad)
	}
}
