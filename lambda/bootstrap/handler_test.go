package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

func TestInvokeWithThePulumiPayload(t *testing.T) {
	f := newFakeDomain(t)
	h := newTestHandler(t, f, nil)
	in := testInput(t, 14, flowlog.DefaultFields())
	payload, err := in.JSON()
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if s.Hash != in.Hash || s.Template != Created || s.SavedObjects != 7 || s.RetentionDays != 14 || s.IndexPrefix != "cwl" {
		t.Fatalf("response %s", out)
	}
}

func TestInvokeRejectsAStaleHash(t *testing.T) {
	f := newFakeDomain(t)
	h := newTestHandler(t, f, nil)
	in := testInput(t, 14, flowlog.DefaultFields())
	in.Hash = strings.Repeat("0", 64)
	payload, _ := in.JSON()
	_, err := h.Invoke(context.Background(), []byte(payload))
	if err == nil || !strings.Contains(err.Error(), "different versions") {
		t.Fatalf("error %v", err)
	}
	if len(f.requests) != 0 {
		t.Fatalf("requests made: %v", f.requests)
	}
}

func TestInvokeRejectsBadInput(t *testing.T) {
	f := newFakeDomain(t)
	h := newTestHandler(t, f, nil)
	for payload, want := range map[string]string{
		`[]`: "not an input object",
		`{"indexPrefix":"CWL","retentionDays":0,"fields":"${nope}"}`: "indexPrefix",
		`{"retentionDays":0,"fields":"${version}"}`:                  "retentionDays",
		`{"retentionDays":14,"fields":"${nope}"}`:                    `unknown flow log field "nope"`,
		`{"retentionDays":14}`:                                       "fields: required",
		`{"retentionDays":14,"fields":"${version}","replicas":-1}`:   "replicas",
	} {
		if _, err := h.Invoke(context.Background(), []byte(payload)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", payload, err, want)
		}
	}
	if len(f.requests) != 0 {
		t.Fatalf("requests made: %v", f.requests)
	}
}

func TestInvokeIgnoresDelete(t *testing.T) {
	f := newFakeDomain(t)
	h := newTestHandler(t, f, nil)
	out, err := h.Invoke(context.Background(), []byte(`{"indexPrefix":"cwl","retentionDays":14,"fields":"${version}","tf":{"action":"delete","prev_input":{}}}`))
	if err != nil || !strings.Contains(string(out), "skipped") || len(f.requests) != 0 {
		t.Fatalf("response %s, error %v, requests %v", out, err, f.requests)
	}
}

