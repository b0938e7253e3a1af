package main

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/envconfig"
)

// Environment variables read at cold start.
const (
	// EnvDeliveryStream names the Firehose stream (required).
	EnvDeliveryStream = "DELIVERY_STREAM_NAME"
	// EnvFlowLogFormat is the flow log's format, "${version} ${account-id} ..."
	// (required). Lines that do not parse with it are not forwarded.
	EnvFlowLogFormat = "FLOW_LOG_FORMAT"
	// EnvMaxAttempts is the number of PutRecordBatch attempts per batch,
	// the first included (default 8).
	EnvMaxAttempts = "MAX_ATTEMPTS"
	// EnvBackoffBase is the first retry delay before jitter (default 100ms).
	EnvBackoffBase = "BACKOFF_BASE"
	// EnvBackoffMax caps the retry delay (default 5s).
	EnvBackoffMax = "BACKOFF_MAX"
	// EnvCallTimeout bounds one PutRecordBatch call (default 10s).
	EnvCallTimeout = "CALL_TIMEOUT"
	// EnvDeadlineMargin is how long before the invocation's deadline the
	// forwarder stops retrying, to report failures before Lambda times the
	// function out (default 3s).
	EnvDeadlineMargin = "DEADLINE_MARGIN"
	// EnvLogLevel is DEBUG, INFO (default), WARN or ERROR.
	EnvLogLevel = "LOG_LEVEL"
	// EnvDeadLetterQueueURL is the SQS queue that receives what cannot be
	// delivered, as DeadLetter messages (required).
	EnvDeadLetterQueueURL = "DEAD_LETTER_QUEUE_URL"
)

// Config is the forwarder's validated configuration.
type Config struct {
	// StreamName is the Firehose stream that receives the records.
	StreamName string
	// Fields is the flow log format that every forwarded line must match.
	Fields []flowlog.Field
	// Send holds the batching and retry settings.
	Send SendConfig
	// LogLevel is the minimum level logged.
	LogLevel slog.Level
	// DeadLetterQueueURL is the SQS queue of dead letters.
	DeadLetterQueueURL string
}

// streamNamePattern is Firehose's rule for stream names.
var streamNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)

// LoadConfig reads and validates the configuration from getenv (os.Getenv
// in the function). It reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	cfg := Config{Send: DefaultSendConfig(), LogLevel: slog.LevelInfo}
	cfg.StreamName = strings.TrimSpace(getenv(EnvDeliveryStream))
	switch {
	case cfg.StreamName == "":
		fail("%s is required: the name of the Firehose stream to send flow log records to", EnvDeliveryStream)
	case !streamNamePattern.MatchString(cfg.StreamName):
		fail("%s=%q is not a Firehose stream name (1-64 of a-z A-Z 0-9 _ . -)", EnvDeliveryStream, cfg.StreamName)
	}
	cfg.Send.StreamName = cfg.StreamName

	cfg.DeadLetterQueueURL = strings.TrimSpace(getenv(EnvDeadLetterQueueURL))
	if err := envconfig.QueueURL(cfg.DeadLetterQueueURL); err != nil {
		fail("%s: %v", EnvDeadLetterQueueURL, err)
	}

	if format := strings.TrimSpace(getenv(EnvFlowLogFormat)); format == "" {
		fail("%s is required: the flow log format, e.g. %q", EnvFlowLogFormat, flowlog.LogFormat(flowlog.V2Fields()))
	} else if fields, err := flowlog.ParseLogFormat(format); err != nil {
		fail("%s: %v", EnvFlowLogFormat, err)
	} else {
		cfg.Fields = fields
	}

	intVar := func(name string, dst *int, min, max int) { envconfig.Int(getenv, fail, name, dst, min, max) }
	durVar := func(name string, dst *time.Duration, min, max time.Duration) {
		envconfig.Duration(getenv, fail, name, dst, min, max)
	}
	intVar(EnvMaxAttempts, &cfg.Send.MaxAttempts, 1, 100)
	durVar(EnvBackoffBase, &cfg.Send.BackoffBase, time.Millisecond, time.Minute)
	durVar(EnvBackoffMax, &cfg.Send.BackoffMax, time.Millisecond, 5*time.Minute)
	durVar(EnvCallTimeout, &cfg.Send.CallTimeout, 100*time.Millisecond, 15*time.Minute)
	durVar(EnvDeadlineMargin, &cfg.Send.DeadlineMargin, 0, 5*time.Minute)
	if cfg.Send.BackoffMax < cfg.Send.BackoffBase {
		fail("%s (%s) must not be below %s (%s)", EnvBackoffMax, cfg.Send.BackoffMax, EnvBackoffBase, cfg.Send.BackoffBase)
	}

	envconfig.LogLevel(getenv, fail, EnvLogLevel, &cfg.LogLevel)

	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("forwarder configuration: %w", err)
	}
	return cfg, nil
}
