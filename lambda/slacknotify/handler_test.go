package main

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// fastPost is the default posting behaviour (a 10 s call timeout). The
// timeout cases are fast anyway and independent of the machine's speed: a
// post times out when the fake Slack stalls it (stallTransport), never by a
// real timer, so a slow post on a loaded machine cannot time out and a
// stalled one does not wait 10 s.
func fastPost() PostConfig {
	return DefaultPostConfig()
}

// invoke runs the handler on the golden SSH alarm within a Lambda-like
// deadline of 60 seconds (the function's timeout).
func (e *testEnv) invoke(t *testing.T) error {
	t.Helper()
	ev := readEvent(t, filepath.Join("testdata", "ssh-reject-alarm.sns.json"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return e.h.Handle(ctx, ev)
}

func TestPostSuccess(t *testing.T) {
	e := newTestEnv(t, nil, fastPost())
	err := e.invoke(t)
	if err != nil {
		t.Fatal(err)
	}
	if e.slack.count() != 1 || len(e.clock.slept()) != 0 {
		t.Errorf("%d posts, sleeps %v", e.slack.count(), e.clock.slept())
	}
	// The post is the formatted message.
	want := testFormatter().Format(readEvent(t, filepath.Join("testdata", "ssh-reject-alarm.sns.json")).Records[0].SNS)
	if got := e.slack.posts[0]["text"]; got != want.Text {
		t.Errorf("posted text %q, want %q", got, want.Text)
	}
	if blocks, _ := e.slack.posts[0]["blocks"].([]any); len(blocks) != len(want.Blocks) {
		t.Errorf("posted %d blocks, want %d", len(blocks), len(want.Blocks))
	}
	if !strings.Contains(e.logs.String(), `"msg":"alarm posted to Slack"`) || !strings.Contains(e.logs.String(), `"alarm":"alarms-ssh-reject-from-host-alarm-3f2a1b9"`) {
		t.Errorf("success not logged:\n%s", e.logs)
	}
	e.assertNoSecret(t, err)
}

func TestRateLimitedHonoursRetryAfter(t *testing.T) {
	e := newTestEnv(t, func(n int) reply {
		if n == 0 {
			return reply{status: 429, body: "rate_limited", retryAfter: "7"}
		}
		return ok()
	}, fastPost())
	err := e.invoke(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.clock.slept(); !reflect.DeepEqual(got, []time.Duration{7 * time.Second}) {
		t.Errorf("slept %v, want the 7s Retry-After", got)
	}
	if e.slack.count() != 2 {
		t.Errorf("%d posts, want 2", e.slack.count())
	}
	if !strings.Contains(e.logs.String(), `"status":429`) || !strings.Contains(e.logs.String(), `"reason":"rate_limited"`) {
		t.Errorf("retry not logged:\n%s", e.logs)
	}
	e.assertNoSecret(t, err)
}

func TestRateLimitedWithoutRetryAfterBacksOff(t *testing.T) {
	e := newTestEnv(t, func(n int) reply {
		if n == 0 {
			return reply{status: 429, body: "rate_limited"}
		}
		return ok()
	}, fastPost())
	if err := e.invoke(t); err != nil {
		t.Fatal(err)
	}
	if got := e.clock.slept(); !reflect.DeepEqual(got, []time.Duration{375 * time.Millisecond}) {
		t.Errorf("slept %v, want the first backoff (375ms)", got)
	}
}

// A Retry-After longer than the invocation has left fails at once: Lambda
// retries the event minutes later instead of the function waiting out its
// timeout.
func TestRetryAfterBeyondTheDeadlineFails(t *testing.T) {
	e := newTestEnv(t, func(int) reply { return reply{status: 429, body: "rate_limited", retryAfter: "120"} }, fastPost())
	err := e.invoke(t)
	var pe *PostError
	if !errors.As(err, &pe) || pe.Status != 429 || pe.Permanent || !strings.Contains(pe.Reason, "past the invocation's deadline") {
		t.Fatalf("err = %v", err)
	}
	if e.slack.count() != 1 || len(e.clock.slept()) != 0 {
		t.Errorf("%d posts, sleeps %v", e.slack.count(), e.clock.slept())
	}
	e.assertNoSecret(t, err)
}

func TestServerErrorsAreRetriedWithBackoff(t *testing.T) {
	e := newTestEnv(t, func(n int) reply {
		switch n {
		case 0:
			return reply{status: 500, body: "internal_error"}
		case 1:
			return reply{status: 503, body: "service unavailable"}
		}
		return ok()
	}, fastPost())
	err := e.invoke(t)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.clock.slept(); !reflect.DeepEqual(got, []time.Duration{375 * time.Millisecond, 750 * time.Millisecond}) {
		t.Errorf("slept %v, want exponential backoff 375ms, 750ms", got)
	}
	e.assertNoSecret(t, err)
}

// A webhook that keeps failing fails the invocation after MaxAttempts
// posts: Lambda retries, then dead-letters, and the Errors alarm fires.
func TestServerErrorsGiveUpAndFailTheInvocation(t *testing.T) {
	e := newTestEnv(t, func(int) reply { return reply{status: 502, body: "<html>bad gateway</html>"} }, fastPost())
	err := e.invoke(t)
	var pe *PostError
	if !errors.As(err, &pe) || pe.Status != 502 || pe.Attempts != 4 || pe.Permanent {
		t.Fatalf("err = %v", err)
	}
	if e.slack.count() != 4 || len(e.clock.slept()) != 3 {
		t.Errorf("%d posts, sleeps %v", e.slack.count(), e.clock.slept())
	}
	if !strings.Contains(err.Error(), "5c1f0c7e-98a1-5d3b-a7b1-0e1f2d3c4b5a") || !strings.Contains(e.logs.String(), `"msg":"not posted to Slack"`) {
		t.Errorf("failure does not name the SNS message: %v\n%s", err, e.logs)
	}
	e.assertNoSecret(t, err)
}

func TestTimeoutIsRetried(t *testing.T) {
	e := newTestEnv(t, func(n int) reply {
		if n == 0 {
			return reply{stall: true}
		}
		return ok()
	}, fastPost())
	err := e.invoke(t)
	if err != nil {
		t.Fatal(err)
	}
	if e.slack.count() != 2 || len(e.clock.slept()) != 1 {
		t.Errorf("%d posts, sleeps %v", e.slack.count(), e.clock.slept())
	}
	if !strings.Contains(e.logs.String(), "deadline exceeded") {
		t.Errorf("timeout not logged:\n%s", e.logs)
	}
	e.assertNoSecret(t, err)
}

func TestTimeoutsGiveUp(t *testing.T) {
	post := fastPost()
	post.MaxAttempts = 2
	e := newTestEnv(t, func(int) reply { return reply{stall: true} }, post)
	err := e.invoke(t)
	var pe *PostError
	if !errors.As(err, &pe) || pe.Status != 0 || pe.Attempts != 2 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	e.assertNoSecret(t, err)
}

// Transport errors quote the request URL; the function must not.
func TestConnectionRefusedIsRedacted(t *testing.T) {
	post := fastPost()
	post.MaxAttempts = 2
	e := newTestEnv(t, nil, post)
	e.slack.close()
	err := e.invoke(t)
	var pe *PostError
	if !errors.As(err, &pe) || pe.Status != 0 || pe.Attempts != 2 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "[redacted]") && !strings.Contains(err.Error(), "Post webhook") {
		t.Errorf("error does not say what failed: %v", err)
	}
	e.assertNoSecret(t, err)
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		status     int
		body       string
		invalidate bool
	}{
		{400, "invalid_payload", false},
		{403, "action_prohibited", true},
		{404, "no_service", true},
		{410, "channel_is_archived", true},
	} {
		t.Run(tc.body, func(t *testing.T) {
			e := newTestEnv(t, func(int) reply { return reply{status: tc.status, body: tc.body} }, fastPost())
			err := e.invoke(t)
			var pe *PostError
			if !errors.As(err, &pe) || !pe.Permanent || pe.Status != tc.status || pe.Reason != tc.body || pe.Attempts != 1 {
				t.Fatalf("err = %v", err)
			}
			if e.slack.count() != 1 || len(e.clock.slept()) != 0 {
				t.Errorf("%d posts, sleeps %v: a client error must not be retried in the invocation", e.slack.count(), e.clock.slept())
			}
			// A gone webhook makes the next invocation (Lambda's retry) read
			// the secret again, so a rotated URL is used.
			before := e.secrets.calls
			e.invoke(t)
			if reread := e.secrets.calls > before; reread != tc.invalidate {
				t.Errorf("secret read again: %v, want %v", reread, tc.invalidate)
			}
			e.assertNoSecret(t, err)
		})
	}
}

func TestRotatedURLIsUsedAfterNoService(t *testing.T) {
	e := newTestEnv(t, func(n int) reply {
		if n == 0 {
			return reply{status: 404, body: "no_service"}
		}
		return ok()
	}, fastPost())
	if err := e.invoke(t); err == nil {
		t.Fatal("404 no_service must fail the invocation")
	}
	// The operator rotates the URL in Secrets Manager (pulumi config set
	// --secret + pulumi up); Lambda's retry picks it up.
	other := newFakeSlack(t, nil)
	e.secrets.set(other.url())
	e.h.Poster.Client = other.srv.Client()
	if err := e.invoke(t); err != nil {
		t.Fatal(err)
	}
	if other.count() != 1 {
		t.Errorf("the rotated webhook got %d posts", other.count())
	}
}

func TestEveryRecordIsTried(t *testing.T) {
	e := newTestEnv(t, func(n int) reply {
		if n == 0 {
			return reply{status: 400, body: "invalid_payload"}
		}
		return ok()
	}, fastPost())
	one := readEvent(t, filepath.Join("testdata", "ssh-reject-alarm.sns.json")).Records[0]
	two := readEvent(t, filepath.Join("testdata", "http-attempts-ok.sns.json")).Records[0]
	err := e.h.Handle(context.Background(), events.SNSEvent{Records: []events.SNSEventRecord{one, two}})
	if err == nil || e.slack.count() != 2 {
		t.Errorf("err = %v, %d posts", err, e.slack.count())
	}
}

func TestBackoff(t *testing.T) {
	base, max := 500*time.Millisecond, 8*time.Second
	for n, want := range map[int]time.Duration{1: 250 * time.Millisecond, 2: 500 * time.Millisecond, 5: 4 * time.Second, 9: 4 * time.Second} {
		if got := backoff(n, base, max, 0); got != want {
			t.Errorf("backoff(%d, r=0) = %s, want %s", n, got, want)
		}
	}
	if got := backoff(1, base, max, 0.999); got >= base || got < base/2 {
		t.Errorf("backoff jitter out of [d/2, d): %s", got)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"30": 30 * time.Second, " 1 ": time.Second, "": 0, "soon": 0, "-5": 0,
		"Wed, 01 May 2024 10:00:12 GMT": 12 * time.Second, "Wed, 01 May 2024 09:00:00 GMT": 0,
	} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", v, got, want)
		}
	}
}

