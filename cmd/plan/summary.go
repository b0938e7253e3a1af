package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/dashboards"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/dashboard"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/diagram"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/insights"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// Resource types the summary reads.
const (
	tLogGroup   = "aws:cloudwatch/logGroup:LogGroup"
	tBucketV2   = "aws:s3/bucketV2:BucketV2"
	tBucket     = "aws:s3/bucket:Bucket"
	tQueue      = "aws:sqs/queue:Queue"
	tWorkgroup  = "aws:athena/workgroup:Workgroup"
	tNamedQuery = "aws:athena/namedQuery:NamedQuery"
	tInvocation = "aws:lambda/invocation:Invocation"
	tDomain     = "aws:opensearch/domain:Domain"
	tTopic      = "aws:sns/topic:Topic"
	tTopicSub   = "aws:sns/topicSubscription:TopicSubscription"
	tInstance   = "aws:ec2/instance:Instance"
	tFilter     = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
	tDashboard  = "aws:cloudwatch/dashboard:Dashboard"
	tInsight    = "aws:cloudwatch/contributorInsightRule:ContributorInsightRule"
)

// summaryWidth is where the summary wraps its lines.
const summaryWidth = 100

// PrintSummary writes a short human summary per architecture, read from
// the drawn graph of the mocked run (internal/diagram): what data goes
// where, how long it is kept, who gets the alarm e-mails, and which saved
// queries and dashboards exist.
func PrintSummary(w io.Writer, g *diagram.Graph, c *stackconfig.Config) {
	fmt.Fprintf(w, "\nSummary of stack %q (docs/reviewing.md):\n", g.Stack)
	for _, arch := range archs(g) {
		fmt.Fprintf(w, "\n%s\n", arch)
		s := &section{w: w}
		if arch == diagram.Shared {
			sharedSummary(s, g)
		}
		for _, p := range g.Paths() {
			if pathArch(p) == arch && !alarmPath(p) {
				s.item("data", chain(p))
			}
		}
		if kept := retention(g, arch, c); len(kept) > 0 {
			s.item("kept", strings.Join(kept, "; "))
		}
		alarmSummary(s, g, arch)
		for _, q := range queries(g, arch) {
			s.item("queries", q)
		}
		if d := dashboardSummary(g, arch, c); d != "" {
			s.item("dashboards", d)
		}
		if d := cloudWatchDashboard(g, arch); d != "" {
			s.item("dashboards", d)
		}
	}
}

// archs lists the architectures of the graph: Shared, then the enabled
// architectures in the mission's order.
func archs(g *diagram.Graph) []string {
	present := map[string]bool{}
	for _, n := range g.Nodes {
		present[n.Arch] = true
	}
	var out []string
	if present[diagram.Shared] {
		out = append(out, diagram.Shared)
	}
	for _, a := range stackconfig.AllArchitectures {
		if present[string(a)] {
			out = append(out, string(a))
		}
	}
	return out
}

// pathArch is the architecture of a data path: that of its first node
// outside the shared components, or Shared.
func pathArch(p []*diagram.Node) string {
	for _, n := range p {
		if n.Arch != diagram.Shared && n.Arch != "" {
			return n.Arch
		}
	}
	return diagram.Shared
}

// alarmPath reports whether a path runs through a metric filter or a
// Contributor Insights rule: those are the alarm rules and insights,
// summarized on their own.
func alarmPath(p []*diagram.Node) bool {
	return slices.ContainsFunc(p, func(n *diagram.Node) bool {
		return n.Resource != nil && (n.Resource.Type == tFilter || n.Resource.Type == tInsight)
	})
}

// chain renders a path from the last shared node before the architecture's
// own nodes (the shared prefix is the shared section's).
func chain(p []*diagram.Node) string {
	start := 0
	for i, n := range p {
		if n.Arch != diagram.Shared {
			start = max(i-1, 0)
			break
		}
	}
	var parts []string
	for _, n := range p[start:] {
		parts = append(parts, n.Short())
	}
	return strings.Join(parts, " -> ")
}

type section struct{ w io.Writer }

