package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/valyala/fastjson"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// benchRecords is the number of default-format records of the benchmark
// payload.
const benchRecords = 2000

type benchData struct {
	event        []byte // the Lambda event {"awslogs":{"data":"..."}}
	gz           []byte // the gzip stream inside it
	decompressed int    // the payload JSON's size
}

var benchPayload = sync.OnceValue(func() benchData {
	p := cwlogstest.FlowLogPayload(benchRecords, 1)
	ev, err := cwlogstest.LambdaEvent(p)
	if err != nil {
		panic(err)
	}
	var v fastjson.Parser
	js, err := v.ParseBytes(ev)
	if err != nil {
		panic(err)
	}
	gz, err := base64.StdEncoding.DecodeString(string(js.GetStringBytes("awslogs", "data")))
	if err != nil {
		panic(err)
	}
	return benchData{event: ev, gz: gz, decompressed: len(cwlogs.AppendJSON(nil, p))}
})

// BenchmarkGunzipOnly is the decode limit alone: gzip decompression of the
// benchmark payload, with a reused reader and output buffer. Its MB/s are of
// decompressed payload, like BenchmarkPipeline's. For the ratio, read
// BenchmarkPipelineVsGunzip, which measures both under the same load.
func BenchmarkGunzipOnly(b *testing.B) {
	d := benchPayload()
	g := &gunzipper{out: make([]byte, d.decompressed+512)}
	b.SetBytes(int64(d.decompressed))
	b.ReportAllocs()
	for b.Loop() {
		g.gunzip(b, d.gz, d.decompressed)
	}
}

// pipeline is the indexer's work on a payload up to the network: the Lambda
// event's JSON, base64, gunzip and payload JSON (cwlogs), the parse of every
// record (flowlog.Parser) and the _bulk body (document Encoder).
type pipeline struct {
	h *Handler
}

func newPipeline(tb testing.TB) *pipeline { return newPipelineOf(tb, flowlog.V2Fields()) }

func newPipelineOf(tb testing.TB, fields []flowlog.Field) *pipeline {
	enc, err := document.NewEncoder(fields, "cwl")
	if err != nil {
		tb.Fatal(err)
	}
	return &pipeline{h: &Handler{Parser: flowlog.NewParser(fields), Encoder: enc}}
}

func (pl *pipeline) run(tb testing.TB, event []byte) {
	p, err := pl.h.decode(event)
	if err != nil {
		tb.Fatal(err)
	}
	pl.h.prepare(p)
	if len(pl.h.batch.Docs) != len(p.Events) || len(p.Events) == 0 {
		tb.Fatalf("%d documents, %d dead letters", len(pl.h.batch.Docs), len(pl.h.letters))
	}
}

// gunzipper is the decode limit: klauspost gzip (the decompressor cwlogs
// uses) into a reused buffer, with a reused reader.
type gunzipper struct {
	br  bytes.Reader
	zr  gzip.Reader
	out []byte
}

