package components

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

const (
	tDomain        = "aws:opensearch/domain:Domain"
	tSLR           = "aws:iam/serviceLinkedRole:ServiceLinkedRole"
	tVpcEndpoint   = "aws:ec2/vpcEndpoint:VpcEndpoint"
	tSecret        = "aws:secretsmanager/secret:Secret"
	tSecurityGroup = "aws:ec2/securityGroup:SecurityGroup"
	tSGRule        = "aws:ec2/securityGroupRule:SecurityGroupRule"
)

func runOS(t *testing.T, mutate func(a *OpenSearchStreamArgs)) *mockaws.Mocks {
	t.Helper()
	return run(t, func(ctx *pulumi.Context) error {
		a := osArgs()
		mutate(a)
		_, err := NewOpenSearchStream(ctx, "os", a)
		return err
	})
}

// checkMasterUserRule asserts the MasterUserOptions rule of the OpenSearch
// API on the recorded domain: MasterUserARN only with the internal user
// database off, MasterUserName and MasterUserPassword only with it on.
func checkMasterUserRule(t *testing.T, d *mockaws.Resource) {
	t.Helper()
	aso := asMap(d.Inputs["advancedSecurityOptions"])
	mu := asMap(aso["masterUserOptions"])
	_, hasArn := mu["masterUserArn"]
	_, hasName := mu["masterUserName"]
	_, hasPassword := mu["masterUserPassword"]
	internal := aso["internalUserDatabaseEnabled"] == true
	if internal && (hasArn || !hasName || !hasPassword) || !internal && (!hasArn || hasName || hasPassword) {
		t.Errorf("internalUserDatabaseEnabled %v with master user options %v breaks the MasterUserOptions rule", internal, mu)
	}
}

