package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/wait"
)

// URLSource gives the webhook URL; *WebhookSource is one.
type URLSource interface {
	URL(ctx context.Context) (string, error)
	Invalidate()
}

// Poster posts messages to the incoming webhook.
//
// What it does with failures:
//
//   - 429 Too Many Requests: waits what Retry-After says (or the backoff
//     when it says nothing), then posts again.
//   - 5xx, 408, timeouts and network errors: retries with exponential
//     backoff and jitter.
//   - Any other 4xx (invalid_payload, no_service, channel_not_found,
//     action_prohibited, ...): no retry in this invocation; retrying the same
//     post cannot fix it. On 403, 404 and 410 it drops the cached URL, so a
//     URL rotated in Secrets Manager is read for Lambda's retry.
//   - When the attempts (MaxAttempts) or the time before the invocation's
//     deadline (less DeadlineMargin) run out, or Retry-After asks for longer
//     than is left, Post fails. The handler then fails the invocation, so
//     Lambda retries it twice (minutes apart) and then sends the event to
//     the on-failure queue; the function's Errors alarm and the queue-depth
//     alarm notify the alarm topic's e-mail subscribers.
//
// The webhook URL never appears in a log line or an error.
type Poster struct {
	Client *http.Client
	URLs   URLSource
	Config PostConfig
	Logger *slog.Logger
	// Sleep, Now and Rand are the clock and jitter, replaceable in tests.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	Rand  func() float64
}

// PostError is a message that could not be posted.
type PostError struct {
	// Status is the HTTP status of the last attempt (0: no response).
	Status int
	// Reason is Slack's error text (e.g. "invalid_payload") or the
	// transport error, without the URL.
	Reason   string
	Attempts int
	// Permanent is set for a client error no retry can fix.
	Permanent bool
	cause     error
}

func (e *PostError) Error() string {
	kind := "gave up"
	if e.Permanent {
		kind = "refused"
	}
	status := "no response"
	if e.Status != 0 {
		status = fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("Slack webhook post %s after %d attempt(s): %s: %s", kind, e.Attempts, status, e.Reason)
}

func (e *PostError) Unwrap() error { return e.cause }

// attempt is the outcome of one post.
type attempt struct {
	status     int
	reason     string
	retryAfter time.Duration // from Retry-After, 0 if absent
	err        error         // transport error, redacted
}

func (a attempt) ok() bool { return a.err == nil && a.status >= 200 && a.status < 300 }

func (a attempt) retryable() bool {
	return a.err != nil || a.status == http.StatusTooManyRequests || a.status == http.StatusRequestTimeout || a.status >= 500
}

// maxReasonLen bounds how much of a response body is kept: Slack answers
// errors with a short code.
const maxReasonLen = 200

// Post sends one JSON payload, retrying as the type's documentation says.
func (p *Poster) Post(ctx context.Context, payload []byte) error {
	deadline, hasDeadline := ctx.Deadline()
	budgetEnd := deadline.Add(-p.Config.DeadlineMargin)
	for n := 1; ; n++ {
		webhook, err := p.URLs.URL(ctx)
		if err != nil {
			return err
		}
		red := newRedactor(webhook)
		callTimeout := p.Config.CallTimeout
		if hasDeadline {
			callTimeout = min(callTimeout, budgetEnd.Sub(p.Now()))
		}
		var a attempt
		if callTimeout <= 0 {
			a = attempt{reason: "no time left before the invocation's deadline", err: context.DeadlineExceeded}
		} else {
			a = p.try(ctx, webhook, payload, callTimeout, red)
		}
		if a.ok() {
			p.Logger.Info("posted to Slack", slog.Int("attempts", n), slog.Int("status", a.status))
			return nil
		}
		fail := &PostError{Status: a.status, Reason: a.reason, Attempts: n, Permanent: !a.retryable(), cause: a.err}
		if fail.Permanent {
			if a.status == http.StatusForbidden || a.status == http.StatusNotFound || a.status == http.StatusGone {
				p.URLs.Invalidate()
			}
			return fail
		}
		if ctx.Err() != nil || n >= p.Config.MaxAttempts {
			return fail
		}
		delay := backoff(n, p.Config.BackoffBase, p.Config.BackoffMax, p.Rand())
		if a.retryAfter > 0 {
			delay = a.retryAfter
		}
		if hasDeadline && p.Now().Add(delay).After(budgetEnd) {
			fail.Reason += fmt.Sprintf(" (the next post would be due in %s, past the invocation's deadline; Lambda retries the event later)", delay)
			return fail
		}
		p.Logger.Warn("Slack webhook post failed; retrying",
			slog.Int("attempt", n), slog.Int("status", a.status), slog.String("reason", a.reason), slog.Duration("delay", delay))
		if err := p.Sleep(ctx, delay); err != nil {
			return fail
		}
	}
}

// try posts once within timeout.
func (p *Poster) try(ctx context.Context, webhook string, payload []byte, timeout time.Duration, red redactor) attempt {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(payload))
	if err != nil {
		return attempt{reason: "building the request failed", err: red.Error(err)}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := p.Client.Do(req)
	if err != nil {
		err = red.Error(err)
		return attempt{reason: err.Error(), err: err}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxReasonLen))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // let the connection be reused
	a := attempt{status: resp.StatusCode, reason: red.String(strings.TrimSpace(string(body)))}
	if a.reason == "" {
		a.reason = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		a.retryAfter = retryAfter(resp.Header.Get("Retry-After"), p.Now())
	}
	return a
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(time.Duration(s)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// backoff returns the delay before retry n (1 for the first retry): base
// doubled per retry and capped at max, with "equal jitter", a uniform pick
// in [d/2, d) for r in [0, 1).
func backoff(n int, base, max time.Duration, r float64) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	return d/2 + time.Duration(r*float64(d/2))
}

// NewPoster returns a Poster with the real clock.
func NewPoster(client *http.Client, urls URLSource, cfg PostConfig, logger *slog.Logger) *Poster {
	return &Poster{Client: client, URLs: urls, Config: cfg, Logger: logger, Sleep: wait.Sleep, Now: time.Now, Rand: rand.Float64}
}