func (g *gunzipper) gunzip(tb testing.TB, gz []byte, want int) {
	g.br.Reset(gz)
	if err := g.zr.Reset(&g.br); err != nil {
		tb.Fatal(err)
	}
	n := 0
	for {
		m, err := g.zr.Read(g.out[n:])
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

// benchCase is a payload shape of BenchmarkPipelineVsGunzip.
type benchCase struct {
	name   string
	fields []flowlog.Field
	data   func() benchData
}

var benchCases = []benchCase{
	{"default", flowlog.V2Fields(), benchPayload},
	{"all-fields", flowlog.Catalog, allFieldsPayload},
	{"extracted-fields", flowlog.V2Fields(), extractedFieldsPayload},
}

// benchDataOf wraps a payload document as CloudWatch Logs delivers it.
func benchDataOf(js []byte) benchData {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(js); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	gz := buf.Bytes()
	ev, err := json.Marshal(map[string]map[string]string{"awslogs": {"data": base64.StdEncoding.EncodeToString(gz)}})
	if err != nil {
		panic(err)
	}
	return benchData{event: ev, gz: gz, decompressed: len(js)}
}

// allFieldsPayload is benchRecords records of a format with every catalog
// field (version 8 and the ECS fields included), values typical of each.
var allFieldsPayload = sync.OnceValue(func() benchData {
	return benchDataOf(cwlogs.AppendJSON(nil, allFieldsRecords(benchRecords, 2)))
})

func allFieldsRecords(n int, seed uint64) *cwlogs.Payload {
	p := cwlogstest.FlowLogPayload(n, seed)
	var b strings.Builder
	for i := range p.Events {
		v2 := strings.Split(p.Events[i].Message, " ")
		b.Reset()
		for j, f := range flowlog.Catalog {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(allFieldsValue(f, v2, i))
		}
		p.Events[i].Message = b.String()
	}
	return p
}

// allFieldsValue is a plausible value of f for the record whose default
// format values are v2.
func allFieldsValue(f flowlog.Field, v2 []string, i int) string {
	for k, d := range flowlog.V2Fields() {
		if d.Name == f.Name {
			return v2[k]
		}
	}
	switch f.Kind {
	case flowlog.KindIP:
		return v2[3]
	case flowlog.KindInt32, flowlog.KindInt64:
		return strconv.Itoa(i % 64)
	case flowlog.KindTime:
		return v2[10]
	}
	switch f.Name {
	case "version":
		return "8"
	case "vpc-id":
		return "vpc-0a1b2c3d4e5f60718"
	case "subnet-id":
		return "subnet-0a1b2c3d4e5f60718"
	case "instance-id":
		return "i-0a1b2c3d4e5f60718"
	case "region":
		return "eu-west-1"
	case "az-id":
		return "euw1-az2"
	case "flow-direction":
		return "ingress"
	case "type":
		return "IPv4"
	}
	return "-"
}

// extractedFieldsPayload is the default payload as a subscription whose
// filter pattern names the fields delivers it: every log event also
// carries "extractedFields", the values by name.
var extractedFieldsPayload = sync.OnceValue(func() benchData {
	p := cwlogstest.FlowLogPayload(benchRecords, 1)
	names := make([]string, 0, 14)
	for _, f := range flowlog.V2Fields() {
		names = append(names, f.Column())
	}
	js := []byte(`{"messageType":"DATA_MESSAGE","owner":"` + p.Owner + `","logGroup":"` + p.LogGroup + `","logStream":"` + p.LogStream + `","subscriptionFilters":["` + p.SubscriptionFilters[0] + `"],"logEvents":[`)
	for i, e := range p.Events {
		if i > 0 {
			js = append(js, ',')
		}
		js = fmt.Appendf(js, `{"id":"%s","timestamp":%d,"message":"%s","extractedFields":{`, e.ID, e.Timestamp, e.Message)
		for k, v := range strings.Split(e.Message, " ") {
			if k > 0 {
				js = append(js, ',')
			}
			js = fmt.Appendf(js, `"%s":"%s"`, names[k], v)
		}
		js = append(js, "}}"...)
	}
	return benchDataOf(append(js, "]}"...))
})

// BenchmarkPipelineVsGunzip is the benchmark to read for the target
// (the indexer at no less than 0.70 of gunzip alone), for the default
// format, a format with every field and payloads whose events carry
// extractedFields. It alternates gunzip alone (the limit: klauspost gzip,
// the decompressor cwlogs uses, into a reused buffer) and the whole
// pipeline on the same payload in one loop, so that both see the same
// machine load, and reports:
//
//   - gunzip-MB/s and pipeline-MB/s, of decompressed payload, from the
//     median time of each over the run: a time slice lost to another
//     process slows one iteration of one of the two, which a median
//     ignores and a mean would not;
//   - ratio-of-gunzip, pipeline-MB/s over gunzip-MB/s;
//   - allocs/record and body-bytes/record of the warm pipeline;
//   - peak-heap-MB/payload: all the memory a cold pipeline allocates for
//     one payload (the event included), with the collector off, an upper
//     bound of its peak heap.
//
// Run it with
//
//	go test -run '^$' -bench PipelineVsGunzip -benchtime 2s -count 5 ./lambda/indexer/
func BenchmarkPipelineVsGunzip(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			d := bc.data()
			g := &gunzipper{out: make([]byte, d.decompressed+512)}
			peak := peakHeap(b, bc.fields, d.event)
			pl := newPipelineOf(b, bc.fields)
			pl.run(b, d.event) // grow the reused buffers
			settleHeap()
			tGunzip := make([]time.Duration, 0, 4096)
			tPipeline := make([]time.Duration, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				t0 := time.Now()
				g.gunzip(b, d.gz, d.decompressed)
				t1 := time.Now()
				pl.run(b, d.event)
				t2 := time.Now()
				tGunzip = append(tGunzip, t1.Sub(t0))
				tPipeline = append(tPipeline, t2.Sub(t1))
			}
			mbps := func(t time.Duration) float64 { return float64(d.decompressed) / t.Seconds() / 1e6 }
			gunzip, pipeline := mbps(median(tGunzip)), mbps(median(tPipeline))
			b.ReportMetric(gunzip, "gunzip-MB/s")
			b.ReportMetric(pipeline, "pipeline-MB/s")
			b.ReportMetric(pipeline/gunzip, "ratio-of-gunzip")
			b.ReportMetric(testing.AllocsPerRun(10, func() { pl.run(b, d.event) })/benchRecords, "allocs/record")
			b.ReportMetric(float64(len(pl.h.batch.Body))/benchRecords, "body-bytes/record")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB/payload")
		})
	}
}

