// Command indexer is the Lambda function that indexes VPC flow log records
// from a CloudWatch Logs subscription into OpenSearch. On a central stack it
// is fed instead by a Kinesis event source mapping on the data stream its
// members' CloudWatch Logs destination writes into: the same payloads, one
// per record (see kinesis.go).
//
// It runs in the VPC next to the private domain (provided.al2023, arm64,
// built with -tags lambda.norpc). Each invocation decodes the subscription
// payload, parses every record with the project's field catalog, writes
// one document per record into <INDEX_PREFIX>-YYYY.MM.DD with the CloudWatch
// event id as _id, and sends them with SigV4-signed _bulk requests. Documents
// OpenSearch rejects for good go to the SQS dead-letter queue with their
// reason; documents that still fail after retries fail the invocation, so
// that Lambda retries it and finally records it in the on-failure
// destination.
//
// Configuration is read from the environment at cold start; see config.go.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/osclient"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := NewHandlerFromEnv(context.Background(), os.LookupEnv, log, Deps{})
	if err != nil {
		log.Error("cold start failed", "error", err)
		os.Exit(1)
	}
	lambda.Start(h)
}

// Deps overrides how NewHandlerFromEnv reaches the services; the zero value
// is what the function uses. Tests point both clients at local servers.
type Deps struct {
	// OpenSearchTransport is the HTTP transport of the OpenSearch client.
	OpenSearchTransport http.RoundTripper
	// SQSOptions are applied to the SQS client.
	SQSOptions []func(*sqs.Options)
}

// NewHandlerFromEnv wires a Handler from the environment: the configuration
// (LoadConfig), the function's AWS credentials, the SigV4-signing OpenSearch
// client and the SQS client of the dead-letter queue.
func NewHandlerFromEnv(ctx context.Context, lookup func(string) (string, bool), log *slog.Logger, deps Deps) (*Handler, error) {
	cfg, err := LoadConfig(lookup)
	if err != nil {
		return nil, err
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region))
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	client, err := osclient.New(osclient.Options{Endpoint: cfg.Endpoint, AWS: awsCfg, Transport: deps.OpenSearchTransport})
	if err != nil {
		return nil, err
	}
	enc, err := document.NewEncoder(cfg.Fields, cfg.IndexPrefix)
	if err != nil {
		return nil, err
	}
	log.Info("indexer configured", "endpoint", cfg.Endpoint, "indexPrefix", cfg.IndexPrefix,
		"format", flowlog.LogFormat(cfg.Fields), "deadLetterQueue", cfg.DeadLetterQueueURL,
		"bulkMaxBytes", cfg.BulkMaxBytes, "bulkMaxAttempts", cfg.BulkMaxAttempts)
	return &Handler{
		Parser:      flowlog.NewParser(cfg.Fields),
		Encoder:     enc,
		Bulk:        &BulkSender{Client: client, MaxBodyBytes: cfg.BulkMaxBytes, MaxAttempts: cfg.BulkMaxAttempts, RequestTimeout: cfg.RequestTimeout},
		DeadLetters: &SQSDeadLetters{Client: sqs.NewFromConfig(awsCfg, deps.SQSOptions...), QueueURL: cfg.DeadLetterQueueURL},
		Log:         log,
	}, nil
}
