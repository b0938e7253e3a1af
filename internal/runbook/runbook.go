// Package runbook names the section of docs/operations.md that tells the
// person on call what an alarm means, how to confirm it and what to do.
// Every alarm the program declares ends its AlarmDescription with
// Link(anchor), and a test proves the anchor exists in docs/operations.md.
package runbook

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Base is where docs/operations.md is published: the project's repository.
const Base = "https://github.com/vpcflowlogs/vpc-flow-logs/blob/main/docs/operations.md"

// Link is the URL of the runbook section whose GitHub heading anchor is
// anchor (lower case, spaces as hyphens, punctuation dropped).
func Link(anchor string) string { return Base + "#" + anchor }

// The anchors of the alarm sections of docs/operations.md, one per kind of
// alarm the program declares. The stacks test proves each alarm's
// description links to a heading that exists.
const (
	RuleAlarm    = "flow-log-rule-alarms"
	AnomalyAlarm = "unusual-volume-anomaly-detection-alarm"
	InsightAlarm = "contributor-insights-alarm"

	IndexerErrors      = "indexer-errors"
	IndexerOnFailure   = "indexer-on-failure-queue"
	IndexerRejects     = "indexer-rejects-queue"
	BootstrapErrors    = "bootstrap-errors"
	BootstrapOnFailure = "bootstrap-on-failure-queue"

	ForwarderErrors      = "forwarder-errors"
	ForwarderOnFailure   = "forwarder-on-failure-queue"
	ForwarderDeadLetters = "forwarder-dead-letters-queue"
	FirehoseDelivery     = "firehose-delivery-to-s3-failed"

	SlackNotifierErrors    = "slack-notifier-errors"
	SlackNotifierOnFailure = "slack-notifier-on-failure-queue"

	OpenSearchRed           = "opensearch-cluster-status-red"
	OpenSearchYellow        = "opensearch-cluster-status-yellow"
	OpenSearchFreeStorage   = "opensearch-free-storage-space"
	OpenSearchWritesBlocked = "opensearch-index-writes-blocked"
	OpenSearchJVMPressure   = "opensearch-jvm-memory-pressure"

	OrgStreamIteratorAge   = "organization-stream-iterator-age"
	OrgStreamWriteThrottle = "organization-stream-write-throttles"
)

// SecurityAnalyticsFinding is the section a Security Analytics finding's
// notification links to: not a CloudWatch alarm (OpenSearch publishes to
// the alarm topic itself), so it is not in All.
const SecurityAnalyticsFinding = "security-analytics-finding"

// MaxDescription is the longest AlarmDescription CloudWatch accepts
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
const MaxDescription = 1024

// label introduces the link in a description.
const label = " Runbook: "

// Ellipsis marks a description whose text was cut to leave room for the link.
const Ellipsis = "..."

// Description is text followed by the link to the runbook section anchor,
// at most MaxDescription bytes: when too long, the text is cut (at a
// character boundary) and marked with Ellipsis, never the link.
func Description(text, anchor string) string {
	suffix := label + Link(anchor)
	if len(text)+len(suffix) <= MaxDescription {
		return text + suffix
	}
	room := MaxDescription - len(suffix) - len(Ellipsis)
	if room < 0 {
		room = 0
	}
	cut := text[:room]
	for len(cut) > 0 && !utf8.ValidString(cut) {
		cut = cut[:len(cut)-1]
	}
	return cut + Ellipsis + suffix
}

// Split separates an alarm description into its text and the runbook link
// it ends with; link is "" when the description carries none.
func Split(description string) (text, link string) {
	i := strings.LastIndex(description, Base+"#")
	if i < 0 || strings.ContainsAny(description[i:], " \t\n") {
		return description, ""
	}
	text = strings.TrimRight(description[:i], " ")
	text = strings.TrimSuffix(text, strings.TrimSpace(label))
	return strings.TrimRight(text, " "), description[i:]
}

// All lists the alarm sections above.
var All = []string{
	RuleAlarm, AnomalyAlarm, InsightAlarm,
	IndexerErrors, IndexerOnFailure, IndexerRejects, BootstrapErrors, BootstrapOnFailure,
	ForwarderErrors, ForwarderOnFailure, ForwarderDeadLetters, FirehoseDelivery,
	SlackNotifierErrors, SlackNotifierOnFailure,
	OpenSearchRed, OpenSearchYellow, OpenSearchFreeStorage, OpenSearchWritesBlocked, OpenSearchJVMPressure,
	OrgStreamIteratorAge, OrgStreamWriteThrottle,
}

var (
	headingRe = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	fenceRe   = regexp.MustCompile("^ {0,3}(```|~~~)")
	linkRe    = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// HeadingAnchors returns the anchors GitHub gives the headings of a
// markdown document (see Sections).
func HeadingAnchors(markdown string) map[string]bool {
	out := map[string]bool{}
	for a := range Sections(markdown) {
		out[a] = true
	}
	return out
}

// Sections returns the text under each heading of a markdown document, up
// to the next heading of the same or a higher level, by the anchor GitHub
// gives the heading: its text (a link's text, not its target) in lower
// case, every character but letters, digits, spaces, '-' and '_' dropped,
// spaces turned into '-', and "-1", "-2"... added to repeats. Headings
// inside fenced code blocks are not headings.
func Sections(markdown string) map[string]string {
	type open struct {
		anchor string
		level  int
		body   []string
	}
	out := map[string]string{}
	seen := map[string]int{}
	var stack []*open
	closeTo := func(level int) {
		for len(stack) > 0 && stack[len(stack)-1].level >= level {
			o := stack[len(stack)-1]
			out[o.anchor] = strings.Join(o.body, "\n")
			stack = stack[:len(stack)-1]
		}
	}
	fence := ""
	for _, line := range strings.Split(markdown, "\n") {
		line = strings.TrimRight(line, "\r")
		heading := false
		if m := fenceRe.FindStringSubmatch(line); m != nil {
			switch fence {
			case "":
				fence = m[1]
			case m[1]:
				fence = ""
			}
		} else if m := headingRe.FindStringSubmatch(line); m != nil && fence == "" {
			heading = true
			level := len(m[1])
			closeTo(level)
			a := anchor(m[2])
			n := seen[a]
			seen[a] = n + 1
			if n > 0 {
				a = fmt.Sprintf("%s-%d", a, n)
			}
			stack = append(stack, &open{anchor: a, level: level})
		}
		if !heading {
			for _, o := range stack {
				o.body = append(o.body, line)
			}
		}
	}
	closeTo(0)
	return out
}

func anchor(heading string) string {
	heading = linkRe.ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
