// Package diagram turns the record of a mocked run (internal/mockaws: every
// registration with its type, parent and inputs, the same record `make plan`
// and the security rules read) into the architecture picture of a stack.
//
// Nodes are the resources on the data path: VPCs, flow logs, log groups,
// Lambda functions, Firehose streams, buckets, Glue tables, Athena
// workgroups, OpenSearch domains, queues, metric filters, alarms, topics and
// their subscriptions. Everything else (IAM, bucket settings, security
// groups, VPC endpoints, ...) is summarized as one "+N more" note per
// component, and alarms that no metric filter feeds as one "N health alarms"
// node, so the picture stays readable. Nodes are grouped in one cluster per
// component. Edges are derived from the recorded inputs, never from names:
// a flow log's logDestination, a subscription filter's logGroup and
// destinationArn, a function's environment (DELIVERY_STREAM_NAME,
// OPENSEARCH_ENDPOINT, ...), an on-failure destination, a Firehose stream's
// bucket, a Glue table's location, a workgroup's result location, a metric
// filter's metric and an alarm's actions.
//
// Everything is sorted, so the same stack always gives the same bytes:
// README.md and docs/architecture.mmd are compared with a fresh render by a
// test.
package diagram

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/dashboard"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// Kind is what a node is, which decides its shape.
type Kind string

// Node kinds.
const (
	KindSource    Kind = "source"    // a monitored VPC
	KindFlowLog   Kind = "flowlog"   // a flow log
	KindStore     Kind = "store"     // log group, bucket, queue, domain, table
	KindCompute   Kind = "compute"   // function, stream, workgroup, instance, invocation
	KindAlarm     Kind = "alarm"     // metric filter, alarm, health alarms
	KindNotify    Kind = "notify"    // SNS topic
	KindRecipient Kind = "recipient" // a topic subscription (e-mail address)
	KindNote      Kind = "note"      // the "+N more" summary of a component
)

// Shared is the architecture of the components every architecture uses:
// the demo network, the shared CloudWatch Logs flow log and the alarm topic.
const Shared = "shared"

// Node is one box of the picture.
type Node struct {
	ID      string   // stable identifier (from the logical name)
	Title   string   // what it is: "S3 bucket"
	Name    string   // the logical name, or what a synthetic node stands for
	Details []string // short facts from the inputs: retention, sizes, ...
	Kind    Kind
	Cluster string // the cluster's ID, "" outside every component
	Arch    string // the architecture it belongs to, or Shared
	// Resource is the recorded resource (nil for synthetic nodes).
	Resource *mockaws.Resource
	// Members are the resources a synthetic node stands for (health alarms).
	Members []*mockaws.Resource
}

// Short is the node as text: "S3 bucket firehose-bucket".
func (n *Node) Short() string {
	if n.Title == "" {
		return n.Name
	}
	return n.Title + " " + n.Name
}

// Edge is a data (or notification) flow between two nodes.
type Edge struct {
	From, To string // node IDs
	Label    string
	// Failure marks a path taken only when processing fails (dashed).
	Failure bool
}

// Cluster is one component and the nodes drawn inside it.
type Cluster struct {
	ID   string
	Name string // the component's logical name
	Type string // the component's type, without the package prefix
	Arch string
	// Hidden counts, per category, the resources of the component that are
	// not drawn (IAM, bucket settings, network, ...).
	Hidden map[string]int
}

// Label is the cluster's title.
func (c *Cluster) Label() string { return fmt.Sprintf("%s: %s (%s)", c.Name, c.Type, c.Arch) }

// Graph is the picture of one stack.
type Graph struct {
	Project, Stack string
	Clusters       []*Cluster
	Nodes          []*Node
	Edges          []*Edge
	// Resources are every cloud resource of the run, drawn or not, by URN.
	Resources []*mockaws.Resource

	ix       *index
	byID     map[string]*Node
	byURN    map[string]*Node
	clusters map[string]*Cluster
	// archOf is the architecture of every custom resource, by URN.
	archOf map[string]string
	// clusterOf is the cluster ID of every custom resource, by URN.
	clusterOf map[string]string
}

// Node returns the node with this ID, or nil.
func (g *Graph) Node(id string) *Node { return g.byID[id] }

// NodeOf returns the node drawn for a resource, or nil when it is not drawn.
func (g *Graph) NodeOf(r *mockaws.Resource) *Node { return g.byURN[r.URN] }

// ArchOf returns the architecture a resource belongs to (Shared for the
// shared components), "" for a resource outside every component.
func (g *Graph) ArchOf(r *mockaws.Resource) string { return g.archOf[r.URN] }

// ExpiryDays returns the days after which a bucket's lifecycle expires
// current objects, 0 when no rule does.
func (g *Graph) ExpiryDays(bucket *mockaws.Resource) int { return g.ix.expiryDays(bucket) }

