package awsstub

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

const bucketURN = "urn:pulumi:dev::vpc-flow-logs::vpcflowlogs:index:FlowLogToS3$aws:s3/bucketV2:BucketV2::s3-athena-flowlogs-bucket"

func props(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m, "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// client serves a fresh stand-in and returns a gRPC client of it, as the
// engine dials it through PULUMI_DEBUG_PROVIDERS.
func client(t *testing.T) (*Provider, pulumirpc.ResourceProviderClient) {
	t.Helper()
	p := New()
	port, stop, err := Serve(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return p, pulumirpc.NewResourceProviderClient(conn)
}

func TestLifecycleOverGRPC(t *testing.T) {
	ctx := context.Background()
	p, c := client(t)

	info, err := c.GetPluginInfo(ctx, &emptypb.Empty{})
	if err != nil || info.GetVersion() != Version || Version == "" {
		t.Fatalf("GetPluginInfo = %v, %v; want %q", info, err, Version)
	}
	if _, err := c.Configure(ctx, &pulumirpc.ConfigureRequest{}); err != nil {
		t.Fatal(err)
	}

	inputs := resource.PropertyMap{"tags": resource.NewProperty(resource.PropertyMap{"stack": resource.NewProperty("dev")})}
	pre, err := c.Create(ctx, &pulumirpc.CreateRequest{Urn: bucketURN, Properties: props(t, inputs), Preview: true})
	if err != nil || pre.GetId() != "" {
		t.Fatalf("preview create = %v, %v; want no id", pre, err)
	}
	if len(p.Ops()) != 0 {
		t.Fatalf("a preview changed the fake cloud: %v", p.Ops())
	}

	created, err := c.Create(ctx, &pulumirpc.CreateRequest{Urn: bucketURN, Properties: props(t, inputs)})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := unmarshal(created.GetProperties(), "test")
	if err != nil {
		t.Fatal(err)
	}
	if created.GetId() == "" || outs["arn"].StringValue() != "arn:aws:s3:::"+created.GetId() || !outs["tags"].DeepEquals(inputs["tags"]) {
		t.Errorf("create: id %q, outputs %v: want an invented id, its ARN and the inputs echoed", created.GetId(), outs)
	}
	if live := p.Live(); len(live) != 1 || live[0].URN != bucketURN {
		t.Errorf("live = %v", live)
	}

	d, err := c.Diff(ctx, &pulumirpc.DiffRequest{Urn: bucketURN, Id: created.GetId(), Olds: created.GetProperties(), OldInputs: props(t, inputs), News: props(t, inputs)})
	if err != nil || d.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
		t.Errorf("diff of equal inputs = %v, %v; want DIFF_NONE", d, err)
	}
	changed := resource.PropertyMap{"tags": resource.NewProperty(resource.PropertyMap{"stack": resource.NewProperty("prod")})}
	d, err = c.Diff(ctx, &pulumirpc.DiffRequest{Urn: bucketURN, Id: created.GetId(), OldInputs: props(t, inputs), News: props(t, changed)})
	if err != nil || d.GetChanges() != pulumirpc.DiffResponse_DIFF_SOME || !reflect.DeepEqual(d.GetDiffs(), []string{"tags"}) {
		t.Errorf("diff of changed tags = %v, %v; want DIFF_SOME on tags", d, err)
	}

	inv, err := c.Invoke(ctx, &pulumirpc.InvokeRequest{Tok: "aws:index/getRegion:getRegion", Args: props(t, resource.PropertyMap{})})
	if err != nil || inv.GetReturn().GetFields()["name"].GetStringValue() != mockaws.Region {
		t.Errorf("getRegion = %v, %v", inv, err)
	}
	if _, err := c.Invoke(ctx, &pulumirpc.InvokeRequest{Tok: "aws:index/notAnInvoke:notAnInvoke", Args: props(t, resource.PropertyMap{})}); err == nil {
		t.Error("an invoke the program does not make must fail, not answer nothing")
	}

	if _, err := c.Delete(ctx, &pulumirpc.DeleteRequest{Urn: bucketURN, Id: created.GetId()}); err != nil {
		t.Fatal(err)
	}
	if len(p.Live()) != 0 {
		t.Errorf("live after delete = %v", p.Live())
	}
	var kinds []string
	for _, op := range p.Ops() {
		kinds = append(kinds, op.Kind)
	}
	if !reflect.DeepEqual(kinds, []string{"create", "delete"}) {
		t.Errorf("ops = %v", kinds)
	}
}

func TestChangedKeys(t *testing.T) {
	zip := func(hash string) resource.PropertyValue {
		return resource.NewProperty(&archive.Archive{Hash: hash, Path: "/x/forwarder.zip"})
	}
	str := func(s string) resource.PropertyValue { return resource.NewProperty(s) }
	for name, tc := range map[string]struct {
		olds, news resource.PropertyMap
		want       []string
	}{
		"equal":              {resource.PropertyMap{"a": str("x"), "code": zip("h1")}, resource.PropertyMap{"a": str("x"), "code": zip("h1")}, nil},
		"archive rebuilt":    {resource.PropertyMap{"code": zip("h1")}, resource.PropertyMap{"code": zip("h2")}, []string{"code"}},
		"added and removed":  {resource.PropertyMap{"a": str("x")}, resource.PropertyMap{"b": str("y")}, []string{"a", "b"}},
		"null is absent":     {resource.PropertyMap{"a": resource.NewNullProperty()}, resource.PropertyMap{}, nil},
		"unknown is changed": {resource.PropertyMap{"a": str("x")}, resource.PropertyMap{"a": resource.MakeComputed(str(""))}, []string{"a"}},
		"secret equal":       {resource.PropertyMap{"a": resource.MakeSecret(str("x"))}, resource.PropertyMap{"a": resource.MakeSecret(str("x"))}, nil},
	} {
		if got := ChangedKeys(tc.olds, tc.news); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: ChangedKeys = %v, want %v", name, got, tc.want)
		}
	}
}

