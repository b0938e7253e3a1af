// Package awsfake serves small in-memory fakes of the AWS APIs that
// cmd/replay calls (SQS, Lambda Invoke, Firehose PutRecordBatch and the
// Kinesis reads GetShardIterator and GetRecords), and of the STS and EC2
// calls of a member stack's VPC discovery (Account), over
// HTTP, speaking the wire protocols the real aws-sdk-go-v2 clients use, so
// that the replay library and command are tested with the real clients:
//
//   - SQS: AWS JSON 1.0, "X-Amz-Target: AmazonSQS.<Operation>", errors as
//     {"__type": "com.amazonaws.sqs#Code"}.
//     https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-faqs.html
//   - Firehose: AWS JSON 1.1, "X-Amz-Target: Firehose_20150804.PutRecordBatch".
//     https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
//   - Lambda: REST JSON, POST /2015-03-31/functions/{name}/invocations, the
//     function's error in the X-Amz-Function-Error header, API errors with
//     X-Amzn-ErrorType.
//     https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
//   - Kinesis: AWS JSON 1.1, "X-Amz-Target: Kinesis_20131202.<Operation>"
//     (see Kinesis).
//   - STS and EC2: the query protocol, routed by the service of the SigV4
//     credential scope (see Account).
//
// Server routes one endpoint to all of them, so a command given a single
// --endpoint-url reaches every fake. Faults (throttling, partial failures,
// refused calls) are scripted per call by the test.
package awsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// Fault fails one call as the service would: HTTP status and error code.
type Fault struct {
	Status int
	Code   string
}

// Throttled is the fault of a throttled call (every client retries it).
var Throttled = &Fault{Status: http.StatusBadRequest, Code: "ThrottlingException"}

// Server routes requests to the fake of their service. A nil fake answers
// its requests with an error.
type Server struct {
	SQS      *SQS
	Lambda   *Lambda
	Firehose *Firehose
	Kinesis  *Kinesis
	// Account answers the STS and EC2 query-protocol calls (see Account).
	Account *Account
	// AccessKey, when set, is the only access key served: other requests
	// (say, of another process's client that kept a port number this
	// server now listens on) are refused and not counted as violations.
	AccessKey string

	mu         sync.Mutex
	violations []string
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.AccessKey != "" && !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+s.AccessKey+"/") {
		jsonError(w, "1.0", &Fault{http.StatusForbidden, "UnrecognizedClientException"})
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=") {
		s.violation("unsigned request %s %s", r.Method, r.URL.Path)
		jsonError(w, "1.0", &Fault{http.StatusForbidden, "MissingAuthenticationToken"})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	switch svc := queryService(r); {
	case (svc == "sts" || svc == "ec2") && s.Account != nil:
		s.Account.serve(w, r, svc)
	case strings.HasPrefix(target, "AmazonSQS.") && s.SQS != nil:
		s.SQS.serve(w, r, strings.TrimPrefix(target, "AmazonSQS."))
	case strings.HasPrefix(target, "Firehose_20150804.") && s.Firehose != nil:
		s.Firehose.serve(w, r, strings.TrimPrefix(target, "Firehose_20150804."))
	case strings.HasPrefix(target, "Kinesis_20131202.") && s.Kinesis != nil:
		s.Kinesis.serve(w, r, strings.TrimPrefix(target, "Kinesis_20131202."))
	case strings.HasPrefix(r.URL.Path, "/2015-03-31/functions/") && s.Lambda != nil:
		s.Lambda.serve(w, r)
	default:
		s.violation("no fake for %s %s target=%q", r.Method, r.URL.Path, target)
		jsonError(w, "1.0", &Fault{http.StatusBadRequest, "UnknownOperationException"})
	}
}

// Violations returns the requests no fake could answer.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

func (s *Server) violation(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// jsonError writes an AWS JSON protocol error.
func jsonError(w http.ResponseWriter, version string, f *Fault) {
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	w.WriteHeader(f.Status)
	fmt.Fprintf(w, `{"__type":%q,"message":"injected by the fake"}`, f.Code)
}

func writeJSON(w http.ResponseWriter, version string, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-"+version)
	json.NewEncoder(w).Encode(v)
}
