package mockaws

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/archive"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
)

// A recorded run written as JSON and read back: the tests of packages that
// only read the record (internal/policy, internal/costs) load the graphs
// that cmd/graphdump records, so their test binaries do not link the
// program and pulumi-aws (docs/testing.md, Pitfalls).
//
// The inputs and outputs are plain JSON values except where Pulumi's
// Mappable leaves a value of its own: a secret (*resource.Secret) is
// written as {"$mockaws": "secret", "element": <value>} and read back as a
// *resource.Secret of the same element; an asset or an archive (a Lambda
// function's code) as {"$mockaws": "asset" or "archive", "element": <its
// Serialize()>} and read back with Deserialize. A recorded map that has
// the key "$mockaws" itself, or a value of any other Pulumi type (an
// unknown, a resource reference), is refused, so a record either survives
// the round trip unchanged or is not written.

// tagKey marks an encoded value of a Pulumi type.
const tagKey = "$mockaws"

// record is the JSON form of Mocks.
type record struct {
	Project, Stack, Region, Account string
	Resources                       []*recordedResource
	OutputsCalls                    int
	Calls                           []string
	StackOutputs                    map[string]map[string]any
	Vpcs                            []Vpc
}

type recordedResource struct {
	Resource
	Inputs, Outputs json.RawMessage
}

// WriteJSON writes the record of m as JSON.
func (m *Mocks) WriteJSON(w io.Writer) error {
	b, err := m.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MarshalJSON encodes the record (see ReadJSON).
func (m *Mocks) MarshalJSON() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec := record{Project: m.Project, Stack: m.Stack, Region: m.Region, Account: m.Account,
		OutputsCalls: m.OutputsCalls, Calls: m.Calls, StackOutputs: m.StackOutputs, Vpcs: m.Vpcs}
	for _, r := range m.Resources {
		rr := &recordedResource{Resource: *r}
		rr.Resource.Inputs, rr.Resource.Outputs = nil, nil
		var err error
		if rr.Inputs, err = encodeValues(r.Inputs); err != nil {
			return nil, fmt.Errorf("%s inputs: %w", r.URN, err)
		}
		if rr.Outputs, err = encodeValues(r.Outputs); err != nil {
			return nil, fmt.Errorf("%s outputs: %w", r.URN, err)
		}
		rec.Resources = append(rec.Resources, rr)
	}
	return json.Marshal(rec)
}

// UnmarshalJSON decodes a record MarshalJSON wrote.
func (m *Mocks) UnmarshalJSON(b []byte) error {
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Project, m.Stack, m.Region, m.Account = rec.Project, rec.Stack, rec.Region, rec.Account
	m.OutputsCalls, m.Calls, m.StackOutputs, m.Vpcs = rec.OutputsCalls, rec.Calls, rec.StackOutputs, rec.Vpcs
	m.Resources = make([]*Resource, 0, len(rec.Resources))
	for _, rr := range rec.Resources {
		r := rr.Resource
		var err error
		if r.Inputs, err = decodeValues(rr.Inputs); err != nil {
			return fmt.Errorf("%s inputs: %w", r.URN, err)
		}
		if r.Outputs, err = decodeValues(rr.Outputs); err != nil {
			return fmt.Errorf("%s outputs: %w", r.URN, err)
		}
		m.Resources = append(m.Resources, &r)
	}
	return nil
}

// ReadJSON reads a record WriteJSON wrote.
func ReadJSON(r io.Reader) (*Mocks, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	m := &Mocks{}
	if err := m.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	return m, nil
}

// encodeValues encodes a recorded map; nil stays null, so it reads back as nil.
func encodeValues(v map[string]any) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("null"), nil
	}
	e, err := encodeValue(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(e)
}

func decodeValues(b json.RawMessage) (map[string]any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, nil
	}
	d, err := decodeValue(v)
	if err != nil {
		return nil, err
	}
	out, ok := d.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object: %T", d)
	}
	return out, nil
}

// encodeValue turns a recorded value into one json.Marshal writes and
// decodeValue reads back unchanged.
func encodeValue(v any) (any, error) {
	switch t := v.(type) {
	case nil, bool, float64, string:
		return v, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			var err error
			if out[i], err = encodeValue(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		if _, ok := t[tagKey]; ok {
			return nil, fmt.Errorf("a recorded map has the key %q the encoding reserves", tagKey)
		}
		out := make(map[string]any, len(t))
		for _, k := range slices.Sorted(maps.Keys(t)) {
			var err error
			if out[k], err = encodeValue(t[k]); err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
		}
		return out, nil
	case *resource.Secret:
		el, err := encodeElement(t.Element)
		if err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		return map[string]any{tagKey: "secret", "element": el}, nil
	case *asset.Asset:
		return map[string]any{tagKey: "asset", "element": t.Serialize()}, nil
	case *archive.Archive:
		return map[string]any{tagKey: "archive", "element": t.Serialize()}, nil
	}
	return nil, fmt.Errorf("a recorded value of type %T has no JSON form", v)
}

// encodeElement encodes the PropertyValue a secret holds (plain values only).
func encodeElement(p resource.PropertyValue) (any, error) {
	if p.ContainsUnknowns() || p.ContainsSecrets() || p.IsAsset() || p.IsArchive() || p.IsResourceReference() {
		return nil, fmt.Errorf("the element %v is not a plain value", p)
	}
	return encodeValue(p.Mappable())
}

func decodeValue(v any) (any, error) {
	switch t := v.(type) {
	case []any:
		for i, e := range t {
			var err error
			if t[i], err = decodeValue(e); err != nil {
				return nil, err
			}
		}
		return t, nil
	case map[string]any:
		if tag, ok := t[tagKey]; ok {
			el, ok := t["element"]
			if !ok || len(t) != 2 {
				return nil, fmt.Errorf("unknown encoded value %v", t)
			}
			return decodeTagged(tag, el)
		}
		for k, e := range t {
			var err error
			if t[k], err = decodeValue(e); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	return v, nil
}

// decodeTagged reads back a value encodeValue wrote as {"$mockaws": tag, "element": el}.
func decodeTagged(tag, el any) (any, error) {
	switch tag {
	case "secret":
		return &resource.Secret{Element: resource.NewPropertyValue(el)}, nil
	case "asset", "archive":
		obj, ok := el.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: not an object: %v", tag, el)
		}
		var v any
		var is bool
		var err error
		if tag == "asset" {
			v, is, err = asset.Deserialize(obj)
		} else {
			v, is, err = archive.Deserialize(obj)
		}
		if err == nil && !is {
			err = fmt.Errorf("not an %s: %v", tag, obj)
		}
		return v, err
	}
	return nil, fmt.Errorf("unknown encoded value of kind %v", tag)
}
