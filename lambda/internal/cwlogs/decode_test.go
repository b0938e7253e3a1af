package cwlogs_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden.json files")

// cloudWatchEncode encodes a JSON document as CloudWatch Logs puts it in a
// subscription event's "data": gzip, then standard padded base64.
func cloudWatchEncode(tb testing.TB, js []byte) []byte {
	tb.Helper()
	return []byte(encodeBase64(gzipBytes(tb, js)))
}

func gzipBytes(tb testing.TB, b []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// normalize makes payloads comparable with reflect.DeepEqual: empty slices
// become nil (Clone does that).
func normalize(p *cwlogs.Payload) *cwlogs.Payload { return p.Clone() }

func mustEqual(t *testing.T, got, want *cwlogs.Payload) {
	t.Helper()
	if g, w := normalize(got), normalize(want); !reflect.DeepEqual(g, w) {
		gj, _ := json.MarshalIndent(g, "", "  ")
		wj, _ := json.MarshalIndent(w, "", "  ")
		t.Fatalf("payload mismatch\n got: %s\nwant: %s", gj, wj)
	}
}

// TestGolden decodes each testdata payload, encoded exactly as CloudWatch
// Logs sends it, compares it with its golden file, then re-encodes the
// result and checks that it decodes to the same payload.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".golden.json") || strings.HasSuffix(f, "lambda_event.json") {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			js, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			js = bytes.TrimSpace(js)
			p, err := cwlogs.Decode(cloudWatchEncode(t, js))
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(f, ".json") + ".golden.json"
			got, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("decoded payload differs from %s (run with -update after checking):\n%s", golden, got)
			}

			// Round trip: encode the decoded payload and decode it again.
			enc, err := cwlogs.Encode(p)
			if err != nil {
				t.Fatal(err)
			}
			again, err := cwlogs.Decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			p.Malformed = nil // malformed events are not re-encoded
			mustEqual(t, again, p)

			// The reusable Decoder and the other entry points agree.
			d := cwlogs.NewDecoder()
			for name, decode := range map[string]func() (*cwlogs.Payload, error){
				"Decoder.DecodeJSON":   func() (*cwlogs.Payload, error) { return d.DecodeJSON(js) },
				"Decoder.DecodeGzip":   func() (*cwlogs.Payload, error) { return d.DecodeGzip(gzipBytes(t, js)) },
				"Decoder.DecodeString": func() (*cwlogs.Payload, error) { return d.DecodeString(string(cloudWatchEncode(t, js))) },
				"DecodeJSON":           func() (*cwlogs.Payload, error) { return cwlogs.DecodeJSON(js) },
				"DecodeString":         func() (*cwlogs.Payload, error) { return cwlogs.DecodeString(string(cloudWatchEncode(t, js))) },
			} {
				q, err := decode()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				var w cwlogs.Payload
				if err := json.Unmarshal(want, &w); err != nil {
					t.Fatal(err)
				}
				mustEqual(t, q, &w)
			}
		})
	}
	if n < 4 {
		t.Fatalf("found %d testdata payloads, want at least 4", n)
	}
}

// TestLambdaEvent decodes testdata/lambda_event.json, a complete Lambda event
// as delivered by a subscription filter.
func TestLambdaEvent(t *testing.T) {
	b, err := os.ReadFile("testdata/lambda_event.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		AWSLogs struct {
			Data string `json:"data"`
		} `json:"awslogs"`
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	p, err := cwlogs.DecodeString(ev.AWSLogs.Data)
	if err != nil {
		t.Fatal(err)
	}
	js, err := os.ReadFile("testdata/data_message.json")
	if err != nil {
		t.Fatal(err)
	}
	want, err := cwlogs.DecodeJSON(bytes.TrimSpace(js))
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, p, want)
}

