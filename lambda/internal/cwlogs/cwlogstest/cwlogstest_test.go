package cwlogstest_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

func TestFlowLogPayload(t *testing.T) {
	p := cwlogstest.FlowLogPayload(2000, 42)
	if !reflect.DeepEqual(p, cwlogstest.FlowLogPayload(2000, 42)) {
		t.Fatal("same seed, different payloads")
	}
	if p.MessageType != cwlogs.MessageTypeData || p.Owner != cwlogstest.Owner || !strings.HasSuffix(p.LogStream, "-all") {
		t.Fatalf("header = %+v", p)
	}
	parser := flowlog.NewParser(flowlog.V2Fields())
	var rec flowlog.Record
	actions := map[string]int{}
	ids := map[string]bool{}
	for i, e := range p.Events {
		if err := parser.ParseInto(e.Message, &rec); err != nil {
			t.Fatalf("event %d: %v: %q", i, err, e.Message)
		}
		a, _ := rec.Get("action")
		actions[a+"/"+rec.Status()]++
		if len(e.ID) != 56 || strings.Trim(e.ID, "0123456789") != "" || ids[e.ID] {
			t.Fatalf("event %d: bad or repeated id %q", i, e.ID)
		}
		ids[e.ID] = true
		start, _ := rec.Int(parser.Index("start"))
		if e.Timestamp != start*1000 {
			t.Fatalf("event %d: timestamp %d, start %d", i, e.Timestamp, start)
		}
		if i > 0 && e.Timestamp < p.Events[i-1].Timestamp {
			t.Fatalf("event %d: timestamps out of order", i)
		}
	}
	if actions["ACCEPT/OK"] == 0 || actions["REJECT/OK"] == 0 || actions["/NODATA"] == 0 {
		t.Errorf("not varied enough: %v", actions)
	}
}

// TestFlowLogPayloadIsRealistic checks the properties of a generated
// payload that make it stand for a real one: records of one interface
// over a few minutes starting at BaseTime, ids that begin with the event's
// timestamp, capture windows of 30 to 60 seconds, at least one packet and
// at least 40 bytes a packet (IP and TCP headers), ICMP without ports,
// ephemeral ports from 1024, mostly TCP and accepted flows, some large
// flows, a few NODATA rows, and private, public and IPv6 peers, IPv4 the
// most. Kills the generator's survivors in cwlogstest.go: 48:26, 51:17,
// 56:48, 67:15, 67:20, 68:16, 74:9 and 76:9 (negated), 81:20, 86:11, 89:15,
// 90:16, 91:15, 93:19, 93:25, 95:15, 120:9 and 122:9 (negated).
func TestFlowLogPayloadIsRealistic(t *testing.T) {
	p := cwlogstest.FlowLogPayload(2000, 42)
	first, last := p.Events[0].Timestamp, p.Events[len(p.Events)-1].Timestamp
	if first < cwlogstest.BaseTime*1000 || first >= (cwlogstest.BaseTime+3600)*1000 {
		t.Errorf("first timestamp %d: not within the hour after BaseTime", first)
	}
	if last-first > 5*60*1000 {
		t.Errorf("2,000 records of one interface span %d s, want a few minutes at most", (last-first)/1000)
	}
	count := map[string]int{}
	var packetsUnder41 int
	for i, e := range p.Events {
		if want := fmt.Sprintf("%013d", e.Timestamp); !strings.HasPrefix(e.ID, want) {
			t.Fatalf("event %d: id %s does not begin with its timestamp %s", i, e.ID, want)
		}
		f := strings.Fields(e.Message)
		if f[13] == "NODATA" {
			count["nodata"]++
			continue
		}
		num := func(k int) int64 {
			n, err := strconv.ParseInt(f[k], 10, 64)
			if err != nil {
				t.Fatalf("event %d: field %d of %q: %v", i, k, e.Message, err)
			}
			return n
		}
		srcport, dstport, proto, packets, bytes, start, end := num(5), num(6), num(7), num(8), num(9), num(10), num(11)
		if d := end - start; d < 30 || d > 60 {
			t.Fatalf("event %d: capture window of %d s", i, d)
		}
		if packets < 1 || bytes < 40*packets || bytes > 1500*packets {
			t.Fatalf("event %d: %d packets, %d bytes", i, packets, bytes)
		}
		if packets <= 40 {
			packetsUnder41++
		}
		switch proto {
		case 1:
			count["icmp"]++
			if srcport != 0 || dstport != 0 {
				t.Fatalf("event %d: ICMP with ports %d %d", i, srcport, dstport)
			}
		case 6:
			count["tcp"]++
		case 17:
			count["udp"]++
		}
		if proto != 1 && max(srcport, dstport) < 1024 {
			t.Fatalf("event %d: no ephemeral port in %d %d", i, srcport, dstport)
		}
		count[f[12]]++
		local := func(a string) bool { return strings.HasPrefix(a, "10.") }
		peer := f[4]
		if !local(f[3]) {
			peer = f[3]
		}
		switch {
		case strings.Contains(peer, ":"):
			count["ipv6"]++
		case local(peer):
			count["private"]++
		default:
			count["public"]++
		}
	}
	n := len(p.Events) - count["nodata"]
	for _, c := range []struct {
		what   string
		ok     bool
		detail int
	}{
		{"a few NODATA rows (1-5%)", count["nodata"] > 0 && count["nodata"] < len(p.Events)/20, count["nodata"]},
		{"mostly TCP", count["tcp"] > n/2 && count["udp"] > 0 && count["icmp"] > 0, count["tcp"]},
		{"mostly accepted", count["ACCEPT"] > n/2 && count["REJECT"] > 0, count["ACCEPT"]},
		{"mostly small flows, some large", packetsUnder41 > n/2 && packetsUnder41 < n, packetsUnder41},
		{"private, public and IPv6 peers, IPv4 the most", count["private"] > 0 && count["public"] > 0 && count["ipv6"] > 0 && count["ipv6"] < n/4, count["ipv6"]},
	} {
		if !c.ok {
			t.Errorf("%s: %d (%v)", c.what, c.detail, count)
		}
	}
}

