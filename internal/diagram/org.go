package diagram

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// The organization picture (issue 16, docs/organization.md): one member
// stack's account and region and the central stack it delivers to, drawn
// from the mocked runs of both. Like the stack picture, every edge comes
// from recorded inputs, never from names: a flow log's logDestination (the
// member's log group, or the central bucket), a subscription filter's
// logGroup and destinationArn (the central destination of the member's
// region), a destination's targetArn (the Kinesis stream), an event source
// mapping's eventSourceArn and functionName, a function's environment
// (DELIVERY_STREAM_NAME, OPENSEARCH_ENDPOINT), a Firehose stream's bucket,
// a Glue table's location, the alarm relay rule's event pattern and its
// target's arn (the central event bus), the bus rule's target (the central
// topic). A node is drawn only when an edge touches it.

// Markers around the organization picture in README.md and docs/organization.md.
const (
	OrgBegin = "<!-- org-diagram:begin (generated from the central and member stacks by `make diagram`; do not edit) -->"
	OrgEnd   = "<!-- org-diagram:end -->"
)

// ReplaceOrg returns doc with the text between the organization markers
// replaced by the Mermaid block.
func ReplaceOrg(doc, mermaid string) (string, error) {
	i := strings.Index(doc, OrgBegin)
	j := strings.Index(doc, OrgEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("lacks the markers %q ... %q", OrgBegin, OrgEnd)
	}
	return doc[:i+len(OrgBegin)] + "\n" + ReadmeBlock(mermaid) + doc[j:], nil
}

// Types the organization picture reads besides the stack picture's.
const (
	tLogDestination = "aws:cloudwatch/logDestination:LogDestination"
	tKinesisStream  = "aws:kinesis/stream:Stream"
	tEventSource    = "aws:lambda/eventSourceMapping:EventSourceMapping"
	tEventBus       = "aws:cloudwatch/eventBus:EventBus"
	tEventRule      = "aws:cloudwatch/eventRule:EventRule"
	tEventTarget    = "aws:cloudwatch/eventTarget:EventTarget"
)

// orgSide is one stack of the picture.
type orgSide struct {
	prefix string
	m      *mockaws.Mocks
}

// orgPicture collects nodes and edges; only connected nodes are drawn.
type orgPicture struct {
	nodes   map[string]*Node
	order   []string
	edges   []*Edge
	seen    map[string]bool
	cluster map[string]string // node ID -> cluster ID
}

func (p *orgPicture) node(id, title, name string, kind Kind, cluster string, details ...string) string {
	if _, ok := p.nodes[id]; !ok {
		p.nodes[id] = &Node{ID: id, Title: title, Name: name, Kind: kind, Cluster: cluster, Details: details}
		p.order = append(p.order, id)
	}
	return id
}

func (p *orgPicture) edge(from, to, label string) {
	key := from + ">" + to
	if from == "" || to == "" || p.seen[key] {
		return
	}
	p.seen[key] = true
	p.edges = append(p.edges, &Edge{From: from, To: to, Label: label})
}

func (s orgSide) id(r *mockaws.Resource) string {
	return s.prefix + "_" + strings.NewReplacer("-", "_", ".", "_", "/", "_").Replace(r.Name)
}

// byName is the recorded resources of a type sorted by logical name: the
// registration order varies from run to run, the picture must not.
func byName(m *mockaws.Mocks, token string) []*mockaws.Resource {
	rs := slices.Clone(m.ByType(token))
	slices.SortFunc(rs, func(a, b *mockaws.Resource) int { return strings.Compare(a.Name, b.Name) })
	return rs
}

func out(r *mockaws.Resource, key string) string { return mockaws.Str(r.Outputs[key]) }

func inputJSON(r *mockaws.Resource) string {
	b, _ := json.Marshal(r.Inputs)
	return string(b)
}

