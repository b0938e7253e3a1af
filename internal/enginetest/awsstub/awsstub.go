// Package awsstub is a stand-in for the aws resource provider, for the
// engine tests in internal/enginetest only. It is served in-process over
// gRPC and the Pulumi engine is pointed at it with
// PULUMI_DEBUG_PROVIDERS=aws:<port>, so no provider binary and no AWS
// account are needed.
//
// Its Check refuses a resource the way the real provider or AWS would, from
// the constraint table of internal/awsconstraints (a name too long after
// auto-naming, an OpenSearch master user the domain's settings do not
// allow, ...), so the engine stops before it creates anything. It accepts
// every other resource, echoes inputs as outputs and invents ids, names
// and ARNs the way internal/mockaws does (so an engine run and the offline
// plan see the same values), answers the invokes the program makes (region,
// caller identity, partition, availability zones, AMI lookup,
// secretsmanager getRandomPassword) with mockaws's answers, and diffs old
// against new inputs, so an unchanged program previews with no changes. It
// keeps what it created in memory, a small fake cloud, so a test can tell
// what `pulumi destroy` deleted and what it kept.
//
// One stand-in serves many stacks and provider instances at once (the fleet
// engine test): the engine dials one gRPC connection per provider instance,
// so the stand-in keys each Configure by the connection's peer address and
// answers that instance's calls from its configuration: getCallerIdentity
// names the account of the assumed role (aws:assumeRole.roleArn; with a
// profile or keys, aws:allowedAccountIds; else mockaws.Account, the
// caller's), Configure refuses an account aws:allowedAccountIds does not
// list, getRegion and
// getAvailabilityZones the configured region, and the ARNs, URLs and
// endpoints it invents carry that account and region. ec2 getVpcs and getVpc
// answer from a per-account, per-region VPC inventory (SetVPCs).
package awsstub

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsconstraints"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// awsSDKModule is the module whose version the program's resources request
// as the aws plugin version.
const awsSDKModule = "github.com/pulumi/pulumi-aws/sdk/v6"

// Version is the plugin version the stand-in reports: the version of the
// pulumi-aws SDK linked into this binary, which is the plugin version the
// program requests.
var Version = func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == awsSDKModule {
				return strings.TrimPrefix(m.Version, "v")
			}
		}
	}
	return "6.83.4"
}()

// Resource is one resource the stand-in holds, by URN.
type Resource struct {
	URN, Type, ID   string
	Inputs, Outputs resource.PropertyMap
	// Account and Region are those of the provider instance that created it.
	Account, Region string
}

// Op is one call that changed the fake cloud.
type Op struct {
	Kind string // create, update or delete
	URN  string
	Type string
	ID   string
	// Account and Region are those of the provider instance that made the call.
	Account string `json:",omitempty"`
	Region  string `json:",omitempty"`
}

// Config is what one provider instance was configured with.
type Config struct {
	Account, Region string
	// RoleArn is the assumed role ("" for none).
	RoleArn string
}

// VPC is one VPC of the inventory getVpcs and getVpc answer from.
type VPC struct {
	ID        string
	CidrBlock string
	Tags      map[string]string
}

// Provider implements pulumirpc.ResourceProviderServer.
type Provider struct {
	pulumirpc.UnimplementedResourceProviderServer

	mu    sync.Mutex
	mocks *mockaws.Mocks // invents ids and outputs, answers invokes
	live  map[string]*Resource
	ops   []Op
	calls map[string]int // RPC name -> count
	// refused are the URNs whose Check failed.
	refused []string
	// configs are the provider instances' configurations, by peer address.
	configs map[string]Config
	// vpcs is the VPC inventory, by account and region.
	vpcs map[[2]string][]VPC
}

// New returns a stand-in with an empty fake cloud.
func New() *Provider {
	return &Provider{mocks: mockaws.New("", ""), live: map[string]*Resource{}, calls: map[string]int{},
		configs: map[string]Config{}, vpcs: map[[2]string][]VPC{}}
}

