package mockaws

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// What the mocks answer for an organization's member stacks: the central
// stack's outputs through a stack reference, and the account's VPCs and
// their existing flow logs for VPC discovery.

// Option configures Mocks.
type Option func(*Mocks)

// WithRegion makes the mocked AWS answer region (getRegion, invented ARNs
// and URLs) instead of Region: a member stack picks the central
// destination of its own region.
func WithRegion(region string) Option {
	return func(m *Mocks) {
		if region != "" {
			m.Region = region
		}
	}
}

// WithAccount makes the mocked AWS answer account (getCallerIdentity,
// invented ARNs) instead of Account: the stacks of an organization run in
// accounts of their own.
func WithAccount(account string) Option {
	return func(m *Mocks) {
		if account != "" {
			m.Account = account
		}
	}
}

// WithStackOutputs records the outputs of stacks a stack reference may
// name, by <organization>/<project>/<stack>.
func WithStackOutputs(outputs map[string]map[string]any) Option {
	return func(m *Mocks) { m.StackOutputs = outputs }
}

// WithVpcs replaces the account's VPCs (DefaultVpcs).
func WithVpcs(vpcs []Vpc) Option {
	return func(m *Mocks) { m.Vpcs = vpcs }
}

// DefaultCentralOutputs is the recorded central-stack outputs file (relative
// to the project directory) that a member stack's offline plan reads its
// stack reference from: produced from the contract's outputs
// (internal/orgref), which a test keeps it in step with.
const DefaultCentralOutputs = "recorded/central-outputs.json"

// MemberOptions are what a member stack's offline run needs from the mocks:
// the central stack's recorded outputs (the file centralOutputs, relative
// to dir unless absolute) and the stack's own region (aws:region), whose
// central destination it subscribes to. A stack of another role needs
// neither and gets none, so it plans as before.
func MemberOptions(dir string, cfg map[string]string, centralOutputs string) ([]Option, error) {
	if cfg["vpc-flow-logs:stackRole"] != "member" {
		return nil, nil
	}
	path := centralOutputs
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	outs, err := LoadStackOutputs(path)
	if err != nil {
		return nil, fmt.Errorf("a member stack's offline plan reads the central stack's outputs from a recorded file (cmd/plan -central-outputs): %w", err)
	}
	return []Option{WithStackOutputs(outs), WithRegion(cfg["aws:region"])}, nil
}

