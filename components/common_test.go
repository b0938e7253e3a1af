package components

import (
	"maps"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestNameTags: the configured tags plus a Name tag of the resource's name,
// unless the tags name it already or there is no name.
func TestNameTags(t *testing.T) {
	for _, tc := range []struct {
		name string
		tags map[string]string
		res  string
		want map[string]string
	}{
		{"adds Name", map[string]string{"team": "net"}, "fl-bucket", map[string]string{"team": "net", "Name": "fl-bucket"}},
		{"keeps a configured Name", map[string]string{"Name": "flows"}, "fl-bucket", map[string]string{"Name": "flows"}},
		{"no name, no Name", map[string]string{"team": "net"}, "", map[string]string{"team": "net"}},
		{"no tags", nil, "fl-bucket", map[string]string{"Name": "fl-bucket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := pulumi.StringMap{}
			for k, v := range tc.want {
				want[k] = pulumi.String(v)
			}
			if got := NameTags(tc.tags, tc.res); !maps.Equal(got, want) {
				t.Errorf("NameTags(%v, %q) = %v, want %v", tc.tags, tc.res, got, want)
			}
		})
	}
}

// TestCloneTags: a copy the caller may change without touching the
// original, and an empty map (not nil, so it can be written) for none.
func TestCloneTags(t *testing.T) {
	orig := map[string]string{"team": "net"}
	c := cloneTags(orig)
	if !maps.Equal(c, orig) {
		t.Fatalf("cloneTags(%v) = %v", orig, c)
	}
	c["extra"] = "x"
	if _, ok := orig["extra"]; ok {
		t.Error("the clone shares the original's map")
	}
	if n := cloneTags(nil); n == nil || len(n) != 0 {
		t.Errorf("cloneTags(nil) = %#v, want an empty map", n)
	}
}
