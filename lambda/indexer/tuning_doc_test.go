package main

import (
	"path/filepath"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/docgen"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

// TestTuningTableIsTrue holds docs/operations.md's table of the indexer's
// environment variables to LoadConfig: defaults, ranges, values.
func TestTuningTableIsTrue(t *testing.T) {
	load := func(env map[string]string) (any, error) {
		vars := map[string]string{
			EnvEndpoint:           "https://vpc-flowlogs-abc.us-east-1.es.amazonaws.com",
			EnvFlowLogFormat:      flowlog.LogFormat(flowlog.DefaultFields()),
			EnvDeadLetterQueueURL: "https://sqs.us-east-1.amazonaws.com/123456789012/rejects",
			EnvRegion:             "us-east-1",
		}
		for k, v := range env {
			vars[k] = v
		}
		return LoadConfig(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	}
	for _, err := range docgen.CheckOperationsTuning(filepath.Join("..", ".."), "**Indexer**", load) {
		t.Error(err)
	}
}
