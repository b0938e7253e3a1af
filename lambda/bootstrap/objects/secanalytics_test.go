package objects

import (
	"bufio"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

const (
	testTopicArn = "arn:aws:sns:us-east-1:123456789012:alarms-topic-1a2b3c"
	testSNSRole  = "arn:aws:iam::123456789012:role/opensearch-notifications-4d5e6f"
)

// documentedFields reads testdata/vpcflow-logtype-fields.txt: the vpcflow log
// type's raw field -> ECS field pairs as the OpenSearch documentation lists them.
func documentedFields(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/vpcflow-logtype-fields.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		raw, ecs, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("testdata line %q is not <raw_field> <ecs>", line)
		}
		out[raw] = ecs
	}
	if len(out) == 0 {
		t.Fatal("no documented fields")
	}
	return out
}

func saInput(fields []flowlog.Field) Input {
	return Input{IndexPrefix: "cwl", RetentionDays: 14, Fields: flowlog.LogFormat(fields),
		SecurityAnalytics: &SecurityAnalyticsInput{TopicArn: testTopicArn, RoleArn: testSNSRole}}
}

// TestLogTypeFieldsAreTheDocumentedOnes: objects.LogTypeFields is exactly the
// documented vpcflow list, less the raw fields that are no VPC flow log field
// (reported), and every catalog field the log type knows is in it.
func TestLogTypeFieldsAreTheDocumentedOnes(t *testing.T) {
	doc := documentedFields(t)
	columns := map[string]bool{}
	for _, f := range flowlog.Catalog {
		columns[f.Column()] = true
	}
	for raw, ecs := range doc {
		if !columns[raw] {
			t.Logf("the log type documents %s -> %s, which is no VPC flow log field: not mapped", raw, ecs)
			if _, ok := LogTypeFields[raw]; ok {
				t.Errorf("LogTypeFields maps %s, which is not a flow log column", raw)
			}
			continue
		}
		if got := LogTypeFields[raw]; got != ecs {
			t.Errorf("LogTypeFields[%s] = %q, the log type documents %q", raw, got, ecs)
		}
	}
	for raw, ecs := range LogTypeFields {
		if doc[raw] != ecs {
			t.Errorf("LogTypeFields maps %s -> %s, which the log type does not document", raw, ecs)
		}
	}
	var notInLogType []string
	for _, f := range flowlog.Catalog {
		if _, ok := doc[f.Column()]; !ok {
			notInLogType = append(notInLogType, f.Column())
		}
	}
	t.Logf("flow log fields the vpcflow log type has no field for: %s", strings.Join(notInLogType, ", "))
}

// TestRulesReadOnlyLogTypeFieldsAndAreMapped: every field a rule reads is a
// documented field of the log type, and with the default format every one of
// them is mapped to a recorded column, so every rule is applied.
func TestRulesReadOnlyLogTypeFieldsAndAreMapped(t *testing.T) {
	doc := documentedFields(t)
	known := map[string]bool{}
	for _, ecs := range doc {
		known[ecs] = true
	}
	rules, err := SigmaRules()
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) == 0 {
		t.Fatal("no rules")
	}
	ids := map[string]bool{}
	for _, r := range rules {
		if ids[r.ID] {
			t.Errorf("%s: id %s used twice", r.File, r.ID)
		}
		ids[r.ID] = true
		for _, f := range r.Fields {
			if !known[f] {
				t.Errorf("%s reads %s, which is not a field of the vpcflow log type", r.File, f)
			}
		}
	}
	o := build(t, saInput(flowlog.DefaultFields()))
	sa := o.SecurityAnalytics
	if len(sa.Rules) != len(rules) || len(sa.Skipped) != 0 {
		t.Fatalf("default format: %d of %d rules applied, skipped %v", len(sa.Rules), len(rules), sa.Skipped)
	}
	for _, r := range sa.Rules {
		for _, f := range r.Fields {
			col, ok := sa.Aliases[f]
			if !ok {
				t.Errorf("rule %s reads %s, which is not mapped", r.File, f)
				continue
			}
			if doc[col] != f {
				t.Errorf("alias %s -> %s, the log type documents %s -> %s", f, col, col, doc[col])
			}
		}
	}
	t.Logf("recorded columns the log type has no field for: %v", sa.Unmapped)
	if !slices.Contains(sa.Unmapped, "pkt_srcaddr") || slices.Contains(sa.Unmapped, "srcaddr") {
		t.Errorf("unmapped columns %v", sa.Unmapped)
	}
}

// TestRulesNeedingUnrecordedFieldsAreSkipped: with the version 2 fields only,
// the rule on flow_direction (a version 5 field) is left out and says why,
// and no alias points at a field the format lacks.
func TestRulesNeedingUnrecordedFieldsAreSkipped(t *testing.T) {
	o := build(t, saInput(flowlog.V2Fields()))
	sa := o.SecurityAnalytics
	if len(sa.Skipped) != 1 || !strings.Contains(sa.Skipped[0], "netflow.flow_direction") {
		t.Fatalf("skipped %v", sa.Skipped)
	}
	recorded := map[string]bool{}
	for _, f := range flowlog.V2Fields() {
		recorded[f.Column()] = true
	}
	for ecs, col := range sa.Aliases {
		if !recorded[col] {
			t.Errorf("alias %s -> %s, which the format does not record", ecs, col)
		}
	}
	if _, ok := sa.Aliases["netflow.vpc_id"]; ok {
		t.Error("vpc_id is not a version 2 field")
	}
	// A format that records no rule's fields cannot have a detector.
	only := []flowlog.Field{mustField(t, "version"), mustField(t, "account-id")}
	if _, err := Build(saInput(only)); err == nil || !strings.Contains(err.Error(), "none of the fields") {
		t.Fatalf("Build with no rule's fields: %v", err)
	}
}

