package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/cwlogs"
)

// lambdaAsyncRetries is how often Lambda retries a failed asynchronous
// invocation (components.maxAsyncRetries; the subscription invokes the
// function asynchronously).
const lambdaAsyncRetries = 2

// lambdaRun invokes the handler as Lambda does an asynchronous event: once,
// and again with the same event while it fails, up to lambdaAsyncRetries
// times. It returns the number of invocations and the last error (the
// event then goes to the on-failure destination).
func (e *testEnv) lambdaRun(t *testing.T, data string) (invocations int, err error) {
	t.Helper()
	for invocations = 1; ; invocations++ {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_, err = e.h.Process(ctx, data)
		cancel()
		if err == nil || invocations > lambdaAsyncRetries {
			return invocations, err
		}
	}
}

// ledger counts where every input line ended.
type ledger struct {
	delivered, deadLettered map[string]int
	truncated               map[string]bool // lines in a call whose answer was lost after acceptance
}

func (e *testEnv) ledger(t *testing.T) ledger {
	t.Helper()
	calls, delivered, violations := e.fake.snapshot()
	for _, v := range violations {
		t.Errorf("Firehose protocol violation: %s", v)
	}
	l := ledger{delivered: map[string]int{}, deadLettered: map[string]int{}, truncated: map[string]bool{}}
	for _, line := range strings.SplitAfter(concat(delivered), "\n") {
		if line != "" {
			l.delivered[line]++
		}
	}
	for _, c := range calls {
		if c.outcome == "accepted, answer truncated" {
			for _, line := range strings.SplitAfter(concat(c.records), "\n") {
				l.truncated[line] = true
			}
		}
	}
	// A retried invocation writes the same letters again: the same id and
	// part, which a replay skips. Count each once.
	seen := map[string]bool{}
	var letters []DeadLetter
	for _, dl := range e.sqs.letters(t) {
		k := fmt.Sprint(dl.ID, "/", dl.Part)
		if !seen[k] {
			seen[k] = true
			letters = append(letters, dl)
		}
	}
	for _, text := range reassemble(t, letters)[ReasonFirehoseRefused] {
		for _, line := range strings.SplitAfter(text, "\n") {
			if line != "" {
				l.deadLettered[line]++
			}
		}
	}
	return l
}

