package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

const (
	indexerArn  = "arn:aws:iam::123456789012:role/flowlogs-indexer-role-0a1b2c"
	indexer2Arn = "arn:aws:iam::123456789012:role/flowlogs-indexer-role-9z8y7x"
	accessArn   = "arn:aws:iam::123456789012:role/flowlogs-access-role-3d4e5f"
	secretArn   = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:flowlogs-dashboards-AbCdEf"
	password1   = "Fl0w-Logs-Pa55word!first"
	password2   = "Fl0w-Logs-Pa55word!second"
)

func accessInput(t *testing.T, writers, readers []string, secret string) objects.Input {
	t.Helper()
	in, err := testInput(t, 14, flowlog.DefaultFields()).WithAccess(writers, readers, secret)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// newSecurityHandler returns a handler for the fake domain that reads
// secrets from sm and logs, at debug level, to logs.
func newSecurityHandler(t *testing.T, f *fakeDomain, sm *fakeSecrets, logs *bytes.Buffer) *Handler {
	h := newTestHandler(t, f, nil)
	if sm != nil {
		h.Applier.Secrets = sm.client()
	}
	if logs != nil {
		log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		h.Log, h.Applier.Log = log, log
	}
	return h
}

func mapping(t *testing.T, f *fakeDomain, role string) (backendRoles, users []string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.roleMappings[role]
	if !ok {
		t.Fatalf("no mapping for %s", role)
	}
	strs := func(v any) []string {
		out := []string{}
		for _, x := range v.([]any) {
			out = append(out, x.(string))
		}
		return out
	}
	return strs(m["backend_roles"]), strs(m["users"])
}

func TestSecurityIsAppliedFirstAndIdempotent(t *testing.T) {
	f := newFakeDomain(t)
	sm := newFakeSecrets(t)
	sm.set(secretArn, "v-1", password1)
	var logs bytes.Buffer
	h := newSecurityHandler(t, f, sm, &logs)
	in := accessInput(t, []string{indexerArn}, []string{accessArn}, secretArn)

	s, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := SecurityResult{
		Roles:         map[string]string{objects.WriterRole: Created, objects.ReaderRole: Created},
		RoleMappings:  map[string]string{objects.WriterRole: Created, objects.ReaderRole: Created, objects.DashboardsUserRole: Created},
		InternalUsers: map[string]string{objects.DashboardsUser: Created},
	}
	if !reflect.DeepEqual(s.Security, want) || s.Template != Created || s.Policy != Created || s.SavedObjects != 7 {
		t.Fatalf("first run: %+v", s)
	}
	if !slices.Equal(s.WriterBackendRoles, []string{indexerArn}) || !slices.Equal(s.ReaderBackendRoles, []string{accessArn}) || s.DashboardsUserSecretArn != secretArn {
		t.Fatalf("summary input: %+v", s)
	}
	checkState(t, f, in)

	// Security first: the writer's role and mapping precede every index
	// object, so the indexer can write as soon as the invocation returns.
	f.mu.Lock()
	firstIndexRequest := slices.IndexFunc(f.order, func(k string) bool { return !strings.Contains(k, securityAPI) })
	writerMapping := slices.Index(f.order, "PUT "+securityAPI+"/rolesmapping/"+objects.WriterRole)
	lastSecurity := -1
	for i, k := range f.order {
		if strings.Contains(k, securityAPI) {
			lastSecurity = i
		}
	}
	f.mu.Unlock()
	if writerMapping < 0 || lastSecurity > firstIndexRequest {
		t.Fatalf("request order %v", f.order)
	}

	// The roles grant what the indexer and the readers need, on the prefix.
	f.mu.Lock()
	writer, _ := json.Marshal(f.roles[objects.WriterRole])
	reader, _ := json.Marshal(f.roles[objects.ReaderRole])
	user := f.internalUsers[objects.DashboardsUser]
	f.mu.Unlock()
	for _, w := range []string{`"cluster_permissions":["cluster_monitor","indices:data/write/bulk*"]`, `"index_patterns":["cwl-*"]`, `"allowed_actions":["crud","create_index","indices:admin/mapping/put"]`, `[sha256:`} {
		if !strings.Contains(string(writer), w) {
			t.Errorf("writer role %s lacks %s", writer, w)
		}
	}
	for _, w := range []string{`"cluster_permissions":["cluster_composite_ops_ro"]`, `"index_patterns":["cwl-*"]`, `"allowed_actions":["read","indices:admin/mappings/get","indices:admin/resolve/index"]`} {
		if !strings.Contains(string(reader), w) {
			t.Errorf("reader role %s lacks %s", reader, w)
		}
	}
	if br, users := mapping(t, f, objects.WriterRole); !slices.Equal(br, []string{indexerArn}) || len(users) != 0 {
		t.Fatalf("writer mapping %v %v", br, users)
	}
	if br, users := mapping(t, f, objects.ReaderRole); !slices.Equal(br, []string{accessArn}) || !slices.Equal(users, []string{"dashboards"}) {
		t.Fatalf("reader mapping %v %v", br, users)
	}
	if br, users := mapping(t, f, objects.DashboardsUserRole); !slices.Equal(br, []string{accessArn}) || !slices.Equal(users, []string{"dashboards"}) {
		t.Fatalf("dashboards user mapping %v %v", br, users)
	}
	if user.password != password1 || user.attributes["secret_version_id"] != "v-1" || user.attributes["secret_arn"] != secretArn {
		t.Fatalf("internal user %+v", user.attributes)
	}

	// The second run reads and compares, and puts nothing.
	puts := f.securityPuts()
	if puts != 6 {
		t.Fatalf("%d security PUTs on the first run, want 6", puts)
	}
	s, err = h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want = SecurityResult{
		Roles:         map[string]string{objects.WriterRole: Unchanged, objects.ReaderRole: Unchanged},
		RoleMappings:  map[string]string{objects.WriterRole: Unchanged, objects.ReaderRole: Unchanged, objects.DashboardsUserRole: Unchanged},
		InternalUsers: map[string]string{objects.DashboardsUser: Unchanged},
	}
	if !reflect.DeepEqual(s.Security, want) || s.Template != Unchanged || s.Policy != Unchanged {
		t.Fatalf("second run: %+v", s)
	}
	if n := f.securityPuts(); n != puts {
		t.Fatalf("second run made %d security PUTs", n-puts)
	}
	if strings.Contains(logs.String(), password1) {
		t.Fatal("the password is in the logs")
	}
}

func TestSecurityFollowsTheInput(t *testing.T) {
	f := newFakeDomain(t)
	sm := newFakeSecrets(t)
	sm.set(secretArn, "v-1", password1)
	h := newSecurityHandler(t, f, sm, nil)
	if _, err := h.Handle(context.Background(), accessInput(t, []string{indexerArn}, []string{accessArn}, secretArn)); err != nil {
		t.Fatal(err)
	}
	puts := f.securityPuts()

	// The indexer is replaced: the writer mapping holds only the new role.
	s, err := h.Handle(context.Background(), accessInput(t, []string{indexer2Arn}, []string{accessArn}, secretArn))
	if err != nil {
		t.Fatal(err)
	}
	if s.Security.RoleMappings[objects.WriterRole] != Updated || s.Security.RoleMappings[objects.ReaderRole] != Unchanged ||
		s.Security.Roles[objects.WriterRole] != Unchanged || s.Security.InternalUsers[objects.DashboardsUser] != Unchanged {
		t.Fatalf("writer change: %+v", s.Security)
	}
	if br, _ := mapping(t, f, objects.WriterRole); !slices.Equal(br, []string{indexer2Arn}) {
		t.Fatalf("writer mapping %v", br)
	}
	if n := f.securityPuts() - puts; n != 1 || f.count("PUT "+securityAPI+"/rolesmapping/"+objects.WriterRole) != 2 {
		t.Fatalf("%d security PUTs for a writer change; requests %v", n, f.requests)
	}

	// The secret is rotated: the user gets the new password, once.
	sm.set(secretArn, "v-2", password2)
	s, err = h.Handle(context.Background(), accessInput(t, []string{indexer2Arn}, []string{accessArn}, secretArn))
	if err != nil {
		t.Fatal(err)
	}
	if s.Security.InternalUsers[objects.DashboardsUser] != Updated {
		t.Fatalf("rotation: %+v", s.Security)
	}
	f.mu.Lock()
	u := f.internalUsers[objects.DashboardsUser]
	f.mu.Unlock()
	if u.password != password2 || u.attributes["secret_version_id"] != "v-2" {
		t.Fatalf("user after rotation: version %s", u.attributes["secret_version_id"])
	}
	if s, err = h.Handle(context.Background(), accessInput(t, []string{indexer2Arn}, []string{accessArn}, secretArn)); err != nil || s.Security.InternalUsers[objects.DashboardsUser] != Unchanged {
		t.Fatalf("after rotation: %+v %v", s.Security, err)
	}

	// Someone edits the writer role by hand; the next run restores it.
	f.mu.Lock()
	f.roles[objects.WriterRole]["cluster_permissions"] = []any{"cluster_all"}
	f.mu.Unlock()
	if s, err = h.Handle(context.Background(), accessInput(t, []string{indexer2Arn}, []string{accessArn}, secretArn)); err != nil || s.Security.Roles[objects.WriterRole] != Updated {
		t.Fatalf("edited role: %+v %v", s.Security, err)
	}
	if b, _ := json.Marshal(f.roles[objects.WriterRole]); strings.Contains(string(b), "cluster_all") {
		t.Fatalf("writer role %s", b)
	}
}

func TestSecurityKeepsOthersDashboardsUserEntries(t *testing.T) {
	f := newFakeDomain(t)
	admin := "arn:aws:iam::123456789012:role/Admin"
	f.roleMappings[objects.DashboardsUserRole] = map[string]any{
		"backend_roles": []any{admin}, "users": []any{"alice"}, "hosts": []any{"bastion.example"},
		"and_backend_roles": []any{}, "description": "mapped in the console",
	}
	sm := newFakeSecrets(t)
	sm.set(secretArn, "v-1", password1)
	h := newSecurityHandler(t, f, sm, nil)
	in := accessInput(t, []string{indexerArn}, []string{accessArn}, secretArn)
	s, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.Security.RoleMappings[objects.DashboardsUserRole] != Updated {
		t.Fatalf("summary %+v", s.Security)
	}
	br, users := mapping(t, f, objects.DashboardsUserRole)
	if !slices.Equal(br, []string{admin, accessArn}) || !slices.Equal(users, []string{"alice", "dashboards"}) {
		t.Fatalf("mapping %v %v", br, users)
	}
	f.mu.Lock()
	m := f.roleMappings[objects.DashboardsUserRole]
	f.mu.Unlock()
	if !reflect.DeepEqual(m["hosts"], []any{"bastion.example"}) || m["description"] != "mapped in the console" {
		t.Fatalf("mapping %v", m)
	}

	// Others add more after us; they stay, and we add nothing again.
	f.mu.Lock()
	m["users"] = append(m["users"].([]any), "bob")
	f.mu.Unlock()
	if s, err = h.Handle(context.Background(), in); err != nil || s.Security.RoleMappings[objects.DashboardsUserRole] != Unchanged {
		t.Fatalf("second run %+v %v", s.Security, err)
	}
	if f.count("PUT "+securityAPI+"/rolesmapping/"+objects.DashboardsUserRole) != 1 {
		t.Fatalf("requests %v", f.requests)
	}
	if _, users := mapping(t, f, objects.DashboardsUserRole); !slices.Equal(users, []string{"alice", "dashboards", "bob"}) {
		t.Fatalf("users %v", users)
	}

	// Readers only (no secret): the shared mapping gains no user.
	f2 := newFakeDomain(t)
	h2 := newSecurityHandler(t, f2, nil, nil)
	s, err = h2.Handle(context.Background(), accessInput(t, []string{indexerArn}, []string{accessArn}, ""))
	if err != nil || s.Security.InternalUsers != nil || len(f2.internalUsers) != 0 {
		t.Fatalf("no secret: %+v %v", s.Security, err)
	}
	if br, users := mapping(t, f2, objects.ReaderRole); !slices.Equal(br, []string{accessArn}) || len(users) != 0 {
		t.Fatalf("reader mapping %v %v", br, users)
	}
}

func TestSecuritySkippedWithoutAccessFields(t *testing.T) {
	f := newFakeDomain(t)
	f.roleMappings[objects.WriterRole] = map[string]any{"backend_roles": []any{indexerArn}}
	h := newTestHandler(t, f, nil)
	s, err := h.Handle(context.Background(), testInput(t, 14, flowlog.DefaultFields()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Security.Skipped, "left as it is") || s.Security.Roles != nil {
		t.Fatalf("security %+v", s.Security)
	}
	for k := range f.requests {
		if strings.Contains(k, securityAPI) {
			t.Fatalf("security request %s", k)
		}
	}
}

func TestSecretFailuresFailTheInvocation(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(sm *fakeSecrets)
		noSM  bool
		want  []string
	}{
		{name: "not found", setup: func(sm *fakeSecrets) {}, want: []string{"ResourceNotFoundException", "can't find the specified secret"}},
		{name: "denied", setup: func(sm *fakeSecrets) { sm.set(secretArn, "v-1", password1); sm.deny = true }, want: []string{"AccessDeniedException", "secretsmanager:GetSecretValue"}},
		{name: "binary", setup: func(sm *fakeSecrets) { sm.secrets[secretArn] = fakeSecret{versionID: "v-1", binary: []byte("x")} }, want: []string{"no password", "binary"}},
		{name: "json without password", setup: func(sm *fakeSecrets) { sm.set(secretArn, "v-1", `{"username":"dashboards"}`) }, want: []string{`without a "password"`}},
		{name: "no client", noSM: true, want: []string{"no Secrets Manager client"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeDomain(t)
			sm := newFakeSecrets(t)
			if tc.setup != nil {
				tc.setup(sm)
			}
			if tc.noSM {
				sm = nil
			}
			h := newSecurityHandler(t, f, sm, nil)
			_, err := h.Handle(context.Background(), accessInput(t, []string{indexerArn}, []string{accessArn}, secretArn))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.want, "security configuration", "internal user dashboards", secretArn) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), password1) {
				t.Fatal("the password is in the error")
			}
			if len(f.internalUsers) != 0 || len(f.templates) != 0 {
				t.Fatalf("user or template created: %v %v", f.internalUsers, f.templates)
			}
			// The writer was mapped before the secret was read.
			if br, _ := mapping(t, f, objects.WriterRole); !slices.Equal(br, []string{indexerArn}) {
				t.Fatalf("writer mapping %v", br)
			}
		})
	}
}