// item writes "  label: text", wrapped at summaryWidth with the text aligned.
func (s *section) item(label, text string) {
	prefix := fmt.Sprintf("  %-12s", label+":")
	indent := strings.Repeat(" ", len(prefix))
	line := prefix
	for i, word := range strings.Fields(text) {
		if i > 0 && len(line)+1+len(word) > summaryWidth {
			fmt.Fprintln(s.w, line)
			line = indent + word
			continue
		}
		if i > 0 {
			line += " "
		}
		line += word
	}
	fmt.Fprintln(s.w, line)
}

// sharedSummary names the monitored VPCs and the flow logs every
// architecture shares.
func sharedSummary(s *section, g *diagram.Graph) {
	for _, n := range g.Nodes {
		if n.Kind != diagram.KindFlowLog || n.Arch != diagram.Shared {
			continue
		}
		var src, dst []string
		for _, e := range g.In(n.ID) {
			src = append(src, g.Node(e.From).Short())
		}
		for _, e := range g.Out(n.ID) {
			dst = append(dst, g.Node(e.To).Short())
		}
		s.item("flow log", fmt.Sprintf("%s (%s) records %s traffic into %s", n.Name, strings.Join(n.Details, ", "),
			strings.Join(src, ", "), strings.Join(dst, ", ")))
	}
}

// retention lists how long each store of an architecture keeps data.
func retention(g *diagram.Graph, arch string, c *stackconfig.Config) []string {
	var out []string
	for _, n := range g.Nodes {
		if n.Arch != arch || n.Resource == nil || len(n.Details) == 0 {
			continue
		}
		switch n.Resource.Type {
		case tLogGroup, tBucketV2, tBucket, tQueue:
			out = append(out, n.Name+" "+strings.Join(n.Details, ", "))
		case tDomain:
			out = append(out, fmt.Sprintf("%s indices %s-YYYY.MM.DD deleted after %d days (ISM)", n.Name, c.OpenSearch.IndexPrefix, c.OpenSearch.IndexRetentionDays))
		}
	}
	return out
}

// alarmSummary writes who gets the alarm e-mails (Shared) and which alarms
// an architecture sends.
func alarmSummary(s *section, g *diagram.Graph, arch string) {
	for _, n := range g.Nodes {
		if n.Arch != arch {
			continue
		}
		switch {
		case n.Resource != nil && n.Resource.Type == tTopic:
			var to []string
			for _, e := range g.Out(n.ID) {
				if r := g.Node(e.To); r != nil {
					if r.Kind == diagram.KindRecipient && len(r.Details) > 0 {
						to = append(to, r.Details[0])
					} else {
						to = append(to, r.Short())
					}
				}
			}
			alarms := 0
			for _, e := range g.In(n.ID) {
				if a := g.Node(e.From); a != nil {
					alarms += max(len(a.Members), 1)
				}
			}
			if len(to) == 0 {
				s.item("alarms", fmt.Sprintf("%d alarms notify SNS topic %s, which nobody subscribes to: set %s", alarms, n.Name, stackconfig.Key("alarmEmails")))
				continue
			}
			s.item("alarms", fmt.Sprintf("%d alarms notify SNS topic %s; it sends to %s (each e-mail address must confirm the subscription)",
				alarms, n.Name, strings.Join(to, ", ")))
		case n.Resource != nil && n.Resource.Type == tFilter:
			for _, e := range g.Out(n.ID) {
				a := g.Node(e.To)
				if a == nil {
					continue
				}
				var topics []string
				for _, t := range g.Out(a.ID) {
					topics = append(topics, g.Node(t.To).Name)
				}
				src := ""
				for _, in := range g.In(n.ID) {
					src = " on " + g.Node(in.From).Name
				}
				s.item("alarm rule", fmt.Sprintf("%s: metric filter %s%s, %s -> %s", strings.TrimPrefix(n.Name, "alarms-"), n.Name, src, e.Label, strings.Join(topics, ", ")))
			}
		case n.Resource != nil && n.Resource.Type == tInsight:
			insightSummary(s, g, n)
		case len(n.Members) > 0:
			var topics []string
			for _, t := range g.Out(n.ID) {
				topics = append(topics, g.Node(t.To).Name)
			}
			s.item("alarms", fmt.Sprintf("%s (failures, dead letters, health) -> %s", n.Name, strings.Join(topics, ", ")))
		}
	}
}

