package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/osclient"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/envconfig"
)

// Environment variables of the indexer function.
const (
	// EnvEndpoint is the domain's URL, https://... (required).
	EnvEndpoint = "OPENSEARCH_ENDPOINT"
	// EnvIndexPrefix is the index prefix: documents go to <prefix>-YYYY.MM.DD
	// (default "cwl").
	EnvIndexPrefix = "INDEX_PREFIX"
	// EnvFlowLogFormat is the flow log's format, "${version} ${srcaddr} ..." (required).
	EnvFlowLogFormat = "FLOW_LOG_FORMAT"
	// EnvDeadLetterQueueURL is the SQS queue for documents that will never
	// be indexed (required).
	EnvDeadLetterQueueURL = "DEAD_LETTER_QUEUE_URL"
	// EnvRegion is the function's region, set by Lambda (required).
	EnvRegion = "AWS_REGION"
	// EnvBulkMaxBytes caps a _bulk request body (default 5 MiB).
	EnvBulkMaxBytes = "BULK_MAX_BYTES"
	// EnvBulkMaxAttempts is the number of tries of a document (default 6).
	EnvBulkMaxAttempts = "BULK_MAX_ATTEMPTS"
	// EnvRequestTimeout bounds one OpenSearch request, as a Go duration
	// (default 30s); each request is also cut off before the invocation's
	// deadline (BulkSender.Reserve).
	EnvRequestTimeout = "OPENSEARCH_REQUEST_TIMEOUT"
)

// Config is the indexer's configuration, read from the environment.
type Config struct {
	Endpoint           string
	IndexPrefix        string
	Fields             []flowlog.Field
	DeadLetterQueueURL string
	Region             string
	BulkMaxBytes       int
	BulkMaxAttempts    int
	RequestTimeout     time.Duration
}

// LoadConfig reads and checks the configuration; lookup is os.LookupEnv in
// the function. Every problem is reported, not only the first.
func LoadConfig(lookup func(string) (string, bool)) (Config, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	var errs []error
	bad := func(k string, err error) { errs = append(errs, fmt.Errorf("%s: %w", k, err)) }

	c := Config{
		Endpoint:           strings.TrimRight(get(EnvEndpoint), "/"),
		IndexPrefix:        get(EnvIndexPrefix),
		DeadLetterQueueURL: get(EnvDeadLetterQueueURL),
		Region:             get(EnvRegion),
		BulkMaxBytes:       DefaultMaxBodyBytes,
		BulkMaxAttempts:    DefaultMaxAttempts,
		RequestTimeout:     DefaultRequestTimeout,
	}
	if c.Endpoint == "" {
		bad(EnvEndpoint, errors.New("required (the OpenSearch domain's https:// endpoint)"))
	} else if err := osclient.ValidateEndpoint(c.Endpoint, true); err != nil {
		bad(EnvEndpoint, err)
	}
	if c.IndexPrefix == "" {
		c.IndexPrefix = document.DefaultIndexPrefix
	}
	if err := document.ValidateIndexPrefix(c.IndexPrefix); err != nil {
		bad(EnvIndexPrefix, err)
	}
	if f := get(EnvFlowLogFormat); f == "" {
		bad(EnvFlowLogFormat, errors.New(`required (the flow log's format, e.g. "${version} ${account-id} ...")`))
	} else if fields, err := flowlog.ParseLogFormat(f); err != nil {
		bad(EnvFlowLogFormat, err)
	} else if _, err := document.Properties(fields); err != nil {
		bad(EnvFlowLogFormat, err)
	} else {
		c.Fields = fields
	}
	if err := envconfig.QueueURL(c.DeadLetterQueueURL); err != nil {
		bad(EnvDeadLetterQueueURL, err)
	}
	if c.Region == "" {
		bad(EnvRegion, errors.New("required"))
	}
	if v := get(EnvBulkMaxBytes); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 64<<10 || n > 100<<20 {
			bad(EnvBulkMaxBytes, fmt.Errorf("%q is not a byte count between 65536 and 104857600", v))
		} else {
			c.BulkMaxBytes = n
		}
	}
	if v := get(EnvBulkMaxAttempts); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 20 {
			bad(EnvBulkMaxAttempts, fmt.Errorf("%q is not a number between 1 and 20", v))
		} else {
			c.BulkMaxAttempts = n
		}
	}
	if v := get(EnvRequestTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second || d > 15*time.Minute {
			bad(EnvRequestTimeout, fmt.Errorf("%q is not a duration between 1s and 15m", v))
		} else {
			c.RequestTimeout = d
		}
	}
	if len(errs) > 0 {
		return Config{}, fmt.Errorf("invalid indexer configuration: %w", errors.Join(errs...))
	}
	return c, nil
}