// SetVPCs sets the VPCs getVpcs and getVpc find in an account and region.
func (p *Provider) SetVPCs(account, region string, vpcs []VPC) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.vpcs[[2]string{account, region}] = vpcs
}

// Configs returns the configuration of every provider instance configured
// so far (one per connection), in no particular order.
func (p *Provider) Configs() []Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Config, 0, len(p.configs))
	for _, c := range p.configs {
		out = append(out, c)
	}
	return out
}

// peerKey identifies the provider instance a call comes from: the engine
// dials one connection per instance.
func peerKey(ctx context.Context) string {
	if pr, ok := peer.FromContext(ctx); ok && pr.Addr != nil {
		return pr.Addr.String()
	}
	return ""
}

// config is the configuration of the instance making the call (the
// defaults of mockaws before it is configured).
func (p *Provider) config(ctx context.Context) Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.configs[peerKey(ctx)]; ok {
		return c
	}
	return Config{Account: mockaws.Account, Region: mockaws.Region}
}

// roleArnAccount is the account of an IAM role ARN.
var roleArnAccount = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/`)

// parseConfig reads region, assumeRole and allowedAccountIds from the
// provider's configuration: the args (typed inputs), else the variables
// (aws:config:<key> = string or JSON).
func parseConfig(req *pulumirpc.ConfigureRequest) (Config, error) {
	c := Config{Account: mockaws.Account, Region: mockaws.Region}
	vals := map[string]any{}
	for k, v := range req.GetVariables() {
		k = strings.TrimPrefix(strings.TrimPrefix(k, "aws:config:"), "aws:")
		var parsed any
		if json.Unmarshal([]byte(v), &parsed) == nil {
			vals[k] = parsed
		} else {
			vals[k] = v
		}
	}
	if req.GetArgs() != nil {
		args, err := unmarshal(req.GetArgs(), "configure.args")
		if err != nil {
			return c, err
		}
		for k, v := range Plain(args) {
			if s, ok := v.(string); ok {
				var parsed any
				if (strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[")) && json.Unmarshal([]byte(s), &parsed) == nil {
					v = parsed
				}
			}
			vals[k] = v
		}
	}
	if r, ok := vals["region"].(string); ok && r != "" {
		c.Region = r
	}
	var allowed []string
	if ids, ok := vals["allowedAccountIds"].([]any); ok {
		for _, id := range ids {
			if s, ok := id.(string); ok {
				allowed = append(allowed, s)
			}
		}
	}
	// Whose credentials the instance has: the assumed role's account; with
	// credentials of its own (a profile, keys) the account it allows, as
	// the stand-in cannot tell theirs; else the caller's ambient
	// credentials, of mockaws.Account.
	own := false
	for _, k := range []string{"profile", "accessKey"} {
		if v, ok := vals[k].(string); ok && v != "" {
			own = true
		}
	}
	if own && len(allowed) > 0 {
		c.Account = allowed[0]
	}
	if ar, ok := vals["assumeRole"].(map[string]any); ok {
		if arn, ok := ar["roleArn"].(string); ok {
			c.RoleArn = arn
			if m := roleArnAccount.FindStringSubmatch(arn); m != nil {
				c.Account = m[1]
			}
		}
	}
	// The provider refuses credentials of an account allowedAccountIds
	// does not list ("AWS account ID not allowed: <id>",
	// https://github.com/hashicorp/terraform-provider-aws/pull/32352), so
	// an explicit provider that lost the stack's assumeRole fails here as
	// it would in AWS.
	if len(allowed) > 0 && !slices.Contains(allowed, c.Account) {
		return c, fmt.Errorf("AWS account ID not allowed: %s", c.Account)
	}
	return c, nil
}

// Serve serves p on a free localhost port until stop is called.
func Serve(p *Provider) (port int, stop func() error, err error) {
	cancel := make(chan bool)
	h, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(s *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(s, p)
			return nil
		},
	})
	if err != nil {
		return 0, nil, err
	}
	var once sync.Once
	stop = func() error {
		var err error
		once.Do(func() {
			cancel <- true
			err = <-h.Done
		})
		return err
	}
	return h.Port, stop, nil
}

// Live returns the resources that exist in the fake cloud, sorted by URN.
func (p *Provider) Live() []Resource {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Resource, 0, len(p.live))
	for _, r := range p.live {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].URN < out[j].URN })
	return out
}

// Ops returns the creates, updates and deletes so far, in order.
func (p *Provider) Ops() []Op {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Op(nil), p.ops...)
}

// Calls returns how often each RPC was called.
func (p *Provider) Calls() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.calls))
	for k, v := range p.calls {
		out[k] = v
	}
	return out
}

func (p *Provider) count(rpc string) {
	p.mu.Lock()
	p.calls[rpc]++
	p.mu.Unlock()
}

var unmarshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, KeepOutputValues: true}
var marshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true}

func unmarshal(s *structpb.Struct, label string) (resource.PropertyMap, error) {
	o := unmarshalOpts
	o.Label = label
	return plugin.UnmarshalProperties(s, o)
}

func marshal(m resource.PropertyMap, label string) (*structpb.Struct, error) {
	o := marshalOpts
	o.Label = label
	return plugin.MarshalProperties(m, o)
}

// Handshake accepts secrets; resources and outputs arrive as plain values.
func (p *Provider) Handshake(context.Context, *pulumirpc.ProviderHandshakeRequest) (*pulumirpc.ProviderHandshakeResponse, error) {
	p.count("Handshake")
	return &pulumirpc.ProviderHandshakeResponse{AcceptSecrets: true}, nil
}

// GetPluginInfo reports the aws plugin version the program requests.
func (p *Provider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: Version}, nil
}

// GetSchema returns a minimal package schema: the stand-in declares no types.
func (p *Provider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"aws","version":%q}`, Version)}, nil
}