// Out returns the edges leaving a node, sorted.
func (g *Graph) Out(id string) []*Edge {
	var out []*Edge
	for _, e := range g.Edges {
		if e.From == id {
			out = append(out, e)
		}
	}
	return out
}

// In returns the edges entering a node, sorted.
func (g *Graph) In(id string) []*Edge {
	var out []*Edge
	for _, e := range g.Edges {
		if e.To == id {
			out = append(out, e)
		}
	}
	return out
}

// Resource type tokens the picture reads.
const (
	tVpc          = "aws:ec2/vpc:Vpc"
	tFlowLog      = "aws:ec2/flowLog:FlowLog"
	tLogGroup     = "aws:cloudwatch/logGroup:LogGroup"
	tSubscription = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
	tMetricFilter = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
	tAlarm        = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tInsightRule  = "aws:cloudwatch/contributorInsightRule:ContributorInsightRule"
	tFunction     = "aws:lambda/function:Function"
	tInvokeConfig = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
	tInvocation   = "aws:lambda/invocation:Invocation"
	tFirehose     = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
	tBucketV2     = "aws:s3/bucketV2:BucketV2"
	tBucket       = "aws:s3/bucket:Bucket"
	tLifecycleV2  = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tLifecycle    = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
	tTable        = "aws:glue/catalogTable:CatalogTable"
	tWorkgroup    = "aws:athena/workgroup:Workgroup"
	tNamedQuery   = "aws:athena/namedQuery:NamedQuery"
	tDomain       = "aws:opensearch/domain:Domain"
	tDomainPolicy = "aws:opensearch/domainPolicy:DomainPolicy"
	tQueue        = "aws:sqs/queue:Queue"
	tTopic        = "aws:sns/topic:Topic"
	tTopicSub     = "aws:sns/topicSubscription:TopicSubscription"
	tInstance     = "aws:ec2/instance:Instance"
	tSGRule       = "aws:ec2/securityGroupRule:SecurityGroupRule"
	tProfile      = "aws:iam/instanceProfile:InstanceProfile"
	tQSDataSource = "aws:quicksight/dataSource:DataSource"
	tQSDataSet    = "aws:quicksight/dataSet:DataSet"
	tDashboard    = "aws:cloudwatch/dashboard:Dashboard"
)

// drawn are the types drawn as nodes, with their title and kind. Types
// marked connected are drawn only when an edge touches them (a Lambda
// function's own log group is not on the data path; the flow-log log
// group is).
var drawn = map[string]struct {
	title     string
	kind      Kind
	connected bool
}{
	tVpc:          {"VPC", KindSource, false},
	tFlowLog:      {"flow log", KindFlowLog, false},
	tLogGroup:     {"log group", KindStore, true},
	tFunction:     {"Lambda function", KindCompute, false},
	tInvocation:   {"Lambda invocation", KindCompute, false},
	tFirehose:     {"Firehose stream", KindCompute, false},
	tBucketV2:     {"S3 bucket", KindStore, false},
	tBucket:       {"S3 bucket", KindStore, false},
	tTable:        {"Glue table", KindStore, false},
	tWorkgroup:    {"Athena workgroup", KindCompute, false},
	tDomain:       {"OpenSearch domain", KindStore, false},
	tQueue:        {"SQS queue", KindStore, true},
	tTopic:        {"SNS topic", KindNotify, false},
	tTopicSub:     {"subscription", KindRecipient, false},
	tMetricFilter: {"metric filter", KindAlarm, false},
	tAlarm:        {"alarm", KindAlarm, true},
	tInsightRule:  {"Contributor Insights rule", KindAlarm, false},
	tInstance:     {"EC2 instance", KindCompute, false},
	tQSDataSource: {"QuickSight data source", KindCompute, false},
	tQSDataSet:    {"QuickSight data set", KindStore, false},
	tDashboard:    {"CloudWatch dashboard", KindAlarm, false},
}

// componentArch is the architecture of a component type; AthenaTable takes
// the architecture of the component whose bucket its table reads, every
// other component is Shared.
var componentArch = map[string]string{
	"vpcflowlogs:index:FlowLogToS3":      string(stackconfig.S3Athena),
	"vpcflowlogs:index:FirehosePipeline": string(stackconfig.FirehoseAthena),
	"vpcflowlogs:index:OpenSearchStream": string(stackconfig.CloudWatchOpenSearch),
}

// envEdges labels the edge a function's environment variable makes to the
// resource it names.
var envEdges = map[string]string{
	"DELIVERY_STREAM_NAME":  "PutRecordBatch",
	"OPENSEARCH_ENDPOINT":   "HTTPS, SigV4",
	"DEAD_LETTER_QUEUE_URL": "dead letters",
}

