package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/dashboards"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

func testInput(t *testing.T, retention int, fields []flowlog.Field) objects.Input {
	t.Helper()
	in, err := objects.NewInput("cwl", retention, fields, -1)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func newTestHandler(t *testing.T, f *fakeDomain, sleeps *[]time.Duration) *Handler {
	return &Handler{Applier: f.applier(t, sleeps), Log: quietLog}
}

// checkState asserts the domain holds exactly one template, one policy and
// the saved objects, each once, matching the input.
func checkState(t *testing.T, f *fakeDomain, in objects.Input) {
	t.Helper()
	o, err := objects.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.templates) != 1 || string(f.templates[o.TemplateName]) != string(o.Template) {
		t.Fatalf("templates %v, want only %s with the built body", keys(f.templates), o.TemplateName)
	}
	if len(f.policies) != 1 || f.policies[o.PolicyID] == nil || f.policies[o.PolicyID].policy["description"] != o.PolicyDescription {
		t.Fatalf("policies %v", f.policies)
	}
	ids, _ := dashboards.IDs()
	if len(f.savedObjects) != len(ids) {
		t.Fatalf("%d saved objects, want %d (no duplicates)", len(f.savedObjects), len(ids))
	}
	for _, id := range ids {
		if _, ok := f.savedObjects[id]; !ok {
			t.Fatalf("saved object %s missing", id)
		}
	}
	if ip := f.savedObjects["index-pattern:"+dashboards.IndexPatternID]; ip.Attributes["title"] != in.IndexPrefix+"-*" {
		t.Fatalf("index pattern title %v", ip.Attributes["title"])
	}
	for tenant, objs := range f.tenantObjects {
		if len(objs) != 0 {
			t.Fatalf("tenant %s holds saved objects %v: they belong in the Global tenant only", tenant, keys(objs))
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestBootstrapIsIdempotent(t *testing.T) {
	f := newFakeDomain(t)
	h := newTestHandler(t, f, nil)
	in := testInput(t, 14, flowlog.DefaultFields())

	s, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Template != Created || s.Policy != Created || s.SavedObjects != 7 || s.Hash != in.Hash || len(s.Warnings) != 0 {
		t.Fatalf("first run: %+v", s)
	}
	checkState(t, f, in)

	// Someone edits the dashboard in the UI; the next deployment restores it.
	f.mu.Lock()
	f.savedObjects["dashboard:"+dashboards.DashboardID].Attributes["title"] = "edited by hand"
	f.mu.Unlock()

	// A second run (a redeployment, or Lambda retrying) changes nothing
	// and duplicates nothing; the saved objects are overwritten.
	s, err = h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Template != Unchanged || s.Policy != Unchanged || s.SavedObjects != 7 || s.MappingsUpdated {
		t.Fatalf("second run: %+v", s)
	}
	checkState(t, f, in)
	if title := f.savedObjects["dashboard:"+dashboards.DashboardID].Attributes["title"]; title != "VPC flow logs" {
		t.Fatalf("dashboard title %v after re-import", title)
	}
	if n := f.count("PUT /_index_template/cwl-flow-logs"); n != 1 {
		t.Fatalf("template put %d times", n)
	}
	if n := f.count("PUT /_plugins/_ism/policies/cwl-flow-logs-retention"); n != 1 {
		t.Fatalf("policy put %d times", n)
	}
	if p := f.policies["cwl-flow-logs-retention"]; p.version != 1 {
		t.Fatalf("policy version %d", p.version)
	}
	if n := f.count("POST /_dashboards/api/saved_objects/_import"); n != 2 {
		t.Fatalf("%d imports", n)
	}
}

// The saved objects go to the Global tenant, where every reader sees them,
// even on a domain whose default tenant is Private: the import names its
// tenant instead of taking the default.
func TestSavedObjectsGoToTheGlobalTenant(t *testing.T) {
	for _, defaultTenant := range []string{"", "private"} {
		f := newFakeDomain(t)
		f.defaultTenant = defaultTenant
		in := testInput(t, 14, flowlog.DefaultFields())
		s, err := newTestHandler(t, f, nil).Handle(context.Background(), in)
		if err != nil {
			t.Fatalf("default tenant %q: %v", defaultTenant, err)
		}
		if s.SavedObjects != 7 {
			t.Fatalf("default tenant %q: %+v", defaultTenant, s)
		}
		checkState(t, f, in)
	}
}

func TestBootstrapUpdatesExistingObjectsAndIndices(t *testing.T) {
	f := newFakeDomain(t)
	// Indices from an earlier, smaller format: one managed by the policy,
	// one created before the policy existed.
	f.indices["cwl-2024.06.10"] = map[string]any{"srcaddr": map[string]any{"type": "ip"}}
	f.indices["cwl-2024.06.11"] = map[string]any{"srcaddr": map[string]any{"type": "ip"}}
	f.indices["other-2024.06.11"] = map[string]any{}
	h := newTestHandler(t, f, nil)

	v2 := testInput(t, 14, flowlog.V2Fields())
	s, err := h.Handle(context.Background(), v2)
	if err != nil {
		t.Fatal(err)
	}
	if s.PolicyAdded != 2 || !s.MappingsUpdated {
		t.Fatalf("first run: %+v", s)
	}
	if _, ok := f.indices["cwl-2024.06.10"]["vpc_id"]; ok {
		t.Fatal("v3 field mapped by the v2 format")
	}

	// The format gains the v3-v5 fields and retention grows to 30 days.
	all := testInput(t, 30, flowlog.DefaultFields())
	s, err = h.Handle(context.Background(), all)
	if err != nil {
		t.Fatal(err)
	}
	if s.Template != Updated || s.Policy != Updated || !s.MappingsUpdated || s.PolicyChanged != 2 || s.PolicyAdded != 0 || len(s.Warnings) != 0 {
		t.Fatalf("second run: %+v", s)
	}
	checkState(t, f, all)
	props, _ := document.Properties(flowlog.DefaultFields())
	for _, idx := range []string{"cwl-2024.06.10", "cwl-2024.06.11"} {
		for col := range props {
			if _, ok := f.indices[idx][col]; !ok {
				t.Fatalf("index %s lacks the new field %s", idx, col)
			}
		}
		if m := f.managed[idx]; m.policyID != "cwl-flow-logs-retention" || m.version != 2 {
			t.Fatalf("index %s managed by %+v, want the policy's version 2", idx, m)
		}
	}
	if len(f.indices["other-2024.06.11"]) != 0 || f.managed["other-2024.06.11"] != (managedIndex{}) {
		t.Fatal("an index outside the pattern was touched")
	}
	var pol struct {
		States []struct {
			Transitions []struct {
				Conditions map[string]string `json:"conditions"`
			} `json:"transitions"`
		} `json:"states"`
	}
	raw, _ := json.Marshal(f.policies["cwl-flow-logs-retention"].policy)
	json.Unmarshal(raw, &pol)
	if pol.States[0].Transitions[0].Conditions["min_index_age"] != "30d" {
		t.Fatalf("policy %s", raw)
	}
}

func TestBootstrapRereadsPolicyOnConflict(t *testing.T) {
	f := newFakeDomain(t)
	h := newTestHandler(t, f, nil)
	if _, err := h.Handle(context.Background(), testInput(t, 14, flowlog.DefaultFields())); err != nil {
		t.Fatal(err)
	}
	// Someone edits the policy between our read and our write, once.
	f.beforePolicyPut = func(n int) {
		if n == 2 {
			p := f.policies["cwl-flow-logs-retention"]
			f.seqNo++
			p.seqNo = f.seqNo
			p.version++
		}
	}
	s, err := h.Handle(context.Background(), testInput(t, 7, flowlog.DefaultFields()))
	if err != nil {
		t.Fatal(err)
	}
	if s.Policy != Updated || f.count("PUT /_plugins/_ism/policies/cwl-flow-logs-retention") != 3 || f.count("GET /_plugins/_ism/policies/cwl-flow-logs-retention") != 3 {
		t.Fatalf("summary %+v; requests %v", s, f.requests)
	}
}

func TestBootstrapRetriesUnavailableDomain(t *testing.T) {
	f := newFakeDomain(t)
	f.fail = func(key string, n int) (int, string) {
		if key == "POST /_dashboards/api/saved_objects/_import" && n <= 2 {
			return http.StatusServiceUnavailable, `{"statusCode":503,"error":"Service Unavailable","message":"OpenSearch Dashboards server is not ready yet"}`
		}
		if key == "GET /_index_template/cwl-flow-logs" && n == 1 {
			return http.StatusTooManyRequests, osError(429, "circuit_breaking_exception", "busy")
		}
		return 0, ""
	}
	var sleeps []time.Duration
	h := newTestHandler(t, f, &sleeps)
	in := testInput(t, 14, flowlog.DefaultFields())
	if _, err := h.Handle(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	checkState(t, f, in)
	if len(sleeps) != 3 || sleeps[0] != 750*time.Millisecond || sleeps[2] != 1500*time.Millisecond {
		t.Fatalf("backoff waits %v", sleeps)
	}
}

func TestBootstrapReportsErrors(t *testing.T) {
	cases := []struct {
		name  string
		fail  func(key string, n int) (int, string)
		setup func(f *fakeDomain)
		want  []string
	}{
		{
			name: "template refused",
			fail: func(key string, n int) (int, string) {
				if key == "PUT /_index_template/cwl-flow-logs" {
					return 400, osError(400, "illegal_argument_exception", "unknown setting [index.codec]")
				}
				return 0, ""
			},
			want: []string{"index template cwl-flow-logs", "status 400", "unknown setting [index.codec]"},
		},
		{
			name: "not authorized",
			fail: func(key string, n int) (int, string) {
				if strings.HasPrefix(key, "GET /_plugins/_ism/") {
					return 403, `{"Message":"User: arn:aws:sts::123456789012:assumed-role/bootstrap is not authorized to perform: es:ESHttpGet"}`
				}
				return 0, ""
			},
			want: []string{"ISM policy cwl-flow-logs-retention", "status 403", "es:ESHttpGet"},
		},
		{
			name: "mapping conflict",
			setup: func(f *fakeDomain) {
				f.indices["cwl-2024.06.10"] = map[string]any{"srcport": map[string]any{"type": "keyword"}}
			},
			want: []string{"mappings of existing cwl-* indices", "mapper [srcport] cannot be changed from type [keyword] to [integer]"},
		},
		{
			name: "import errors",
			fail: func(key string, n int) (int, string) {
				if key == "POST /_dashboards/api/saved_objects/_import" {
					return 200, `{"successCount":6,"success":false,"errors":[{"id":"vpc-flow-logs-top-talkers","type":"visualization","title":"x","error":{"type":"missing_references","references":[{"type":"index-pattern","id":"vpc-flow-logs-index-pattern"}]}}]}`
				}
				return 0, ""
			},
			want: []string{"saved objects", "6 of 7", "visualization vpc-flow-logs-top-talkers: missing_references (missing index-pattern vpc-flow-logs-index-pattern)"},
		},
		{
			name: "import errors with a message",
			fail: func(key string, n int) (int, string) {
				if key == "POST /_dashboards/api/saved_objects/_import" {
					return 200, `{"successCount":6,"success":false,"errors":[{"id":"vpc-flow-logs-top-talkers","type":"visualization","title":"x","error":{"type":"unknown","message":"Cannot read properties of undefined"}}]}`
				}
				return 0, ""
			},
			want: []string{"6 of 7", "visualization vpc-flow-logs-top-talkers: unknown: Cannot read properties of undefined"},
		},
		{
			name: "a 3xx answer",
			fail: func(key string, n int) (int, string) {
				if key == "GET /_index_template/cwl-flow-logs" {
					return 300, `{"message":"multiple choices"}`
				}
				return 0, ""
			},
			want: []string{"index template cwl-flow-logs", "status 300"},
		},
		{
			name: "dashboards never ready",
			fail: func(key string, n int) (int, string) {
				if key == "POST /_dashboards/api/saved_objects/_import" {
					return 503, `{"statusCode":503,"message":"not ready"}`
				}
				return 0, ""
			},
			want: []string{"after 4 attempts", "status 503", "not ready"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDomain(t)
			f.fail = tc.fail
			if tc.setup != nil {
				tc.setup(f)
			}
			h := newTestHandler(t, f, nil)
			_, err := h.Handle(context.Background(), testInput(t, 14, flowlog.DefaultFields()))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			var apiErr *APIError
			if !strings.HasPrefix(tc.name, "import errors") && !errors.As(err, &apiErr) {
				t.Errorf("error %v does not wrap an *APIError", err)
			}
		})
	}
}

func TestBootstrapWarnsAboutFieldsTheDashboardNeeds(t *testing.T) {
	f := newFakeDomain(t)
	h := newTestHandler(t, f, nil)
	fields, _ := flowlog.FieldsByName([]string{"version", "srcaddr", "dstaddr", "bytes", "action", "log-status"})
	s, err := h.Handle(context.Background(), testInput(t, 14, fields))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], `"dstport"`) {
		t.Fatalf("warnings %v", s.Warnings)
	}
}

// A policy that changes between every read and write is given up after
// the second conflict, not re-read for ever (the fake cancels the
// invocation after five writes, so a loop that does not end fails).
func TestBootstrapGivesUpOnAPolicyThatKeepsChanging(t *testing.T) {
	f := newFakeDomain(t)
	h := newTestHandler(t, f, nil)
	if _, err := h.Handle(context.Background(), testInput(t, 14, flowlog.DefaultFields())); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.beforePolicyPut = func(n int) {
		p := f.policies["cwl-flow-logs-retention"]
		f.seqNo++
		p.seqNo = f.seqNo
		p.version++
		if n > 5 {
			cancel()
		}
	}
	_, err := h.Handle(ctx, testInput(t, 7, flowlog.DefaultFields()))
	if err == nil || !strings.Contains(err.Error(), "kept changing underneath (409 twice)") {
		t.Fatalf("err = %v", err)
	}
	if n := f.count("PUT /_plugins/_ism/policies/cwl-flow-logs-retention"); n != 3 {
		t.Errorf("%d policy writes, want 3 (the first run's and two)", n)
	}
}

// A domain that cannot be reached is tried MaxAttempts times with backoff;
// a cancelled invocation stops at once, without waiting.
func TestBootstrapRetriesUnreachableDomain(t *testing.T) {
	f := newFakeDomain(t)
	var sleeps []time.Duration
	h := newTestHandler(t, f, &sleeps)
	f.srv.Close()
	_, err := h.Handle(context.Background(), testInput(t, 14, flowlog.DefaultFields()))
	if err == nil || !strings.Contains(err.Error(), "after 4 attempts") {
		t.Fatalf("err = %v", err)
	}
	if len(sleeps) != 3 {
		t.Errorf("backoff waits %v, want 3", sleeps)
	}

	sleeps = nil
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = h.Handle(ctx, testInput(t, 14, flowlog.DefaultFields()))
	if !errors.Is(err, context.Canceled) || len(sleeps) != 0 {
		t.Fatalf("cancelled: err = %v, waits %v", err, sleeps)
	}
}

func TestAPIErrorCutsLongBodies(t *testing.T) {
	for _, n := range []int{2000, 2001} {
		body := strings.Repeat("b", n)
		got := (&APIError{Method: "GET", Path: "/x", Status: 500, Body: body}).Error()
		want := "GET /x: status 500: " + body
		if n > 2000 {
			want = "GET /x: status 500: " + body[:2000] + "..."
		}
		if got != want {
			t.Errorf("a body of %d bytes: %d-byte message ending %q", n, len(got), got[len(got)-5:])
		}
	}
}

// Without BaseDelay the first retry waits about a second, doubling up to
// 20 s (with the default jitter, r = 0.5, three quarters of that).
func TestBackoffDefaults(t *testing.T) {
	a := &Applier{}
	for retry, want := range map[int]time.Duration{1: 750 * time.Millisecond, 2: 1500 * time.Millisecond, 5: 12 * time.Second, 6: 15 * time.Second, 20: 15 * time.Second} {
		if got := a.backoff(retry); got != want {
			t.Errorf("backoff(%d) = %s, want %s", retry, got, want)
		}
	}
}