// TestEventsOfTheHelpers decodes what LambdaEvent and KinesisEvent build:
// the payloads come back, and the Kinesis records are numbered as a shard
// numbers them (56-digit sequence numbers that increase, event ids of the
// shard and sequence number). Kills cwlogstest.go:141:9, 215:10 (errors
// inverted: nothing built), 159:38 and 159:40 (sequence numbers that do
// not increase), 199:58 (arrival times that go back).
func TestEventsOfTheHelpers(t *testing.T) {
	a, b := cwlogstest.FlowLogPayload(3, 1), cwlogstest.FlowLogPayload(4, 2)
	ev, err := cwlogstest.LambdaEvent(a)
	if err != nil {
		t.Fatal(err)
	}
	var lambda struct{ Awslogs struct{ Data string } }
	if err := json.Unmarshal(ev, &lambda); err != nil {
		t.Fatal(err)
	}
	if got, err := cwlogs.DecodeString(lambda.Awslogs.Data); err != nil || !reflect.DeepEqual(got.Events, a.Events) {
		t.Fatalf("LambdaEvent: %v", err)
	}
	ev, err = cwlogstest.KinesisEvent(a, b, a)
	if err != nil {
		t.Fatal(err)
	}
	var kin struct{ Records []cwlogstest.KinesisRecord }
	if err := json.Unmarshal(ev, &kin); err != nil || len(kin.Records) != 3 {
		t.Fatalf("KinesisEvent: %d records, %v", len(kin.Records), err)
	}
	for i, r := range kin.Records {
		want := []*cwlogs.Payload{a, b, a}[i]
		if got, err := cwlogs.DecodeGzip(r.Kinesis.Data); err != nil || !reflect.DeepEqual(got.Events, want.Events) {
			t.Fatalf("record %d: %v", i, err)
		}
		seq := r.Kinesis.SequenceNumber
		if len(seq) != 56 || strings.Trim(seq, "0123456789") != "" || r.EventID != cwlogstest.ShardID+":"+seq || r.EventSourceARN != cwlogstest.StreamARN {
			t.Fatalf("record %d: sequence number %q, event id %q, source %q", i, seq, r.EventID, r.EventSourceARN)
		}
		if i > 0 {
			prev := kin.Records[i-1]
			if seq <= prev.Kinesis.SequenceNumber || r.Kinesis.ApproximateArrivalTimestamp < prev.Kinesis.ApproximateArrivalTimestamp {
				t.Fatalf("record %d: sequence number or arrival time does not increase", i)
			}
		}
	}
}
