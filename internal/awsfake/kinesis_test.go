package awsfake

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

const testStreamARN = "arn:aws:kinesis:eu-west-1:123456789012:stream/central"

// The real aws-sdk-go-v2 Kinesis client reads a shard from the fake: an
// AT_SEQUENCE_NUMBER iterator, then GetRecords page by page; a trimmed
// record is gone; an unknown shard is ResourceNotFoundException.
func TestKinesisReads(t *testing.T) {
	srv := &Server{AccessKey: testAccessKey, Kinesis: &Kinesis{MaxPerCall: 2}}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider(testAccessKey, "SECRET", ""), HTTPClient: hs.Client()}
	c := kinesis.NewFromConfig(cfg, func(o *kinesis.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	recs := srv.Kinesis.Put(testStreamARN, "shardId-000000000001",
		KinesisRecord{PartitionKey: "a", Data: []byte{0x1f, 0x8b, 1}, Arrival: at},
		KinesisRecord{PartitionKey: "b", Data: []byte("two"), Arrival: at.Add(time.Second)},
		KinesisRecord{PartitionKey: "c", Data: []byte("three"), Arrival: at.Add(2 * time.Second)})
	ctx := context.Background()
	it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: aws.String(testStreamARN), ShardId: aws.String("shardId-000000000001"),
		ShardIteratorType: kinesistypes.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(recs[1].SequenceNumber)})
	if err != nil {
		t.Fatal(err)
	}
	var got []kinesistypes.Record
	iter := it.ShardIterator
	for i := 0; i < 3; i++ {
		out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, StreamARN: aws.String(testStreamARN)})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out.Records...)
		iter = out.NextShardIterator
	}
	if len(got) != 2 || aws.ToString(got[0].SequenceNumber) != recs[1].SequenceNumber || !bytes.Equal(got[1].Data, []byte("three")) ||
		!got[1].ApproximateArrivalTimestamp.Equal(at.Add(2*time.Second)) || aws.ToString(got[0].PartitionKey) != "b" {
		t.Fatalf("records %+v", got)
	}
	srv.Kinesis.Trim(testStreamARN, "shardId-000000000001", 2)
	it, err = c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: aws.String(testStreamARN), ShardId: aws.String("shardId-000000000001"),
		ShardIteratorType: kinesistypes.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(recs[0].SequenceNumber)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil || len(out.Records) != 1 || aws.ToString(out.Records[0].SequenceNumber) != recs[2].SequenceNumber {
		t.Fatalf("after the trim: %+v %v", out, err)
	}
	_, err = c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: aws.String(testStreamARN), ShardId: aws.String("shardId-000000000009"),
		ShardIteratorType: kinesistypes.ShardIteratorTypeTrimHorizon})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceNotFoundException" {
		t.Fatalf("unknown shard: %v", err)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Fatal(v)
	}
}
