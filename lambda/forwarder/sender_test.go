package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/smithy-go"
)

// apiFunc adapts a function to FirehoseAPI, for tests without HTTP.
type apiFunc func(ctx context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error)

func (f apiFunc) PutRecordBatch(ctx context.Context, in *firehose.PutRecordBatchInput, _ ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	return f(ctx, in)
}

// acceptAll is a Firehose that accepts every record.
type acceptAll struct{}

func (acceptAll) PutRecordBatch(_ context.Context, in *firehose.PutRecordBatchInput, _ ...func(*firehose.Options)) (*firehose.PutRecordBatchOutput, error) {
	return &firehose.PutRecordBatchOutput{FailedPutCount: aws.Int32(0), RequestResponses: make([]types.PutRecordBatchResponseEntry, len(in.Records))}, nil
}

var errThrottled = &smithy.GenericAPIError{Code: "ServiceUnavailableException", Message: "Slow down.", Fault: smithy.FaultServer}

func testSender(api FirehoseAPI, clock *fakeClock) *Sender {
	cfg := DefaultSendConfig()
	cfg.StreamName = testStream
	return &Sender{API: api, Config: cfg, Sleep: clock.Sleep, Now: clock.Now, Rand: func() float64 { return 0 }}
}

func makeRecords(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = bytes.Repeat([]byte{'x'}, size)
		copy(out[i], strconv.Itoa(i)) // distinct
	}
	return out
}

