// Package mockaws runs the Pulumi program offline under Pulumi's mocks and
// records every registration: type, name, parent, inputs and options. The
// unit tests, the rule suite and `make plan` all read the same record, so
// what a reviewer sees in the plan is what the tests assert.
package mockaws

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsconstraints"
)

// Account and Region are what the mocked AWS answers for caller identity and region.
const (
	Account = "123456789012"
	Region  = "us-east-1"
)

// SubnetVpcID is the VPC the mocked AWS answers for any subnet (ec2.getSubnet).
const SubnetVpcID = "vpc-0a1b2c3d4e5f60718"

// Resource is one registered resource.
type Resource struct {
	Type   string
	Name   string
	URN    string
	Parent string // parent URN ("" for none); the stack's URN for top-level resources
	Custom bool   // false for component resources
	// Inputs are the registered inputs, as plain Go values (maps, slices, strings, float64, bool).
	Inputs map[string]any
	// Outputs are the mocked outputs (inputs plus invented ids, names, ARNs).
	Outputs        map[string]any
	RetainOnDelete bool
	// DeleteBeforeReplace is the resource option of that name: a
	// replacement deletes the old resource before it creates the new one.
	DeleteBeforeReplace bool
	Provider            string
	Dependencies        []string
	// IgnoreChanges are the input paths the resource's ignoreChanges option names.
	IgnoreChanges []string
	// ReplaceOnChanges are the input paths the resource's replaceOnChanges
	// option names: a change of any of them replaces the resource.
	ReplaceOnChanges []string
}

// Input returns the named input as a string ("" when absent or not a string).
func (r *Resource) Input(key string) string {
	s, _ := r.Inputs[key].(string)
	return s
}

// Mocks implements pulumi.MockResourceMonitor and records registrations.
type Mocks struct {
	mu             sync.Mutex
	Resources      []*Resource
	OutputsCalls   int // RegisterResourceOutputs calls (components and the stack)
	Calls          []string
	Project, Stack string
	// Region is what getRegion answers and invented ARNs hold (Region
	// unless WithRegion sets another).
	Region string
	// Account is what getCallerIdentity answers and invented ARNs hold
	// (Account unless WithAccount sets another).
	Account string
	// StackOutputs are the recorded outputs of the stacks a stack
	// reference may name, by <organization>/<project>/<stack>.
	StackOutputs map[string]map[string]any
	// Vpcs are the account's existing VPCs that the discovery invokes
	// answer from (DefaultVpcs unless WithVpcs sets others).
	Vpcs []Vpc
}

// New returns empty mocks for a project and stack.
func New(project, stack string, opts ...Option) *Mocks {
	m := &Mocks{Project: project, Stack: stack, Region: Region, Account: Account, Vpcs: DefaultVpcs()}
	for _, o := range opts {
		o(m)
	}
	return m
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:7]
}

// service is the ARN service of a Pulumi AWS type token such as aws:s3/bucketV2:BucketV2.
func service(token string) string {
	parts := strings.Split(token, ":")
	if len(parts) < 2 {
		return "mock"
	}
	mod := strings.Split(parts[1], "/")[0]
	switch mod {
	case "cloudwatch":
		if strings.Contains(token, "Log") {
			return "logs"
		}
	case "opensearch":
		return "es"
	}
	return mod
}