// Check refuses what the real provider refuses (an auto-name over the
// provider's cap, in its words) and AWS refuses (an OpenSearch master user
// the domain's settings do not allow), accepts valid inputs unchanged, and
// does not judge a value that is not known yet.
func TestCheckRefusesWhatAWSRefuses(t *testing.T) {
	ctx := context.Background()
	p, c := client(t)
	check := func(urn string, news resource.PropertyMap) *pulumirpc.CheckResponse {
		t.Helper()
		res, err := c.Check(ctx, &pulumirpc.CheckRequest{Urn: urn, News: props(t, news)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	roleURN := func(name string) string {
		return "urn:pulumi:dev::vpc-flow-logs::aws:iam/role:Role::" + name
	}
	long := roleURN("a-role-whose-logical-name-is-far-too-long-for-iam-after-autonaming")
	res := check(long, resource.PropertyMap{"assumeRolePolicy": resource.NewProperty("{}")})
	if f := res.GetFailures(); len(f) != 1 || f[0].GetProperty() != "name" ||
		!strings.Contains(f[0].GetReason(), "plus 7 random chars is longer than maximum length 64") {
		t.Errorf("failures = %v", f)
	}

	ok := resource.PropertyMap{"assumeRolePolicy": resource.NewProperty("{}")}
	res = check(roleURN("short"), ok)
	if len(res.GetFailures()) != 0 {
		t.Errorf("a short role name failed: %v", res.GetFailures())
	}
	if got, err := unmarshal(res.GetInputs(), "test"); err != nil || !got.DeepEquals(ok) {
		t.Errorf("inputs = %v, %v; want them unchanged", got, err)
	}

	// An explicit name that is not known yet is not judged.
	res = check(long, resource.PropertyMap{"name": resource.MakeComputed(resource.NewProperty(""))})
	if len(res.GetFailures()) != 0 {
		t.Errorf("an unknown name failed: %v", res.GetFailures())
	}

	domain := resource.NewPropertyMapFromMap(map[string]any{
		"encryptAtRest":         map[string]any{"enabled": true},
		"nodeToNodeEncryption":  map[string]any{"enabled": true},
		"domainEndpointOptions": map[string]any{"enforceHttps": true},
		"advancedSecurityOptions": map[string]any{
			"enabled": true, "internalUserDatabaseEnabled": true,
			"masterUserOptions": map[string]any{"masterUserArn": "arn:aws:iam::123456789012:role/admin"},
		},
	})
	domain["advancedSecurityOptions"].ObjectValue()["masterUserOptions"] = resource.MakeSecret(domain["advancedSecurityOptions"].ObjectValue()["masterUserOptions"])
	res = check("urn:pulumi:dev::vpc-flow-logs::aws:opensearch/domain:Domain::search", domain)
	if f := res.GetFailures(); len(f) != 1 || !strings.Contains(f[0].GetReason(), "masterUserArn is set with internalUserDatabaseEnabled true") {
		t.Errorf("failures = %v", f)
	}
	if got := p.Refused(); len(got) != 2 || got[0] != long {
		t.Errorf("Refused = %v", got)
	}
	if len(p.Ops()) != 0 {
		t.Errorf("Check changed the fake cloud: %v", p.Ops())
	}
}