// Build draws the graph of a mocked run.
func Build(m *mockaws.Mocks) *Graph {
	g := &Graph{
		Project: m.Project, Stack: m.Stack,
		byID: map[string]*Node{}, byURN: map[string]*Node{}, clusters: map[string]*Cluster{},
		archOf: map[string]string{}, clusterOf: map[string]string{},
	}
	resources := slices.Clone(m.Resources)
	slices.SortFunc(resources, func(a, b *mockaws.Resource) int { return cmp.Compare(a.URN, b.URN) })
	byURN := map[string]*mockaws.Resource{}
	for _, r := range resources {
		byURN[r.URN] = r
	}

	// Clusters: the nearest component ancestor of every custom resource.
	var custom []*mockaws.Resource
	for _, r := range resources {
		if !r.Custom {
			if _, ok := g.clusters[clusterID(r.Name)]; !ok {
				g.clusters[clusterID(r.Name)] = &Cluster{
					ID: clusterID(r.Name), Name: r.Name, Type: lastSegment(r.Type),
					Arch: cmp.Or(componentArch[r.Type], Shared), Hidden: map[string]int{},
				}
			}
			continue
		}
		if strings.HasPrefix(r.Type, "pulumi:providers:") {
			continue
		}
		custom = append(custom, r)
		for p := byURN[r.Parent]; p != nil; p = byURN[p.Parent] {
			if !p.Custom {
				g.clusterOf[r.URN] = clusterID(p.Name)
				break
			}
		}
	}

	ix := newIndex(custom)
	g.ix, g.Resources = ix, custom
	b := &builder{g: g, ix: ix, candidates: map[string]*mockaws.Resource{}}
	for _, r := range custom {
		if _, ok := drawn[r.Type]; ok {
			b.candidates[r.URN] = r
		}
	}
	b.edges(custom)

	// Nodes: drawn types, the connected ones only when an edge touches them.
	touched := map[string]bool{}
	for _, e := range b.raw {
		touched[e.from] = true
		touched[e.to] = true
	}
	for _, r := range custom {
		d, ok := drawn[r.Type]
		if !ok || b.candidates[r.URN] == nil || (d.connected && !touched[r.URN]) {
			if c := g.clusters[g.clusterOf[r.URN]]; c != nil && !b.summarized[r.URN] {
				c.Hidden[category(r.Type)]++
			}
			continue
		}
		n := &Node{
			ID: nodeID(r.Name), Title: d.title, Name: r.Name, Kind: d.kind,
			Cluster: g.clusterOf[r.URN], Resource: r, Details: details(r, ix),
		}
		if r.Type == tTopicSub {
			n.Title = cmp.Or(str(r.Inputs["protocol"]), "subscription")
			if n.Title == "email" {
				n.Title = "e-mail"
			}
		}
		g.add(n)
		g.byURN[r.URN] = n
	}
	for _, n := range b.synthetic {
		g.add(n)
	}
	for _, e := range b.raw {
		from, to := cmp.Or(e.fromN, g.byURN[e.from]), cmp.Or(e.toN, g.byURN[e.to])
		if from == nil || to == nil {
			continue
		}
		g.Edges = append(g.Edges, &Edge{From: from.ID, To: to.ID, Label: e.label, Failure: e.failure})
	}

	g.assignArchitectures(custom)
	for _, c := range g.clusters {
		if len(c.Hidden) > 0 {
			g.add(noteNode(c))
		}
		g.Clusters = append(g.Clusters, c)
	}
	g.sort()
	return g
}

func (g *Graph) add(n *Node) {
	for g.byID[n.ID] != nil { // two resources of different types with one name
		n.ID += "_"
	}
	g.byID[n.ID] = n
	g.Nodes = append(g.Nodes, n)
}

// assignArchitectures gives every cluster, node and resource its
// architecture: AthenaTable clusters take that of the bucket their table
// reads; metric filters and the alarms they feed are the s3-athena
// architecture's rules (docs/alarms.md) wherever the component
// that owns them sits.
func (g *Graph) assignArchitectures(custom []*mockaws.Resource) {
	for _, c := range g.clusters {
		if c.Type != "AthenaTable" {
			continue
		}
		for _, n := range g.Nodes {
			if n.Cluster != c.ID || n.Resource == nil || n.Resource.Type != tTable {
				continue
			}
			for _, e := range g.In(n.ID) {
				if src := g.byID[e.From]; src != nil && src.Cluster != "" && src.Cluster != c.ID {
					c.Arch = g.clusters[src.Cluster].Arch
				}
			}
		}
	}
	for _, r := range custom {
		if c := g.clusters[g.clusterOf[r.URN]]; c != nil {
			g.archOf[r.URN] = c.Arch
		}
	}
	for _, n := range g.Nodes {
		if c := g.clusters[n.Cluster]; c != nil {
			n.Arch = c.Arch
		}
	}
	for _, n := range g.Nodes {
		if n.Resource == nil || n.Resource.Type != tMetricFilter {
			continue
		}
		n.Arch = string(stackconfig.S3Athena)
		g.archOf[n.Resource.URN] = n.Arch
		for _, e := range g.Out(n.ID) {
			if a := g.byID[e.To]; a != nil && a.Kind == KindAlarm {
				a.Arch = n.Arch
				if a.Resource != nil {
					g.archOf[a.Resource.URN] = n.Arch
				}
			}
		}
	}
	for _, n := range g.Nodes {
		for _, r := range n.Members {
			g.archOf[r.URN] = n.Arch
		}
	}
}

