// Command forwarder is the Lambda function that forwards VPC flow log
// records from a CloudWatch Logs subscription to a Kinesis Data Firehose
// stream. On a central stack it is fed instead by a Kinesis event source
// mapping on the data stream its members' CloudWatch Logs destination
// writes into: the same payloads, one per record (see kinesis.go).
//
// It decodes each subscription payload (base64, gzip, JSON) with the
// cwlogs decoder, ignores CONTROL_MESSAGE payloads, packs every event whose
// message is a line of the configured flow log format, with its newline,
// into records of up to 1,000 KiB and sends them with PutRecordBatch,
// batching within the Firehose quotas and retrying only what was not
// accepted. Whatever cannot be delivered goes to the SQS dead-letter queue
// with its reason (see Handler, Sender and DeadLetter). It runs on the provided.al2023 runtime (arm64), built with
// -tags lambda.norpc.
//
// Configuration (environment, validated at cold start):
//
//	DELIVERY_STREAM_NAME  Firehose stream name (required)
//	DEAD_LETTER_QUEUE_URL SQS queue URL for dead letters (required)
//	FLOW_LOG_FORMAT       flow log format, "${version} ${account-id} ..." (required)
//	MAX_ATTEMPTS          PutRecordBatch attempts per batch (default 8)
//	BACKOFF_BASE          first retry delay before jitter (default 100ms)
//	BACKOFF_MAX           longest retry delay (default 5s)
//	CALL_TIMEOUT          timeout of one PutRecordBatch call (default 10s)
//	DEADLINE_MARGIN       time kept free before the invocation deadline (default 3s)
//	LOG_LEVEL             DEBUG, INFO, WARN or ERROR (default INFO)
//
// Logs are JSON lines (log/slog) on stdout; each invocation ends with a
// summary line counting events, records sent, malformed events and
// payloads, non-flow-log lines, oversize lines, calls and retries.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func main() {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		fatal(slog.New(slog.NewJSONHandler(os.Stdout, nil)), "invalid configuration", err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))

	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fatal(logger, "loading AWS configuration", err)
	}
	h := NewHandler(cfg, NewFirehoseClient(awsCfg), nil, logger)
	h.dlq = &DeadLetterQueue{API: NewSQSClient(awsCfg), QueueURL: cfg.DeadLetterQueueURL, Sender: h.sender}
	logger.Debug("forwarder ready", slog.String("stream", cfg.StreamName), slog.Int("fields", len(cfg.Fields)))
	lambda.Start(h)
}

// NewFirehoseClient returns the Firehose client the function uses. The SDK's
// own retries are turned off: the Sender retries, record by record, within
// the invocation's deadline, and two layers of retries would multiply.
func NewFirehoseClient(awsCfg aws.Config, optFns ...func(*firehose.Options)) *firehose.Client {
	opts := append([]func(*firehose.Options){func(o *firehose.Options) {
		o.Retryer = aws.NopRetryer{}
	}}, optFns...)
	return firehose.NewFromConfig(awsCfg, opts...)
}

// NewSQSClient returns the dead-letter queue's client, without SDK retries
// for the same reason as NewFirehoseClient.
func NewSQSClient(awsCfg aws.Config, optFns ...func(*sqs.Options)) *sqs.Client {
	opts := append([]func(*sqs.Options){func(o *sqs.Options) {
		o.Retryer = aws.NopRetryer{}
	}}, optFns...)
	return sqs.NewFromConfig(awsCfg, opts...)
}

// fatal logs a cold-start failure and exits; Lambda reports the init error.
func fatal(logger *slog.Logger, msg string, err error) {
	logger.Error(msg, slog.Any("error", err))
	os.Exit(1)
}
