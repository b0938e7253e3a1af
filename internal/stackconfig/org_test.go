package stackconfig_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

func TestOrgRoles(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want stackconfig.Org
	}{
		{"default", nil, stackconfig.Org{Role: stackconfig.Standalone}},
		{"member", map[string]string{"stackRole": "member", "centralStack": "acme/vpc-flow-logs/central", "vpcIds": `["vpc-0123456789abcdef0"]`},
			stackconfig.Org{Role: stackconfig.Member, CentralStack: "acme/vpc-flow-logs/central"}},
		{"central with an organization", map[string]string{"stackRole": "central", "organizationId": "o-a1b2c3d4e5", "memberRegions": `["eu-west-1","us-east-1"]`},
			stackconfig.Org{Role: stackconfig.Central, OrganizationID: "o-a1b2c3d4e5", MemberRegions: []string{"eu-west-1", "us-east-1"}}},
		{"central with accounts", map[string]string{"stackRole": "central", "memberAccountIds": `["111111111111","222222222222"]`, "memberRegions": "[]"},
			stackconfig.Org{Role: stackconfig.Central, MemberAccountIDs: []string{"111111111111", "222222222222"}}},
		{"defaults of the other roles' keys", map[string]string{"organizationId": "", "memberAccountIds": "[]", "memberRegions": "[]", "centralStack": ""},
			stackconfig.Org{Role: stackconfig.Standalone}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := stackconfig.Load(getter(tc.cfg))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.Org, tc.want) {
				t.Errorf("Org = %+v, want %+v", c.Org, tc.want)
			}
		})
	}
}

