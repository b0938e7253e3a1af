package cwlogs_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// TestAppendJSONCanonical checks that AppendJSON writes the payloads exactly
// as CloudWatch Logs does (testdata holds them in that form).
func TestAppendJSONCanonical(t *testing.T) {
	for _, name := range []string{"testdata/data_message.json", "testdata/control_message.json"} {
		js, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		js = bytes.TrimSpace(js)
		p, err := cwlogs.DecodeJSON(js)
		if err != nil {
			t.Fatal(err)
		}
		if got := cwlogs.AppendJSON(nil, p); !bytes.Equal(got, js) {
			t.Errorf("%s: AppendJSON =\n%s\nwant\n%s", name, got, js)
		}
	}
}

// TestAppendJSONStrings checks string escaping against encoding/json.
func TestAppendJSONStrings(t *testing.T) {
	weird := []string{
		"", `"`, `\`, "\x00\x01\x1f\x7f", "\b\f\n\r\t", "</script>&", "café ✓ 😀",
		"\u2028\u2029", `C:\temp\"x"`, "trailing backslash\\",
	}
	p := &cwlogs.Payload{MessageType: cwlogs.MessageTypeData, SubscriptionFilters: weird}
	for i, s := range weird {
		p.Events = append(p.Events, cwlogs.Event{ID: s, Timestamp: int64(i) - 3, Message: s})
	}
	js := cwlogs.AppendJSON(nil, p)
	if !json.Valid(js) {
		t.Fatalf("invalid JSON: %s", js)
	}
	var ref struct {
		SubscriptionFilters []string
		LogEvents           []struct {
			ID        string
			Timestamp int64
			Message   string
		}
	}
	if err := json.Unmarshal(js, &ref); err != nil {
		t.Fatal(err)
	}
	for i, s := range weird {
		e := ref.LogEvents[i]
		if ref.SubscriptionFilters[i] != s || e.ID != s || e.Message != s || e.Timestamp != int64(i)-3 {
			t.Errorf("string %q came back as %q / %+v", s, ref.SubscriptionFilters[i], e)
		}
	}
	got, err := cwlogs.DecodeJSON(js)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, p)
}

// TestEncodeFormat checks the layers of Encode: padded standard base64 of a
// gzip stream (readable by the standard library) of AppendJSON.
func TestEncodeFormat(t *testing.T) {
	p := cwlogstest.FlowLogPayload(10, 5)
	enc, err := cwlogs.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := base64.StdEncoding.Strict().DecodeString(string(enc))
	if err != nil {
		t.Fatal(err)
	}
	if gz[0] != 0x1f || gz[1] != 0x8b {
		t.Fatalf("not gzip: % x", gz[:2])
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	js, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if want := cwlogs.AppendJSON(nil, p); !bytes.Equal(js, want) {
		t.Fatalf("gzip content differs from AppendJSON")
	}
	s, err := cwlogs.EncodeString(p)
	if err != nil || s != string(enc) {
		t.Fatalf("EncodeString differs from Encode: %v", err)
	}
}

func TestLambdaEventHelper(t *testing.T) {
	p := cwlogstest.FlowLogPayload(5, 11)
	ev, err := cwlogstest.LambdaEvent(p)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		AWSLogs struct{ Data string } `json:"awslogs"`
	}
	if err := json.Unmarshal(ev, &v); err != nil {
		t.Fatal(err)
	}
	got, err := cwlogs.DecodeString(v.AWSLogs.Data)
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, p)
}
