package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/firehose"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdasize"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// largestFitting returns the awslogs.data of the largest payload build
// makes whose Lambda event stays within the asynchronous invocation limit,
// and its decompressed size.
func largestFitting(tb testing.TB, build func(n int) *cwlogs.Payload) (data string, decompressed int) {
	enc := func(n int) (string, int) {
		p := build(n)
		d, err := cwlogs.EncodeString(p)
		if err != nil {
			tb.Fatal(err)
		}
		return d, len(cwlogs.AppendJSON(nil, p))
	}
	// The event is {"awslogs":{"data":"..."}}: 24 bytes around the data.
	room := lambdasize.MaxAsyncPayloadBytes - 24
	d, _ := enc(20000)
	n := int(float64(room) / float64(len(d)) * 20000)
	for {
		d, size := enc(n)
		if len(d) <= room {
			return d, size
		}
		n -= n / 50
	}
}

// largestPayload is the largest payload of realistic default-format lines.
func largestPayload(tb testing.TB) (string, int) {
	return largestFitting(tb, func(n int) *cwlogs.Payload { return flowLogPayload(n, 77) })
}

// compressiblePayload is the largest payload CloudWatch Logs can deliver
// once decompressed: the shortest valid line repeated, with sequential ids,
// compresses best, so the most of it fits in an invocation.
func compressiblePayload(tb testing.TB) (string, int) {
	line := "2 123456789012 eni-0a1b2c3d4e5f67890 - - - - - - - 1718000040 1718000095 - NODATA"
	return largestFitting(tb, func(n int) *cwlogs.Payload {
		p := flowLogPayload(1, 1)
		p.Events = make([]cwlogs.Event, n)
		for i := range p.Events {
			p.Events[i] = cwlogs.Event{ID: fmt.Sprintf("%056d", i), Timestamp: 1718000040000, Message: line}
		}
		return p
	})
}

// peakHeapBound returns an upper bound of the heap used while f runs: the
// live heap before plus everything f allocates, with the collector off so
// that nothing is reused.
func peakHeapBound(f func()) uint64 {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return before.HeapAlloc + (after.TotalAlloc - before.TotalAlloc)
}