// NewResource records the registration and invents outputs the way AWS would:
// stable, derived from the logical name, so two runs give the same values.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	rec := &Resource{
		Type:    args.TypeToken,
		Name:    args.Name,
		Custom:  args.Custom,
		Inputs:  map[string]any{},
		Outputs: map[string]any{},
	}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.RetainOnDelete = rpc.GetRetainOnDelete()
		rec.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		rec.Provider = rpc.GetProvider()
		rec.Dependencies = rpc.GetDependencies()
		rec.IgnoreChanges = rpc.GetIgnoreChanges()
		rec.ReplaceOnChanges = rpc.GetReplaceOnChanges()
	}
	if rpc := args.ReadRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Provider = rpc.GetProvider()
		rec.Dependencies = rpc.GetDependencies()
	}
	rec.URN = fmt.Sprintf("urn:pulumi:%s::%s::%s::%s", m.Stack, m.Project, qualifiedType(rec.Parent, args.TypeToken), args.Name)
	rec.Inputs = args.Inputs.Mappable()
	if args.TypeToken == stackReferenceType {
		return m.readStackReference(rec, args)
	}
	m.mu.Lock()
	m.Resources = append(m.Resources, rec)
	m.mu.Unlock()
	if !args.Custom {
		return "", resource.PropertyMap{}, nil
	}

	out := args.Inputs.Copy()
	// The name the aws provider would give the resource: its name input,
	// its name prefix plus what the provider appends, or Pulumi's auto-name
	// (<logical name>-<7 random characters>, lowercased for buckets, "_"
	// and 8 letters for Glue), as internal/awsconstraints models it per type.
	physical := args.Name + "-" + shortHash(args.Name)
	if p, ok := awsconstraints.PhysicalName(args.TypeToken, args.Name, rec.Inputs); ok && p.Source != "explicit" {
		physical = p.Name
	}
	set := func(k string, v any) {
		if _, ok := out[resource.PropertyKey(k)]; !ok {
			out[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	id := physical
	switch args.TypeToken {
	case "aws:s3/bucketV2:BucketV2":
		set("bucket", physical)
		b := out["bucket"].StringValue()
		id = b
		set("arn", "arn:aws:s3:::"+b)
		set("bucketDomainName", b+".s3.amazonaws.com")
	case "aws:iam/role:Role":
		set("name", physical)
		set("arn", fmt.Sprintf("arn:aws:iam::%s:role/%s", m.Account, out["name"].StringValue()))
	case "aws:ec2/vpc:Vpc":
		id = "vpc-" + shortHash(args.Name) + "0000000000"
	case "aws:ec2/subnet:Subnet":
		id = "subnet-" + shortHash(args.Name) + "0000000000"
	case "aws:ec2/securityGroup:SecurityGroup":
		id = "sg-" + shortHash(args.Name) + "0000000000"
	case "aws:kms/key:Key":
		id = shortHash(args.Name) + "-0000-0000-0000-000000000000"
		set("keyId", id)
	case "aws:sqs/queue:Queue":
		set("name", physical)
		set("url", fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", m.Region, m.Account, out["name"].StringValue()))
		id = out["url"].StringValue()
	case "aws:opensearch/domain:Domain":
		set("domainName", physical)
		set("endpoint", "vpc-"+physical+"."+m.Region+".es.amazonaws.com")
		set("dashboardEndpoint", "vpc-"+physical+"."+m.Region+".es.amazonaws.com/_dashboards")
	case "aws:lambda/invocation:Invocation":
		set("result", `{"status":"applied"}`)
	case "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration":
		set("chatConfigurationArn", fmt.Sprintf("arn:aws:chatbot::%s:chat-configuration/slack-channel/%s", m.Account, physical))
	}
	set("name", physical)
	if _, ok := out["arn"]; !ok {
		name := physical
		if n, ok := out["name"]; ok && n.IsString() {
			name = n.StringValue()
		}
		set("arn", inventArn(args.TypeToken, m.regionOf(rec.Provider), m.Account, name))
	}
	set("id", id)
	rec.Outputs = out.Mappable()
	return id, out, nil
}

// arnFormats are the real ARN shapes of the types whose ARN other
// resources or policies reference; others get a generic service/type/name.
var arnFormats = map[string]string{
	"aws:secretsmanager/secret:Secret":                          "arn:aws:secretsmanager:%s:%s:secret:%s",
	"aws:lambda/function:Function":                              "arn:aws:lambda:%s:%s:function:%s",
	"aws:sns/topic:Topic":                                       "arn:aws:sns:%s:%s:%s",
	"aws:sqs/queue:Queue":                                       "arn:aws:sqs:%s:%s:%s",
	"aws:cloudwatch/logGroup:LogGroup":                          "arn:aws:logs:%s:%s:log-group:%s",
	"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "arn:aws:firehose:%s:%s:deliverystream/%s",
	"aws:opensearch/domain:Domain":                              "arn:aws:es:%s:%s:domain/%s",
	"aws:cloudwatch/metricAlarm:MetricAlarm":                    "arn:aws:cloudwatch:%s:%s:alarm:%s",
	"aws:cloudwatch/eventRule:EventRule":                        "arn:aws:events:%s:%s:rule/%s",
	"aws:cloudwatch/eventBus:EventBus":                          "arn:aws:events:%s:%s:event-bus/%s",
	"aws:cloudwatch/logDestination:LogDestination":              "arn:aws:logs:%s:%s:destination:%s",
}

// regionOf is the region of a resource's provider: the region input of an
// explicit aws provider (a regional provider of the program), else the
// mocked region.
func (m *Mocks) regionOf(providerRef string) string {
	// A provider reference is "<urn>::<id>"; the URN itself holds "::".
	i := strings.LastIndex(providerRef, "::")
	if i <= 0 {
		return m.Region
	}
	urn := providerRef[:i]
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.Resources {
		if r.URN == urn && strings.HasPrefix(r.Type, "pulumi:providers:aws") {
			if region, _ := r.Inputs["region"].(string); region != "" {
				return region
			}
		}
	}
	return m.Region
}

func inventArn(token, region, account, name string) string {
	if f, ok := arnFormats[token]; ok {
		return fmt.Sprintf(f, region, account, name)
	}
	return fmt.Sprintf("arn:aws:%s:%s:%s:%s/%s", service(token), region, account, strings.ToLower(lastSegment(token)), name)
}

// qualifiedType is the URN type of a resource: its parent's qualified type
// and its own joined by "$", as the engine builds it (the stack is omitted).
func qualifiedType(parentURN, token string) string {
	parts := strings.Split(parentURN, "::")
	if len(parts) < 4 || parts[2] == "pulumi:pulumi:Stack" {
		return token
	}
	return parts[2] + "$" + token
}

func lastSegment(token string) string {
	i := strings.LastIndex(token, ":")
	return token[i+1:]
}

// RegisterResourceOutputs counts output registrations (the mock API passes no arguments).
func (m *Mocks) RegisterResourceOutputs() (*emptyResponse, error) {
	m.mu.Lock()
	m.OutputsCalls++
	m.mu.Unlock()
	return &emptyResponse{}, nil
}

// Call answers the invokes the program makes.
// providerRegion is the region an invoke through the provider reference
// ref ("<urn>::<id>", "" for the default provider) reads, as AWS answers
// it: the region input of an explicit aws provider, else the stack's.
func (m *Mocks) providerRegion(ref string) string {
	i := strings.LastIndex(ref, "::")
	if i < 0 {
		return m.Region
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.Resources {
		if r.URN == ref[:i] && r.Type == "pulumi:providers:aws" {
			if region := r.Input("region"); region != "" {
				return region
			}
		}
	}
	return m.Region
}

func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.Calls = append(m.Calls, args.Token)
	m.mu.Unlock()
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": m.Account, "arn": "arn:aws:iam::" + m.Account + ":user/mock", "userId": "AIDAMOCK", "id": m.Account,
		}), nil
	case "aws:index/getRegion:getRegion":
		r := m.providerRegion(args.Provider)
		return resource.NewPropertyMapFromMap(map[string]any{"name": r, "id": r, "endpoint": "ec2." + r + ".amazonaws.com"}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws", "reverseDnsPrefix": "com.amazonaws"}), nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		return resource.NewPropertyMapFromMap(map[string]any{
			"names": []any{m.Region + "a", m.Region + "b", m.Region + "c"}, "zoneIds": []any{"use1-az1", "use1-az2", "use1-az4"}, "id": m.Region,
		}), nil
	case "aws:secretsmanager/getRandomPassword:getRandomPassword":
		return resource.NewPropertyMapFromMap(map[string]any{"randomPassword": "mock-password-not-secret-0123456789", "id": "pw"}), nil
	case "aws:ec2/getSubnet:getSubnet":
		id, _ := args.Args["id"].V.(string)
		return resource.NewPropertyMapFromMap(map[string]any{"id": id, "vpcId": SubnetVpcID, "availabilityZone": Region + "a"}), nil
	case "aws:ec2/getAmi:getAmi":
		return resource.NewPropertyMapFromMap(map[string]any{"id": "ami-0123456789abcdef0", "imageId": "ami-0123456789abcdef0", "architecture": "arm64"}), nil
	case "aws:ec2/getVpcs:getVpcs":
		return m.getVpcs(args.Args)
	case FlowLogsToken:
		return m.describeFlowLogs(args.Args)
	}
	return nil, fmt.Errorf("mockaws: no mock for invoke %s", args.Token)
}