func (g *Graph) sort() {
	slices.SortFunc(g.Clusters, func(a, b *Cluster) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(g.Nodes, func(a, b *Node) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(g.Edges, func(a, b *Edge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.Label, b.Label))
	})
	g.Edges = slices.CompactFunc(g.Edges, func(a, b *Edge) bool { return *a == *b })
}

// rawEdge is an edge between resources (by URN) or synthetic nodes.
type rawEdge struct {
	from, to   string // URNs, "" for a synthetic end
	fromN, toN *Node  // synthetic ends
	label      string
	failure    bool
}

type builder struct {
	g          *Graph
	ix         *index
	candidates map[string]*mockaws.Resource
	raw        []rawEdge
	synthetic  []*Node
	summarized map[string]bool
	// external are the nodes of resources the stack uses but does not
	// create (config vpcIds, existingBucketArn, opensearchExistingEndpoint),
	// by "kind:identifier".
	external map[string]*Node
}

// existing returns the node of a resource the stack does not create,
// adding it the first time.
func (b *builder) existing(key, title, name string, kind Kind) *Node {
	if n := b.external[key]; n != nil {
		return n
	}
	n := &Node{ID: "existing_" + sanitize(name), Title: "existing " + title, Name: name, Kind: kind, Arch: Shared}
	b.external[key] = n
	b.synthetic = append(b.synthetic, n)
	return n
}

// rawEdge adds an edge whose ends are resources (non-nil) or nodes.
func (b *builder) rawEdge(from *mockaws.Resource, fromNode *Node, to *mockaws.Resource, toNode *Node, label string) {
	e := rawEdge{label: label}
	switch {
	case from != nil && b.candidates[from.URN] != nil:
		e.from = from.URN
	case fromNode != nil:
		e.fromN = fromNode
	default:
		return
	}
	switch {
	case to != nil && b.candidates[to.URN] != nil:
		e.to = to.URN
	case toNode != nil:
		e.toN = toNode
	default:
		return
	}
	b.raw = append(b.raw, e)
}

// bucketName is the bucket of an S3 ARN or URL ("" for anything else).
func bucketName(v string) string {
	for _, prefix := range []string{"arn:aws:s3:::", "s3://"} {
		if rest, ok := strings.CutPrefix(v, prefix); ok {
			name, _, _ := strings.Cut(rest, "/")
			return name
		}
	}
	return ""
}

func (b *builder) edge(from, to *mockaws.Resource, label string, failure bool) {
	if from == nil || to == nil || from == to {
		return
	}
	if b.candidates[from.URN] == nil || b.candidates[to.URN] == nil {
		return
	}
	b.raw = append(b.raw, rawEdge{from: from.URN, to: to.URN, label: label, failure: failure})
}