// Attach is called by the engine after it dialed an attached provider.
func (p *Provider) Attach(context.Context, *pulumirpc.PluginAttach) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Cancel has nothing to cancel.
func (p *Provider) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// GetMapping has no mappings to other ecosystems.
func (p *Provider) GetMapping(context.Context, *pulumirpc.GetMappingRequest) (*pulumirpc.GetMappingResponse, error) {
	return &pulumirpc.GetMappingResponse{}, nil
}

// GetMappings has no mappings to other ecosystems.
func (p *Provider) GetMappings(context.Context, *pulumirpc.GetMappingsRequest) (*pulumirpc.GetMappingsResponse, error) {
	return &pulumirpc.GetMappingsResponse{}, nil
}

// CheckConfig accepts any provider configuration.
func (p *Provider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	p.count("CheckConfig")
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig compares the old and new provider configuration.
func (p *Provider) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	p.count("DiffConfig")
	return diff(req)
}

// Configure accepts the configuration; Create and Update are called during
// previews too (with preview set).
func (p *Provider) Configure(ctx context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	p.count("Configure")
	c, err := parseConfig(req)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.configs[peerKey(ctx)] = c
	p.mu.Unlock()
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: true}, nil
}

// Check refuses what the real provider or AWS would refuse about one
// resource, from the constraint table of internal/awsconstraints (names
// after auto-naming, OpenSearch master user and fine-grained access
// control, filter patterns, the Athena cutoff, Glue projection): it returns
// one CheckFailure per violation, as a provider's Check reports invalid
// inputs, and the engine stops before it creates anything. Valid inputs are
// returned as given. An input not yet known (a preview) is not judged.
func (p *Provider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	p.count("Check")
	news, err := unmarshal(req.GetNews(), "check.news")
	if err != nil {
		return nil, err
	}
	urn := resource.URN(req.GetUrn())
	var failures []*pulumirpc.CheckFailure
	for _, v := range awsconstraints.CheckResource(urn.Type().String(), urn.Name(), Plain(news)) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: v.Property, Reason: v.Message + " (" + v.Doc + ")"})
	}
	if len(failures) > 0 {
		p.mu.Lock()
		p.refused = append(p.refused, req.GetUrn())
		p.mu.Unlock()
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

// Refused returns the URNs whose Check failed, in order.
func (p *Provider) Refused() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.refused...)
}

