package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
)

// awsExample is one record of testdata/aws-examples.json: a flow log record
// from AWS's documentation, its format, and the document fields it must give.
type awsExample struct {
	Name   string         `json:"name"`
	Source string         `json:"source"`
	Format string         `json:"format"`
	Line   string         `json:"line"`
	Want   map[string]any `json:"want"`
}

func loadAWSExamples(t testing.TB) []awsExample {
	t.Helper()
	raw, err := os.ReadFile("testdata/aws-examples.json")
	if err != nil {
		t.Fatal(err)
	}
	var ex []awsExample
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&ex); err != nil {
		t.Fatal(err)
	}
	if len(ex) == 0 {
		t.Fatal("no examples")
	}
	return ex
}

// decodeDoc splits one document's NDJSON into its action and source.
func decodeDoc(t *testing.T, ndjson []byte) (action map[string]map[string]any, source map[string]any) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(string(ndjson), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("document is %d lines, want 2: %s", len(lines), ndjson)
	}
	if err := json.Unmarshal([]byte(lines[0]), &action); err != nil {
		t.Fatalf("action line %s: %v", lines[0], err)
	}
	dec := json.NewDecoder(strings.NewReader(lines[1]))
	dec.UseNumber()
	if err := dec.Decode(&source); err != nil {
		t.Fatalf("source line %s: %v", lines[1], err)
	}
	return action, source
}

// TestAWSExamples parses AWS's documented example records (default format,
// custom v3 and v5 formats, IPv6, NODATA, SKIPDATA) with the catalog's
// parser and checks the documents built from them.
func TestAWSExamples(t *testing.T) {
	for _, ex := range loadAWSExamples(t) {
		t.Run(ex.Name, func(t *testing.T) {
			fields, err := flowlog.ParseLogFormat(ex.Format)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := flowlog.NewParser(fields).Parse(ex.Line)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			enc, err := document.NewEncoder(fields, "cwl")
			if err != nil {
				t.Fatal(err)
			}
			meta := document.Meta{ID: "31953106606966983378809025079804211143289615424298221568", Timestamp: 1432826855123, Source: document.NewSource("/vpc/flow-logs", "eni-1235b8ca123456789-all")}
			out, index, err := enc.Append(nil, &rec, meta)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if index != "cwl-2015.05.28" {
				t.Fatalf("index %q", index)
			}
			action, source := decodeDoc(t, out)
			if got := action["index"]; len(action) != 1 || got["_index"] != index || got["_id"] != meta.ID || len(got) != 2 {
				t.Fatalf("action %v", action)
			}
			for k, v := range map[string]any{
				document.TimestampField: json.Number("1432826855123"), document.LogGroupField: "/vpc/flow-logs",
				document.LogStreamField: "eni-1235b8ca123456789-all", document.EventIDField: meta.ID,
			} {
				if source[k] != v {
					t.Errorf("%s = %v, want %v", k, source[k], v)
				}
				delete(source, k)
			}
			if !reflect.DeepEqual(source, ex.Want) {
				t.Errorf("document fields\n got %v\nwant %v", source, ex.Want)
			}
			// Every value is typed as the catalog says: numbers for
			// numeric fields, strings otherwise, and nothing for "-".
			props, _ := document.Properties(fields)
			for i, f := range fields {
				v, present := source[f.Column()]
				if rec.Values[i] == flowlog.Missing {
					if present {
						t.Errorf("missing %s is present as %v", f.Name, v)
					}
					continue
				}
				_, isNum := v.(json.Number)
				if isNum != f.IsNumeric() {
					t.Errorf("%s = %#v; numeric in the catalog: %v", f.Name, v, f.IsNumeric())
				}
				if props[f.Column()] == nil {
					t.Errorf("%s has no mapping", f.Name)
				}
			}
			if st := rec.Status(); st == flowlog.StatusNoData || st == flowlog.StatusSkipData {
				if source["log_status"] != st {
					t.Errorf("log_status %v, want %s kept", source["log_status"], st)
				}
			}
		})
	}
}

// TestAWSExamplesRejectWrongFormat checks that the documented records do not
// parse with the wrong format: the parser is the gate before OpenSearch.
func TestAWSExamplesRejectWrongFormat(t *testing.T) {
	p := flowlog.NewParser(flowlog.V2Fields())
	for _, ex := range loadAWSExamples(t) {
		if ex.Format == flowlog.LogFormat(flowlog.V2Fields()) {
			continue
		}
		if _, err := p.Parse(ex.Line); err == nil {
			t.Errorf("%s: a %d-field record parsed with the default format", ex.Name, len(strings.Fields(ex.Line)))
		}
	}
}
