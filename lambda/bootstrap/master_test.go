package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vpcflowlogs/vpc-flow-logs/dashboards"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/osclient"
)

// The domain of the Dashboards login path: the internal user database is
// on and the master is the internal user objects.MasterUser.
const (
	masterSecretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:flowlogs-master-GhIjKl"
	masterPassword  = "M4ster-Pa55word!flowlogs"
	indexerKeyID    = "AKIDINDEXER"
)

// internalMasterDomain is a fake domain whose master is internal, with the
// bootstrap's role (testAWS) and the indexer's role (indexerKeyID) known
// to IAM but mapped to nothing yet, and a Secrets Manager that holds the
// master's and the Dashboards user's passwords.
func internalMasterDomain(t *testing.T) (*fakeDomain, *fakeSecrets) {
	t.Helper()
	f := newFakeDomain(t)
	f.internalMaster(objects.MasterUser, masterPassword)
	f.signer(indexerKeyID, indexerArn)
	sm := newFakeSecrets(t)
	sm.set(masterSecretArn, "m-1", masterPassword)
	sm.set(secretArn, "v-1", password1)
	return f, sm
}

// masterInput is the input the Pulumi program sends on such a domain.
func masterInput(t *testing.T) objects.Input {
	t.Helper()
	in, err := accessInput(t, []string{indexerArn}, []string{accessArn}, secretArn).WithMaster(masterSecretArn, []string{bootstrapArn})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// status sends one request with a and returns its HTTP status.
func status(t *testing.T, a *Applier, method, path string, body []byte) int {
	t.Helper()
	var header http.Header
	if body != nil {
		header = jsonHeader()
	}
	st, _, err := a.do(context.Background(), method, path, nil, header, body, http.StatusNotFound)
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Status
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return st
}

// The fake refuses what the real domain refuses, so that the handler's
// tests against it mean something.
func TestFakeDomainEnforcesFineGrainedAccess(t *testing.T) {
	// A static role's mapping: the plugin maps only a role that exists.
	mappingPath := securityAPI + "/rolesmapping/" + objects.DashboardsUserRole
	body := []byte(`{"backend_roles":["` + indexerArn + `"],"users":[]}`)
	asIndexer := func(t *testing.T, f *fakeDomain) *Applier {
		c, err := osclient.New(osclient.Options{Endpoint: f.srv.URL, AWS: aws.Config{Region: "eu-west-1",
			Credentials: credentials.NewStaticCredentialsProvider(indexerKeyID, "indexer-secret-key", "")}})
		if err != nil {
			t.Fatal(err)
		}
		a := f.applier(t, nil)
		a.Client, a.MaxAttempts = c.Client, 1
		return a
	}
	basic := func(t *testing.T, f *fakeDomain, user, pw string) *Applier {
		c, err := basicAuthClient(f.srv.URL, 0, nil)(user, pw)
		if err != nil {
			t.Fatal(err)
		}
		a := f.applier(t, nil)
		a.Client, a.MaxAttempts = c, 1
		return a
	}

	t.Run("IAM master", func(t *testing.T) {
		f := newFakeDomain(t)
		f.signer(indexerKeyID, indexerArn)
		if st := status(t, asIndexer(t, f), http.MethodPut, mappingPath, body); st != 403 {
			t.Errorf("unmapped role on the security API: %d, want 403", st)
		}
		if st := status(t, asIndexer(t, f), http.MethodPut, "/_index_template/x", []byte(`{}`)); st != 403 {
			t.Errorf("unmapped role on an index API: %d, want 403", st)
		}
		if st := status(t, basic(t, f, objects.MasterUser, masterPassword), http.MethodGet, mappingPath, nil); st != 401 {
			t.Errorf("basic auth without the internal user database: %d, want 401", st)
		}
		if st := status(t, f.applier(t, nil), http.MethodPut, mappingPath, body); st != 201 {
			t.Errorf("the IAM master on the security API: %d, want 201", st)
		}
	})

	t.Run("internal master", func(t *testing.T) {
		f, _ := internalMasterDomain(t)
		if st := status(t, f.applier(t, nil), http.MethodPut, mappingPath, body); st != 403 {
			t.Errorf("the bootstrap's unmapped role on the security API: %d, want 403", st)
		}
		if st := status(t, f.applier(t, nil), http.MethodGet, "/_plugins/_ism/policies/p", nil); st != 403 {
			t.Errorf("the bootstrap's unmapped role on ISM: %d, want 403", st)
		}
		if st := status(t, basic(t, f, objects.MasterUser, "wrong-password"), http.MethodGet, mappingPath, nil); st != 401 {
			t.Errorf("a wrong master password: %d, want 401", st)
		}
		if st := status(t, basic(t, f, objects.MasterUser, masterPassword), http.MethodPut, mappingPath, body); st != 201 {
			t.Errorf("the master with basic auth: %d, want 201", st)
		}
		// Mapped to all_access, a role may use the index APIs but still
		// not the security API.
		admin := []byte(`{"backend_roles":["` + bootstrapArn + `"],"users":[]}`)
		if st := status(t, basic(t, f, objects.MasterUser, masterPassword), http.MethodPut, securityAPI+"/rolesmapping/"+objects.AdminRole, admin); st != 201 {
			t.Fatalf("mapping all_access: %d", st)
		}
		if st := status(t, f.applier(t, nil), http.MethodGet, "/_plugins/_ism/policies/p", nil); st != 404 {
			t.Errorf("the bootstrap's role mapped to all_access on ISM: %d, want 404 (allowed, no such policy)", st)
		}
		if st := status(t, f.applier(t, nil), http.MethodPut, mappingPath, body); st != 403 {
			t.Errorf("all_access on the security API: %d, want 403", st)
		}
	})
}

// The Dashboards login path end to end: on a domain whose master is
// internal, the handler reads the master's password, maps its own role and
// the indexer's with it, creates the "dashboards" user, signs everything
// else, and that user can then log in.
func TestHandlerAppliesAsTheInternalMaster(t *testing.T) {
	f, sm := internalMasterDomain(t)
	var logs bytes.Buffer
	h := newSecurityHandler(t, f, sm, &logs)
	in := masterInput(t)
	payload, err := in.JSON()
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"roleMappings":{"all_access":"created","flowlogs_reader":"created","flowlogs_writer":"created","opensearch_dashboards_user":"created"}`,
		`"internalUsers":{"dashboards":"created"}`, `"template":"created"`, `"savedObjects":7`,
		`"masterUserSecretArn":"` + masterSecretArn + `"`, `"adminBackendRoles":["` + bootstrapArn + `"]`} {
		if !strings.Contains(string(out), w) {
			t.Errorf("response %s lacks %s", out, w)
		}
	}
	if br, _ := mapping(t, f, objects.AdminRole); !slices.Equal(br, []string{bootstrapArn}) {
		t.Errorf("all_access mapping %v", br)
	}
	if br, _ := mapping(t, f, objects.WriterRole); !slices.Equal(br, []string{indexerArn}) {
		t.Errorf("writer mapping %v", br)
	}
	// The security API as the master, everything else signed by the role.
	f.mu.Lock()
	auths := slices.Clone(f.auths)
	f.mu.Unlock()
	for _, a := range auths {
		security := strings.Contains(a, securityAPI)
		if security != strings.HasSuffix(a, " by user "+objects.MasterUser) || !security && !strings.HasSuffix(a, " by role "+bootstrapArn) {
			t.Errorf("request %q", a)
		}
	}
	if len(auths) < 10 {
		t.Errorf("requests %v", auths)
	}
	if strings.Contains(logs.String(), masterPassword) || strings.Contains(string(out), masterPassword) {
		t.Error("the master password is in the logs or the response")
	}

	// The person's login: basic auth as "dashboards" reads the indices.
	c, err := basicAuthClient(f.srv.URL, 0, nil)(objects.DashboardsUser, password1)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	fu := caller{user: objects.DashboardsUser}
	reader, dashboards := f.mappedTo(objects.ReaderRole, fu), f.mappedTo(objects.DashboardsUserRole, fu)
	f.mu.Unlock()
	if !reader || !dashboards {
		t.Errorf("the dashboards user is not mapped to %s and %s", objects.ReaderRole, objects.DashboardsUserRole)
	}
	a := f.applier(t, nil)
	a.Client = c
	if st := status(t, a, http.MethodGet, securityAPI+"/internalusers/"+objects.MasterUser, nil); st != 403 {
		t.Errorf("the dashboards user on the security API: %d, want 403", st)
	}

	// A second run changes nothing.
	s, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Security.RoleMappings[objects.AdminRole] != Unchanged || s.Template != Unchanged || s.Security.InternalUsers[objects.DashboardsUser] != Unchanged {
		t.Errorf("second run %+v", s)
	}
}

// Without the master's secret (the IAM-only input), the bootstrap's role
// cannot touch the security configuration of such a domain: the domain
// refuses it and nothing is applied.
func TestHandlerWithoutTheMasterIsRefused(t *testing.T) {
	f, sm := internalMasterDomain(t)
	h := newSecurityHandler(t, f, sm, nil)
	_, err := h.Handle(context.Background(), accessInput(t, []string{indexerArn}, []string{accessArn}, secretArn))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 403 {
		t.Fatalf("error %v, want a 403", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.roleMappings) != 0 || len(f.templates) != 0 {
		t.Errorf("applied anyway: mappings %v, templates %d", f.roleMappings, len(f.templates))
	}
}

func TestWrongMasterPasswordFailsWithoutRevealingIt(t *testing.T) {
	f, sm := internalMasterDomain(t)
	const stale = "Stale-Pa55word!rotated"
	sm.set(masterSecretArn, "m-0", stale)
	var logs bytes.Buffer
	h := newSecurityHandler(t, f, sm, &logs)
	_, err := h.Handle(context.Background(), masterInput(t))
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 401 || !strings.Contains(err.Error(), "master user "+objects.MasterUser) && !strings.Contains(err.Error(), "security configuration") {
		t.Fatalf("error %v, want a 401 of the security step", err)
	}
	if strings.Contains(err.Error(), stale) || strings.Contains(logs.String(), stale) {
		t.Error("the password is in the error or the logs")
	}

	// No route to the secret: the step names it.
	sm.deny = true
	if _, err := h.Handle(context.Background(), masterInput(t)); err == nil || !strings.Contains(err.Error(), masterSecretArn) {
		t.Fatalf("error %v", err)
	}
}

// The basic-authentication client goes through the transport it is given
// (the tests' TLS server, the function's own otherwise).
func TestBasicAuthClientUsesTheGivenTransport(t *testing.T) {
	var user, pw string
	var ok bool
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pw, ok = r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{}`)
	}))
	t.Cleanup(srv.Close)
	c, err := basicAuthClient(srv.URL, 0, srv.Client().Transport)("master", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "/", nil)
	resp, err := c.Perform(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !ok || user != "master" || pw != "s3cret" {
		t.Errorf("basic auth %q %v", user, ok)
	}
}

