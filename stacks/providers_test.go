package stacks

import (
	"reflect"
	"strings"
	"testing"
)

// TestRegionProvidersActAsTheStack: the central stack's provider for another
// member region carries the stack's assumed role, account guard, profile and
// endpoints; with only a region it would create that region's destination
// with the caller's own credentials, in another account (found by the fleet
// engine test's account check).
func TestRegionProvidersActAsTheStack(t *testing.T) {
	cfg := centralConfig(t)
	cfg["aws:assumeRole"] = `{"roleArn":"arn:aws:iam::111111111111:role/flowlogs-deployer","sessionName":"fleet","externalId":"x-1"}`
	cfg["aws:allowedAccountIds"] = `["111111111111"]`
	cfg["aws:profile"] = "security"
	cfg["aws:endpoints"] = `[{"ec2":"http://127.0.0.1:4566","sts":"http://127.0.0.1:4567"}]`
	cfg["aws:skipRequestingAccountId"] = "true"
	r := deployCentral(t, cfg)
	var found int
	for _, res := range r.Resources {
		if res.Type != "pulumi:providers:aws" || !strings.HasPrefix(res.Name, "aws-") {
			continue
		}
		found++
		ar, _ := res.Inputs["assumeRole"].(map[string]any)
		if ar["roleArn"] != "arn:aws:iam::111111111111:role/flowlogs-deployer" || ar["sessionName"] != "fleet" || ar["externalId"] != "x-1" {
			t.Errorf("%s: assumeRole = %v", res.Name, res.Inputs["assumeRole"])
		}
		if !reflect.DeepEqual(res.Inputs["allowedAccountIds"], []any{"111111111111"}) {
			t.Errorf("%s: allowedAccountIds = %v", res.Name, res.Inputs["allowedAccountIds"])
		}
		if res.Input("profile") != "security" {
			t.Errorf("%s: profile = %v", res.Name, res.Inputs["profile"])
		}
		eps, _ := res.Inputs["endpoints"].([]any)
		if len(eps) != 1 || eps[0].(map[string]any)["ec2"] != "http://127.0.0.1:4566" || eps[0].(map[string]any)["sts"] != "http://127.0.0.1:4567" {
			t.Errorf("%s: endpoints = %v", res.Name, res.Inputs["endpoints"])
		}
		if res.Inputs["skipRequestingAccountId"] != true {
			t.Errorf("%s: skipRequestingAccountId = %v", res.Name, res.Inputs["skipRequestingAccountId"])
		}
	}
	if found == 0 {
		t.Fatal("no provider for another member region (Pulumi.central.yaml lists two regions)")
	}
}

func TestRegionProviderRefusesABadAwsKey(t *testing.T) {
	get := func(k string) (string, bool) {
		if k == "aws:skipCredentialsValidation" {
			return "yes", true
		}
		if k == "aws:assumeRole" {
			return "arn:aws:iam::111111111111:role/x", true // a string, not the object
		}
		return "", false
	}
	_, err := sameIdentityArgs(get)
	if err == nil || !strings.Contains(err.Error(), "aws:skipCredentialsValidation") || !strings.Contains(err.Error(), "aws:assumeRole") {
		t.Fatalf("err = %v, want both keys named", err)
	}
}
