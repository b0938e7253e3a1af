package replay

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsfake"
)

// testAccessKey signs the tests' requests; the fakes serve no other.
const testAccessKey = "AKIDREPLAYTEST"

const queueURL = "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"

// clock is a settable clock shared by the fake queue and the run.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	srv      *awsfake.Server
	clock    *clock
	sqs      *sqs.Client
	firehose *firehose.Client
	lambda   *lambda.Client
	kinesis  *kinesis.Client
}

// newEnv serves the fakes and returns real SDK clients pointed at them,
// retrying as the SDK does but without waiting between tries.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{clock: newClock()}
	e.srv = &awsfake.Server{AccessKey: testAccessKey, SQS: &awsfake.SQS{Now: e.clock.Now}, Lambda: &awsfake.Lambda{}, Firehose: &awsfake.Firehose{},
		Kinesis: &awsfake.Kinesis{MaxPerCall: 2}}
	hs := httptest.NewServer(e.srv)
	t.Cleanup(hs.Close)
	t.Cleanup(func() {
		for _, v := range e.srv.Violations() {
			t.Errorf("fake: %s", v)
		}
		for _, v := range e.srv.Firehose.Violations() {
			t.Errorf("firehose quota: %s", v)
		}
	})
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, "SECRET", ""),
		HTTPClient:  hs.Client(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				o.RateLimiter = ratelimit.None
			})
		},
	}
	e.sqs = sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	e.firehose = firehose.NewFromConfig(cfg, func(o *firehose.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	e.lambda = lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	e.kinesis = kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	return e
}

// add puts bodies on the queue, sent a minute before the clock.
func (e *env) add(bodies ...string) []string {
	ids := make([]string, len(bodies))
	for i, b := range bodies {
		ids[i] = e.srv.SQS.Add(queueURL, b, e.clock.Now().Add(-time.Minute))
	}
	return ids
}

func (e *env) config(sink Sink) Config {
	return Config{SQS: e.sqs, QueueURL: queueURL, Sink: sink, Now: e.clock.Now, Visibility: 10 * time.Minute}
}

var noSleep = Backoff{Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// forwarderBody is a letter as lambda/forwarder writes it.
func forwarderBody(t *testing.T, reason, id string, part, parts int, data string) string {
	return mustJSON(t, map[string]any{"reason": reason, "log_group": "/vpc/flow-logs", "log_stream": "eni-1-all",
		"id": id, "part": part, "parts": parts, "encoding": "text", "data": data})
}

// onFailureBody is a Lambda on-failure record of payload.
func onFailureBody(t *testing.T, requestID string, payload any) string {
	return mustJSON(t, map[string]any{
		"version": "1.0", "timestamp": "2026-11-30T11:00:00.000Z",
		"requestContext": map[string]any{"requestId": requestID,
			"functionArn": "arn:aws:lambda:us-east-1:123456789012:function:fwd:$LATEST",
			"condition":   "RetriesExhausted", "approximateInvokeCount": 3},
		"requestPayload":  payload,
		"responseContext": map[string]any{"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
		"responsePayload": map[string]any{"errorMessage": "boom", "errorType": "Error"},
	})
}

// indexerBody is a reject as lambda/indexer writes it.
func indexerBody(t *testing.T, stage, id, line string) string {
	return mustJSON(t, map[string]any{"stage": stage, "reason": "mapper_parsing_exception: failed to parse field [srcport]",
		"status": 400, "error_type": "mapper_parsing_exception", "index": "flowlogs-2026.11.30", "id": id,
		"timestamp": int64(1764500000000), "log_group": "/vpc/flow-logs", "log_stream": "eni-1-all",
		"line": line, "line_bytes": len(line)})
}

func payloadN(n int) map[string]any { return map[string]any{"n": n} }

func decodeN(t *testing.T, p []byte) int {
	t.Helper()
	var v struct{ N *int }
	if err := json.Unmarshal(p, &v); err != nil || v.N == nil {
		t.Fatalf("payload %s is not a test payload: %v", p, err)
	}
	return *v.N
}

func checkSummary(t *testing.T, got Summary, want Summary) {
	t.Helper()
	got.Inventory, want.Inventory = nil, nil
	if got != want {
		t.Errorf("summary:\n got %+v\nwant %+v", got, want)
	}
}

var _ = fmt.Sprint