func TestSenderEmpty(t *testing.T) {
	s := testSender(apiFunc(func(context.Context, *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		t.Fatal("called")
		return nil, nil
	}), newFakeClock())
	if res, err := s.Send(context.Background(), nil); err != nil || res != (SendResult{}) {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestSenderBatchLimits(t *testing.T) {
	for _, tc := range []struct {
		n, size   int
		wantCalls []int
	}{
		{1234, 100, []int{500, 500, 234}},
		{500, 10, []int{500}},
		{10, 900 << 10, []int{4, 4, 2}},            // 4 x 900 KiB fit in 4 MiB, 5 do not
		{3, MaxRecordBytes, []int{3}},              // 3 x 1000 KiB < 4 MiB
		{5, MaxRecordBytes, []int{4, 1}},           // 4 x 1000 KiB = 4,096,000 <= 4 MiB
		{1001, 4 << 10, []int{500, 500, 1}},        // 500 x 4 KiB = 2 MiB
		{2000, 8400, []int{499, 499, 499, 499, 4}}, // bytes bind first: 499 x 8400 <= 4 MiB < 500 x 8400
	} {
		var calls []int
		s := testSender(apiFunc(func(_ context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
			size := 0
			for _, r := range in.Records {
				size += len(r.Data)
			}
			if len(in.Records) > MaxBatchRecords || size > MaxBatchBytes || aws.ToString(in.DeliveryStreamName) != testStream {
				t.Fatalf("call of %d records, %d bytes", len(in.Records), size)
			}
			calls = append(calls, len(in.Records))
			return acceptAll{}.PutRecordBatch(context.Background(), in)
		}), newFakeClock())
		res, err := s.Send(context.Background(), makeRecords(tc.n, tc.size))
		if err != nil || res.Sent != tc.n || fmt.Sprint(calls) != fmt.Sprint(tc.wantCalls) {
			t.Errorf("%d x %d bytes: calls %v, want %v; %+v %v", tc.n, tc.size, calls, tc.wantCalls, res, err)
		}
	}
}

func TestSenderMaxAttemptsWithoutDeadline(t *testing.T) {
	clock := newFakeClock()
	calls := 0
	s := testSender(apiFunc(func(context.Context, *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		calls++
		return nil, errThrottled
	}), clock)
	s.Config.MaxAttempts = 4
	res, err := s.Send(context.Background(), makeRecords(3, 10))
	var se *SendError
	if !errors.As(err, &se) || se.Failed != 3 || !errors.Is(err, errThrottled) {
		t.Fatalf("err = %v", err)
	}
	if calls != 4 || res.Retries != 3 || res.FailedCalls != 4 || len(clock.Sleeps()) != 3 {
		t.Fatalf("calls %d, res %+v, sleeps %v", calls, res, clock.Sleeps())
	}
}

func TestSenderBackoffSchedule(t *testing.T) {
	for _, tc := range []struct {
		r    float64
		want string
	}{
		{0, "[50ms 100ms 200ms 400ms 800ms 1s 1s]"},
		{0.5, "[75ms 150ms 300ms 600ms 1.2s 1.5s 1.5s]"},
	} {
		clock := newFakeClock()
		s := testSender(apiFunc(func(context.Context, *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
			return nil, errThrottled
		}), clock)
		s.Config.MaxAttempts, s.Config.BackoffMax = 8, 2*time.Second
		s.Rand = func() float64 { return tc.r }
		s.Send(context.Background(), makeRecords(1, 10))
		if got := fmt.Sprint(clock.Sleeps()); got != tc.want {
			t.Errorf("jitter %v: sleeps %s, want %s", tc.r, got, tc.want)
		}
	}
}

func TestSenderCancelled(t *testing.T) {
	clock := newFakeClock()
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	s := testSender(apiFunc(func(context.Context, *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		calls++
		cancel()
		return nil, errThrottled
	}), clock)
	res, err := s.Send(ctx, makeRecords(1200, 10))
	if !errors.Is(err, context.Canceled) || calls != 1 || res.Failed != 1200 {
		t.Fatalf("calls %d, res %+v, err %v", calls, res, err)
	}
}

func TestSenderDeadlineMargin(t *testing.T) {
	clock := newFakeClock()
	var deadlines, callStarts []time.Time
	s := testSender(apiFunc(func(ctx context.Context, _ *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		d, _ := ctx.Deadline()
		deadlines, callStarts = append(deadlines, d), append(callStarts, time.Now())
		return nil, errThrottled
	}), clock)
	s.Config.BackoffBase = 400 * time.Millisecond
	// 2s left at the start: the 3s margin shrinks to 1s, leaving 1s to work.
	ctx, cancel := context.WithDeadline(context.Background(), clock.Now().Add(2*time.Second))
	defer cancel()
	res, err := s.Send(ctx, makeRecords(5, 10))
	if !errors.Is(err, errDeadline) || !errors.Is(err, errThrottled) {
		t.Fatalf("err = %v", err)
	}
	// Calls at 0, 200ms and 600ms; the next backoff (800ms) would end past 1s.
	if res.Calls != 3 || fmt.Sprint(clock.Sleeps()) != "[200ms 400ms]" {
		t.Fatalf("res %+v, sleeps %v", res, clock.Sleeps())
	}
	// The call's deadline is at most 1s after the call began (the real clock
	// starts the call's timeout), however long the machine took to get there.
	if deadlines[0].After(callStarts[0].Add(time.Second)) {
		t.Errorf("first call deadline %v after the call, want it cut to the 1s left", deadlines[0].Sub(callStarts[0]))
	}
}

func TestSenderResponseWithoutCodes(t *testing.T) {
	// FailedPutCount > 0 but every entry has a RecordId: trust the entries.
	calls := 0
	s := testSender(apiFunc(func(_ context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		calls++
		out, _ := acceptAll{}.PutRecordBatch(context.Background(), in)
		out.FailedPutCount = aws.Int32(2)
		return out, nil
	}), newFakeClock())
	res, err := s.Send(context.Background(), makeRecords(10, 10))
	if err != nil || calls != 1 || res.Sent != 10 {
		t.Fatalf("calls %d, res %+v, err %v", calls, res, err)
	}
}

func TestSenderNoOutput(t *testing.T) {
	s := testSender(apiFunc(func(context.Context, *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		return nil, nil
	}), newFakeClock())
	if _, err := s.Send(context.Background(), makeRecords(1, 10)); err == nil {
		t.Fatal("no error for a nil output")
	}
}

func TestSenderDoesNotRetainRecords(t *testing.T) {
	var seen *firehose.PutRecordBatchInput
	s := testSender(apiFunc(func(_ context.Context, in *firehose.PutRecordBatchInput) (*firehose.PutRecordBatchOutput, error) {
		seen = in
		return acceptAll{}.PutRecordBatch(context.Background(), in)
	}), newFakeClock())
	s.Send(context.Background(), makeRecords(3, 10))
	for _, r := range seen.Records {
		if r.Data != nil {
			t.Fatal("request entries still reference the records")
		}
	}
}