// bootstrapInput is the recorded bootstrap invocation's input.
func bootstrapInput(t *testing.T, m *mockaws.Mocks) objects.Input {
	t.Helper()
	var in objects.Input
	if err := json.Unmarshal([]byte(mustGet(t, m, "os-bootstrap-apply").Input("input")), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

func TestOpenSearchStreamLoginModes(t *testing.T) {
	t.Run("IAM only (no access host)", func(t *testing.T) {
		m := runOS(t, func(a *OpenSearchStreamArgs) { a.AccessHost = false })
		d := byTypeName(t, m, tDomain, "os-domain")
		checkMasterUserRule(t, d)
		boot := mustGet(t, m, "os-bootstrap-role")
		aso := asMap(d.Inputs["advancedSecurityOptions"])
		if aso["internalUserDatabaseEnabled"] != false || asMap(aso["masterUserOptions"])["masterUserArn"] != boot.Outputs["arn"] {
			t.Errorf("advanced security %v: want the bootstrap role as IAM master", aso)
		}
		if len(d.IgnoreChanges) != 0 {
			t.Errorf("ignoreChanges %v", d.IgnoreChanges)
		}
		// The access policy names the functions' roles: requests are signed.
		st := asMap(policyDoc(t, mustGet(t, m, "os-domain-policy"), "accessPolicies")["Statement"].([]any)[0])
		want := []any{mustGet(t, m, "os-indexer-role").Outputs["arn"], boot.Outputs["arn"]}
		if got := asMap(st["Principal"])["AWS"]; !slices.Equal(got.([]any), want) {
			t.Errorf("access policy principals %v, want %v", got, want)
		}
		if n := len(m.ByType(tSecret)); n != 0 {
			t.Errorf("%d secrets without the access host", n)
		}
		in := bootstrapInput(t, m)
		if in.MasterUserSecretArn != "" || len(in.AdminBackendRoles) != 0 || len(in.WriterBackendRoles) != 1 {
			t.Errorf("bootstrap input %+v", in)
		}
	})

	t.Run("browser login (access host)", func(t *testing.T) {
		m := runOS(t, func(a *OpenSearchStreamArgs) {})
		d := byTypeName(t, m, tDomain, "os-domain")
		checkMasterUserRule(t, d)
		aso := asMap(d.Inputs["advancedSecurityOptions"])
		mu := asMap(aso["masterUserOptions"])
		if aso["internalUserDatabaseEnabled"] != true || aso["anonymousAuthEnabled"] != false || mu["masterUserName"] != objects.MasterUser {
			t.Errorf("advanced security %v: want the internal master %s", aso, objects.MasterUser)
		}
		if _, secret := mu["masterUserPassword"].(*resource.Secret); !secret {
			t.Errorf("the master password is not a Pulumi secret: %T", mu["masterUserPassword"])
		}
		master := byTypeName(t, m, tSecret, "os-master-user")
		value := mustGet(t, m, "os-master-user-value")
		if _, secret := value.Inputs["secretString"].(*resource.Secret); !secret || !slices.Equal(value.IgnoreChanges, []string{"secretString"}) {
			t.Errorf("master secret value %v, ignoreChanges %v", value.Inputs, value.IgnoreChanges)
		}
		// A second deploy draws a new random password: the domain takes
		// the secret version's stored value instead (it ignores later
		// changes), so it shows no diff, and it ignores no change itself:
		// ignoreChanges would keep the old state's master options when a
		// stack turns the access host on or off, which OpenSearch refuses.
		if len(d.IgnoreChanges) != 0 {
			t.Errorf("domain ignoreChanges %v, want none", d.IgnoreChanges)
		}
		if !slices.Contains(d.Dependencies, value.URN) {
			t.Errorf("the master password is not the secret version's stored value (no dependency on %s): %v", value.Name, d.Dependencies)
		}

		// The access policy does not require signing, on this domain only;
		// the domain's security group and fine-grained access control decide.
		st := asMap(policyDoc(t, mustGet(t, m, "os-domain-policy"), "accessPolicies")["Statement"].([]any)[0])
		if asMap(st["Principal"])["AWS"] != "*" || st["Action"] != "es:ESHttp*" || st["Resource"] != str(d.Outputs["arn"])+"/*" || st["Condition"] != nil {
			t.Errorf("access policy statement %v", st)
		}
		if vpc := asMap(d.Inputs["vpcOptions"]); len(vpc["subnetIds"].([]any)) == 0 {
			t.Error("an open access policy on a domain outside the VPC")
		}

		// The bootstrap reads both passwords (and nothing else) and is told
		// to configure the security plugin as the master.
		boot := mustGet(t, m, "os-bootstrap-role")
		read := statementBySid(t, policyDoc(t, mustGet(t, m, "os-bootstrap-role-policy"), "policy"), "ReadPasswords")
		dash := byTypeName(t, m, tSecret, "os-dashboards-user")
		if read["Action"] != "secretsmanager:GetSecretValue" || !slices.Equal(read["Resource"].([]any), []any{dash.Outputs["arn"], master.Outputs["arn"]}) {
			t.Errorf("ReadPasswords %v", read)
		}
		in := bootstrapInput(t, m)
		if in.MasterUserSecretArn != master.Outputs["arn"] || !slices.Equal(in.AdminBackendRoles, []string{str(boot.Outputs["arn"])}) ||
			in.DashboardsUserSecretArn != dash.Outputs["arn"] || !slices.Equal(in.WriterBackendRoles, []string{str(mustGet(t, m, "os-indexer-role").Outputs["arn"])}) {
			t.Errorf("bootstrap input %+v", in)
		}
		if h, err := objects.ComputeHash(in); err != nil || h != in.Hash {
			t.Errorf("bootstrap input hash %s, recomputed %s (%v)", in.Hash, h, err)
		}
	})
}

func TestOpenSearchStreamServiceLinkedRole(t *testing.T) {
	m := runOS(t, func(a *OpenSearchStreamArgs) { a.ServiceLinkedRole = true })
	slrs := m.ByType(tSLR)
	if len(slrs) != 1 {
		t.Fatalf("%d service-linked roles", len(slrs))
	}
	slr := slrs[0]
	if slr.Input("awsServiceName") != "opensearchservice.amazonaws.com" || !slr.RetainOnDelete || slr.Parent != mustGet(t, m, "os").URN {
		t.Errorf("service-linked role %+v", slr)
	}
	if d := byTypeName(t, m, tDomain, "os-domain"); !slices.Contains(d.Dependencies, slr.URN) {
		t.Errorf("the domain does not wait for the service-linked role: %v", d.Dependencies)
	}

	// The account already has it: nothing is declared.
	m = runOS(t, func(a *OpenSearchStreamArgs) { a.ServiceLinkedRole = false })
	if n := len(m.ByType(tSLR)); n != 0 {
		t.Errorf("%d service-linked roles without ServiceLinkedRole", n)
	}

	// With an existing domain there is no domain to create it for.
	a := osArgs()
	a.AccessHost, a.ServiceLinkedRole = false, true
	a.ExistingDomainEndpoint, a.ExistingDomainArn = "vpc-flow-abc.us-east-1.es.amazonaws.com", "arn:aws:es:us-east-1:123456789012:domain/flow"
	if _, err := mockaws.Run(func(ctx *pulumi.Context) error {
		_, err := NewOpenSearchStream(ctx, "bad", a)
		return err
	}, "p", "s", nil); err == nil || !strings.Contains(err.Error(), "ServiceLinkedRole") {
		t.Errorf("error %v", err)
	}
}

// openEgress returns the clients' rules that allow HTTPS out to any address.
func openEgress(t *testing.T, m *mockaws.Mocks) []*mockaws.Resource {
	t.Helper()
	clients := mustGet(t, m, "os-clients")
	var out []*mockaws.Resource
	for _, r := range m.ByType(tSGRule) {
		if r.Input("securityGroupId") == clients.Outputs["id"] && r.Input("type") == "egress" && r.Inputs["cidrBlocks"] != nil {
			if r.Inputs["fromPort"] != float64(443) || r.Inputs["toPort"] != float64(443) || !slices.Equal(r.Inputs["cidrBlocks"].([]any), []any{"0.0.0.0/0"}) {
				t.Errorf("egress rule %s = %v", r.Name, r.Inputs)
			}
			out = append(out, r)
		}
	}
	return out
}

func TestOpenSearchStreamEndpointModes(t *testing.T) {
	t.Run("endpoints", func(t *testing.T) {
		m := runOS(t, func(a *OpenSearchStreamArgs) {})
		var services []string
		for _, ep := range m.ByType(tVpcEndpoint) {
			services = append(services, strings.TrimPrefix(ep.Input("serviceName"), "com.amazonaws.us-east-1."))
			if ep.Inputs["privateDnsEnabled"] != true || ep.Input("vpcEndpointType") != "Interface" {
				t.Errorf("endpoint %s = %v", ep.Name, ep.Inputs)
			}
		}
		// Registrations reach the monitor concurrently: compare as sets.
		want := slices.Clone(EndpointServices(true))
		slices.Sort(services)
		slices.Sort(want)
		if !slices.Equal(services, want) {
			t.Errorf("endpoints %v, want %v", services, want)
		}
		if n := len(openEgress(t, m)); n != 0 {
			t.Errorf("%d open egress rules with endpoints", n)
		}
		// Without the access host only the rejects queue needs one.
		m = runOS(t, func(a *OpenSearchStreamArgs) { a.AccessHost = false })
		if eps := m.ByType(tVpcEndpoint); len(eps) != 1 || eps[0].Input("serviceName") != "com.amazonaws.us-east-1.sqs" {
			t.Errorf("endpoints without the access host: %d", len(eps))
		}
	})

	t.Run("no endpoints", func(t *testing.T) {
		m := runOS(t, func(a *OpenSearchStreamArgs) { a.VpcEndpoints = false })
		if n := len(m.ByType(tVpcEndpoint)); n != 0 {
			t.Errorf("%d endpoints with VpcEndpoints off", n)
		}
		for _, sg := range m.ByType(tSecurityGroup) {
			if sg.Name == "os-endpoints" {
				t.Error("endpoint security group without endpoints")
			}
		}
		// The clients reach the services through the VPC's own path.
		rules := openEgress(t, m)
		if len(rules) != 1 || rules[0].Name != "os-clients-to-aws" {
			t.Fatalf("open egress rules %v", rules)
		}
		// The bootstrap reaches Secrets Manager through it: its invocation
		// waits for the rule, as for every other part of its network path.
		if inv := mustGet(t, m, "os-bootstrap-apply"); !slices.Contains(inv.Dependencies, rules[0].URN) {
			t.Errorf("the bootstrap invocation does not wait for %s: %v", rules[0].Name, inv.Dependencies)
		}
	})

	t.Run("no endpoints, existing domain", func(t *testing.T) {
		m := runOS(t, func(a *OpenSearchStreamArgs) {
			a.AccessHost, a.VpcEndpoints = false, false
			a.ExistingDomainEndpoint, a.ExistingDomainArn = "vpc-flow-abc.us-east-1.es.amazonaws.com", "arn:aws:es:us-east-1:123456789012:domain/flow"
		})
		// One rule, not two identical ones (EC2 refuses a duplicate).
		rules := openEgress(t, m)
		if len(rules) != 1 || rules[0].Name != "os-clients-to-vpc" {
			t.Fatalf("open egress rules %v", rules)
		}
		// It is the bootstrap's only path to the existing domain.
		if inv := mustGet(t, m, "os-bootstrap-apply"); !slices.Contains(inv.Dependencies, rules[0].URN) {
			t.Errorf("the bootstrap invocation does not wait for %s: %v", rules[0].Name, inv.Dependencies)
		}
	})
}
