package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

// bootstrapArn is the bootstrap function's role: the IAM master by default.
const bootstrapArn = "arn:aws:iam::123456789012:role/flowlogs-bootstrap-role-7g8h9i"

// caller is who a request authenticates as.
type caller struct {
	// role is the IAM role of a signed request; user the internal user
	// of a basic-auth request.
	role, user string
	master     bool
}

func (c caller) String() string {
	if c.user != "" {
		return "user " + c.user
	}
	return "role " + c.role
}

// internalMaster makes the master the internal user name with password pw,
// which turns the internal user database (basic authentication) on; the
// IAM roles then have only what their mappings give them.
func (f *fakeDomain) internalMaster(name, pw string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.iamMaster, f.masterUser, f.masterPassword = "", name, pw
}

// signer adds an access key that signs as role.
func (f *fakeDomain) signer(keyID, role string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keyRoles[keyID] = role
}

// mappedTo reports whether the role mapping of role names c, by backend
// role or by user. f.mu is held.
func (f *fakeDomain) mappedTo(role string, c caller) bool {
	m := f.roleMappings[role]
	for _, v := range asStrings(m["backend_roles"]) {
		if c.role != "" && v == c.role {
			return true
		}
	}
	for _, v := range asStrings(m["users"]) {
		if c.user != "" && v == c.user {
			return true
		}
	}
	return false
}

// setStaticRoles replaces the domain's roles with the given static roles,
// as the security plugin has them before anyone puts one: all_access grants
// every tenant (static_roles.yml), the others none. newFakeDomain gives a
// new Amazon OpenSearch Service domain's: all_access, security_manager and
// opensearch_dashboards_user, Dashboards' user role (kibana_user on an older
// domain).
func (f *fakeDomain) setStaticRoles(names ...string) {
	f.roles = map[string]map[string]any{}
	for _, name := range names {
		role := map[string]any{"reserved": true, "static": true, "cluster_permissions": []any{}, "index_permissions": []any{}, "tenant_permissions": []any{}}
		if name == objects.AdminRole {
			role["cluster_permissions"] = []any{"*"}
			role["index_permissions"] = []any{map[string]any{"index_patterns": []any{"*"}, "allowed_actions": []any{"*"}}}
			role["tenant_permissions"] = []any{map[string]any{"tenant_patterns": []any{"*"}, "allowed_actions": []any{"kibana_all_write"}}}
		}
		f.roles[name] = role
	}
}

// rolesOf returns the security roles of c: those whose mapping names it,
// and all_access and security_manager for the master, as Amazon OpenSearch
// Service maps its master user. f.mu is held.
func (f *fakeDomain) rolesOf(c caller) []string {
	var out []string
	if c.master {
		out = append(out, objects.AdminRole, "security_manager")
	}
	for role := range f.roleMappings {
		if !slices.Contains(out, role) && f.mappedTo(role, c) {
			out = append(out, role)
		}
	}
	return out
}

// tenants returns the Dashboards tenants c may use and whether it may
// write in each, as TenantHolder.mapTenants (security plugin,
// ConfigModelV7) computes them: c's private tenant, read-write; each tenant
// a role of c grants in its tenant_permissions, read-write with
// kibana_all_write, read with kibana_all_read (read-write wins); and the
// Global tenant, read-write, for a role named kibana_user or all_access,
// the only implicit grant. The fake knows the Global tenant only. f.mu is
// held.
func (f *fakeDomain) tenants(c caller) map[string]bool {
	out := map[string]bool{c.String(): true}
	roles := f.rolesOf(c)
	for _, role := range roles {
		list, _ := f.roles[role]["tenant_permissions"].([]any)
		for _, x := range list {
			tp, _ := x.(map[string]any)
			actions := asStrings(tp["allowed_actions"])
			rw := slices.Contains(actions, "kibana_all_write")
			if !rw && !slices.Contains(actions, "kibana_all_read") {
				continue
			}
			for _, pattern := range asStrings(tp["tenant_patterns"]) {
				if pattern == "*" || pattern == globalTenant {
					out[globalTenant] = out[globalTenant] || rw
				}
			}
		}
	}
	if _, ok := out[globalTenant]; !ok && (slices.Contains(roles, "kibana_user") || slices.Contains(roles, objects.AdminRole)) {
		out[globalTenant] = true
	}
	return out
}

