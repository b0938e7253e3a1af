package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretGetter reads a Secrets Manager secret; *secretsmanager.Client is one.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// WebhookSource holds the incoming-webhook URL, read from Secrets Manager at
// cold start and again after Invalidate (when Slack says the webhook is gone,
// so a URL rotated in the secret is picked up by Lambda's retry). The URL is
// never logged and no error carries it.
type WebhookSource struct {
	API      SecretGetter
	SecretID string

	mu  sync.Mutex
	url string
}

// URL returns the webhook URL, reading the secret when none is cached.
func (s *WebhookSource) URL(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.url != "" {
		return s.url, nil
	}
	out, err := s.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(s.SecretID)})
	if err != nil {
		return "", fmt.Errorf("reading the webhook URL from secret %s: %w", s.SecretID, err)
	}
	u, err := webhookFromSecret(aws.ToString(out.SecretString))
	if err != nil {
		return "", fmt.Errorf("secret %s: %w", s.SecretID, err)
	}
	s.url = u
	return u, nil
}

// Invalidate drops the cached URL; the next URL call reads the secret again.
func (s *WebhookSource) Invalidate() {
	s.mu.Lock()
	s.url = ""
	s.mu.Unlock()
}

// webhookFromSecret takes the URL out of a secret value: the URL itself, or
// a JSON object with a "url" or "webhookUrl" member. Errors say what is
// wrong without quoting the value.
func webhookFromSecret(value string) (string, error) {
	v := strings.TrimSpace(value)
	if strings.HasPrefix(v, "{") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(v), &obj); err != nil {
			return "", errors.New("the value is neither a URL nor a JSON object")
		}
		s, _ := obj["url"].(string)
		if s == "" {
			s, _ = obj["webhookUrl"].(string)
		}
		v = strings.TrimSpace(s)
	}
	if v == "" {
		return "", errors.New("the value holds no webhook URL (a string value, or JSON with \"url\")")
	}
	if why := webhookProblem(v); why != "" {
		return "", errors.New("the value is not an https:// incoming-webhook URL: " + why)
	}
	return v, nil
}

// webhookProblem says what is wrong with a webhook URL without repeating it.
func webhookProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "it is not a URL"
	case u.Scheme != "https":
		return "it must start with https://"
	case u.Host == "":
		return "it has no host"
	case u.User != nil:
		return "it must not carry a user name or password"
	}
	return ""
}

// redactor removes the webhook URL, and its token-bearing path, from text
// that may quote it (transport errors quote the request URL).
type redactor struct{ secrets []string }

func newRedactor(rawURL string) redactor {
	r := redactor{secrets: []string{rawURL}}
	if u, err := url.Parse(rawURL); err == nil {
		for _, s := range []string{u.EscapedPath(), u.Path, u.RawQuery} {
			if len(s) > 1 {
				r.secrets = append(r.secrets, s)
			}
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if len(seg) >= 8 { // token-like segments of the path
				r.secrets = append(r.secrets, seg)
			}
		}
	}
	return r
}

func (r redactor) String(s string) string {
	for _, secret := range r.secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// Error returns err with the secrets removed from its text (nil stays nil).
// A *url.Error keeps only its operation and cause, without the URL.
func (r redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Op + " webhook: " + ue.Err.Error()
	}
	return &redactedError{msg: r.String(msg), cause: safeCause(err)}
}

// redactedError has a message without secrets. It unwraps only to a
// sentinel (a context error), so errors.Is still sees timeouts and
// cancellations but nothing can print the original text through it.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error { return e.cause }

func safeCause(err error) error {
	for _, sentinel := range []error{context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, sentinel) {
			return sentinel
		}
	}
	return nil
}
