package cwlogs_test

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/klauspost/compress/gzip"
	"github.com/valyala/fastjson"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// The benchmarks decode one realistic payload: benchRecords default-format
// flow log records from one interface, gzip-compressed as CloudWatch Logs
// sends them. Every benchmark reports MB/s of decompressed payload (SetBytes)
// so that they compare directly with BenchmarkGunzipOnly, the limit.
//
//	go test -run '^$' -bench . -benchtime 2s ./lambda/internal/cwlogs/
//
// BenchmarkDecodeVsGunzip is the one to read for the ratio: it alternates the
// two in one loop, so both see the same machine load.

// benchRecords is the number of flow log records per benchmark payload.
const benchRecords = 2000

var benchPayload = sync.OnceValues(func() (gz []byte, decompressedLen int) {
	p := cwlogstest.FlowLogPayload(benchRecords, 1)
	gz, err := cwlogs.EncodeGzip(p)
	if err != nil {
		panic(err)
	}
	return gz, len(cwlogs.AppendJSON(nil, p))
})

// gunzipper is the decode limit: klauspost gzip into a reused buffer.
type gunzipper struct {
	br  bytes.Reader
	zr  gzip.Reader
	out []byte
}

func (g *gunzipper) gunzip(tb testing.TB, gz []byte) []byte {
	g.br.Reset(gz)
	if err := g.zr.Reset(&g.br); err != nil {
		tb.Fatal(err)
	}
	n := 0
	for {
		if n == len(g.out) {
			g.out = append(g.out, make([]byte, len(g.out)+512)...)
		}
		m, err := g.zr.Read(g.out[n:])
		n += m
		if err == io.EOF {
			return g.out[:n]
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
}

func reportAllocsPerRecord(b *testing.B, f func()) {
	b.ReportMetric(testing.AllocsPerRun(10, f)/benchRecords, "allocs/record")
}

// BenchmarkGunzipOnly measures the decode limit: gzip decompression alone of
// the benchmark payload, with a reused reader and output buffer.
func BenchmarkGunzipOnly(b *testing.B) {
	gz, n := benchPayload()
	g := &gunzipper{out: make([]byte, n+512)}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if got := len(g.gunzip(b, gz)); got != n {
			b.Fatalf("decompressed %d bytes, want %d", got, n)
		}
	}
	reportAllocsPerRecord(b, func() { g.gunzip(b, gz) })
}

// BenchmarkDecode measures the hot path: a reused Decoder from gzip bytes to
// a Payload (gunzip, JSON scan, in-place strings).
func BenchmarkDecode(b *testing.B) {
	gz, n := benchPayload()
	d := cwlogs.NewDecoder()
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		p, err := d.DecodeGzip(gz)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Events) != benchRecords {
			b.Fatalf("%d events", len(p.Events))
		}
	}
	reportAllocsPerRecord(b, func() { d.DecodeGzip(gz) })
}

// BenchmarkDecodeBase64 is BenchmarkDecode from the base64 text of a Lambda
// event, as the handlers call it.
func BenchmarkDecodeBase64(b *testing.B) {
	gz, n := benchPayload()
	data := []byte(encodeBase64(gz))
	d := cwlogs.NewDecoder()
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
	reportAllocsPerRecord(b, func() { d.Decode(data) })
}

// BenchmarkDecodeIndependent measures the package-level DecodeGzip, whose
// Payload owns its strings (one copy into a fresh allocation per payload).
func BenchmarkDecodeIndependent(b *testing.B) {
	gz, n := benchPayload()
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cwlogs.DecodeGzip(gz); err != nil {
			b.Fatal(err)
		}
	}
	reportAllocsPerRecord(b, func() { cwlogs.DecodeGzip(gz) })
}

// BenchmarkDecodeJSONOnly measures the JSON stage alone (no gunzip).
func BenchmarkDecodeJSONOnly(b *testing.B) {
	gz, n := benchPayload()
	js := (&gunzipper{}).gunzip(b, gz)
	d := cwlogs.NewDecoder()
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.DecodeJSON(js); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeVsGunzip alternates gunzip alone, the full decode and the
// fastjson equivalent on the same payload in one loop, so that all see the
// same machine load, and reports the throughputs and the ratios (decode as a
// percentage of the limit; the target is at least 70).
func BenchmarkDecodeVsGunzip(b *testing.B) {
	gz, n := benchPayload()
	g := &gunzipper{out: make([]byte, n+512)}
	d := cwlogs.NewDecoder()
	f := &fastjsonDecoder{}
	var tGunzip, tDecode, tFastjson time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		g.gunzip(b, gz)
		t1 := time.Now()
		if _, err := d.DecodeGzip(gz); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		f.decodeGzip(b, gz)
		tGunzip += t1.Sub(t0)
		tDecode += t2.Sub(t1)
		tFastjson += time.Since(t2)
	}
	mbps := func(t time.Duration) float64 { return float64(n) * float64(b.N) / t.Seconds() / 1e6 }
	b.ReportMetric(mbps(tGunzip), "gunzip-MB/s")
	b.ReportMetric(mbps(tDecode), "decode-MB/s")
	b.ReportMetric(100*tGunzip.Seconds()/tDecode.Seconds(), "%-of-limit")
	b.ReportMetric(100*tGunzip.Seconds()/tFastjson.Seconds(), "fastjson-%-of-limit")
}