// tenantAllowed reports whether c may read (or, with write, write) in a
// tenant, as PrivilegesInterceptorImpl.isTenantAllowed does. f.mu is held.
func (f *fakeDomain) tenantAllowed(c caller, tenant string, write bool) bool {
	rw, ok := f.tenants(c)[tenant]
	return ok && (rw || !write)
}

func asStrings(v any) []string {
	var out []string
	switch l := v.(type) {
	case []any:
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = l
	}
	return out
}

// authenticate says who the request is: a signed request is its key's
// IAM role (an unknown key is refused, as IAM would); a basic-auth request
// is an internal user, only when the internal user database is on (the
// master is internal). f.mu is held.
func (f *fakeDomain) authenticate(r *http.Request) (caller, int, string) {
	auth := r.Header.Get("Authorization")
	if user, pw, ok := r.BasicAuth(); ok {
		if f.masterUser == "" {
			return caller{}, 401, `{"Message":"basic authentication is not enabled: the internal user database is off"}`
		}
		if user == f.masterUser && pw == f.masterPassword {
			return caller{user: user, master: true}, 0, ""
		}
		if u, found := f.internalUsers[user]; found && u.password == pw {
			return caller{user: user}, 0, ""
		}
		return caller{}, 401, "Unauthorized"
	}
	if rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 Credential="); ok {
		keyID, _, _ := strings.Cut(rest, "/")
		if !strings.Contains(auth, "/es/aws4_request") {
			f.t.Errorf("%s %s signed for another service: %q", r.Method, r.URL.Path, auth)
		}
		role, known := f.keyRoles[keyID]
		if !known {
			return caller{}, 403, `{"message":"The security token included in the request is invalid."}`
		}
		return caller{role: role, master: role != "" && role == f.iamMaster}, 0, ""
	}
	f.t.Errorf("%s %s is anonymous: neither signed nor basic auth (%q)", r.Method, r.URL.Path, auth)
	return caller{}, 401, osError(401, "security_exception", "no credentials: anonymous is not authorized")
}

// auth authenticates and authorizes a request as fine-grained access
// control does, and records who made it. The security plugin's API is for
// the master (or the security_manager role) only; everything else here
// needs all_access. It returns a status and body to refuse with, or 0.
// f.mu is held.
func (f *fakeDomain) auth(r *http.Request) (caller, int, string) {
	c, status, msg := f.authenticate(r)
	if status != 0 {
		return c, status, msg
	}
	switch {
	case c.master:
	case strings.HasPrefix(r.URL.Path, securityAPI+"/"):
		if !f.mappedTo("security_manager", c) {
			return c, 403, fmt.Sprintf(`{"status":"FORBIDDEN","message":"No permission to access REST API: %s does not have any role privileged for admin access"}`, c)
		}
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/_dashboards/api/saved_objects/"):
		// Reading a saved object is up to the tenant (serveSavedObject);
		// the Dashboards user role's permissions on the Dashboards
		// indices are not modelled.
	case !f.mappedTo(objects.AdminRole, c):
		return c, 403, osError(403, "security_exception", fmt.Sprintf("no permissions for [%s %s] and %s", r.Method, r.URL.Path, c))
	}
	f.auths = append(f.auths, r.Method+" "+r.URL.Path+" by "+c.String())
	return c, 0, ""
}

// fakeUser is an internal user of the fake security plugin.
type fakeUser struct {
	password                string
	backendRoles            []string
	opendistroSecurityRoles []string
	attributes              map[string]string
	description             string
}

