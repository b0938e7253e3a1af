// Command slacknotify is the Lambda function that posts the flow-log alarm
// topic's notifications to a Slack incoming webhook as readable messages.
//
// Each CloudWatch alarm notification becomes one message: the rule (or
// alarm) name, the state change, threshold and observed datapoints, the
// evaluated window, the rule's filter pattern, the state reason, and links
// to the alarm and to a CloudWatch Logs Insights query that lists the
// matching flow-log records of the window (source, destination, port,
// action). Other notifications are posted with their subject and text.
//
// The webhook URL is a secret. The function reads it from Secrets Manager at
// cold start (WEBHOOK_SECRET_ARN names the secret, never the URL) and never
// logs it; errors that would quote it are redacted. Failed posts are retried
// (see Poster), then the invocation fails so Lambda's asynchronous retries
// and the on-failure queue take over.
//
// Configuration (environment, validated at cold start):
//
//	WEBHOOK_SECRET_ARN  secret holding the webhook URL (required)
//	LOG_GROUP_NAME      flow-log log group for the Logs Insights link (optional)
//	FLOW_LOG_FORMAT     flow log format, "${version} ${account-id} ..." (with LOG_GROUP_NAME)
//	MAX_ATTEMPTS        posts per message (default 4)
//	BACKOFF_BASE        first retry delay before jitter (default 500ms)
//	BACKOFF_MAX         longest retry delay (default 8s)
//	CALL_TIMEOUT        timeout of one post (default 10s)
//	DEADLINE_MARGIN     time kept free before the invocation deadline (default 2s)
//	LOG_LEVEL           DEBUG, INFO, WARN or ERROR (default INFO)
//
// It runs on the provided.al2023 runtime (arm64), built with -tags
// lambda.norpc. Logs are JSON lines (log/slog) on stdout.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func main() {
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		fatal(slog.New(slog.NewJSONHandler(os.Stdout, nil)), "invalid configuration", err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel}))

	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fatal(logger, "loading AWS configuration", err)
	}
	urls := &WebhookSource{API: secretsmanager.NewFromConfig(awsCfg), SecretID: cfg.SecretID}
	if _, err := urls.URL(ctx); err != nil { // cold start: fail early on a missing or bad secret
		fatal(logger, "reading the webhook URL", err)
	}
	h := NewHandler(cfg, NewPoster(&http.Client{}, urls, cfg.Post, logger), logger)
	logger.Debug("slacknotify ready", slog.String("secret", cfg.SecretID), slog.Bool("insights_link", cfg.LogGroup != ""))
	lambda.Start(h.Handle)
}

// fatal logs a cold-start failure and exits; Lambda reports the init error.
func fatal(logger *slog.Logger, msg string, err error) {
	logger.Error(msg, slog.Any("error", err))
	os.Exit(1)
}
