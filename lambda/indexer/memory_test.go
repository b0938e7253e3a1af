package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"unsafe"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdabuild"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// MaxEventBytes is the largest event CloudWatch Logs can hand the function:
// subscriptions invoke it asynchronously, and an asynchronous invocation's
// payload is at most 1 MB
// (https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html), taken
// here as 1 MiB to err on the large side. The payload inside is base64 of
// gzip, so how large it is decompressed depends on how well its records
// compress.
const MaxEventBytes = 1 << 20

// largestEvent returns a Lambda event of at most MaxEventBytes holding as
// many records from more as fit (to within 1%).
func largestEvent(t *testing.T, more func(n int) *cwlogs.Payload) (event []byte, records int) {
	t.Helper()
	return largestEventOf(func(n int) []byte { return lambdaEvent(t, more(n)) })
}

// largestEventOf is largestEvent for events that build makes of n records.
func largestEventOf(build func(n int) []byte) (event []byte, records int) {
	n := 5000
	for {
		ev := build(n)
		if len(ev) <= MaxEventBytes && len(ev) > MaxEventBytes*99/100 {
			return ev, n
		}
		// The event grows in proportion to the records, near enough.
		n = int(float64(n) * float64(MaxEventBytes) * 0.995 / float64(len(ev)))
	}
}

// peakHeapLimit skips a peak-heap test where it cannot measure, and returns
// half the indexer's memory, the bound of the peak heap.
func peakHeapLimit(t *testing.T) uint64 {
	t.Helper()
	if raceEnabled {
		t.Skip("a heap measured under the race detector is not the function's (make unit runs this without -race)")
	}
	if testing.Short() {
		t.Skip("builds 1 MiB events")
	}
	return uint64(indexerMemoryMB(t)) << 20 / 2
}

// okBulk answers every _bulk request with every item indexed, building
// the response as the real client would decode it, without a server (whose
// own allocations would be counted). It copies the body, as the SigV4
// signer does to hash it, and records the most any one request allocated.
type okBulk struct{ most uint64 }

func (o *okBulk) Bulk(ctx context.Context, req opensearchapi.BulkReq) (*opensearchapi.BulkResp, error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	defer func() {
		runtime.ReadMemStats(&after)
		o.most = max(o.most, after.TotalAlloc-before.TotalAlloc)
	}()
	var body bytes.Buffer
	if _, err := body.ReadFrom(req.Body); err != nil {
		return nil, err
	}
	n := bytes.Count(body.Bytes(), []byte{'\n'}) / 2
	resp := &opensearchapi.BulkResp{Items: make([]map[string]opensearchapi.BulkRespItem, n)}
	for i := range resp.Items {
		resp.Items[i] = map[string]opensearchapi.BulkRespItem{"index": {Status: http.StatusCreated}}
	}
	return resp, nil
}

