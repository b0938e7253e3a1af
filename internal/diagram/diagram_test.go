package diagram

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
	"github.com/vpcflowlogs/vpc-flow-logs/stacks"
)

var root = filepath.Join("..", "..")

var dev = sync.OnceValues(func() (*mockaws.Mocks, error) {
	proj, cfg, err := stackfile.LoadConfig(root, "dev")
	if err != nil {
		return nil, err
	}
	return mockaws.Run(stacks.Program, proj.Name, "dev", cfg)
})

func devGraph(t *testing.T) *Graph {
	t.Helper()
	m, err := dev()
	if err != nil {
		t.Fatal(err)
	}
	return Build(m)
}

// TestCommittedDiagramIsFresh keeps the pictures generated from the code:
// docs/architecture.mmd and the README's Mermaid block must be what the dev
// stack renders now. `make diagram` rewrites both.
func TestCommittedDiagramIsFresh(t *testing.T) {
	want := devGraph(t).Mermaid()
	got, err := os.ReadFile(filepath.Join(root, "docs", "architecture.mmd"))
	if err != nil {
		t.Fatalf("%v: run `make diagram`", err)
	}
	if string(got) != want {
		t.Errorf("docs/architecture.mmd is stale: run `make diagram`\n--- fresh render:\n%s", want)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := ReplaceReadme(string(readme), want)
	if err != nil {
		t.Fatal(err)
	}
	if fresh != string(readme) {
		t.Error("README.md's architecture diagram is stale: run `make diagram`")
	}
}

func TestDataFlowEdges(t *testing.T) {
	g := devGraph(t)
	for _, e := range []struct{ from, to, label string }{
		{"demo_vpc", "flowlogs_cw_vpc0", "ALL"},
		{"flowlogs_cw_vpc0", "flowlogs_cw_logs", "log events"},
		{"demo_vpc", "s3_athena_flowlogs_vpc0", "ALL"},
		{"s3_athena_flowlogs_vpc0", "s3_athena_flowlogs_bucket", "parquet objects"},
		{"s3_athena_flowlogs_bucket", "s3_athena_table", "partition projection"},
		{"s3_athena_table", "s3_athena_workgroup", "17 saved queries"},
		{"s3_athena_workgroup", "s3_athena_results", "query results"},
		{"flowlogs_cw_logs", "firehose_forwarder", "subscription"},
		{"firehose_forwarder", "firehose_stream", "PutRecordBatch"},
		{"firehose_stream", "firehose_bucket", "gzip objects"},
		{"firehose_bucket", "firehose_athena_table", "partition projection"},
		{"flowlogs_cw_logs", "opensearch_indexer", "subscription"},
		{"opensearch_indexer", "opensearch_domain", "HTTPS, SigV4"},
		{"opensearch_indexer", "opensearch_rejects", "dead letters"},
		{"firehose_forwarder", "firehose_forwarder_dead_letters", "dead letters"},
		{"opensearch_bootstrap_apply", "opensearch_bootstrap", "on deploy"},
		{"opensearch_access_host", "opensearch_domain", "HTTPS, port forward"},
		{"flowlogs_cw_logs", "alarms_ssh_reject_from_host", ""},
		{"alarms_ssh_reject_from_host", "alarms_ssh_reject_from_host_alarm", "Sum ≥ 1 in 60 s"},
		{"alarms_http_attempts", "alarms_http_attempts_alarm", "Sum ≥ 3 in 300 s"},
		{"alarms_ssh_reject_from_host_alarm", "alarms_topic", "alarm"},
		{"health_alarms_opensearch", "alarms_topic", "alarm"},
		{"alarms_topic", "alarms_email0", "email"},
	} {
		got := g.EdgeBetween(e.from, e.to)
		if got == nil {
			t.Errorf("no edge %s -> %s", e.from, e.to)
			continue
		}
		if got.Label != e.label || got.Failure {
			t.Errorf("edge %s -> %s: label %q failure %v, want %q", e.from, e.to, got.Label, got.Failure, e.label)
		}
	}
	if e := g.EdgeBetween("firehose_forwarder", "firehose_forwarder_dlq"); e == nil || !e.Failure {
		t.Errorf("the forwarder's on-failure queue is not a failure edge: %+v", e)
	}
	// Every edge joins drawn nodes.
	for _, e := range g.Edges {
		if g.Node(e.From) == nil || g.Node(e.To) == nil {
			t.Errorf("edge %+v joins a missing node", e)
		}
	}
}

// The Contributor Insights rules read the flow-log log group and feed their
// alarm; the anomaly-detection rule's alarm hangs off its metric filter with
// the band as its condition.
func TestInsightsAndAnomalyEdges(t *testing.T) {
	g := devGraph(t)
	for _, id := range []string{"insights_top_talkers_source", "insights_top_rejected_sources", "insights_top_interfaces"} {
		n := g.Node(id)
		if n == nil || n.Title != "Contributor Insights rule" {
			t.Fatalf("no Contributor Insights rule node %s: %+v", id, n)
		}
		if g.EdgeBetween("flowlogs_cw_logs", id) == nil {
			t.Errorf("no edge from the flow-log log group to %s", id)
		}
	}
	if e := g.EdgeBetween("insights_top_rejected_sources", "insights_one_source_many_rejects_alarm"); e == nil || e.Label != "MaxContributorValue ≥ 100 in 300 s" {
		t.Errorf("rule -> insight alarm edge = %+v", e)
	}
	if g.EdgeBetween("insights_one_source_many_rejects_alarm", "alarms_topic") == nil {
		t.Error("the insight alarm does not notify the alarm topic")
	}
	if e := g.EdgeBetween("alarms_rejects_unusual", "alarms_rejects_unusual_alarm"); e == nil || e.Label != "Sum above anomaly band 2 in 300 s x 3" {
		t.Errorf("metric filter -> anomaly alarm edge = %+v", e)
	}
	if n := g.Node("alarms_rejects_unusual_alarm"); n == nil || n.Arch != "s3-athena" {
		t.Errorf("the anomaly alarm belongs to its s3-athena rule: %+v", n)
	}
}

func TestClustersAndArchitectures(t *testing.T) {
	g := devGraph(t)
	want := map[string]string{
		"c_alarms": Shared, "c_demo": Shared, "c_flowlogs_cw": Shared,
		"c_s3_athena_flowlogs": "s3-athena", "c_s3_athena": "s3-athena",
		"c_firehose": "firehose-athena", "c_firehose_athena": "firehose-athena",
		"c_opensearch": "cloudwatch-opensearch", "c_monitoring": Shared, "c_insights": Shared,
	}
	var ids []string
	for _, c := range g.Clusters {
		ids = append(ids, c.ID)
		if c.Arch != want[c.ID] {
			t.Errorf("cluster %s: architecture %q, want %q", c.ID, c.Arch, want[c.ID])
		}
	}
	if len(ids) != len(want) {
		t.Errorf("clusters %v, want one per component (%d)", ids, len(want))
	}
	if n := g.Node("alarms_http_attempts"); n == nil || n.Arch != "s3-athena" {
		t.Errorf("metric filters are the s3-athena architecture's rules: %+v", n)
	}
	// IAM, bucket settings and the like are summarized, not drawn.
	for _, n := range g.Nodes {
		if n.Resource != nil && strings.HasPrefix(n.Resource.Type, "aws:iam/") {
			t.Errorf("IAM resource %s is drawn", n.Name)
		}
	}
	note := g.Node("more_firehose")
	if note == nil || note.Kind != KindNote || !strings.Contains(strings.Join(note.Details, " "), "IAM 4") {
		t.Errorf("firehose note: %+v", note)
	}
	// The stack's dashboard is drawn, shared, with what it graphs.
	if d := g.Node("monitoring_dashboard"); d == nil || d.Arch != Shared || d.Kind != KindAlarm ||
		len(d.Details) != 1 || !strings.Contains(d.Details[0], "alarm graphs") {
		t.Errorf("dashboard node: %+v", d)
	}
	// Lambda functions' own log groups are not on the data path.
	if g.Node("firehose_forwarder_logs") != nil {
		t.Error("a function's log group is drawn")
	}
}

func TestPaths(t *testing.T) {
	g := devGraph(t)
	var got []string
	for _, p := range g.Paths() {
		var ids []string
		for _, n := range p {
			ids = append(ids, n.ID)
		}
		got = append(got, strings.Join(ids, " "))
	}
	for _, want := range []string{
		"demo_vpc flowlogs_cw_vpc0 flowlogs_cw_logs firehose_forwarder firehose_stream firehose_bucket firehose_athena_table firehose_athena_workgroup firehose_athena_results",
		"demo_vpc s3_athena_flowlogs_vpc0 s3_athena_flowlogs_bucket s3_athena_table s3_athena_workgroup s3_athena_results",
		"demo_vpc flowlogs_cw_vpc0 flowlogs_cw_logs alarms_ssh_reject_from_host alarms_ssh_reject_from_host_alarm alarms_topic alarms_email0",
		"demo_vpc flowlogs_cw_vpc0 flowlogs_cw_logs opensearch_indexer opensearch_domain",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("no path %q in\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// TestDeterministic: the order in which the program registered resources
// (goroutines resolve outputs in any order) does not change the output.
func TestDeterministic(t *testing.T) {
	m, err := dev()
	if err != nil {
		t.Fatal(err)
	}
	mmd, dot := Build(m).Mermaid(), Build(m).Dot()
	shuffled := mockaws.New(m.Project, m.Stack)
	shuffled.Resources = slices.Clone(m.Resources)
	rand.Shuffle(len(shuffled.Resources), func(i, j int) {
		shuffled.Resources[i], shuffled.Resources[j] = shuffled.Resources[j], shuffled.Resources[i]
	})
	g := Build(shuffled)
	if g.Mermaid() != mmd || g.Dot() != dot {
		t.Error("the rendering depends on registration order")
	}
	if strings.Contains(mmd, "/work/") || strings.Contains(dot, ".zip") {
		t.Error("the rendering names a local path")
	}
}

// TestExistingResourcesAndSubscriptionFeed: a VPC of vpcIds, an existing
// flow-log bucket and an existing OpenSearch domain are drawn as existing
// resources on the data path, and with firehoseFeedMode subscription the
// log group feeds the stream directly.
func TestExistingResourcesAndSubscriptionFeed(t *testing.T) {
	m, err := mockaws.Run(stacks.Program, "vpc-flow-logs", "test", map[string]string{
		"vpc-flow-logs:architectures":              `["cloudwatch-opensearch","s3-athena","firehose-athena"]`,
		"vpc-flow-logs:vpcIds":                     `["vpc-0123456789abcdef0"]`,
		"vpc-flow-logs:firehoseFeedMode":           "subscription",
		"vpc-flow-logs:existingBucketArn":          "arn:aws:s3:::my-flow-log-bucket",
		"vpc-flow-logs:opensearchSubnetIds":        `["subnet-0123456789abcdef0","subnet-0fedcba9876543210"]`,
		"vpc-flow-logs:opensearchExistingEndpoint": "vpc-flowlogs-abc123.us-east-1.es.amazonaws.com",
		"vpc-flow-logs:opensearchExistingArn":      "arn:aws:es:us-east-1:123456789012:domain/flowlogs",
	})
	if err != nil {
		t.Fatal(err)
	}
	g := Build(m)
	vpc := g.Node("existing_vpc_0123456789abcdef0")
	if vpc == nil || vpc.Kind != KindSource || vpc.Title != "existing VPC" {
		t.Fatalf("existing VPC node: %+v", vpc)
	}
	if g.EdgeBetween(vpc.ID, "flowlogs_cw_vpc0") == nil || g.EdgeBetween(vpc.ID, "s3_athena_flowlogs_vpc0") == nil {
		t.Error("the existing VPC does not feed both flow logs")
	}
	if e := g.EdgeBetween("flowlogs_cw_logs", "firehose_stream"); e == nil || e.Label != "subscription" {
		t.Errorf("log group -> stream: %+v", e)
	}
	if g.Node("firehose_forwarder") != nil {
		t.Error("subscription feed mode draws a forwarder")
	}
	bucket := g.Node("existing_my_flow_log_bucket")
	if bucket == nil || bucket.Title != "existing S3 bucket" || bucket.Kind != KindStore {
		t.Fatalf("existing bucket node: %+v", bucket)
	}
	if g.EdgeBetween("s3_athena_flowlogs_vpc0", bucket.ID) == nil || g.EdgeBetween(bucket.ID, "s3_athena_table") == nil {
		t.Error("the existing bucket is not between the flow log and the Glue table")
	}
	domain := g.Node("existing_vpc_flowlogs_abc123_us_east_1_es_amazonaws_com")
	if domain == nil || domain.Title != "existing OpenSearch domain" {
		t.Fatalf("existing domain node: %+v", domain)
	}
	if e := g.EdgeBetween("opensearch_indexer", domain.ID); e == nil || e.Label != "HTTPS, SigV4" {
		t.Errorf("indexer -> existing domain: %+v", e)
	}
	if !strings.Contains(g.Mermaid(), `existing_vpc_0123456789abcdef0(["<b>existing VPC</b><br/>vpc-0123456789abcdef0"])`) {
		t.Errorf("Mermaid lacks the existing VPC:\n%s", g.Mermaid())
	}
}

func TestRenderings(t *testing.T) {
	g := devGraph(t)
	mmd := g.Mermaid()
	for _, want := range []string{
		"flowchart LR\n",
		`  subgraph c_firehose["firehose: FirehosePipeline (firehose-athena)"]`,
		`    firehose_bucket[("<b>S3 bucket</b><br/>firehose-bucket<br/>expires after 90 days<br/>retained on destroy")]`,
		`  firehose_forwarder -.->|"on failure"| firehose_forwarder_dlq`,
		`  alarms_topic -->|"email"| alarms_email0`,
	} {
		if !strings.Contains(mmd, want) {
			t.Errorf("Mermaid lacks %q", want)
		}
	}
	if strings.Count(mmd, "subgraph ") != strings.Count(mmd, "\n  end\n") {
		t.Error("unbalanced subgraphs")
	}
	dot := g.Dot()
	for _, want := range []string{
		"digraph architecture {",
		"  subgraph cluster_firehose {",
		`firehose_forwarder -> firehose_forwarder_dlq [label="on failure", style=dashed];`,
		`shape=cylinder`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("dot lacks %q", want)
		}
	}
}

func TestReplaceReadme(t *testing.T) {
	in := "intro\n" + ReadmeBegin + "\nold\n" + ReadmeEnd + "\nrest\n"
	out, err := ReplaceReadme(in, "flowchart LR\n  a --> b\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "intro\n" + ReadmeBegin + "\n```mermaid\nflowchart LR\n  a --> b\n```\n" + ReadmeEnd + "\nrest\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if _, err := ReplaceReadme("no markers", "x"); err == nil {
		t.Error("missing markers accepted")
	}
}