// Organization renders the organization picture (Mermaid): the member
// stack's account and region and the central stack's, from their mocked
// runs. The member must have been planned against the central run's own
// outputs, so that the ARNs it names are the central resources'.
func Organization(central, member *mockaws.Mocks) string {
	p := &orgPicture{nodes: map[string]*Node{}, seen: map[string]bool{}}
	c, mb := orgSide{"c", central}, orgSide{"m", member}
	cBox := "central"
	mBox := "member"
	account := func(m *mockaws.Mocks) string {
		return fmt.Sprintf("account %s, %s: stack %s", m.Account, m.Region, m.Stack)
	}

	// Central: what the members' data and alarms reach.
	buckets := map[string]string{} // bucket ARN -> node ID
	for _, b := range byName(central, tBucketV2) {
		buckets[out(b, "arn")] = c.id(b)
	}
	bucketNode := func(arn string) string {
		for _, b := range byName(central, tBucketV2) {
			if out(b, "arn") == arn {
				return p.node(c.id(b), "S3 bucket", b.Name, KindStore, cBox)
			}
		}
		return ""
	}
	streams := map[string]*mockaws.Resource{}
	for _, s := range byName(central, tKinesisStream) {
		streams[out(s, "arn")] = s
	}
	destinations := map[string]string{} // destination ARN -> node ID
	for _, d := range byName(central, tLogDestination) {
		arn := out(d, "arn")
		region := strings.Split(arn, ":")[3]
		id := c.id(d)
		destinations[arn] = id
		if s, ok := streams[mockaws.Str(d.Inputs["targetArn"])]; ok {
			p.node(id, "CloudWatch Logs destination", d.Name, KindCompute, cBox, region)
			p.edge(id, p.node(c.id(s), "Kinesis stream", s.Name, KindCompute, cBox), "")
		}
	}
	functions := map[string]*mockaws.Resource{}
	for _, f := range byName(central, tFunction) {
		functions[out(f, "arn")] = f
	}
	for _, esm := range byName(central, tEventSource) {
		s, ok := streams[mockaws.Str(esm.Inputs["eventSourceArn"])]
		f, ok2 := functions[mockaws.Str(esm.Inputs["functionName"])]
		if !ok || !ok2 {
			continue
		}
		fn := p.node(c.id(f), "Lambda", f.Name, KindCompute, cBox)
		p.edge(c.id(s), fn, "event source mapping")
		env, _ := mockaws.Get(f.Inputs, "environment.variables").(map[string]any)
		for _, fh := range byName(central, tFirehose) {
			if mockaws.Str(env["DELIVERY_STREAM_NAME"]) == out(fh, "name") {
				fid := p.node(c.id(fh), "Firehose", fh.Name, KindCompute, cBox)
				p.edge(fn, fid, "")
				p.edge(fid, bucketNode(mockaws.Str(mockaws.Get(fh.Inputs, "extendedS3Configuration.bucketArn"))), "")
			}
		}
		for _, d := range byName(central, tDomain) {
			if ep := out(d, "endpoint"); ep != "" && strings.Contains(mockaws.Str(env["OPENSEARCH_ENDPOINT"]), ep) {
				p.edge(fn, p.node(c.id(d), "OpenSearch domain", d.Name, KindStore, cBox), "")
			}
		}
	}
	// Buckets a Glue table reads, and the workgroups of that table's component.
	tables := func(bucketID string) {
		for _, b := range byName(central, tBucketV2) {
			if c.id(b) != bucketID {
				continue
			}
			for _, t := range byName(central, tTable) {
				if !strings.Contains(inputJSON(t), "s3://"+out(b, "bucket")+"/") {
					continue
				}
				tid := p.node(c.id(t), "Glue table", mockaws.Str(t.Inputs["databaseName"])+"."+mockaws.Str(t.Inputs["name"]), KindStore, cBox)
				p.edge(bucketID, tid, "")
				for _, w := range byName(central, tWorkgroup) {
					if w.Parent == t.Parent {
						p.edge(tid, p.node(c.id(w), "Athena workgroup", w.Name, KindCompute, cBox), "")
					}
				}
			}
		}
	}
	// The alarm path: event bus -> rule -> topic -> recipients.
	buses := map[string]string{}
	for _, bus := range byName(central, tEventBus) {
		buses[out(bus, "arn")] = c.id(bus)
		for _, rule := range byName(central, tEventRule) {
			if mockaws.Str(rule.Inputs["eventBusName"]) != mockaws.Str(bus.Inputs["name"]) {
				continue
			}
			for _, tg := range byName(central, tEventTarget) {
				if mockaws.Str(tg.Inputs["rule"]) != mockaws.Str(rule.Inputs["name"]) {
					continue
				}
				for _, topic := range byName(central, tTopic) {
					if out(topic, "arn") != mockaws.Str(tg.Inputs["arn"]) {
						continue
					}
					bid := p.node(c.id(bus), "EventBridge event bus", bus.Name, KindNotify, cBox)
					rid := p.node(c.id(rule), "EventBridge rule", rule.Name, KindAlarm, cBox)
					tid := p.node(c.id(topic), "SNS topic", topic.Name, KindNotify, cBox)
					p.edge(bid, rid, "")
					p.edge(rid, tid, "")
					for _, sub := range byName(central, tTopicSub) {
						if mockaws.Str(sub.Inputs["topic"]) == out(topic, "arn") {
							p.edge(tid, p.node(c.id(sub), "", mockaws.Str(sub.Inputs["endpoint"]), KindRecipient, ""), mockaws.Str(sub.Inputs["protocol"]))
						}
					}
				}
			}
		}
	}

	// Member: flow logs, log group, alarms, subscription, relay.
	var vpcs []string
	for _, fl := range byName(member, tFlowLog) {
		if v := mockaws.Str(fl.Inputs["vpcId"]); v != "" && !slices.Contains(vpcs, v) {
			vpcs = append(vpcs, v)
		}
	}
	slices.Sort(vpcs)
	vpcID := p.node("m_vpcs", "VPCs", fmt.Sprintf("%d monitored", len(vpcs)), KindSource, mBox, vpcs...)
	logGroups := map[string]*mockaws.Resource{}
	for _, lg := range byName(member, tLogGroup) {
		logGroups[out(lg, "arn")] = lg
	}
	byDest := map[string][]*mockaws.Resource{}
	var dests []string
	for _, fl := range byName(member, tFlowLog) {
		d := mockaws.Str(fl.Inputs["logDestination"])
		if _, ok := byDest[d]; !ok {
			dests = append(dests, d)
		}
		byDest[d] = append(byDest[d], fl)
	}
	for _, d := range dests {
		fls := byDest[d]
		kind := mockaws.Str(fls[0].Inputs["logDestinationType"])
		details := []string{fmt.Sprintf("one per VPC: %d", len(fls))}
		if f := mockaws.Str(mockaws.Get(fls[0].Inputs, "destinationOptions.fileFormat")); f != "" {
			details = append(details, f)
		}
		fid := p.node(mb.id(fls[0]), "flow logs", kind, KindFlowLog, mBox, details...)
		if lg, ok := logGroups[d]; ok {
			p.edge(vpcID, fid, "")
			p.edge(fid, p.node(mb.id(lg), "log group", lg.Name, KindStore, mBox), "")
			continue
		}
		for _, b := range byName(central, tBucketV2) {
			if arn := out(b, "arn"); d == arn || strings.HasPrefix(d, arn+"/") {
				p.edge(vpcID, fid, "")
				bid := bucketNode(arn)
				p.edge(fid, bid, "S3 delivery (aws:SourceOrgID)")
				tables(bid)
			}
		}
	}
	for _, fh := range byName(central, tFirehose) {
		if bid, ok := buckets[mockaws.Str(mockaws.Get(fh.Inputs, "extendedS3Configuration.bucketArn"))]; ok && p.nodes[bid] != nil {
			tables(bid)
		}
	}
	alarmArns := map[string]bool{}
	for _, lg := range byName(member, tLogGroup) {
		var filters, alarms int
		namespaces := map[string]bool{}
		for _, mf := range byName(member, tMetricFilter) {
			if mockaws.Str(mf.Inputs["logGroupName"]) == out(lg, "name") {
				filters++
				namespaces[mockaws.Str(mockaws.Get(mf.Inputs, "metricTransformation.namespace"))] = true
			}
		}
		for _, a := range byName(member, tAlarm) {
			if namespaces[mockaws.Str(a.Inputs["namespace"])] {
				alarms++
				alarmArns[out(a, "arn")] = true
			}
		}
		if filters > 0 {
			aid := p.node("m_alarms", "metric filters and alarms", fmt.Sprintf("alarms: %d", alarms), KindAlarm, mBox, fmt.Sprintf("metric filters: %d", filters))
			p.edge(mb.id(lg), aid, "")
		}
		for _, s := range byName(member, tSubscription) {
			if mockaws.Str(s.Inputs["logGroup"]) != out(lg, "name") {
				continue
			}
			if did, ok := destinations[mockaws.Str(s.Inputs["destinationArn"])]; ok {
				sid := p.node(mb.id(s), "subscription filter", s.Name, KindCompute, mBox)
				p.edge(mb.id(lg), sid, "")
				p.edge(sid, did, "cross-account, same region")
			}
		}
	}
	for _, rule := range byName(member, tEventRule) {
		relays := false
		for arn := range alarmArns {
			relays = relays || strings.Contains(mockaws.Str(rule.Inputs["eventPattern"]), arn)
		}
		if !relays {
			continue
		}
		for _, tg := range byName(member, tEventTarget) {
			if mockaws.Str(tg.Inputs["rule"]) != out(rule, "name") {
				continue
			}
			if bid, ok := buses[mockaws.Str(tg.Inputs["arn"])]; ok {
				rid := p.node(mb.id(rule), "EventBridge rule", rule.Name, KindAlarm, mBox, "alarm state changes")
				p.edge("m_alarms", rid, "")
				p.edge(rid, bid, "event bus target (role)")
			}
		}
	}

	return p.mermaid(central, member, account(member), account(central))
}

