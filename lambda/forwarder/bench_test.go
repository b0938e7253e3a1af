package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/klauspost/compress/gzip"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// Benchmark payloads: benchPayloads payloads of benchRecords records each,
// from different streams.
const (
	benchPayloads = 40
	benchRecords  = 2000
)

// benchSet is one benchmark's payloads.
type benchSet struct {
	fields       []flowlog.Field
	events       [][]byte // Lambda events {"awslogs":{"data":"..."}}
	gz           [][]byte // the gzip streams inside them
	decompressed []int    // each payload JSON's size
	total        int      // all of decompressed
}

// newBenchSet builds the payloads of fields; extracted adds
// "extractedFields" to every log event, as a subscription filter with a
// space-delimited pattern makes CloudWatch Logs do.
func newBenchSet(tb testing.TB, fields []flowlog.Field, extracted bool) *benchSet {
	s := &benchSet{fields: fields}
	for i := range benchPayloads {
		p := flowLogPayloadFields(benchRecords, uint64(1000+i), fields)
		js := cwlogs.AppendJSON(nil, p)
		if extracted {
			js = withExtractedFields(p, fields)
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(js)
		zw.Close()
		ev, err := json.Marshal(events.CloudwatchLogsEvent{AWSLogs: events.CloudwatchLogsRawData{Data: base64.StdEncoding.EncodeToString(buf.Bytes())}})
		if err != nil {
			tb.Fatal(err)
		}
		s.events = append(s.events, ev)
		s.gz = append(s.gz, buf.Bytes())
		s.decompressed = append(s.decompressed, len(js))
		s.total += len(js)
	}
	return s
}

// gunzipper is the decode limit: klauspost gzip (the decompressor cwlogs
// uses) into a reused buffer, with a reused reader.
type gunzipper struct {
	br  bytes.Reader
	zr  gzip.Reader
	out []byte
}

func (g *gunzipper) gunzip(tb testing.TB, gz []byte, want int) {
	if cap(g.out) < want+512 {
		g.out = make([]byte, want+512)
	}
	g.br.Reset(gz)
	if err := g.zr.Reset(&g.br); err != nil {
		tb.Fatal(err)
	}
	n := 0
	for {
		m, err := g.zr.Read(g.out[n:cap(g.out)])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	if n != want {
		tb.Fatalf("decompressed %d bytes, want %d", n, want)
	}
}

// forwarderPipeline is the forwarder's work on a payload up to the network,
// from the Lambda event's bytes (Handler.Invoke): the event's JSON, base64, gunzip and payload JSON (cwlogs), the
// check of every line (flowlog.Parser) and the packing into records, with a
// Firehose that accepts everything in memory.
type forwarderPipeline struct{ h *Handler }

func newForwarderPipeline(tb testing.TB, fields []flowlog.Field) *forwarderPipeline {
	return &forwarderPipeline{h: NewHandler(benchConfig(tb, fields), acceptAll{}, &memoryDLQ{}, slog.New(slog.DiscardHandler))}
}

func (pl *forwarderPipeline) run(tb testing.TB, event []byte) {
	if _, err := pl.h.Invoke(context.Background(), event); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkForwarderVsGunzip is the benchmark to read for the forwarder's
// speed target (0.80 of gunzip alone or more). For each payload set it
// alternates gunzip alone and the whole pipeline on the same payloads in
// one loop, so that both see the same machine load, and reports:
//
//   - gunzip-MB/s and pipeline-MB/s, of decompressed payload, the medians
//     over every payload of every iteration (a time slice lost to another
//     process slows one sample, which a median ignores);
//   - ratio-of-gunzip, the median over the same samples of the pipeline's
//     speed over gunzip's on the same payload, timed back to back;
//   - allocs/record of a warm handler, and peak-heap-MB/payload, an upper
//     bound of the heap a cold handler needs for one payload (all it
//     allocates, with the collector off).
//
// Run it with
//
//	go test -run '^$' -bench ForwarderVsGunzip -benchtime 40x -count 5 ./lambda/forwarder/
func BenchmarkForwarderVsGunzip(b *testing.B) {
	for _, bc := range []struct {
		name      string
		fields    []flowlog.Field
		extracted bool
	}{
		{"default", flowlog.V2Fields(), false},
		{"all-fields", flowlog.Catalog, false},
		{"extractedFields", flowlog.V2Fields(), true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newBenchSet(b, bc.fields, bc.extracted)
			g := &gunzipper{}
			pl := newForwarderPipeline(b, bc.fields)
			for i := range s.events { // grow the reused buffers
				g.gunzip(b, s.gz[i], s.decompressed[i])
				pl.run(b, s.events[i])
			}
			runtime.GC() // as the indexer's settleHeap: no set-up collection in the samples
			// One sample per payload: short enough that most run within a
			// scheduler time slice on a loaded machine, so that medians
			// measure the code rather than the wait for a CPU.
			var gunzipMBps, pipelineMBps, ratios []float64
			b.ReportAllocs()
			for b.Loop() {
				for i := range s.events {
					t0 := time.Now()
					g.gunzip(b, s.gz[i], s.decompressed[i])
					t1 := time.Now()
					pl.run(b, s.events[i])
					t2 := time.Now()
					mb := float64(s.decompressed[i]) / 1e6
					gunzipMBps = append(gunzipMBps, mb/t1.Sub(t0).Seconds())
					pipelineMBps = append(pipelineMBps, mb/t2.Sub(t1).Seconds())
					ratios = append(ratios, t1.Sub(t0).Seconds()/t2.Sub(t1).Seconds())
				}
			}
			b.ReportMetric(medianOf(gunzipMBps), "gunzip-MB/s")
			b.ReportMetric(medianOf(pipelineMBps), "pipeline-MB/s")
			b.ReportMetric(medianOf(ratios), "ratio-of-gunzip")
			b.ReportMetric(testing.AllocsPerRun(5, func() { pl.run(b, s.events[0]) })/benchRecords, "allocs/record")
			// A cold handler allocates every buffer the payload needs: with
			// the collector off, that is an upper bound of its peak heap
			// beyond the event itself.
			cold := newForwarderPipeline(b, bc.fields)
			peak := allocatedBy(func() { cold.run(b, s.events[1]) })
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB/payload")
		})
	}
}

// medianOf returns the median of vs, which it sorts.
func medianOf(vs []float64) float64 {
	slices.Sort(vs)
	return vs[len(vs)/2]
}

// BenchmarkForwarderPipeline is the pipeline alone on the default-format
// payloads (see BenchmarkForwarderVsGunzip), for profiles; MB/s are of
// decompressed payload.
func BenchmarkForwarderPipeline(b *testing.B) {
	s := newBenchSet(b, flowlog.V2Fields(), false)
	pl := newForwarderPipeline(b, s.fields)
	b.SetBytes(int64(s.total))
	b.ReportAllocs()
	for b.Loop() {
		for _, ev := range s.events {
			pl.run(b, ev)
		}
	}
}
