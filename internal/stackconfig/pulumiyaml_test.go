package stackconfig_test

import (
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/insights"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdabuild"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

// moduleRoot is the directory of go.mod, where Pulumi.yaml lives.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := lambdabuild.FindModuleRoot("")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// loadProject loads Pulumi.yaml the way the Pulumi CLI does: it is checked
// against Pulumi's project JSON schema and Project.Validate, which also
// checks every default against its declared type.
func loadProject(t *testing.T) *workspace.Project {
	t.Helper()
	proj, err := workspace.LoadProject(filepath.Join(moduleRoot(t), "Pulumi.yaml"))
	if err != nil {
		t.Fatalf("Pulumi.yaml is not a valid Pulumi project: %v", err)
	}
	return proj
}

// keysRead returns the short names of the keys Load reads.
func keysRead(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	if _, err := stackconfig.Load(func(key string) (string, bool) {
		short, ok := strings.CutPrefix(key, stackconfig.Namespace+":")
		if !ok {
			t.Errorf("Load reads %q, outside the project namespace", key)
		}
		seen[short] = true
		return "", false
	}); err != nil {
		t.Fatalf("Load with no config: %v", err)
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pulumiTypes is the Pulumi.yaml type each key must declare, given how Load
// parses it. A new key must be added here (and to Pulumi.yaml).
var pulumiTypes = map[string]struct{ typ, items string }{
	"stackRole":                     {"string", ""},
	"centralStack":                  {"string", ""},
	"organizationId":                {"string", ""},
	"memberAccountIds":              {"array", "string"},
	"memberRegions":                 {"array", "string"},
	"vpcSelector":                   {"object", ""},
	"architectures":                 {"array", "string"},
	"vpcIds":                        {"array", "string"},
	"trafficType":                   {"string", ""},
	"aggregationInterval":           {"integer", ""},
	"flowLogFields":                 {"array", "string"},
	"s3FileFormat":                  {"string", ""},
	"logRetentionDays":              {"integer", ""},
	"dataRetentionDays":             {"integer", ""},
	"alarmEmails":                   {"array", "string"},
	"alarmRules":                    {"array", "object"},
	"contributorInsights":           {"array", "string"},
	"contributorInsightAlarms":      {"array", "object"},
	"slackMode":                     {"string", ""},
	"slackWorkspaceId":              {"string", ""},
	"slackChannelId":                {"string", ""},
	"slackChatbotRegion":            {"string", ""},
	"slackWebhookUrl":               {"string", ""},
	"athenaScanLimitMb":             {"integer", ""},
	"tags":                          {"object", ""},
	"bucketKmsKeyArn":               {"string", ""},
	"logKmsKeyArn":                  {"string", ""},
	"existingBucketArn":             {"string", ""},
	"quicksightPrincipalArn":        {"string", ""},
	"firehoseFeedMode":              {"string", ""},
	"firehoseBufferSizeMb":          {"integer", ""},
	"firehoseBufferIntervalSeconds": {"integer", ""},
	"policyWaivers":                 {"object", ""},
	"opensearchEngineVersion":       {"string", ""},
	"opensearchInstanceType":        {"string", ""},
	"opensearchInstanceCount":       {"integer", ""},
	"opensearchVolumeSizeGb":        {"integer", ""},
	"opensearchZoneAwareness":       {"boolean", ""},
	"opensearchIndexPrefix":         {"string", ""},
	"opensearchIndexRetentionDays":  {"integer", ""},
	"opensearchSubnetIds":           {"array", "string"},
	"opensearchExistingEndpoint":    {"string", ""},
	"opensearchExistingArn":         {"string", ""},
	"opensearchAccessHost":          {"boolean", ""},
	"dashboard":                     {"boolean", ""},
	"opensearchServiceLinkedRole":   {"string", ""},
	"opensearchVpcEndpoints":        {"string", ""},
	"opensearchSecurityAnalytics":   {"boolean", ""},
}

func TestPulumiYAMLIsValidProject(t *testing.T) {
	proj := loadProject(t)
	if proj.Name.String() != stackconfig.Namespace {
		t.Errorf("project name %q, but config keys are read as %q", proj.Name, stackconfig.Namespace+":...")
	}
	if rt := proj.Runtime.Name(); rt != "go" {
		t.Errorf("runtime %q, want go", rt)
	}
	for name, ct := range proj.Config {
		if strings.Contains(name, ":") {
			continue // another provider's key, set with a value
		}
		if ct.Type == nil {
			t.Errorf("config %s declares no type", name)
		}
		if strings.TrimSpace(ct.Description) == "" {
			t.Errorf("config %s has no description", name)
		}
	}
}

func TestPulumiYAMLDeclaresExactlyTheKeysLoadReads(t *testing.T) {
	proj := loadProject(t)
	read := keysRead(t)
	var declared []string
	for name := range proj.Config {
		if !strings.Contains(name, ":") {
			declared = append(declared, name)
		}
	}
	sort.Strings(declared)
	if !reflect.DeepEqual(read, declared) {
		t.Errorf("keys read by stackconfig.Load and declared in Pulumi.yaml differ\nread:     %v\ndeclared: %v", read, declared)
	}
	for _, k := range read {
		want, ok := pulumiTypes[k]
		if !ok {
			t.Errorf("key %s: add its Pulumi type to pulumiTypes", k)
			continue
		}
		ct, ok := proj.Config[k]
		if !ok || ct.Type == nil {
			continue // reported above
		}
		items := ""
		if ct.Items != nil {
			items = ct.Items.Type
		}
		if *ct.Type != want.typ || items != want.items {
			t.Errorf("Pulumi.yaml declares %s as %s of %q; Load parses it as %s of %q", k, *ct.Type, items, want.typ, want.items)
		}
	}
}

// The defaults a user reads in Pulumi.yaml are the ones the program applies.
func TestPulumiYAMLDefaultsEqualGoDefaults(t *testing.T) {
	p, err := stackfile.LoadProject(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	defaults, err := stackfile.Config(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	goDefaults, err := stackconfig.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	for name, ck := range p.Config {
		if ck.Default == nil {
			t.Errorf("Pulumi.yaml declares no default for %s; the program has one", name)
		}
	}
	// Key by key, so a mismatch names the key.
	for _, key := range p.Keys() {
		t.Run(key, func(t *testing.T) {
			v, ok := defaults[key]
			if !ok {
				t.Skip("no default")
			}
			got, err := stackconfig.Load(func(k string) (string, bool) {
				if k == key {
					return v, true
				}
				return "", false
			})
			if err != nil {
				t.Fatalf("Pulumi.yaml default %s = %q is rejected: %v", key, v, err)
			}
			if !reflect.DeepEqual(got, goDefaults) {
				t.Errorf("Pulumi.yaml default %s = %q gives\n%+v\nGo default gives\n%+v", key, v, got, goDefaults)
			}
		})
	}
	all, err := stackconfig.Load(func(k string) (string, bool) { v, ok := defaults[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all, goDefaults) {
		t.Errorf("all Pulumi.yaml defaults give\n%+v\nGo defaults give\n%+v", all, goDefaults)
	}
}

// No key is declared `secret: true`: the engine would then require every
// stack to set it (with or without a default, it refuses a stack that leaves
// it unset). Secret keys (stackfile.SecretKeys) are checked by the program.
func TestNoKeyIsDeclaredSecret(t *testing.T) {
	proj := loadProject(t)
	for name, ct := range proj.Config {
		if ct.Secret {
			t.Errorf("Pulumi.yaml declares %s secret: true; every stack would have to set it", name)
		}
	}
	for _, k := range stackfile.SecretKeys {
		if _, ok := proj.Config[k]; !ok {
			t.Errorf("secret key %s is not declared in Pulumi.yaml", k)
		}
	}
}

func stackNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(moduleRoot(t), "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	if len(out) == 0 {
		t.Fatal("no Pulumi.<stack>.yaml next to Pulumi.yaml")
	}
	return out
}

// Every stack file's values have the types Pulumi.yaml declares (checked the
// way the Pulumi CLI does before it runs the program) and pass Load.
func TestStackConfigsAreValid(t *testing.T) {
	proj := loadProject(t)
	root := moduleRoot(t)
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	for _, stack := range stackNames(t) {
		t.Run(stack, func(t *testing.T) {
			ps, err := workspace.LoadProjectStack(sink, proj, filepath.Join(root, "Pulumi."+stack+".yaml"))
			if err != nil {
				t.Fatalf("Pulumi.%s.yaml: %v", stack, err)
			}
			for key, value := range ps.Config {
				if key.Namespace() != proj.Name.String() {
					continue
				}
				ct, ok := proj.Config[key.Name()]
				if !ok {
					t.Errorf("%s is not declared in Pulumi.yaml; the program ignores it", key)
					continue
				}
				if ct.Type == nil {
					continue
				}
				b, err := value.MarshalJSON()
				if err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				var v any
				if err := json.Unmarshal(b, &v); err != nil {
					t.Fatalf("%s: %v", key, err)
				}
				if !workspace.ValidateConfigValue(*ct.Type, ct.Items, v) {
					t.Errorf("%s = %s is not of the declared type %s", key, b, workspace.InferFullTypeName(*ct.Type, ct.Items))
				}
			}

			_, cfg, err := stackfile.LoadConfig(root, stack)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := stackconfig.Load(func(k string) (string, bool) { v, ok := cfg[k]; return v, ok }); err != nil {
				t.Errorf("stackconfig.Load rejects Pulumi.%s.yaml:\n%v", stack, err)
			}
		})
	}
}

// The type check above can fail: values of the wrong shape are refused.
func TestValidateConfigValueRefusesWrongTypes(t *testing.T) {
	strItems := &workspace.ProjectConfigItemsType{Type: "string"}
	objItems := &workspace.ProjectConfigItemsType{Type: "object"}
	tests := []struct {
		typ   string
		items *workspace.ProjectConfigItemsType
		value any
	}{
		{"integer", nil, "sixty"},
		{"integer", nil, 60.5},
		{"string", nil, 60.0},
		{"array", strItems, "s3-athena"},
		{"array", strItems, []any{"s3-athena", 1.0}},
		{"array", objItems, []any{"ssh"}},
		{"object", nil, []any{}},
	}
	for _, tt := range tests {
		if workspace.ValidateConfigValue(tt.typ, tt.items, tt.value) {
			t.Errorf("ValidateConfigValue(%s, %v) accepted", workspace.InferFullTypeName(tt.typ, tt.items), tt.value)
		}
	}
}

func TestDevStackLoads(t *testing.T) {
	_, values, err := stackfile.LoadConfig(moduleRoot(t), "dev")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := stackconfig.Load(func(k string) (string, bool) { v, ok := values[k]; return v, ok })
	if err != nil {
		t.Fatalf("Load(dev): %v", err)
	}
	// What Pulumi.dev.yaml's comment promises: the implemented architectures on a demo VPC,
	// one-minute aggregation, the two alarm rules of the mission, an
	// anomaly-detection rule and the Contributor Insights rules with one alarm.
	if !reflect.DeepEqual(cfg.Architectures, []stackconfig.Architecture{stackconfig.CloudWatchOpenSearch, stackconfig.S3Athena, stackconfig.FirehoseAthena}) {
		t.Errorf("Architectures = %v", cfg.Architectures)
	}
	if len(cfg.VpcIDs) != 0 {
		t.Errorf("VpcIDs = %v, want none (demo VPC)", cfg.VpcIDs)
	}
	if cfg.AggregationInterval != 60 {
		t.Errorf("AggregationInterval = %d, want 60", cfg.AggregationInterval)
	}
	var names []string
	for _, r := range cfg.AlarmRules {
		names = append(names, r.Name)
	}
	if want := []string{"ssh-reject-from-host", "http-attempts", "rejects-unusual"}; !reflect.DeepEqual(names, want) {
		t.Errorf("rules = %v, want %v", names, want)
	}
	if a := cfg.AlarmRules[len(cfg.AlarmRules)-1].Anomaly; a == nil || a.Band != 2 {
		t.Errorf("rejects-unusual anomaly = %+v, want a band of 2", a)
	}
	if !reflect.DeepEqual(cfg.ContributorInsights, insights.IDs()) || len(cfg.InsightAlarms) != 1 {
		t.Errorf("ContributorInsights = %v, InsightAlarms = %+v; want every rule and one alarm", cfg.ContributorInsights, cfg.InsightAlarms)
	}
}

// Every key of Pulumi.yaml is either read by every stack or listed in
// stackconfig.ScopedKeys, so a key of a disabled architecture always warns.
func TestEveryKeyIsScopedOrAlwaysRead(t *testing.T) {
	always := []string{"architectures", "vpcIds", "trafficType", "aggregationInterval", "flowLogFields",
		"logRetentionDays", "alarmEmails", "tags", "policyWaivers", "slackMode", "dashboard",
		// an error, not a warning, without s3-athena (it needs the table)
		"quicksightPrincipalArn",
		// the role keys: an error, not a warning, on a stack of another role
		"stackRole", "centralStack", "organizationId", "memberAccountIds", "memberRegions", "vpcSelector"}
	scoped := map[string]bool{}
	for _, k := range stackconfig.ScopedKeys {
		scoped[k.Name] = true
	}
	for name := range loadProject(t).Config {
		if strings.Contains(name, ":") {
			continue
		}
		if scoped[name] == slices.Contains(always, name) {
			t.Errorf("config %s: list it in exactly one of stackconfig.ScopedKeys or the keys every stack reads", name)
		}
	}
}
