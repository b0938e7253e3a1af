package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// testBatch encodes n generated default-format records into a batch and
// returns it with the "index/_id" keys of its documents.
func testBatch(t *testing.T, n int, seed uint64) (*Batch, []string) {
	t.Helper()
	enc, err := document.NewEncoder(flowlog.V2Fields(), "cwl")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Parser: flowlog.NewParser(flowlog.V2Fields()), Encoder: enc}
	h.prepare(cwlogstest.FlowLogPayload(n, seed))
	if len(h.letters) != 0 || len(h.batch.Docs) != n {
		t.Fatalf("prepared %d documents and %d dead letters from %d records", len(h.batch.Docs), len(h.letters), n)
	}
	keys := make([]string, n)
	for i, d := range h.batch.Docs {
		keys[i] = d.Index + "/" + d.ID
	}
	return &h.batch, keys
}

// checkAllIndexedOnce asserts that every key is stored and, unless
// allowResend, was indexed exactly once; and that nothing else is stored.
func checkAllIndexedOnce(t *testing.T, f *fakeOS, keys []string, res BulkResult, allowResend bool) {
	t.Helper()
	if res.Indexed != len(keys) || res.Sent != len(keys) || len(res.Failed) != 0 || len(res.Rejected) != 0 {
		t.Fatalf("result %+v, want all %d indexed", summarize(res), len(keys))
	}
	if got := f.count(); got != len(keys) {
		t.Fatalf("the domain holds %d documents, want %d", got, len(keys))
	}
	for _, k := range keys {
		ops := f.opsOf(k)
		if ops == 0 || (!allowResend && ops != 1) {
			t.Fatalf("document %s indexed %d times", k, ops)
		}
	}
}

type resultSummary struct {
	Sent, Indexed, Rejected, Failed, Requests, Resent int
}

func summarize(r BulkResult) resultSummary {
	return resultSummary{r.Sent, r.Indexed, len(r.Rejected), len(r.Failed), r.Requests, r.Resent}
}

