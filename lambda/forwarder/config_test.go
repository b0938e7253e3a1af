package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	format := flowlog.LogFormat(flowlog.DefaultFields())
	cfg, err := LoadConfig(env(map[string]string{EnvDeliveryStream: "flow-logs.v1", EnvFlowLogFormat: " " + format + " ", EnvDeadLetterQueueURL: testQueueURL}))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultSendConfig()
	def.StreamName = "flow-logs.v1"
	if cfg.StreamName != "flow-logs.v1" || cfg.Send != def || cfg.DeadLetterQueueURL != testQueueURL || cfg.LogLevel != slog.LevelInfo || flowlog.LogFormat(cfg.Fields) != format {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestLoadConfigOverrides(t *testing.T) {
	cfg, err := LoadConfig(env(map[string]string{
		EnvDeliveryStream: "s", EnvFlowLogFormat: "${version} ${srcaddr}", EnvDeadLetterQueueURL: testQueueURL,
		EnvMaxAttempts: "3", EnvBackoffBase: "20ms", EnvBackoffMax: "2s",
		EnvCallTimeout: "5s", EnvDeadlineMargin: "0s", EnvLogLevel: "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Send
	if s.MaxAttempts != 3 || s.BackoffBase != 20*time.Millisecond || s.BackoffMax != 2*time.Second ||
		s.CallTimeout != 5*time.Second || s.DeadlineMargin != 0 || cfg.LogLevel != slog.LevelDebug || len(cfg.Fields) != 2 {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	_, err := LoadConfig(env(map[string]string{
		EnvFlowLogFormat: "${version} ${bogus}",
		EnvMaxAttempts:   "0", EnvBackoffBase: "fast", EnvBackoffMax: "1ms",
		EnvCallTimeout: "-1s", EnvLogLevel: "LOUD",
	}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"DELIVERY_STREAM_NAME is required", "DEAD_LETTER_QUEUE_URL: required", `unknown flow log field "bogus"`, `MAX_ATTEMPTS="0"`,
		`BACKOFF_BASE="fast"`, `CALL_TIMEOUT="-1s"`, `LOG_LEVEL="LOUD"`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for _, bad := range []map[string]string{
		{EnvDeliveryStream: "s", EnvFlowLogFormat: "${version}", EnvDeadLetterQueueURL: "http://sqs.us-east-1.amazonaws.com/1/q"},
		{EnvDeliveryStream: "s", EnvFlowLogFormat: "${version}", EnvDeadLetterQueueURL: "https://sqs.us-east-1.amazonaws.com/q"},
		{EnvDeliveryStream: "has space", EnvFlowLogFormat: "${version}"},
		{EnvDeliveryStream: strings.Repeat("a", 65), EnvFlowLogFormat: "${version}"},
		{EnvDeliveryStream: "s"},
		{EnvDeliveryStream: "s", EnvFlowLogFormat: "version srcaddr"},
		{EnvDeliveryStream: "s", EnvFlowLogFormat: "${version}", EnvBackoffBase: "2s", EnvBackoffMax: "1s"},
	} {
		if _, err := LoadConfig(env(bad)); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
