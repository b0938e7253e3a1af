package dashboards

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
)

func load(t *testing.T) []Object {
	t.Helper()
	objs, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func byType(objs []Object, typ string) []Object {
	var out []Object
	for _, o := range objs {
		if o.Type == typ {
			out = append(out, o)
		}
	}
	return out
}

// TestFilesArePrettyPrintedJSON keeps the files reviewable: valid JSON,
// indented with two spaces, one trailing newline.
func TestFilesArePrettyPrintedJSON(t *testing.T) {
	names, _ := files.ReadDir(".")
	if len(names) < 7 {
		t.Fatalf("%d files", len(names))
	}
	for _, e := range names {
		raw, err := files.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(raw) {
			t.Fatalf("%s is not valid JSON", e.Name())
		}
		var compact, pretty bytes.Buffer
		_ = json.Compact(&compact, raw)
		_ = json.Indent(&pretty, compact.Bytes(), "", "  ")
		pretty.WriteByte('\n')
		if !bytes.Equal(pretty.Bytes(), raw) {
			t.Errorf("%s is not pretty-printed (two-space indent, trailing newline)", e.Name())
		}
	}
}

func TestObjects(t *testing.T) {
	objs := load(t)
	if got := byType(objs, TypeIndexPattern); len(got) != 1 || got[0].ID != IndexPatternID {
		t.Fatalf("index patterns %v", got)
	}
	ip := byType(objs, TypeIndexPattern)[0]
	if ip.Attributes["title"] != "cwl-*" || ip.Attributes["timeFieldName"] != document.TimestampField {
		t.Fatalf("index pattern attributes %v", ip.Attributes)
	}
	if got := byType(objs, TypeVisualization); len(got) != 5 {
		t.Fatalf("%d visualisations", len(got))
	}
	if got := byType(objs, TypeDashboard); len(got) != 1 || got[0].ID != DashboardID {
		t.Fatalf("dashboards %v", got)
	}
	ids := map[string]bool{}
	for _, o := range objs {
		if ids[o.ID] {
			t.Fatalf("id %q used twice", o.ID)
		}
		ids[o.ID] = true
		if o.Title() == "" {
			t.Errorf("%s has no title", o.File)
		}
		if o.MigrationVersion[o.Type] == "" {
			t.Errorf("%s has no migrationVersion for %s", o.File, o.Type)
		}
	}
}

func TestVisualisationsReferenceTheIndexPattern(t *testing.T) {
	for _, v := range byType(load(t), TypeVisualization) {
		if len(v.References) != 1 || v.References[0] != (Reference{Name: IndexRefName, Type: TypeIndexPattern, ID: IndexPatternID}) {
			t.Errorf("%s: references %v", v.File, v.References)
		}
		meta, _ := v.Attributes["kibanaSavedObjectMeta"].(map[string]any)
		ss, _ := meta["searchSourceJSON"].(map[string]any)
		if ss["indexRefName"] != IndexRefName {
			t.Errorf("%s: searchSourceJSON.indexRefName %v", v.File, ss["indexRefName"])
		}
		vs, _ := v.Attributes["visState"].(map[string]any)
		if vs["title"] != v.Title() {
			t.Errorf("%s: visState title %v, title %q", v.File, vs["title"], v.Title())
		}
		if len(v.Aggs()) == 0 {
			t.Errorf("%s reads no field", v.File)
		}
	}
}

// TestVisualisationFieldsAreMapped checks every field a visualisation reads
// against the index mapping derived from the catalog, and its type against
// the aggregation.
func TestVisualisationFieldsAreMapped(t *testing.T) {
	for name, fields := range map[string][]flowlog.Field{"default": flowlog.DefaultFields(), "v2": flowlog.V2Fields()} {
		props, err := document.Properties(fields)
		if err != nil {
			t.Fatal(err)
		}
		missing, err := MissingFields(props)
		if err != nil || len(missing) != 0 {
			t.Fatalf("%s fields: visualisations read unmapped fields %v (%v)", name, missing, err)
		}
		for _, v := range byType(load(t), TypeVisualization) {
			for _, a := range v.Aggs() {
				typ := props[a.Field]["type"]
				switch a.Type {
				case "date_histogram":
					if typ != "date" {
						t.Errorf("%s: date_histogram on %s of type %s", v.File, a.Field, typ)
					}
				case "sum", "avg", "max", "min":
					if typ != "long" && typ != "integer" {
						t.Errorf("%s: %s on %s of type %s", v.File, a.Type, a.Field, typ)
					}
				case "terms":
					if typ == "text" {
						t.Errorf("%s: terms on text field %s", v.File, a.Field)
					}
				}
			}
		}
	}
	// A format without dstport leaves the port pie without its field.
	fields, _ := flowlog.FieldsByName([]string{"version", "srcaddr", "dstaddr", "bytes", "action"})
	props, _ := document.Properties(fields)
	if missing, _ := MissingFields(props); !slices.Equal(missing, []string{"dstport"}) {
		t.Fatalf("missing fields %v, want [dstport]", missing)
	}
}

func TestDashboardReferencesEveryVisualisation(t *testing.T) {
	objs := load(t)
	dash := byType(objs, TypeDashboard)[0]
	refs := map[string]string{} // name -> id
	for _, r := range dash.References {
		if r.Type != TypeVisualization {
			t.Fatalf("dashboard reference %v", r)
		}
		refs[r.Name] = r.ID
	}
	panels, _ := dash.Attributes["panelsJSON"].([]any)
	if len(panels) != len(dash.References) {
		t.Fatalf("%d panels, %d references", len(panels), len(dash.References))
	}
	shown := map[string]bool{}
	indexes := map[string]bool{}
	for _, p := range panels {
		m := p.(map[string]any)
		name, _ := m["panelRefName"].(string)
		id, ok := refs[name]
		if !ok {
			t.Fatalf("panel %v has no reference", m)
		}
		shown[id] = true
		idx := fmt.Sprint(m["panelIndex"])
		grid, _ := m["gridData"].(map[string]any)
		if indexes[idx] || fmt.Sprint(grid["i"]) != idx {
			t.Fatalf("panel index %s repeated or not the grid's i", idx)
		}
		indexes[idx] = true
	}
	for _, v := range byType(objs, TypeVisualization) {
		if !shown[v.ID] {
			t.Errorf("the dashboard does not show %s", v.ID)
		}
	}
}

func TestRender(t *testing.T) {
	nd, err := Render("flowlogs")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(nd), "\n"), "\n")
	objs := load(t)
	if len(lines) != len(objs) {
		t.Fatalf("%d lines for %d objects", len(lines), len(objs))
	}
	for i, line := range lines {
		var o struct {
			ID         string         `json:"id"`
			Type       string         `json:"type"`
			Attributes map[string]any `json:"attributes"`
			References []Reference    `json:"references"`
		}
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if o.ID != objs[i].ID || o.Type != objs[i].Type || o.References == nil {
			t.Fatalf("line %d is %s %s", i, o.Type, o.ID)
		}
		// Dashboards keeps these attributes as JSON text.
		for _, k := range jsonTextAttributes {
			if v, ok := o.Attributes[k]; ok {
				s, isString := v.(string)
				if !isString || !json.Valid([]byte(s)) {
					t.Fatalf("%s: %s is not JSON text: %#v", o.ID, k, v)
				}
			}
		}
		if meta, ok := o.Attributes["kibanaSavedObjectMeta"].(map[string]any); ok {
			if s, _ := meta["searchSourceJSON"].(string); !json.Valid([]byte(s)) {
				t.Fatalf("%s: searchSourceJSON is not JSON text", o.ID)
			}
		}
		if o.Type == TypeIndexPattern && o.Attributes["title"] != "flowlogs-*" {
			t.Fatalf("index pattern title %v", o.Attributes["title"])
		}
	}
	if lines[0] == "" || !strings.Contains(lines[0], `"type":"index-pattern"`) || !strings.Contains(lines[len(lines)-1], `"type":"dashboard"`) {
		t.Fatal("objects out of order: index pattern first, dashboard last")
	}
}

func TestRenderAndHashAreDeterministic(t *testing.T) {
	a, _ := Render("cwl")
	b, _ := Render("cwl")
	if !bytes.Equal(a, b) {
		t.Fatal("Render is not deterministic")
	}
	h1, err := Hash("cwl")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := Hash("cwl")
	h3, _ := Hash("other")
	if h1 != h2 || h1 == h3 || len(h1) != 64 {
		t.Fatalf("hashes %s %s %s", h1, h2, h3)
	}
	if _, err := Render("Bad Prefix"); err == nil {
		t.Fatal("bad prefix accepted")
	}
}

func TestIDs(t *testing.T) {
	ids, err := IDs()
	if err != nil || len(ids) != 7 || ids[0] != "index-pattern:"+IndexPatternID || ids[6] != "dashboard:"+DashboardID {
		t.Fatalf("ids %v (%v)", ids, err)
	}
}