func TestOrgRefusesWithKeyValueAndAllowed(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want []string // substrings of the error
	}{
		{"unknown role", map[string]string{"stackRole": "hub"}, []string{"vpc-flow-logs:stackRole", `"hub"`, "standalone, central, member"}},
		{"member without central", map[string]string{"stackRole": "member"}, []string{"vpc-flow-logs:centralStack", "required on a member stack"}},
		{"member with a bad reference", map[string]string{"stackRole": "member", "centralStack": "central"}, []string{"vpc-flow-logs:centralStack", `"central"`, "<organization>/<project>/<stack>"}},
		{"central key on a member", map[string]string{"stackRole": "member", "centralStack": "a/b/c", "organizationId": "o-a1b2c3d4e5"}, []string{"vpc-flow-logs:organizationId", "unset on a member stack"}},
		{"member key on a standalone", map[string]string{"centralStack": "a/b/c"}, []string{"vpc-flow-logs:centralStack", "unset on a standalone stack"}},
		{"central without who", map[string]string{"stackRole": "central"}, []string{"vpc-flow-logs:organizationId", "memberAccountIds"}},
		{"central with both", map[string]string{"stackRole": "central", "organizationId": "o-a1b2c3d4e5", "memberAccountIds": `["111111111111"]`}, []string{"vpc-flow-logs:memberAccountIds", "one of organizationId"}},
		{"bad organization id", map[string]string{"stackRole": "central", "organizationId": "o-ABC"}, []string{"vpc-flow-logs:organizationId", `"o-ABC"`, "10 to 32"}},
		{"bad account", map[string]string{"stackRole": "central", "memberAccountIds": `["12345"]`}, []string{"vpc-flow-logs:memberAccountIds", `"12345"`, "12-digit"}},
		{"account twice", map[string]string{"stackRole": "central", "memberAccountIds": `["111111111111","111111111111"]`}, []string{"each account id once"}},
		{"bad region", map[string]string{"stackRole": "central", "organizationId": "o-a1b2c3d4e5", "memberRegions": `["Europe"]`}, []string{"vpc-flow-logs:memberRegions", `"Europe"`, "eu-west-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stackconfig.Load(getter(tc.cfg))
			if err == nil {
				t.Fatal("Load accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestCentralRefusesWhatItCannotDo: a central stack creates no flow logs
// and its forwarder reads the organization stream, so the keys that need a
// flow log of its own, and the feed modes other than lambda, are refused
// with the key, the value and what is allowed.
func TestCentralRefusesWhatItCannotDo(t *testing.T) {
	central := func(kv ...string) map[string]string {
		m := map[string]string{"stackRole": "central", "organizationId": "o-a1b2c3d4e5"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name string
		cfg  map[string]string
		want []string
	}{
		{"subscription feed", central("architectures", `["firehose-athena"]`, "firehoseFeedMode", "subscription"),
			[]string{"vpc-flow-logs:firehoseFeedMode", `"subscription"`, "lambda on a central stack"}},
		{"direct feed", central("architectures", `["firehose-athena"]`, "firehoseFeedMode", "direct"),
			[]string{"vpc-flow-logs:firehoseFeedMode", `"direct"`, "lambda on a central stack"}},
		{"vpc ids", central("vpcIds", `["vpc-0123456789abcdef0"]`, "opensearchSubnetIds", `["subnet-0123456789abcdef0"]`),
			[]string{"vpc-flow-logs:vpcIds", "vpc-0123456789abcdef0", "creates no flow logs"}},
		{"alarm rules", central("alarmRules", `[{"name":"ssh","description":"d","match":{"dstPort":22},"threshold":1}]`),
			[]string{"vpc-flow-logs:alarmRules", `"ssh"`, "member stacks"}},
		{"existing bucket", central("existingBucketArn", "arn:aws:s3:::my-bucket"),
			[]string{"vpc-flow-logs:existingBucketArn", "organization bucket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := stackconfig.Load(getter(tc.cfg))
			if err == nil {
				t.Fatal("Load accepted it")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	// The same keys are fine on a standalone stack, and lambda on a central one.
	for _, cfg := range []map[string]string{
		{"architectures": `["firehose-athena"]`, "firehoseFeedMode": "subscription"},
		central("architectures", `["firehose-athena"]`, "firehoseFeedMode", "lambda"),
	} {
		if _, err := stackconfig.Load(getter(cfg)); err != nil {
			t.Errorf("%v: %v", cfg, err)
		}
	}
}

// TestCentralOpenSearchEndpoints: with opensearchSubnetIds a central stack
// runs OpenSearch in an existing VPC, where auto creates no endpoints; with
// the demo network it does.
func TestCentralOpenSearchEndpoints(t *testing.T) {
	base := map[string]string{"stackRole": "central", "organizationId": "o-a1b2c3d4e5"}
	c, err := stackconfig.Load(getter(base))
	if err != nil {
		t.Fatal(err)
	}
	if !c.CreatesOpenSearchEndpoints() {
		t.Error("demo network: auto should create the endpoints")
	}
	withSubnets := map[string]string{"opensearchSubnetIds": `["subnet-0123456789abcdef0"]`}
	for k, v := range base {
		withSubnets[k] = v
	}
	if c, err = stackconfig.Load(getter(withSubnets)); err != nil {
		t.Fatal(err)
	}
	if c.CreatesOpenSearchEndpoints() {
		t.Error("existing subnets: auto should create no endpoints")
	}
}

// TestCentralZoneAwarenessCountsItsSubnets: a central stack with
// opensearchSubnetIds runs OpenSearch in those subnets, not in a demo VPC, so
// zone awareness needs two of them. One subnet with the shipped
// opensearchZoneAwareness true and count 2 passed (the check assumed the demo
// VPC's two subnets whenever vpcIds was empty) and the program failed after
// 24 resources in OpenSearchStream. Without opensearchSubnetIds the demo VPC
// brings two, and a standalone stack without vpcIds always uses the demo VPC.
func TestCentralZoneAwarenessCountsItsSubnets(t *testing.T) {
	zoned := func(kv ...string) map[string]string {
		m := map[string]string{"architectures": `["cloudwatch-opensearch"]`, "opensearchZoneAwareness": "true", "opensearchInstanceCount": "2"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	org := []string{"stackRole", "central", "organizationId", "o-a1b2c3d4e5"}
	_, err := stackconfig.Load(getter(zoned(append(org, "opensearchSubnetIds", `["subnet-11111111"]`)...)))
	if err == nil {
		t.Fatal("central stack, one subnet, zone awareness: Load accepted it")
	}
	for _, w := range []string{"vpc-flow-logs:opensearchZoneAwareness", "invalid value true", "two subnets in two AZs", "here 1 in opensearchSubnetIds"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
	for name, cfg := range map[string]map[string]string{
		"central, two subnets":                 zoned(append(org, "opensearchSubnetIds", `["subnet-11111111","subnet-22222222"]`)...),
		"central, demo VPC":                    zoned(org...),
		"standalone, demo VPC":                 zoned(),
		"standalone, demo VPC, subnets unread": zoned("opensearchSubnetIds", `["subnet-11111111"]`),
	} {
		if _, err := stackconfig.Load(getter(cfg)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Each role answers exactly one of IsCentral, IsMember and IsStandalone, and
// the zero Org is standalone (Config's doc: "the zero value's role is
// standalone").
func TestOrgRolePredicates(t *testing.T) {
	for _, tc := range []struct {
		org                         stackconfig.Org
		central, member, standalone bool
	}{
		{stackconfig.Org{}, false, false, true},
		{stackconfig.Org{Role: stackconfig.Standalone}, false, false, true},
		{stackconfig.Org{Role: stackconfig.Central}, true, false, false},
		{stackconfig.Org{Role: stackconfig.Member}, false, true, false},
	} {
		if got := [3]bool{tc.org.IsCentral(), tc.org.IsMember(), tc.org.IsStandalone()}; got != [3]bool{tc.central, tc.member, tc.standalone} {
			t.Errorf("role %q: IsCentral, IsMember, IsStandalone = %v, want %v", tc.org.Role, got, [3]bool{tc.central, tc.member, tc.standalone})
		}
	}
}
