package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
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
	// The deployability rules follow on their own line: 0 violations.
	deploy := strings.Index(s, "\nDeployability rules")
	want = fmt.Sprintf("\ndeployability: %d rules, ", len(policy.DeployRules()))
	if deploy < rules || !strings.Contains(s[max(deploy, 0):], want) || !strings.Contains(s, " resources checked, 0 violations\n") {
		t.Errorf("plan lacks the deployability line %q... after the security rules:\n%s", want, s[max(rules, 0):])
	}
}

func TestPrintDeployability(t *testing.T) {
	var out bytes.Buffer
	PrintDeployability(&out, policy.DeployReport{Rules: 12, Resources: 3, Violations: []policy.Violation{{
		Rule: "deploy-name-limits", Clause: "max-length", Severity: policy.Critical, Type: "aws:iam/role:Role", Name: "r", Message: "too long",
	}}})
	want := "\nDeployability rules (docs/deployability-rules.md):\ndeployability: 12 rules, 3 resources checked, 1 violations\n" +
		"  VIOLATION deploy-name-limits/max-length [critical] r (aws:iam/role:Role): too long\n"
	if out.String() != want {
		t.Errorf("got\n%q\nwant\n%q", out.String(), want)
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
	for _, want := range []string{"Resources by type:", "VIOLATION vpc-flow-logs-enabled/rejected-traffic [high] demo-vpc", "not rejected traffic"} {
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
	// The summary tells that no one would get the alarms.
	if want := "which nobody subscribes to: set vpc-flow-logs:alarmEmails"; !strings.Contains(flat(s), want) {
		t.Errorf("plan output lacks %q:\n%s", want, s)
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

// TestPlanSummary: after the rules, the plan summarizes each architecture
// from the mocked run (every alarm e-mail address and every saved query it
// registers, the alarm rules, the dashboards) and estimates the monthly cost
// at -gb-per-day.
func TestPlanSummary(t *testing.T) {
	root := filepath.Join("..", "..")
	var out bytes.Buffer
	if err := runWith(&out, root, "dev", 5); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	rules := strings.Index(s, "\nSecurity rules")
	summary := strings.Index(s, "\nSummary of stack \"dev\"")
	cost := strings.Index(s, "\nEstimated monthly cost at 5 GB/day of flow logs (150 GB/month), us-east-1 list prices of ")
	if rules < 0 || summary < rules || cost < summary {
		t.Fatalf("want rules, then summary, then cost estimate:\n%s", s)
	}
	for _, want := range []string{"\nshared\n", "\ncloudwatch-opensearch\n", "\ns3-athena\n", "\nfirehose-athena\n", "\n  total  "} {
		if !strings.Contains(s, want) {
			t.Errorf("plan lacks %q:\n%s", want, s[summary:])
		}
	}
	for _, want := range []string{
		"alarm rule: ssh-reject-from-host: metric filter alarms-ssh-reject-from-host on flowlogs-cw-logs, Sum ≥ 1 in 60 s -> alarms-topic",
		"alarm rule: http-attempts: metric filter alarms-http-attempts on flowlogs-cw-logs, Sum ≥ 3 in 300 s -> alarms-topic",
		"alarm rule: rejects-unusual: metric filter alarms-rejects-unusual on flowlogs-cw-logs, Sum above anomaly band 2 in 300 s x 3 -> alarms-topic",
		"insights: vpc-flow-logs-dev-top-talkers-source: sum of bytes by srcaddr where log_status in OK on flowlogs-cw-logs",
		"insights: vpc-flow-logs-dev-top-rejected-sources: count of flow-log records by srcaddr where action in REJECT and log_status in OK on flowlogs-cw-logs; alarm insights-one-source-many-rejects-alarm: MaxContributorValue ≥ 100 in 300 s -> alarms-topic",
		"insights: vpc-flow-logs-dev-top-destination-ports: count of flow-log records by dstport, protocol where log_status in OK on flowlogs-cw-logs",
		"insights: vpc-flow-logs-dev-top-interfaces: sum of bytes by interface_id where log_status in OK on flowlogs-cw-logs",
		"insights: vpc-flow-logs-dev-top-talkers-destination: sum of bytes by dstaddr where log_status in OK on flowlogs-cw-logs",
		"it sends to secops@example.com (each e-mail address must confirm the subscription)",
		"data: VPC demo-vpc -> flow log s3-athena-flowlogs-vpc0 -> S3 bucket s3-athena-flowlogs-bucket -> Glue table s3-athena-table",
		"kept: s3-athena-flowlogs-bucket expires after 90 days, retained on destroy",
		"opensearch-domain indices cwl-YYYY.MM.DD deleted after 14 days (ISM)",
		`dashboards: OpenSearch Dashboards "VPC flow logs" over cwl-* with 5 visualizations`,
		"dashboards: CloudWatch dashboard vpc-flow-logs-dev-us-east-1 graphs 18 alarm graphs, 5 Contributor Insights rules, 3 Lambda functions, 5 SQS queues, 1 Firehose stream, 1 OpenSearch domain; stack output dashboardUrl opens it",
		"CloudWatch dashboard $3.00 - $3.00 1 x $3.00/month",
		"Assumptions (low / high estimate; internal/costs/prices.json):",
	} {
		if !strings.Contains(flat(s), want) {
			t.Errorf("plan lacks %q:\n%s", want, s[summary:])
		}
	}
	// Every e-mail address and saved query the mocked run registers is named.
	proj, cfg, err := stackfile.LoadConfig(root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mockaws.Run(stacks.Program, proj.Name, "dev", cfg)
	if err != nil {
		t.Fatal(err)
	}
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(s[summary:cost], func(r rune) bool { return r == ' ' || r == ',' || r == '\n' }) {
		words[w] = true
	}
	for _, r := range m.ByType("aws:sns/topicSubscription:TopicSubscription") {
		if r.Input("protocol") == "email" && !words[r.Input("endpoint")] {
			t.Errorf("summary lacks the alarm e-mail %s", r.Input("endpoint"))
		}
	}
	named := m.ByType("aws:athena/namedQuery:NamedQuery")
	for _, r := range named {
		if !words[r.Input("name")] {
			t.Errorf("summary lacks the saved query %s", r.Input("name"))
		}
	}
	if len(named) == 0 {
		t.Error("the dev stack registers no saved queries")
	}
}

func TestPlanRejectsNegativeVolume(t *testing.T) {
	var out bytes.Buffer
	err := runWith(&out, filepath.Join("..", ".."), "dev", -1)
	if err == nil || !strings.Contains(err.Error(), "-gb-per-day") {
		t.Fatalf("want an error naming -gb-per-day, got %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("a negative volume printed a plan:\n%s", out.String())
	}
}

// flat is s with every run of white space (line wraps included) one space.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// A key that only a disabled architecture reads is shown as a warning.
func TestPlanWarnsAboutUnusedKeys(t *testing.T) {
	var out bytes.Buffer
	dir := stackDir(t, "unused", "config:\n  vpc-flow-logs:architectures: [s3-athena]\n  vpc-flow-logs:opensearchInstanceType: r7g.large.search\n")
	if err := run(&out, dir, "unused"); err != nil {
		t.Fatal(err)
	}
	want := "WARNING config vpc-flow-logs:opensearchInstanceType is set but not used: only the cloudwatch-opensearch architecture reads it"
	if !strings.Contains(out.String(), "Config warnings:\n  "+want) {
		t.Errorf("plan output lacks %q:\n%s", want, out.String())
	}
}

// Every stack file the repository ships plans offline with no rule violation
// and no config warning (README, "The two commands": make plan STACK=<name>).
func TestPlanEveryShippedStack(t *testing.T) {
	root := filepath.Join("..", "..")
	files, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("shipped stack files: %v (%v)", files, err)
	}
	for _, f := range files {
		stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
		t.Run(stack, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(&out, root, stack); err != nil {
				t.Fatalf("make plan STACK=%s: %v\n%s", stack, err, out.String())
			}
			if strings.Contains(out.String(), "WARNING") {
				t.Errorf("make plan STACK=%s warns:\n%s", stack, out.String())
			}
		})
	}
}

// A member stack plans against the central stack's recorded outputs, in its
// own region, and shows its VPC selection with the reason of every skip.
func TestPlanMemberStack(t *testing.T) {
	root := filepath.Join("..", "..")
	var out bytes.Buffer
	if err := run(&out, root, "member-eu-west-1"); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"region eu-west-1",
		"acme/vpc-flow-logs/central",
		"central-subscription",
		"VPC selection (stack output memberVpcs):",
		"monitored: vpc-0a1b2c3d4e5f60718, vpc-0b2c3d4e5f6071829",
		"skipped:   vpc-0c3d4e5f607182930: already has 2 flow log(s) of another owner",
		"skipped:   vpc-0e5f60718293a4b52: excluded by tag flow-logs=off",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("plan output lacks %q:\n%s", want, s)
		}
	}
	// Without the recorded outputs the plan says where they come from.
	err := runOpts(&out, root, "member-eu-west-1", DefaultGBPerDay, "no/such/file.json")
	if err == nil || !strings.Contains(err.Error(), "-central-outputs") {
		t.Errorf("plan without recorded outputs: %v", err)
	}
	// Other stacks do not read it.
	if err := runOpts(&out, root, "dev", DefaultGBPerDay, "no/such/file.json"); err != nil {
		t.Errorf("the dev stack's plan read the central outputs: %v", err)
	}
}

// The deployability rules of a plan know the stack's region (aws:region), so
// a member whose subscription filter names the central destination of
// another region is flagged: here the mocks answer us-east-1 to a member
// that deploys in eu-west-1 (the mismatch the plan had before the mocks
// answered in the stack's own region), so the program subscribes to the
// us-east-1 destination. The plan of the same member in its own region
// passes, and every stack plans in its own region.
func TestPlanFlagsSubscriptionToAnotherRegion(t *testing.T) {
	root := filepath.Join("..", "..")
	proj, cfg, err := stackfile.LoadConfig(root, "member-eu-west-1")
	if err != nil {
		t.Fatal(err)
	}
	c, err := stackconfig.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	opts, err := mockOptions(root, cfg, DefaultCentralOutputs)
	if err != nil {
		t.Fatal(err)
	}
	for _, mocked := range []string{"eu-west-1", "us-east-1"} {
		m, err := mockaws.Run(stacks.Program, proj.Name, "member-eu-west-1", cfg, append(opts, mockaws.WithRegion(mocked))...)
		if err != nil {
			t.Fatal(err)
		}
		subs := m.ByType("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")
		if len(subs) != 1 || !strings.Contains(mockaws.Str(subs[0].Inputs["destinationArn"]), ":logs:"+mocked+":") {
			t.Fatalf("mocks in %s: want one subscription to the %s destination, got %d", mocked, mocked, len(subs))
		}
		var flagged []policy.Violation
		for _, v := range policy.EvaluateDeployabilityStack(m, c, deployOptions(cfg)...).Violations {
			if v.Clause == "same-region" {
				flagged = append(flagged, v)
			}
		}
		if want := mocked != cfg["aws:region"]; (len(flagged) == 1) != want || len(flagged) > 1 {
			t.Errorf("subscription to the %s destination from a stack in %s: flagged %v, want flagged=%v", mocked, cfg["aws:region"], flagged, want)
		}
	}
	for _, stack := range []string{"dev", "prod", "central", "member-eu-west-1"} {
		_, cfg, err := stackfile.LoadConfig(root, stack)
		if err != nil {
			t.Fatal(err)
		}
		opts, err := mockOptions(root, cfg, DefaultCentralOutputs)
		if err != nil {
			t.Fatal(err)
		}
		if got := mockaws.New(proj.Name, stack, opts...).Region; got != cfg["aws:region"] || got == "" {
			t.Errorf("stack %s (aws:region %q) plans in %q", stack, cfg["aws:region"], got)
		}
	}
}