func TestNewHandlerFromEnv(t *testing.T) {
	f := newFakeDomain(t)
	f.srv.Close()
	f.srv = httptest.NewTLSServer(f.srv.Config.Handler)
	t.Cleanup(f.srv.Close)
	setTestAWSEnv(t)
	env := map[string]string{EnvEndpoint: f.srv.URL, EnvRegion: "eu-west-1"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	h, err := NewHandlerFromEnv(context.Background(), lookup, quietLog, f.srv.Client().Transport)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := objects.NewInput("flowlogs", 30, flowlog.V2Fields(), 0)
	s, err := h.Handle(context.Background(), in)
	if err != nil || s.Template != Created {
		t.Fatalf("summary %+v, error %v", s, err)
	}

	env = map[string]string{EnvEndpoint: "http://plain", EnvRequestTimeout: "forever"}
	if _, err := NewHandlerFromEnv(context.Background(), lookup, quietLog, nil); err == nil ||
		!strings.Contains(err.Error(), "https://") || !strings.Contains(err.Error(), EnvRegion) || !strings.Contains(err.Error(), EnvRequestTimeout) {
		t.Fatalf("error %v", err)
	}
}

func TestInvokeWithAccessPayload(t *testing.T) {
	f := newFakeDomain(t)
	sm := newFakeSecrets(t)
	sm.set(secretArn, "v-1", password1)
	h := newSecurityHandler(t, f, sm, nil)
	payload, err := accessInput(t, []string{indexerArn}, []string{accessArn}, secretArn).JSON()
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"roles":{"flowlogs_reader":"created","flowlogs_writer":"created"}`, `"roleMappings":{"flowlogs_reader":"created","flowlogs_writer":"created","opensearch_dashboards_user":"created"}`,
		`"internalUsers":{"dashboards":"created"}`, `"writerBackendRoles":["` + indexerArn + `"]`, `"dashboardsUserSecretArn":"` + secretArn + `"`} {
		if !strings.Contains(string(out), w) {
			t.Errorf("response %s lacks %s", out, w)
		}
	}
	// A manual invocation without access fields leaves them alone.
	out, err = h.Invoke(context.Background(), []byte(`{"retentionDays":14,"fields":"${version} ${srcaddr}"}`))
	if err != nil || !strings.Contains(string(out), `"security":{"skipped":`) {
		t.Fatalf("response %s, error %v", out, err)
	}
	if _, err := h.Invoke(context.Background(), []byte(`{"retentionDays":14,"fields":"${version}","writerBackendRoles":["indexer"]}`)); err == nil || !strings.Contains(err.Error(), "writerBackendRoles") {
		t.Fatalf("error %v", err)
	}
}

func TestNewHandlerFromEnvReadsSecrets(t *testing.T) {
	f := newFakeDomain(t)
	f.srv.Close()
	f.srv = httptest.NewTLSServer(f.srv.Config.Handler)
	t.Cleanup(f.srv.Close)
	sm := newFakeSecrets(t)
	sm.set(secretArn, "v-1", password1)
	setTestAWSEnv(t)
	// The SDK's service endpoint override stands in for the VPC's
	// Secrets Manager endpoint.
	t.Setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", sm.srv.URL)
	env := map[string]string{EnvEndpoint: f.srv.URL, EnvRegion: "eu-west-1"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	h, err := NewHandlerFromEnv(context.Background(), lookup, quietLog, f.srv.Client().Transport)
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.Handle(context.Background(), accessInput(t, []string{indexerArn}, nil, secretArn))
	if err != nil || s.Security.InternalUsers["dashboards"] != Created || sm.calls != 1 {
		t.Fatalf("summary %+v, error %v, %d secret reads", s.Security, err, sm.calls)
	}
	if u := f.internalUsers["dashboards"]; u == nil || u.password != password1 {
		t.Fatal("password not set")
	}
}

// OPENSEARCH_REQUEST_TIMEOUT takes 1s to 15m, both ends included.
func TestRequestTimeoutBounds(t *testing.T) {
	setTestAWSEnv(t)
	for v, ok := range map[string]bool{"1s": true, "15m": true, "999ms": false, "15m1s": false, "soon": false} {
		env := map[string]string{EnvEndpoint: "https://vpc-flowlogs-abc123.eu-west-1.es.amazonaws.com", EnvRegion: "eu-west-1", EnvRequestTimeout: v}
		lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		_, err := NewHandlerFromEnv(context.Background(), lookup, quietLog, nil)
		switch {
		case ok && err != nil:
			t.Errorf("%s=%s: %v", EnvRequestTimeout, v, err)
		case !ok && (err == nil || !strings.Contains(err.Error(), EnvRequestTimeout)):
			t.Errorf("%s=%s: error %v, want one naming the variable", EnvRequestTimeout, v, err)
		}
	}
}

// The summary is logged to the handler's logger.
func TestHandlerLogsTheSummary(t *testing.T) {
	f := newFakeDomain(t)
	var logs strings.Builder
	h := newTestHandler(t, f, nil)
	h.Log = slog.New(slog.NewTextHandler(&logs, nil))
	if _, err := h.Handle(context.Background(), testInput(t, 14, flowlog.DefaultFields())); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "bootstrap applied") {
		t.Errorf("no summary in the handler's log:\n%s", logs.String())
	}
}