func newSender(f *fakeOS, t *testing.T, sl *recordingSleep) *BulkSender {
	return &BulkSender{Client: f.client(t, 0), Sleep: sl.Sleep, Rand: func() float64 { return 0.5 }, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
}

func TestSendSplitsByBodySize(t *testing.T) {
	f := newFakeOS(t)
	b, keys := testBatch(t, 300, 1)
	sl := &recordingSleep{}
	s := newSender(f, t, sl)
	s.MaxBodyBytes = 16 << 10
	res := s.Send(context.Background(), b)
	checkAllIndexedOnce(t, f, keys, res, false)
	if res.Requests < len(b.Body)/(16<<10) || res.Requests != f.requests {
		t.Fatalf("%d requests (%d at the domain) for a %d-byte batch", res.Requests, f.requests, len(b.Body))
	}
	for _, n := range f.bodySizes {
		if n > 16<<10 {
			t.Fatalf("a request body has %d bytes, over the 16 KiB cap", n)
		}
	}
	if sl.count() != 0 || res.Resent != 0 {
		t.Fatalf("retried without failures: %d sleeps, %d resent", sl.count(), res.Resent)
	}
}

func TestSendOversizedDocumentGoesAlone(t *testing.T) {
	f := newFakeOS(t)
	b, keys := testBatch(t, 5, 2)
	sl := &recordingSleep{}
	s := newSender(f, t, sl)
	s.MaxBodyBytes = 10 // smaller than any document
	res := s.Send(context.Background(), b)
	checkAllIndexedOnce(t, f, keys, res, false)
	if res.Requests != 5 {
		t.Fatalf("%d requests, want one per document", res.Requests)
	}
}

func TestSendRetriesThrottledAndServerErrorItems(t *testing.T) {
	f := newFakeOS(t)
	b, keys := testBatch(t, 120, 3)
	f.onItem = func(key string, try int) (int, string, string) {
		switch {
		case strings.HasSuffix(key, "1") && try == 1:
			return http.StatusTooManyRequests, "es_rejected_execution_exception", "rejected execution of coordinating operation"
		case strings.HasSuffix(key, "2") && try <= 2:
			return http.StatusServiceUnavailable, "unavailable_shards_exception", "primary shard is not active"
		case strings.HasSuffix(key, "3") && try == 1:
			return http.StatusInternalServerError, "exception", "boom"
		}
		return 0, "", ""
	}
	sl := &recordingSleep{}
	s := newSender(f, t, sl)
	res := s.Send(context.Background(), b)
	checkAllIndexedOnce(t, f, keys, res, false)
	if sl.count() != 2 {
		t.Fatalf("%d backoff waits, want 2 (two retry rounds)", sl.count())
	}
	// Equal jitter with Rand() = 0.5: 3/4 of 100ms, then of 200ms.
	if sl.delays[0] != 75*time.Millisecond || sl.delays[1] != 150*time.Millisecond {
		t.Fatalf("backoff waits %v", sl.delays)
	}
	if res.Resent == 0 || res.Requests != 3 {
		t.Fatalf("result %+v", summarize(res))
	}
}

func TestSendDeadLettersMappingErrorsWithoutRetry(t *testing.T) {
	f := newFakeOS(t)
	b, keys := testBatch(t, 60, 4)
	bad := map[string]bool{keys[3]: true, keys[17]: true, keys[42]: true}
	f.onItem = func(key string, try int) (int, string, string) {
		if bad[key] {
			return http.StatusBadRequest, "mapper_parsing_exception", "failed to parse field [srcport] of type [integer]"
		}
		if key == keys[5] && try == 1 {
			return http.StatusTooManyRequests, "es_rejected_execution_exception", "queue full"
		}
		return 0, "", ""
	}
	sl := &recordingSleep{}
	res := newSender(f, t, sl).Send(context.Background(), b)
	if res.Indexed != len(keys)-len(bad) || len(res.Rejected) != len(bad) || len(res.Failed) != 0 {
		t.Fatalf("result %+v", summarize(res))
	}
	if res.Indexed+len(res.Rejected) != res.Sent {
		t.Fatalf("indexed %d + rejected %d != sent %d", res.Indexed, len(res.Rejected), res.Sent)
	}
	for _, r := range res.Rejected {
		key := r.Doc.Index + "/" + r.Doc.ID
		if !bad[key] || r.Status != 400 || r.Type != "mapper_parsing_exception" || !strings.Contains(r.Reason, "srcport") {
			t.Fatalf("rejection %+v", r)
		}
		if f.seenOf(key) != 1 {
			t.Fatalf("rejected document %s sent %d times; mapping errors must not be retried", key, f.seenOf(key))
		}
	}
	if got := f.count(); got != len(keys)-len(bad) {
		t.Fatalf("the domain holds %d documents", got)
	}
	for _, k := range keys {
		if !bad[k] && f.opsOf(k) != 1 {
			t.Fatalf("document %s indexed %d times", k, f.opsOf(k))
		}
	}
}

func TestSendRetriesFailedRequests(t *testing.T) {
	cases := []struct {
		name string
		// failures are the requests that fail; they fail by fail.
		failures    int
		fail        func(g *giveUp, w http.ResponseWriter, r *http.Request)
		afterIndex  bool // the domain indexes before the response is lost
		allowResend bool
	}{
		{name: "503", failures: 2, fail: func(g *giveUp, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":{"type":"cluster_block_exception","reason":"blocked"},"status":503}`))
		}},
		{name: "500", failures: 1, fail: func(g *giveUp, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"error":{"type":"exception","reason":"boom"},"status":500}`))
		}},
		{name: "429", failures: 1, fail: func(g *giveUp, w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"type":"circuit_breaking_exception","reason":"[parent] Data too large"},"status":429}`))
		}},
		{name: "connection reset", failures: 2, fail: func(g *giveUp, w http.ResponseWriter, r *http.Request) { resetConnection(w) }},
		{name: "timeout", failures: 1, fail: func(g *giveUp, w http.ResponseWriter, r *http.Request) { g.stall(r) }},
		{name: "response lost after indexing", failures: 1, afterIndex: true, allowResend: true,
			fail: func(g *giveUp, w http.ResponseWriter, r *http.Request) { resetConnection(w) }},
		{name: "timeout after indexing", failures: 1, afterIndex: true, allowResend: true,
			fail: func(g *giveUp, w http.ResponseWriter, r *http.Request) { g.stall(r) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeOS(t)
			b, keys := testBatch(t, 80, 5)
			// A timeout is the client giving up on a stalled request,
			// without a real timer (see giveUp).
			g := &giveUp{BulkAPI: f.client(t, 0)}
			hook := func(n int, w http.ResponseWriter, r *http.Request) bool {
				if n <= tc.failures {
					tc.fail(g, w, r)
					return true
				}
				return false
			}
			if tc.afterIndex {
				f.afterIndex = hook
			} else {
				f.onRequest = hook
			}
			sl := &recordingSleep{}
			s := newSender(f, t, sl)
			s.Client = g
			res := s.Send(context.Background(), b)
			checkAllIndexedOnce(t, f, keys, res, tc.allowResend)
			if sl.count() != tc.failures || res.Requests != tc.failures+1 {
				t.Fatalf("%d waits and %d requests for %d failures", sl.count(), res.Requests, tc.failures)
			}
			if tc.allowResend {
				// The resend overwrote: same documents, version 2.
				for _, k := range keys {
					if f.opsOf(k) != 2 {
						t.Fatalf("document %s indexed %d times, want 2 (overwritten)", k, f.opsOf(k))
					}
				}
			}
		})
	}
}

