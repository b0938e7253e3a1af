package mockaws_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// A secret survives the JSON round trip as a secret; a map holding the
// encoding's own key, or a value without a JSON form, is refused rather
// than written as something else.
func TestRecordJSON(t *testing.T) {
	m := mockaws.New("p", "s")
	m.Resources = []*mockaws.Resource{{Type: "t", Name: "n", URN: "u", Custom: true,
		Inputs:  map[string]any{"token": &resource.Secret{Element: resource.NewStringProperty("t0ken")}, "n": float64(3), "l": []any{true, "x"}},
		Outputs: map[string]any{}}}
	b, err := m.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	got := &mockaws.Mocks{}
	if err := got.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Resources, m.Resources) || got.Project != "p" || got.Stack != "s" || got.Region != mockaws.Region {
		t.Errorf("read back %+v, want %+v", got.Resources[0], m.Resources[0])
	}
	for name, v := range map[string]any{
		"reserved key": map[string]any{"$mockaws": "secret", "element": "x"},
		"unknown":      resource.Computed{Element: resource.NewStringProperty("")},
	} {
		m.Resources[0].Inputs = map[string]any{"v": v}
		if _, err := m.MarshalJSON(); err == nil || !strings.Contains(err.Error(), "u inputs: v: ") {
			t.Errorf("%s: err = %v, want a refusal", name, err)
		}
	}
}
