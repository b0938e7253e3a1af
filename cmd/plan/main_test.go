package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
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
	// The security rules follow the resource counts: every rule, 0 violations.
	counts := strings.Index(s, "Resources by type:")
	rules := strings.Index(s, "\nSecurity rules")
	if counts < 0 || rules < counts {
		t.Errorf("rule results missing or not after the resource counts:\n%s", s)
	}
	want := fmt.Sprintf("policy: %d rules, ", len(policy.Rules()))
	if !strings.Contains(s, want) || !strings.Contains(s, " resources checked, 0 violations, 0 waived") {
		t.Errorf("plan lacks the rule summary %q...:\n%s", want, s[max(rules, 0):])
	}
	if strings.Contains(s, "VIOLATION") {
		t.Errorf("the dev stack breaks a rule:\n%s", s[rules:])
	}
}

// stackDir is a project directory with the real Pulumi.yaml and one stack file.
func stackDir(t *testing.T, stack, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	pj, err := os.ReadFile(filepath.Join("..", "..", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), pj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// acceptOnly captures only accepted traffic, which breaks vpc-flow-logs-enabled.
const acceptOnly = `config:
  vpc-flow-logs:architectures: [s3-athena]
  vpc-flow-logs:trafficType: ACCEPT
`

func TestPlanFailsOnRuleViolations(t *testing.T) {
	var out bytes.Buffer
	err := run(&out, stackDir(t, "accept", acceptOnly), "accept")
	if err == nil || !strings.Contains(err.Error(), "security rule violations") || !strings.Contains(err.Error(), "vpc-flow-logs:policyWaivers") {
		t.Fatalf("want an error about rule violations that points at policyWaivers, got %v", err)
	}
	s := out.String()
	for _, want := range []string{"Resources by type:", "VIOLATION vpc-flow-logs-enabled [high] demo-vpc", "not rejected traffic"} {
		if !strings.Contains(s, want) {
			t.Errorf("plan output lacks %q:\n%s", want, s)
		}
	}
}

func TestPlanShowsWaivers(t *testing.T) {
	const reason = "ACCEPT-only capture on purpose (SEC-42)"
	var out bytes.Buffer
	dir := stackDir(t, "waived", acceptOnly+"  vpc-flow-logs:policyWaivers:\n    vpc-flow-logs-enabled: \""+reason+"\"\n")
	if err := run(&out, dir, "waived"); err != nil {
		t.Fatalf("a waived rule must not fail the plan: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"0 violations, 1 waived (vpc-flow-logs-enabled: " + reason + ")",
		"WAIVED    vpc-flow-logs-enabled [high]: " + reason + " (suppresses 1 findings)",
		"- demo-vpc (aws:ec2/vpc:Vpc): flow logs record only ACCEPT traffic",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("plan output lacks %q:\n%s", want, s)
		}
	}
}

func TestPlanRejectsInvalidWaivers(t *testing.T) {
	var out bytes.Buffer
	dir := stackDir(t, "bad", "config:\n  vpc-flow-logs:policyWaivers:\n    s3-tls-only: \"\"\n")
	err := run(&out, dir, "bad")
	if err == nil || !strings.Contains(err.Error(), "vpc-flow-logs:policyWaivers.s3-tls-only") {
		t.Fatalf("want a validation error naming the waiver, got %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("invalid config printed a plan:\n%s", out.String())
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
