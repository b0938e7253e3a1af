package main

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

const testQueueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/fh-forwarder-rejects"

// fakeSQS is a local SQS that speaks the JSON 1.0 protocol of
// SendMessageBatch as the real aws-sdk-go-v2 client sends it (and checks
// the MD5 of every body it answers). It enforces the message and request
// quotas, stores every accepted body, and lets a test script failures.
type fakeSQS struct {
	// script decides the outcome of call n (0-based); nil accepts all.
	script func(n int, bodies []string) sqsOutcome

	mu         sync.Mutex
	calls      int
	messages   []string
	violations []string
}

// sqsOutcome is what the fake does with one call.
type sqsOutcome struct {
	// status and errType fail the whole call.
	status  int
	errType string
	// stall holds the call until the client gives up.
	stall bool
	// fail gives entry i's error code ("" accepts it) and whether it is
	// the sender's fault.
	fail func(i int) (code string, senderFault bool)
}

func (f *fakeSQS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	n := f.calls
	f.calls++
	f.mu.Unlock()
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AmazonSQS.SendMessageBatch" ||
		!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
		f.violation("unexpected request %s target=%q", r.Method, r.Header.Get("X-Amz-Target"))
		sqsError(w, http.StatusBadRequest, "com.amazonaws.sqs#UnsupportedOperation")
		return
	}
	var in struct {
		QueueUrl string
		Entries  []struct{ Id, MessageBody string }
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.violation("bad body: %v", err)
		sqsError(w, http.StatusBadRequest, "com.amazonaws.sqs#InvalidParameterValue")
		return
	}
	size := 0
	bodies := make([]string, len(in.Entries))
	for i, e := range in.Entries {
		size += len(e.MessageBody)
		bodies[i] = e.MessageBody
		if !validSQSText(e.MessageBody) {
			f.violation("call %d: message %d has characters SQS refuses", n, i)
		}
	}
	switch {
	case in.QueueUrl != testQueueURL:
		f.violation("queue %q", in.QueueUrl)
		sqsError(w, http.StatusBadRequest, "com.amazonaws.sqs#QueueDoesNotExist")
		return
	case len(in.Entries) == 0 || len(in.Entries) > 10:
		f.violation("call %d: %d entries", n, len(in.Entries))
		sqsError(w, http.StatusBadRequest, "com.amazonaws.sqs#TooManyEntriesInBatchRequest")
		return
	case size > MaxDeadLetterBytes:
		f.violation("call %d: %d bytes", n, size)
		sqsError(w, http.StatusBadRequest, "com.amazonaws.sqs#BatchRequestTooLong")
		return
	}
	var out sqsOutcome
	if f.script != nil {
		out = f.script(n, bodies)
	}
	switch {
	case out.stall:
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return
	case out.status != 0:
		sqsError(w, out.status, out.errType)
		return
	}
	type ok struct{ Id, MessageId, MD5OfMessageBody string }
	type failed struct {
		Id, Code, Message string
		SenderFault       bool
	}
	resp := struct {
		Successful []ok
		Failed     []failed
	}{Successful: []ok{}, Failed: []failed{}}
	for i, e := range in.Entries {
		if out.fail != nil {
			if code, sender := out.fail(i); code != "" {
				resp.Failed = append(resp.Failed, failed{Id: e.Id, Code: code, Message: "injected by the test", SenderFault: sender})
				continue
			}
		}
		sum := md5.Sum([]byte(e.MessageBody))
		resp.Successful = append(resp.Successful, ok{Id: e.Id, MessageId: fmt.Sprintf("msg-%d-%s", n, e.Id), MD5OfMessageBody: hex.EncodeToString(sum[:])})
		f.mu.Lock()
		f.messages = append(f.messages, e.MessageBody)
		f.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(resp)
}

func (f *fakeSQS) violation(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.violations = append(f.violations, fmt.Sprintf(format, args...))
}

func sqsError(w http.ResponseWriter, status int, errType string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":"injected by the test"}`, errType)
}

// validSQSText is SQS's rule for message characters: #x9 | #xA | #xD |
// #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
func validSQSText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

// start serves f and returns a real SQS client pointed at it, with the
// function's own client settings.
func (f *fakeSQS) start(t *testing.T) *sqs.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return NewSQSClient(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRET", ""),
	}, func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.HTTPClient = srv.Client()
	})
}

// letters decodes the stored dead letters, checking each against the
// message size limit.
func (f *fakeSQS) letters(t *testing.T) []DeadLetter {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, v := range f.violations {
		t.Errorf("SQS protocol violation: %s", v)
	}
	out := make([]DeadLetter, len(f.messages))
	for i, m := range f.messages {
		if len(m) > MaxDeadLetterBytes {
			t.Errorf("dead letter %d is %d bytes", i, len(m))
		}
		if err := json.Unmarshal([]byte(m), &out[i]); err != nil {
			t.Fatalf("dead letter %d is not JSON: %v", i, err)
		}
	}
	return out
}

// reassemble joins the parts of each input (by ID, in Part order),
// decoding Data, and returns the inputs by reason in the order their first
// part was stored. It fails the test on missing or repeated parts.
func reassemble(t *testing.T, letters []DeadLetter) map[string][]string {
	t.Helper()
	type input struct {
		reason string
		parts  []string
		seen   int
	}
	byID := map[string]*input{}
	var order []string
	for _, l := range letters {
		in := byID[l.ID]
		if in == nil {
			in = &input{reason: l.Reason, parts: make([]string, l.Parts)}
			byID[l.ID] = in
			order = append(order, l.ID)
		}
		if l.Part < 1 || l.Part > len(in.parts) || l.Parts != len(in.parts) || l.Reason != in.reason {
			t.Fatalf("letter %s part %d/%d does not fit its input", l.ID, l.Part, l.Parts)
		}
		data := l.Data
		if l.Encoding == EncodingBase64 {
			b, err := base64.StdEncoding.DecodeString(data)
			if err != nil {
				t.Fatalf("letter %s part %d: %v", l.ID, l.Part, err)
			}
			data = string(b)
		} else if l.Encoding != EncodingText {
			t.Fatalf("encoding %q", l.Encoding)
		}
		if in.parts[l.Part-1] != "" {
			t.Fatalf("letter %s part %d stored twice", l.ID, l.Part)
		}
		in.parts[l.Part-1] = data
		in.seen++
	}
	out := map[string][]string{}
	for _, id := range order {
		in := byID[id]
		if in.seen != len(in.parts) {
			t.Fatalf("letter %s: %d of %d parts", id, in.seen, len(in.parts))
		}
		out[in.reason] = append(out[in.reason], strings.Join(in.parts, ""))
	}
	return out
}
