package cwlogs_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// seedJSON returns the testdata payloads and a few edge cases.
func seedJSON(f *testing.F) [][]byte {
	files, _ := filepath.Glob("testdata/*.json")
	var seeds [][]byte
	for _, name := range files {
		if strings.HasSuffix(name, ".golden.json") || strings.HasSuffix(name, "lambda_event.json") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, bytes.TrimSpace(b))
	}
	seeds = append(seeds,
		cwlogs.AppendJSON(nil, cwlogstest.FlowLogPayload(3, 9)),
		[]byte(`{"messageType":"DATA_MESSAGE","logEvents":null,"logEvents":[{"message":"a","message":"b"}]}`),
		[]byte(`{"messageType":"X","owner":null,"subscriptionFilters":null,"logEvents":[1,[],{},{"id":null,"timestamp":null,"message":"m"}]}`),
		[]byte(`{"mess\u0061geType":"D","logEvents":[{"timestamp":-9223372036854775808,"message":"\ud83d\ude00\ud800\u0000"},{"timestamp":9223372036854775808,"message":""}]}`),
		[]byte(`{"messageType":"D","logEvents":[{"timestamp":1e3,"message":"x"},{"timestamp":-0,"message":"y"}]}`),
		[]byte(extractedDoc),
	)
	return seeds
}

