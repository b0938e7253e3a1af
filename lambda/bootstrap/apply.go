package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opensearch-project/opensearch-go/v4"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/internal/wait"
)

// Outcomes of applying one object.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
)

// Result says what Apply did.
type Result struct {
	// Hash is the content hash of the applied objects.
	Hash string `json:"hash"`
	// Security is what was done to the security plugin's roles, role
	// mappings and internal users.
	Security SecurityResult `json:"security"`
	// TemplateName and Template: the index template and its outcome.
	TemplateName string `json:"templateName"`
	Template     string `json:"template"`
	// MappingsUpdated is set when existing indices were given the
	// template's mappings.
	MappingsUpdated bool `json:"mappingsUpdated"`
	// PolicyID and Policy: the ISM policy and its outcome.
	PolicyID string `json:"policyId"`
	Policy   string `json:"policy"`
	// PolicyAdded is the number of existing indices the policy was
	// attached to; PolicyChanged the number of managed indices moved to
	// the policy's new version.
	PolicyAdded   int `json:"policyAdded"`
	PolicyChanged int `json:"policyChanged"`
	// SavedObjects is the number of saved objects imported (created or
	// overwritten), SavedObjectIDs their "type:id".
	SavedObjects   int      `json:"savedObjects"`
	SavedObjectIDs []string `json:"savedObjectIds"`
	// SecurityAnalytics is what was done to the Security Analytics
	// objects; nil when the input does not turn them on.
	SecurityAnalytics *SecurityAnalyticsResult `json:"securityAnalytics,omitempty"`
	// Warnings are problems that do not fail the bootstrap.
	Warnings []string `json:"warnings,omitempty"`
}

// Applier applies objects to a domain through SigV4-signed requests (the
// security step, on a domain whose master user is internal, through HTTP
// basic authentication as that master).
// Requests that fail with a connection error or a 429/502/503/504 status
// are retried with jittered exponential backoff: a new domain's Dashboards
// may answer 503 for a while.
type Applier struct {
	Client *opensearch.Client
	// NewBasicAuthClient returns a client for the same domain that sends
	// HTTP basic authentication instead of signing: the security step uses
	// it as the internal master user when the input names its secret.
	NewBasicAuthClient func(user, password string) (*opensearch.Client, error)
	// Secrets reads the Dashboards user's and the master user's
	// passwords; needed only when the input names a secret.
	Secrets SecretGetter
	// MaxAttempts is the number of tries of a request; zero means 6.
	MaxAttempts int
	// BaseDelay is the first retry's delay, doubled each time up to 20s;
	// zero means 1s.
	BaseDelay time.Duration
	// Sleep waits for d or until ctx is done; nil sleeps.
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a number in [0, 1) for the jitter; nil means 0.5.
	Rand func() float64
	// Now is the current time (the day of the index the Security
	// Analytics step creates); nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// APIError is a request that failed with an HTTP status.
type APIError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *APIError) Error() string {
	body := e.Body
	if len(body) > 2000 {
		body = body[:2000] + "..."
	}
	return fmt.Sprintf("%s %s: status %d: %s", e.Method, e.Path, e.Status, body)
}

