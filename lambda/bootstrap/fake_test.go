package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/osclient"
)

// testKeyID is the access key of testAWS, the bootstrap function's role.
const testKeyID = "AKIDEXAMPLE"

// testSecretKey is the secret key of testAWS.
const testSecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

var testAWS = aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider(testKeyID, testSecretKey, "")}

// setTestAWSEnv gives the SDK's default configuration, as the function's
// main loads it, testAWS's credentials from the environment and nothing
// else: no config files, no instance metadata.
func setTestAWSEnv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

// fakeDomain is an OpenSearch domain with Dashboards that speaks the APIs
// the bootstrap uses: index templates, index mappings, ISM policies (with
// optimistic concurrency), ISM add/change_policy, the Dashboards saved
// objects import and the security plugin's roles, role mappings and
// internal users. It authenticates and authorizes every request as a
// domain with fine-grained access control would (see auth in
// fake_security_test.go): SigV4-signed requests by IAM role, HTTP basic
// authentication by internal user (only with an internal master user).
type fakeDomain struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	templates map[string]json.RawMessage
	// indices maps an existing index to its mapping properties.
	indices map[string]map[string]any
	// policies by id; seqNo is the domain-wide sequence number.
	policies map[string]*storedPolicy
	seqNo    int
	// managed maps an index to the policy and policy version managing it.
	managed map[string]managedIndex
	// savedObjects by "type:id": the Global tenant's. tenantObjects are
	// every other tenant's, by tenant (a private tenant is its user's,
	// "role <arn>" or "user <name>").
	savedObjects  map[string]savedObject
	tenantObjects map[string]map[string]savedObject
	// defaultTenant is the Dashboards default tenant, used when a request
	// names none (and has no session cookie, as the bootstrap's have not):
	// "" is Global, "private" the caller's private tenant, as an
	// administrator may set it (PUT _plugins/_security/api/tenancy/config).
	defaultTenant string
	// requests counts requests by "METHOD path"; order lists them in the
	// order they came.
	requests map[string]int
	order    []string
	// The security plugin's roles, role mappings and internal users.
	roles         map[string]map[string]any
	roleMappings  map[string]map[string]any
	internalUsers map[string]*fakeUser

	// keyRoles maps the access key id a request is signed with to the
	// caller's IAM role ARN; iamMaster is the IAM master's role ARN (""
	// when the master is the internal user masterUser, which turns the
	// internal user database, and so basic authentication, on).
	keyRoles                   map[string]string
	iamMaster                  string
	masterUser, masterPassword string
	// auths lists "METHOD path by <who>" for every authorized request.
	auths []string

	// fail, if set, may fail the n-th request (1-based) to "METHOD path"
	// with a status and body.
	fail func(key string, n int) (status int, body string)
	// beforePolicyPut, if set, runs before a policy PUT is applied.
	beforePolicyPut func(n int)
	// sa is the Notifications and Security Analytics state (fake_secanalytics_test.go).
	sa *fakeSA
}

type storedPolicy struct {
	policy      map[string]any
	seqNo       int
	primaryTerm int
	version     int
}

type managedIndex struct {
	policyID string
	version  int
}

type savedObject struct {
	Type       string          `json:"type"`
	ID         string          `json:"id"`
	Attributes map[string]any  `json:"attributes"`
	References []Reference     `json:"references"`
	Raw        json.RawMessage `json:"-"`
}