// indexerMemoryMB reads the indexer's configured memory from the
// component that declares the function.
func indexerMemoryMB(t *testing.T) int {
	t.Helper()
	root, err := lambdabuild.FindModuleRoot("")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "components", "opensearchstream.go"))
	if err != nil {
		t.Fatal(err)
	}
	// The indexer's function args: the only ones with a 120 s timeout.
	m := regexp.MustCompile(`Timeout: 120, MemoryMB: (\d+)`).FindSubmatch(src)
	if m == nil {
		t.Fatal("components/opensearchstream.go: the indexer's MemoryMB not found")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestPeakHeapOfTheLargestPayload shows that the largest event CloudWatch
// Logs can deliver stays under half the function's memory: the decode,
// the documents and the _bulk requests of a MaxEventBytes event of
// realistic records, and of records that compress about as well as flow
// logs ever do (one interface's NODATA rows, which differ only in their
// times). The peak heap is bounded from above, deterministically, by twice
// (the collector's default heap goal, GOGC=100) the live heap once the
// documents are built (event, decoder buffers, payload, _bulk body) plus
// the most one _bulk request allocates (its garbage is dropped before the
// next) and the sender's own allocations.
func TestPeakHeapOfTheLargestPayload(t *testing.T) {
	limit := peakHeapLimit(t)
	for _, tc := range []struct {
		name string
		more func(n int) *cwlogs.Payload
	}{
		{"realistic records", func(n int) *cwlogs.Payload { return cwlogstest.FlowLogPayload(n, 21) }},
		{"NODATA records", func(n int) *cwlogs.Payload {
			p := cwlogstest.FlowLogPayload(n, 22)
			for i := range p.Events {
				start := cwlogstest.BaseTime + int64(i/10)
				p.Events[i].Message = fmt.Sprintf("2 %s eni-0123456789abcdef0 - - - - - - - %d %d - NODATA", cwlogstest.Owner, start, start+60)
			}
			return p
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			event, records := largestEvent(t, tc.more)
			bulk := &okBulk{}
			enc, err := document.NewEncoder(flowlog.V2Fields(), "cwl")
			if err != nil {
				t.Fatal(err)
			}
			h := &Handler{Parser: flowlog.NewParser(flowlog.V2Fields()), Encoder: enc, Bulk: &BulkSender{Client: bulk},
				DeadLetters: &SQSDeadLetters{}, Log: quietLog}
			peak := func() uint64 {
				ev := bytes.Clone(event) // the runtime's copy
				p, err := h.decode(ev)
				if err != nil {
					t.Fatal(err)
				}
				h.prepare(p)
				runtime.GC()
				var live runtime.MemStats
				runtime.ReadMemStats(&live)
				res := h.Bulk.Send(context.Background(), &h.batch)
				if res.Indexed != records || len(h.letters) != 0 {
					t.Fatalf("%d of %d records indexed, %d dead letters", res.Indexed, records, len(h.letters))
				}
				runtime.KeepAlive(ev)
				sender := uint64(cap(h.Bulk.pending))*uint64(unsafe.Sizeof(Doc{})) + uint64(cap(h.Bulk.scratch))
				return 2 * (live.HeapAlloc + bulk.most + sender)
			}()
			h.release()
			t.Logf("%d records, %d-byte event: peak heap at most %.1f MiB, limit %.0f MiB", records, len(event), float64(peak)/(1<<20), float64(limit)/(1<<20))
			if peak > limit {
				t.Fatalf("peak heap up to %d bytes for the largest payload, over half the function's memory (%d)", peak, limit)
			}
		})
	}
}

// TestPeakHeapOfMalformedEvents: the largest event whose log events are all
// malformed (a message that is a number), whose dead letters read every
// event's text back from the payload (prepareFrom), stays under half the
// function's memory too. Bounded as above: twice the live heap after the
// decode plus everything prepareFrom allocates.
func TestPeakHeapOfMalformedEvents(t *testing.T) {
	limit := peakHeapLimit(t)
	build := func(n int) []byte {
		var js bytes.Buffer
		js.WriteString(`{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[`)
		for i := range n {
			if i > 0 {
				js.WriteByte(',')
			}
			fmt.Fprintf(&js, `{"id":"%056d","timestamp":%d,"message":%d}`, i, cwlogstest.BaseTime*1000+int64(i), i)
		}
		js.WriteString(`]}`)
		return rawLambdaEvent(t, js.Bytes())
	}
	event, n := largestEventOf(build)
	enc, err := document.NewEncoder(flowlog.V2Fields(), "cwl")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handler{Parser: flowlog.NewParser(flowlog.V2Fields()), Encoder: enc, Bulk: &BulkSender{Client: &okBulk{}},
		DeadLetters: &SQSDeadLetters{}, Log: quietLog}
	ev, data := bytes.Clone(event), awslogsData(t, event) // the runtime's copy, and its data
	p, err := h.decode(ev)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var live, after runtime.MemStats
	runtime.ReadMemStats(&live)
	h.prepareFrom(p, data)
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ev)
	if len(h.letters) != n || h.letters[n-1].Line == "" {
		t.Fatalf("%d letters for %d malformed events, the last %+v", len(h.letters), n, h.letters[len(h.letters)-1])
	}
	peak := 2 * (live.HeapAlloc + after.TotalAlloc - live.TotalAlloc)
	t.Logf("%d malformed events, %d-byte event: peak heap at most %.1f MiB, limit %.0f MiB", n, len(event), float64(peak)/(1<<20), float64(limit)/(1<<20))
	if peak > limit {
		t.Fatalf("peak heap up to %d bytes for the largest payload of malformed events, over half the function's memory (%d)", peak, limit)
	}
}

// TestMalformedTextsReadAsAStream: reading one malformed event's text back
// from the largest payload of realistic records allocates a small part of
// what the payload takes decompressed (the base64 decoded, the gzip
// reader's state, a buffer of a few events), not the payload nor every
// event's text.
func TestMalformedTextsReadAsAStream(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates for itself")
	}
	var js []byte
	event, n := largestEventOf(func(n int) []byte {
		js = cwlogs.AppendJSON(nil, cwlogstest.FlowLogPayload(n, 21))
		js = bytes.Replace(js, []byte(`"logEvents":[`), []byte(`"logEvents":[{"id":"0","timestamp":1,"message":7},`), 1)
		return rawLambdaEvent(t, js)
	})
	data := awslogsData(t, event)
	p, err := cwlogs.Decode(data)
	if err != nil || len(p.Malformed) != 1 || len(p.Events) != n {
		t.Fatalf("%d events, %d malformed: %v", len(p.Events), len(p.Malformed), err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	texts, err := eventTexts(data, p.Malformed, n+1, 0)
	runtime.ReadMemStats(&after)
	if err != nil || len(texts) != 1 || texts[0] != `{"id":"0","timestamp":1,"message":7}` {
		t.Fatalf("texts %q, %v", texts, err)
	}
	allocated := float64(after.TotalAlloc - before.TotalAlloc)
	t.Logf("%d-byte payload, %d bytes decompressed: read back with %.1f MiB allocated", len(data), len(js), allocated/(1<<20))
	if budget := float64(len(data)) + 2<<20; allocated > budget {
		t.Fatalf("reading one text back allocated %.0f bytes, over %.0f (the base64 decoded, 2 MiB for the readers)", allocated, budget)
	}
}
