package document

import (
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
)

func TestPropertiesCoverCatalogAndExtras(t *testing.T) {
	props, err := Properties(flowlog.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	if len(props) != len(flowlog.Catalog)+len(ExtraProperties()) {
		t.Fatalf("%d properties for %d fields", len(props), len(flowlog.Catalog))
	}
	for _, f := range flowlog.Catalog {
		p := props[f.Column()]
		if p["type"] != f.OpenSearchType {
			t.Errorf("%s: type %q, want %q", f.Name, p["type"], f.OpenSearchType)
		}
		if f.Kind == flowlog.KindTime && p["format"] != "epoch_second" {
			t.Errorf("%s: format %q", f.Name, p["format"])
		}
	}
	for _, k := range []string{TimestampField, LogGroupField, LogStreamField, EventIDField} {
		if props[k] == nil {
			t.Errorf("no mapping for %s", k)
		}
	}
	if props[TimestampField]["type"] != "date" || !strings.Contains(props[TimestampField]["format"], "epoch_millis") {
		t.Errorf("@timestamp mapping %v", props[TimestampField])
	}
}

func TestValidateIndexPrefix(t *testing.T) {
	for _, ok := range []string{"cwl", "flow-logs", "vpc_flow.logs", "a", "0logs", "z9", strings.Repeat("a", MaxIndexPrefixLen)} {
		if err := ValidateIndexPrefix(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "CWL", "-cwl", "_cwl", ".cwl", "cwl*", "cw l", "cwl/", "cwl,x", "cwl#", "cwl:x", "é", strings.Repeat("a", MaxIndexPrefixLen+1)} {
		if err := ValidateIndexPrefix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestIndexNameAndPattern(t *testing.T) {
	if got := IndexName("cwl", 1418530070000); got != "cwl-2014.12.14" {
		t.Fatalf("IndexName = %q", got)
	}
	if got := IndexPattern("cwl"); got != "cwl-*" {
		t.Fatalf("IndexPattern = %q", got)
	}
}
