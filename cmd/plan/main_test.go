package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlanDevStack(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, filepath.Join("..", ".."), "dev"); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"vpcflowlogs:index:FlowLogToS3", "vpcflowlogs:index:FlowLogToCloudWatch", "vpcflowlogs:index:MetricAlarmSNS",
		"vpcflowlogs:index:AthenaTable", "s3-athena-flowlogs-bucket [retain]", "Resources by type:", "resources (",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("plan output lacks %q", want)
		}
	}
	// Children are listed under their component, indented, with the parent named.
	if !strings.Contains(s, "\n  flowlogs-cw-logs ") {
		t.Errorf("log group not listed under its component:\n%s", s)
	}
}

func TestPlanRejectsInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	pj, err := os.ReadFile(filepath.Join("..", "..", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), pj, 0o644)
	os.WriteFile(filepath.Join(dir, "Pulumi.bad.yaml"), []byte("config:\n  vpc-flow-logs:trafficType: DENY\n"), 0o644)
	var out bytes.Buffer
	err = run(&out, dir, "bad")
	if err == nil || !strings.Contains(err.Error(), "vpc-flow-logs:trafficType") || !strings.Contains(err.Error(), "DENY") {
		t.Fatalf("want a validation error naming the key and value, got %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("invalid config printed a plan:\n%s", out.String())
	}
}
