// Package dashboards holds the OpenSearch Dashboards saved objects of the
// VPC flow log dashboard: an index pattern, the visualisations and the
// dashboard that shows them, one reviewable JSON file per object in this
// directory.
//
// The files are saved objects as Dashboards exports them, with two
// differences that keep them readable: they are pretty-printed, and the
// attributes Dashboards keeps as JSON text (visState, uiStateJSON,
// panelsJSON, optionsJSON, kibanaSavedObjectMeta.searchSourceJSON) are
// written as JSON values. Render turns them into the NDJSON the saved
// objects _import API takes, with the index pattern's title set to the
// configured index prefix. Object ids are fixed, so importing with
// overwrite=true updates the objects instead of adding copies.
package dashboards

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
)

//go:embed *.json
var files embed.FS

// Ids of the objects other objects refer to.
const (
	// IndexPatternID is the index pattern every visualisation reads.
	IndexPatternID = "vpc-flow-logs-index-pattern"
	// DashboardID is the dashboard.
	DashboardID = "vpc-flow-logs-dashboard"
)

// Saved object types, in the order Render writes them.
const (
	TypeIndexPattern  = "index-pattern"
	TypeVisualization = "visualization"
	TypeDashboard     = "dashboard"
)

var typeOrder = map[string]int{TypeIndexPattern: 0, TypeVisualization: 1, TypeDashboard: 2}

// IndexRefName is the reference name that ties a visualisation's search
// source to its index pattern.
const IndexRefName = "kibanaSavedObjectMeta.searchSourceJSON.index"

// Object is one saved object as stored in this directory.
type Object struct {
	ID               string            `json:"id"`
	Type             string            `json:"type"`
	MigrationVersion map[string]string `json:"migrationVersion,omitempty"`
	Attributes       map[string]any    `json:"attributes"`
	References       []Reference       `json:"references"`
	// File is the name of the file the object was read from.
	File string `json:"-"`
}

// Reference is a saved object's reference to another.
type Reference struct {
	Name string `json:"name"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Title returns the object's title attribute.
func (o *Object) Title() string {
	t, _ := o.Attributes["title"].(string)
	return t
}

// Load reads the saved objects of this directory: the index pattern first,
// then the visualisations, then the dashboard, each group by id. It checks
// that ids are present and unique and that types are known.
func Load() ([]Object, error) {
	names, err := fs.Glob(files, "*.json")
	if err != nil {
		return nil, err
	}
	var objs []Object
	seen := map[string]string{}
	for _, name := range names {
		raw, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var o Object
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		o.File = path.Base(name)
		if o.ID == "" {
			return nil, fmt.Errorf("%s: no id", name)
		}
		if prev, dup := seen[o.ID]; dup {
			return nil, fmt.Errorf("%s: id %q already used by %s", name, o.ID, prev)
		}
		seen[o.ID] = name
		if _, ok := typeOrder[o.Type]; !ok {
			return nil, fmt.Errorf("%s: unknown saved object type %q", name, o.Type)
		}
		if o.Attributes == nil {
			return nil, fmt.Errorf("%s: no attributes", name)
		}
		if o.References == nil {
			o.References = []Reference{}
		}
		objs = append(objs, o)
	}
	sort.SliceStable(objs, func(i, j int) bool {
		if a, b := typeOrder[objs[i].Type], typeOrder[objs[j].Type]; a != b {
			return a < b
		}
		return objs[i].ID < objs[j].ID
	})
	return objs, nil
}

// jsonTextAttributes are the attributes Dashboards stores as JSON text.
var jsonTextAttributes = []string{"visState", "uiStateJSON", "panelsJSON", "optionsJSON"}

// Render returns the saved objects as the NDJSON of the saved objects
// _import API, one object per line, with the index pattern's title set to
// "<indexPrefix>-*". The output is deterministic: the same files and prefix
// always give the same bytes.
func Render(indexPrefix string) ([]byte, error) {
	if err := document.ValidateIndexPrefix(indexPrefix); err != nil {
		return nil, err
	}
	objs, err := Load()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	for _, o := range objs {
		attrs := make(map[string]any, len(o.Attributes))
		for k, v := range o.Attributes {
			attrs[k] = v
		}
		if o.Type == TypeIndexPattern {
			attrs["title"] = document.IndexPattern(indexPrefix)
		}
		for _, k := range jsonTextAttributes {
			if v, ok := attrs[k]; ok {
				if attrs[k], err = jsonText(v); err != nil {
					return nil, fmt.Errorf("%s: %s: %w", o.File, k, err)
				}
			}
		}
		if meta, ok := attrs["kibanaSavedObjectMeta"].(map[string]any); ok {
			m := make(map[string]any, len(meta))
			for k, v := range meta {
				m[k] = v
			}
			if v, ok := m["searchSourceJSON"]; ok {
				if m["searchSourceJSON"], err = jsonText(v); err != nil {
					return nil, fmt.Errorf("%s: searchSourceJSON: %w", o.File, err)
				}
			}
			attrs["kibanaSavedObjectMeta"] = m
		}
		line, err := json.Marshal(Object{ID: o.ID, Type: o.Type, MigrationVersion: o.MigrationVersion, Attributes: attrs, References: o.References})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.File, err)
		}
		out.Write(line)
		out.WriteByte('\n')
	}
	return out.Bytes(), nil
}

// jsonText encodes a JSON value as the JSON text Dashboards keeps in a
// string attribute; a string is taken to be JSON text already.
func jsonText(v any) (string, error) {
	if s, ok := v.(string); ok {
		if !json.Valid([]byte(s)) {
			return "", fmt.Errorf("%q is not JSON text", s)
		}
		return s, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// Hash returns the hex SHA-256 of Render(indexPrefix): it changes whenever
// an object or the prefix changes.
func Hash(indexPrefix string) (string, error) {
	nd, err := Render(indexPrefix)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(nd)
	return hex.EncodeToString(sum[:]), nil
}

// Agg is one aggregation of a visualisation that reads a document field.
type Agg struct {
	// Type is the aggregation type: terms, sum, date_histogram...
	Type string
	// Field is the document field it reads.
	Field string
}

// Aggs returns the aggregations of a visualisation that read a field, in
// visState order.
func (o *Object) Aggs() []Agg {
	vs, _ := o.Attributes["visState"].(map[string]any)
	aggs, _ := vs["aggs"].([]any)
	var out []Agg
	for _, a := range aggs {
		m, _ := a.(map[string]any)
		params, _ := m["params"].(map[string]any)
		field, _ := params["field"].(string)
		typ, _ := m["type"].(string)
		if field != "" {
			out = append(out, Agg{Type: typ, Field: field})
		}
	}
	return out
}

// MissingFields returns, sorted, the fields that visualisations read but
// that are not in the index mapping properties (document.Properties): with
// a flow log format that lacks a field, the visualisations that need it
// show an error.
func MissingFields(properties map[string]map[string]string) ([]string, error) {
	objs, err := Load()
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, o := range objs {
		for _, a := range o.Aggs() {
			if _, ok := properties[a.Field]; !ok && !slices.Contains(missing, a.Field) {
				missing = append(missing, a.Field)
			}
		}
	}
	sort.Strings(missing)
	return missing, nil
}

// IDs returns the ids of the saved objects, in Render order, as
// "type:id".
func IDs() ([]string, error) {
	objs, err := Load()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Type + ":" + o.ID
	}
	return out, nil
}

// String describes the object for messages.
func (o *Object) String() string {
	return fmt.Sprintf("%s %q (%s)", o.Type, o.ID, strings.TrimSpace(o.Title()))
}
