package main

import (
	"path/filepath"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/docgen"
)

// TestTuningTableIsTrue holds docs/operations.md's table of the Slack
// notifier's environment variables to LoadConfig: defaults, ranges, values.
func TestTuningTableIsTrue(t *testing.T) {
	load := func(env map[string]string) (any, error) {
		vars := map[string]string{
			EnvWebhookSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:slack-webhook-AbCdEf",
			EnvRegion:           "us-east-1",
		}
		for k, v := range env {
			vars[k] = v
		}
		return LoadConfig(func(k string) string { return vars[k] })
	}
	for _, err := range docgen.CheckOperationsTuning(filepath.Join("..", ".."), "**Slack notifier**", load) {
		t.Error(err)
	}
}