// ByType returns the recorded resources of a type token, in registration order.
func (m *Mocks) ByType(token string) []*Resource {
	var out []*Resource
	for _, r := range m.Resources {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// ByName returns the resource with this logical name (and type, when given).
func (m *Mocks) ByName(name string) *Resource {
	for _, r := range m.Resources {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// ByURN returns the resource with this URN.
func (m *Mocks) ByURN(urn string) *Resource {
	for _, r := range m.Resources {
		if r.URN == urn {
			return r
		}
	}
	return nil
}

// Children returns the resources whose parent is r, sorted by name.
func (m *Mocks) Children(r *Resource) []*Resource { return m.ChildrenOf(r.URN) }

// ChildrenOf returns the resources whose parent URN is parent, sorted by
// component first, then name, so printed plans are stable.
func (m *Mocks) ChildrenOf(parent string) []*Resource {
	var out []*Resource
	for _, c := range m.Resources {
		if c.Parent == parent {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Custom != out[j].Custom {
			return !out[i].Custom
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// StackURN is the URN of the root stack resource, the parent of top-level resources.
func (m *Mocks) StackURN() string {
	return fmt.Sprintf("urn:pulumi:%s::%s::pulumi:pulumi:Stack::%s-%s", m.Stack, m.Project, m.Project, m.Stack)
}

// CountByType counts resources per type token.
func (m *Mocks) CountByType() map[string]int {
	out := map[string]int{}
	for _, r := range m.Resources {
		out[r.Type]++
	}
	return out
}

// Components returns the component resources (not custom), in registration order.
func (m *Mocks) Components() []*Resource {
	var out []*Resource
	for _, r := range m.Resources {
		if !r.Custom {
			out = append(out, r)
		}
	}
	return out
}

// SortedTypes returns the type tokens present, sorted.
func (m *Mocks) SortedTypes() []string {
	counts := m.CountByType()
	types := make([]string, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}