// The readers, the access host's role and the Dashboards user, can open the
// Global tenant, where the dashboard is: their Dashboards user role gets no
// implicit Global tenant (only roles named kibana_user or all_access do), so
// flowlogs_reader grants it.
func TestReadersCanReadTheGlobalTenant(t *testing.T) {
	const accessKeyID = "AKIDACCESS"
	f, sm := internalMasterDomain(t)
	f.signer(accessKeyID, accessArn)
	h := newSecurityHandler(t, f, sm, nil)
	in := masterInput(t)
	if _, err := h.Handle(context.Background(), in); err != nil {
		t.Fatal(err)
	}

	f.mu.Lock()
	reader, _ := json.Marshal(f.roles[objects.ReaderRole]["tenant_permissions"])
	writer, _ := json.Marshal(f.roles[objects.WriterRole]["tenant_permissions"])
	f.mu.Unlock()
	if string(reader) != `[{"allowed_actions":["kibana_all_read"],"tenant_patterns":["global_tenant"]}]` || string(writer) != `[]` {
		t.Fatalf("tenant permissions: reader %s, writer %s", reader, writer)
	}

	signed := func(keyID, secret string) *Applier {
		c, err := osclient.New(osclient.Options{Endpoint: f.srv.URL, AWS: aws.Config{Region: "eu-west-1",
			Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")}})
		if err != nil {
			t.Fatal(err)
		}
		a := f.applier(t, nil)
		a.Client, a.MaxAttempts = c.Client, 1
		return a
	}
	dashboardsUser := f.applier(t, nil)
	c, err := basicAuthClient(f.srv.URL, 0, nil)(objects.DashboardsUser, password1)
	if err != nil {
		t.Fatal(err)
	}
	dashboardsUser.Client, dashboardsUser.MaxAttempts = c, 1
	path := "/_dashboards/api/saved_objects/dashboard/" + dashboards.DashboardID
	for name, a := range map[string]*Applier{"access host role": signed(accessKeyID, "access-secret-key"), "dashboards user": dashboardsUser} {
		st, body, err := a.do(context.Background(), http.MethodGet, path, nil, http.Header{"Securitytenant": {"global"}}, nil)
		if err != nil || st != 200 || !strings.Contains(string(body), dashboards.DashboardID) {
			t.Errorf("%s reading the dashboard in the Global tenant: %d %v %s", name, st, err, body)
		}
	}
	// Not everyone: the indexer has no tenant.
	if st := status(t, signed(indexerKeyID, "indexer-secret-key"), http.MethodGet, path, nil); st != 403 {
		t.Errorf("the indexer reading the Global tenant: %d, want 403", st)
	}

	// Someone grants the readers write on the Global tenant by hand; the
	// next run notices and restores read only.
	f.mu.Lock()
	f.roles[objects.ReaderRole]["tenant_permissions"] = []any{map[string]any{"tenant_patterns": []any{"global_tenant"}, "allowed_actions": []any{"kibana_all_write"}}}
	f.mu.Unlock()
	s, err := h.Handle(context.Background(), in)
	if err != nil || s.Security.Roles[objects.ReaderRole] != Updated || s.Security.Roles[objects.WriterRole] != Unchanged {
		t.Fatalf("after a hand edit: %+v %v", s.Security, err)
	}
	f.mu.Lock()
	reader, _ = json.Marshal(f.roles[objects.ReaderRole]["tenant_permissions"])
	f.mu.Unlock()
	if strings.Contains(string(reader), "kibana_all_write") {
		t.Fatalf("reader tenant permissions %s", reader)
	}
}
