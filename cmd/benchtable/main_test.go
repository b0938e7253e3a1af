package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
pkg: github.com/vpcflowlogs/vpc-flow-logs/lambda/forwarder
BenchmarkForwarderVsGunzip/default-2         	      10	 506816168 ns/op	         0.007500 allocs/record	       131.5 gunzip-MB/s	         1.047 peak-heap-MB/payload	        50.59 pipeline-MB/s	         0.3848 ratio-of-gunzip	  177708 B/op	     605 allocs/op
BenchmarkForwarderVsGunzip/default-2         	      10	 506816168 ns/op	         0.007500 allocs/record	       131.5 gunzip-MB/s	         1.047 peak-heap-MB/payload	        50.59 pipeline-MB/s	         0.9000 ratio-of-gunzip	  177708 B/op	     605 allocs/op
BenchmarkForwarderVsGunzip/default-2         	      10	 506816168 ns/op	         0.007500 allocs/record	       131.5 gunzip-MB/s	         1.047 peak-heap-MB/payload	        50.59 pipeline-MB/s	         0.8500 ratio-of-gunzip	  177708 B/op	     605 allocs/op
PASS
pkg: github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer
BenchmarkPipelineVsGunzip-2   	     100	  9000000 ns/op	       200.0 gunzip-MB/s	       120.0 pipeline-MB/s	         0.6000 ratio-of-gunzip	         0 allocs/record	  100 B/op	     1 allocs/op
`

func TestParseAndRender(t *testing.T) {
	results, failed, err := parse(strings.NewReader(sample))
	if err != nil || failed || len(results) != 2 {
		t.Fatalf("%d results, failed %v, err %v", len(results), failed, err)
	}
	if r := results[0]; r.name != "BenchmarkForwarderVsGunzip/default" || len(r.runs["ratio-of-gunzip"]) != 3 {
		t.Fatalf("first result %+v", r)
	}
	var out strings.Builder
	ok := render(&out, results, targets{"forwarder": 0.80, "indexer": 0.70})
	if ok {
		t.Error("the indexer's 0.60 misses 0.70: render must say so")
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("table:\n%s", out.String())
	}
	// The forwarder's median ratio is 0.85 (of 0.38, 0.90, 0.85): met.
	if f := strings.Fields(lines[1]); f[0] != "forwarder.ForwarderVsGunzip/default" || f[1] != "3" || f[4] != "0.850" || f[len(f)-1] != "yes" {
		t.Errorf("forwarder row %q", lines[1])
	}
	if f := strings.Fields(lines[2]); f[len(f)-1] != "NO" || f[6] != "-" {
		t.Errorf("indexer row %q", lines[2])
	}
}

func TestParseFailure(t *testing.T) {
	_, failed, _ := parse(strings.NewReader("--- FAIL: BenchmarkX\nFAIL\tpkg\n"))
	if !failed {
		t.Error("a FAIL line must be reported")
	}
}