func TestDecodeDataMessage(t *testing.T) {
	js, err := os.ReadFile("testdata/data_message.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cwlogs.DecodeJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsData() || p.IsControl() {
		t.Errorf("IsData=%v IsControl=%v", p.IsData(), p.IsControl())
	}
	if p.Owner != "123456789012" || p.LogGroup != "/vpc/flow-logs" || p.LogStream != "eni-0a1b2c3d4e5f67890-all" {
		t.Errorf("header = %q %q %q", p.Owner, p.LogGroup, p.LogStream)
	}
	if !reflect.DeepEqual(p.SubscriptionFilters, []string{"vpc-flow-logs-forwarder"}) {
		t.Errorf("filters = %q", p.SubscriptionFilters)
	}
	if len(p.Events) != 7 || len(p.Malformed) != 0 {
		t.Fatalf("%d events, %d malformed", len(p.Events), len(p.Malformed))
	}
	e := p.Events[1]
	if e.ID != "37292837164102948237418372918451826375917263540918273646" || e.Timestamp != 1718000040000 ||
		e.Message != "2 123456789012 eni-0a1b2c3d4e5f67890 185.220.101.7 10.0.1.23 51234 22 6 1 44 1718000040 1718000095 REJECT OK" {
		t.Errorf("event 1 = %+v", e)
	}
}

func TestDecodeControlMessage(t *testing.T) {
	js, err := os.ReadFile("testdata/control_message.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cwlogs.DecodeJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsControl() || p.IsData() || p.MessageType != cwlogs.MessageTypeControl {
		t.Fatalf("MessageType = %q", p.MessageType)
	}
	if len(p.SubscriptionFilters) != 0 || len(p.Events) != 1 || p.Events[0].ID != "" {
		t.Fatalf("payload = %+v", p)
	}
}

