package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// flowLogPayloadFields is a payload of n distinct lines of the format
// fields: the values of the version 2 fields come from
// cwlogstest.FlowLogPayload, the others are realistic values of their kind.
func flowLogPayloadFields(n int, seed uint64, fields []flowlog.Field) *cwlogs.Payload {
	p := flowLogPayload(n, seed)
	v2 := flowlog.V2Fields()
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range p.Events {
		vals := strings.Fields(p.Events[i].Message)
		byName := make(map[string]string, len(vals))
		for j, f := range v2 {
			byName[f.Name] = vals[j]
		}
		out := make([]string, len(fields))
		for j, f := range fields {
			if v, ok := byName[f.Name]; ok {
				out[j] = v
				continue
			}
			switch f.Kind {
			case flowlog.KindInt32:
				out[j] = strconv.Itoa(r.IntN(64))
			case flowlog.KindInt64:
				out[j] = strconv.FormatUint(r.Uint64N(1e9), 10)
			case flowlog.KindTime:
				out[j] = strconv.FormatInt(p.Events[i].Timestamp/1000, 10)
			case flowlog.KindIP:
				out[j] = fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), 1+r.IntN(254))
			default:
				out[j] = fmt.Sprintf("%s-0%016x", strings.SplitN(f.Name, "-", 2)[0], r.Uint64())
			}
		}
		p.Events[i].Message = strings.Join(out, " ")
	}
	return p
}

// withExtractedFields is the payload JSON of p with every event carrying
// "extractedFields", as CloudWatch Logs adds when the subscription filter
// pattern names the space-delimited fields: one entry per field of the
// format, the values as strings.
func withExtractedFields(p *cwlogs.Payload, fields []flowlog.Field) []byte {
	q := *p
	q.Events = nil
	js := cwlogs.AppendJSON(nil, &q)
	head, ok := strings.CutSuffix(string(js), "[]}")
	if !ok {
		panic("unexpected payload JSON " + string(js[len(js)-10:]))
	}
	var sb strings.Builder
	sb.WriteString(head)
	sb.WriteByte('[')
	for i, e := range p.Events {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":%q,"timestamp":%d,"message":%q,"extractedFields":{`, e.ID, e.Timestamp, e.Message)
		for j, v := range strings.Fields(e.Message) {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `%q:%q`, fields[j].Name, v)
		}
		sb.WriteString("}}")
	}
	sb.WriteString("]}")
	return []byte(sb.String())
}