// queries lists the saved queries of each workgroup of an architecture.
func queries(g *diagram.Graph, arch string) []string {
	var out []string
	for _, n := range g.Nodes {
		if n.Arch != arch || n.Resource == nil || n.Resource.Type != tWorkgroup {
			continue
		}
		wg, _ := n.Resource.Outputs["name"].(string)
		var names []string
		for _, r := range g.Resources {
			if r.Type == tNamedQuery && r.Inputs["workgroup"] == wg {
				name, _ := r.Inputs["name"].(string)
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			continue
		}
		slices.Sort(names)
		out = append(out, fmt.Sprintf("%d saved in Athena workgroup %s: %s", len(names), n.Name, strings.Join(names, ", ")))
	}
	return out
}

// dashboardSummary names the OpenSearch Dashboards objects the bootstrap
// invocation applies, and how to reach them.
// cloudWatchDashboard names the stack's CloudWatch dashboard of an
// architecture and what its widgets graph, read back from its body.
func cloudWatchDashboard(g *diagram.Graph, arch string) string {
	var out []string
	for _, n := range g.Nodes {
		if n.Arch != arch || n.Resource == nil || n.Resource.Type != tDashboard {
			continue
		}
		in := n.Resource.Inputs
		name, _ := in["dashboardName"].(string)
		body, _ := in["dashboardBody"].(string)
		c, err := dashboard.Read(body)
		if err != nil {
			out = append(out, fmt.Sprintf("CloudWatch dashboard %s: body unreadable: %v", name, err))
			continue
		}
		out = append(out, fmt.Sprintf("CloudWatch dashboard %s graphs %s; stack output dashboardUrl opens it", name, c.Summary()))
	}
	return strings.Join(out, "; ")
}

func dashboardSummary(g *diagram.Graph, arch string, c *stackconfig.Config) string {
	applied, host := false, ""
	for _, n := range g.Nodes {
		if n.Arch != arch || n.Resource == nil {
			continue
		}
		switch n.Resource.Type {
		case tInvocation:
			applied = true
		case tInstance:
			host = n.Name
		}
	}
	if !applied {
		return ""
	}
	objs, err := dashboards.Load()
	if err != nil {
		return "OpenSearch Dashboards objects unreadable: " + err.Error()
	}
	var dash, vis []string
	for _, o := range objs {
		switch o.Type {
		case dashboards.TypeDashboard:
			dash = append(dash, fmt.Sprintf("%q", o.Title()))
		case dashboards.TypeVisualization:
			vis = append(vis, strings.TrimPrefix(o.Title(), "VPC flow logs: "))
		}
	}
	s := fmt.Sprintf("OpenSearch Dashboards %s over %s-* with %d visualizations (%s), applied on deploy",
		strings.Join(dash, ", "), c.OpenSearch.IndexPrefix, len(vis), strings.Join(vis, "; "))
	if host != "" {
		s += "; reached through the access host " + host + " (stack output dashboardsAccessCommand)"
	}
	return s
}

// insightSummary writes what a Contributor Insights rule ranks, the log
// group it reads, and each alarm on its metrics.
func insightSummary(s *section, g *diagram.Graph, n *diagram.Node) {
	var def insights.Definition
	_ = json.Unmarshal([]byte(fmt.Sprint(n.Resource.Inputs["ruleDefinition"])), &def)
	what := "flow-log records"
	if def.AggregateOn == insights.AggregateSum {
		what = def.Contribution.ValueOf
	}
	text := fmt.Sprintf("%s: %s of %s by %s", n.Resource.Inputs["ruleName"], strings.ToLower(def.AggregateOn), what, strings.Join(def.Contribution.Keys, ", "))
	var where []string
	for _, f := range def.Contribution.Filters {
		where = append(where, fmt.Sprintf("%s in %s", f.Match, strings.Join(f.In, ", ")))
	}
	if len(where) > 0 {
		text += " where " + strings.Join(where, " and ")
	}
	for _, in := range g.In(n.ID) {
		text += " on " + g.Node(in.From).Name
	}
	for _, e := range g.Out(n.ID) {
		a := g.Node(e.To)
		if a == nil {
			continue
		}
		var topics []string
		for _, t := range g.Out(a.ID) {
			topics = append(topics, g.Node(t.To).Name)
		}
		text += fmt.Sprintf("; alarm %s: %s -> %s", a.Name, e.Label, strings.Join(topics, ", "))
	}
	s.item("insights", text)
}