// edges derives the data-flow edges from the recorded inputs.
func (b *builder) edges(custom []*mockaws.Resource) {
	ix := b.ix
	b.summarized = map[string]bool{}
	b.external = map[string]*Node{}
	byType := map[string][]*mockaws.Resource{}
	for _, r := range custom {
		byType[r.Type] = append(byType[r.Type], r)
	}

	// Monitored VPC -> flow log -> destination.
	for _, fl := range byType[tFlowLog] {
		src := ""
		for _, k := range []string{"vpcId", "subnetId", "eniId", "transitGatewayId"} {
			if src = str(fl.Inputs[k]); src != "" {
				break
			}
		}
		traffic := str(fl.Inputs["trafficType"])
		if v := ix.resolve(src); v != nil {
			b.edge(v, fl, traffic, false)
		} else if src != "" {
			// A VPC the stack monitors but does not create (config vpcIds).
			b.rawEdge(nil, b.existing("vpc:"+src, "VPC", src, KindSource), fl, nil, traffic)
		}
		dest := str(fl.Inputs["logDestination"])
		if d := ix.resolve(dest); d != nil {
			b.edge(fl, d, flowLogLabel(fl), false)
		} else if name := bucketName(dest); name != "" {
			b.rawEdge(fl, nil, nil, b.existing("s3:"+name, "S3 bucket", name, KindStore), flowLogLabel(fl))
		} else if dest != "" {
			_, name, _ := strings.Cut(dest, ":log-group:")
			b.rawEdge(fl, nil, nil, b.existing("dest:"+dest, "destination", cmp.Or(name, dest), KindStore), flowLogLabel(fl))
		}
	}

	// Subscription filter: log group -> function or stream.
	for _, s := range byType[tSubscription] {
		label := "subscription"
		if p := str(s.Inputs["filterPattern"]); p != "" {
			label += " " + p
		}
		b.edge(ix.resolve(str(s.Inputs["logGroup"])), ix.resolve(str(s.Inputs["destinationArn"])), label, false)
	}

	// Function environment: the stream, domain or queue it writes to.
	for _, fn := range byType[tFunction] {
		vars, _ := get(fn.Inputs, "environment.variables").(map[string]any)
		for _, k := range sortedKeys(vars) {
			v := str(vars[k])
			if t := ix.resolve(v); t != nil {
				b.edge(fn, t, cmp.Or(envEdges[k], k), false)
			} else if host, ok := strings.CutPrefix(v, "https://"); ok && k == "OPENSEARCH_ENDPOINT" {
				// opensearchExistingEndpoint: a domain the stack does not create.
				b.rawEdge(fn, nil, nil, b.existing("es:"+host, "OpenSearch domain", host, KindStore), envEdges[k])
			}
		}
	}

	// On-failure destinations of asynchronous invocations.
	for _, c := range byType[tInvokeConfig] {
		fn := ix.resolve(str(c.Inputs["functionName"]))
		b.edge(fn, ix.resolve(str(get(c.Inputs, "destinationConfig.onFailure.destination"))), "on failure", true)
	}

	// A Lambda invocation runs its function on deploy.
	for _, inv := range byType[tInvocation] {
		b.edge(inv, ix.resolve(str(inv.Inputs["functionName"])), "on deploy", false)
	}

	// Firehose stream -> bucket.
	for _, s := range byType[tFirehose] {
		for _, conf := range []string{"extendedS3Configuration", "s3Configuration"} {
			bucket := ix.resolve(str(get(s.Inputs, conf+".bucketArn")))
			if bucket == nil {
				continue
			}
			label := "objects"
			if f := str(get(s.Inputs, conf+".compressionFormat")); f != "" && f != "UNCOMPRESSED" {
				label = strings.ToLower(f) + " objects"
			}
			b.edge(s, bucket, label, false)
		}
	}

	// Bucket -> Glue table that reads it.
	tablesByDB := map[string][]*mockaws.Resource{}
	for _, t := range byType[tTable] {
		tablesByDB[str(t.Inputs["databaseName"])] = append(tablesByDB[str(t.Inputs["databaseName"])], t)
		label := "table location"
		if projection(t) {
			label = "partition projection"
		}
		loc := str(get(t.Inputs, "storageDescriptor.location"))
		if src := ix.resolve(loc); src != nil {
			b.edge(src, t, label, false)
		} else if n := b.external["s3:"+bucketName(loc)]; n != nil {
			b.rawEdge(nil, n, t, nil, label)
		}
	}

	// Glue table -> workgroup, through the saved queries that name both.
	type pair struct{ table, wg *mockaws.Resource }
	queries := map[pair]int{}
	for _, q := range byType[tNamedQuery] {
		wg := ix.resolve(str(q.Inputs["workgroup"]))
		for _, t := range tablesByDB[str(q.Inputs["database"])] {
			queries[pair{t, wg}]++
		}
	}
	for p, n := range queries {
		b.edge(p.table, p.wg, plural(n, "saved query", "saved queries"), false)
	}

	// Workgroup -> the bucket it writes query results to.
	for _, wg := range byType[tWorkgroup] {
		b.edge(wg, ix.resolve(str(get(wg.Inputs, "configuration.resultConfiguration.outputLocation"))), "query results", false)
	}

	// Log group -> metric filter -> alarm (same metric) -> topic.
	type metric struct{ namespace, name string }
	filters := map[metric]*mockaws.Resource{}
	for _, f := range byType[tMetricFilter] {
		b.edge(ix.resolve(str(f.Inputs["logGroupName"])), f, "", false)
		filters[metric{str(get(f.Inputs, "metricTransformation.namespace")), str(get(f.Inputs, "metricTransformation.name"))}] = f
	}
	// Log group -> Contributor Insights rule (its definition names the log
	// groups it reads); an alarm whose INSIGHT_RULE_METRIC names the rule
	// hangs off the rule.
	insightRules := map[string]*mockaws.Resource{} // rule name -> rule
	for _, r := range byType[tInsightRule] {
		var def struct{ LogGroupNames []string }
		if json.Unmarshal([]byte(str(r.Inputs["ruleDefinition"])), &def) == nil {
			for _, lg := range def.LogGroupNames {
				b.edge(ix.resolve(lg), r, "", false)
			}
		}
		insightRules[str(r.Inputs["ruleName"])] = r
	}
	health := map[string][]*mockaws.Resource{} // cluster ID -> alarms no filter feeds
	for _, a := range byType[tAlarm] {
		if rule := insightRules[insightRuleOf(a)]; rule != nil {
			b.edge(rule, a, alarmCondition(a), false)
			for _, t := range alarmTopics(a, ix) {
				b.edge(a, t, "alarm", false)
			}
			continue
		}
		ns, name := alarmMetric(a)
		f := filters[metric{ns, name}]
		if f == nil {
			health[b.g.clusterOf[a.URN]] = append(health[b.g.clusterOf[a.URN]], a)
			continue
		}
		b.edge(f, a, alarmCondition(a), false)
		for _, t := range alarmTopics(a, ix) {
			b.edge(a, t, "alarm", false)
		}
	}
	for _, cid := range sortedKeys(health) {
		alarms := health[cid]
		n := &Node{
			ID: "health_alarms_" + strings.TrimPrefix(cid, "c_"), Title: "alarms",
			Name: plural(len(alarms), "health alarm", "health alarms"), Kind: KindAlarm, Cluster: cid,
			Members: alarms,
		}
		b.synthetic = append(b.synthetic, n)
		topics := map[*mockaws.Resource]bool{}
		for _, a := range alarms {
			b.summarized[a.URN] = true
			for _, t := range alarmTopics(a, ix) {
				topics[t] = true
			}
		}
		for t := range topics {
			if b.candidates[t.URN] != nil {
				b.raw = append(b.raw, rawEdge{fromN: n, to: t.URN, label: "alarm"})
			}
		}
	}

	// Topic -> subscription; a subscription of a function or queue of the
	// stack is an edge to it instead of a node of its own.
	for _, s := range byType[tTopicSub] {
		topic := ix.resolve(str(s.Inputs["topic"]))
		if target := ix.resolve(str(s.Inputs["endpoint"])); target != nil && target != s && b.candidates[target.URN] != nil {
			b.edge(topic, target, str(s.Inputs["protocol"]), false)
			delete(b.candidates, s.URN)
			continue
		}
		b.edge(topic, s, str(s.Inputs["protocol"]), false)
	}

	// Athena workgroup -> QuickSight data source -> data set.
	for _, ds := range byType[tQSDataSource] {
		b.edge(ix.resolve(str(get(ds.Inputs, "parameters.athena.workGroup"))), ds, "Athena queries", false)
	}
	for _, set := range byType[tQSDataSet] {
		for _, m := range list(set.Inputs["physicalTableMaps"]) {
			b.edge(ix.resolve(str(get(m, "relationalTable.dataSourceArn"))), set, "", false)
		}
	}

	// Instances the network lets in: the domain's security group admits
	// HTTPS from a group the instance is in (the access host's path, whose
	// requests fine-grained access control authenticates; a function's own
	// edge comes from its environment).
	for _, domain := range byType[tDomain] {
		for _, sg := range list(get(domain.Inputs, "vpcOptions.securityGroupIds")) {
			for _, rule := range byType[tSGRule] {
				if str(rule.Inputs["type"]) != "ingress" || str(rule.Inputs["securityGroupId"]) != str(sg) {
					continue
				}
				from := str(rule.Inputs["sourceSecurityGroupId"])
				for _, inst := range byType[tInstance] {
					if from != "" && slices.Contains(list(inst.Inputs["vpcSecurityGroupIds"]), any(from)) {
						b.edge(inst, domain, "HTTPS, port forward", false)
					}
				}
			}
		}
	}
	// Clients an OpenSearch access policy names: an instance reaches the
	// domain through its instance profile's role.
	for _, p := range byType[tDomainPolicy] {
		domain := ix.resolve(str(p.Inputs["domainName"]))
		for _, role := range principals(str(p.Inputs["accessPolicies"])) {
			r := ix.resolve(role)
			if r == nil {
				continue
			}
			for _, prof := range byType[tProfile] {
				if str(prof.Inputs["role"]) != str(r.Outputs["name"]) {
					continue
				}
				for _, inst := range byType[tInstance] {
					if str(inst.Inputs["iamInstanceProfile"]) == str(prof.Outputs["name"]) {
						b.edge(inst, domain, "HTTPS, port forward", false)
					}
				}
			}
		}
	}
}

