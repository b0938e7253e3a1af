package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// giveUp makes "the client's timeout fired" deterministic: the client
// wraps each request's context in one the server can cancel, and a stalled
// handler cancels it and waits for the client to hang up, as a request
// timeout would, without a real timer.
type giveUp struct {
	BulkAPI
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (g *giveUp) Bulk(ctx context.Context, req opensearchapi.BulkReq) (*opensearchapi.BulkResp, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g.mu.Lock()
	g.cancel = cancel
	g.mu.Unlock()
	return g.BulkAPI.Bulk(ctx, req)
}

// stall holds the response until the client gives up.
func (g *giveUp) stall(r *http.Request) {
	g.mu.Lock()
	cancel := g.cancel
	g.mu.Unlock()
	cancel()
	<-r.Context().Done()
}

// truncate sends a 200 whose body stops half way.
func truncate(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "4096")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, `{"took":1,"errors":false,"items":[{"index":{"_index":"cwl`)
	w.(http.Flusher).Flush()
	resetConnection(w)
}

// outcome is where each event of a payload ended after Lambda's attempts.
type outcome struct {
	attempts  int
	onFailure bool // the event went to the on-failure destination
}

// invokeAsLambda runs the handler as Lambda runs an asynchronously invoked
// function: the first attempt and up to two retries while it fails, then
// the on-failure destination.
func invokeAsLambda(t *testing.T, h *Handler, event []byte) (outcome, []Summary) {
	t.Helper()
	var sums []Summary
	for attempt := 1; attempt <= 3; attempt++ {
		s, err := h.Handle(context.Background(), event)
		sums = append(sums, s)
		checkAccounted(t, s)
		if err == nil {
			return outcome{attempts: attempt}, sums
		}
	}
	return outcome{attempts: 3, onFailure: true}, sums
}

