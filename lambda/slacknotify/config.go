package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/envconfig"
)

// Environment variables read at cold start. None holds the webhook URL.
const (
	// EnvWebhookSecretArn is the Secrets Manager secret (ARN or name) whose
	// string value is the incoming-webhook URL (required).
	EnvWebhookSecretArn = "WEBHOOK_SECRET_ARN"
	// EnvLogGroupName is the flow-log log group the Logs Insights link
	// queries (optional: no link without it).
	EnvLogGroupName = "LOG_GROUP_NAME"
	// EnvFlowLogFormat is the flow log's format, "${version} ${account-id} ..."
	// (required with LOG_GROUP_NAME), for the query's parse expression.
	EnvFlowLogFormat = "FLOW_LOG_FORMAT"
	// EnvMaxAttempts is the number of posts per message, the first included
	// (default 4).
	EnvMaxAttempts = "MAX_ATTEMPTS"
	// EnvBackoffBase is the first retry delay before jitter (default 500ms).
	EnvBackoffBase = "BACKOFF_BASE"
	// EnvBackoffMax caps the retry delay (default 8s).
	EnvBackoffMax = "BACKOFF_MAX"
	// EnvCallTimeout bounds one post (default 10s).
	EnvCallTimeout = "CALL_TIMEOUT"
	// EnvDeadlineMargin is how long before the invocation's deadline the
	// function stops retrying and fails, so Lambda's own retries take over
	// (default 2s).
	EnvDeadlineMargin = "DEADLINE_MARGIN"
	// EnvLogLevel is DEBUG, INFO (default), WARN or ERROR.
	EnvLogLevel = "LOG_LEVEL"
	// EnvRegion is set by Lambda; links use it when an alarm names no Region.
	EnvRegion = "AWS_REGION"
)

// Config is the function's validated configuration.
type Config struct {
	SecretID string
	// LogGroup and Fields feed the Logs Insights link ("" and nil: no link).
	LogGroup string
	Fields   []flowlog.Field
	Region   string
	Post     PostConfig
	LogLevel slog.Level
}

// PostConfig is how the function posts and retries.
type PostConfig struct {
	MaxAttempts    int
	BackoffBase    time.Duration
	BackoffMax     time.Duration
	CallTimeout    time.Duration
	DeadlineMargin time.Duration
}

// DefaultPostConfig is the posting behaviour without overrides: four posts
// over about 15 seconds at most, well inside the 60-second timeout.
func DefaultPostConfig() PostConfig {
	return PostConfig{MaxAttempts: 4, BackoffBase: 500 * time.Millisecond, BackoffMax: 8 * time.Second,
		CallTimeout: 10 * time.Second, DeadlineMargin: 2 * time.Second}
}

// LoadConfig reads and validates the configuration from getenv (os.Getenv
// in the function). It reports every problem at once.
func LoadConfig(getenv func(string) string) (Config, error) {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	cfg := Config{Post: DefaultPostConfig(), LogLevel: slog.LevelInfo}
	cfg.SecretID = strings.TrimSpace(getenv(EnvWebhookSecretArn))
	if cfg.SecretID == "" {
		fail("%s is required: the Secrets Manager secret that holds the incoming-webhook URL", EnvWebhookSecretArn)
	}
	cfg.Region = strings.TrimSpace(getenv(EnvRegion))
	cfg.LogGroup = strings.TrimSpace(getenv(EnvLogGroupName))
	format := strings.TrimSpace(getenv(EnvFlowLogFormat))
	switch {
	case format != "":
		fields, err := flowlog.ParseLogFormat(format)
		if err != nil {
			fail("%s: %v", EnvFlowLogFormat, err)
		}
		cfg.Fields = fields
	case cfg.LogGroup != "":
		fail("%s is required with %s: the flow log format, e.g. %q", EnvFlowLogFormat, EnvLogGroupName, flowlog.LogFormat(flowlog.V2Fields()))
	}

	intVar := func(name string, dst *int, min, max int) { envconfig.Int(getenv, fail, name, dst, min, max) }
	durVar := func(name string, dst *time.Duration, min, max time.Duration) {
		envconfig.Duration(getenv, fail, name, dst, min, max)
	}
	intVar(EnvMaxAttempts, &cfg.Post.MaxAttempts, 1, 20)
	durVar(EnvBackoffBase, &cfg.Post.BackoffBase, time.Millisecond, time.Minute)
	durVar(EnvBackoffMax, &cfg.Post.BackoffMax, time.Millisecond, 5*time.Minute)
	durVar(EnvCallTimeout, &cfg.Post.CallTimeout, 100*time.Millisecond, 5*time.Minute)
	durVar(EnvDeadlineMargin, &cfg.Post.DeadlineMargin, 0, time.Minute)
	if cfg.Post.BackoffMax < cfg.Post.BackoffBase {
		fail("%s (%s) must not be below %s (%s)", EnvBackoffMax, cfg.Post.BackoffMax, EnvBackoffBase, cfg.Post.BackoffBase)
	}
	envconfig.LogLevel(getenv, fail, EnvLogLevel, &cfg.LogLevel)
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("slacknotify configuration: %w", err)
	}
	return cfg, nil
}
