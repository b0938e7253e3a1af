package stacks

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/components"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

// osRun is a recorded run and the names of its stack outputs.
type osRun struct {
	*mockaws.Mocks
	keys map[string]bool
}

// openSearchOnly runs the dev stack with the cloudwatch-opensearch
// architecture alone, plus overrides.
func openSearchOnly(t *testing.T, kv ...string) *osRun {
	t.Helper()
	r := &osRun{keys: map[string]bool{}}
	m, err := mockaws.Run(func(ctx *pulumi.Context) error {
		outs, err := Deploy(ctx)
		for k := range outs {
			r.keys[k] = true
		}
		return err
	}, project, "dev", with(devConfig(t), append([]string{"architectures", `["cloudwatch-opensearch"]`}, kv...)...))
	if err != nil {
		t.Fatal(err)
	}
	r.Mocks = m
	return r
}

func byName(t *testing.T, m *mockaws.Mocks, name string) *mockaws.Resource {
	t.Helper()
	r := m.ByName(name)
	if r == nil {
		t.Fatalf("no resource %s", name)
	}
	return r
}

const existingDomain = "arn:aws:es:us-east-1:123456789012:domain/flowlogs"

func TestOpenSearchServiceLinkedRoleModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		kv   []string
		want int
	}{
		{"create (default)", nil, 1},
		{"existing", []string{"opensearchServiceLinkedRole", "existing"}, 0},
		{"create, with an existing domain", []string{"opensearchAccessHost", "false",
			"opensearchExistingEndpoint", "vpc-flowlogs-abc123.us-east-1.es.amazonaws.com", "opensearchExistingArn", existingDomain}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := openSearchOnly(t, tc.kv...)
			slrs := r.ByType("aws:iam/serviceLinkedRole:ServiceLinkedRole")
			if len(slrs) != tc.want {
				t.Fatalf("%d service-linked roles, want %d", len(slrs), tc.want)
			}
			if tc.want == 0 {
				return
			}
			slr := slrs[0]
			if slr.Input("awsServiceName") != components.OpenSearchServicePrincipal || !slr.RetainOnDelete {
				t.Errorf("service-linked role %+v", slr)
			}
			if d := byName(t, r.Mocks, "opensearch-domain"); !slices.Contains(d.Dependencies, slr.URN) {
				t.Errorf("the domain does not wait for the service-linked role")
			}
		})
	}
}

func TestOpenSearchEndpointModes(t *testing.T) {
	all := len(components.EndpointServices(true))
	for _, tc := range []struct {
		name string
		kv   []string
		want int
	}{
		{"demo VPC, auto", nil, all},
		{"demo VPC, none", []string{"opensearchVpcEndpoints", "none"}, 0},
		{"vpcIds, auto", []string{"vpcIds", `["vpc-0123456789abcdef0"]`}, 0},
		{"vpcIds, create", []string{"vpcIds", `["vpc-0123456789abcdef0"]`, "opensearchVpcEndpoints", "create"}, all},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := openSearchOnly(t, tc.kv...)
			eps := r.ByType("aws:ec2/vpcEndpoint:VpcEndpoint")
			if len(eps) != tc.want {
				t.Fatalf("%d interface endpoints, want %d", len(eps), tc.want)
			}
			// Without endpoints the clients go out through the VPC's own path.
			open := r.ByName("opensearch-clients-to-aws")
			if (open != nil) != (tc.want == 0) {
				t.Errorf("open HTTPS egress rule present: %v, endpoints %d", open != nil, tc.want)
			}
		})
	}
}

func TestOpenSearchLoginModes(t *testing.T) {
	for _, host := range []bool{true, false} {
		name, kv := "access host", []string{}
		if !host {
			name, kv = "no access host", []string{"opensearchAccessHost", "false"}
		}
		t.Run(name, func(t *testing.T) {
			r := openSearchOnly(t, kv...)
			aso, _ := byName(t, r.Mocks, "opensearch-domain").Inputs["advancedSecurityOptions"].(map[string]any)
			mu, _ := aso["masterUserOptions"].(map[string]any)
			_, hasArn := mu["masterUserArn"]
			_, hasName := mu["masterUserName"]
			_, hasPassword := mu["masterUserPassword"]
			// MasterUserARN only with the internal user database off; name
			// and password only with it on.
			if aso["internalUserDatabaseEnabled"] != host || hasArn == host || hasName != host || hasPassword != host {
				t.Errorf("advanced security options %v", aso)
			}
			if host && mu["masterUserName"] != objects.MasterUser {
				t.Errorf("master user %v", mu["masterUserName"])
			}
			// The outputs the README's login steps name (keys only: their
			// values resolve in apply callbacks; the component tests check them).
			for _, k := range []string{"dashboardsAccessCommand", "dashboardsUrl", "dashboardsPasswordCommand"} {
				if r.keys[k] != host {
					t.Errorf("output %s present: %v", k, r.keys[k])
				}
			}
		})
	}
}

// The login steps of docs/cloudwatch-opensearch.md are the path the code builds: the outputs they
// run exist under those names, and the URL, port and user names are the
// component's.
func TestReadmeLoginStepsMatchTheCode(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "docs", "cloudwatch-opensearch.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Logging in to Dashboards\n")
	if !ok {
		t.Fatal(`docs/cloudwatch-opensearch.md has no "## Logging in to Dashboards" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	r := openSearchOnly(t)
	for _, k := range []string{"dashboardsAccessCommand", "dashboardsPasswordCommand"} {
		if !strings.Contains(section, "$(pulumi stack output "+k+")") || !r.keys[k] {
			t.Errorf("step `$(pulumi stack output %s)`: in the docs %v, exported %v", k, strings.Contains(section, k), r.keys[k])
		}
	}
	url := fmt.Sprintf("https://localhost:%d/_dashboards/", components.AccessLocalPort)
	for _, w := range []string{"`dashboardsUrl`", url, "user `" + objects.DashboardsUser + "`", "`" + objects.MasterUser + "`",
		fmt.Sprintf("local port %d", components.AccessLocalPort), "AWS-StartPortForwardingSessionToRemoteHost"} {
		if !strings.Contains(section, w) {
			t.Errorf("the login section does not say %q", w)
		}
	}
	if !r.keys["dashboardsUrl"] {
		t.Error("dashboardsUrl is not exported")
	}
}