// Apply applies the security configuration (roles, role mappings, the
// Dashboards user; first, so that the indexer can write as soon as the
// invocation returns), the template, the mappings of existing indices, the
// ISM policy and its attachment, the Security Analytics objects (when the
// input turns them on) and the saved objects, in this order.
// Every step is idempotent; a second run with the same objects changes
// nothing and reports "unchanged".
func (a *Applier) Apply(ctx context.Context, o *objects.Objects) (Result, error) {
	r := Result{Hash: o.Hash, TemplateName: o.TemplateName, PolicyID: o.PolicyID}
	var err error
	if o.Security == nil {
		r.Security.Skipped = "the input has no writerBackendRoles, readerBackendRoles or dashboardsUserSecretArn: the security configuration is left as it is"
	} else if r.Security, err = a.applySecurity(ctx, o.Security); err != nil {
		return r, fmt.Errorf("security configuration: %w", err)
	}
	if r.Template, err = a.applyTemplate(ctx, o); err != nil {
		return r, fmt.Errorf("index template %s: %w", o.TemplateName, err)
	}
	if r.Template != Unchanged {
		if r.MappingsUpdated, err = a.updateMappings(ctx, o); err != nil {
			return r, fmt.Errorf("mappings of existing %s indices: %w", o.IndexPattern, err)
		}
	}
	if r.Policy, err = a.applyPolicy(ctx, o); err != nil {
		return r, fmt.Errorf("ISM policy %s: %w", o.PolicyID, err)
	}
	var warn []string
	if r.PolicyAdded, warn, err = a.ismIndices(ctx, "add", o); err != nil {
		return r, fmt.Errorf("attaching ISM policy %s to existing indices: %w", o.PolicyID, err)
	}
	r.Warnings = append(r.Warnings, warn...)
	if r.Policy == Updated {
		if r.PolicyChanged, warn, err = a.ismIndices(ctx, "change_policy", o); err != nil {
			return r, fmt.Errorf("moving managed indices to the new version of ISM policy %s: %w", o.PolicyID, err)
		}
		r.Warnings = append(r.Warnings, warn...)
	}
	if o.SecurityAnalytics != nil {
		if r.SecurityAnalytics, err = a.applySecurityAnalytics(ctx, o); err != nil {
			return r, fmt.Errorf("Security Analytics: %w", err)
		}
		r.Warnings = append(r.Warnings, o.SecurityAnalytics.Skipped...)
	}
	if r.SavedObjects, err = a.importSavedObjects(ctx, o); err != nil {
		return r, fmt.Errorf("importing Dashboards saved objects: %w", err)
	}
	r.SavedObjectIDs = o.SavedObjectIDs
	for _, f := range o.MissingFields {
		r.Warnings = append(r.Warnings, fmt.Sprintf("the flow log format has no %q field: the visualisations that read it will show an error", f))
	}
	return r, nil
}

// applyTemplate puts the index template unless the domain's copy has the
// same fingerprint.
func (a *Applier) applyTemplate(ctx context.Context, o *objects.Objects) (string, error) {
	path := "/_index_template/" + o.TemplateName
	status, body, err := a.do(ctx, http.MethodGet, path, nil, nil, nil, http.StatusNotFound)
	if err != nil {
		return "", err
	}
	outcome := Created
	if status == http.StatusOK {
		var got struct {
			IndexTemplates []struct {
				IndexTemplate struct {
					Meta struct {
						Fingerprint string `json:"fingerprint"`
					} `json:"_meta"`
				} `json:"index_template"`
			} `json:"index_templates"`
		}
		if err := json.Unmarshal(body, &got); err != nil {
			return "", fmt.Errorf("GET %s: unreadable response: %w", path, err)
		}
		if len(got.IndexTemplates) == 1 && got.IndexTemplates[0].IndexTemplate.Meta.Fingerprint == o.TemplateFingerprint {
			return Unchanged, nil
		}
		outcome = Updated
	}
	if _, _, err := a.do(ctx, http.MethodPut, path, nil, jsonHeader(), o.Template); err != nil {
		return "", err
	}
	return outcome, nil
}