// FuzzDecode feeds arbitrary "data" strings to Decode: it must never panic,
// errors must be classified, and whatever decodes must re-encode (as
// CloudWatch Logs would) to the same payload.
//
//	go test -run '^$' -fuzz 'FuzzDecode$' -fuzztime 20s -fuzzminimizetime 5s ./lambda/internal/cwlogs/
func FuzzDecode(f *testing.F) {
	for _, js := range seedJSON(f) {
		f.Add(cloudWatchEncode(f, js))
	}
	f.Add([]byte("H4sIAAAAAAAA/w=="))
	f.Add([]byte("not base64"))
	f.Fuzz(func(t *testing.T, b64 []byte) {
		p, err := cwlogs.Decode(b64)
		if err != nil {
			if cwlogs.Reason(err) == cwlogs.ReasonOther {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		checkRoundTrip(t, p, true)
	})
}

// FuzzDecodeJSON feeds arbitrary JSON documents to DecodeJSON. Besides the
// checks of FuzzDecode, every valid UTF-8 JSON document must decode exactly
// as a reference decoder built on encoding/json says, and with its messages
// padded (checkPadded).
//
//	go test -run '^$' -fuzz FuzzDecodeJSON -fuzztime 20s -fuzzminimizetime 5s ./lambda/internal/cwlogs/
func FuzzDecodeJSON(f *testing.F) {
	for _, js := range seedJSON(f) {
		f.Add(js)
	}
	f.Fuzz(func(t *testing.T, js []byte) {
		orig := bytes.Clone(js)
		d := cwlogs.NewDecoder()
		p, err := d.DecodeJSON(js)
		if !bytes.Equal(js, orig) {
			t.Fatal("DecodeJSON modified its input")
		}
		if err != nil && cwlogs.Reason(err) != cwlogs.ReasonJSON {
			t.Fatalf("error not ErrBadJSON: %v", err)
		}
		if json.Valid(js) && utf8.Valid(js) && !strings.Contains(errString(err), "nesting deeper") {
			want, ok := referenceDecode(js)
			switch {
			case ok && err != nil:
				t.Fatalf("reference decodes, DecodeJSON fails: %v", err)
			case !ok && err == nil:
				t.Fatalf("reference fails, DecodeJSON decodes %+v", p)
			case ok:
				if g, w := normalize(p), normalize(want); !reflect.DeepEqual(g, w) {
					t.Fatalf("mismatch with reference\n got: %+v\nwant: %+v", g, w)
				}
			}
		}
		if err == nil {
			checkPadded(t, p)
			checkRoundTrip(t, p, false)
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// checkRoundTrip encodes p (as CloudWatch Logs does if full, else only its
// JSON) and checks that it decodes back to p, without the malformed events,
// which are not encoded.
func checkRoundTrip(t *testing.T, p *cwlogs.Payload, full bool) {
	t.Helper()
	want := p.Clone()
	want.Malformed = nil
	var again *cwlogs.Payload
	var err error
	if full {
		enc, err := cwlogs.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		again, err = cwlogs.Decode(enc)
	} else {
		again, err = cwlogs.DecodeJSON(cwlogs.AppendJSON(nil, p))
	}
	if err != nil {
		t.Fatalf("re-encoded payload does not decode: %v\n%s", err, cwlogs.AppendJSON(nil, p))
	}
	if g := normalize(again); !reflect.DeepEqual(g, want) {
		t.Fatalf("round trip mismatch\n got: %+v\nwant: %+v", g, want)
	}
}

// referenceDecode is the decoding rules of DecodeJSON written with
// encoding/json, for valid UTF-8 JSON input. ok is false where DecodeJSON
// must fail.
func referenceDecode(js []byte) (p *cwlogs.Payload, ok bool) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil || top == nil {
		return nil, false
	}
	p = &cwlogs.Payload{}
	for key, dst := range map[string]*string{"messageType": &p.MessageType, "owner": &p.Owner, "logGroup": &p.LogGroup, "logStream": &p.LogStream} {
		raw, present := top[key]
		if !present || isNull(raw) {
			if key == "messageType" {
				return nil, false
			}
			continue
		}
		if raw[0] != '"' {
			return nil, false
		}
		json.Unmarshal(raw, dst)
	}
	if raw, present := top["subscriptionFilters"]; present && !isNull(raw) {
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, false
		}
		for _, f := range arr {
			var s string
			if f[0] != '"' || json.Unmarshal(f, &s) != nil {
				return nil, false
			}
			p.SubscriptionFilters = append(p.SubscriptionFilters, s)
		}
	}
	if raw, present := top["logEvents"]; present && !isNull(raw) {
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, false
		}
		for i, ev := range arr {
			e, reason, id := referenceEvent(ev)
			if reason == "" {
				p.Events = append(p.Events, e)
			} else {
				p.Malformed = append(p.Malformed, cwlogs.MalformedEvent{Index: i, ID: id, Reason: reason})
			}
		}
	}
	return p, true
}

func referenceEvent(raw json.RawMessage) (e cwlogs.Event, reason, id string) {
	var obj map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &obj) != nil {
		return e, "log event is not an object", ""
	}
	str := func(key string) (s string, present, wrong bool) {
		v, ok := obj[key]
		if !ok || isNull(v) {
			return "", false, false
		}
		if v[0] != '"' {
			return "", false, true
		}
		json.Unmarshal(v, &s)
		return s, true, false
	}
	id, _, idWrong := str("id")
	tsWrong := false
	if v, ok := obj["timestamp"]; ok && !isNull(v) {
		n, err := strconv.ParseInt(string(v), 10, 64)
		tsWrong = err != nil
		e.Timestamp = n
	}
	msg, msgPresent, msgWrong := str("message")
	switch {
	case idWrong:
		return e, `"id" is not a string`, ""
	case tsWrong:
		return e, `"timestamp" is not an integer`, id
	case !msgPresent && !msgWrong:
		return e, `log event has no "message"`, id
	case msgWrong:
		return e, `"message" is not a string`, id
	}
	e.ID, e.Message = id, msg
	return e, "", id
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// TestDecodeMatchesReference runs tricky valid documents through DecodeJSON
// and the encoding/json reference decoder.
func TestDecodeMatchesReference(t *testing.T) {
	docs := []string{
		` { "messageType" : "DATA_MESSAGE" , "logEvents" : [ { "id" : "1" , "timestamp" : 2 , "message" : "m" } ] } `,
		"{\n\t\"messageType\":\"D\",\r\n\"logEvents\":[]}",
		`{"messageType":"A","messageType":"B","owner":"o","owner":null}`,
		`{"messageType":"D","logEvents":[{"message":"a"}],"logEvents":[{"message":"b"},{"message":1}]}`,
		`{"messageType":"D","logEvents":[{"message":1,"message":"ok"},{"message":"x","message":null},{"id":"i","id":2,"message":"m"}]}`,
		`{"\u006dessageType":"D","logEvents":[{"m\u0065ssage":"\u00e9\ud83d\ude00\ud83d\u0041\udc00x\/\"\\"}]}`,
		`{"messageType":"D","logEvents":[{"timestamp":-9223372036854775808,"message":"min"},{"timestamp":9223372036854775807,"message":"max"},{"timestamp":9223372036854775808,"message":"over"},{"timestamp":-0,"message":"z"},{"timestamp":1.0,"message":"f"},{"timestamp":1E3,"message":"e"}]}`,
		`{"messageType":"D","extra":{"a":[1,-2.5e-3,true,false,null,{"b":[[]]}],"c":""},"logEvents":[true,null,"s",3,[],{"message":"ok"}]}`,
		`{"messageType":"D","subscriptionFilters":["a","b\n"],"logEvents":null}`,
		`{"messageType":""}`,
		`{"messageType":"D","subscriptionFilters":[null]}`,
		`{"messageType":"D","owner":{}}`,
		`[]`, `"x"`, `null`, `{}`,
	}
	for _, doc := range docs {
		js := []byte(doc)
		got, err := cwlogs.DecodeJSON(js)
		want, ok := referenceDecode(js)
		if ok != (err == nil) {
			t.Errorf("%s: DecodeJSON err = %v, reference ok = %v", doc, err, ok)
			continue
		}
		if ok && !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Errorf("%s:\n got %+v\nwant %+v", doc, normalize(got), normalize(want))
		}
	}
}

// Events laid out as CloudWatch Logs writes them take the decoder's fast
// path, which reads timestamps eight digits at a time: every length of
// number, in every alignment, and what may follow it, match the reference.
func TestDecodeFastPathTimestamps(t *testing.T) {
	nums := []string{"", "0", "00", "01", "7", "-1", "1.5", "1e3"}
	for n := 1; n <= 20; n++ {
		nums = append(nums, "1234567890123456789012"[:n], "9876543210987654321098"[:n])
	}
	nums = append(nums, "9223372036854775807", "9223372036854775808", "0123456789")
	for _, ts := range nums {
		for pad := 0; pad < 9; pad++ {
			for _, msg := range []string{"m", "", strings.Repeat("x", 20)} {
				doc := `{"messageType":"D","logEvents":[{"id":"` + strings.Repeat("1", pad) + `","timestamp":` + ts + `,"message":"` + msg + `"},{"id":"2","timestamp":` + ts + `,"message":"m"}]}`
				js := []byte(doc)
				got, err := cwlogs.DecodeJSON(js)
				want, ok := referenceDecode(js)
				if ok != (err == nil) {
					t.Fatalf("%s: DecodeJSON err = %v, reference ok = %v", doc, err, ok)
				}
				if ok && !reflect.DeepEqual(normalize(got), normalize(want)) {
					t.Fatalf("%s:\n got %+v\nwant %+v", doc, normalize(got), normalize(want))
				}
			}
		}
	}
}

// extractedDoc has log events with "extractedFields", as a subscription
// filter with a space-delimited pattern writes them, which the decoder's
// fast path skips.
const extractedDoc = `{"messageType":"DATA_MESSAGE","logEvents":[` +
	`{"id":"1","timestamp":17,"message":"2 1 eni-1 - - - - - - - 1 2 - NODATA","extractedFields":{"version":"2","account_id":"1","log_status":"NODATA"}},` +
	`{"id":"2","timestamp":18,"message":"m","extractedFields":{}},` +
	`{"id":"3","timestamp":19,"message":"n","extractedFields":{"a":""}}]}`

// TestDecodeFastPathExtractedFields holds the fast path's reading of
// "extractedFields" to the reference decoder: on the document and on every
// document one edit away from it (a byte deleted, replaced or inserted),
// DecodeJSON and encoding/json agree on whether it is a payload and on
// what it holds.
func TestDecodeFastPathExtractedFields(t *testing.T) {
	const edits = ` "\\,:{}[]a0-ntf`
	check := func(doc string) {
		js := []byte(doc)
		got, err := cwlogs.DecodeJSON(js)
		want, ok := referenceDecode(js)
		if ok != (err == nil) {
			t.Fatalf("%s: DecodeJSON err = %v, reference ok = %v", doc, err, ok)
		}
		if ok && !reflect.DeepEqual(normalize(got), normalize(want)) {
			t.Fatalf("%s:\n got %+v\nwant %+v", doc, normalize(got), normalize(want))
		}
	}
	check(extractedDoc)
	for i := 0; i <= len(extractedDoc); i++ {
		if i < len(extractedDoc) {
			check(extractedDoc[:i] + extractedDoc[i+1:])
		}
		for j := range len(edits) {
			c := edits[j : j+1]
			if i < len(extractedDoc) {
				check(extractedDoc[:i] + c + extractedDoc[i+1:])
			}
			check(extractedDoc[:i] + c + extractedDoc[i:])
		}
	}
}