func TestPostErrorText(t *testing.T) {
	for _, tc := range []struct {
		err  PostError
		want string
	}{
		{PostError{Status: 502, Reason: "bad gateway", Attempts: 4}, "Slack webhook post gave up after 4 attempt(s): HTTP 502: bad gateway"},
		{PostError{Reason: "dial tcp: connection refused", Attempts: 2}, "Slack webhook post gave up after 2 attempt(s): no response: dial tcp: connection refused"},
		{PostError{Status: 404, Reason: "no_service", Attempts: 1, Permanent: true}, "Slack webhook post refused after 1 attempt(s): HTTP 404: no_service"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

// Only a 2xx answer is a post; a 300 is a client error, not retried.
func TestMultipleChoicesIsNoSuccess(t *testing.T) {
	e := newTestEnv(t, func(int) reply { return reply{status: 300, body: "multiple_choices"} }, fastPost())
	err := e.invoke(t)
	var pe *PostError
	if !errors.As(err, &pe) || pe.Status != 300 || !pe.Permanent || pe.Attempts != 1 {
		t.Fatalf("err = %v", err)
	}
}

// The deadline margin is kept free: a Retry-After that ends inside the
// invocation but inside its last DeadlineMargin fails at once (Lambda's
// own retry takes over) instead of posting again.
func TestRetryIntoTheDeadlineMarginFails(t *testing.T) {
	post := fastPost()
	post.DeadlineMargin = 30 * time.Second
	e := newTestEnv(t, func(int) reply { return reply{status: 429, body: "rate_limited", retryAfter: "45"} }, post)
	err := e.invoke(t) // 60 s before the deadline: 30 s of them to use
	var pe *PostError
	if !errors.As(err, &pe) || !strings.Contains(pe.Reason, "past the invocation's deadline") {
		t.Fatalf("err = %v", err)
	}
	if e.slack.count() != 1 || len(e.clock.slept()) != 0 {
		t.Errorf("%d posts, sleeps %v", e.slack.count(), e.clock.slept())
	}
}

// With no time left before the margin, nothing is posted: a post with a
// zero timeout could only fail.
func TestNoTimeLeftPostsNothing(t *testing.T) {
	post := fastPost()
	post.DeadlineMargin = 30 * time.Second
	e := newTestEnv(t, nil, post)
	ctx, cancel := context.WithDeadline(context.Background(), e.clock.Now().Add(post.DeadlineMargin))
	defer cancel()
	err := e.h.Poster.Post(ctx, []byte(`{"text":"x"}`))
	var pe *PostError
	if !errors.As(err, &pe) || !strings.HasPrefix(pe.Reason, "no time left before the invocation's deadline") || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if e.slack.count() != 0 {
		t.Errorf("%d posts with no time left", e.slack.count())
	}
}