// Reference is a saved object reference.
type Reference struct {
	Name string `json:"name"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

func newFakeDomain(t *testing.T) *fakeDomain {
	f := &fakeDomain{t: t, templates: map[string]json.RawMessage{}, indices: map[string]map[string]any{},
		policies: map[string]*storedPolicy{}, managed: map[string]managedIndex{}, savedObjects: map[string]savedObject{}, tenantObjects: map[string]map[string]savedObject{}, requests: map[string]int{},
		roles: map[string]map[string]any{}, roleMappings: map[string]map[string]any{}, internalUsers: map[string]*fakeUser{},
		// By default the test credentials are the bootstrap role, the IAM master.
		keyRoles: map[string]string{testKeyID: bootstrapArn}, iamMaster: bootstrapArn}
	f.setStaticRoles(objects.AdminRole, "security_manager", objects.DashboardsUserRole)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// applier returns an Applier for the fake with the real, signing client and
// a recording sleeper.
func (f *fakeDomain) applier(t *testing.T, sleeps *[]time.Duration) *Applier {
	t.Helper()
	c, err := osclient.New(osclient.Options{Endpoint: f.srv.URL, AWS: testAWS})
	if err != nil {
		t.Fatal(err)
	}
	return &Applier{Client: c.Client, NewBasicAuthClient: basicAuthClient(f.srv.URL, 0, nil), MaxAttempts: 4, BaseDelay: time.Second, Log: quietLog,
		Sleep: func(ctx context.Context, d time.Duration) error {
			if sleeps != nil {
				*sleeps = append(*sleeps, d)
			}
			return ctx.Err()
		}}
}

func (f *fakeDomain) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[key]
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if s, ok := v.(string); ok {
		io.WriteString(w, s)
		return
	}
	json.NewEncoder(w).Encode(v)
}

func osError(status int, typ, reason string) string {
	return fmt.Sprintf(`{"error":{"root_cause":[{"type":%q,"reason":%q}],"type":%q,"reason":%q},"status":%d}`, typ, reason, typ, reason, status)
}

// matching returns the existing indices a pattern like "cwl-*" matches.
func (f *fakeDomain) matching(pattern string) []string {
	prefix, wildcard := strings.CutSuffix(pattern, "*")
	var out []string
	for name := range f.indices {
		if name == pattern || (wildcard && strings.HasPrefix(name, prefix)) {
			out = append(out, name)
		}
	}
	return out
}

func (f *fakeDomain) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		if sum := sha256.Sum256(body); r.Header.Get("X-Amz-Content-Sha256") != hex.EncodeToString(sum[:]) {
			f.t.Errorf("%s %s: X-Amz-Content-Sha256 does not match the body", r.Method, r.URL.Path)
		}
	}
	key := r.Method + " " + r.URL.Path
	f.mu.Lock()
	f.requests[key]++
	f.order = append(f.order, key)
	n := f.requests[key]
	c, status, msg := f.auth(r)
	f.mu.Unlock()
	if status != 0 {
		writeJSON(w, status, msg)
		return
	}
	if f.fail != nil {
		if status, msg := f.fail(key, n); status != 0 {
			writeJSON(w, status, msg)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "_index_template":
		f.serveTemplate(w, r, parts[1], body)
	case len(parts) == 2 && parts[1] == "_mapping" && r.Method == http.MethodPut:
		f.serveMapping(w, r, parts[0], body)
	case len(parts) == 4 && parts[0] == "_plugins" && parts[1] == "_ism" && parts[2] == "policies":
		f.servePolicy(w, r, parts[3], body)
	case len(parts) == 4 && parts[0] == "_plugins" && parts[1] == "_ism" && (parts[2] == "add" || parts[2] == "change_policy") && r.Method == http.MethodPost:
		f.serveISMIndices(w, parts[2], parts[3], body)
	case r.URL.Path == "/_dashboards/api/saved_objects/_import" && r.Method == http.MethodPost:
		f.serveImport(w, r, c, body)
	case len(parts) == 5 && parts[0] == "_dashboards" && parts[2] == "saved_objects" && r.Method == http.MethodGet:
		f.serveSavedObject(w, r, c, parts[3], parts[4])
	case len(parts) == 5 && parts[0] == "_plugins" && parts[1] == "_security" && parts[2] == "api":
		f.serveSecurity(w, r, parts[3], parts[4], body)
	case len(parts) >= 3 && parts[0] == "_plugins" && (parts[1] == "_security_analytics" || parts[1] == "_notifications"):
		f.serveSecurityAnalytics(w, r, parts, body)
	case len(parts) == 1 && r.Method == http.MethodPut && !strings.HasPrefix(parts[0], "_"):
		f.serveCreateIndex(w, parts[0])
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		writeJSON(w, http.StatusNotFound, osError(404, "not_found", "no handler"))
	}
}

func (f *fakeDomain) serveTemplate(w http.ResponseWriter, r *http.Request, name string, body []byte) {
	switch r.Method {
	case http.MethodGet:
		t, ok := f.templates[name]
		if !ok {
			writeJSON(w, 404, osError(404, "resource_not_found_exception", "index template matching ["+name+"] not found"))
			return
		}
		writeJSON(w, 200, map[string]any{"index_templates": []any{map[string]any{"name": name, "index_template": t}}})
	case http.MethodPut:
		var t struct {
			IndexPatterns []string `json:"index_patterns"`
			Template      struct {
				Mappings struct {
					Properties map[string]any `json:"properties"`
				} `json:"mappings"`
			} `json:"template"`
		}
		if err := json.Unmarshal(body, &t); err != nil || len(t.IndexPatterns) == 0 || len(t.Template.Mappings.Properties) == 0 {
			writeJSON(w, 400, osError(400, "parse_exception", "bad template"))
			return
		}
		f.templates[name] = append(json.RawMessage(nil), body...)
		writeJSON(w, 200, `{"acknowledged":true}`)
	default:
		f.t.Errorf("unexpected %s on a template", r.Method)
	}
}

func (f *fakeDomain) serveMapping(w http.ResponseWriter, r *http.Request, pattern string, body []byte) {
	var m struct {
		Properties map[string]map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		writeJSON(w, 400, osError(400, "parse_exception", err.Error()))
		return
	}
	names := f.matching(pattern)
	if len(names) == 0 && r.URL.Query().Get("allow_no_indices") != "true" {
		writeJSON(w, 404, osError(404, "index_not_found_exception", "no such index ["+pattern+"]"))
		return
	}
	for _, name := range names {
		for field, p := range m.Properties {
			if old, ok := f.indices[name][field].(map[string]any); ok && old["type"] != p["type"] {
				writeJSON(w, 400, osError(400, "illegal_argument_exception", fmt.Sprintf("mapper [%s] cannot be changed from type [%v] to [%v]", field, old["type"], p["type"])))
				return
			}
		}
	}
	for _, name := range names {
		for field, p := range m.Properties {
			f.indices[name][field] = map[string]any(p)
		}
	}
	writeJSON(w, 200, `{"acknowledged":true}`)
}

func (f *fakeDomain) servePolicy(w http.ResponseWriter, r *http.Request, id string, body []byte) {
	p := f.policies[id]
	switch r.Method {
	case http.MethodGet:
		if p == nil {
			writeJSON(w, 404, osError(404, "status_exception", "Policy not found"))
			return
		}
		// ISM returns the policy with its defaults filled in.
		pol := map[string]any{"policy_id": id, "last_updated_time": 1718000000000, "schema_version": 21, "error_notification": nil}
		for k, v := range p.policy {
			pol[k] = v
		}
		writeJSON(w, 200, map[string]any{"_id": id, "_version": p.version, "_seq_no": p.seqNo, "_primary_term": p.primaryTerm, "policy": pol})
	case http.MethodPut:
		if f.beforePolicyPut != nil {
			f.beforePolicyPut(f.requests[r.Method+" "+r.URL.Path])
			p = f.policies[id]
		}
		q := r.URL.Query()
		if p != nil {
			if q.Get("if_seq_no") != strconv.Itoa(p.seqNo) || q.Get("if_primary_term") != strconv.Itoa(p.primaryTerm) {
				writeJSON(w, 409, osError(409, "version_conflict_engine_exception", fmt.Sprintf("[%s]: version conflict, required seqNo [%s], primary term [%s]. current document has seqNo [%d] and primary term [%d]", id, q.Get("if_seq_no"), q.Get("if_primary_term"), p.seqNo, p.primaryTerm)))
				return
			}
		} else if q.Has("if_seq_no") {
			writeJSON(w, 409, osError(409, "version_conflict_engine_exception", "document missing"))
			return
		}
		var in struct {
			Policy map[string]any `json:"policy"`
		}
		if err := json.Unmarshal(body, &in); err != nil || in.Policy["states"] == nil || in.Policy["default_state"] == nil {
			writeJSON(w, 400, osError(400, "illegal_argument_exception", "bad policy"))
			return
		}
		f.seqNo++
		status := 201
		if p == nil {
			p = &storedPolicy{primaryTerm: 1}
			f.policies[id] = p
		} else {
			status = 200
		}
		p.policy, p.seqNo = in.Policy, f.seqNo
		p.version++
		writeJSON(w, status, map[string]any{"_id": id, "_version": p.version, "_seq_no": p.seqNo, "_primary_term": p.primaryTerm, "policy": map[string]any{"policy": in.Policy}})
	default:
		f.t.Errorf("unexpected %s on a policy", r.Method)
	}
}

func (f *fakeDomain) serveISMIndices(w http.ResponseWriter, api, pattern string, body []byte) {
	var in struct {
		PolicyID string `json:"policy_id"`
	}
	if err := json.Unmarshal(body, &in); err != nil || f.policies[in.PolicyID] == nil {
		writeJSON(w, 404, osError(404, "resource_not_found_exception", "no policy"))
		return
	}
	updated := 0
	failed := []any{}
	for _, name := range f.matching(pattern) {
		m, isManaged := f.managed[name]
		switch {
		case api == "add" && isManaged:
			failed = append(failed, map[string]string{"index_name": name, "index_uuid": "u-" + name, "reason": "This index already has a policy, use the update policy API to update index policies."})
		case api == "add":
			f.managed[name] = managedIndex{policyID: in.PolicyID, version: f.policies[in.PolicyID].version}
			updated++
		case !isManaged:
			failed = append(failed, map[string]string{"index_name": name, "index_uuid": "u-" + name, "reason": "This index does not have a policy"})
		default:
			m.policyID, m.version = in.PolicyID, f.policies[in.PolicyID].version
			f.managed[name] = m
			updated++
		}
	}
	writeJSON(w, 200, map[string]any{"updated_indices": updated, "failures": len(failed) > 0, "failed_indices": failed})
}

// globalTenant is the security plugin's name of the Global tenant.
const globalTenant = "global_tenant"

// dashboardsTenant is the tenant a Dashboards request works in, as
// resolveTenant (security-dashboards-plugin
// server/multitenancy/tenant_resolver.ts) picks it for a request without a
// session cookie: the securitytenant (or securityTenant_) header, else the
// default tenant; "global", "Global" and "" are the Global tenant,
// "private" and "__user__" the caller's private tenant. The bootstrap
// names no other tenant. f.mu is held.
func (f *fakeDomain) dashboardsTenant(r *http.Request, c caller) string {
	requested := r.Header.Get("securitytenant")
	if requested == "" {
		requested = r.Header.Get("securityTenant_")
	}
	if requested == "" {
		requested = f.defaultTenant
	}
	switch requested {
	case "", "global", "Global":
		return globalTenant
	case "private", "__user__":
		return c.String()
	}
	f.t.Errorf("%s %s: unexpected tenant %q", r.Method, r.URL.Path, requested)
	return requested
}

// tenantStore returns a tenant's saved objects. f.mu is held.
func (f *fakeDomain) tenantStore(tenant string) map[string]savedObject {
	if tenant == globalTenant {
		return f.savedObjects
	}
	if f.tenantObjects[tenant] == nil {
		f.tenantObjects[tenant] = map[string]savedObject{}
	}
	return f.tenantObjects[tenant]
}

// serveSavedObject serves GET /_dashboards/api/saved_objects/<type>/<id>
// from the request's tenant, if the caller may read in it.
func (f *fakeDomain) serveSavedObject(w http.ResponseWriter, r *http.Request, c caller, typ, id string) {
	tenant := f.dashboardsTenant(r, c)
	if !f.tenantAllowed(c, tenant, false) {
		writeJSON(w, 403, osError(403, "security_exception", fmt.Sprintf("no permissions for indices:data/read/get and %s in tenant %s", c, tenant)))
		return
	}
	o, ok := f.tenantStore(tenant)[typ+":"+id]
	if !ok {
		writeJSON(w, 404, fmt.Sprintf(`{"statusCode":404,"error":"Not Found","message":"Saved object [%s/%s] not found"}`, typ, id))
		return
	}
	writeJSON(w, 200, o.Raw)
}

func (f *fakeDomain) serveImport(w http.ResponseWriter, r *http.Request, c caller, body []byte) {
	if r.Header.Get("osd-xsrf") != "true" {
		writeJSON(w, 400, `{"statusCode":400,"error":"Bad Request","message":"Request must contain a osd-xsrf header."}`)
		return
	}
	tenant := f.dashboardsTenant(r, c)
	if !f.tenantAllowed(c, tenant, true) {
		writeJSON(w, 403, osError(403, "security_exception", fmt.Sprintf("no permissions for indices:data/write/bulk and %s in tenant %s", c, tenant)))
		return
	}
	store := f.tenantStore(tenant)
	overwrite := r.URL.Query().Get("overwrite") == "true"
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		writeJSON(w, 415, `{"statusCode":415,"error":"Unsupported Media Type"}`)
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var file []byte
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		if part.FormName() == "file" && strings.HasSuffix(part.FileName(), ".ndjson") {
			file, _ = io.ReadAll(part)
		}
	}
	if file == nil {
		writeJSON(w, 400, `{"statusCode":400,"error":"Bad Request","message":"[request body.file]: expected value of type [Stream]"}`)
		return
	}
	var objs []savedObject
	for _, line := range bytes.Split(bytes.TrimSpace(file), []byte("\n")) {
		var o savedObject
		if err := json.Unmarshal(line, &o); err != nil || o.ID == "" || o.Type == "" {
			writeJSON(w, 400, `{"statusCode":400,"error":"Bad Request","message":"Unexpected token in JSON"}`)
			return
		}
		for _, k := range []string{"visState", "uiStateJSON", "panelsJSON", "optionsJSON"} {
			if v, ok := o.Attributes[k]; ok {
				if s, isString := v.(string); !isString || !json.Valid([]byte(s)) {
					f.t.Errorf("saved object %s: %s is not JSON text", o.ID, k)
				}
			}
		}
		o.Raw = append(json.RawMessage(nil), line...)
		objs = append(objs, o)
	}
	known := map[string]bool{}
	for k := range store {
		known[k] = true
	}
	for _, o := range objs {
		known[o.Type+":"+o.ID] = true
	}
	var errs []any
	var results []any
	for _, o := range objs {
		key := o.Type + ":" + o.ID
		var missing []any
		for _, ref := range o.References {
			if !known[ref.Type+":"+ref.ID] {
				missing = append(missing, map[string]string{"type": ref.Type, "id": ref.ID})
			}
		}
		title, _ := o.Attributes["title"].(string)
		if len(missing) > 0 {
			errs = append(errs, map[string]any{"id": o.ID, "type": o.Type, "title": title, "error": map[string]any{"type": "missing_references", "references": missing}})
			continue
		}
		if _, exists := store[key]; exists && !overwrite {
			errs = append(errs, map[string]any{"id": o.ID, "type": o.Type, "title": title, "error": map[string]any{"type": "conflict"}})
			continue
		}
		store[key] = o
		results = append(results, map[string]any{"type": o.Type, "id": o.ID, "meta": map[string]string{"title": title}, "overwrite": overwrite})
	}
	resp := map[string]any{"successCount": len(results), "success": len(errs) == 0, "successResults": results}
	if len(errs) > 0 {
		resp["errors"] = errs
	}
	writeJSON(w, 200, resp)
}