func TestSendGivesUpAfterMaxAttempts(t *testing.T) {
	f := newFakeOS(t)
	b, keys := testBatch(t, 20, 6)
	f.onItem = func(key string, try int) (int, string, string) {
		if key == keys[0] || key == keys[1] {
			return http.StatusTooManyRequests, "es_rejected_execution_exception", "queue full"
		}
		return 0, "", ""
	}
	sl := &recordingSleep{}
	s := newSender(f, t, sl)
	s.MaxAttempts = 4
	res := s.Send(context.Background(), b)
	if res.Indexed != 18 || len(res.Failed) != 2 || len(res.Rejected) != 0 {
		t.Fatalf("result %+v", summarize(res))
	}
	if sl.count() != 3 || f.seenOf(keys[0]) != 4 {
		t.Fatalf("%d waits, %d tries; want 3 and 4", sl.count(), f.seenOf(keys[0]))
	}
	for _, e := range res.Failed {
		if e.Status != 429 || e.Type != "es_rejected_execution_exception" {
			t.Fatalf("failure %+v", e)
		}
	}
	for _, k := range keys[2:] {
		if f.opsOf(k) != 1 {
			t.Fatalf("document %s indexed %d times", k, f.opsOf(k))
		}
	}
}

func TestSendDoesNotRetryRefusedRequest(t *testing.T) {
	f := newFakeOS(t)
	b, _ := testBatch(t, 10, 7)
	f.onRequest = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message":"User: arn:aws:sts::123456789012:assumed-role/indexer is not authorized to perform: es:ESHttpPost"}`))
		return true
	}
	sl := &recordingSleep{}
	res := newSender(f, t, sl).Send(context.Background(), b)
	if len(res.Failed) != 10 || res.Requests != 1 || sl.count() != 0 {
		t.Fatalf("result %+v after %d waits", summarize(res), sl.count())
	}
	if res.Failed[0].Status != 403 || !strings.Contains(res.Failed[0].Reason, "not authorized") || strings.Contains(res.Failed[0].Reason, "BULK_MAX_BYTES") {
		t.Fatalf("failure %+v", res.Failed[0])
	}
}

// TestSendRefusedBodyNamesTheSetting: a body the domain refuses as too
// large (413) fails its documents without a retry, with the advice to
// lower BULK_MAX_BYTES.
func TestSendRefusedBodyNamesTheSetting(t *testing.T) {
	f := newFakeOS(t)
	b, _ := testBatch(t, 10, 24)
	f.onRequest = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		w.Write([]byte(`{"message":"Request size exceeded 10485760 bytes"}`))
		return true
	}
	sl := &recordingSleep{}
	res := newSender(f, t, sl).Send(context.Background(), b)
	if len(res.Failed) != 10 || res.Requests != 1 || sl.count() != 0 {
		t.Fatalf("result %+v after %d waits", summarize(res), sl.count())
	}
	if want := fmt.Sprintf("the domain refused a %d-byte _bulk body (413); lower BULK_MAX_BYTES", len(b.Body)); res.Failed[0].Status != 413 || !strings.HasPrefix(res.Failed[0].Reason, want) {
		t.Fatalf("failure %+v, want the reason to start %q", res.Failed[0], want)
	}
}

func TestSendStopsRetryingNearTheDeadline(t *testing.T) {
	f := newFakeOS(t)
	b, _ := testBatch(t, 10, 8)
	f.onRequest = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	sl := &recordingSleep{}
	s := newSender(f, t, sl)
	// 30s left with a reserve of a minute: half the time left is kept,
	// and the first wait (20s or more) would reach into it.
	s.Reserve, s.BaseDelay, s.MaxDelay = time.Minute, 40*time.Second, 40*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := s.Send(ctx, b)
	if len(res.Failed) != 10 || res.Requests != 1 || sl.count() != 0 {
		t.Fatalf("result %+v after %d waits; want to give up at once", summarize(res), sl.count())
	}
}