func TestPasswordNeverLoggedNorReported(t *testing.T) {
	f := newFakeDomain(t)
	sm := newFakeSecrets(t)
	sm.set(secretArn, "v-1", `{"username":"dashboards","password":"`+password1+`"}`)
	var logs bytes.Buffer
	h := newSecurityHandler(t, f, sm, &logs)
	in := accessInput(t, []string{indexerArn}, []string{accessArn}, secretArn)
	payload, _ := in.JSON()
	out, err := h.Invoke(context.Background(), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	if u := f.internalUsers[objects.DashboardsUser]; u == nil || u.password != password1 {
		t.Fatal("the JSON secret's password was not used")
	}
	// The domain refuses the next password and, unlike the real one,
	// echoes it: the error still does not carry it.
	sm.set(secretArn, "v-2", password2)
	f.fail = func(key string, n int) (int, string) {
		if key == "PUT "+securityAPI+"/internalusers/dashboards" {
			return 400, `{"status":"error","reason":"Password ` + password2 + ` does not match minimum criteria"}`
		}
		return 0, ""
	}
	_, err = h.Invoke(context.Background(), []byte(payload))
	var apiErr *APIError
	if err == nil || !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "minimum criteria") || !strings.Contains(err.Error(), "version v-2") {
		t.Fatalf("error %v", err)
	}
	for what, text := range map[string]string{"summary": string(out), "logs": logs.String(), "error": err.Error()} {
		for _, p := range []string{password1, password2} {
			if strings.Contains(text, p) {
				t.Errorf("the password is in the %s: %s", what, text)
			}
		}
	}
	if !strings.Contains(logs.String(), "internal user password set") || !strings.Contains(string(out), `"internalUsers":{"dashboards":"created"}`) {
		t.Fatalf("logs %s\nsummary %s", logs.String(), out)
	}
}