// noteNode summarizes the resources of a component that are not drawn.
func noteNode(c *Cluster) *Node {
	total := 0
	var parts []string
	for _, k := range sortedKeys(c.Hidden) {
		total += c.Hidden[k]
		parts = append(parts, fmt.Sprintf("%s %d", k, c.Hidden[k]))
	}
	var lines []string
	for i := 0; i < len(parts); i += 3 {
		lines = append(lines, strings.Join(parts[i:min(i+3, len(parts))], ", "))
	}
	return &Node{
		ID: "more_" + strings.TrimPrefix(c.ID, "c_"), Title: "", Name: fmt.Sprintf("+%d more", total),
		Details: lines, Kind: KindNote, Cluster: c.ID, Arch: c.Arch,
	}
}

// category groups the resources a picture does not draw.
func category(t string) string {
	mod, _, _ := strings.Cut(strings.TrimPrefix(t, "aws:"), "/")
	switch {
	case mod == "iam":
		return "IAM"
	case mod == "s3":
		return "bucket settings"
	case mod == "ec2":
		return "network"
	case t == tLogGroup || t == "aws:cloudwatch/logStream:LogStream":
		return "logging"
	case t == tSubscription:
		return "subscription filters"
	case t == tTopicSub:
		return "subscriptions"
	case t == tAlarm:
		return "alarms"
	case mod == "lambda":
		return "Lambda settings"
	case mod == "kms":
		return "KMS"
	case mod == "athena":
		return "saved queries"
	case mod == "glue":
		return "Glue"
	case mod == "secretsmanager":
		return "secrets"
	case mod == "sns" || mod == "sqs" || mod == "opensearch":
		return "policies"
	}
	return mod
}

