package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/osclient"
)

// testAWS is the AWS configuration of the tests: static credentials, so
// that requests are really SigV4-signed.
var testAWS = aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")}

// fakeOS is an OpenSearch domain that speaks enough of the _bulk API for the
// indexer: it checks every request (SigV4 headers, NDJSON pairs, index
// actions with _index and _id and no _type), stores documents by index and
// _id, and lets a test script item statuses and request failures.
type fakeOS struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex
	// docs holds the stored documents by "index/_id"; ops counts the
	// successful index operations per key.
	docs map[string]json.RawMessage
	ops  map[string]int
	// seen counts the times each key was received, whatever the outcome.
	seen map[string]int
	// requests counts the _bulk requests; bodySizes records their sizes.
	requests  int
	bodySizes []int

	// onRequest, if set, may handle request n (1-based) itself, before
	// any document is processed; it returns true if it did.
	onRequest func(n int, w http.ResponseWriter, r *http.Request) bool
	// onItem, if set, gives the status of an item (0 = index it); try is
	// how many times the key was received before, this one included.
	onItem func(key string, try int) (status int, errType, reason string)
	// afterIndex, if set, may take over request n after its documents were
	// processed (to lose the response); it returns true if it did.
	afterIndex func(n int, w http.ResponseWriter, r *http.Request) bool
}