// With a Dashboards user but no reader roles, the shared mapping still
// gains the user.
func TestDashboardsUserMappedWithoutReaderRoles(t *testing.T) {
	f := newFakeDomain(t)
	sm := newFakeSecrets(t)
	sm.set(secretArn, "v-1", password1)
	h := newSecurityHandler(t, f, sm, nil)
	if _, err := h.Handle(context.Background(), accessInput(t, []string{indexerArn}, nil, secretArn)); err != nil {
		t.Fatal(err)
	}
	if br, users := mapping(t, f, objects.DashboardsUserRole); len(br) != 0 || !slices.Equal(users, []string{objects.DashboardsUser}) {
		t.Fatalf("mapping %v %v", br, users)
	}
}

// The Dashboards user's description is ours when we create it, and kept
// when someone else wrote one.
func TestDashboardsUserDescription(t *testing.T) {
	f := newFakeDomain(t)
	sm := newFakeSecrets(t)
	sm.set(secretArn, "v-1", password1)
	h := newSecurityHandler(t, f, sm, nil)
	in := accessInput(t, []string{indexerArn}, []string{accessArn}, secretArn)
	if _, err := h.Handle(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	u := f.internalUsers[objects.DashboardsUser]
	ours := u.description
	u.description = "the analysts' login, ask secops"
	f.mu.Unlock()
	if !strings.Contains(ours, secretArn) {
		t.Errorf("created with description %q, want one naming the secret", ours)
	}
	sm.set(secretArn, "v-2", password2)
	if _, err := h.Handle(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if got := f.internalUsers[objects.DashboardsUser]; got.password != password2 || got.description != "the analysts' login, ask secops" {
		t.Errorf("after the rotation: password changed %v, description %q", got.password == password2, got.description)
	}
}

// The security plugin maps only a role that exists. A domain whose
// Dashboards user role is still kibana_user (no opensearch_dashboards_user)
// gets the readers in kibana_user; a domain with neither fails the security
// step with the plugin's own message rather than leaving the readers
// without Dashboards.
func TestSecurityOnADomainWithAnotherDashboardsUserRole(t *testing.T) {
	in := accessInput(t, []string{indexerArn}, []string{accessArn}, "")

	f := newFakeDomain(t)
	f.setStaticRoles(objects.AdminRole, "security_manager", objects.LegacyDashboardsUserRole)
	h := newSecurityHandler(t, f, nil, nil)
	s, err := h.Handle(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{objects.WriterRole: Created, objects.ReaderRole: Created, objects.LegacyDashboardsUserRole: Created}
	if !reflect.DeepEqual(s.Security.RoleMappings, want) {
		t.Fatalf("role mappings %v", s.Security.RoleMappings)
	}
	if br, _ := mapping(t, f, objects.LegacyDashboardsUserRole); !slices.Equal(br, []string{accessArn}) {
		t.Fatalf("kibana_user mapping %v", br)
	}
	if s, err = h.Handle(context.Background(), in); err != nil || s.Security.RoleMappings[objects.LegacyDashboardsUserRole] != Unchanged {
		t.Fatalf("second run %+v %v", s.Security, err)
	}

	f = newFakeDomain(t)
	f.setStaticRoles(objects.AdminRole, "security_manager")
	_, err = newSecurityHandler(t, f, nil, nil).Handle(context.Background(), in)
	if err == nil || !strings.Contains(err.Error(), "role mapping opensearch_dashboards_user") ||
		!strings.Contains(err.Error(), "status 404") || !strings.Contains(err.Error(), `Role 'opensearch_dashboards_user' is not available for role-mapping.`) {
		t.Fatalf("neither role: %v", err)
	}
}