// The keys each security plugin API accepts in a PUT body.
var securityPutKeys = map[string][]string{
	"roles":         {"description", "cluster_permissions", "index_permissions", "tenant_permissions"},
	"rolesmapping":  {"description", "backend_roles", "and_backend_roles", "hosts", "users"},
	"internalusers": {"description", "hash", "password", "backend_roles", "opendistro_security_roles", "attributes"},
}

func securityStatus(w http.ResponseWriter, status int, st, msg string) {
	writeJSON(w, status, map[string]string{"status": st, "message": msg})
}

// serveSecurity serves GET and PUT _plugins/_security/api/<api>/<name> as
// the security plugin does: GET answers {"<name>": {...}} or 404, PUT
// answers 201 (created) or 200 (updated) and rejects unknown keys and
// null lists. f.mu is held.
func (f *fakeDomain) serveSecurity(w http.ResponseWriter, r *http.Request, api, name string, body []byte) {
	allowed, ok := securityPutKeys[api]
	if !ok {
		f.t.Errorf("unexpected security API %s", api)
		securityStatus(w, 400, "BAD_REQUEST", "unknown API")
		return
	}
	switch r.Method {
	case http.MethodGet:
		var v any
		switch api {
		case "roles":
			if role, ok := f.roles[name]; ok {
				out := map[string]any{"reserved": false, "hidden": false, "static": false, "tenant_permissions": []any{}}
				for k, x := range role {
					out[k] = x
				}
				v = out
			}
		case "rolesmapping":
			if m, ok := f.roleMappings[name]; ok {
				out := map[string]any{"reserved": false, "hidden": false, "hosts": []any{}, "users": []any{}, "backend_roles": []any{}, "and_backend_roles": []any{}}
				for k, x := range m {
					out[k] = x
				}
				v = out
			}
		case "internalusers":
			if u, ok := f.internalUsers[name]; ok {
				// The hash is redacted and the password never returned.
				v = map[string]any{"hash": "", "reserved": false, "hidden": false, "static": false, "backend_roles": u.backendRoles,
					"opendistro_security_roles": u.opendistroSecurityRoles, "attributes": u.attributes, "description": u.description}
			}
		}
		if v == nil {
			securityStatus(w, 404, "NOT_FOUND", fmt.Sprintf("Resource '%s' not found.", name))
			return
		}
		writeJSON(w, 200, map[string]any{name: v})
	case http.MethodPut:
		if r.Header.Get("Content-Type") != "application/json" {
			securityStatus(w, 400, "BAD_REQUEST", "Content-Type must be application/json")
			return
		}
		var in map[string]json.RawMessage
		if err := json.Unmarshal(body, &in); err != nil {
			securityStatus(w, 400, "BAD_REQUEST", "Could not parse content of request.")
			return
		}
		for k, raw := range in {
			if !slices.Contains(allowed, k) {
				writeJSON(w, 400, map[string]any{"status": "error", "reason": "Invalid configuration", "invalid_keys": map[string]string{"keys": k}})
				return
			}
			if string(raw) == "null" {
				writeJSON(w, 400, map[string]any{"status": "error", "reason": "Invalid configuration", "wrong_datatypes": map[string]string{k: "Array expected"}})
				return
			}
		}
		var exists bool
		switch api {
		case "roles":
			var role map[string]any
			json.Unmarshal(body, &role)
			_, exists = f.roles[name]
			f.roles[name] = role
		case "rolesmapping":
			// The security plugin maps only a role that exists
			// (isValidRolesMapping in AbstractApiAction).
			if _, ok := f.roles[name]; !ok {
				securityStatus(w, 404, "NOT_FOUND", fmt.Sprintf("Role '%s' is not available for role-mapping.", name))
				return
			}
			var m map[string]any
			json.Unmarshal(body, &m)
			_, exists = f.roleMappings[name]
			f.roleMappings[name] = m
		case "internalusers":
			var u struct {
				Password                string            `json:"password"`
				BackendRoles            []string          `json:"backend_roles"`
				OpendistroSecurityRoles []string          `json:"opendistro_security_roles"`
				Attributes              map[string]string `json:"attributes"`
				Description             string            `json:"description"`
			}
			if err := json.Unmarshal(body, &u); err != nil {
				securityStatus(w, 400, "BAD_REQUEST", "Could not parse content of request.")
				return
			}
			old, found := f.internalUsers[name]
			exists = found
			if u.Password == "" && !found {
				securityStatus(w, 400, "BAD_REQUEST", "Please specify either 'hash' or 'password' when creating a new internal user.")
				return
			}
			if u.Password != "" && len(u.Password) < 8 {
				writeJSON(w, 400, map[string]string{"status": "error", "reason": "Password does not match minimum criteria"})
				return
			}
			nu := &fakeUser{password: u.Password, backendRoles: u.BackendRoles, opendistroSecurityRoles: u.OpendistroSecurityRoles, attributes: u.Attributes, description: u.Description}
			if u.Password == "" {
				nu.password = old.password
			}
			f.internalUsers[name] = nu
		}
		if exists {
			securityStatus(w, 200, "OK", fmt.Sprintf("'%s' updated.", name))
		} else {
			securityStatus(w, 201, "CREATED", fmt.Sprintf("'%s' created.", name))
		}
	default:
		f.t.Errorf("unexpected %s on %s", r.Method, r.URL.Path)
	}
}