// settleHeap runs a collection before a benchmark loop, so that the
// collection that the set-up's garbage (payloads, peakHeap's uncollected
// pipeline) would start does not run during the first samples: while it
// marks, the write barrier is on for the pipeline's pointer stores and its
// worker takes the other CPU. The loops allocate nothing per payload, so
// none starts within them. Seen before: a collection over the first 6 of 20
// samples put those at 2.0-2.9 ms against 1.5-1.6 ms, which moved the
// median.
func settleHeap() { runtime.GC() }

// peakHeap returns the bytes a cold pipeline allocates to prepare the
// documents of event, with the collector off: nothing is freed meanwhile,
// so this bounds the pipeline's peak heap from above (the event itself is
// counted too, as the Lambda runtime holds it).
func peakHeap(tb testing.TB, fields []flowlog.Field, event []byte) uint64 {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ev := bytes.Clone(event)
	pl := newPipelineOf(tb, fields)
	p, err := pl.h.decode(ev)
	if err != nil {
		tb.Fatal(err)
	}
	pl.h.prepare(p)
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ev)
	return after.TotalAlloc - before.TotalAlloc
}

// median returns the median of ts, which it sorts.
func median(ts []time.Duration) time.Duration {
	slices.Sort(ts)
	return ts[len(ts)/2]
}

// BenchmarkPipeline is the pipeline alone (see BenchmarkPipelineVsGunzip);
// MB/s are of decompressed payload.
func BenchmarkPipeline(b *testing.B) {
	d := benchPayload()
	pl := newPipeline(b)
	pl.run(b, d.event)
	b.SetBytes(int64(d.decompressed))
	b.ReportAllocs()
	for b.Loop() {
		pl.run(b, d.event)
	}
	b.ReportMetric(testing.AllocsPerRun(10, func() { pl.run(b, d.event) })/benchRecords, "allocs/record")
}