// details are the facts a node shows under its name.
func details(r *mockaws.Resource, ix *index) []string {
	in := r.Inputs
	at := func(path string) (int, bool) {
		f, ok := num(get(in, path))
		return int(f), ok
	}
	switch r.Type {
	case tVpc:
		return nonEmpty(str(in["cidrBlock"]))
	case tFlowLog:
		s := str(in["trafficType"])
		if n, ok := at("maxAggregationInterval"); ok {
			s += fmt.Sprintf(", %d s", n)
		}
		return nonEmpty(s)
	case tLogGroup:
		if n, ok := at("retentionInDays"); ok {
			return []string{fmt.Sprintf("kept %d days", n)}
		}
		return []string{"kept forever"}
	case tFunction:
		var parts []string
		if a := list(in["architectures"]); len(a) > 0 {
			parts = append(parts, str(a[0]))
		}
		if n, ok := at("memorySize"); ok {
			parts = append(parts, fmt.Sprintf("%d MB", n))
		}
		if len(list(get(in, "vpcConfig.subnetIds"))) > 0 {
			parts = append(parts, "in the VPC")
		}
		return nonEmpty(strings.Join(parts, ", "))
	case tFirehose:
		c := "extendedS3Configuration"
		size, _ := at(c + ".bufferingSize")
		secs, _ := at(c + ".bufferingInterval")
		if size == 0 && secs == 0 {
			return nil
		}
		return []string{fmt.Sprintf("buffer %d MiB / %d s", size, secs)}
	case tBucketV2, tBucket:
		var out []string
		if days := ix.expiryDays(r); days > 0 {
			out = append(out, fmt.Sprintf("expires after %d days", days))
		}
		if r.RetainOnDelete {
			out = append(out, "retained on destroy")
		}
		return out
	case tTable:
		return nonEmpty(str(in["databaseName"]) + "." + str(in["name"]))
	case tWorkgroup:
		if n, ok := at("configuration.bytesScannedCutoffPerQuery"); ok {
			return []string{fmt.Sprintf("scan cutoff %d MB", n/1_000_000)}
		}
	case tDomain:
		n, _ := at("clusterConfig.instanceCount")
		s := fmt.Sprintf("%d x %s", n, str(get(in, "clusterConfig.instanceType")))
		if v, ok := at("ebsOptions.volumeSize"); ok {
			s += fmt.Sprintf(", %d GiB %s", v, str(get(in, "ebsOptions.volumeType")))
		}
		return []string{s}
	case tQueue:
		if n, ok := at("messageRetentionSeconds"); ok {
			return []string{fmt.Sprintf("kept %d days", n/86400)}
		}
	case tTopic:
		if str(in["kmsMasterKeyId"]) != "" {
			return []string{"KMS-encrypted"}
		}
	case tTopicSub:
		return nonEmpty(str(in["endpoint"]))
	case tInstance:
		return nonEmpty(str(in["instanceType"]))
	case tDashboard:
		if c, err := dashboard.Read(str(in["dashboardBody"])); err == nil {
			return []string{c.Summary()}
		}
	}
	return nil
}

