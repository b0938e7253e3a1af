package cwlogstest_test

import (
	"reflect"
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
