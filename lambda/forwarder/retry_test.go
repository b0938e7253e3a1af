package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func responseError(status int, err error) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: err},
		RequestID:     "req",
	}
}

func apiError(code string, fault smithy.ErrorFault) error {
	return &smithy.GenericAPIError{Code: code, Message: "m", Fault: fault}
}

func TestRetryableCallError(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want bool
	}{
		{"throttled", nil, responseError(400, apiError("ServiceUnavailableException", smithy.FaultServer)), true},
		{"ThrottlingException", nil, responseError(400, apiError("ThrottlingException", smithy.FaultClient)), true},
		{"LimitExceededException", nil, responseError(400, apiError("LimitExceededException", smithy.FaultClient)), true},
		{"500", nil, responseError(500, apiError("InternalFailure", smithy.FaultUnknown)), true},
		{"502 without code", nil, responseError(502, errors.New("bad gateway")), true},
		{"429", nil, responseError(429, errors.New("too many")), true},
		{"call timeout", nil, fmt.Errorf("operation error: %w", context.DeadlineExceeded), true},
		{"connection reset", nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true},
		{"not found", nil, responseError(400, apiError("ResourceNotFoundException", smithy.FaultClient)), false},
		{"invalid argument", nil, responseError(400, apiError("InvalidArgumentException", smithy.FaultClient)), false},
		{"access denied", nil, responseError(403, apiError("AccessDeniedException", smithy.FaultClient)), false},
		{"invocation cancelled", cancelled, responseError(503, errors.New("x")), false},
		{"other", nil, errors.New("something else"), false},
	} {
		ctx := tc.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		if got := retryableCallError(ctx, tc.err); got != tc.want {
			t.Errorf("%s: retryable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	base, max := 100*time.Millisecond, time.Second
	for _, tc := range []struct {
		n    int
		r    float64
		want time.Duration
	}{
		{1, 0, 50 * time.Millisecond},
		{1, 0.999999, 100 * time.Millisecond},
		{2, 0, 100 * time.Millisecond},
		{4, 0.5, 600 * time.Millisecond},
		{5, 0, 500 * time.Millisecond}, // 1.6s capped at 1s
		{60, 0, 500 * time.Millisecond},
	} {
		if got := backoff(tc.n, base, max, tc.r); got.Round(time.Millisecond) != tc.want {
			t.Errorf("backoff(%d, r=%v) = %v, want %v", tc.n, tc.r, got, tc.want)
		}
	}
}