func flowLogLabel(fl *mockaws.Resource) string {
	switch t := str(fl.Inputs["logDestinationType"]); t {
	case "s3":
		f := str(get(fl.Inputs, "destinationOptions.fileFormat"))
		if f == "" || f == "plain-text" {
			return "gzip text objects"
		}
		return f + " objects"
	case "kinesis-data-firehose":
		return "records"
	case "", "cloud-watch-logs":
		return "log events"
	default:
		return t
	}
}

// projection reports whether a Glue table uses partition projection.
func projection(t *mockaws.Resource) bool {
	params, _ := t.Inputs["parameters"].(map[string]any)
	return str(params["projection.enabled"]) == "true"
}

var comparisons = map[string]string{
	"GreaterThanOrEqualToThreshold": "≥",
	"GreaterThanThreshold":          ">",
	"LessThanThreshold":             "<",
	"LessThanOrEqualToThreshold":    "≤",
}

// bandComparisons name the anomaly-detection operators.
var bandComparisons = map[string]string{
	"GreaterThanUpperThreshold":                "above",
	"LessThanLowerThreshold":                   "below",
	"LessThanLowerOrGreaterThanUpperThreshold": "outside",
}

// alarmMetric is the namespace and name of the metric an alarm reads: its
// own, or that of its metric query (an anomaly-detection alarm).
func alarmMetric(a *mockaws.Resource) (namespace, name string) {
	if n := str(a.Inputs["metricName"]); n != "" {
		return str(a.Inputs["namespace"]), n
	}
	for _, q := range list(a.Inputs["metricQueries"]) {
		if m := get(q, "metric"); m != nil {
			return str(get(m, "namespace")), str(get(m, "metricName"))
		}
	}
	return "", ""
}

var insightMetricRe = regexp.MustCompile(`INSIGHT_RULE_METRIC\('([^']+)', '([^']+)'\)`)

// insightRuleOf is the Contributor Insights rule an alarm's metric math
// reads, or "".
func insightRuleOf(a *mockaws.Resource) string {
	for _, q := range list(a.Inputs["metricQueries"]) {
		if m := insightMetricRe.FindStringSubmatch(str(get(q, "expression"))); m != nil {
			return m[1]
		}
	}
	return ""
}

// alarmQuery returns the period and, for metric math, the statistic-like
// word of an alarm that reads metric queries: the anomaly band's width
// ("band 2") or the insight metric ("MaxContributorValue").
func alarmQuery(a *mockaws.Resource) (stat string, period float64, band string) {
	for _, q := range list(a.Inputs["metricQueries"]) {
		expr := str(get(q, "expression"))
		if m := insightMetricRe.FindStringSubmatch(expr); m != nil {
			period, _ = num(get(q, "period"))
			return m[2], period, ""
		}
		if w, ok := strings.CutPrefix(expr, "ANOMALY_DETECTION_BAND("); ok {
			_, arg, _ := strings.Cut(strings.TrimSuffix(w, ")"), ",")
			band = strings.TrimSpace(arg)
			continue
		}
		if m := get(q, "metric"); m != nil {
			stat = str(get(m, "stat"))
			period, _ = num(get(m, "period"))
		}
	}
	return stat, period, band
}

// alarmCondition is "Sum ≥ 3 in 300 s" (times the evaluation periods); for
// an anomaly-detection alarm "Sum above band 2 in 300 s", for a Contributor
// Insights alarm "MaxContributorValue ≥ 100 in 300 s".
func alarmCondition(a *mockaws.Resource) string {
	threshold, _ := num(a.Inputs["threshold"])
	period, _ := num(a.Inputs["period"])
	periods, _ := num(a.Inputs["evaluationPeriods"])
	stat := str(a.Inputs["statistic"])
	limit := cmp.Or(comparisons[str(a.Inputs["comparisonOperator"])], "?") + " " + strconv.FormatFloat(threshold, 'f', -1, 64)
	if qs, qp, band := alarmQuery(a); qs != "" {
		stat, period = qs, qp
		if band != "" {
			limit = cmp.Or(bandComparisons[str(a.Inputs["comparisonOperator"])], "?") + " anomaly band " + band
		}
	}
	s := fmt.Sprintf("%s %s in %d s", stat, limit, int(period))
	if periods > 1 {
		s += fmt.Sprintf(" x %d", int(periods))
	}
	return s
}

func alarmTopics(a *mockaws.Resource, ix *index) []*mockaws.Resource {
	var out []*mockaws.Resource
	for _, v := range list(a.Inputs["alarmActions"]) {
		if t := ix.resolve(str(v)); t != nil && t.Type == tTopic && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func lastSegment(token string) string { return token[strings.LastIndex(token, ":")+1:] }

func clusterID(name string) string { return "c_" + sanitize(name) }

func nodeID(name string) string { return sanitize(name) }

// sanitize keeps letters and digits and turns everything else into "_", so
// IDs are valid in Mermaid and Graphviz alike.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