// allocatedBy returns what f allocates, with the collector off.
func allocatedBy(f func()) uint64 {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// refuseAll is a Firehose that accepts nothing.
type refuseAll struct{}

func (refuseAll) PutRecordBatch(context.Context, *firehose.PutRecordBatchInput, ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	return nil, errThrottled
}

// TestPeakHeapOfLargestPayload: the forwarder's heap for the largest
// payload CloudWatch Logs can deliver stays under half the function's
// memory, on the delivery path and on the dead-letter path (every record
// refused), warm or cold. Two payloads, each the largest whose event fits
// in an asynchronous invocation (1 MB): one of realistic lines (about
// 750 KB of gzip, 7 MB of JSON), and one of the shortest line repeated,
// which compresses best and so is the largest once decompressed (about
// 45 MB of JSON).
func TestPeakHeapOfLargestPayload(t *testing.T) {
	if raceEnabled {
		t.Skip("a heap measured under the race detector is not the function's (make unit runs this without -race)")
	}
	limit := uint64(lambdasize.ForwarderMemoryMB) << 20 / 2
	for _, payload := range []func(testing.TB) (string, int){largestPayload, compressiblePayload} {
		data, decompressed := payload(t)
		raw, _ := base64.StdEncoding.DecodeString(data)
		for _, api := range []FirehoseAPI{acceptAll{}, refuseAll{}} {
			cfg := benchConfig(t, flowlog.V2Fields())
			cfg.Send.MaxAttempts = 1
			dlq := &memoryDLQ{}
			h := NewHandler(cfg, api, dlq, slog.New(slog.DiscardHandler))
			var st Stats
			cold := peakHeapBound(func() { st, _ = h.Process(context.Background(), data) })
			dlq.bodies = nil
			warm := peakHeapBound(func() { st, _ = h.Process(context.Background(), data) })
			t.Logf("%T: %d events, %d KB gzip, %d KB decompressed: peak heap <= %d MB cold, %d MB warm (limit %d MB)",
				api, st.Events, len(raw)>>10, decompressed>>10, cold>>20, warm>>20, limit>>20)
			if st.Events == 0 || st.DeliveredLines+st.RefusedLines != st.Events {
				t.Fatalf("stats %+v", st)
			}
			if cold > limit || warm > limit {
				t.Errorf("peak heap %d MB cold, %d MB warm: over half of %d MB", cold>>20, warm>>20, lambdasize.ForwarderMemoryMB)
			}
		}
	}
}

// TestPeakHeapOfLargestKinesisEvent: a Kinesis event source mapping invokes
// the function synchronously, so its event may reach the 6 MB synchronous
// payload limit (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html):
// here five records, each the compressible payload's gzip (about 5 MB of
// base64, 5 x 45 MB decompressed). The records are handled one at a time,
// nothing of one is kept for the next, so the peak is that of one record
// plus the event (its bytes and the parser's copy). The test bounds the
// peak of a one-record event (collector off, as above), adds the event
// twice, and checks that the five-record invocation keeps no more live
// heap than the one-record one: under half the function's memory,
// delivered or dead-lettered.
func TestPeakHeapOfLargestKinesisEvent(t *testing.T) {
	if raceEnabled {
		t.Skip("a heap measured under the race detector is not the function's (make unit runs this without -race)")
	}
	limit := uint64(lambdasize.ForwarderMemoryMB) << 20 / 2
	data, decompressed := compressiblePayload(t)
	raw, _ := base64.StdEncoding.DecodeString(data)
	eventOf := func(n int) []byte {
		recs := make([]cwlogstest.KinesisRecord, n)
		for i := range recs {
			recs[i] = cwlogstest.NewKinesisRecord(i, raw)
		}
		event, err := cwlogstest.KinesisEventOf(recs)
		if err != nil {
			t.Fatal(err)
		}
		return event
	}
	one, five := eventOf(1), eventOf(5)
	const maxSyncPayloadBytes = 6_000_000 // 6 MB, read conservatively
	if len(five) > maxSyncPayloadBytes {
		t.Fatalf("event of %d bytes is over the synchronous limit", len(five))
	}
	liveAfter := func(f func()) uint64 {
		f()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for _, api := range []FirehoseAPI{acceptAll{}, refuseAll{}} {
		cfg := benchConfig(t, flowlog.V2Fields())
		cfg.Send.MaxAttempts = 1
		dlq := &memoryDLQ{}
		h := NewHandler(cfg, api, dlq, slog.New(slog.DiscardHandler))
		invoke := func(event []byte) {
			dlq.bodies = nil
			if out, err := h.Invoke(context.Background(), event); err != nil || string(out) != `{"batchItemFailures":[]}` {
				t.Fatalf("response %s, %v", out, err)
			}
			dlq.bodies = nil
		}
		peakOne := peakHeapBound(func() { invoke(one) })
		bound := peakOne + 2*uint64(len(five))
		liveOne := liveAfter(func() { invoke(one) })
		liveFive := liveAfter(func() { invoke(five) })
		t.Logf("%T: %d KB event, 5 x %d KB decompressed: one record peaks <= %d MB, five <= %d MB (limit %d MB); live after one %d MB, after five %d MB",
			api, len(five)>>10, decompressed>>10, peakOne>>20, bound>>20, limit>>20, liveOne>>20, liveFive>>20)
		if bound > limit {
			t.Errorf("peak heap <= %d MB: over half of %d MB", bound>>20, lambdasize.ForwarderMemoryMB)
		}
		if liveFive > liveOne+uint64(len(five))+(1<<20) {
			t.Errorf("five records keep %d MB live, one keeps %d MB: something of a record outlives it", liveFive>>20, liveOne>>20)
		}
	}
}
