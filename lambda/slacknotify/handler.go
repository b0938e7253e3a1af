package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

// Handler is the Lambda function: for each SNS notification of the alarm
// topic it posts a readable message to Slack. A message that cannot be
// posted fails the invocation (see Poster for what is retried first).
type Handler struct {
	Formatter Formatter
	Poster    *Poster
	Logger    *slog.Logger
}

// NewHandler returns the handler for cfg, posting through poster.
func NewHandler(cfg Config, poster *Poster, logger *slog.Logger) *Handler {
	return &Handler{
		Formatter: Formatter{LogGroup: cfg.LogGroup, Fields: cfg.Fields, Region: cfg.Region},
		Poster:    poster,
		Logger:    logger,
	}
}

// Handle is the Lambda entry point. SNS delivers one record per invocation;
// every record is tried, and the invocation fails if any is not posted.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	var errs []error
	for _, r := range ev.Records {
		n := r.SNS
		attrs := []any{slog.String("message_id", n.MessageID)}
		if a, ok := ParseAlarm(n.Message); ok {
			attrs = append(attrs, slog.String("alarm", a.AlarmName), slog.String("state", a.OldStateValue+" -> "+a.NewStateValue))
		} else {
			attrs = append(attrs, slog.String("subject", n.Subject))
		}
		payload, err := h.Formatter.Format(n).Encode("")
		if err != nil {
			errs = append(errs, fmt.Errorf("message %s: encoding the Slack message: %w", n.MessageID, err))
			continue
		}
		if err := h.Poster.Post(ctx, payload); err != nil {
			h.Logger.Error("not posted to Slack", append(attrs, slog.Any("error", err))...)
			errs = append(errs, fmt.Errorf("message %s: %w", n.MessageID, err))
			continue
		}
		h.Logger.Info("alarm posted to Slack", attrs...)
	}
	return errors.Join(errs...)
}
