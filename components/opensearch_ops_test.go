package components

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The bootstrap invocation re-runs when the domain is replaced (a new
// domain starts empty), and waits for the network path it uses: every
// security-group rule and interface endpoint of the component.
func TestBootstrapInvocationFollowsTheDomainAndItsNetworkPath(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewOpenSearchStream(ctx, "os", osArgs())
		return err
	})
	inv := mustGet(t, m, "os-bootstrap-apply")
	triggers := asMap(inv.Inputs["triggers"])
	domain := mustGet(t, m, "os-domain")
	if triggers["domainArn"] != domain.Outputs["arn"] || triggers["endpoint"] != domain.Outputs["endpoint"] || triggers["domainArn"] == nil {
		t.Errorf("triggers %v do not name the domain (arn %v, endpoint %v)", triggers, domain.Outputs["arn"], domain.Outputs["endpoint"])
	}
	var want []string
	for _, typ := range []string{"aws:ec2/securityGroupRule:SecurityGroupRule", "aws:ec2/vpcEndpoint:VpcEndpoint"} {
		for _, r := range m.ByType(typ) {
			want = append(want, r.URN)
		}
	}
	if len(want) < 6 {
		t.Fatalf("only %d rules and endpoints recorded", len(want))
	}
	for _, urn := range want {
		if !slices.Contains(inv.Dependencies, urn) {
			t.Errorf("the bootstrap invocation does not wait for %s", urn)
		}
	}
}

// FreeStorageSpace's Minimum is per node: the alarm fires at 25% of one
// node's volume, whatever the node count.
func TestFreeStorageAlarmIsPerNode(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		a := osArgs()
		a.InstanceCount, a.VolumeSizeGB, a.ZoneAwareness = 2, 100, true
		_, err := NewOpenSearchStream(ctx, "os", a)
		return err
	})
	al := mustGet(t, m, "os-freestoragespace")
	if al.Inputs["threshold"] != float64(100*1024/4) || al.Inputs["statistic"] != "Minimum" {
		t.Errorf("free storage alarm: threshold %v statistic %v, want 25600 MB (25%% of one 100 GiB node), Minimum", al.Inputs["threshold"], al.Inputs["statistic"])
	}
}

// A newer Amazon Linux AMI does not replace the access host.
func TestAccessHostIgnoresNewerAMIs(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewOpenSearchStream(ctx, "os", osArgs())
		return err
	})
	if host := mustGet(t, m, "os-access-host"); !slices.Contains(host.IgnoreChanges, "ami") {
		t.Errorf("access host ignoreChanges %v, want ami", host.IgnoreChanges)
	}
}
