package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
)

// fakeFirehose is a local Firehose that speaks the JSON 1.1 protocol of
// PutRecordBatch, as the real aws-sdk-go-v2 client sends it. It enforces the
// call quotas, records every call and every accepted record, and lets a test
// script failures call by call.
type fakeFirehose struct {
	stream string
	// script decides the outcome of call n (0-based); nil accepts all.
	script func(n int, records [][]byte) outcome

	mu         sync.Mutex
	calls      []*fakeCall
	delivered  [][]byte
	violations []string
}

// outcome is what the fake does with one call.
type outcome struct {
	// status and errType make the whole call fail: HTTP status (400, 500,
	// 503...) with {"__type": errType}. The call accepts nothing.
	status  int
	errType string
	// rawBody replaces the JSON error body (e.g. an HTML 502 page).
	rawBody string
	// stall times the call out, accepting nothing: the client sees what a
	// call gets when its CallTimeout ends (see stallTransport).
	stall bool
	// fail gives the ErrorCode of record i, "" to accept it.
	fail func(i int) string
	// dropEntries truncates RequestResponses to this many entries (a
	// malformed response); -1 keeps them all.
	dropEntries int
	// reset closes the connection without an answer, before accepting
	// anything.
	reset bool
	// truncate accepts the records, then sends half of the answer and
	// closes the connection: the client cannot know they were accepted.
	truncate bool
	// slow delays the answer (the client's timeout is far longer).
	slow time.Duration
	// zeroFailedPutCount answers FailedPutCount 0 whatever the entries say.
	zeroFailedPutCount bool
}

// fakeCall is one PutRecordBatch request and what was accepted from it.
type fakeCall struct {
	records  [][]byte
	accepted []bool
	outcome  string
}

func accept() outcome { return outcome{dropEntries: -1} }

func throttle(errType string) outcome {
	return outcome{status: http.StatusBadRequest, errType: errType, dropEntries: -1}
}

func serverError(status int) outcome {
	return outcome{status: status, errType: "InternalFailure", dropEntries: -1}
}

func failRecords(fail func(i int) string) outcome { return outcome{fail: fail, dropEntries: -1} }

func (f *fakeFirehose) violation(format string, args ...any) {
	f.violations = append(f.violations, fmt.Sprintf(format, args...))
}

func (f *fakeFirehose) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "Firehose_20150804.PutRecordBatch" ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1") ||
		!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKIDTEST/") {
		f.mu.Lock()
		f.violation("unexpected request %s %s target=%q type=%q", r.Method, r.URL, r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"))
		f.mu.Unlock()
		writeError(w, http.StatusBadRequest, "UnknownOperationException")
		return
	}
	var req struct {
		DeliveryStreamName string
		Records            []struct{ Data []byte }
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		f.mu.Lock()
		f.violation("bad request body: %v", err)
		f.mu.Unlock()
		writeError(w, http.StatusBadRequest, "SerializationException")
		return
	}
	records := make([][]byte, len(req.Records))
	size := 0
	for i, rec := range req.Records {
		records[i] = rec.Data
		size += len(rec.Data)
	}

	f.mu.Lock()
	n := len(f.calls)
	call := &fakeCall{records: records, accepted: make([]bool, len(records))}
	f.calls = append(f.calls, call)
	switch {
	case req.DeliveryStreamName != f.stream:
		f.mu.Unlock()
		writeError(w, http.StatusBadRequest, "ResourceNotFoundException")
		return
	case len(records) == 0 || len(records) > MaxBatchRecords || size > MaxBatchBytes:
		f.violation("call %d: %d records, %d bytes", n, len(records), size)
		f.mu.Unlock()
		writeError(w, http.StatusBadRequest, "InvalidArgumentException")
		return
	}
	for i, rec := range records {
		if len(rec) > MaxRecordBytes {
			f.violation("call %d: record %d has %d bytes", n, i, len(rec))
		}
	}
	out := accept()
	if f.script != nil {
		out = f.script(n, records)
	}
	switch {
	case out.stall:
		call.outcome = "stall"
	case out.reset:
		call.outcome = "reset"
	case out.status != 0:
		call.outcome = fmt.Sprintf("%d %s", out.status, out.errType)
	}
	f.mu.Unlock()

	if out.slow > 0 {
		time.Sleep(out.slow)
	}
	switch {
	case out.stall:
		// Answered at once with a marker the client's transport
		// (stallTransport) turns into the error a call gets when its
		// timeout ends: no real timer decides which call times out.
		w.Header().Set(stallHeader, "1")
		w.WriteHeader(http.StatusOK)
		return
	case out.reset:
		resetConn(w)
		return
	case out.rawBody != "":
		w.WriteHeader(out.status)
		fmt.Fprint(w, out.rawBody)
		return
	case out.status != 0:
		writeError(w, out.status, out.errType)
		return
	}

	type entry struct {
		RecordId     string `json:",omitempty"`
		ErrorCode    string `json:",omitempty"`
		ErrorMessage string `json:",omitempty"`
	}
	resp := struct {
		FailedPutCount   int
		Encrypted        bool
		RequestResponses []entry
	}{RequestResponses: make([]entry, len(records))}
	f.mu.Lock()
	for i, rec := range records {
		code := ""
		if out.fail != nil {
			code = out.fail(i)
		}
		if code != "" {
			resp.FailedPutCount++
			resp.RequestResponses[i] = entry{ErrorCode: code, ErrorMessage: "Slow down."}
			continue
		}
		resp.RequestResponses[i] = entry{RecordId: fmt.Sprintf("rec-%d-%d", n, i)}
		call.accepted[i] = true
		f.delivered = append(f.delivered, rec)
	}
	call.outcome = fmt.Sprintf("ok, %d failed", resp.FailedPutCount)
	f.mu.Unlock()
	if out.dropEntries >= 0 && out.dropEntries < len(resp.RequestResponses) {
		resp.RequestResponses = resp.RequestResponses[:out.dropEntries]
	}
	if out.zeroFailedPutCount {
		resp.FailedPutCount = 0
	}
	body, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", fmt.Sprintf("req-%d", n))
	if out.truncate {
		call.outcome = "accepted, answer truncated"
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		resetConn(w)
		return
	}
	w.Write(body)
}

