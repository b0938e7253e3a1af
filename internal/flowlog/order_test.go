package flowlog

import (
	"reflect"
	"testing"
)

// reordered is a custom format whose order differs from the catalog's, so a
// derivation that follows the catalog instead of the format shows.
var reordered = []string{"action", "dstport", "srcaddr", "version", "bytes", "start", "interface-id"}

func reorderedFields(t *testing.T) []Field {
	t.Helper()
	fs, err := FieldsByName(reordered)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// Everything derived from a custom format follows the format's order, which
// plain-text tables and parsers match by position. The expectations are
// written by hand, not derived.
func TestCustomFormatOrder(t *testing.T) {
	fs := reorderedFields(t)
	if got, want := LogFormat(fs), "${action} ${dstport} ${srcaddr} ${version} ${bytes} ${start} ${interface-id}"; got != want {
		t.Errorf("LogFormat = %q, want %q", got, want)
	}
	back, err := ParseLogFormat(LogFormat(fs))
	if err != nil || !reflect.DeepEqual(back, fs) {
		t.Errorf("ParseLogFormat(LogFormat) = %v, %v", back, err)
	}
	var cols [][2]string
	for _, c := range GlueColumns(fs) {
		cols = append(cols, [2]string{c.Name, c.Type})
	}
	want := [][2]string{{"action", "string"}, {"dstport", "int"}, {"srcaddr", "string"}, {"version", "int"},
		{"bytes", "bigint"}, {"start", "bigint"}, {"interface_id", "string"}}
	if !reflect.DeepEqual(cols, want) {
		t.Errorf("GlueColumns = %v, want %v", cols, want)
	}
	props := OpenSearchProperties(fs)
	wantProps := map[string]map[string]string{
		"action": {"type": "keyword"}, "dstport": {"type": "integer"}, "srcaddr": {"type": "ip"},
		"version": {"type": "integer"}, "bytes": {"type": "long"}, "start": {"type": "date", "format": "epoch_second"},
		"interface_id": {"type": "keyword"},
	}
	if !reflect.DeepEqual(props, wantProps) {
		t.Errorf("OpenSearchProperties = %v, want %v", props, wantProps)
	}
	r, err := NewParser(fs).Parse("REJECT 22 10.0.0.155 2 840 1700000000 eni-0a1b2c3d4e5f60718")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"action": "REJECT", "dstport": "22", "srcaddr": "10.0.0.155",
		"version": "2", "bytes": "840", "start": "1700000000", "interface-id": "eni-0a1b2c3d4e5f60718"} {
		if got, ok := r.Get(name); !ok || got != want {
			t.Errorf("parsed %s = %q (%v), want %q", name, got, ok, want)
		}
	}
}