// TestFaults runs the handler, with the real opensearch-go and SQS clients,
// against a domain and a queue that throttle, fail, reset, stall, truncate
// answers and lose responses after indexing, under Lambda's retry model,
// and accounts for every event of the payload: indexed (the stored document
// is the line's, overwritten but never duplicated when resent), or
// dead-lettered exactly once with its line, or (only when every attempt
// failed) in the event kept by the on-failure destination, and never more
// than one of these. Clocks and waits are fakes: no test waits for real.
func TestFaults(t *testing.T) {
	type faults struct {
		onRequest  func(g *giveUp, n int, w http.ResponseWriter, r *http.Request) bool
		afterIndex func(g *giveUp, n int, w http.ResponseWriter, r *http.Request) bool
		onItem     func(key string, try int) (int, string, string)
		onSQS      func(n int, body string) (bool, string, bool)
	}
	status := func(code int) func(w http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"error":{"type":"e","reason":"status %d"},"status":%d}`, code, code)
		}
	}
	cases := []struct {
		name      string
		f         faults
		attempts  int  // Lambda attempts made (0: 1, the sender's retries suffice)
		onFailure bool // every attempt fails
		resent    bool // documents may be indexed more than once (overwrites)
	}{
		{name: "no faults"},
		{name: "throttled items (429)", f: faults{onItem: func(key string, try int) (int, string, string) {
			if try == 1 && key[len(key)-1]%3 == 0 {
				return http.StatusTooManyRequests, "es_rejected_execution_exception", "rejected execution"
			}
			return 0, "", ""
		}}},
		{name: "throttled requests (429) and 5xx", f: faults{onRequest: func(g *giveUp, n int, w http.ResponseWriter, r *http.Request) bool {
			switch n {
			case 1, 3:
				status(http.StatusTooManyRequests)(w)
				return true
			case 2, 5:
				status(http.StatusBadGateway)(w)
				return true
			}
			return false
		}}, resent: true},
		{name: "partial failures past the sender's attempts", f: faults{onItem: func(key string, try int) (int, string, string) {
			if try <= 3 && key[len(key)-1]%4 == 0 {
				return http.StatusServiceUnavailable, "unavailable_shards_exception", "primary shard is not active"
			}
			return 0, "", ""
		}}, attempts: 2, resent: true},
		{name: "connection reset before the domain reads", f: faults{onRequest: func(g *giveUp, n int, w http.ResponseWriter, r *http.Request) bool {
			if n <= 3 {
				resetConnection(w)
				return true
			}
			return false
		}}},
		{name: "connection reset after the domain indexed", f: faults{afterIndex: func(g *giveUp, n int, w http.ResponseWriter, r *http.Request) bool {
			if n <= 3 {
				resetConnection(w)
				return true
			}
			return false
		}}, resent: true},
		{name: "slow answers: the client gives up", f: faults{onRequest: func(g *giveUp, n int, w http.ResponseWriter, r *http.Request) bool {
			if n <= 3 {
				g.stall(r)
				return true
			}
			return false
		}}},
		{name: "slow answers after indexing", f: faults{afterIndex: func(g *giveUp, n int, w http.ResponseWriter, r *http.Request) bool {
			if n <= 2 {
				g.stall(r)
				return true
			}
			return false
		}}, resent: true},
		{name: "truncated answers after indexing", f: faults{afterIndex: func(g *giveUp, n int, w http.ResponseWriter, r *http.Request) bool {
			if n <= 3 {
				truncate(w)
				return true
			}
			return false
		}}, resent: true},
		{name: "domain down for every attempt", f: faults{onRequest: func(g *giveUp, n int, w http.ResponseWriter, r *http.Request) bool {
			status(http.StatusServiceUnavailable)(w)
			return true
		}}, attempts: 3, onFailure: true},
		{name: "queue throttles then accepts", f: faults{onSQS: func(n int, body string) (bool, string, bool) {
			return n == 1, "RequestThrottled", false
		}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			osd, q := newFakeOS(t), newFakeSQS(t)
			g := &giveUp{BulkAPI: osd.client(t, 0)}
			clock := &fakeClock{now: time.Now().Add(time.Hour)}
			enc, err := document.NewEncoder(flowlog.V2Fields(), "cwl")
			if err != nil {
				t.Fatal(err)
			}
			h := &Handler{
				Parser:  flowlog.NewParser(flowlog.V2Fields()),
				Encoder: enc,
				Bulk: &BulkSender{Client: g, MaxBodyBytes: 16 << 10, MaxAttempts: 3, Now: clock.Now, Sleep: clock.Sleep,
					Rand: func() float64 { return 0.5 }},
				DeadLetters: &SQSDeadLetters{Client: q.client(), QueueURL: testQueueURL, Sleep: clock.Sleep},
				Log:         quietLog,
			}
			if tc.f.onRequest != nil {
				osd.onRequest = func(n int, w http.ResponseWriter, r *http.Request) bool { return tc.f.onRequest(g, n, w, r) }
			}
			if tc.f.afterIndex != nil {
				osd.afterIndex = func(n int, w http.ResponseWriter, r *http.Request) bool { return tc.f.afterIndex(g, n, w, r) }
			}
			// Two mapping rejections, always.
			p := cwlogstest.FlowLogPayload(400, 77)
			rejected := map[string]bool{keyOf(enc, p.Events[10]): true, keyOf(enc, p.Events[300]): true}
			osd.onItem = func(key string, try int) (int, string, string) {
				if rejected[key] {
					return http.StatusBadRequest, "mapper_parsing_exception", "failed to parse field [srcaddr]"
				}
				if tc.f.onItem != nil {
					return tc.f.onItem(key, try)
				}
				return 0, "", ""
			}
			q.onEntry = tc.f.onSQS
			// And events that never become documents.
			p.Events[3].Message = "not a flow log line"
			p.Events[200].Message = "2 123456789012 eni-1 10.0.0.1 10.0.0.2 99999999999 443 6 1 40 1718000000 1718000060 ACCEPT OK"
			out, sums := invokeAsLambda(t, h, lambdaEvent(t, p))
			if out.onFailure != tc.onFailure || out.attempts != max(tc.attempts, 1) {
				t.Fatalf("on-failure %v after %d attempts, want %v after %d; summaries %+v", out.onFailure, out.attempts, tc.onFailure, max(tc.attempts, 1), sums)
			}
			accountFor(t, osd, q, enc, p, out, tc.resent)
		})
	}
}

// accountFor checks where each event of p ended (see TestFaults).
func accountFor(t *testing.T, osd *fakeOS, q *fakeSQS, enc *document.Encoder, p *cwlogs.Payload, out outcome, resent bool) {
	t.Helper()
	lettered := map[string]int{}
	for _, d := range q.letters(t) {
		lettered[d.ID+"|"+d.Line]++
		if d.LogGroup != p.LogGroup || d.LogStream != p.LogStream || d.Reason == "" {
			t.Fatalf("dead letter %+v", d)
		}
	}
	indexed, dead, overwritten := 0, 0, 0
	for _, e := range p.Events {
		key := keyOf(enc, e)
		ops, letters := osd.opsOf(key), lettered[e.ID+"|"+e.Message]
		switch {
		case ops > 0 && letters > 0:
			t.Fatalf("event %s is both indexed and dead-lettered", e.ID)
		case letters > 1:
			t.Fatalf("event %s dead-lettered %d times", e.ID, letters)
		case ops > 1 && !resent:
			t.Fatalf("event %s indexed %d times without a reason to resend", e.ID, ops)
		case ops > 0:
			indexed++
			if ops > 1 {
				overwritten++
			}
			osd.mu.Lock()
			raw := osd.docs[key]
			osd.mu.Unlock()
			checkDocument(t, raw, flowlog.V2Fields(), e.Message, document.Meta{ID: e.ID, Timestamp: e.Timestamp, Source: document.NewSource(p.LogGroup, p.LogStream)})
		case letters == 1:
			dead++
		case !out.onFailure:
			t.Fatalf("event %s is neither indexed nor dead-lettered, and the invocation succeeded", e.ID)
		}
	}
	if osd.count() != indexed {
		t.Fatalf("the domain holds %d documents for %d indexed events", osd.count(), indexed)
	}
	if !out.onFailure && (indexed != len(p.Events)-4 || dead != 4) {
		t.Fatalf("%d indexed and %d dead-lettered of %d events, want all but 4 and 4", indexed, dead, len(p.Events))
	}
	if out.onFailure && dead != 0 {
		t.Fatalf("%d events dead-lettered although the whole event went to the on-failure destination", dead)
	}
	t.Logf("attempts %d, on-failure %v: %d indexed (%d overwritten by a resend), %d dead-lettered", out.attempts, out.onFailure, indexed, overwritten, dead)
}
