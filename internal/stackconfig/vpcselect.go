package stackconfig

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// VpcSelector chooses the VPCs of a member stack's account and region at
// deploy time (vpcSelector), instead of a fixed list (vpcIds). The program
// asks EC2 on every preview and update, so a VPC created later is monitored
// by the next `pulumi up` (docs/organization.md, "Member stacks").
//
// It is a key of its own, not `vpcIds: all`: vpcIds is typed array in
// Pulumi.yaml, and the Pulumi CLI checks a stack's values against the
// declared types before the program runs, so it would refuse the string
// "all" with a type error that no program code can explain.
type VpcSelector struct {
	// All selects every VPC of the account and region.
	All bool
	// IncludeTags selects the VPCs that carry every one of these tags
	// (exact key and value); exclusive with All.
	IncludeTags map[string]string
	// ExcludeTags drops a selected VPC that carries any one of these tags.
	ExcludeTags map[string]string
	// ExcludeIDs drops these VPCs.
	ExcludeIDs []string
}

// selectorJSON is the config shape of vpcSelector.
type selectorJSON struct {
	All         bool              `json:"all"`
	IncludeTags map[string]string `json:"includeTags"`
	ExcludeTags map[string]string `json:"excludeTags"`
	ExcludeIDs  []string          `json:"excludeIds"`
}

const selectorAllowed = `an object {all: true} or {includeTags: {<key>: <value>, ...}}, optionally with excludeTags: {<key>: <value>, ...} and excludeIds: [vpc-...]`

// vpcSelector reads vpcSelector. Only a member stack reads it, and there
// exactly one of vpcIds and vpcSelector chooses the VPCs: a member stack
// has no demo network (it would deliver a demo VPC's logs to the central
// stack).
func (l *loader) vpcSelector(c *Config) *VpcSelector {
	const key = "vpcSelector"
	v, ok := l.raw(key)
	empty := !ok || strings.TrimSpace(v) == "{}"
	if !c.Org.IsMember() {
		if !empty {
			l.fail(key, quote(v), "unset on a "+string(c.Org.Role)+" stack (only a member stack reads vpcSelector; list the VPCs in vpcIds)")
		}
		return nil
	}
	if empty {
		if len(c.VpcIDs) == 0 {
			l.fail(key, "{}", "on a member stack, vpcSelector ("+selectorAllowed+") or vpcIds (a member stack has no demo VPC)")
		}
		return nil
	}
	if len(c.VpcIDs) > 0 {
		l.fail(key, quote(v), "one of vpcIds and vpcSelector on a member stack (vpcIds is set)")
		return nil
	}
	var sj selectorJSON
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sj); err != nil {
		l.fail(key, quote(v), selectorAllowed+" ("+err.Error()+")")
		return nil
	}
	s := &VpcSelector{All: sj.All, IncludeTags: sj.IncludeTags, ExcludeTags: sj.ExcludeTags}
	if s.All == (len(s.IncludeTags) > 0) {
		l.fail(key, quote(v), "exactly one of all: true and includeTags (a non-empty object of tags a VPC must all carry)")
	}
	for _, f := range []struct {
		key  string
		tags map[string]string
	}{{key + ".includeTags", s.IncludeTags}, {key + ".excludeTags", s.ExcludeTags}} {
		for _, k := range sortedKeys(f.tags) {
			if !tagKeyRe.MatchString(k) {
				l.fail(f.key, quote(k), "tag keys of 1-128 letters, digits, spaces and _.:/=+-@")
			}
			// EC2 counts characters, not bytes (a VPC's tags are EC2's).
			if utf8.RuneCountInString(f.tags[k]) > 256 {
				l.fail(f.key, quote(f.tags[k]), "tag values of at most 256 characters")
			}
		}
	}
	for _, id := range sj.ExcludeIDs {
		switch {
		case !vpcIDRe.MatchString(id):
			l.fail(key+".excludeIds", quote(id), "VPC ids of the form vpc- followed by 8 or 17 lowercase hex digits")
		case slices.Contains(s.ExcludeIDs, id):
			l.fail(key+".excludeIds", quote(id), "each VPC id once")
		default:
			s.ExcludeIDs = append(s.ExcludeIDs, id)
		}
	}
	return s
}

