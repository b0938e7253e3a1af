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
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
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

// ChangeMessageVisibilityBatch answers per entry: a scripted failure and a
// stale receipt handle are in Failed while the call succeeds, the other
// entries take effect; more than ten entries, or repeated ids, fail the
// call. ReceiveMessage returns ApproximateFirstReceiveTimestamp, which a
// second receive does not move.
func TestSQSChangeMessageVisibilityBatch(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := &Server{AccessKey: testAccessKey, SQS: &SQS{Now: func() time.Time { return now },
		FailEntry: func(op string, n, i int) string {
			if op == "ChangeMessageVisibilityBatch" && n == 0 && i == 1 {
				return "InternalError"
			}
			return ""
		}}}
	c, _ := clients(t, srv)
	ctx := context.Background()
	for range 3 {
		srv.SQS.Add(qURL, "m", now)
	}
	out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(qURL), MaxNumberOfMessages: 10, VisibilityTimeout: 600,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateFirstReceiveTimestamp}})
	if err != nil || len(out.Messages) != 3 {
		t.Fatalf("received %v, %v", out, err)
	}
	if got := out.Messages[0].Attributes["ApproximateFirstReceiveTimestamp"]; got != "1767225600000" {
		t.Errorf("ApproximateFirstReceiveTimestamp %q", got)
	}
	var entries []sqstypes.ChangeMessageVisibilityBatchRequestEntry
	for i, m := range out.Messages {
		entries = append(entries, sqstypes.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(string(rune('a' + i))), ReceiptHandle: m.ReceiptHandle})
	}
	entries[2].ReceiptHandle = aws.String("stale")
	res, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(qURL), Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Successful) != 1 || aws.ToString(res.Successful[0].Id) != "a" || len(res.Failed) != 2 ||
		aws.ToString(res.Failed[0].Code) != "InternalError" || res.Failed[0].SenderFault ||
		aws.ToString(res.Failed[1].Code) != "ReceiptHandleIsInvalid" || !res.Failed[1].SenderFault {
		t.Errorf("response %+v", res)
	}
	again, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(qURL), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(again.Messages) != 1 || aws.ToString(again.Messages[0].MessageId) != aws.ToString(out.Messages[0].MessageId) {
		t.Fatalf("after the batch, received %+v (%v), want only the first message visible", again, err)
	}
	now = now.Add(time.Hour)
	later, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(qURL), MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll}})
	if err != nil || len(later.Messages) != 3 {
		t.Fatalf("an hour later, received %+v (%v)", later, err)
	}
	for _, m := range later.Messages {
		if got := m.Attributes["ApproximateFirstReceiveTimestamp"]; got != "1767225600000" {
			t.Errorf("ApproximateFirstReceiveTimestamp of a later receive %q, want the first one's", got)
		}
	}
	for _, bad := range [][]sqstypes.ChangeMessageVisibilityBatchRequestEntry{
		make([]sqstypes.ChangeMessageVisibilityBatchRequestEntry, 11),
		{{Id: aws.String("x"), ReceiptHandle: aws.String("r")}, {Id: aws.String("x"), ReceiptHandle: aws.String("r")}},
	} {
		for i := range bad {
			if bad[i].Id == nil {
				bad[i] = sqstypes.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(string(rune('a' + i))), ReceiptHandle: aws.String("r")}
			}
		}
		if _, err := c.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(qURL), Entries: bad}); err == nil {
			t.Errorf("a batch of %d entries (ids %s, %s) accepted", len(bad), aws.ToString(bad[0].Id), aws.ToString(bad[1].Id))
		}
	}
}