func newFakeOS(t *testing.T) *fakeOS {
	f := &fakeOS{t: t, docs: map[string]json.RawMessage{}, ops: map[string]int{}, seen: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a real opensearch-go client for the fake domain, signing
// with static credentials.
func (f *fakeOS) client(t *testing.T, timeout time.Duration) *opensearchapi.Client {
	t.Helper()
	c, err := osclient.New(osclient.Options{Endpoint: f.srv.URL, AWS: testAWS, RequestTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeOS) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if r.Method == http.MethodGet {
		// The client checks a node's health after a timed-out request:
		// GET / and then GET /_cluster/health?local=true.
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/_cluster/health" {
			fmt.Fprint(w, `{"cluster_name":"123456789012:flowlogs","status":"green","number_of_nodes":1,"number_of_data_nodes":1}`)
			return
		}
		fmt.Fprint(w, `{"name":"fake","cluster_name":"123456789012:flowlogs","version":{"distribution":"opensearch","number":"2.17.0"},"tagline":"The OpenSearch Project: https://opensearch.org/"}`)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/_bulk" {
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/es/aws4_request") {
		f.t.Errorf("request not SigV4-signed for es: Authorization %q", auth)
	}
	if sum := sha256.Sum256(body); r.Header.Get("X-Amz-Content-Sha256") != hex.EncodeToString(sum[:]) {
		f.t.Errorf("X-Amz-Content-Sha256 does not match the body")
	}
	f.mu.Lock()
	f.requests++
	n := f.requests
	f.bodySizes = append(f.bodySizes, len(body))
	f.mu.Unlock()
	if f.onRequest != nil && f.onRequest(n, w, r) {
		return
	}

	type action struct {
		Index map[string]json.RawMessage `json:"index"`
	}
	var items []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 64<<20)
	hasErrors := false
	for sc.Scan() {
		actionLine := append([]byte(nil), sc.Bytes()...)
		if !sc.Scan() {
			f.t.Errorf("action line without a source line: %s", actionLine)
			break
		}
		source := append(json.RawMessage(nil), sc.Bytes()...)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(actionLine, &raw); err != nil || len(raw) != 1 || raw["index"] == nil {
			f.t.Errorf("action line is not {\"index\":{...}}: %s", actionLine)
			continue
		}
		var a action
		_ = json.Unmarshal(actionLine, &a)
		if _, ok := a.Index["_type"]; ok {
			f.t.Errorf("action line has _type: %s", actionLine)
		}
		var index, id string
		if json.Unmarshal(a.Index["_index"], &index) != nil || json.Unmarshal(a.Index["_id"], &id) != nil || index == "" || id == "" {
			f.t.Errorf("action line lacks _index or _id: %s", actionLine)
			continue
		}
		var obj map[string]any
		if err := json.Unmarshal(source, &obj); err != nil {
			f.t.Errorf("source line is not a JSON object: %s", source)
			continue
		}
		key := index + "/" + id
		f.mu.Lock()
		f.seen[key]++
		try := f.seen[key]
		f.mu.Unlock()
		status, typ, reason := 0, "", ""
		if f.onItem != nil {
			status, typ, reason = f.onItem(key, try)
		}
		if status != 0 {
			hasErrors = true
			items = append(items, fmt.Sprintf(`{"index":{"_index":%q,"_id":%q,"status":%d,"error":{"type":%q,"reason":%q}}}`, index, id, status, typ, reason))
			continue
		}
		f.mu.Lock()
		_, existed := f.docs[key]
		f.docs[key] = source
		f.ops[key]++
		version := f.ops[key]
		f.mu.Unlock()
		result, status := "created", http.StatusCreated
		if existed {
			result, status = "updated", http.StatusOK
		}
		items = append(items, fmt.Sprintf(`{"index":{"_index":%q,"_id":%q,"_version":%d,"result":%q,"status":%d}}`, index, id, version, result, status))
	}
	if f.afterIndex != nil && f.afterIndex(n, w, r) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"took":1,"errors":%t,"items":[%s]}`, hasErrors, strings.Join(items, ","))
}

// count returns the number of stored documents.
func (f *fakeOS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.docs)
}

// opsOf returns the successful index operations of a key.
func (f *fakeOS) opsOf(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ops[key]
}

// seenOf returns the times a key was received.
func (f *fakeOS) seenOf(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[key]
}

// doc returns the stored source of a key.
func (f *fakeOS) doc(key string) (map[string]any, bool) {
	f.mu.Lock()
	raw, ok := f.docs[key]
	f.mu.Unlock()
	if !ok {
		return nil, false
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	return m, true
}

// resetConnection makes the client see "connection reset by peer".
func resetConnection(w http.ResponseWriter) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// stall holds the response until the client gives up (its request timeout).
func stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// fakeSQS speaks the SQS JSON protocol's SendMessageBatch and stores the
// message bodies.
type fakeSQS struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	messages []string
	calls    int
	// callBytes is the total message size of each call.
	callBytes []int
	// onEntry, if set, may fail an entry of call n (1-based).
	onEntry func(n int, body string) (fail bool, code string, senderFault bool)
	// onCall, if set, may fail call n as a whole with an HTTP status.
	onCall func(n int) int
}

const testQueueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/flowlogs-dead-letters"

func newFakeSQS(t *testing.T) *fakeSQS {
	f := &fakeSQS{t: t}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// options points an SQS client at the fake, without SDK retries.
func (f *fakeSQS) options(o *sqs.Options) {
	o.BaseEndpoint = aws.String(f.srv.URL)
	o.RetryMaxAttempts = 1
}

// client returns a real SQS client for the fake.
func (f *fakeSQS) client() *sqs.Client { return sqs.NewFromConfig(testAWS, f.options) }

func (f *fakeSQS) serve(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("X-Amz-Target"); got != "AmazonSQS.SendMessageBatch" {
		f.t.Errorf("unexpected SQS operation %q", got)
		http.Error(w, "unknown operation", http.StatusBadRequest)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		f.t.Errorf("SQS request not signed")
	}
	var in struct {
		QueueUrl string
		Entries  []struct{ Id, MessageBody string }
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.t.Errorf("bad SendMessageBatch body: %v", err)
		return
	}
	if in.QueueUrl != testQueueURL {
		f.t.Errorf("QueueUrl %q, want %q", in.QueueUrl, testQueueURL)
	}
	if len(in.Entries) == 0 || len(in.Entries) > 10 {
		f.t.Errorf("%d entries in a batch", len(in.Entries))
	}
	size := 0
	for _, e := range in.Entries {
		size += len(e.MessageBody)
		if len(e.MessageBody) > MaxMessageBytes {
			f.t.Errorf("a %d-byte message, over SQS's %d", len(e.MessageBody), MaxMessageBytes)
		}
	}
	if size > sqsMaxBatchBytes {
		f.t.Errorf("a %d-byte batch, over SQS's %d", size, sqsMaxBatchBytes)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"com.amazonaws.sqs#BatchRequestTooLong","message":"batch too long"}`)
		return
	}
	f.mu.Lock()
	f.calls++
	n := f.calls
	f.callBytes = append(f.callBytes, size)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	if f.onCall != nil {
		if status := f.onCall(n); status != 0 {
			w.WriteHeader(status)
			fmt.Fprint(w, `{"__type":"com.amazonaws.sqs#KmsAccessDenied","message":"access to the key denied"}`)
			return
		}
	}
	type ok struct{ Id, MessageId, MD5OfMessageBody string }
	type failed struct {
		Id, Code, Message string
		SenderFault       bool
	}
	out := struct {
		Successful []ok
		Failed     []failed
	}{Successful: []ok{}, Failed: []failed{}}
	for _, e := range in.Entries {
		if f.onEntry != nil {
			if fail, code, sender := f.onEntry(n, e.MessageBody); fail {
				out.Failed = append(out.Failed, failed{Id: e.Id, Code: code, Message: "failed by the test", SenderFault: sender})
				continue
			}
		}
		sum := md5.Sum([]byte(e.MessageBody))
		f.mu.Lock()
		f.messages = append(f.messages, e.MessageBody)
		f.mu.Unlock()
		out.Successful = append(out.Successful, ok{Id: e.Id, MessageId: fmt.Sprintf("msg-%d-%s", n, e.Id), MD5OfMessageBody: hex.EncodeToString(sum[:])})
	}
	_ = json.NewEncoder(w).Encode(out)
}