// memberRefusedKeys are the keys a member stack refuses, each with why:
// what they set lives in the central stack, which decides it for every
// member (its outputs, docs/organization.md). A member that set one would
// either do nothing with it or deliver data the central table cannot read.
var memberRefusedKeys = []struct{ Name, Why string }{
	{"architectures", "the central stack's architectures decide what a member delivers (its output orgArchitectures)"},
	{"flowLogFields", "every member writes the central stack's format (its output orgFlowLogFormat): the central Athena table reads plain-text columns by position"},
	{"s3FileFormat", "the central stack's orgS3Destination sets the file format its table reads"},
	{"dataRetentionDays", "the flow-log objects live in the central bucket, whose lifecycle the central stack sets"},
	{"existingBucketArn", "a member's S3 flow log delivers into the central bucket (orgS3Destination)"},
	{"bucketKmsKeyArn", "a member creates no bucket; the central bucket's encryption is the central stack's"},
	{"athenaScanLimitMb", "the Athena workgroups are in the central stack"},
	{"quicksightPrincipalArn", "the Athena table QuickSight reads is in the central stack"},
	{"firehoseFeedMode", "a member feeds Firehose through its subscription to the central destination"},
	{"firehoseBufferSizeMb", "the Firehose stream is in the central stack"},
	{"firehoseBufferIntervalSeconds", "the Firehose stream is in the central stack"},
	{"opensearchEngineVersion", "the OpenSearch domain is in the central stack"},
	{"opensearchInstanceType", "the OpenSearch domain is in the central stack"},
	{"opensearchInstanceCount", "the OpenSearch domain is in the central stack"},
	{"opensearchVolumeSizeGb", "the OpenSearch domain is in the central stack"},
	{"opensearchZoneAwareness", "the OpenSearch domain is in the central stack"},
	{"opensearchIndexPrefix", "the OpenSearch indices are the central stack's"},
	{"opensearchIndexRetentionDays", "the OpenSearch indices are the central stack's"},
	{"opensearchSubnetIds", "the OpenSearch domain and its Lambda functions are in the central stack"},
	{"opensearchExistingEndpoint", "the central stack chooses the domain"},
	{"opensearchExistingArn", "the central stack chooses the domain"},
	{"opensearchAccessHost", "the access host reaches the central domain, from the central stack"},
	{"opensearchServiceLinkedRole", "a member declares no OpenSearch domain"},
	{"opensearchVpcEndpoints", "a member declares no OpenSearch domain"},
	{"opensearchSecurityAnalytics", "the detector runs on the central domain"},
	{"slackMode", "alarms of every member reach people through the central alarm topic (orgAlarmTopicArn); connect Slack there"},
	{"slackWorkspaceId", "Slack is connected on the central stack"},
	{"slackChannelId", "Slack is connected on the central stack"},
	{"slackChatbotRegion", "Slack is connected on the central stack"},
	{"slackWebhookUrl", "Slack is connected on the central stack"},
}

// MemberRefusedKeys returns the short names of the keys a member stack refuses.
func MemberRefusedKeys() []string {
	out := make([]string, len(memberRefusedKeys))
	for i, k := range memberRefusedKeys {
		out[i] = k.Name
	}
	return out
}

// refuseOnMember fails each key of memberRefusedKeys that a member stack
// sets to anything but its default. Pulumi passes a project default as a
// value, so "set" means: the key loaded alone gives another configuration
// than no key at all (setApartFromDefault, as for unusedKeys).
func (l *loader) refuseOnMember(c *Config) {
	if !c.Org.IsMember() {
		return
	}
	defaults := defaultConfig()
	for _, k := range memberRefusedKeys {
		v, set := l.setApartFromDefault(k.Name, defaults)
		if !set {
			continue
		}
		shown := quote(v)
		if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
			shown = t // a list or object, as written
		}
		if k.Name == "slackWebhookUrl" {
			shown = notShown
		}
		l.fail(k.Name, shown, "unset (or its default) on a member stack: "+k.Why)
	}
}
