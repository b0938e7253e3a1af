package docgen

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"Quick start":                     "quick-start",
		"QuickSight (opt-in)":             "quicksight-opt-in",
		"Alarms in Slack":                 "alarms-in-slack",
		"The `firehose-athena` feed":      "the-firehose-athena-feed",
		"Logging in to Dashboards":        "logging-in-to-dashboards",
		"[Link](x.md) and more":           "link-and-more",
		"Forwarder speed and memory":      "forwarder-speed-and-memory",
		"VPC endpoints in existing VPCs":  "vpc-endpoints-in-existing-vpcs",
		"Deploying, outputs and teardown": "deploying-outputs-and-teardown",
	} {
		if got := Slug(in); got != want {
			t.Errorf("Slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAnchorsNumberRepeatsAndSkipCode(t *testing.T) {
	got := Anchors("# A\n## B\n```sh\n# not a heading\n```\n## B\n")
	want := map[string]bool{"a": true, "b": true, "b-1": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Anchors = %v, want %v", got, want)
	}
}

func TestBrokenLinksFindsMissingFilesAndAnchors(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("README.md", "# R\n[ok](docs/a.md#there) [gone](docs/b.md) [bad anchor](docs/a.md#nowhere) [self](#r) [web](https://example.com/x#y)\n`[code](docs/none.md)`\n```\n[fenced](docs/none.md)\n```\n")
	write("docs/a.md", "# A\n## There\n[up](../README.md#r) [self bad](#nope)\n")
	var got []string
	for _, f := range []string{"README.md", "docs/a.md"} {
		b, err := BrokenLinks(dir, f)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b...)
	}
	want := []string{
		"README.md:2: docs/b.md: no such file docs/b.md",
		"README.md:2: docs/a.md#nowhere: docs/a.md has no heading #nowhere",
		"docs/a.md:3: #nope: docs/a.md has no heading #nope",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("BrokenLinks:\n got %q\nwant %q", got, want)
	}
}

func TestReplaceNeedsOnePairOfMarkers(t *testing.T) {
	doc := "x\n" + Begin("n") + "\nold\n" + End("n") + "\ny\n"
	got, err := Replace(doc, "n", "new\n")
	if err != nil || got != "x\n"+Begin("n")+"\nnew\n"+End("n")+"\ny\n" {
		t.Errorf("Replace = %q, %v", got, err)
	}
	if _, err := Replace("x", "n", "new\n"); err == nil {
		t.Error("Replace without markers: no error")
	}
	if _, err := Replace(doc+doc, "n", "new\n"); err == nil {
		t.Error("Replace with two pairs of markers: no error")
	}
}

func TestQuickStartCommandsAndSet(t *testing.T) {
	readme := "# R\n## Quick start\n\n```sh\npulumi login --local   # comment\npulumi stack init qs\n" +
		"pulumi config set aws:region us-east-1\n" +
		"pulumi config set --path 'vpc-flow-logs:alarmRules[0].match.dstPort' 22\n" +
		"pulumi config set --path \"vpc-flow-logs:alarmRules[0].name\" \\\n  ssh\n" +
		"pulumi config set --path 'vpc-flow-logs:vpcIds[0]' vpc-1\n" +
		"pulumi config set --path 'vpc-flow-logs:opensearchAccessHost' true\n" +
		"pulumi config set --secret vpc-flow-logs:slackWebhookUrl 'https://hooks.slack.com/x'\n" +
		"```\n## Next\n```sh\npulumi config set x y\n```\n"
	cmds, err := QuickStartCommands(readme)
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 8 || !reflect.DeepEqual(cmds[0], []string{"pulumi", "login", "--local"}) {
		t.Fatalf("commands: %q", cmds)
	}
	s, seen, err := QuickStart(root, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if s.Stack != "qs" || seen[0] != "pulumi login" {
		t.Errorf("stack %q, seen %q", s.Stack, seen)
	}
	want := map[string]any{
		"aws:region":                         "us-east-1",
		"vpc-flow-logs:alarmRules":           []any{map[string]any{"match": map[string]any{"dstPort": 22}, "name": "ssh"}},
		"vpc-flow-logs:vpcIds":               []any{"vpc-1"},
		"vpc-flow-logs:opensearchAccessHost": true,
		"vpc-flow-logs:slackWebhookUrl":      map[string]any{"secure": SecretStandIn},
	}
	if !reflect.DeepEqual(s.Config, want) {
		t.Errorf("config:\n got %#v\nwant %#v", s.Config, want)
	}
}

func TestSetRefusesWhatTheCLIWouldNotStore(t *testing.T) {
	s, err := NewStackConfig(root, "scratch-test")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"vpc-flow-logs:aggregationInterval", "60"},  // an integer key stored as a string
		{"--path", "vpc-flow-logs:vpcIds[1]", "vpc"}, // past the end of the list
		{"vpc-flow-logs:trafficType"},                // the CLI would prompt
		{"--type", "int", "vpc-flow-logs:aggregationInterval", "sixty"},
		{"--bogus", "k", "v"},
	} {
		if err := s.Set(args); err == nil {
			t.Errorf("Set(%q): no error", args)
		}
	}
	if err := s.Set([]string{"--type", "int", "vpc-flow-logs:aggregationInterval", "60"}); err != nil || s.Config["vpc-flow-logs:aggregationInterval"] != 60 {
		t.Errorf("--type int: %v, %v", err, s.Config)
	}
}

// TestQuickStartCatchesAnInvalidStack: the check fails when the README's
// commands produce a stack the program refuses (here vpcIds with
// cloudwatch-opensearch but no opensearchSubnetIds, the dev stack's old
// Deploying section) or one that breaks a rule.
func TestQuickStartCatchesAnInvalidStack(t *testing.T) {
	for name, lines := range map[string]string{
		"refused by validation": "pulumi config set --path 'vpc-flow-logs:architectures[0]' cloudwatch-opensearch\n" +
			"pulumi config set --path 'vpc-flow-logs:vpcIds[0]' vpc-0123456789abcdef0\n",
		"breaks a security rule": "pulumi config set trafficType ACCEPT\n",
	} {
		t.Run(name, func(t *testing.T) {
			readme := "## Quick start\n```sh\npulumi stack init scratch\npulumi config set aws:region us-east-1\n" + lines + "```\n"
			s, _ := quickStart(t, readme)
			cfg, err := s.WriteAndLoad(root, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			p, err := Plan(s.Project, s.Stack, cfg)
			if err == nil {
				err = p.Clean()
			}
			if err == nil {
				t.Fatal("the quick start check accepted an invalid stack")
			}
			if !strings.Contains(err.Error(), "opensearchSubnetIds") && !strings.Contains(err.Error(), "vpc-flow-logs-enabled") {
				t.Errorf("error names neither the key nor the rule: %v", err)
			}
		})
	}
}
