package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	kinesistypes "github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	"github.com/aws/smithy-go"
)

// ErrNotReplayable wraps the error of an item that cannot be replayed now
// or later (a Kinesis batch whose records have expired from the stream):
// the run reports it, leaves its messages in the queue and goes on, without
// counting it as a failed replay.
var ErrNotReplayable = errors.New("cannot be replayed")

// KinesisAPI is the part of the Kinesis client a replay of a discarded
// batch uses; *kinesis.Client implements it.
type KinesisAPI interface {
	GetShardIterator(ctx context.Context, in *kinesis.GetShardIteratorInput, optFns ...func(*kinesis.Options)) (*kinesis.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *kinesis.GetRecordsInput, optFns ...func(*kinesis.Options)) (*kinesis.GetRecordsOutput, error)
}

// maxGetRecordsCalls bounds the GetRecords calls of one batch (a batch
// holds at most 10,000 records, and GetRecords returns up to 10,000).
const maxGetRecordsCalls = 1000

// ReadBatch reads the records of a discarded batch back from its stream:
// an AT_SEQUENCE_NUMBER iterator at the first sequence number, then
// GetRecords until the last one. The stream's region is the one in its
// ARN. When the first record read is not the batch's first (the records
// have expired: the stream's retention period is over), or the shard is
// gone, the error wraps ErrNotReplayable.
// https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html
// https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html
func ReadBatch(ctx context.Context, api KinesisAPI, b *KinesisBatchInfo, bo Backoff) ([]kinesistypes.Record, error) {
	region := arnRegion(b.StreamArn)
	opt := func(o *kinesis.Options) {
		if region != "" {
			o.Region = region
		}
	}
	expired := func(why string) error {
		return fmt.Errorf("%w: the records of %s %s from %s %s", ErrNotReplayable, b.StreamArn, b.ShardID, b.StartSequenceNumber, why)
	}
	var it *kinesis.GetShardIteratorOutput
	err := bo.retry(ctx, func() (err error) {
		it, err = api.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamARN: aws.String(b.StreamArn), ShardId: aws.String(b.ShardID),
			ShardIteratorType: kinesistypes.ShardIteratorTypeAtSequenceNumber, StartingSequenceNumber: aws.String(b.StartSequenceNumber)}, opt)
		return err
	})
	if err != nil {
		if code := apiCode(err); code == "ResourceNotFoundException" || code == "InvalidArgumentException" {
			return nil, expired(fmt.Sprintf("cannot be read (%s: the shard is gone or the sequence number is no longer in the stream)", code))
		}
		return nil, fmt.Errorf("GetShardIterator %s %s: %w", b.StreamArn, b.ShardID, err)
	}
	iter := it.ShardIterator
	var out []kinesistypes.Record
	for calls := 0; iter != nil; calls++ {
		if calls == maxGetRecordsCalls {
			return nil, fmt.Errorf("%s %s: %d GetRecords calls did not reach %s", b.StreamArn, b.ShardID, calls, b.EndSequenceNumber)
		}
		var page *kinesis.GetRecordsOutput
		err := bo.retry(ctx, func() (err error) {
			page, err = api.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: iter, StreamARN: aws.String(b.StreamArn)}, opt)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("GetRecords %s %s: %w", b.StreamArn, b.ShardID, err)
		}
		for _, r := range page.Records {
			seq := aws.ToString(r.SequenceNumber)
			if len(out) == 0 && seq != b.StartSequenceNumber {
				return nil, expired("have expired from the stream (it starts at " + seq + " now)")
			}
			if cmpSeq(seq, b.EndSequenceNumber) > 0 {
				return out, nil
			}
			out = append(out, r)
			if seq == b.EndSequenceNumber {
				return out, nil
			}
		}
		if len(page.Records) == 0 && aws.ToInt64(page.MillisBehindLatest) == 0 {
			break // at the tip of the shard
		}
		iter = page.NextShardIterator
	}
	if len(out) == 0 {
		return nil, expired("have expired from the stream (nothing left from there)")
	}
	return nil, fmt.Errorf("%w: %s %s ends before %s", ErrNotReplayable, b.StreamArn, b.ShardID, b.EndSequenceNumber)
}

// cmpSeq compares two decimal sequence numbers (without leading zeros).
func cmpSeq(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// arnRegion is the region field of an ARN ("" if it has none).
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// retry calls f until it succeeds, fails with other than throttling, or the
// attempts are spent. (GetRecords is limited to five calls a second per
// shard: ProvisionedThroughputExceededException.)
func (b Backoff) retry(ctx context.Context, f func() error) error {
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil || (!throttled(err) && apiCode(err) != "ProvisionedThroughputExceededException") || attempt >= b.attempts() {
			return err
		}
		if werr := b.wait(ctx, attempt); werr != nil {
			return err
		}
	}
}

// maxInvokeEventBytes bounds the JSON of one rebuilt Kinesis event: a
// synchronous invocation's payload may be 6 MB.
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
const maxInvokeEventBytes = 5 << 20

// KinesisEvents rebuilds the Kinesis events a function fed by the stream
// receives for records, in order, as few as the invocation payload limit
// allows. The fields are those of the event source mapping's events
// (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html);
// invokeIdentityArn, the mapping's role, is not known here and left empty.
func KinesisEvents(b *KinesisBatchInfo, recs []kinesistypes.Record) ([]json.RawMessage, error) {
	var out []json.RawMessage
	var cur events.KinesisEvent
	size := 0
	flush := func() error {
		if len(cur.Records) == 0 {
			return nil
		}
		js, err := json.Marshal(&cur)
		if err != nil {
			return err
		}
		out = append(out, js)
		cur, size = events.KinesisEvent{}, 0
		return nil
	}
	for _, r := range recs {
		seq := aws.ToString(r.SequenceNumber)
		er := events.KinesisEventRecord{
			AwsRegion:      arnRegion(b.StreamArn),
			EventID:        b.ShardID + ":" + seq,
			EventName:      "aws:kinesis:record",
			EventSource:    "aws:kinesis",
			EventSourceArn: b.StreamArn,
			EventVersion:   "1.0",
			Kinesis: events.KinesisRecord{
				Data:                 r.Data,
				EncryptionType:       string(r.EncryptionType),
				PartitionKey:         aws.ToString(r.PartitionKey),
				SequenceNumber:       seq,
				KinesisSchemaVersion: "1.0",
			},
		}
		if r.ApproximateArrivalTimestamp != nil {
			er.Kinesis.ApproximateArrivalTimestamp = events.SecondsEpochTime{Time: *r.ApproximateArrivalTimestamp}
		}
		n := (len(r.Data)+2)/3*4 + 512
		if size+n > maxInvokeEventBytes && len(cur.Records) > 0 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		cur.Records = append(cur.Records, er)
		size += n
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// kinesisFailures returns the sequence numbers a function's
// events.KinesisEventResponse reports failed.
func kinesisFailures(resp []byte) []string {
	var r events.KinesisEventResponse
	if json.Unmarshal(resp, &r) != nil {
		return nil
	}
	var out []string
	for _, f := range r.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}
