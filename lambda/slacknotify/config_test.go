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
