package awsstub

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// dial opens one more connection to a served stand-in: one provider instance.
func dial(t *testing.T, port int) pulumirpc.ResourceProviderClient {
	t.Helper()
	conn, err := grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pulumirpc.NewResourceProviderClient(conn)
}

func invoke(t *testing.T, c pulumirpc.ResourceProviderClient, tok string, args resource.PropertyMap) map[string]any {
	t.Helper()
	res, err := c.Invoke(context.Background(), &pulumirpc.InvokeRequest{Tok: tok, Args: props(t, args)})
	if err != nil {
		t.Fatalf("%s: %v", tok, err)
	}
	m, err := unmarshal(res.GetReturn(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return m.Mappable()
}

// TestInstancesAnswerFromTheirOwnConfiguration: two provider instances
// (connections) configured for different accounts and regions each get
// their own caller identity, region, invented ARNs and VPCs; an instance
// that was never configured gets mockaws's.
func TestInstancesAnswerFromTheirOwnConfiguration(t *testing.T) {
	p := New()
	port, stop, err := Serve(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	ctx := context.Background()
	member, central, plain := dial(t, port), dial(t, port), dial(t, port)

	// The engine passes the provider's config as typed args; nested objects
	// may arrive as JSON strings.
	memberArgs := resource.PropertyMap{
		"region":     resource.NewProperty("eu-west-1"),
		"assumeRole": resource.NewProperty(`{"roleArn":"arn:aws:iam::111111111111:role/deploy/flowlogs-deployer","sessionName":"fleet"}`),
	}
	if _, err := member.Configure(ctx, &pulumirpc.ConfigureRequest{Args: props(t, memberArgs)}); err != nil {
		t.Fatal(err)
	}
	centralVars := map[string]string{"aws:config:region": "us-west-2", "aws:config:profile": "log-archive", "aws:config:allowedAccountIds": `["999999999999"]`}
	if _, err := central.Configure(ctx, &pulumirpc.ConfigureRequest{Variables: centralVars}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		c               pulumirpc.ResourceProviderClient
		account, region string
		arn             string
	}{
		{member, "111111111111", "eu-west-1", "arn:aws:sts::111111111111:assumed-role/flowlogs-deployer/awsstub"},
		{central, "999999999999", "us-west-2", "arn:aws:iam::999999999999:user/mock"},
		{plain, mockaws.Account, mockaws.Region, "arn:aws:iam::" + mockaws.Account + ":user/mock"},
	} {
		id := invoke(t, tc.c, "aws:index/getCallerIdentity:getCallerIdentity", nil)
		if id["accountId"] != tc.account || id["arn"] != tc.arn {
			t.Errorf("caller identity %v, want account %s, arn %s", id, tc.account, tc.arn)
		}
		if r := invoke(t, tc.c, "aws:index/getRegion:getRegion", nil); r["name"] != tc.region {
			t.Errorf("region %v, want %s", r, tc.region)
		}
		const urn = "urn:pulumi:m::vpc-flow-logs::aws:sns/topic:Topic::alarms"
		created, err := tc.c.Create(ctx, &pulumirpc.CreateRequest{Urn: urn + tc.account, Properties: props(t, resource.PropertyMap{"displayName": resource.NewProperty("arn:aws:sns:us-east-1:123456789012:kept")})})
		if err != nil {
			t.Fatal(err)
		}
		outs, _ := unmarshal(created.GetProperties(), "test")
		want := "arn:aws:sns:" + tc.region + ":" + tc.account + ":alarms"
		if got := outs["arn"].StringValue(); len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("invented ARN %s, want it in %s %s (%s...)", got, tc.account, tc.region, want)
		}
		if got := outs["displayName"].StringValue(); got != "arn:aws:sns:us-east-1:123456789012:kept" {
			t.Errorf("an echoed input was changed: %s", got)
		}
	}
	for _, r := range p.Live() {
		if r.URN == "urn:pulumi:m::vpc-flow-logs::aws:sns/topic:Topic::alarms111111111111" && (r.Account != "111111111111" || r.Region != "eu-west-1") {
			t.Errorf("the fake cloud holds %s in %s %s", r.URN, r.Account, r.Region)
		}
	}
	if len(p.Configs()) != 2 {
		t.Errorf("configs %v, want the two configured instances", p.Configs())
	}

	// An instance whose credentials are of another account than the one
	// it allows is refused: the caller's own (no role, no profile), and an
	// assumed role of another account.
	for _, vars := range []map[string]string{
		{"aws:config:region": "us-east-1", "aws:config:allowedAccountIds": `["999999999999"]`},
		{"aws:config:region": "us-east-1", "aws:config:allowedAccountIds": `["999999999999"]`, "aws:config:assumeRole": `{"roleArn":"arn:aws:iam::111111111111:role/flowlogs-deployer"}`},
	} {
		_, err := dial(t, port).Configure(ctx, &pulumirpc.ConfigureRequest{Variables: vars})
		if err == nil || !strings.Contains(err.Error(), "AWS account ID not allowed: ") {
			t.Errorf("configure %v: %v, want the account refused", vars, err)
		}
	}
}

func TestVPCInventory(t *testing.T) {
	p, c := client(t)
	ctx := context.Background()
	if _, err := c.Configure(ctx, &pulumirpc.ConfigureRequest{Args: props(t, resource.PropertyMap{
		"region": resource.NewProperty("eu-west-1"), "profile": resource.NewProperty("workloads"),
		"allowedAccountIds": resource.NewProperty([]resource.PropertyValue{resource.NewProperty("111111111111")}),
	})}); err != nil {
		t.Fatal(err)
	}
	p.SetVPCs("111111111111", "eu-west-1", []VPC{
		{ID: "vpc-0aaaaaaaaaaaaaaa1", CidrBlock: "10.1.0.0/16", Tags: map[string]string{"env": "prod", "flowlogs": "on"}},
		{ID: "vpc-0aaaaaaaaaaaaaaa2", CidrBlock: "10.2.0.0/16", Tags: map[string]string{"env": "dev"}},
	})
	p.SetVPCs("111111111111", "us-east-1", []VPC{{ID: "vpc-0bbbbbbbbbbbbbbb1"}})

	ids := func(args map[string]any) []any {
		return invoke(t, c, "aws:ec2/getVpcs:getVpcs", resource.NewPropertyMapFromMap(args))["ids"].([]any)
	}
	if got := ids(nil); !reflect.DeepEqual(got, []any{"vpc-0aaaaaaaaaaaaaaa1", "vpc-0aaaaaaaaaaaaaaa2"}) {
		t.Errorf("all VPCs of the instance's account and region: %v", got)
	}
	if got := ids(map[string]any{"tags": map[string]any{"env": "prod"}}); !reflect.DeepEqual(got, []any{"vpc-0aaaaaaaaaaaaaaa1"}) {
		t.Errorf("by tags: %v", got)
	}
	if got := ids(map[string]any{"filters": []any{map[string]any{"name": "tag-key", "values": []any{"flowlogs"}}}}); !reflect.DeepEqual(got, []any{"vpc-0aaaaaaaaaaaaaaa1"}) {
		t.Errorf("by tag-key filter: %v", got)
	}
	if got := ids(map[string]any{"filters": []any{map[string]any{"name": "tag:env", "values": []any{"dev", "test"}}}}); !reflect.DeepEqual(got, []any{"vpc-0aaaaaaaaaaaaaaa2"}) {
		t.Errorf("by tag filter: %v", got)
	}
	v := invoke(t, c, "aws:ec2/getVpc:getVpc", resource.NewPropertyMapFromMap(map[string]any{"id": "vpc-0aaaaaaaaaaaaaaa2"}))
	if v["cidrBlock"] != "10.2.0.0/16" || v["ownerId"] != "111111111111" || !reflect.DeepEqual(v["tags"], map[string]any{"env": "dev"}) {
		t.Errorf("getVpc = %v", v)
	}
	if _, err := c.Invoke(ctx, &pulumirpc.InvokeRequest{Tok: "aws:ec2/getVpc:getVpc", Args: props(t, resource.NewPropertyMapFromMap(map[string]any{"id": "vpc-0bbbbbbbbbbbbbbb1"}))}); err == nil {
		t.Error("getVpc found a VPC of another region")
	}
}
