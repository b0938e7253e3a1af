package stacks

import (
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsschema"
)

// assertTagged checks the dev tags on every resource named prefix-* (every
// resource with prefix "") whose type takes tags. Taggability comes from the
// aws provider's schema (internal/awsschema), not from whether the program
// set a tags input, so a resource that forgets its tags fails.
func assertTagged(t *testing.T, r *result, prefix string) {
	t.Helper()
	n := 0
	for _, res := range r.Resources {
		if !strings.HasPrefix(res.Name, prefix) || prefix != "" && !strings.HasPrefix(res.Name, prefix+"-") {
			continue
		}
		if !strings.HasPrefix(res.Type, "aws:") {
			continue // components and other providers' resources
		}
		taggable, err := awsschema.Taggable(res.Type)
		if err != nil {
			t.Fatal(err)
		}
		if !taggable {
			continue
		}
		n++
		tags, _ := res.Inputs["tags"].(map[string]any)
		if tags["environment"] != "dev" || tags["project"] != project || tags["stack"] != "dev" {
			t.Errorf("%s (%s) takes tags but has %v", res.Name, res.Type, tags)
		}
	}
	if n == 0 {
		t.Errorf("no taggable %s* resources", prefix)
	}
}