// mermaid renders the picture: the member box, the central box, the
// recipients outside both.
func (p *orgPicture) mermaid(central, member *mockaws.Mocks, memberLabel, centralLabel string) string {
	connected := map[string]bool{}
	for _, e := range p.edges {
		connected[e.From], connected[e.To] = true, true
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%%%% Generated by `make diagram` from the mocked runs of stacks %q and %q; do not edit.\n", central.Stack, member.Stack)
	b.WriteString("flowchart LR\n")
	for _, box := range []struct{ id, label string }{{"member", "member " + memberLabel}, {"central", "central " + centralLabel}} {
		fmt.Fprintf(&b, "  subgraph %s[\"%s\"]\n", box.id, mermaidText(box.label))
		for _, id := range p.order {
			if n := p.nodes[id]; n.Cluster == box.id && connected[id] {
				writeMermaidNode(&b, "    ", n)
			}
		}
		b.WriteString("  end\n")
	}
	for _, id := range p.order {
		if n := p.nodes[id]; n.Cluster == "" && connected[id] {
			writeMermaidNode(&b, "  ", n)
		}
	}
	fmt.Fprintf(&b, "  more[\"%s\"]\n", mermaidText("one member box per account and region: the same flow logs, alarms, subscription and relay"))
	b.WriteString("  more -.- member\n")
	for _, e := range p.edges {
		if e.Label == "" {
			fmt.Fprintf(&b, "  %s --> %s\n", e.From, e.To)
		} else {
			fmt.Fprintf(&b, "  %s -->|\"%s\"| %s\n", e.From, mermaidText(e.Label), e.To)
		}
	}
	b.WriteString("  classDef note fill:#ffffff,stroke:#999999,stroke-dasharray:3 3,color:#555555\n")
	b.WriteString("  class more note\n")
	b.WriteString("  style member fill:#f5f5f5,stroke:#999999\n")
	b.WriteString("  style central fill:#e8f1fb,stroke:#999999\n")
	return b.String()
}
