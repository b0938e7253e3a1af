package awsfake

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// testAccessKey signs the tests' requests; the fakes serve no other.
const testAccessKey = "AKIDREPLAYTEST"

const qURL = "https://sqs.us-east-1.amazonaws.com/123456789012/q"

func clients(t *testing.T, srv *Server) (*sqs.Client, *firehose.Client) {
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, "SECRET", ""), HTTPClient: hs.Client()}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(hs.URL) }),
		firehose.NewFromConfig(cfg, func(o *firehose.Options) { o.BaseEndpoint = aws.String(hs.URL) })
}

// As SQS documents, a message received again gets a new receipt handle,
// and a delete with an older one does not delete it; the body's MD5
// satisfies the SDK's check.
func TestSQSReceiptHandles(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := &Server{AccessKey: testAccessKey, SQS: &SQS{Now: func() time.Time { return now }}}
	c, _ := clients(t, srv)
	ctx := context.Background()
	srv.SQS.Add(qURL, "hello", now)
	recv := func() string {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(qURL), VisibilityTimeout: 30})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "hello" {
			t.Fatalf("received %+v", out.Messages)
		}
		return aws.ToString(out.Messages[0].ReceiptHandle)
	}
	first := recv()
	if out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(qURL)}); err != nil || len(out.Messages) != 0 {
		t.Fatalf("received an invisible message: %v %v", out, err)
	}
	now = now.Add(31 * time.Second)
	second := recv()
	if first == second {
		t.Fatal("same receipt handle twice")
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(qURL), ReceiptHandle: aws.String(first)}); err != nil {
		t.Fatal(err)
	}
	if len(srv.SQS.Bodies(qURL)) != 1 {
		t.Fatal("a stale receipt handle deleted the message")
	}
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(qURL), ReceiptHandle: aws.String(second)}); err != nil {
		t.Fatal(err)
	}
	if len(srv.SQS.Bodies(qURL)) != 0 || len(srv.Violations()) != 0 {
		t.Fatalf("left %q, violations %q", srv.SQS.Bodies(qURL), srv.Violations())
	}
}

// A PutRecordBatch over the quotas is refused and recorded; failed records
// are reported per record.
func TestFirehoseQuotasAndPartialFailure(t *testing.T) {
	srv := &Server{AccessKey: testAccessKey, Firehose: &Firehose{FailRecord: func(n, i int) string {
		if i == 1 {
			return "ServiceUnavailableException"
		}
		return ""
	}}}
	_, c := clients(t, srv)
	ctx := context.Background()
	out, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("s"),
		Records: []fhtypes.Record{{Data: []byte("a")}, {Data: []byte("b")}, {Data: []byte("c")}}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedPutCount) != 1 || aws.ToString(out.RequestResponses[1].ErrorCode) != "ServiceUnavailableException" {
		t.Errorf("response %+v", out)
	}
	if got := srv.Firehose.Records("s"); len(got) != 2 || string(got[1]) != "c" {
		t.Errorf("records %q", got)
	}
	recs := make([]fhtypes.Record, 501)
	for i := range recs {
		recs[i] = fhtypes.Record{Data: []byte("x")}
	}
	if _, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("s"), Records: recs}); err == nil {
		t.Error("501 records accepted")
	}
	if len(srv.Firehose.Violations()) != 1 {
		t.Errorf("violations %q", srv.Firehose.Violations())
	}
}