func TestSendStopsWhenContextEnds(t *testing.T) {
	f := newFakeOS(t)
	b, _ := testBatch(t, 40, 9)
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	f.onRequest = func(n int, w http.ResponseWriter, r *http.Request) bool {
		calls.Add(1)
		cancel()
		stall(r)
		return true
	}
	s := &BulkSender{Client: f.client(t, 0), MaxBodyBytes: 4 << 10}
	res := s.Send(ctx, b)
	if len(res.Failed) != 40 || res.Indexed != 0 || calls.Load() != 1 {
		t.Fatalf("result %+v after %d requests", summarize(res), calls.Load())
	}
}

func TestBackoffBounds(t *testing.T) {
	for _, r := range []float64{0, 0.999} {
		s := &BulkSender{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, Rand: func() float64 { return r }}
		for attempt, full := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
			full *= time.Millisecond
			d := s.backoff(attempt + 1)
			if d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt+1, d, full/2, full)
			}
		}
	}
}

// TestBackoffDefaults: zero delays mean the defaults, 200ms doubled per
// retry up to 5s (the lower bound of the jitter is half of that).
func TestBackoffDefaults(t *testing.T) {
	s := &BulkSender{Rand: func() float64 { return 0 }}
	for attempt, want := range []time.Duration{100, 200, 400, 800, 1600, 2500, 2500} {
		want *= time.Millisecond
		if d := s.backoff(attempt + 1); d != want {
			t.Errorf("backoff(%d) = %v, want %v", attempt+1, d, want)
		}
	}
}

// fakeClock is a clock that only moves when a test moves it: by a backoff
// wait (Sleep) or by a request's simulated latency.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.Advance(d)
	return ctx.Err()
}

// deadlineRecorder wraps the real client: it records the deadline of every
// request's context and then lets the fake clock run for latency, as a
// slow domain would.
type deadlineRecorder struct {
	BulkAPI
	clock     *fakeClock
	latency   time.Duration
	deadlines []time.Time
}

func (r *deadlineRecorder) Bulk(ctx context.Context, req opensearchapi.BulkReq) (*opensearchapi.BulkResp, error) {
	d, ok := ctx.Deadline()
	if !ok {
		d = time.Time{}
	}
	r.deadlines = append(r.deadlines, d)
	resp, err := r.BulkAPI.Bulk(ctx, req)
	r.clock.Advance(r.latency)
	return resp, err
}

// Every request, retries included, is cut off Reserve before the
// invocation's deadline, and no request starts after that: the caller keeps
// the reserve to dead-letter and report. (The request timeout alone used to
// bound a request, so a retry could outlive the invocation.) The clock is a
// fake one that starts an hour ahead of the real one, so that the contexts'
// real deadlines never pass during the test.
func TestSendCapsEveryRequestByTheDeadline(t *testing.T) {
	f := newFakeOS(t)
	f.onRequest = func(n int, w http.ResponseWriter, r *http.Request) bool {
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	b, _ := testBatch(t, 30, 12)
	start := time.Now().Add(time.Hour).Truncate(time.Second)
	for _, tc := range []struct {
		name             string
		left, reserve    time.Duration
		timeout, latency time.Duration
		cutoff           time.Duration // after start
	}{
		{"timeout longer than the time left", 20 * time.Second, 3 * time.Second, 30 * time.Second, 4 * time.Second, 17 * time.Second},
		{"short timeouts, slow answers", 20 * time.Second, 3 * time.Second, 5 * time.Second, 5 * time.Second, 17 * time.Second},
		{"less than twice the reserve left", 4 * time.Second, 3 * time.Second, 30 * time.Second, time.Second, 2 * time.Second},
		{"a zero reserve is the default, 3s", 20 * time.Second, 0, 30 * time.Second, 4 * time.Second, 17 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: start}
			rec := &deadlineRecorder{BulkAPI: f.client(t, 0), clock: clock, latency: tc.latency}
			s := &BulkSender{Client: rec, MaxBodyBytes: 2 << 10, MaxAttempts: 20, BaseDelay: 500 * time.Millisecond, MaxDelay: 2 * time.Second,
				RequestTimeout: tc.timeout, Reserve: tc.reserve, Now: clock.Now, Sleep: clock.Sleep, Rand: func() float64 { return 0 }}
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(tc.left))
			defer cancel()
			res := s.Send(ctx, b)
			cutoff := start.Add(tc.cutoff)
			if len(res.Failed) != 30 || res.Indexed != 0 || len(rec.deadlines) < 2 {
				t.Fatalf("result %+v after %d requests", summarize(res), len(rec.deadlines))
			}
			for i, d := range rec.deadlines {
				if d.IsZero() || d.After(cutoff) {
					t.Fatalf("request %d has deadline %v, after the cutoff %v", i, d.Sub(start), tc.cutoff)
				}
			}
			if first := rec.deadlines[0]; !first.Equal(start.Add(min(tc.timeout, tc.cutoff))) {
				t.Fatalf("first request's deadline %v after the start, want %v", first.Sub(start), min(tc.timeout, tc.cutoff))
			}
			// The requests start before the cutoff (each takes latency).
			if last := start.Add(time.Duration(len(rec.deadlines)-1) * tc.latency); last.After(cutoff) {
				t.Fatalf("%d requests of %v each: the last started after the cutoff", len(rec.deadlines), tc.latency)
			}
			for _, e := range res.Failed {
				if e.Type != "deadline" && e.Type != "request" {
					t.Fatalf("failure %+v", e)
				}
			}
		})
	}
}

