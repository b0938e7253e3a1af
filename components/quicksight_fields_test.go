package components

import (
	"slices"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// Config validation refuses quicksightPrincipalArn with a field list from
// which no visual can be built (stackconfig.QuickSightVisualFields); the
// dashboard builds a visual exactly when one of those fields is recorded.
func TestQuickSightVisualFieldsMatchConfigValidation(t *testing.T) {
	all := flowlog.DefaultFields()
	for _, f := range flowlog.Catalog {
		fields := []flowlog.Field{f}
		visuals, _ := QuickSightVisuals(fields)
		want := slices.Contains(stackconfig.QuickSightVisualFields, f.Name)
		if (len(visuals) > 0) != want {
			t.Errorf("fields [%s]: %d visuals, but stackconfig.QuickSightVisualFields says a visual is possible: %v", f.Name, len(visuals), want)
		}
	}
	if v, _ := QuickSightVisuals(all); len(v) == 0 {
		t.Error("the default fields build no visual")
	}
}
