package constraintsdoc

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdabuild"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

const (
	testKey    = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	testVPC    = `["vpc-0123456789abcdef0"]`
	testSubnet = `["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]`
)

// variants are configurations that declare resource types the committed
// stacks do not: each one is the dev config with these keys changed.
var variants = map[string][]string{
	"existing VPCs, bucket and log key": {
		"vpcIds", testVPC, "opensearchSubnetIds", testSubnet, "opensearchVpcEndpoints", "create",
		"existingBucketArn", "arn:aws:s3:::my-flow-log-bucket", "logKmsKeyArn", testKey,
	},
	"bucket key":            {"bucketKmsKeyArn", testKey},
	"firehose subscription": {"firehoseFeedMode", "subscription"},
	"firehose direct": {
		"firehoseFeedMode", "direct", "architectures", `["cloudwatch-opensearch","firehose-athena"]`,
	},
	"slack chatbot": {"slackMode", "chatbot", "slackWorkspaceId", "T07EA123LEP", "slackChannelId", "C07EZ1ABC23"},
	"slack webhook": {"slackMode", "webhook", "slackWebhookUrl", "https://hooks.slack.com/services/T0TESTTEAM/B0TESTHOOK/s3cr3tT0kenValue0123456789"},
	"quicksight":    {"quicksightPrincipalArn", "arn:aws:quicksight:us-east-1:123456789012:user/default/secops-analyst"},
	"existing domain": {
		"opensearchExistingEndpoint", "vpc-flowlogs-abc123.us-east-1.es.amazonaws.com",
		"opensearchExistingArn", "arn:aws:es:us-east-1:123456789012:domain/flowlogs",
		"opensearchAccessHost", "false",
	},
	"service-linked role exists": {"opensearchServiceLinkedRole", "existing"},
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := lambdabuild.FindModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// committedStacks are the stack files in the repository; each is planned
// as it is, besides the dev variants.
var committedStacks = []string{"central", "dev", "prod"}

// plannedTypes plans every variant and committed stack under mocks and
// returns the union of the cloud resource types they declare.
func plannedTypes(t *testing.T, root string) []string {
	t.Helper()
	proj, dev, err := stackfile.LoadConfig(root, "dev")
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(variants))
	for n := range variants {
		names = append(names, n)
	}
	sort.Strings(names)
	union := map[string]bool{}
	plan := func(what, stack string, cfg map[string]string) {
		m, err := mockaws.Run(stacks.Program, proj.Name, stack, cfg)
		if err != nil {
			t.Fatalf("%s: the offline plan failed: %v", what, err)
		}
		for _, typ := range CloudTypes(m) {
			union[typ] = true
		}
	}
	for _, n := range names {
		cfg := map[string]string{}
		for k, v := range dev {
			cfg[k] = v
		}
		kv := variants[n]
		for i := 0; i < len(kv); i += 2 {
			cfg[stackconfig.Key(kv[i])] = kv[i+1]
		}
		plan("dev variant "+strconv.Quote(n), "dev", cfg)
	}
	for _, stack := range committedStacks {
		_, cfg, err := stackfile.LoadConfig(root, stack)
		if err != nil {
			t.Fatal(err)
		}
		plan("stack "+stack, stack, cfg)
	}
	out := make([]string, 0, len(union))
	for typ := range union {
		out = append(out, typ)
	}
	sort.Strings(out)
	return out
}

// TestEveryDeclaredTypeHasASection plans the dev stack and its variants and
// fails when a resource type the program declares has no section in
// docs/aws-constraints.md, or a section without a link or without saying how
// the program satisfies it.
func TestEveryDeclaredTypeHasASection(t *testing.T) {
	root := moduleRoot(t)
	b, err := os.ReadFile(filepath.Join(root, Path))
	if err != nil {
		t.Fatal(err)
	}
	sections, err := Sections(string(b))
	if err != nil {
		t.Fatal(err)
	}
	types := plannedTypes(t, root)
	if len(types) < 40 {
		t.Fatalf("the variants declare only %d resource types: %v", len(types), types)
	}
	for _, p := range Problems(types, sections) {
		t.Error(p)
	}
	for _, p := range Stale(types, sections) {
		t.Error(p)
	}
}

func TestSectionsAndProblems(t *testing.T) {
	doc := strings.Join([]string{
		"# AWS constraints",
		"intro",
		"## aws:s3/bucketV2:BucketV2",
		"- name <= 63 https://docs.aws.amazon.com/x. Program: autonaming.",
		"## aws:sqs/queue:Queue",
		"no link here",
		"## Closing note",
		"## aws:kms/key:Key",
		"https://example.com NOT SATISFIED: y; arrives with issue 12",
	}, "\n")
	s, err := Sections(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 3 {
		t.Fatalf("sections = %v", s)
	}
	got := Problems([]string{"aws:s3/bucketV2:BucketV2", "aws:sqs/queue:Queue", "aws:sns/topic:Topic", "aws:kms/key:Key"}, s)
	want := []string{
		"aws:sqs/queue:Queue: the section links no AWS or provider page",
		"aws:sqs/queue:Queue: the section says neither",
		"aws:sns/topic:Topic: declared by the program",
	}
	if len(got) != len(want) {
		t.Fatalf("problems = %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("problem %d = %q, want prefix %q", i, got[i], want[i])
		}
	}
	if st := Stale([]string{"aws:sqs/queue:Queue"}, s); len(st) != 1 || !strings.HasPrefix(st[0], "aws:s3/bucketV2:BucketV2") {
		t.Errorf("stale = %q", st)
	}
	if _, err := Sections("## aws:sqs/queue:Queue\n## aws:sqs/queue:Queue\n"); err == nil {
		t.Error("a duplicated section was accepted")
	}
}