// TestChunkEndFillsTheLimit: a request takes documents up to exactly
// MaxBodyBytes; zero means DefaultMaxBodyBytes.
func TestChunkEndFillsTheLimit(t *testing.T) {
	docs := []Doc{{Start: 0, End: 10}, {Start: 10, End: 20}, {Start: 20, End: 30}, {Start: 30, End: 40}}
	if end := (&BulkSender{MaxBodyBytes: 30}).chunkEnd(docs, 0); end != 3 {
		t.Errorf("limit 30: chunk of %d documents of 10 bytes, want 3", end)
	}
	big := []Doc{{Start: 0, End: DefaultMaxBodyBytes - 10}, {Start: DefaultMaxBodyBytes - 10, End: DefaultMaxBodyBytes}, {Start: DefaultMaxBodyBytes, End: DefaultMaxBodyBytes + 1}}
	if end := (&BulkSender{}).chunkEnd(big, 0); end != 2 {
		t.Errorf("default limit: chunk of %d documents, want the 2 that make %d bytes", end, DefaultMaxBodyBytes)
	}
}

// bulkFunc adapts a function to BulkAPI, for tests of how the sender reads
// a response, without HTTP.
type bulkFunc func(ctx context.Context, req opensearchapi.BulkReq) (*opensearchapi.BulkResp, error)

func (f bulkFunc) Bulk(ctx context.Context, req opensearchapi.BulkReq) (*opensearchapi.BulkResp, error) {
	return f(ctx, req)
}

// TestSendItemReasons: an item's reason is its error's reason, followed by
// the cause's when that says something else, or the item status when the
// item has no error at all; for the documents given up (retryable
// statuses) as for those rejected.
func TestSendItemReasons(t *testing.T) {
	b, _ := testBatch(t, 7, 22)
	items := []string{
		`{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse","caused_by":{"reason":"For input string"}}}}`,
		`{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"same","caused_by":{"reason":"same"}}}}`,
		`{"index":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"no cause"}}}`,
		`{"index":{"status":409}}`,
		`{"index":{"status":300}}`,
		`{"index":{"status":503}}`,
		`{"index":{"status":503,"error":{"type":"unavailable_shards_exception","reason":"busy"}}}`,
	}
	s := &BulkSender{MaxAttempts: 1, Client: bulkFunc(func(context.Context, opensearchapi.BulkReq) (*opensearchapi.BulkResp, error) {
		var resp opensearchapi.BulkResp
		err := json.Unmarshal([]byte(`{"errors":true,"items":[`+strings.Join(items, ",")+`]}`), &resp)
		return &resp, err
	})}
	res := s.Send(context.Background(), b)
	var got []string
	for _, e := range append(res.Rejected, res.Failed...) {
		got = append(got, e.Reason)
	}
	want := []string{"failed to parse: For input string", "same", "no cause", "item status 409", "item status 300", "item status 503", "busy"}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("reasons %q, want %q", got, want)
	}
}

// TestSendReadsAPartialBulkError: a client that reports the failed items of
// a 200 answer as an error (opensearch-go's PartialBulkError, which
// osclient masks but OPENSEARCH_GO_ERROR_MASK can unmask) still has its
// items read one by one: only the refused document is sent again.
func TestSendReadsAPartialBulkError(t *testing.T) {
	f := newFakeOS(t)
	b, keys := testBatch(t, 10, 23)
	f.onItem = func(key string, try int) (int, string, string) {
		if key == keys[3] && try == 1 {
			return http.StatusTooManyRequests, "es_rejected_execution_exception", "queue full"
		}
		return 0, "", ""
	}
	s := newSender(f, t, &recordingSleep{})
	s.Client = opensearchapi.NewFromClientWithErrors(f.client(t, 0).Client)
	res := s.Send(context.Background(), b)
	checkAllIndexedOnce(t, f, keys, res, false)
	if res.Requests != 2 || res.Resent != 1 {
		t.Fatalf("result %+v, want the refused document alone sent again", summarize(res))
	}
}