// updateMappings gives existing indices of the pattern the template's
// properties (adding fields; a type conflict is an error). It reports
// whether any index matched.
func (a *Applier) updateMappings(ctx context.Context, o *objects.Objects) (bool, error) {
	q := url.Values{"allow_no_indices": {"true"}, "ignore_unavailable": {"true"}}
	status, _, err := a.do(ctx, http.MethodPut, "/"+o.IndexPattern+"/_mapping", q, jsonHeader(), o.Mappings, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	return status == http.StatusOK, nil
}

// ismPolicy is the part of GET _plugins/_ism/policies/<id> that matters.
type ismPolicy struct {
	SeqNo       *int `json:"_seq_no"`
	PrimaryTerm *int `json:"_primary_term"`
	Policy      struct {
		Description string `json:"description"`
	} `json:"policy"`
}

// applyPolicy creates the policy, or updates it with optimistic
// concurrency (if_seq_no/if_primary_term) when its description (which
// carries the policy's fingerprint) differs. A conflict re-reads it once.
func (a *Applier) applyPolicy(ctx context.Context, o *objects.Objects) (string, error) {
	path := "/_plugins/_ism/policies/" + o.PolicyID
	for try := 1; ; try++ {
		status, body, err := a.do(ctx, http.MethodGet, path, nil, nil, nil, http.StatusNotFound)
		if err != nil {
			return "", err
		}
		outcome, q := Created, url.Values(nil)
		if status == http.StatusOK {
			var got ismPolicy
			if err := json.Unmarshal(body, &got); err != nil || got.SeqNo == nil || got.PrimaryTerm == nil {
				return "", fmt.Errorf("GET %s: unreadable response (%v): %s", path, err, body)
			}
			if got.Policy.Description == o.PolicyDescription {
				return Unchanged, nil
			}
			outcome = Updated
			q = url.Values{"if_seq_no": {strconv.Itoa(*got.SeqNo)}, "if_primary_term": {strconv.Itoa(*got.PrimaryTerm)}}
		}
		status, _, err = a.do(ctx, http.MethodPut, path, q, jsonHeader(), o.Policy, http.StatusConflict)
		if err != nil {
			return "", err
		}
		if status != http.StatusConflict {
			return outcome, nil
		}
		if try == 2 {
			return "", fmt.Errorf("PUT %s: the policy kept changing underneath (409 twice)", path)
		}
	}
}

// ismIndices calls the ISM add or change_policy API on the pattern's
// indices and returns how many indices it updated. Indices that already
// have the policy are not a problem; other failures become warnings.
func (a *Applier) ismIndices(ctx context.Context, api string, o *objects.Objects) (int, []string, error) {
	body, _ := json.Marshal(map[string]string{"policy_id": o.PolicyID})
	path := "/_plugins/_ism/" + api + "/" + o.IndexPattern
	status, resp, err := a.do(ctx, http.MethodPost, path, nil, jsonHeader(), body, http.StatusNotFound)
	if err != nil || status == http.StatusNotFound {
		return 0, nil, err
	}
	var got struct {
		UpdatedIndices int `json:"updated_indices"`
		FailedIndices  []struct {
			IndexName string `json:"index_name"`
			Reason    string `json:"reason"`
		} `json:"failed_indices"`
	}
	if err := json.Unmarshal(resp, &got); err != nil {
		return 0, nil, fmt.Errorf("POST %s: unreadable response: %w", path, err)
	}
	var warnings []string
	for _, f := range got.FailedIndices {
		if api == "add" && strings.Contains(f.Reason, "already has a policy") {
			continue
		}
		warnings = append(warnings, fmt.Sprintf("ISM %s on index %s: %s", api, f.IndexName, f.Reason))
	}
	return got.UpdatedIndices, warnings, nil
}

// DashboardsTenant is the Dashboards tenant the saved objects are imported
// into, sent in the securitytenant header of every Dashboards API request.
// Without it the security Dashboards plugin picks the tenant from the
// session cookie (the bootstrap has none) or else, with multitenancy on,
// from the domain's default tenant (resolveTenant in
// security-dashboards-plugin server/multitenancy/tenant_resolver.ts), which
// an administrator may set to Private (PUT _plugins/_security/api/tenancy/config,
// OpenSearch 2.7+): the objects would then land in the bootstrap role's own
// private tenant, which no reader sees, and the import would still succeed.
// "global" is one of the plugin's GLOBAL_TENANTS names, resolved to the
// Global tenant whenever it is enabled.
const DashboardsTenant = "global"

// dashboardsHeader returns the headers of a Dashboards API request: the
// osd-xsrf header Dashboards requires of a POST, and the tenant.
func dashboardsHeader(contentType string) http.Header {
	return http.Header{"Content-Type": {contentType}, "Osd-Xsrf": {"true"}, "Securitytenant": {DashboardsTenant}}
}

// importSavedObjects imports the saved objects with overwrite=true into the
// Global tenant (DashboardsTenant): objects keep their fixed ids, so a
// re-import updates them instead of adding copies.
func (a *Applier) importSavedObjects(ctx context.Context, o *objects.Objects) (int, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="vpc-flow-logs.ndjson"`)
	h.Set("Content-Type", "application/ndjson")
	part, err := mw.CreatePart(h)
	if err != nil {
		return 0, err
	}
	part.Write(o.SavedObjects)
	if err := mw.Close(); err != nil {
		return 0, err
	}
	header := dashboardsHeader(mw.FormDataContentType())
	path := "/_dashboards/api/saved_objects/_import"
	_, body, err := a.do(ctx, http.MethodPost, path, url.Values{"overwrite": {"true"}}, header, buf.Bytes())
	if err != nil {
		return 0, err
	}
	var got struct {
		Success      bool `json:"success"`
		SuccessCount int  `json:"successCount"`
		Errors       []struct {
			ID    string `json:"id"`
			Type  string `json:"type"`
			Title string `json:"title"`
			Error struct {
				Type       string `json:"type"`
				Message    string `json:"message"`
				References []struct {
					Type string `json:"type"`
					ID   string `json:"id"`
				} `json:"references"`
			} `json:"error"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		return 0, fmt.Errorf("POST %s: unreadable response: %w", path, err)
	}
	if !got.Success || len(got.Errors) > 0 {
		var msgs []string
		for _, e := range got.Errors {
			m := fmt.Sprintf("%s %s: %s", e.Type, e.ID, e.Error.Type)
			if e.Error.Message != "" {
				m += ": " + e.Error.Message
			}
			for _, r := range e.Error.References {
				m += fmt.Sprintf(" (missing %s %s)", r.Type, r.ID)
			}
			msgs = append(msgs, m)
		}
		return got.SuccessCount, fmt.Errorf("%d of %d saved objects imported; errors: %s", got.SuccessCount, len(o.SavedObjectIDs), strings.Join(msgs, "; "))
	}
	if got.SuccessCount != len(o.SavedObjectIDs) {
		return got.SuccessCount, fmt.Errorf("%d of %d saved objects imported", got.SuccessCount, len(o.SavedObjectIDs))
	}
	return got.SuccessCount, nil
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// rawRequest is a request with a ready body, for opensearch.Client.Do.
type rawRequest struct {
	path   string
	query  url.Values
	header http.Header
	body   []byte
}

// GetRequest implements opensearch.Request.
func (r rawRequest) GetRequest(method string) (*http.Request, error) {
	u := &url.URL{Path: r.path, RawQuery: r.query.Encode()}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequest(method, u.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	return req, nil
}

// do sends a request, retrying connection errors and 429/502/503/504. A 2xx
// status, or one of okStatus, is returned as is; any other status is an
// *APIError.
func (a *Applier) do(ctx context.Context, method, path string, query url.Values, header http.Header, body []byte, okStatus ...int) (int, []byte, error) {
	attempts := a.MaxAttempts
	if attempts <= 0 {
		attempts = 6
	}
	var lastErr error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			if err := a.sleep(ctx, a.backoff(attempt-1)); err != nil {
				return 0, nil, fmt.Errorf("%w (last error: %v)", err, lastErr)
			}
		}
		resp, err := opensearch.Do(ctx, a.Client, method, rawRequest{path: path, query: query, header: header, body: body}, (*opensearch.NoBody)(nil))
		if err != nil && (resp == nil || resp.Body == nil) {
			if ctx.Err() != nil {
				return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			lastErr = fmt.Errorf("%s %s: %w", method, path, err)
			a.logger().Warn("request failed", "method", method, "path", path, "attempt", attempt, "error", err)
			continue
		}
		var respBody []byte
		if resp.Body != nil {
			respBody, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		status := resp.StatusCode
		switch {
		case status >= 200 && status < 300:
			return status, respBody, nil
		case containsInt(okStatus, status):
			return status, respBody, nil
		case status == http.StatusTooManyRequests, status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
			lastErr = &APIError{Method: method, Path: path, Status: status, Body: string(respBody)}
			a.logger().Warn("request failed", "method", method, "path", path, "attempt", attempt, "status", status)
			continue
		default:
			return status, respBody, &APIError{Method: method, Path: path, Status: status, Body: string(respBody)}
		}
	}
	return 0, nil, fmt.Errorf("after %d attempts: %w", attempts, lastErr)
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func (a *Applier) backoff(retry int) time.Duration {
	d := a.BaseDelay
	if d <= 0 {
		d = time.Second
	}
	for i := 1; i < retry && d < 20*time.Second; i++ {
		d *= 2
	}
	d = min(d, 20*time.Second)
	r := 0.5
	if a.Rand != nil {
		r = a.Rand()
	}
	return d/2 + time.Duration(r*float64(d/2))
}

func (a *Applier) sleep(ctx context.Context, d time.Duration) error {
	if a.Sleep != nil {
		return a.Sleep(ctx, d)
	}
	return wait.Sleep(ctx, d)
}

func (a *Applier) logger() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}
