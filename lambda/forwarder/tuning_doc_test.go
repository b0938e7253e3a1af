package main

import (
	"path/filepath"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/docgen"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// TestTuningTableIsTrue holds docs/operations.md's table of the forwarder's
// environment variables to LoadConfig: defaults, ranges, values.
func TestTuningTableIsTrue(t *testing.T) {
	load := func(env map[string]string) (any, error) {
		vars := map[string]string{
			EnvDeliveryStream:     "s",
			EnvFlowLogFormat:      flowlog.LogFormat(flowlog.DefaultFields()),
			EnvDeadLetterQueueURL: testQueueURL,
		}
		for k, v := range env {
			vars[k] = v
		}
		return LoadConfig(func(k string) string { return vars[k] })
	}
	for _, err := range docgen.CheckOperationsTuning(filepath.Join("..", ".."), "**Forwarder**", load) {
		t.Error(err)
	}
}
