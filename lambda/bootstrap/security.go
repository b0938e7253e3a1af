package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/vpcflowlogs/vpc-flow-logs/lambda/bootstrap/objects"
)

// securityAPI is the security plugin's REST API.
const securityAPI = "/_plugins/_security/api"

// secretTimeout bounds the reading of the Dashboards user's secret.
const secretTimeout = time.Minute

// Attributes of the internal Dashboards user that the bootstrap keeps.
const (
	attrManagedBy       = "managed_by"
	attrSecretArn       = "secret_arn"
	attrSecretVersionID = "secret_version_id"
)

// SecretGetter reads a Secrets Manager secret; *secretsmanager.Client
// implements it.
type SecretGetter interface {
	GetSecretValue(ctx context.Context, params *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecurityResult says what the security step did: the outcome (created,
// updated, unchanged) of each role, role mapping and internal user.
type SecurityResult struct {
	// Skipped says why the security configuration was left alone.
	Skipped       string            `json:"skipped,omitempty"`
	Roles         map[string]string `json:"roles,omitempty"`
	RoleMappings  map[string]string `json:"roleMappings,omitempty"`
	InternalUsers map[string]string `json:"internalUsers,omitempty"`
}

// applySecurity applies the roles, the role mappings and the internal
// Dashboards user. The writer's role and mapping come first, so that the
// indexer can write even if a later step (such as reading the secret)
// fails.
//
// On a domain whose master user is internal (s.MasterUserSecretArn set),
// only the master may change the security configuration, so these requests
// use HTTP basic authentication as the master; the first mapping adds the
// function's own role to all_access so that its signed requests may apply
// the other objects.
func (a *Applier) applySecurity(ctx context.Context, s *objects.Security) (SecurityResult, error) {
	r := SecurityResult{Roles: map[string]string{}, RoleMappings: map[string]string{}}
	if s.MasterUserSecretArn != "" {
		master, err := a.asMaster(ctx, s.MasterUserSecretArn)
		if err != nil {
			return r, fmt.Errorf("master user %s: %w", objects.MasterUser, err)
		}
		a = master
	}
	for _, role := range s.Roles {
		outcome, err := a.applyRole(ctx, role)
		if err != nil {
			return r, fmt.Errorf("security role %s: %w", role.Name, err)
		}
		r.Roles[role.Name] = outcome
	}
	for _, m := range s.Mappings {
		role, err := a.roleToMap(ctx, m)
		if err != nil {
			return r, fmt.Errorf("role mapping %s: %w", m.Role, err)
		}
		m.Role = role
		outcome, err := a.applyRoleMapping(ctx, m)
		if err != nil {
			return r, fmt.Errorf("role mapping %s: %w", m.Role, err)
		}
		r.RoleMappings[m.Role] = outcome
	}
	if s.DashboardsUserSecretArn != "" {
		outcome, err := a.applyDashboardsUser(ctx, s.DashboardsUserSecretArn)
		if err != nil {
			return r, fmt.Errorf("internal user %s: %w", objects.DashboardsUser, err)
		}
		r.InternalUsers = map[string]string{objects.DashboardsUser: outcome}
	}
	return r, nil
}

// securityRole is a role as the security plugin returns it.
type securityRole struct {
	Description        string   `json:"description"`
	ClusterPermissions []string `json:"cluster_permissions"`
	IndexPermissions   []struct {
		IndexPatterns  []string `json:"index_patterns"`
		DLS            string   `json:"dls"`
		FLS            []string `json:"fls"`
		MaskedFields   []string `json:"masked_fields"`
		AllowedActions []string `json:"allowed_actions"`
	} `json:"index_permissions"`
	TenantPermissions []objects.TenantPermission `json:"tenant_permissions"`
}

// sameRole reports whether the domain's role grants exactly what want does
// (its cluster, index and tenant permissions) and carries its description
// (and so its fingerprint).
func sameRole(got securityRole, want objects.SecurityRole) bool {
	if got.Description != want.Description || !sameSet(got.ClusterPermissions, want.ClusterPermissions) ||
		len(got.TenantPermissions) != len(want.TenantPermissions) || len(got.IndexPermissions) != len(want.IndexPermissions) {
		return false
	}
	for i, p := range got.TenantPermissions {
		w := want.TenantPermissions[i]
		if !sameSet(p.TenantPatterns, w.TenantPatterns) || !sameSet(p.AllowedActions, w.AllowedActions) {
			return false
		}
	}
	for i, p := range got.IndexPermissions {
		w := want.IndexPermissions[i]
		if p.DLS != "" || len(p.FLS) != 0 || len(p.MaskedFields) != 0 ||
			!sameSet(p.IndexPatterns, w.IndexPatterns) || !sameSet(p.AllowedActions, w.AllowedActions) {
			return false
		}
	}
	return true
}

// applyRole puts a role unless the domain's copy is the same.
func (a *Applier) applyRole(ctx context.Context, role objects.SecurityRole) (string, error) {
	path := securityAPI + "/roles/" + role.Name
	var got securityRole
	found, err := a.getSecurityObject(ctx, path, role.Name, &got)
	if err != nil {
		return "", err
	}
	outcome := Created
	if found {
		if sameRole(got, role) {
			return Unchanged, nil
		}
		outcome = Updated
	}
	if _, _, err := a.do(ctx, http.MethodPut, path, nil, jsonHeader(), role.Body); err != nil {
		return "", err
	}
	return outcome, nil
}

// roleToMap returns the role a mapping goes to: m.Role, or m.Fallback when
// the domain has only that (a domain whose Dashboards user role is still
// kibana_user). When it has neither, m.Role: the security plugin then
// refuses the mapping with its own message ("Role '<name>' is not
// available for role-mapping.") and the security step fails with it.
func (a *Applier) roleToMap(ctx context.Context, m objects.RoleMapping) (string, error) {
	if m.Fallback == "" || (m.Merge && len(m.BackendRoles) == 0 && len(m.Users) == 0) {
		return m.Role, nil
	}
	var role json.RawMessage
	for _, name := range []string{m.Role, m.Fallback} {
		found, err := a.getSecurityObject(ctx, securityAPI+"/roles/"+name, name, &role)
		if err != nil {
			return "", err
		}
		if found {
			return name, nil
		}
	}
	return m.Role, nil
}

// roleMapping is a role mapping as the security plugin returns it, and the
// keys a PUT accepts.
type roleMapping struct {
	BackendRoles    []string `json:"backend_roles"`
	AndBackendRoles []string `json:"and_backend_roles"`
	Hosts           []string `json:"hosts"`
	Users           []string `json:"users"`
	Description     string   `json:"description,omitempty"`
}

// applyRoleMapping sets a mapping to exactly the wanted lists or, for a
// shared mapping (m.Merge), adds the wanted entries to the domain's,
// keeping everything else in it.
func (a *Applier) applyRoleMapping(ctx context.Context, m objects.RoleMapping) (string, error) {
	if m.Merge && len(m.BackendRoles) == 0 && len(m.Users) == 0 {
		return Unchanged, nil // nothing to add
	}
	path := securityAPI + "/rolesmapping/" + m.Role
	var got roleMapping
	found, err := a.getSecurityObject(ctx, path, m.Role, &got)
	if err != nil {
		return "", err
	}
	var want roleMapping
	if m.Merge {
		want = roleMapping{
			BackendRoles:    union(got.BackendRoles, m.BackendRoles),
			AndBackendRoles: nonNil(got.AndBackendRoles),
			Hosts:           nonNil(got.Hosts),
			Users:           union(got.Users, m.Users),
			Description:     got.Description,
		}
	} else {
		want = roleMapping{BackendRoles: nonNil(m.BackendRoles), AndBackendRoles: []string{}, Hosts: []string{}, Users: nonNil(m.Users), Description: m.Description}
	}
	outcome := Created
	if found {
		if sameSet(got.BackendRoles, want.BackendRoles) && sameSet(got.AndBackendRoles, want.AndBackendRoles) &&
			sameSet(got.Hosts, want.Hosts) && sameSet(got.Users, want.Users) && got.Description == want.Description {
			return Unchanged, nil
		}
		outcome = Updated
	}
	body, err := json.Marshal(want)
	if err != nil {
		return "", err
	}
	if _, _, err := a.do(ctx, http.MethodPut, path, nil, jsonHeader(), body); err != nil {
		return "", err
	}
	return outcome, nil
}

// internalUser is an internal user as the security plugin returns it, and
// the keys a PUT accepts (with password).
type internalUser struct {
	Password                string            `json:"password,omitempty"`
	BackendRoles            []string          `json:"backend_roles"`
	OpendistroSecurityRoles []string          `json:"opendistro_security_roles"`
	Attributes              map[string]string `json:"attributes"`
	Description             string            `json:"description,omitempty"`
}

// applyDashboardsUser creates the internal Dashboards user with the
// secret's password, or sets its password when the secret has a new
// version (the version id is kept in the user's attributes). The user's
// other roles and attributes are kept. The password is never logged nor
// put in an error.
func (a *Applier) applyDashboardsUser(ctx context.Context, secretArn string) (string, error) {
	password, versionID, err := a.readPassword(ctx, secretArn)
	if err != nil {
		return "", err
	}
	path := securityAPI + "/internalusers/" + objects.DashboardsUser
	var got internalUser
	found, err := a.getSecurityObject(ctx, path, objects.DashboardsUser, &got)
	if err != nil {
		return "", err
	}
	outcome := Created
	if found {
		if got.Attributes[attrSecretVersionID] == versionID && got.Attributes[attrSecretArn] == secretArn {
			return Unchanged, nil
		}
		outcome = Updated
	}
	attrs := maps.Clone(got.Attributes)
	if attrs == nil {
		attrs = map[string]string{}
	}
	attrs[attrManagedBy] = objects.ManagedBy
	attrs[attrSecretArn] = secretArn
	attrs[attrSecretVersionID] = versionID
	desc := got.Description
	if desc == "" {
		desc = fmt.Sprintf("Dashboards user with the flow log reader roles; its password is the secret %s. Managed by the %s function.", secretArn, objects.ManagedBy)
	}
	body, err := json.Marshal(internalUser{
		Password:                password,
		BackendRoles:            nonNil(got.BackendRoles),
		OpendistroSecurityRoles: nonNil(got.OpendistroSecurityRoles),
		Attributes:              attrs,
		Description:             desc,
	})
	if err != nil {
		return "", err
	}
	if _, _, err := a.do(ctx, http.MethodPut, path, nil, jsonHeader(), body); err != nil {
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			// The security plugin does not echo the password, but keep it
			// out of the error whatever the response says.
			apiErr.Body = strings.ReplaceAll(apiErr.Body, password, "[redacted]")
		}
		return "", fmt.Errorf("setting the password from secret %s (version %s): %w", secretArn, versionID, err)
	}
	a.logger().Info("internal user password set", "user", objects.DashboardsUser, "secret", secretArn, "secretVersionId", versionID, "outcome", outcome)
	return outcome, nil
}

// asMaster returns a copy of the Applier whose requests use HTTP basic
// authentication as objects.MasterUser with the password in secretArn
// instead of SigV4 signing.
func (a *Applier) asMaster(ctx context.Context, secretArn string) (*Applier, error) {
	if a.NewBasicAuthClient == nil {
		return nil, errors.New("no basic-auth client factory")
	}
	password, _, err := a.readPassword(ctx, secretArn)
	if err != nil {
		return nil, err
	}
	c, err := a.NewBasicAuthClient(objects.MasterUser, password)
	if err != nil {
		return nil, fmt.Errorf("creating the basic-auth client: %w", err)
	}
	m := *a
	m.Client = c
	return &m, nil
}

// readPassword reads the secret's current version: its SecretString is the
// password, or a JSON object whose "password" key is.
func (a *Applier) readPassword(ctx context.Context, secretArn string) (password, versionID string, err error) {
	if a.Secrets == nil {
		return "", "", fmt.Errorf("reading secret %s: no Secrets Manager client", secretArn)
	}
	// Without a route to Secrets Manager (no interface endpoint in the
	// VPC) the call would hang until the function times out.
	ctx, cancel := context.WithTimeout(ctx, secretTimeout)
	defer cancel()
	out, err := a.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretArn)})
	if err != nil {
		return "", "", fmt.Errorf("reading the password from secret %s (does the bootstrap role have secretsmanager:GetSecretValue on it, and can the function reach Secrets Manager?): %w", secretArn, err)
	}
	versionID = aws.ToString(out.VersionId)
	if versionID == "" {
		return "", "", fmt.Errorf("secret %s: GetSecretValue returned no VersionId", secretArn)
	}
	password = aws.ToString(out.SecretString)
	if strings.HasPrefix(strings.TrimSpace(password), "{") {
		var kv map[string]any
		if json.Unmarshal([]byte(password), &kv) == nil {
			p, ok := kv["password"].(string)
			if !ok {
				return "", "", fmt.Errorf("secret %s (version %s): the SecretString is a JSON object without a \"password\" string", secretArn, versionID)
			}
			password = p
		}
	}
	if password == "" {
		return "", "", fmt.Errorf("secret %s (version %s): no password: the SecretString is empty or missing (a binary secret?)", secretArn, versionID)
	}
	return password, versionID, nil
}

// getSecurityObject reads a security plugin object into v. The API
// answers {"<name>": {...}}; a 404 means it does not exist.
func (a *Applier) getSecurityObject(ctx context.Context, path, name string, v any) (bool, error) {
	status, body, err := a.do(ctx, http.MethodGet, path, nil, nil, nil, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	if status == http.StatusNotFound {
		return false, nil
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(body, &got); err != nil {
		return false, fmt.Errorf("GET %s: unreadable response: %w", path, err)
	}
	raw, ok := got[name]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("GET %s: unreadable response: %w", path, err)
	}
	return true, nil
}

// sameSet reports whether a and b hold the same strings, ignoring order
// and repeats.
func sameSet(a, b []string) bool {
	return slices.Equal(sortedSet(a), sortedSet(b))
}

func sortedSet(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// union returns base followed by the entries of add it lacks; base's order
// and entries are kept.
func union(base, add []string) []string {
	out := nonNil(slices.Clone(base))
	for _, x := range add {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}