// BenchmarkDecodeStdlibJSON is the obvious path, for comparison: encoding/json
// into structs, as aws-lambda-go's CloudwatchLogsRawData.Parse does.
func BenchmarkDecodeStdlibJSON(b *testing.B) {
	gz, n := benchPayload()
	g := &gunzipper{}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		var v struct {
			MessageType string `json:"messageType"`
			LogEvents   []struct {
				ID        string `json:"id"`
				Timestamp int64  `json:"timestamp"`
				Message   string `json:"message"`
			} `json:"logEvents"`
		}
		if err := json.Unmarshal(g.gunzip(b, gz), &v); err != nil {
			b.Fatal(err)
		}
	}
}

// fastjsonDecoder is the same hot path built on valyala/fastjson, the
// library the package would use if it were fast enough: a reused parser, and
// a reused Payload whose strings alias the parser's buffer (as the Decoder's
// alias its own), so it costs no allocations either.
type fastjsonDecoder struct {
	g  gunzipper
	jp fastjson.Parser
	p  cwlogs.Payload
}

func (f *fastjsonDecoder) decodeGzip(tb testing.TB, gz []byte) *cwlogs.Payload {
	v, err := f.jp.ParseBytes(f.g.gunzip(tb, gz))
	if err != nil {
		tb.Fatal(err)
	}
	str := func(v *fastjson.Value, key string) string {
		b := v.GetStringBytes(key)
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	f.p.MessageType, f.p.Owner = str(v, "messageType"), str(v, "owner")
	f.p.LogGroup, f.p.LogStream = str(v, "logGroup"), str(v, "logStream")
	f.p.Events = f.p.Events[:0]
	for _, e := range v.GetArray("logEvents") {
		f.p.Events = append(f.p.Events, cwlogs.Event{ID: str(e, "id"), Timestamp: e.GetInt64("timestamp"), Message: str(e, "message")})
	}
	return &f.p
}

// BenchmarkDecodeFastjson measures fastjsonDecoder, for comparison: its
// value tree costs about as much as the whole cwlogs JSON stage several
// times over, which is why the package has its own scanner.
func BenchmarkDecodeFastjson(b *testing.B) {
	gz, n := benchPayload()
	f := &fastjsonDecoder{}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		if p := f.decodeGzip(b, gz); len(p.Events) != benchRecords {
			b.Fatalf("%d events", len(p.Events))
		}
	}
}

// BenchmarkDecodeJSONExtracted is BenchmarkDecodeJSONOnly on the same
// records with "extractedFields" in every event, as a subscription filter
// with a space-delimited pattern makes CloudWatch Logs send them: the
// fields' object is skipped on the fast path.
func BenchmarkDecodeJSONExtracted(b *testing.B) {
	p := cwlogstest.FlowLogPayload(benchRecords, 1)
	names := []string{"version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "action", "log_status"}
	var buf bytes.Buffer
	buf.WriteString(`{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[`)
	for i, e := range p.Events {
		if i > 0 {
			buf.WriteByte(',')
		}
		msg, _ := json.Marshal(e.Message)
		buf.WriteString(`{"id":"` + e.ID + `","timestamp":` + strconv.FormatInt(e.Timestamp, 10) + `,"message":` + string(msg) + `,"extractedFields":{`)
		for j, v := range strings.Fields(e.Message) {
			if j > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`"` + names[j] + `":"` + v + `"`)
		}
		buf.WriteString("}}")
	}
	buf.WriteString("]}")
	js := buf.Bytes()
	d := cwlogs.NewDecoder()
	if q, err := d.DecodeJSON(js); err != nil || len(q.Events) != benchRecords {
		b.Fatalf("%v", err)
	}
	b.SetBytes(int64(len(js)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.DecodeJSON(js); err != nil {
			b.Fatal(err)
		}
	}
}
