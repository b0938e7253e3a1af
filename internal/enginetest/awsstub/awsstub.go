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
package awsstub

import (
	"context"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
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
}

// Op is one call that changed the fake cloud.
type Op struct {
	Kind string // create, update or delete
	URN  string
	Type string
	ID   string
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
}

// New returns a stand-in with an empty fake cloud.
func New() *Provider {
	return &Provider{mocks: mockaws.New("", ""), live: map[string]*Resource{}, calls: map[string]int{}}
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
func (p *Provider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	p.count("Configure")
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
func (p *Provider) invent(urn, typ string, inputs resource.PropertyMap) (id string, outs resource.PropertyMap, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("awsstub: inventing outputs of %s: %v", urn, r)
		}
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.mocks.NewResource(pulumi.MockResourceArgs{
		TypeToken: typ,
		Name:      resource.URN(urn).Name(),
		Inputs:    inputs,
		Custom:    true,
	})
}

// Create invents the resource's id and outputs and stores it; in a preview it
// returns the inputs and stores nothing.
func (p *Provider) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	p.count("Create")
	inputs, err := unmarshal(req.GetProperties(), "create")
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		return &pulumirpc.CreateResponse{Properties: req.GetProperties()}, nil
	}
	typ := resource.URN(req.GetUrn()).Type().String()
	id, outs, err := p.invent(req.GetUrn(), typ, inputs)
	if err != nil {
		return nil, err
	}
	props, err := marshal(outs, "create.outputs")
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.live[req.GetUrn()] = &Resource{URN: req.GetUrn(), Type: typ, ID: id, Inputs: inputs, Outputs: outs}
	p.ops = append(p.ops, Op{Kind: "create", URN: req.GetUrn(), Type: typ, ID: id})
	p.mu.Unlock()
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, nil
}

// Update re-invents the outputs from the new inputs and keeps the id.
func (p *Provider) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	p.count("Update")
	news, err := unmarshal(req.GetNews(), "update")
	if err != nil {
		return nil, err
	}
	if req.GetPreview() {
		return &pulumirpc.UpdateResponse{Properties: req.GetNews()}, nil
	}
	typ := resource.URN(req.GetUrn()).Type().String()
	_, outs, err := p.invent(req.GetUrn(), typ, news)
	if err != nil {
		return nil, err
	}
	outs["id"] = resource.NewProperty(req.GetId())
	props, err := marshal(outs, "update.outputs")
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.live[req.GetUrn()] = &Resource{URN: req.GetUrn(), Type: typ, ID: req.GetId(), Inputs: news, Outputs: outs}
	p.ops = append(p.ops, Op{Kind: "update", URN: req.GetUrn(), Type: typ, ID: req.GetId()})
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
func (p *Provider) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	p.count("Delete")
	typ := resource.URN(req.GetUrn()).Type().String()
	p.mu.Lock()
	delete(p.live, req.GetUrn())
	p.ops = append(p.ops, Op{Kind: "delete", URN: req.GetUrn(), Type: typ, ID: req.GetId()})
	p.mu.Unlock()
	return &emptypb.Empty{}, nil
}

// Invoke answers the data sources the program calls, as mockaws does.
func (p *Provider) Invoke(_ context.Context, req *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	p.count("Invoke")
	args, err := unmarshal(req.GetArgs(), "invoke.args")
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	ret, err := p.mocks.Call(pulumi.MockCallArgs{Token: req.GetTok(), Args: args})
	p.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("awsstub: %w", err)
	}
	out, err := marshal(ret, "invoke.return")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.InvokeResponse{Return: out}, nil
}
