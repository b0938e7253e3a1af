package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs/cwlogstest"
)

// flakyDLQ keeps dead letters in memory, or refuses every write while down.
type flakyDLQ struct {
	down   bool
	bodies []string
}

func (d *flakyDLQ) Write(_ context.Context, bodies []string) error {
	if d.down {
		return errors.New("SQS is down")
	}
	d.bodies = append(d.bodies, bodies...)
	return nil
}

// FuzzEventSequence drives one warm handler with a sequence of events of
// mixed shapes, as Lambda delivers them, while the dead-letter queue goes
// down and up: CloudWatch Logs events (retried whole on failure, as
// asynchronous invocations are), Kinesis batches (retried from the
// reported sequence number, as the event source mapping does) of data,
// control and undecodable records, and events of neither shape. Firehose
// accepts everything, so at the end every flow log line of the inputs was
// delivered exactly once, every other line dead-lettered exactly once, and
// nothing else was sent: the handler never re-sends what it delivered.
//
//	go test -run '^$' -fuzz FuzzEventSequence -fuzztime 30s ./lambda/forwarder/
func FuzzEventSequence(f *testing.F) {
	f.Add([]byte{1, 3, 0x08, 0x02, 0x1b, 3, 1, 2, 0x0c, 0x03, 3, 0, 0x0f, 2})
	f.Add([]byte{3, 0, 0x09, 1, 4, 0x00, 0x08, 0x0b, 0x02, 3, 2, 3, 1, 1, 0x0c})
	f.Add([]byte{2, 3, 2, 1, 2, 0x07, 0x03, 3, 0, 0x0a})
	fields := flowlog.V2Fields()
	f.Fuzz(func(t *testing.T, script []byte) {
		api := &recordingAPI{}
		dlq := &flakyDLQ{}
		h := NewHandler(Config{StreamName: testStream, Fields: fields, Send: DefaultSendConfig()}, api, dlq, slog.New(slog.DiscardHandler))
		ctx := context.Background()
		next := func() byte {
			if len(script) == 0 {
				return 0
			}
			b := script[0]
			script = script[1:]
			return b
		}
		want, wantBad := map[string]int{}, map[string]int{}
		seed := uint64(0)
		// payload is a data payload of fresh lines, with a line that is
		// not a flow log record when b&8.
		payload := func(b byte) *cwlogs.Payload {
			seed++
			p := flowLogPayload(int(b%5)+1, seed)
			for _, e := range p.Events {
				want[e.Message+"\n"]++
			}
			if b&8 != 0 {
				junk := fmt.Sprintf("not a flow log line %d", seed)
				p.Events = append(p.Events, cwlogs.Event{ID: "9", Timestamp: 1, Message: junk})
				wantBad[junk+"\n"]++
			}
			return p
		}
		// invoke runs one event until Lambda would stop retrying it; SQS
		// comes back after two failed tries.
		invoke := func(event []byte) []byte {
			for try := 0; ; try++ {
				out, err := h.Invoke(ctx, event)
				if err == nil {
					return out
				}
				if try >= 1 {
					dlq.down = false
				}
			}
		}
		for steps := 0; len(script) > 0 && steps < 24; steps++ {
			switch op := next(); op % 4 {
			case 0:
				ev, err := cwlogstest.LambdaEvent(payload(next()))
				if err != nil {
					t.Fatal(err)
				}
				if out := invoke(ev); out != nil {
					t.Fatalf("response %s to a CloudWatch Logs event", out)
				}
			case 1:
				n := int(next() % 5)
				recs := make([]cwlogstest.KinesisRecord, n)
				for i := range recs {
					var data []byte
					switch b := next(); b % 4 {
					case 0, 1:
						data, _ = cwlogstest.KinesisData(payload(b))
					case 2:
						data, _ = cwlogstest.KinesisData(&cwlogs.Payload{MessageType: cwlogs.MessageTypeControl, Owner: "CloudwatchLogs",
							Events: []cwlogs.Event{{Timestamp: 1, Message: "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}}})
					default:
						data = []byte{0x1f, 0x8b, b}
					}
					recs[i] = cwlogstest.NewKinesisRecord(steps*10+i, data)
				}
				for tries := 0; len(recs) > 0; tries++ {
					ev, err := cwlogstest.KinesisEventOf(recs)
					if err != nil {
						t.Fatal(err)
					}
					var resp events.KinesisEventResponse
					if err := json.Unmarshal(invoke(ev), &resp); err != nil {
						t.Fatal(err)
					}
					if len(resp.BatchItemFailures) == 0 {
						break
					}
					if len(resp.BatchItemFailures) != 1 {
						t.Fatalf("%d failures reported, want the first only", len(resp.BatchItemFailures))
					}
					seq := resp.BatchItemFailures[0].ItemIdentifier
					for len(recs) > 0 && recs[0].Kinesis.SequenceNumber != seq {
						recs = recs[1:]
					}
					if len(recs) == 0 {
						t.Fatalf("reported %s, not in the batch", seq)
					}
					if tries >= 1 {
						dlq.down = false
					}
				}
			case 2:
				invoke([]byte(`{"Records":[{"eventSource":"aws:sqs"}]}`))
			case 3:
				dlq.down = !dlq.down
			}
		}
		got := map[string]int{}
		for _, r := range api.records {
			for _, line := range strings.SplitAfter(string(r), "\n") {
				if line != "" {
					got[line]++
				}
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("delivered %d distinct lines, want %d, each once", len(got), len(want))
		}
		gotBad := map[string]int{}
		for _, b := range dlq.bodies {
			var dl DeadLetter
			if err := json.Unmarshal([]byte(b), &dl); err != nil {
				t.Fatal(err)
			}
			if dl.Reason == ReasonNotFlowLog {
				for _, line := range strings.SplitAfter(dl.Data, "\n") {
					if line != "" {
						gotBad[line]++
					}
				}
			}
		}
		if fmt.Sprint(gotBad) != fmt.Sprint(wantBad) {
			t.Fatalf("dead-lettered %v, want %v", gotBad, wantBad)
		}
	})
}
