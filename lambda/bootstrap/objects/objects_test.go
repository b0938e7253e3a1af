package objects

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/dashboards"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
)

func build(t *testing.T, in Input) *Objects {
	t.Helper()
	o, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func defaultInput() Input {
	return Input{IndexPrefix: "cwl", RetentionDays: 14, Fields: flowlog.LogFormat(flowlog.DefaultFields())}
}

func TestTemplateMappingsComeFromTheCatalog(t *testing.T) {
	o := build(t, defaultInput())
	var tpl struct {
		IndexPatterns []string `json:"index_patterns"`
		Priority      int      `json:"priority"`
		Template      struct {
			Settings struct {
				Index map[string]any `json:"index"`
			} `json:"settings"`
			Mappings struct {
				Dynamic    any                          `json:"dynamic"`
				Properties map[string]map[string]string `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
		Meta map[string]string `json:"_meta"`
	}
	if err := json.Unmarshal(o.Template, &tpl); err != nil {
		t.Fatal(err)
	}
	want, _ := document.Properties(flowlog.DefaultFields())
	if !reflect.DeepEqual(tpl.Template.Mappings.Properties, want) {
		t.Fatalf("template properties %v\nwant %v", tpl.Template.Mappings.Properties, want)
	}
	if tpl.Template.Mappings.Properties["start"]["format"] != "epoch_second" || tpl.Template.Mappings.Properties["srcaddr"]["type"] != "ip" {
		t.Fatal("catalog types lost")
	}
	if !reflect.DeepEqual(tpl.IndexPatterns, []string{"cwl-*"}) || tpl.Priority != TemplatePriority || tpl.Template.Mappings.Dynamic != false {
		t.Fatalf("template %s", o.Template)
	}
	idx := tpl.Template.Settings.Index
	if idx["number_of_shards"] != 1.0 || idx["number_of_replicas"] != 1.0 || idx["refresh_interval"] != DefaultRefresh {
		t.Fatalf("settings %v", idx)
	}
	if tpl.Meta["fingerprint"] != o.TemplateFingerprint || !strings.HasPrefix(o.TemplateFingerprint, "sha256:") {
		t.Fatalf("_meta %v", tpl.Meta)
	}
	var m struct {
		Properties map[string]map[string]string `json:"properties"`
	}
	if json.Unmarshal(o.Mappings, &m) != nil || !reflect.DeepEqual(m.Properties, want) {
		t.Fatalf("mappings %s", o.Mappings)
	}
}

func TestPolicyDeletesAfterRetention(t *testing.T) {
	o := build(t, Input{IndexPrefix: "flowlogs", RetentionDays: 30, Fields: "${version} ${srcaddr}"})
	var p struct {
		Policy struct {
			Description  string `json:"description"`
			DefaultState string `json:"default_state"`
			States       []struct {
				Name        string           `json:"name"`
				Actions     []map[string]any `json:"actions"`
				Transitions []struct {
					StateName  string            `json:"state_name"`
					Conditions map[string]string `json:"conditions"`
				} `json:"transitions"`
			} `json:"states"`
			ISMTemplate []struct {
				IndexPatterns []string `json:"index_patterns"`
				Priority      int      `json:"priority"`
			} `json:"ism_template"`
		} `json:"policy"`
	}
	if err := json.Unmarshal(o.Policy, &p); err != nil {
		t.Fatal(err)
	}
	pol := p.Policy
	if pol.DefaultState != "hot" || len(pol.States) != 2 || pol.States[0].Transitions[0].StateName != "delete" ||
		pol.States[0].Transitions[0].Conditions["min_index_age"] != "30d" || pol.States[1].Actions[0]["delete"] == nil {
		t.Fatalf("policy %s", o.Policy)
	}
	if len(pol.ISMTemplate) != 1 || pol.ISMTemplate[0].IndexPatterns[0] != "flowlogs-*" {
		t.Fatalf("ism_template %+v", pol.ISMTemplate)
	}
	if pol.Description != o.PolicyDescription || !strings.Contains(pol.Description, "[sha256:") || o.PolicyID != "flowlogs-flow-logs-retention" {
		t.Fatalf("description %q", pol.Description)
	}
}

func TestSavedObjectsUseThePrefix(t *testing.T) {
	o := build(t, Input{IndexPrefix: "flowlogs", RetentionDays: 1, Fields: flowlog.LogFormat(flowlog.V2Fields())})
	nd, _ := dashboards.Render("flowlogs")
	if string(o.SavedObjects) != string(nd) || len(o.SavedObjectIDs) != 7 || len(o.MissingFields) != 0 {
		t.Fatalf("saved objects %d ids, missing %v", len(o.SavedObjectIDs), o.MissingFields)
	}
}

func TestHashTracksEveryObject(t *testing.T) {
	base := build(t, defaultInput()).Hash
	if again := build(t, defaultInput()).Hash; again != base || len(base) != 64 {
		t.Fatalf("hash not stable: %s %s", base, again)
	}
	zero := 0
	for name, in := range map[string]Input{
		"retention": {IndexPrefix: "cwl", RetentionDays: 15, Fields: defaultInput().Fields},
		"prefix":    {IndexPrefix: "logs", RetentionDays: 14, Fields: defaultInput().Fields},
		"fields":    {IndexPrefix: "cwl", RetentionDays: 14, Fields: flowlog.LogFormat(flowlog.V2Fields())},
		"replicas":  {IndexPrefix: "cwl", RetentionDays: 14, Fields: defaultInput().Fields, Replicas: &zero},
		"shards":    {IndexPrefix: "cwl", RetentionDays: 14, Fields: defaultInput().Fields, Shards: 2},
	} {
		if h := build(t, in).Hash; h == base {
			t.Errorf("changing %s does not change the hash", name)
		}
	}
	// Spacing of the format is not a change.
	in := defaultInput()
	in.Fields = "  " + strings.ReplaceAll(in.Fields, " ", "   ") + " "
	if build(t, in).Hash != base {
		t.Error("reformatting the fields changed the hash")
	}
}

func TestNewInput(t *testing.T) {
	in, err := NewInput("cwl", 14, flowlog.DefaultFields(), -1)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := ComputeHash(in)
	if in.Hash != h || *in.Replicas != DefaultReplicas || in.Shards != DefaultShards {
		t.Fatalf("input %+v, hash %s", in, h)
	}
	js, err := in.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Input
	if err := json.Unmarshal([]byte(js), &back); err != nil || !reflect.DeepEqual(back, in) {
		t.Fatalf("JSON %s does not round-trip", js)
	}
	for _, k := range []string{`"hash":`, `"indexPrefix":"cwl"`, `"retentionDays":14`, `"fields":"${version} ${account-id}`} {
		if !strings.Contains(js, k) {
			t.Errorf("JSON %s lacks %s", js, k)
		}
	}
	if _, err := NewInput("cwl", 0, flowlog.DefaultFields(), -1); err == nil {
		t.Fatal("zero retention accepted")
	}
}

func TestNormalizeErrors(t *testing.T) {
	r := -1
	in := Input{IndexPrefix: "Bad", RetentionDays: 5000, Fields: "${version} ${bogus}", Shards: 100, Replicas: &r}
	_, err := in.Normalize()
	if err == nil {
		t.Fatal("accepted")
	}
	for _, k := range []string{"indexPrefix", "retentionDays", "fields", "shards", "replicas"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not mention %s", err, k)
		}
	}
	in = Input{RetentionDays: 1, Fields: "${version}"}
	if _, err := in.Normalize(); err != nil || in.IndexPrefix != "cwl" {
		t.Fatalf("defaults: %+v %v", in, err)
	}
}

func TestWithAccess(t *testing.T) {
	const (
		indexer = "arn:aws:iam::123456789012:role/flowlogs-indexer"
		access  = "arn:aws:iam::123456789012:role/service/flowlogs-access"
		secret  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:flowlogs-dashboards-AbCdEf"
	)
	base, err := NewInput("cwl", 14, flowlog.DefaultFields(), -1)
	if err != nil {
		t.Fatal(err)
	}
	if base.HasAccess() || build(t, base).Security != nil {
		t.Fatal("an input without access fields has a security configuration")
	}
	in, err := base.WithAccess([]string{" " + indexer, indexer}, []string{access}, secret)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := ComputeHash(in); in.Hash != h || in.Hash == base.Hash || !in.HasAccess() {
		t.Fatalf("hash %s, recomputed %s, base %s", in.Hash, h, base.Hash)
	}
	if !reflect.DeepEqual(in.WriterBackendRoles, []string{indexer}) || base.WriterBackendRoles != nil {
		t.Fatalf("writers %v (base %v)", in.WriterBackendRoles, base.WriterBackendRoles)
	}
	js, _ := in.JSON()
	var back Input
	if err := json.Unmarshal([]byte(js), &back); err != nil || !reflect.DeepEqual(back, in) {
		t.Fatalf("JSON %s does not round-trip", js)
	}
	for _, k := range []string{`"writerBackendRoles":["` + indexer + `"]`, `"readerBackendRoles":["` + access + `"]`, `"dashboardsUserSecretArn":"` + secret + `"`} {
		if !strings.Contains(js, k) {
			t.Errorf("JSON %s lacks %s", js, k)
		}
	}
	if js, _ := base.JSON(); strings.Contains(js, "BackendRoles") || strings.Contains(js, "Secret") {
		t.Errorf("JSON without access %s", js)
	}

	// The order of the lists is not a change; their content and the secret are.
	two := []string{indexer, "arn:aws:iam::123456789012:role/b"}
	a, _ := base.WithAccess(two, nil, "")
	b, _ := base.WithAccess([]string{two[1], two[0]}, nil, "")
	if a.Hash != b.Hash {
		t.Error("reordering the writers changed the hash")
	}
	for name, other := range map[string][3]any{
		"writers": {[]string{access}, []string{access}, secret},
		"readers": {[]string{indexer}, []string(nil), secret},
		"secret":  {[]string{indexer}, []string{access}, ""},
	} {
		o, err := base.WithAccess(other[0].([]string), other[1].([]string), other[2].(string))
		if err != nil || o.Hash == in.Hash {
			t.Errorf("changing the %s does not change the hash (%v)", name, err)
		}
	}

	s := build(t, in).Security
	if len(s.Roles) != 2 || s.Roles[0].Name != WriterRole || s.Roles[1].Name != ReaderRole || s.DashboardsUserSecretArn != secret {
		t.Fatalf("security %+v", s)
	}
	var writer map[string]any
	json.Unmarshal(s.Roles[0].Body, &writer)
	if !reflect.DeepEqual(writer["cluster_permissions"], []any{"cluster_monitor", "indices:data/write/bulk*"}) ||
		!reflect.DeepEqual(writer["index_permissions"], []any{map[string]any{"index_patterns": []any{"cwl-*"}, "allowed_actions": []any{"crud", "create_index", "indices:admin/mapping/put"}}}) ||
		!strings.Contains(writer["description"].(string), "[sha256:") {
		t.Fatalf("writer role %s", s.Roles[0].Body)
	}
	want := []RoleMapping{
		{Role: WriterRole, BackendRoles: []string{indexer}, Users: []string{}, Description: s.Mappings[0].Description},
		{Role: ReaderRole, BackendRoles: []string{access}, Users: []string{DashboardsUser}, Description: s.Mappings[1].Description},
		{Role: DashboardsUserRole, BackendRoles: []string{access}, Users: []string{DashboardsUser}, Merge: true, Fallback: LegacyDashboardsUserRole},
	}
	if !reflect.DeepEqual(s.Mappings, want) {
		t.Fatalf("mappings %+v", s.Mappings)
	}
}

func TestWithAccessRejectsBadARNs(t *testing.T) {
	base, _ := NewInput("cwl", 14, flowlog.DefaultFields(), -1)
	_, err := base.WithAccess([]string{"flowlogs-indexer"}, []string{"arn:aws:iam::123456789012:user/alice"}, "arn:aws:ssm:eu-west-1:123456789012:parameter/x")
	if err == nil {
		t.Fatal("accepted")
	}
	for _, k := range []string{"writerBackendRoles", "readerBackendRoles", "dashboardsUserSecretArn", "not an IAM role ARN"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not mention %s", err, k)
		}
	}
	if _, err := base.WithAccess([]string{"arn:aws-us-gov:iam::123456789012:role/path/to/x"}, nil, "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:a/b-1"); err != nil {
		t.Fatalf("other partitions: %v", err)
	}
}

func TestWithMaster(t *testing.T) {
	const (
		indexer = "arn:aws:iam::123456789012:role/flowlogs-indexer"
		boot    = "arn:aws:iam::123456789012:role/flowlogs-bootstrap"
		master  = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:flowlogs-master-AbCdEf"
	)
	base, err := NewInput("cwl", 14, flowlog.DefaultFields(), -1)
	if err != nil {
		t.Fatal(err)
	}
	access, err := base.WithAccess([]string{indexer}, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	in, err := access.WithMaster(master, []string{" " + boot, boot})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := ComputeHash(in); in.Hash != h || in.Hash == access.Hash {
		t.Fatalf("hash %s, recomputed %s, without master %s", in.Hash, h, access.Hash)
	}
	if !reflect.DeepEqual(in.AdminBackendRoles, []string{boot}) || !reflect.DeepEqual(in.WriterBackendRoles, []string{indexer}) {
		t.Fatalf("input %+v", in)
	}
	js, _ := in.JSON()
	for _, k := range []string{`"masterUserSecretArn":"` + master + `"`, `"adminBackendRoles":["` + boot + `"]`} {
		if !strings.Contains(js, k) {
			t.Errorf("JSON %s lacks %s", js, k)
		}
	}
	s := build(t, in).Security
	// The function's own role is mapped first, added to the shared mapping.
	if s.MasterUserSecretArn != master || len(s.Mappings) != 4 ||
		!reflect.DeepEqual(s.Mappings[0], RoleMapping{Role: AdminRole, BackendRoles: []string{boot}, Users: []string{}, Merge: true}) {
		t.Fatalf("security %+v", s)
	}
	// Clearing the master fields gives the IAM-master input back.
	back, err := in.WithMaster("", nil)
	if err != nil || back.Hash != access.Hash {
		t.Fatalf("cleared: %v, hash %s, want %s", err, back.Hash, access.Hash)
	}
	// A master's secret alone, or an admin role alone, is refused.
	for _, bad := range []struct {
		secret string
		roles  []string
		want   string
	}{
		{master, nil, "set both or neither"},
		{"", []string{boot}, "set both or neither"},
		{"arn:aws:ssm:eu-west-1:123456789012:parameter/x", []string{boot}, "masterUserSecretArn"},
		{master, []string{"bootstrap"}, "adminBackendRoles"},
	} {
		if _, err := access.WithMaster(bad.secret, bad.roles); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("WithMaster(%q, %v): error %v, want %q", bad.secret, bad.roles, err, bad.want)
		}
	}
}

// The largest retention, shard and replica counts are accepted, and so are
// 0 replicas: NewInput takes 0 as asked, only a negative count means the
// default.
func TestNormalizeAcceptsTheEdges(t *testing.T) {
	r := MaxReplicas
	in := Input{RetentionDays: MaxRetentionDays, Fields: "${version}", Shards: MaxShards, Replicas: &r}
	if _, err := in.Normalize(); err != nil {
		t.Errorf("retention %d, %d shards, %d replicas: %v", MaxRetentionDays, MaxShards, MaxReplicas, err)
	}
	in, err := NewInput("cwl", 1, flowlog.DefaultFields(), 0)
	if err != nil || in.Replicas == nil || *in.Replicas != 0 {
		t.Errorf("NewInput with 0 replicas: %+v, %v", in, err)
	}
}