// LoadStackOutputs reads a recorded stack-outputs file: a JSON object of
// stack reference name to that stack's outputs.
func LoadStackOutputs(path string) (map[string]map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out map[string]map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// stackReferenceType is the type a pulumi.StackReference reads.
const stackReferenceType = "pulumi:pulumi:StackReference"

// readStackReference answers a stack reference from StackOutputs, as the
// engine does from the named stack's last deployment: the properties name,
// outputs and secretOutputNames. The reference is recorded as a custom
// resource (it is a read of one), not as a component.
func (m *Mocks) readStackReference(rec *Resource, args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	name := args.ID
	if name == "" {
		name, _ = rec.Inputs["name"].(string)
	}
	outs, ok := m.StackOutputs[name]
	if !ok {
		known := make([]string, 0, len(m.StackOutputs))
		for k := range m.StackOutputs {
			known = append(known, k)
		}
		sort.Strings(known)
		return "", nil, fmt.Errorf("mockaws: no recorded outputs for stack %q (recorded: %s); record them with cmd/plan -central-outputs", name, strings.Join(known, ", "))
	}
	rec.Custom = true
	rec.Outputs = map[string]any{"name": name, "outputs": outs}
	m.mu.Lock()
	m.Resources = append(m.Resources, rec)
	m.mu.Unlock()
	return name, resource.NewPropertyMapFromMap(map[string]any{
		"name":              name,
		"outputs":           outs,
		"secretOutputNames": []any{},
	}), nil
}

// Vpc is an existing VPC of the mocked account.
type Vpc struct {
	ID       string
	Tags     map[string]string
	FlowLogs []FlowLog
}

// FlowLog is a VPC's existing flow log.
type FlowLog struct {
	ID   string
	Tags map[string]string
}

// DefaultVpcs is the mocked account's VPCs: two application VPCs (prod-app
// already carries a flow log of the member stack member-eu-west-1, as after
// its first pulumi up), one whose 2 flow logs belong to another team, one
// with 1 flow log of another team, and a sandbox tagged flow-logs=off.
func DefaultVpcs() []Vpc {
	return []Vpc{
		{ID: "vpc-0a1b2c3d4e5f60718", Tags: map[string]string{"Name": "prod-app", "env": "prod"}, FlowLogs: []FlowLog{
			{ID: "fl-0a1b2c3d4e5f60001", Tags: map[string]string{"project": "vpc-flow-logs", "stack": "member-eu-west-1"}},
		}},
		{ID: "vpc-0b2c3d4e5f6071829", Tags: map[string]string{"Name": "prod-data", "env": "prod"}},
		{ID: "vpc-0c3d4e5f607182930", Tags: map[string]string{"Name": "shared-egress", "env": "shared"}, FlowLogs: []FlowLog{
			{ID: "fl-0c3d4e5f607180001", Tags: map[string]string{"owner": "network-team"}},
			{ID: "fl-0c3d4e5f607180002", Tags: map[string]string{"owner": "network-team"}},
		}},
		{ID: "vpc-0d4e5f60718293a41", Tags: map[string]string{"Name": "legacy", "env": "prod"}, FlowLogs: []FlowLog{
			{ID: "fl-0d4e5f60718290001", Tags: map[string]string{"owner": "audit"}},
		}},
		{ID: "vpc-0e5f60718293a4b52", Tags: map[string]string{"Name": "sandbox", "flow-logs": "off"}},
	}
}

// getVpcs answers ec2.getVpcs: the VPCs carrying every pair of "tags" and
// matching every filter of "filters" (tag:<key>, tag-key, vpc-id; a filter
// matches any of its values), as DescribeVpcs filters them
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcs.html).
func (m *Mocks) getVpcs(args resource.PropertyMap) (resource.PropertyMap, error) {
	in := args.Mappable()
	tags, _ := in["tags"].(map[string]any)
	var ids []any
	for _, v := range m.Vpcs {
		ok := true
		for k, want := range tags {
			if got, has := v.Tags[k]; !has || got != want {
				ok = false
			}
		}
		for _, f := range List(in["filters"]) {
			name := Str(Get(f, "name"))
			var values []string
			for _, x := range List(Get(f, "values")) {
				values = append(values, Str(x))
			}
			match := false
			switch {
			case strings.HasPrefix(name, "tag:"):
				got, has := v.Tags[strings.TrimPrefix(name, "tag:")]
				match = has && slices.Contains(values, got)
			case name == "tag-key":
				for k := range v.Tags {
					match = match || slices.Contains(values, k)
				}
			case name == "vpc-id":
				match = slices.Contains(values, v.ID)
			default:
				return nil, fmt.Errorf("mockaws: getVpcs filter %q is not modeled", name)
			}
			ok = ok && match
		}
		if ok {
			ids = append(ids, v.ID)
		}
	}
	if ids == nil {
		ids = []any{}
	}
	return resource.NewPropertyMapFromMap(map[string]any{"ids": ids, "id": m.Region}), nil
}

// FlowLogsToken is the invoke a member stack's VPC discovery makes under
// mocks for the flow logs its VPCs already have: the aws provider has no
// data source for flow logs, so a real run asks EC2's DescribeFlowLogs
// itself, and under Pulumi's mocks, which have no AWS to ask, it asks the
// mocks through this invoke. Args {vpcIds: [...]}; result {flowLogs:
// [{id, vpcId, tags}]}.
const FlowLogsToken = "vpcflowlogs:mock/describeFlowLogs:describeFlowLogs"

func (m *Mocks) describeFlowLogs(args resource.PropertyMap) (resource.PropertyMap, error) {
	in := args.Mappable()
	var want []string
	for _, x := range List(in["vpcIds"]) {
		want = append(want, Str(x))
	}
	logs := []any{}
	for _, v := range m.Vpcs {
		if !slices.Contains(want, v.ID) {
			continue
		}
		for _, fl := range v.FlowLogs {
			tags := map[string]any{}
			for k, t := range fl.Tags {
				tags[k] = t
			}
			logs = append(logs, map[string]any{"id": fl.ID, "vpcId": v.ID, "tags": tags})
		}
	}
	return resource.NewPropertyMapFromMap(map[string]any{"flowLogs": logs}), nil
}