// resetConn closes the request's connection at once (RST where it can).
func resetConn(w http.ResponseWriter) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

func writeError(w http.ResponseWriter, status int, errType string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "req-error")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":"injected by the test"}`, errType)
}

// start serves f and returns a real Firehose client pointed at it: static
// credentials, the server as BaseEndpoint, and the function's own client
// settings (no SDK retries).
func (f *fakeFirehose) start(t *testing.T) *firehose.Client {
	t.Helper()
	if f.stream == "" {
		f.stream = testStream
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return NewFirehoseClient(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRET", ""),
	}, func(o *firehose.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		client := srv.Client()
		client.Transport = stallTransport{client.Transport}
		o.HTTPClient = client
	})
}

// stallHeader marks the fake's answer to a call it stalls.
const stallHeader = "X-Fake-Stall"

// stallTransport reports a stalled call as the HTTP client does when the
// call's context times out: no response, and context.DeadlineExceeded.
type stallTransport struct{ http.RoundTripper }

func (s stallTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.RoundTripper.RoundTrip(r)
	if err == nil && resp.Header.Get(stallHeader) != "" {
		resp.Body.Close()
		return nil, fmt.Errorf("fake Firehose: no answer before the call's timeout: %w", context.DeadlineExceeded)
	}
	return resp, err
}

// snapshot returns copies of the calls and accepted records so far.
func (f *fakeFirehose) snapshot() (calls []fakeCall, delivered [][]byte, violations []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		calls = append(calls, fakeCall{records: c.records, accepted: append([]bool(nil), c.accepted...), outcome: c.outcome})
	}
	return calls, append([][]byte(nil), f.delivered...), append([]string(nil), f.violations...)
}

// checkDelivery verifies the invariants every test must hold, for records
// handed to the Sender in the order sent (all distinct):
//   - the quotas were respected and every request was well formed;
//   - no record was accepted twice, and only records that were sent;
//   - a record accepted in one call was never sent again;
//   - the records of each call are in their original order;
//   - when complete, every record was accepted.
func (f *fakeFirehose) checkDelivery(t *testing.T, sent [][]byte, complete bool) {
	t.Helper()
	calls, delivered, violations := f.snapshot()
	for _, v := range violations {
		t.Errorf("protocol violation: %s", v)
	}
	index := make(map[string]int, len(sent))
	for i, rec := range sent {
		if _, dup := index[string(rec)]; dup {
			t.Fatalf("test bug: record %d is not unique", i)
		}
		index[string(rec)] = i
	}
	seen := make(map[string]bool, len(delivered))
	for _, rec := range delivered {
		if _, ok := index[string(rec)]; !ok {
			t.Fatalf("delivered a record that was never sent: %.80q", rec)
		}
		if seen[string(rec)] {
			t.Fatalf("record delivered twice: %.80q", rec)
		}
		seen[string(rec)] = true
	}
	accepted := map[string]int{} // record -> call that accepted it
	for n, c := range calls {
		last := -1
		for i, rec := range c.records {
			idx, ok := index[string(rec)]
			if !ok {
				t.Fatalf("call %d sent an unknown record", n)
			}
			if idx <= last {
				t.Fatalf("call %d: record order broken (%d after %d)", n, idx, last)
			}
			last = idx
			if prev, ok := accepted[string(rec)]; ok {
				t.Fatalf("call %d re-sent record %d, already accepted by call %d", n, idx, prev)
			}
			if c.accepted[i] {
				accepted[string(rec)] = n
			}
		}
	}
	if complete && len(delivered) != len(sent) {
		t.Fatalf("delivered %d of %d records", len(delivered), len(sent))
	}
}

// fakeClock is the Sender's injected clock: Sleep advances it at once.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}
