package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

const goodHook = "https://hooks.slack.com" + hookPath

func TestWebhookSourceReadsOnceAndAfterInvalidate(t *testing.T) {
	s := newFakeSecrets(t, goodHook)
	src := &WebhookSource{API: s.client(), SecretID: secretArn}
	for range 3 {
		u, err := src.URL(context.Background())
		if err != nil || u != goodHook {
			t.Fatalf("URL = %q, %v", u, err)
		}
	}
	if s.calls != 1 {
		t.Errorf("secret read %d times, want once (cold start)", s.calls)
	}
	src.Invalidate()
	s.set(" " + goodHook + "?x=1 ")
	if u, err := src.URL(context.Background()); err != nil || u != goodHook+"?x=1" || s.calls != 2 {
		t.Errorf("after Invalidate: %q, %v, %d reads", u, err, s.calls)
	}
}

func TestWebhookFromSecretForms(t *testing.T) {
	for value, want := range map[string]string{
		goodHook:                      goodHook,
		`{"url": "` + goodHook + `"}`: goodHook,
		`{"webhookUrl": "` + goodHook + `", "a":1}`: goodHook,
	} {
		if got, err := webhookFromSecret(value); err != nil || got != want {
			t.Errorf("webhookFromSecret(%q) = %q, %v", value, got, err)
		}
	}
}

// A secret that does not hold a usable URL is reported without its value.
func TestWebhookSourceErrorsNeverShowTheValue(t *testing.T) {
	for name, value := range map[string]string{
		"plain http":  "http://hooks.slack.com" + hookPath,
		"no scheme":   "hooks.slack.com" + hookPath,
		"empty":       "  ",
		"json no url": `{"token": "` + hookToken + `"}`,
		"bad json":    `{"url": "` + hookToken,
		"user info":   "https://x:" + hookToken + "@hooks.slack.com/services",
	} {
		t.Run(name, func(t *testing.T) {
			s := newFakeSecrets(t, value)
			_, err := (&WebhookSource{API: s.client(), SecretID: secretArn}).URL(context.Background())
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), hookToken) || strings.Contains(err.Error(), "hooks.slack.com") {
				t.Errorf("error shows the secret value: %v", err)
			}
			if !strings.Contains(err.Error(), secretArn) {
				t.Errorf("error does not name the secret: %v", err)
			}
		})
	}
}

func TestWebhookSourceAccessDenied(t *testing.T) {
	s := newFakeSecrets(t, goodHook)
	s.deny = true
	_, err := (&WebhookSource{API: s.client(), SecretID: secretArn}).URL(context.Background())
	if err == nil || !strings.Contains(err.Error(), "AccessDeniedException") || !strings.Contains(err.Error(), "reading the webhook URL") {
		t.Errorf("err = %v", err)
	}
}

func TestRedactor(t *testing.T) {
	r := newRedactor(goodHook)
	in := fmt.Errorf(`Post %q: dial tcp: lookup hooks.slack.com: no such host; path %s; token %s`, goodHook, hookPath, hookToken)
	got := r.Error(in).Error()
	if strings.Contains(got, hookToken) || strings.Contains(got, hookPath) {
		t.Errorf("redacted error still holds the secret: %s", got)
	}
	if r.Error(nil) != nil {
		t.Error("nil error redacted to non-nil")
	}
	if !errors.Is(r.Error(fmt.Errorf("x: %w", context.DeadlineExceeded)), context.DeadlineExceeded) {
		t.Error("a redacted timeout is no longer a timeout")
	}
}

// The redactor removes the whole path, and a token-like segment (8
// characters or more) wherever it appears alone; a one-character path or
// query is no secret, and redacting it would mangle every message.
func TestRedactorPieces(t *testing.T) {
	const hook = "https://hooks.slack.com/services/T000/B000/abcdefgh"
	r := newRedactor(hook)
	in := "POST " + hook + ": x; path /services/T000/B000/abcdefgh; token abcdefgh"
	if got, want := r.String(in), "POST [redacted]: x; path [redacted]; token [redacted]"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if got := newRedactor("https://hooks.example.com/?a").String("a path /"); got != "a path /" {
		t.Errorf("one-character path and query redacted: %q", got)
	}
}