// TestFaults runs payloads through the handler under each fault, with
// Lambda's retry model, and accounts for every line: delivered once,
// delivered more than once only for a cause the protocol cannot rule out
// (an answer lost after Firehose accepted the call, or an invocation that
// Lambda retried), or dead-lettered; never lost.
func TestFaults(t *testing.T) {
	type scenario struct {
		name     string
		firehose func(n int, recs [][]byte) outcome
		sqs      func(n int, bodies []string) sqsOutcome
		env      map[string]string
		// wantDeadLettered: some lines must end in the dead-letter queue.
		wantDeadLettered bool
		// wantRetried: some invocations must fail and be retried.
		wantRetried bool
	}
	every := func(k int, o outcome) func(int, [][]byte) outcome {
		return func(n int, _ [][]byte) outcome {
			if n%k == 0 {
				return o
			}
			return accept()
		}
	}
	scenarios := []scenario{
		{name: "throttling", firehose: every(2, throttle("ServiceUnavailableException"))},
		{name: "5xx", firehose: every(3, serverError(http.StatusInternalServerError))},
		{name: "partial failures", firehose: func(n int, recs [][]byte) outcome {
			return failRecords(func(i int) string {
				if (n+i)%3 == 0 {
					return "ServiceUnavailableException"
				}
				return ""
			})
		}, env: map[string]string{EnvMaxAttempts: "10"}},
		{name: "reset before acceptance", firehose: every(2, outcome{reset: true, dropEntries: -1})},
		{name: "answer truncated after acceptance", firehose: every(3, outcome{truncate: true, dropEntries: -1})},
		{name: "slow answers", firehose: every(2, outcome{slow: 20 * time.Millisecond, dropEntries: -1})},
		{name: "stalled answers", firehose: every(4, outcome{stall: true})},
		{name: "Firehose refuses for good", firehose: func(int, [][]byte) outcome { return throttle("ServiceUnavailableException") },
			env: map[string]string{EnvMaxAttempts: "2"}, wantDeadLettered: true},
		{name: "Firehose refuses, dead-letter queue down then up", firehose: func(n int, _ [][]byte) outcome {
			if n%5 == 1 {
				return throttle("ServiceUnavailableException")
			}
			return accept()
		}, sqs: func(n int, _ []string) sqsOutcome {
			if n%2 == 0 {
				return sqsOutcome{status: http.StatusInternalServerError, errType: "com.amazonaws.sqs#InternalError"}
			}
			return sqsOutcome{}
		}, env: map[string]string{EnvMaxAttempts: "1"}, wantDeadLettered: true, wantRetried: true},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			e := newTestEnv(t, sc.firehose, sc.env)
			e.sqs.script = sc.sqs
			// Records of a few lines each, so that one payload makes
			// several records and calls.
			e.h.maxRecordBytes = 4 << 10
			e.h.sender.Config.MaxBatchRecords = 3
			var inputs []string
			retried := 0
			for i := range 6 {
				p := flowLogPayload(300, uint64(100+i))
				for _, ev := range p.Events {
					inputs = append(inputs, ev.Message+"\n")
				}
				data, err := cwlogs.EncodeString(p)
				if err != nil {
					t.Fatal(err)
				}
				n, err := e.lambdaRun(t, data)
				if err != nil {
					t.Fatalf("payload %d failed after %d invocations: %v", i, n, err)
				}
				retried += n - 1
			}
			l := e.ledger(t)
			once, dup, dead := 0, 0, 0
			for _, in := range inputs {
				d, x := l.delivered[in], l.deadLettered[in]
				switch {
				case d == 0 && x == 0:
					t.Fatalf("line lost: %q", in)
				case d > 1 && !l.truncated[in] && retried == 0:
					t.Fatalf("line delivered %d times without a cause: %q", d, in)
				case x > 1:
					t.Fatalf("line dead-lettered %d times: %q", x, in)
				case d > 0 && x > 0 && retried == 0:
					t.Fatalf("line both delivered and dead-lettered: %q", in)
				}
				switch {
				case d == 1 && x == 0:
					once++
				case d > 1:
					dup++
				default:
					dead++
				}
			}
			t.Logf("%d lines: %d delivered once, %d more than once, %d dead-lettered; %d invocations retried", len(inputs), once, dup, dead, retried)
			if sc.wantDeadLettered != (dead > 0) || sc.wantRetried != (retried > 0) {
				t.Errorf("dead-lettered %d, retried %d", dead, retried)
			}
			if strings.Contains(sc.name, "truncated") && dup == 0 {
				t.Error("a truncated answer after acceptance must show as duplicates")
			}
		})
	}
}

// TestHandlerDeadLetterFailure: when the dead letters cannot be written the
// invocation fails (so that Lambda retries it), and says so.
func TestHandlerDeadLetterFailure(t *testing.T) {
	e := newTestEnv(t, func(int, [][]byte) outcome { return throttle("ServiceUnavailableException") }, map[string]string{EnvMaxAttempts: "2"})
	e.sqs.script = func(int, []string) sqsOutcome {
		return sqsOutcome{status: http.StatusBadRequest, errType: "com.amazonaws.sqs#KmsAccessDenied"}
	}
	st, err := e.invoke(t, flowLogPayload(100, 60))
	if err == nil || !st.DeadLetterError || st.DeadLetters != 0 || !strings.Contains(err.Error(), "KmsAccessDenied") {
		t.Fatalf("st = %+v, err = %v", st, err)
	}
	if got := e.logs.lines(t, "dead letters not written"); len(got) != 1 || got[0]["level"] != "ERROR" || got[0]["refused_lines"] != float64(100) {
		t.Errorf("summary = %v", got)
	}
}