func TestDecodeEscapes(t *testing.T) {
	js, err := os.ReadFile("testdata/escapes.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cwlogs.DecodeJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json is the reference for unescaping.
	var ref struct {
		LogGroup            string
		SubscriptionFilters []string
		LogEvents           []struct{ Message string }
	}
	if err := json.Unmarshal(js, &ref); err != nil {
		t.Fatal(err)
	}
	if p.LogGroup != ref.LogGroup || p.LogGroup != `/aws/lambda/echo "quoted"` {
		t.Errorf("LogGroup = %q, want %q", p.LogGroup, ref.LogGroup)
	}
	if p.SubscriptionFilters[0] != "Lambda/Stream_cloudwatchlogs-node" {
		t.Errorf("filter = %q", p.SubscriptionFilters[0])
	}
	if len(p.Events) != len(ref.LogEvents) {
		t.Fatalf("%d events, want %d", len(p.Events), len(ref.LogEvents))
	}
	for i, e := range p.Events {
		if e.Message != ref.LogEvents[i].Message {
			t.Errorf("event %d message = %q, want %q", i, e.Message, ref.LogEvents[i].Message)
		}
	}
	if want := `{"level":"info","path":"C:\\temp\\x","msg":"café ✓ 😀 naïve"}`; p.Events[1].Message != want {
		t.Errorf("message = %q, want %q", p.Events[1].Message, want)
	}
}

func TestDecodeMalformedEvents(t *testing.T) {
	js, err := os.ReadFile("testdata/malformed_events.json")
	if err != nil {
		t.Fatal(err)
	}
	p, err := cwlogs.DecodeJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, e := range p.Events {
		msgs = append(msgs, e.Message)
	}
	wantMsgs := []string{
		"2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.23 52.94.133.131 49152 443 6 12 2345 1718000040 1718000095 ACCEPT OK",
		"no id is tolerated",
		"whitespace and key order are tolerated",
		"2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.23 52.94.133.131 49153 443 6 8 1201 1718000042 1718000095 ACCEPT OK",
	}
	if !reflect.DeepEqual(msgs, wantMsgs) {
		t.Errorf("good messages = %q\nwant %q", msgs, wantMsgs)
	}
	if p.Events[1].ID != "" || p.Events[2].ID != "37292837164102948237418372918451826375917263540918273652" || p.Events[2].Timestamp != 1718000041000 {
		t.Errorf("events = %+v", p.Events[1:3])
	}
	want := []cwlogs.MalformedEvent{
		{Index: 1, ID: "37292837164102948237418372918451826375917263540918273646", Reason: `log event has no "message"`},
		{Index: 2, ID: "37292837164102948237418372918451826375917263540918273647", Reason: `"message" is not a string`},
		{Index: 3, Reason: "log event is not an object"},
		{Index: 4, Reason: `"id" is not a string`},
		{Index: 5, ID: "37292837164102948237418372918451826375917263540918273649", Reason: `"timestamp" is not an integer`},
		{Index: 6, ID: "37292837164102948237418372918451826375917263540918273650", Reason: `"timestamp" is not an integer`},
		{Index: 7, ID: "37292837164102948237418372918451826375917263540918273651", Reason: `log event has no "message"`},
	}
	if !reflect.DeepEqual(p.Malformed, want) {
		t.Errorf("malformed = %+v\nwant %+v", p.Malformed, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := []byte(`{"messageType":"DATA_MESSAGE","logEvents":[]}`)
	gz := gzipBytes(t, good)
	badCRC := bytes.Clone(gz)
	badCRC[len(badCRC)-6] ^= 0xff
	tests := []struct {
		name   string
		b64    []byte
		reason string
	}{
		{"not base64", []byte("H4sI!!!!"), cwlogs.ReasonBase64},
		{"unpadded base64", []byte(strings.TrimRight(encodeBase64(gz[:len(gz)-1]), "=")), cwlogs.ReasonBase64},
		{"empty", nil, cwlogs.ReasonGzip},
		{"not gzip", []byte(encodeBase64(good)), cwlogs.ReasonGzip},
		{"truncated gzip", []byte(encodeBase64(gz[:len(gz)-5])), cwlogs.ReasonGzip},
		{"gzip header only", []byte(encodeBase64(gz[:10])), cwlogs.ReasonGzip},
		{"bad checksum", []byte(encodeBase64(badCRC)), cwlogs.ReasonGzip},
		{"gzip then garbage", []byte(encodeBase64(append(bytes.Clone(gz), "garbage"...))), cwlogs.ReasonGzip},
		{"not JSON", cloudWatchEncode(t, []byte("2 123456789012 eni-1 ACCEPT OK")), cwlogs.ReasonJSON},
		{"empty JSON", cloudWatchEncode(t, nil), cwlogs.ReasonJSON},
		{"JSON array", cloudWatchEncode(t, []byte(`[{"messageType":"DATA_MESSAGE"}]`)), cwlogs.ReasonJSON},
		{"JSON null", cloudWatchEncode(t, []byte(`null`)), cwlogs.ReasonJSON},
		{"truncated JSON", cloudWatchEncode(t, good[:len(good)-2]), cwlogs.ReasonJSON},
		{"trailing data", cloudWatchEncode(t, append(bytes.Clone(good), " {}"...)), cwlogs.ReasonJSON},
		{"no messageType", cloudWatchEncode(t, []byte(`{"logEvents":[]}`)), cwlogs.ReasonJSON},
		{"null messageType", cloudWatchEncode(t, []byte(`{"messageType":null}`)), cwlogs.ReasonJSON},
		{"numeric owner", cloudWatchEncode(t, []byte(`{"messageType":"DATA_MESSAGE","owner":123456789012}`)), cwlogs.ReasonJSON},
		{"logEvents object", cloudWatchEncode(t, []byte(`{"messageType":"DATA_MESSAGE","logEvents":{}}`)), cwlogs.ReasonJSON},
		{"filters of numbers", cloudWatchEncode(t, []byte(`{"messageType":"DATA_MESSAGE","subscriptionFilters":[1]}`)), cwlogs.ReasonJSON},
		{"bad escape", cloudWatchEncode(t, []byte(`{"messageType":"DATA\x"}`)), cwlogs.ReasonJSON},
		{"bad unicode escape", cloudWatchEncode(t, []byte(`{"messageType":"DATA\u12"}`)), cwlogs.ReasonJSON},
		{"bad number", cloudWatchEncode(t, []byte(`{"messageType":"D","logEvents":[{"timestamp":01}]}`)), cwlogs.ReasonJSON},
		{"bad literal", cloudWatchEncode(t, []byte(`{"messageType":"D","x":nul}`)), cwlogs.ReasonJSON},
		{"missing colon", cloudWatchEncode(t, []byte(`{"messageType" "D"}`)), cwlogs.ReasonJSON},
		{"trailing comma", cloudWatchEncode(t, []byte(`{"messageType":"D","logEvents":[{"message":"m"},]}`)), cwlogs.ReasonJSON},
		{"deep nesting", cloudWatchEncode(t, []byte(`{"messageType":"D","x":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`}`)), cwlogs.ReasonJSON},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := cwlogs.Decode(tc.b64)
			if err == nil {
				t.Fatalf("decoded %+v, want an error", p)
			}
			if got := cwlogs.Reason(err); got != tc.reason {
				t.Fatalf("Reason(%v) = %q, want %q", err, got, tc.reason)
			}
			if p != nil {
				t.Fatalf("payload %+v returned with error", p)
			}
		})
	}
}

func TestReason(t *testing.T) {
	if got := cwlogs.Reason(nil); got != "" {
		t.Errorf("Reason(nil) = %q", got)
	}
	if got := cwlogs.Reason(errors.New("x")); got != cwlogs.ReasonOther {
		t.Errorf("Reason(other) = %q", got)
	}
	d := &cwlogs.Decoder{MaxDecompressedBytes: 1000}
	_, err := d.DecodeGzip(gzipBytes(t, make([]byte, 1001)))
	if !errors.Is(err, cwlogs.ErrTooLarge) || cwlogs.Reason(err) != cwlogs.ReasonTooLarge {
		t.Errorf("too large: %v", err)
	}
}

func TestDecompressionLimit(t *testing.T) {
	js := cwlogs.AppendJSON(nil, cwlogstest.FlowLogPayload(100, 3))
	gz := gzipBytes(t, js)
	for _, limit := range []int{len(js) - 1, len(js) / 3, 100} {
		d := &cwlogs.Decoder{MaxDecompressedBytes: limit}
		if _, err := d.DecodeGzip(gz); !errors.Is(err, cwlogs.ErrTooLarge) {
			t.Errorf("limit %d: err = %v, want ErrTooLarge", limit, err)
		}
		// The decoder stays usable.
		d.MaxDecompressedBytes = len(js)
		if p, err := d.DecodeGzip(gz); err != nil || len(p.Events) != 100 {
			t.Errorf("limit %d then exact: %v", limit, err)
		}
	}
	// A lying size trailer (last member of several) does not matter.
	two := append(gzipBytes(t, js[:len(js)/2]), gzipBytes(t, js[len(js)/2:])...)
	if p, err := cwlogs.DecodeGzip(two); err != nil || len(p.Events) != 100 {
		t.Errorf("multi-member gzip: %v", err)
	}
	// A gzip bomb stops at the default limit.
	bomb := gzipBytes(t, make([]byte, cwlogs.DefaultMaxDecompressedBytes+1))
	if _, err := cwlogs.DecodeGzip(bomb); !errors.Is(err, cwlogs.ErrTooLarge) {
		t.Errorf("bomb: err = %v", err)
	}
}

// TestDecoderReuse checks the Decoder's contract: its Payload is replaced by
// the next call, Clone detaches it, and a failed call leaves the Decoder
// usable.
func TestDecoderReuse(t *testing.T) {
	a := cwlogstest.FlowLogPayload(50, 1)
	b := cwlogstest.FlowLogPayload(30, 2)
	gzA, _ := cwlogs.EncodeGzip(a)
	gzB, _ := cwlogs.EncodeGzip(b)
	d := cwlogs.NewDecoder()
	p, err := d.DecodeGzip(gzA)
	if err != nil {
		t.Fatal(err)
	}
	kept := p.Clone()
	mustEqual(t, kept, a)
	if _, err := d.DecodeGzip([]byte("junk")); err == nil {
		t.Fatal("junk decoded")
	}
	if _, err := d.DecodeJSON([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"` + strings.Repeat("x", 100) + `"}]}`)); err != nil {
		t.Fatal(err)
	}
	q, err := d.DecodeGzip(gzB)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, q, b)
	mustEqual(t, kept, a)

	// Clone shares nothing with its source.
	c := q.Clone()
	q.Events[0].Message = "changed"
	if c.Events[0].Message == "changed" {
		t.Fatal("Clone shares events")
	}
	if (*cwlogs.Payload)(nil).Clone() != nil {
		t.Fatal("nil Clone")
	}
}

// TestDecodeConcurrent runs the package-level functions from several
// goroutines (meaningful with -race): results must be independent.
func TestDecodeConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := cwlogstest.FlowLogPayload(20+g, uint64(g))
			enc, err := cwlogs.Encode(want)
			if err != nil {
				t.Error(err)
				return
			}
			var got []*cwlogs.Payload
			for range 20 {
				p, err := cwlogs.Decode(enc)
				if err != nil {
					t.Error(err)
					return
				}
				got = append(got, p)
			}
			for _, p := range got {
				if !reflect.DeepEqual(normalize(p), normalize(want)) {
					t.Error("concurrent decode mismatch")
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestDecodeAllocations pins the hot path's allocation budget.
func TestDecodeAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	p := cwlogstest.FlowLogPayload(2000, 1)
	data, _ := cwlogs.Encode(p)
	d := cwlogs.NewDecoder()
	if _, err := d.Decode(data); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(5, func() { d.Decode(data) }); n > 0 {
		t.Errorf("Decoder.Decode: %v allocations per payload, want 0", n)
	}
	if raceEnabled {
		return // Decode takes its reader from a sync.Pool (see raceEnabled)
	}
	if n := testing.AllocsPerRun(5, func() { cwlogs.Decode(data) }); n > 6 {
		t.Errorf("Decode: %v allocations per payload, want at most 6", n)
	}
}

func TestLargePayload(t *testing.T) {
	// Bigger than the decoder's retained-buffer bound: decoded correctly, and
	// the Payload stays valid after the decoder drops its buffers.
	p := cwlogstest.FlowLogPayload(60000, 7)
	gz, err := cwlogs.EncodeGzip(p)
	if err != nil {
		t.Fatal(err)
	}
	d := cwlogs.NewDecoder()
	got, err := d.DecodeGzip(gz)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, p)
}

// TestDecodeErrorSource checks that a payload broken after its header still
// names its log group and stream.
func TestDecodeErrorSource(t *testing.T) {
	js, err := os.ReadFile("testdata/data_message.json")
	if err != nil {
		t.Fatal(err)
	}
	_, err = cwlogs.Decode(cloudWatchEncode(t, js[:len(js)/2]))
	var de *cwlogs.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, cwlogs.ErrBadJSON) {
		t.Fatalf("err = %v, want a *DecodeError of ErrBadJSON", err)
	}
	if de.LogGroup != "/vpc/flow-logs" || de.LogStream != "eni-0a1b2c3d4e5f67890-all" {
		t.Fatalf("source = %q %q", de.LogGroup, de.LogStream)
	}
	if !strings.HasPrefix(err.Error(), "cwlogs: bad JSON: ") {
		t.Fatalf("message = %q", err)
	}
	_, err = cwlogs.Decode([]byte("!"))
	if !errors.As(err, &de) || de.Kind != cwlogs.ErrBadBase64 || de.LogGroup != "" {
		t.Fatalf("err = %#v", err)
	}
}