// Plain converts inputs to the plain values internal/awsconstraints reads:
// secrets are unwrapped, an unknown value (computed, or an output not yet
// known) becomes a value no constraint judges.
func Plain(pm resource.PropertyMap) map[string]any {
	var replv func(resource.PropertyValue) (any, bool)
	replv = func(v resource.PropertyValue) (any, bool) {
		switch {
		case v.IsComputed():
			return awsconstraints.Unknown{}, true
		case v.IsOutput():
			o := v.OutputValue()
			if !o.Known {
				return awsconstraints.Unknown{}, true
			}
			return o.Element.MapRepl(nil, replv), true
		case v.IsSecret():
			return v.SecretValue().Element.MapRepl(nil, replv), true
		}
		return nil, false
	}
	return pm.MapRepl(nil, replv)
}

// Diff compares old inputs with new inputs, top-level key by key; an unknown
// value counts as a change. It never asks for a replacement.
func (p *Provider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	p.count("Diff")
	return diff(req)
}

func diff(req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := unmarshal(oldStruct, "diff.olds")
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews(), "diff.news")
	if err != nil {
		return nil, err
	}
	changed := ChangedKeys(olds, news)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}, nil
}

// ChangedKeys returns the sorted top-level keys whose values differ between
// olds and news (added, removed, changed, or unknown in news). Archives and
// assets compare by content hash, so a rebuilt but identical Lambda zip is
// no change.
func ChangedKeys(olds, news resource.PropertyMap) []string {
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var changed []string
	for k := range keys {
		o, inOld := olds[k]
		n, inNew := news[k]
		switch {
		case inOld != inNew:
			if (inOld && o.IsNull()) || (inNew && n.IsNull()) {
				continue // absent and null are the same input
			}
			changed = append(changed, string(k))
		case n.ContainsUnknowns() || o.ContainsUnknowns() || !o.DeepEquals(n):
			changed = append(changed, string(k))
		}
	}
	sort.Strings(changed)
	return changed
}

// invent returns the id and outputs of a resource with these inputs: the
// inputs plus what mockaws invents (ids, names, ARNs, endpoints).
func (p *Provider) invent(c Config, urn, typ string, inputs resource.PropertyMap) (id string, outs resource.PropertyMap, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("awsstub: inventing outputs of %s: %v", urn, r)
		}
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	id, outs, err = p.mocks.NewResource(pulumi.MockResourceArgs{
		TypeToken: typ,
		Name:      resource.URN(urn).Name(),
		Inputs:    inputs,
		Custom:    true,
	})
	if err != nil {
		return id, outs, err
	}
	// What mockaws invented (not the echoed inputs) names mockaws's account
	// and region; the instance's are c's.
	for k, v := range outs {
		if in, ok := inputs[k]; ok && in.DeepEquals(v) {
			continue
		}
		outs[k] = relocate(v, c)
	}
	return id, outs, nil
}

// relocate replaces mockaws's account and region in the strings of v (ARNs
// arn:aws:svc:<region>:<account>:..., URLs https://svc.<region>.amazonaws.com/<account>/...,
// endpoints ...<region>.es.amazonaws.com) with c's.
func relocate(v resource.PropertyValue, c Config) resource.PropertyValue {
	if c.Account == mockaws.Account && c.Region == mockaws.Region {
		return v
	}
	repl := strings.NewReplacer(
		":"+mockaws.Region+":", ":"+c.Region+":",
		"."+mockaws.Region+".", "."+c.Region+".",
		mockaws.Account, c.Account,
	)
	switch {
	case v.IsString():
		return resource.NewProperty(repl.Replace(v.StringValue()))
	case v.IsArray():
		arr := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			arr[i] = relocate(e, c)
		}
		return resource.NewProperty(arr)
	case v.IsObject():
		obj := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			obj[k] = relocate(e, c)
		}
		return resource.NewProperty(obj)
	}
	return v
}

