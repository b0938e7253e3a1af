package main

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadConfig(t *testing.T) {
	cfg, err := LoadConfig(env(map[string]string{
		EnvWebhookSecretArn: secretArn,
		EnvLogGroupName:     "flowlogs",
		EnvFlowLogFormat:    flowlog.LogFormat(flowlog.V2Fields()),
		EnvRegion:           "eu-west-1",
		EnvMaxAttempts:      "6",
		EnvCallTimeout:      "5s",
		EnvLogLevel:         "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{SecretID: secretArn, LogGroup: "flowlogs", Fields: flowlog.V2Fields(), Region: "eu-west-1", LogLevel: slog.LevelDebug, Post: DefaultPostConfig()}
	want.Post.MaxAttempts, want.Post.CallTimeout = 6, 5*time.Second
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("config = %+v\nwant %+v", cfg, want)
	}
	// Without a log group there is no link and no format is needed.
	if cfg, err := LoadConfig(env(map[string]string{EnvWebhookSecretArn: secretArn})); err != nil || cfg.LogGroup != "" {
		t.Errorf("minimal config: %+v, %v", cfg, err)
	}
}

func TestLoadConfigReportsEveryProblem(t *testing.T) {
	_, err := LoadConfig(env(map[string]string{
		EnvLogGroupName:   "flowlogs",
		EnvMaxAttempts:    "0",
		EnvBackoffBase:    "2s",
		EnvBackoffMax:     "1s",
		EnvDeadlineMargin: "soon",
		EnvLogLevel:       "loud",
	}))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{EnvWebhookSecretArn + " is required", EnvFlowLogFormat + " is required with " + EnvLogGroupName,
		EnvMaxAttempts, EnvBackoffMax, EnvDeadlineMargin, EnvLogLevel} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, err := LoadConfig(env(map[string]string{EnvWebhookSecretArn: secretArn, EnvFlowLogFormat: "${version} ${nope}"})); err == nil {
		t.Error("an unknown field in the format is accepted")
	}
}

// The posting defaults as documented: four posts, backoff from 500 ms up to
// 8 s, 10 s per post, 2 s kept before the deadline (about 15 s at most,
// well inside the function's 60-second timeout).
func TestDefaultPostConfig(t *testing.T) {
	want := PostConfig{MaxAttempts: 4, BackoffBase: 500 * time.Millisecond, BackoffMax: 8 * time.Second,
		CallTimeout: 10 * time.Second, DeadlineMargin: 2 * time.Second}
	if got := DefaultPostConfig(); got != want {
		t.Errorf("DefaultPostConfig() = %+v, want %+v", got, want)
	}
}

// Each bound is inclusive: the edge is accepted as written, one step past
// it is refused naming the variable.
func TestLoadConfigBounds(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
		got         func(PostConfig) any
		want        any
	}{
		{EnvMaxAttempts, "1", true, func(p PostConfig) any { return p.MaxAttempts }, 1},
		{EnvMaxAttempts, "20", true, func(p PostConfig) any { return p.MaxAttempts }, 20},
		{EnvMaxAttempts, "21", false, nil, nil},
		{EnvBackoffBase, "1ms", true, func(p PostConfig) any { return p.BackoffBase }, time.Millisecond},
		{EnvBackoffBase, "1m", false, nil, nil}, // above the default BACKOFF_MAX of 8s
		{EnvBackoffMax, "5m", true, func(p PostConfig) any { return p.BackoffMax }, 5 * time.Minute},
		{EnvBackoffMax, "5m1s", false, nil, nil},
		{EnvBackoffMax, "500ms", true, func(p PostConfig) any { return p.BackoffMax }, 500 * time.Millisecond}, // equal to the default BACKOFF_BASE
		{EnvBackoffMax, "499ms", false, nil, nil},
		{EnvCallTimeout, "100ms", true, func(p PostConfig) any { return p.CallTimeout }, 100 * time.Millisecond},
		{EnvCallTimeout, "99ms", false, nil, nil},
		{EnvCallTimeout, "5m", true, func(p PostConfig) any { return p.CallTimeout }, 5 * time.Minute},
		{EnvCallTimeout, "5m1s", false, nil, nil},
		{EnvDeadlineMargin, "0s", true, func(p PostConfig) any { return p.DeadlineMargin }, time.Duration(0)},
		{EnvDeadlineMargin, "1m", true, func(p PostConfig) any { return p.DeadlineMargin }, time.Minute},
		{EnvDeadlineMargin, "1m1s", false, nil, nil},
	} {
		cfg, err := LoadConfig(env(map[string]string{EnvWebhookSecretArn: secretArn, tc.name: tc.value}))
		switch {
		case !tc.ok && err == nil:
			t.Errorf("%s=%s accepted", tc.name, tc.value)
		case !tc.ok && !strings.Contains(err.Error(), tc.name):
			t.Errorf("%s=%s: the error does not name the variable: %v", tc.name, tc.value, err)
		case tc.ok && err != nil:
			t.Errorf("%s=%s: %v", tc.name, tc.value, err)
		case tc.ok && tc.got(cfg.Post) != tc.want:
			t.Errorf("%s=%s loads as %v", tc.name, tc.value, tc.got(cfg.Post))
		}
	}
}