// BenchmarkStageDecode and BenchmarkStageParseEncode split
// BenchmarkPipeline into its stages, on the same payload and MB/s basis:
// the decode of the event, and the records to the _bulk body on the hot
// path prepare takes (Encoder.AppendPaddedLine: parse and encode in one
// pass, reading each line where the decoder left it). BenchmarkStageParse
// and BenchmarkStageEncode are the general path, which prepare takes for
// records the hot path refuses: ParseInto, then Append.
func BenchmarkStageDecode(b *testing.B) {
	d := benchPayload()
	h := &Handler{}
	b.SetBytes(int64(d.decompressed))
	for b.Loop() {
		if _, err := h.decode(d.event); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkStageParseEncode(b *testing.B) {
	d := benchPayload()
	var dec cwlogs.Decoder
	p, err := dec.DecodeGzip(d.gz)
	if err != nil {
		b.Fatal(err)
	}
	pr := flowlog.NewParser(flowlog.V2Fields())
	enc, err := document.NewEncoder(flowlog.V2Fields(), "cwl")
	if err != nil {
		b.Fatal(err)
	}
	if !p.Padded {
		b.Fatal("the decoder's payload is not padded")
	}
	src := document.NewSource(p.LogGroup, p.LogStream)
	buf := make([]byte, 0, 2<<20)
	b.SetBytes(int64(d.decompressed))
	for b.Loop() {
		buf = buf[:0]
		for i := range p.Events {
			ev := &p.Events[i]
			var ok bool
			buf, _, ok = enc.AppendPaddedLine(buf, pr, ev.Message, document.Meta{ID: ev.ID, Timestamp: ev.Timestamp, Source: src})
			if !ok {
				b.Fatalf("AppendPaddedLine refused %q", ev.Message)
			}
		}
	}
}

// The benchmark payloads are realistic: every record takes the hot path
// (the decoder pads them), and the body is the one the general path makes.
func TestBenchPayloadTakesTheHotPath(t *testing.T) {
	for _, bc := range benchCases {
		t.Run(bc.name, func(t *testing.T) {
			d := bc.data()
			var dec cwlogs.Decoder
			p, err := dec.DecodeGzip(d.gz)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Events) != benchRecords || len(p.Malformed) != 0 || !p.Padded {
				t.Fatalf("%d events, %d malformed, padded %v", len(p.Events), len(p.Malformed), p.Padded)
			}
			pr := flowlog.NewParser(bc.fields)
			enc, err := document.NewEncoder(bc.fields, "cwl")
			if err != nil {
				t.Fatal(err)
			}
			src := document.NewSource(p.LogGroup, p.LogStream)
			var rec flowlog.Record
			for i := range p.Events {
				ev := &p.Events[i]
				m := document.Meta{ID: ev.ID, Timestamp: ev.Timestamp, Source: src}
				fast, _, ok := enc.AppendPaddedLine(nil, pr, ev.Message, m)
				if !ok {
					t.Fatalf("AppendPaddedLine refused %q", ev.Message)
				}
				if err := pr.ParseInto(ev.Message, &rec); err != nil {
					t.Fatal(err)
				}
				general, _, err := enc.Append(nil, &rec, m)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(fast, general) {
					t.Fatalf("%q: AppendPaddedLine\n%s\nAppend\n%s", ev.Message, fast, general)
				}
			}
		})
	}
}

func BenchmarkStageParse(b *testing.B) {
	d := benchPayload()
	var dec cwlogs.Decoder
	p, err := dec.DecodeGzip(d.gz)
	if err != nil {
		b.Fatal(err)
	}
	pr := flowlog.NewParser(flowlog.V2Fields())
	var rec flowlog.Record
	b.SetBytes(int64(d.decompressed))
	for b.Loop() {
		for i := range p.Events {
			if err := pr.ParseInto(p.Events[i].Message, &rec); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkStageEncode(b *testing.B) {
	d := benchPayload()
	var dec cwlogs.Decoder
	p, err := dec.DecodeGzip(d.gz)
	if err != nil {
		b.Fatal(err)
	}
	pr := flowlog.NewParser(flowlog.V2Fields())
	recs := make([]flowlog.Record, len(p.Events))
	for i := range p.Events {
		if err := pr.ParseInto(p.Events[i].Message, &recs[i]); err != nil {
			b.Fatal(err)
		}
	}
	enc, err := document.NewEncoder(flowlog.V2Fields(), "cwl")
	if err != nil {
		b.Fatal(err)
	}
	src := document.NewSource(p.LogGroup, p.LogStream)
	buf := make([]byte, 0, 2<<20)
	b.SetBytes(int64(d.decompressed))
	for b.Loop() {
		buf = buf[:0]
		for i := range p.Events {
			ev := &p.Events[i]
			buf, _, err = enc.Append(buf, &recs[i], document.Meta{ID: ev.ID, Timestamp: ev.Timestamp, Source: src})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
