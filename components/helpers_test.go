package components

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// run runs a program under the recording mocks and fails the test on error.
func run(t *testing.T, program pulumi.RunFunc) *mockaws.Mocks {
	t.Helper()
	m, err := mockaws.Run(program, "vpc-flow-logs", "test", nil)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return m
}

// refused runs program under the recording mocks and fails the test unless
// it fails with an error that holds each of wants, having registered
// nothing: bad arguments fail before any resource is registered.
func refused(t *testing.T, program pulumi.RunFunc, wants ...string) {
	t.Helper()
	m, err := mockaws.Run(program, "vpc-flow-logs", "test", nil)
	if err == nil {
		t.Fatalf("no error, want one naming %q", wants)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("err = %v, want one naming %q", err, w)
		}
	}
	if len(m.Resources) != 0 {
		t.Errorf("%d resources registered before the error", len(m.Resources))
	}
}

// await returns the resolved value of o, a component output, after the mocked
// run has returned. It blocks until o resolves (under mocks every output does),
// through the SDK's own synchronisation: reading a variable that an ApplyT
// callback sets instead races with the callback, which the run does not wait
// for when the output depends on no resource (a constant pulumi.Sprintf).
func await(t *testing.T, o pulumi.Output) any {
	t.Helper()
	r, err := internals.UnsafeAwaitOutput(context.Background(), o)
	if err != nil {
		t.Fatalf("output failed: %v", err)
	}
	if !r.Known {
		t.Fatal("output is unknown under mocks")
	}
	if p, ok := r.Value.(*string); ok {
		if p == nil {
			return ""
		}
		return *p
	}
	return r.Value
}

// mustGet returns the resource with that logical name or fails.
func mustGet(t *testing.T, m *mockaws.Mocks, name string) *mockaws.Resource {
	t.Helper()
	r := m.ByName(name)
	if r == nil {
		t.Fatalf("no resource named %q; have %v", name, names(m))
	}
	return r
}

func names(m *mockaws.Mocks) []string {
	var out []string
	for _, r := range m.Resources {
		out = append(out, r.Name)
	}
	return out
}

// policyDoc parses a JSON policy input.
func policyDoc(t *testing.T, r *mockaws.Resource, key string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.Input(key)), &doc); err != nil {
		t.Fatalf("%s.%s is not JSON: %v\n%s", r.Name, key, err, r.Input(key))
	}
	return doc
}

// statementBySid returns the statement with that Sid.
func statementBySid(t *testing.T, doc map[string]any, sid string) map[string]any {
	t.Helper()
	for _, s := range doc["Statement"].([]any) {
		st := s.(map[string]any)
		if st["Sid"] == sid {
			return st
		}
	}
	t.Fatalf("no statement %q in %v", sid, doc)
	return nil
}

// assertComponentTree checks that the component of that type is registered
// once, named name, and that every other resource whose name starts with name
// is its child: no unparented children, no fixed child names.
func assertComponentTree(t *testing.T, m *mockaws.Mocks, token, name string) *mockaws.Resource {
	t.Helper()
	comps := m.ByType(token)
	if len(comps) != 1 || comps[0].Name != name {
		t.Fatalf("want one %s named %q, got %d", token, name, len(comps))
	}
	c := comps[0]
	kids := m.Children(c)
	if len(kids) == 0 {
		t.Fatalf("%s has no children", name)
	}
	for _, k := range kids {
		if !strings.HasPrefix(k.Name, name+"-") {
			t.Errorf("child %q of %s is not named from the component name", k.Name, name)
		}
	}
	for _, r := range m.Resources {
		if r != c && strings.HasPrefix(r.Name, name+"-") && r.Parent != c.URN {
			t.Errorf("%s (%s) is not parented to %s", r.Name, r.Type, name)
		}
	}
	// Every component registers outputs; the stack does too.
	if got, want := m.OutputsCalls, len(m.Components())+1; got != want {
		t.Errorf("RegisterResourceOutputs called %d times, want %d (each component + stack)", got, want)
	}
	return c
}

// ownNamedComponent checks that the component of that type is registered
// once, named name, and that it and the stack registered outputs (the run
// holds no other component), and returns it and its children as sorted
// "type name" lines joined by ", ". It is assertComponentTree for the
// organization components, whose main resource takes the component's own
// name (which assertComponentTree, wanting name- prefixes, refuses).
func ownNamedComponent(t *testing.T, m *mockaws.Mocks, token, name string) (*mockaws.Resource, string) {
	t.Helper()
	comps := m.ByType(token)
	if len(comps) != 1 || comps[0].Name != name {
		t.Fatalf("want one %s named %q, got %d", token, name, len(comps))
	}
	if got, want := m.OutputsCalls, 2; got != want {
		t.Errorf("RegisterResourceOutputs called %d times, want %d (the component and the stack)", got, want)
	}
	var kids []string
	for _, k := range m.Children(comps[0]) {
		kids = append(kids, k.Type+" "+k.Name)
	}
	slices.Sort(kids)
	return comps[0], strings.Join(kids, ", ")
}

func str(v any) string { s, _ := v.(string); return s }

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
