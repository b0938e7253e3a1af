package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/graphdump"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
)

func config(t *testing.T, stack string, kv ...string) map[string]string {
	t.Helper()
	proj, cfg, err := stackfile.LoadConfig(filepath.Join("..", ".."), stack)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[proj.Name+":"+kv[i]] = kv[i+1]
	}
	return cfg
}

// roundTripRuns are runs of every kind the tests of internal/policy and
// internal/costs record: the stack with every architecture and a secret
// (the Slack webhook URL), the program with its exports, the central
// stack and both components alone.
func roundTripRuns(t *testing.T) []graphdump.Run {
	every := config(t, "dev", "architectures", `["cloudwatch-opensearch","s3-athena","firehose-athena"]`,
		"slackMode", "webhook", "slackWebhookUrl", "https://hooks.slack.com/services/T0TESTTEAM/B0TESTHOOK/s3cr3tT0kenValue0123456789")
	return []graphdump.Run{
		{Program: graphdump.Deploy, Project: "vpc-flow-logs", Stack: "dev", Config: every},
		{Program: graphdump.Program, Project: "vpc-flow-logs", Stack: "dev", Config: config(t, "dev")},
		{Program: graphdump.Deploy, Project: "vpc-flow-logs", Stack: "central", Config: config(t, "central")},
		{Program: graphdump.FlowLogToCloudWatch, Project: "vpc-flow-logs", Stack: "test", Component: &graphdump.Component{
			Name: "cw", VpcIDs: []string{"vpc-11111111"}, TrafficType: "ALL", AggregationInterval: 600, RetentionDays: 30}},
		{Program: graphdump.FlowLogToS3, Project: "vpc-flow-logs", Stack: "test", Component: &graphdump.Component{
			Name: "s3fl", VpcIDs: []string{"vpc-11111111"}, TrafficType: "ACCEPT", AggregationInterval: 600, ExpirationDays: 30}},
	}
}

// TestRecordSurvivesTheRoundTrip: a recorded graph read back from its JSON
// equals the record, field by field: what the rules and the estimate read
// is what the run recorded.
func TestRecordSurvivesTheRoundTrip(t *testing.T) {
	kinds := map[string]bool{}
	for _, run := range roundTripRuns(t) {
		t.Run(run.Program+"/"+run.Stack, func(t *testing.T) {
			m, err := record(run)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Resources) == 0 {
				t.Fatal("the run recorded nothing")
			}
			b, err := m.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			got := &mockaws.Mocks{}
			if err := got.UnmarshalJSON(b); err != nil {
				t.Fatal(err)
			}
			assertSameRecord(t, m, got)
			for _, r := range m.Resources {
				walk(r.Inputs, kinds)
				walk(r.Outputs, kinds)
			}
		})
	}
	// The runs hold the values the encoding treats apart.
	for _, k := range []string{"secret", "archive", "float64", "bool"} {
		if !kinds[k] {
			t.Errorf("no recorded value of kind %s: the round trip of it is not tested", k)
		}
	}
}

func walk(v any, kinds map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			walk(e, kinds)
		}
	case []any:
		for _, e := range t {
			walk(e, kinds)
		}
	case *resource.Secret:
		kinds["secret"] = true
	case *archive.Archive:
		kinds["archive"] = true
	case float64:
		kinds["float64"] = true
	case bool:
		kinds["bool"] = true
	}
}

func assertSameRecord(t *testing.T, want, got *mockaws.Mocks) {
	t.Helper()
	for _, f := range []struct {
		name      string
		want, got any
	}{
		{"Project", want.Project, got.Project}, {"Stack", want.Stack, got.Stack},
		{"Region", want.Region, got.Region}, {"Account", want.Account, got.Account},
		{"OutputsCalls", want.OutputsCalls, got.OutputsCalls}, {"Calls", want.Calls, got.Calls},
		{"StackOutputs", want.StackOutputs, got.StackOutputs}, {"Vpcs", want.Vpcs, got.Vpcs},
		{"len(Resources)", len(want.Resources), len(got.Resources)},
	} {
		if !reflect.DeepEqual(f.want, f.got) {
			t.Errorf("%s: %#v, recorded %#v", f.name, f.got, f.want)
		}
	}
	if len(want.Resources) != len(got.Resources) {
		return
	}
	for i, w := range want.Resources {
		g := got.Resources[i]
		for _, f := range []struct {
			name      string
			want, got any
		}{
			{"Type", w.Type, g.Type}, {"Name", w.Name, g.Name}, {"URN", w.URN, g.URN}, {"Parent", w.Parent, g.Parent},
			{"Custom", w.Custom, g.Custom}, {"Inputs", w.Inputs, g.Inputs}, {"Outputs", w.Outputs, g.Outputs},
			{"RetainOnDelete", w.RetainOnDelete, g.RetainOnDelete}, {"DeleteBeforeReplace", w.DeleteBeforeReplace, g.DeleteBeforeReplace},
			{"Provider", w.Provider, g.Provider}, {"Dependencies", w.Dependencies, g.Dependencies},
			{"IgnoreChanges", w.IgnoreChanges, g.IgnoreChanges}, {"ReplaceOnChanges", w.ReplaceOnChanges, g.ReplaceOnChanges},
		} {
			if !reflect.DeepEqual(f.want, f.got) {
				t.Errorf("resource %d %s: %s %#v, recorded %#v", i, w.URN, f.name, f.got, f.want)
			}
		}
	}
	// Every field of Resource is compared above (a new one must be added).
	if n := reflect.TypeOf(mockaws.Resource{}).NumField(); n != 13 {
		t.Errorf("mockaws.Resource has %d fields, the comparison 13", n)
	}
}

// TestAnswerIsDeterministic: the same request gives the same bytes, so a
// test reads the same graph at every run.
func TestAnswerIsDeterministic(t *testing.T) {
	req := graphdump.Request{Runs: roundTripRuns(t)}
	var first []byte
	for i := 0; i < 2; i++ {
		resp, err := answer(req)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.Results {
			if r.Error != "" {
				t.Fatalf("%s: %s", r.Key, r.Error)
			}
		}
		b, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Error("two answers to one request differ")
		}
	}
}

// A run that fails is answered with its error, not a graph.
func TestFailedRunIsAnError(t *testing.T) {
	resp, err := answer(graphdump.Request{Runs: []graphdump.Run{
		{Program: graphdump.Deploy, Project: "vpc-flow-logs", Stack: "dev", Config: config(t, "dev", "architectures", `["no-such-architecture"]`)},
		{Program: "nothing", Project: "vpc-flow-logs", Stack: "dev"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"no-such-architecture", `unknown program "nothing"`} {
		if r := resp.Results[i]; !strings.Contains(r.Error, want) || r.Graph != nil {
			t.Errorf("result %d: error %q, graph %d bytes; want an error naming %s", i, r.Error, len(r.Graph), want)
		}
	}
}
