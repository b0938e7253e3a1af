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
)

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