func mustField(t *testing.T, name string) flowlog.Field {
	t.Helper()
	f, ok := flowlog.Lookup(name)
	if !ok {
		t.Fatalf("no field %s", name)
	}
	return f
}

// TestAliasesAreInTheTemplateOnlyWhenOn: the alias fields go into the index
// template and the mapping update of existing indices when Security
// Analytics is on; off, the template, mappings and hash are what they were.
func TestAliasesAreInTheTemplateOnlyWhenOn(t *testing.T) {
	off := build(t, defaultInput())
	on := build(t, saInput(flowlog.DefaultFields()))
	if off.SecurityAnalytics != nil || strings.Contains(string(off.Template), "netflow") {
		t.Fatal("Security Analytics objects without the input asking for them")
	}
	var tpl struct {
		Template struct {
			Mappings struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(on.Template, &tpl); err != nil {
		t.Fatal(err)
	}
	var netflow struct {
		Properties map[string]map[string]string `json:"properties"`
	}
	if err := json.Unmarshal(tpl.Template.Mappings.Properties["netflow"], &netflow); err != nil {
		t.Fatal(err)
	}
	if got := netflow.Properties["dstport"]; !reflect.DeepEqual(got, map[string]string{"type": "alias", "path": "dstport"}) {
		t.Fatalf("netflow.dstport %v", got)
	}
	if len(netflow.Properties) != len(on.SecurityAnalytics.Aliases) {
		t.Fatalf("%d alias properties, %d aliases", len(netflow.Properties), len(on.SecurityAnalytics.Aliases))
	}
	if !strings.Contains(string(on.Mappings), `"netflow"`) {
		t.Fatal("the mapping update of existing indices lacks the aliases")
	}
	if on.Hash == off.Hash || on.TemplateFingerprint == off.TemplateFingerprint {
		t.Fatal("turning Security Analytics on changes neither hash nor template fingerprint")
	}
	// The hash of an input without Security Analytics is unchanged by the
	// feature: WithSecurityAnalytics("", "") gives the same hash back.
	in, err := NewInput("cwl", 14, flowlog.DefaultFields(), -1)
	if err != nil {
		t.Fatal(err)
	}
	back, err := in.WithSecurityAnalytics("", "")
	if err != nil || back.Hash != in.Hash || back.SecurityAnalytics != nil {
		t.Fatalf("WithSecurityAnalytics off: %v, hash %s vs %s", err, back.Hash, in.Hash)
	}
	withSA, err := in.WithSecurityAnalytics(testTopicArn, testSNSRole)
	if err != nil || withSA.Hash == in.Hash {
		t.Fatalf("WithSecurityAnalytics on: %v", err)
	}
	if h, err := ComputeHash(withSA); err != nil || h != withSA.Hash {
		t.Fatalf("recomputed hash %s (%v), input says %s", h, err, withSA.Hash)
	}
}

func TestSecurityAnalyticsInputIsChecked(t *testing.T) {
	in := saInput(flowlog.DefaultFields())
	in.SecurityAnalytics = &SecurityAnalyticsInput{TopicArn: "arn:aws:sqs:us-east-1:123456789012:q", RoleArn: "role/x"}
	_, err := Build(in)
	if err == nil || !strings.Contains(err.Error(), "securityAnalytics.topicArn") || !strings.Contains(err.Error(), "securityAnalytics.roleArn") {
		t.Fatalf("Build with bad ARNs: %v", err)
	}
}

// TestDetectorBody: the detector is of the vpcflow type over the index
// pattern, runs the given custom rules, and its trigger notifies the channel;
// its fingerprint changes with the rules and not with their order.
func TestDetectorBody(t *testing.T) {
	sa := build(t, saInput(flowlog.DefaultFields())).SecurityAnalytics
	body, desc := sa.Detector([]string{"r2", "r1"})
	var d struct {
		Name         string `json:"name"`
		DetectorType string `json:"detector_type"`
		Enabled      bool   `json:"enabled"`
		Inputs       []struct {
			DetectorInput struct {
				Description string              `json:"description"`
				Indices     []string            `json:"indices"`
				CustomRules []map[string]string `json:"custom_rules"`
			} `json:"detector_input"`
		} `json:"inputs"`
		Triggers []struct {
			Name    string `json:"name"`
			Actions []struct {
				DestinationID string `json:"destination_id"`
			} `json:"actions"`
		} `json:"triggers"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		t.Fatal(err)
	}
	in := d.Inputs[0].DetectorInput
	if d.DetectorType != LogType || !d.Enabled || !reflect.DeepEqual(in.Indices, []string{"cwl-*"}) || in.Description != desc ||
		!reflect.DeepEqual(in.CustomRules, []map[string]string{{"id": "r1"}, {"id": "r2"}}) {
		t.Fatalf("detector %s", body)
	}
	if n := len(d.Name); n < 5 || n > 50 || d.Triggers[0].Actions[0].DestinationID != sa.ChannelID {
		t.Fatalf("detector %s", body)
	}
	if _, d2 := sa.Detector([]string{"r1", "r2"}); d2 != desc {
		t.Fatal("rule order changes the fingerprint")
	}
	if _, d3 := sa.Detector([]string{"r1", "r3"}); d3 == desc {
		t.Fatal("other rules, same fingerprint")
	}
	long := saInput(flowlog.DefaultFields())
	long.IndexPrefix = strings.Repeat("a.b", 30)
	if n := len(build(t, long).SecurityAnalytics.DetectorName); n > 50 {
		t.Fatalf("detector name of %d characters", n)
	}
}