// Create invents the resource's id and outputs and stores it; in a preview it
// returns the inputs and stores nothing.
func (p *Provider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	p.count("Create")
	inputs, err := unmarshal(req.GetProperties(), "create")
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	typ := resource.URN(req.GetUrn()).Type().String()
	c := p.config(ctx)
	id, outs, err := p.invent(c, req.GetUrn(), typ, inputs)
	if err != nil {
		return nil, err
	}
	props, err := marshal(outs, "create.outputs")
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.live[req.GetUrn()] = &Resource{URN: req.GetUrn(), Type: typ, ID: id, Inputs: inputs, Outputs: outs, Account: c.Account, Region: c.Region}
	p.ops = append(p.ops, Op{Kind: "create", URN: req.GetUrn(), Type: typ, ID: id, Account: c.Account, Region: c.Region})
	p.mu.Unlock()
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Update re-invents the outputs from the new inputs and keeps the id.
func (p *Provider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	p.count("Update")
	news, err := unmarshal(req.GetNews(), "update")
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
	}
	typ := resource.URN(req.GetUrn()).Type().String()
	c := p.config(ctx)
	_, outs, err := p.invent(c, req.GetUrn(), typ, news)
	if err != nil {
		return nil, err
	}
	outs["id"] = resource.NewProperty(req.GetId())
	props, err := marshal(outs, "update.outputs")
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.live[req.GetUrn()] = &Resource{URN: req.GetUrn(), Type: typ, ID: req.GetId(), Inputs: news, Outputs: outs, Account: c.Account, Region: c.Region}
	p.ops = append(p.ops, Op{Kind: "update", URN: req.GetUrn(), Type: typ, ID: req.GetId(), Account: c.Account, Region: c.Region})
	p.mu.Unlock()
	return &pulumirpc.UpdateResponse{Properties: props}, nil
}

// Read returns the stored resource, or an empty id when it does not exist.
func (p *Provider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	p.count("Read")
	p.mu.Lock()
	r, ok := p.live[req.GetUrn()]
	p.mu.Unlock()
	if !ok || r.ID != req.GetId() {
		return &pulumirpc.ReadResponse{}, nil
	}
	props, err := marshal(r.Outputs, "read.outputs")
	if err != nil {
		return nil, err
	}
	inputs, err := marshal(r.Inputs, "read.inputs")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.ReadResponse{Id: r.ID, Properties: props, Inputs: inputs}, nil
}

// Delete removes the resource from the fake cloud.
func (p *Provider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	p.count("Delete")
	typ := resource.URN(req.GetUrn()).Type().String()
	c := p.config(ctx)
	p.mu.Lock()
	delete(p.live, req.GetUrn())
	p.ops = append(p.ops, Op{Kind: "delete", URN: req.GetUrn(), Type: typ, ID: req.GetId(), Account: c.Account, Region: c.Region})
	p.mu.Unlock()
	return &emptypb.Empty{}, nil
}

// Invoke answers the data sources the program calls: caller identity,
// region, availability zones and VPCs from the calling instance's
// configuration, everything else as mockaws does.
func (p *Provider) Invoke(ctx context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	p.count("Invoke")
	args, err := unmarshal(req.GetArgs(), "invoke.args")
	if err != nil {
		return nil, err
	}
	c := p.config(ctx)
	ret, ok, err := p.answer(c, req.GetTok(), Plain(args))
	if err != nil {
		return nil, fmt.Errorf("awsstub: %w", err)
	}
	if !ok {
		p.mu.Lock()
		ret, err = p.mocks.Call(pulumi.MockCallArgs{Token: req.GetTok(), Args: args})
		p.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("awsstub: %w", err)
		}
	}
	out, err := marshal(ret, "invoke.return")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: out}, nil
}

