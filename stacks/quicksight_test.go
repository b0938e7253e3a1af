package stacks

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

const testQuickSightPrincipal = "arn:aws:quicksight:us-east-1:123456789012:user/default/secops-analyst"

// resources returns the statement resources of a JSON policy, flattened.
func policyResources(t *testing.T, doc string) []string {
	t.Helper()
	var p struct {
		Statement []struct {
			Resource any
		}
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("policy is not JSON: %v", err)
	}
	var out []string
	for _, s := range p.Statement {
		switch r := s.Resource.(type) {
		case string:
			out = append(out, r)
		case []any:
			for _, e := range r {
				out = append(out, e.(string))
			}
		}
	}
	return out
}

func TestQuickSightIsOptIn(t *testing.T) {
	r, err := deploy(t, devConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range r.Resources {
		if strings.Contains(res.Type, "quicksight") || strings.Contains(res.Type, "cloudcontrol") {
			t.Errorf("QuickSight is off by default, yet %s (%s) is registered", res.Name, res.Type)
		}
	}
	if _, ok := r.outputs["quicksightDashboardUrl"]; ok {
		t.Error("quicksightDashboardUrl exported without quicksightPrincipalArn")
	}
}

func TestQuickSightOverTheS3AthenaTable(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "quicksightPrincipalArn", testQuickSightPrincipal))
	if err != nil {
		t.Fatal(err)
	}
	comps := r.ByType("vpcflowlogs:index:QuickSightAnalysis")
	if len(comps) != 1 {
		t.Fatalf("%d QuickSightAnalysis components", len(comps))
	}
	wg, table, db := r.ByName("s3-athena-workgroup"), r.ByName("s3-athena-table"), r.ByName("s3-athena-db")
	src, ds, dash := r.ByName("quicksight-athena"), r.ByName("quicksight-dataset"), r.ByName("quicksight-dashboard")
	if src == nil || ds == nil || dash == nil {
		t.Fatal("data source, data set or dashboard missing")
	}
	// Bound to the s3-athena workgroup and table, with ids unique to the stack.
	if got := src.Inputs["parameters"].(map[string]any)["athena"].(map[string]any)["workGroup"]; got != wg.Outputs["name"] {
		t.Errorf("data source workgroup %v, want %v", got, wg.Outputs["name"])
	}
	rt := ds.Inputs["physicalTableMaps"].([]any)[0].(map[string]any)["relationalTable"].(map[string]any)
	if rt["schema"] != db.Outputs["name"] || rt["name"] != table.Outputs["name"] || rt["schema"] != "vpcflowlogs_dev_s3" {
		t.Errorf("data set reads %v.%v", rt["schema"], rt["name"])
	}
	if src.Input("dataSourceId") != "vpcflowlogs-dev-athena" || ds.Input("dataSetId") != "vpcflowlogs-dev-flow-logs" {
		t.Errorf("ids %q %q", src.Input("dataSourceId"), ds.Input("dataSetId"))
	}
	if !strings.Contains(dash.Input("desiredState"), testQuickSightPrincipal) {
		t.Error("dashboard permissions do not name the configured principal")
	}
	// The service-role policy names the flow-log bucket and the result bucket.
	pol := r.ByName("quicksight-service-policy")
	res := policyResources(t, pol.Input("policy"))
	for _, b := range []string{"s3-athena-flowlogs-bucket", "s3-athena-results"} {
		arn := r.ByName(b).Outputs["arn"].(string)
		found := 0
		for _, x := range res {
			if x == arn || x == arn+"/*" {
				found++
			}
		}
		if found != 2 {
			t.Errorf("policy names %s %d times, want bucket and objects: %v", b, found, res)
		}
	}
	for _, k := range []string{"quicksightDashboardId", "quicksightDashboardUrl", "quicksightDataSetArn"} {
		if v, ok := r.outputs[k]; !ok || v == "" {
			t.Errorf("output %s = %v", k, v)
		}
	}
	if url := r.outputs["quicksightDashboardUrl"]; url != "https://us-east-1.quicksight.aws.amazon.com/sn/dashboards/vpcflowlogs-dev-dashboard" {
		t.Errorf("dashboard URL %v", url)
	}
}

func TestQuickSightWithAnExistingBucketAndKMS(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	r, err := deploy(t, with(devConfig(t), "quicksightPrincipalArn", testQuickSightPrincipal,
		"architectures", `["s3-athena"]`, "existingBucketArn", "arn:aws:s3:::my-flow-log-bucket"))
	if err != nil {
		t.Fatal(err)
	}
	res := policyResources(t, r.ByName("quicksight-service-policy").Input("policy"))
	joined := strings.Join(res, " ")
	if !strings.Contains(joined, "arn:aws:s3:::my-flow-log-bucket/*") || strings.Contains(joined, "kms") {
		t.Errorf("policy resources %v", res)
	}

	r, err = deploy(t, with(devConfig(t), "quicksightPrincipalArn", testQuickSightPrincipal, "bucketKmsKeyArn", key))
	if err != nil {
		t.Fatal(err)
	}
	if res := policyResources(t, r.ByName("quicksight-service-policy").Input("policy")); !strings.Contains(strings.Join(res, " "), key) {
		t.Errorf("the bucket key is not in the policy: %v", res)
	}
}

func TestQuickSightNeedsS3Athena(t *testing.T) {
	r, err := deploy(t, with(devConfig(t), "quicksightPrincipalArn", testQuickSightPrincipal, "architectures", `["firehose-athena"]`))
	if err == nil {
		t.Fatal("quicksightPrincipalArn without s3-athena must be refused")
	}
	if !strings.Contains(err.Error(), stackconfig.Key("quicksightPrincipalArn")) || !strings.Contains(err.Error(), "s3-athena") {
		t.Errorf("error does not name the key and the architecture: %v", err)
	}
	if len(r.Resources) != 0 {
		t.Errorf("%d resources registered before validation failed", len(r.Resources))
	}
}