// letters decodes the stored dead letters, joining the pieces of split
// lines (whose every message must be there, with the same metadata) as a
// reader of the queue would, and checking each line's length and hash.
func (f *fakeSQS) letters(t *testing.T) []DeadLetter {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []DeadLetter
	split := map[string][]DeadLetterMessage{}
	var order []string
	for i, raw := range f.messages {
		var m DeadLetterMessage
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("dead letter %d is not JSON: %v", i, err)
		}
		if m.Parts == 0 {
			out = append(out, joinPieces(t, []DeadLetterMessage{m}))
			continue
		}
		key := m.ID + "|" + m.LineSHA256
		if split[key] == nil {
			order = append(order, key)
		}
		split[key] = append(split[key], m)
	}
	for _, key := range order {
		out = append(out, joinPieces(t, split[key]))
	}
	return out
}

// joinPieces rebuilds a dead letter from its messages.
func joinPieces(t *testing.T, ms []DeadLetterMessage) DeadLetter {
	t.Helper()
	sort.Slice(ms, func(i, j int) bool { return ms[i].Part < ms[j].Part })
	var line strings.Builder
	for i, m := range ms {
		if m.Parts != 0 && (m.Part != i+1 || m.Parts != len(ms)) {
			t.Fatalf("piece %d of %d is numbered %d of %d", i+1, len(ms), m.Part, m.Parts)
		}
		if m.Line != "" && m.LineBase64 != "" {
			t.Fatalf("a message with both line and line_base64")
		}
		if m.LineBase64 != "" {
			b, err := base64.StdEncoding.DecodeString(m.LineBase64)
			if err != nil {
				t.Fatal(err)
			}
			line.Write(b)
		} else {
			line.WriteString(m.Line)
		}
		a, b := ms[0], m
		a.Line, a.LineBase64, a.Part, b.Line, b.LineBase64, b.Part = "", "", 0, "", "", 0
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("pieces of one dead letter differ: %+v and %+v", a, b)
		}
	}
	m := ms[0]
	if line.Len() != m.LineBytes {
		t.Fatalf("rebuilt line of %d bytes, the message says %d", line.Len(), m.LineBytes)
	}
	if m.Parts != 0 {
		if sum := sha256.Sum256([]byte(line.String())); hex.EncodeToString(sum[:]) != m.LineSHA256 {
			t.Fatalf("rebuilt line's SHA-256 differs from line_sha256")
		}
	}
	return DeadLetter{Stage: m.Stage, Reason: m.Reason, Status: m.Status, ErrorType: m.ErrorType, Index: m.Index, ID: m.ID,
		Timestamp: m.Timestamp, LogGroup: m.LogGroup, LogStream: m.LogStream, Line: line.String()}
}

// recordingSleep records the backoff waits instead of sleeping.
type recordingSleep struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *recordingSleep) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.delays = append(s.delays, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *recordingSleep) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.delays)
}
