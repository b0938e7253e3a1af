package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// The webhook path a test posts to; its last segment is the token, which
// must never appear in a log line or an error.
const (
	hookPath  = "/services/T0TESTTEAM/B0TESTHOOK/s3cr3tT0kenValue0123456789"
	hookToken = "s3cr3tT0kenValue0123456789"
	secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-webhook-a1b2c3-AbCdEf"
)

var testAWS = aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")}

// reply is what the fake webhook answers to one post.
type reply struct {
	status     int
	body       string
	retryAfter string
	// stall times the post out: the fake answers at once with a marker that
	// the test client's transport (stallTransport) turns into the error the
	// client gives when a post's timeout ends, so no real timer decides which
	// post times out (a slow good post on a loaded machine could too).
	stall bool
}

func ok() reply { return reply{status: 200, body: "ok"} }

// fakeSlack is a local HTTPS server standing in for a Slack incoming
// webhook. It checks each post the way Slack would (POST, JSON with text
// and blocks, to the webhook's path) and answers as the test scripts.
type fakeSlack struct {
	t      *testing.T
	srv    *httptest.Server
	script func(n int) reply

	mu     sync.Mutex
	posts  []map[string]any
	closed bool
}

func newFakeSlack(t *testing.T, script func(n int) reply) *fakeSlack {
	f := &fakeSlack{t: t, script: script}
	f.srv = httptest.NewTLSServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.close)
	return f
}

func (f *fakeSlack) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		f.srv.Close()
	}
}

// url is the webhook URL of the fake: https, with the token in the path.
func (f *fakeSlack) url() string { return f.srv.URL + hookPath }

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	n := len(f.posts)
	var msg map[string]any
	if r.Method != http.MethodPost || r.URL.Path != hookPath || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		f.t.Errorf("unexpected request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg["text"] == nil {
		f.t.Errorf("post is not a webhook message: %v %s", err, body)
	}
	f.posts = append(f.posts, msg)
	f.mu.Unlock()

	rep := ok()
	if f.script != nil {
		rep = f.script(n)
	}
	if rep.stall {
		w.Header().Set(stallHeader, "1")
		w.WriteHeader(http.StatusOK)
		return
	}
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (f *fakeSlack) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts)
}

// fakeSecrets is Secrets Manager speaking the JSON 1.1 protocol of
// GetSecretValue, checking SigV4 signing for secretsmanager.
type fakeSecrets struct {
	t   *testing.T
	srv *httptest.Server

	mu    sync.Mutex
	value string
	deny  bool
	calls int
}

func newFakeSecrets(t *testing.T, value string) *fakeSecrets {
	s := &fakeSecrets{t: t, value: value}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fakeSecrets) set(value string) {
	s.mu.Lock()
	s.value = value
	s.mu.Unlock()
}

func (s *fakeSecrets) client() *secretsmanager.Client {
	return secretsmanager.NewFromConfig(testAWS, func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(s.srv.URL)
		o.RetryMaxAttempts = 1
	})
}

func (s *fakeSecrets) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	body, _ := io.ReadAll(r.Body)
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDTEST/") || !strings.Contains(auth, "/secretsmanager/aws4_request") {
		s.t.Errorf("GetSecretValue not SigV4-signed for secretsmanager: %q", auth)
	}
	if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
		s.t.Errorf("unexpected target %q", r.Header.Get("X-Amz-Target"))
	}
	var in struct {
		SecretID string `json:"SecretId"`
	}
	json.Unmarshal(body, &in)
	awsErr := func(typ, msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
	}
	switch {
	case s.deny:
		awsErr("AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/slack-notify-role/fn is not authorized to perform: secretsmanager:GetSecretValue on resource: "+in.SecretID)
	case in.SecretID != secretArn:
		awsErr("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		json.NewEncoder(w).Encode(map[string]any{"ARN": secretArn, "Name": "slack-webhook-a1b2c3", "VersionId": "v1",
			"VersionStages": []string{"AWSCURRENT"}, "SecretString": s.value, "CreatedDate": 1.718e9})
	}
}

// fakeClock is the Poster's clock: Sleep records the delay and moves Now.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// syncBuffer collects log lines from concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv is a Handler wired to a fakeSlack through a WebhookSource that
// reads the fake's URL from a fakeSecrets, with a fake clock.
type testEnv struct {
	h       *Handler
	slack   *fakeSlack
	secrets *fakeSecrets
	urls    *WebhookSource
	clock   *fakeClock
	logs    *syncBuffer
}

func newTestEnv(t *testing.T, script func(n int) reply, post PostConfig) *testEnv {
	t.Helper()
	slack := newFakeSlack(t, script)
	secrets := newFakeSecrets(t, slack.url())
	urls := &WebhookSource{API: secrets.client(), SecretID: secretArn}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := &fakeClock{now: time.Now()}
	client := slack.srv.Client()
	client.Transport = stallTransport{client.Transport}
	poster := NewPoster(client, urls, post, logger)
	poster.Sleep, poster.Now = clock.Sleep, clock.Now
	poster.Rand = func() float64 { return 0.5 }
	cfg := Config{LogGroup: testLogGroup, Fields: testFormatter().Fields, Region: "us-east-1"}
	env := &testEnv{h: NewHandler(cfg, poster, logger), slack: slack, secrets: secrets, urls: urls, clock: clock, logs: logs}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	return env
}

// assertNoSecret fails when the webhook URL or its token shows in the logs
// or in err.
func (e *testEnv) assertNoSecret(t *testing.T, err error) {
	t.Helper()
	texts := []string{e.logs.String()}
	if err != nil {
		texts = append(texts, err.Error())
	}
	for _, s := range texts {
		if strings.Contains(s, hookToken) || strings.Contains(s, hookPath) || strings.Contains(s, e.slack.url()) {
			t.Errorf("the webhook URL leaks:\n%s", s)
		}
	}
}

// stallHeader marks the fake's answer to a post it stalls.
const stallHeader = "X-Fake-Stall"

// stallTransport reports a stalled post as the HTTP client does when the
// post's context times out: no response and context.DeadlineExceeded.
type stallTransport struct{ http.RoundTripper }

func (s stallTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.RoundTripper.RoundTrip(r)
	if err == nil && resp.Header.Get(stallHeader) != "" {
		resp.Body.Close()
		return nil, fmt.Errorf("fake Slack: no answer before the post's timeout: %w", context.DeadlineExceeded)
	}
	return resp, err
}
