package main

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

func BenchmarkScratchSplit(b *testing.B) {
	d := benchPayload()
	var jp fastjson.Parser
	raw := make([]byte, len(d.gz)+100)
	var dec cwlogs.Decoder
	var dec2 cwlogs.Decoder
	js, _ := dec2.Gunzip(d.gz)
	pr := flowlog.NewParser(flowlog.V2Fields())
	enc, _ := document.NewEncoder(flowlog.V2Fields(), "cwl")
	var rec flowlog.Record
	buf := make([]byte, 0, 2<<20)
	var t [6]time.Duration
	p0, _ := dec.DecodeJSON(js)
	_ = p0
	for b.Loop() {
		t0 := time.Now()
		v, _ := jp.ParseBytes(d.event)
		b64 := v.GetStringBytes("awslogs", "data")
		t1 := time.Now()
		base64.StdEncoding.Decode(raw, b64)
		t2 := time.Now()
		dec.Gunzip(d.gz)
		t3 := time.Now()
		p, _ := dec2.DecodeJSON(js)
		t4 := time.Now()
		for i := range p.Events {
			pr.ParseInto(p.Events[i].Message, &rec)
		}
		t5 := time.Now()
		buf = buf[:0]
		for i := range p.Events {
			pr.ParseInto(p.Events[i].Message, &rec)
			ev := &p.Events[i]
			buf, _, _ = enc.Append(buf, &rec, document.Meta{ID: ev.ID, Timestamp: ev.Timestamp, LogGroup: p.LogGroup, LogStream: p.LogStream})
		}
		t6 := time.Now()
		t[0] += t1.Sub(t0)
		t[1] += t2.Sub(t1)
		t[2] += t3.Sub(t2)
		t[3] += t4.Sub(t3)
		t[4] += t5.Sub(t4)
		t[5] += t6.Sub(t5) - t5.Sub(t4)
	}
	n := float64(b.N)
	for i, name := range []string{"event", "b64", "gunzip", "scan", "parse", "encode"} {
		b.ReportMetric(float64(t[i].Microseconds())/n, name+"-us")
	}
	b.ReportMetric(float64(len(d.gz)), "gzbytes")
	b.ReportMetric(float64(d.decompressed), "bytes")
}