// answer answers the invokes that depend on the instance's account and
// region; ok is false for the others.
func (p *Provider) answer(c Config, tok string, args map[string]any) (resource.PropertyMap, bool, error) {
	switch tok {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		arn := "arn:aws:iam::" + c.Account + ":user/mock"
		if m := roleArnName.FindStringSubmatch(c.RoleArn); m != nil {
			arn = "arn:aws:sts::" + c.Account + ":assumed-role/" + m[1] + "/awsstub"
		}
		return resource.NewPropertyMapFromMap(map[string]any{"accountId": c.Account, "arn": arn, "userId": "AROAMOCK:awsstub", "id": c.Account}), true, nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{"name": c.Region, "id": c.Region, "endpoint": "ec2." + c.Region + ".amazonaws.com"}), true, nil
	case "aws:index/getAvailabilityZones:getAvailabilityZones":
		return resource.NewPropertyMapFromMap(map[string]any{
			"names": []any{c.Region + "a", c.Region + "b", c.Region + "c"}, "zoneIds": []any{c.Region + "-az1", c.Region + "-az2", c.Region + "-az3"}, "id": c.Region,
		}), true, nil
	case "aws:ec2/getVpcs:getVpcs":
		p.mu.Lock()
		vpcs := p.vpcs[[2]string{c.Account, c.Region}]
		p.mu.Unlock()
		ids := []any{}
		for _, v := range vpcs {
			if vpcMatches(v, args) {
				ids = append(ids, v.ID)
			}
		}
		return resource.NewPropertyMapFromMap(map[string]any{"ids": ids, "id": c.Region}), true, nil
	case "aws:ec2/getVpc:getVpc":
		p.mu.Lock()
		vpcs := p.vpcs[[2]string{c.Account, c.Region}]
		p.mu.Unlock()
		var found []VPC
		for _, v := range vpcs {
			if vpcMatches(v, args) {
				found = append(found, v)
			}
		}
		if len(found) != 1 {
			// The provider's error when a VPC lookup does not find exactly one.
			return nil, false, fmt.Errorf("no matching EC2 VPC found (%d match %v in account %s, %s)", len(found), args, c.Account, c.Region)
		}
		v := found[0]
		tags := map[string]any{}
		for k, t := range v.Tags {
			tags[k] = t
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": v.ID, "arn": "arn:aws:ec2:" + c.Region + ":" + c.Account + ":vpc/" + v.ID, "cidrBlock": v.CidrBlock,
			"ownerId": c.Account, "tags": tags, "default": false, "state": "available",
		}), true, nil
	}
	return nil, false, nil
}

var roleArnName = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/(?:.*/)?([^/]+)$`)

// vpcMatches applies getVpcs/getVpc arguments: id, tags (all must match)
// and filters vpc-id, tag:<key>, tag-key (any value of a filter matches).
func vpcMatches(v VPC, args map[string]any) bool {
	if id, ok := args["id"].(string); ok && id != "" && id != v.ID {
		return false
	}
	if tags, ok := args["tags"].(map[string]any); ok {
		for k, want := range tags {
			if got, ok := v.Tags[k]; !ok || got != want {
				return false
			}
		}
	}
	filters, _ := args["filters"].([]any)
	if fs, ok := args["filter"].([]any); ok {
		filters = append(filters, fs...)
	}
	for _, f := range filters {
		fm, _ := f.(map[string]any)
		name, _ := fm["name"].(string)
		values, _ := fm["values"].([]any)
		match := false
		for _, val := range values {
			s, _ := val.(string)
			switch {
			case name == "vpc-id":
				match = match || s == v.ID
			case name == "tag-key":
				_, has := v.Tags[s]
				match = match || has
			case strings.HasPrefix(name, "tag:"):
				got, has := v.Tags[strings.TrimPrefix(name, "tag:")]
				match = match || (has && got == s)
			default:
				match = true // a filter the stand-in does not model
			}
		}
		if !match {
			return false
		}
	}
	return true
}