// securityPuts counts the PUTs to the security plugin's API.
func (f *fakeDomain) securityPuts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for k, c := range f.requests {
		if strings.HasPrefix(k, "PUT "+securityAPI+"/") {
			n += c
		}
	}
	return n
}

// fakeSecret is a secret of the fake Secrets Manager.
type fakeSecret struct {
	versionID string
	value     *string
	binary    []byte
}

// fakeSecrets is Secrets Manager, speaking the JSON 1.1 protocol of
// GetSecretValue and checking SigV4 signing for secretsmanager.
type fakeSecrets struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	secrets map[string]fakeSecret
	// deny, if set, answers AccessDeniedException.
	deny  bool
	calls int
}

func newFakeSecrets(t *testing.T) *fakeSecrets {
	s := &fakeSecrets{t: t, secrets: map[string]fakeSecret{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *fakeSecrets) set(arn, versionID, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets[arn] = fakeSecret{versionID: versionID, value: &value}
}

// client returns a Secrets Manager client for the fake.
func (s *fakeSecrets) client() *secretsmanager.Client {
	return secretsmanager.NewFromConfig(testAWS, func(o *secretsmanager.Options) {
		o.BaseEndpoint = aws.String(s.srv.URL)
		o.RetryMaxAttempts = 1
	})
}

func awsJSONError(w http.ResponseWriter, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "req-1")
	w.WriteHeader(400)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

func (s *fakeSecrets) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	body, _ := io.ReadAll(r.Body)
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/secretsmanager/aws4_request") {
		s.t.Errorf("GetSecretValue not SigV4-signed for secretsmanager: %q", auth)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" || r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
		s.t.Errorf("unexpected Secrets Manager request %s %s %q %q", r.Method, r.URL.Path, r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"))
		awsJSONError(w, "InvalidRequestException", "bad request")
		return
	}
	var in struct {
		SecretID string `json:"SecretId"`
	}
	json.Unmarshal(body, &in)
	if s.deny {
		awsJSONError(w, "AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/bootstrap/fn is not authorized to perform: secretsmanager:GetSecretValue on resource: "+in.SecretID)
		return
	}
	sec, ok := s.secrets[in.SecretID]
	if !ok {
		awsJSONError(w, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	out := map[string]any{"ARN": in.SecretID, "Name": "dashboards", "VersionId": sec.versionID, "VersionStages": []string{"AWSCURRENT"}, "CreatedDate": 1.718e9}
	if sec.value != nil {
		out["SecretString"] = *sec.value
	}
	if sec.binary != nil {
		out["SecretBinary"] = sec.binary
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(out)
}
