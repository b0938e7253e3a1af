package main

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// retryableCodes are the error codes, of a whole call or of one record in
// RequestResponses, that say "try again later". Firehose reports throttling
// as ServiceUnavailableException; the others are the generic AWS ones.
var retryableCodes = map[string]bool{
	"ServiceUnavailableException": true,
	"ServiceUnavailable":          true,
	"InternalFailure":             true,
	"InternalFailureException":    true,
	"InternalServerError":         true,
	"InternalError":               true,
	"ThrottlingException":         true,
	"Throttling":                  true,
	"LimitExceededException":      true,
	"TooManyRequestsException":    true,
	"RequestTimeout":              true,
	"RequestTimeoutException":     true,
	"SlowDown":                    true,
}

// retryableCallError reports whether a failed PutRecordBatch call is worth
// retrying: throttling, server-side (5xx) errors, and transport failures
// such as timeouts and reset connections. Client errors (a missing stream,
// denied access, an invalid request) are not: retrying cannot fix them.
// Cancellation of the invocation's own context is never retried.
func retryableCallError(parent context.Context, err error) bool {
	if parent.Err() != nil {
		return false
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if retryableCodes[apiErr.ErrorCode()] || apiErr.ErrorFault() == smithy.FaultServer {
			return true
		}
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) {
		if code := respErr.HTTPStatusCode(); code >= 500 || code == 429 {
			return true
		}
		if apiErr != nil {
			return false // a modelled client error such as ResourceNotFoundException
		}
	}
	// The call's own timeout, or a network failure before a response.
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}

// backoff returns the delay before retry number n (1 for the first retry):
// base doubled per retry and capped at max, then "equal jitter", a uniform
// pick in [d/2, d) with r in [0, 1). Jitter spreads the retries of
// concurrent invocations; the floor of d/2 keeps a throttled stream from
// being hit again at once.
func backoff(n int, base, max time.Duration, r float64) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + time.Duration(r*float64(d/2))
}
