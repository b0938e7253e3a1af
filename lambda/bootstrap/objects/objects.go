// Package objects builds the OpenSearch objects the bootstrap function
// applies to the flow log domain: the index template (mappings from the
// field catalog), the ISM retention policy, the mapping update for existing
// indices, the Dashboards saved objects and the security plugin's roles,
// role mappings and Dashboards user. It is also what the Pulumi
// program uses to compute the bootstrap invocation's input and content
// hash (NewInput), so that a change to any of these objects re-runs the
// bootstrap function on the next deployment.
package objects

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/dashboards"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
)

// Version is mixed into the hash; bump it when the way objects are applied
// changes without any object changing.
const Version = 4

// Defaults and limits of an Input.
const (
	DefaultShards       = 1
	DefaultReplicas     = 1
	MaxRetentionDays    = 3650
	MaxShards           = 64
	MaxReplicas         = 8
	DefaultRefresh      = "10s"
	TemplatePriority    = 200
	ISMTemplatePriority = 100
)

// Security plugin names.
const (
	// WriterRole lets the indexer write the flow log indices.
	WriterRole = "flowlogs_writer"
	// ReaderRole lets readers (Dashboards, the access host) read them.
	ReaderRole = "flowlogs_reader"
	// DashboardsUserRole is the built-in role that lets a user use
	// Dashboards; its mapping is shared, so entries are only added to it.
	DashboardsUserRole = "opensearch_dashboards_user"
	// LegacyDashboardsUserRole is Dashboards' user role on a domain that
	// has no DashboardsUserRole: the security plugin's static kibana_user
	// (static_roles.yml), which Amazon OpenSearch Service's newer domains
	// have as opensearch_dashboards_user.
	LegacyDashboardsUserRole = "kibana_user"
	// DashboardsUser is the internal user whose password is the secret
	// DashboardsUserSecretArn names.
	DashboardsUser = "dashboards"
	// AdminRole is the built-in role with every permission (not the
	// security plugin's API); the bootstrap's own IAM role is added to its
	// mapping on a domain whose master user is internal.
	AdminRole = "all_access"
	// MasterUser is the name of the internal master user of a domain with
	// the internal user database (the browser login path); its password
	// is the secret MasterUserSecretArn names.
	MasterUser = "flowlogs-master"
	// GlobalTenant is the security plugin's name of the Dashboards Global
	// tenant, where the bootstrap imports the saved objects.
	GlobalTenant = "global_tenant"
	// ManagedBy marks what the bootstrap manages.
	ManagedBy = "vpc-flow-logs bootstrap"
)

var (
	// roleArnRe is an IAM role ARN (paths allowed).
	roleArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)
	// secretArnRe is a Secrets Manager secret ARN.
	secretArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+$`)
)

// Input is the bootstrap function's event, as the Pulumi program's
// aws.lambda.Invocation sends it:
//
//	{"hash":"<hex sha256>","indexPrefix":"cwl","retentionDays":14,"fields":"${version} ${account-id} ..."}
//
// Unknown keys (such as the "tf" key the AWS provider adds in CRUD
// lifecycle mode) are ignored.
type Input struct {
	// Hash is the content hash of the objects (ComputeHash); the function
	// refuses to apply objects whose hash differs, which would mean that
	// its code and the Pulumi program are of different versions. Empty
	// skips the check (manual invocations).
	Hash string `json:"hash,omitempty"`
	// IndexPrefix is the prefix of the daily indices ("cwl": cwl-YYYY.MM.DD).
	IndexPrefix string `json:"indexPrefix"`
	// RetentionDays is the age at which ISM deletes an index (1-3650).
	RetentionDays int `json:"retentionDays"`
	// Fields is the flow log format, "${version} ${account-id} ...".
	Fields string `json:"fields"`
	// Shards is the indices' primary shard count (default 1).
	Shards int `json:"shards,omitempty"`
	// Replicas is the indices' replica count (default 1; 0 for a
	// single-node domain).
	Replicas *int `json:"replicas,omitempty"`

	// The access fields. When all three are empty the security plugin's
	// configuration is left as it is (a manual invocation that only
	// re-applies the index objects); when any is set they describe the
	// whole access configuration, and the flowlogs_writer and
	// flowlogs_reader mappings are set to exactly these lists.

	// WriterBackendRoles are the IAM role ARNs that index flow logs
	// (the indexer's role): mapped to the flowlogs_writer role.
	WriterBackendRoles []string `json:"writerBackendRoles,omitempty"`
	// ReaderBackendRoles are the IAM role ARNs that may read the flow log
	// indices and use Dashboards (such as the access host's role): mapped
	// to the flowlogs_reader role and added to opensearch_dashboards_user.
	ReaderBackendRoles []string `json:"readerBackendRoles,omitempty"`
	// DashboardsUserSecretArn is a Secrets Manager secret whose
	// SecretString is the password of the internal user "dashboards" (or
	// a JSON object with a "password" key), who gets the same roles as
	// the readers. The secret's value is never part of the input.
	DashboardsUserSecretArn string `json:"dashboardsUserSecretArn,omitempty"`

	// The master fields, for a domain whose master user is the internal
	// user MasterUser (the internal user database is on, so people can log
	// in to Dashboards with a password). On such a domain only the master
	// may change the security configuration, and the function's own IAM
	// role has no permission until it is mapped.

	// MasterUserSecretArn is a Secrets Manager secret whose SecretString
	// is MasterUser's password (or a JSON object with a "password" key).
	// The function sends the security plugin's API requests with HTTP
	// basic authentication as MasterUser; every other request is signed
	// with its IAM role.
	MasterUserSecretArn string `json:"masterUserSecretArn,omitempty"`
	// AdminBackendRoles are the IAM role ARNs added to the all_access
	// mapping (the function's own role), so that its signed requests may
	// apply the template, the ISM policy and the saved objects.
	AdminBackendRoles []string `json:"adminBackendRoles,omitempty"`

	// SecurityAnalytics, when set, makes the bootstrap apply the Security
	// Analytics detector of the vpcflow log type (see secanalytics.go).
	SecurityAnalytics *SecurityAnalyticsInput `json:"securityAnalytics,omitempty"`
}

// HasAccess reports whether the input has any access field, that is
// whether the bootstrap manages the security plugin's configuration.
func (in Input) HasAccess() bool {
	return len(in.WriterBackendRoles) > 0 || len(in.ReaderBackendRoles) > 0 || in.DashboardsUserSecretArn != "" ||
		in.MasterUserSecretArn != "" || len(in.AdminBackendRoles) > 0
}

// normalizeRoles trims, checks, sorts and deduplicates a list of IAM role
// ARNs; an empty list becomes nil.
func normalizeRoles(field string, roles []string) ([]string, []error) {
	var out []string
	var errs []error
	for _, r := range roles {
		r = strings.TrimSpace(r)
		if !roleArnRe.MatchString(r) {
			errs = append(errs, fmt.Errorf("%s: %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", field, r))
			continue
		}
		out = append(out, r)
	}
	slices.Sort(out)
	return slices.Compact(out), errs
}

// Normalize applies the defaults and checks the input; it returns the
// parsed flow log fields.
func (in *Input) Normalize() ([]flowlog.Field, error) {
	var errs []error
	if in.IndexPrefix == "" {
		in.IndexPrefix = document.DefaultIndexPrefix
	}
	if err := document.ValidateIndexPrefix(in.IndexPrefix); err != nil {
		errs = append(errs, fmt.Errorf("indexPrefix: %w", err))
	}
	if in.RetentionDays < 1 || in.RetentionDays > MaxRetentionDays {
		errs = append(errs, fmt.Errorf("retentionDays: %d is not between 1 and %d", in.RetentionDays, MaxRetentionDays))
	}
	var fields []flowlog.Field
	if in.Fields == "" {
		errs = append(errs, errors.New(`fields: required (the flow log format, "${version} ${account-id} ...")`))
	} else if f, err := flowlog.ParseLogFormat(in.Fields); err != nil {
		errs = append(errs, fmt.Errorf("fields: %w", err))
	} else {
		fields = f
		in.Fields = flowlog.LogFormat(f)
	}
	if in.Shards == 0 {
		in.Shards = DefaultShards
	}
	if in.Shards < 1 || in.Shards > MaxShards {
		errs = append(errs, fmt.Errorf("shards: %d is not between 1 and %d", in.Shards, MaxShards))
	}
	if in.Replicas == nil {
		r := DefaultReplicas
		in.Replicas = &r
	}
	if *in.Replicas < 0 || *in.Replicas > MaxReplicas {
		errs = append(errs, fmt.Errorf("replicas: %d is not between 0 and %d", *in.Replicas, MaxReplicas))
	}
	var roleErrs []error
	in.WriterBackendRoles, roleErrs = normalizeRoles("writerBackendRoles", in.WriterBackendRoles)
	errs = append(errs, roleErrs...)
	in.ReaderBackendRoles, roleErrs = normalizeRoles("readerBackendRoles", in.ReaderBackendRoles)
	errs = append(errs, roleErrs...)
	in.AdminBackendRoles, roleErrs = normalizeRoles("adminBackendRoles", in.AdminBackendRoles)
	errs = append(errs, roleErrs...)
	in.DashboardsUserSecretArn = strings.TrimSpace(in.DashboardsUserSecretArn)
	if in.DashboardsUserSecretArn != "" && !secretArnRe.MatchString(in.DashboardsUserSecretArn) {
		errs = append(errs, fmt.Errorf("dashboardsUserSecretArn: %q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)", in.DashboardsUserSecretArn))
	}
	in.MasterUserSecretArn = strings.TrimSpace(in.MasterUserSecretArn)
	if in.MasterUserSecretArn != "" && !secretArnRe.MatchString(in.MasterUserSecretArn) {
		errs = append(errs, fmt.Errorf("masterUserSecretArn: %q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)", in.MasterUserSecretArn))
	}
	if in.SecurityAnalytics != nil {
		sa := *in.SecurityAnalytics
		errs = append(errs, sa.normalize()...)
		in.SecurityAnalytics = &sa
	}
	if (in.MasterUserSecretArn == "") != (len(in.AdminBackendRoles) == 0) {
		errs = append(errs, errors.New("masterUserSecretArn and adminBackendRoles: set both or neither (on a domain with an internal master user the function maps its own role, given in adminBackendRoles, with the master's password)"))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid bootstrap input: %w", errors.Join(errs...))
	}
	return fields, nil
}

// Objects are the objects to apply, as request bodies.
type Objects struct {
	// Input is the normalized input.
	Input Input
	// IndexPattern is "<prefix>-*".
	IndexPattern string
	// TemplateName and Template: PUT _index_template/<TemplateName>.
	TemplateName string
	Template     []byte
	// TemplateFingerprint is the template's content hash, kept in its
	// _meta.fingerprint to tell whether the domain's copy is current.
	TemplateFingerprint string
	// Mappings: PUT <IndexPattern>/_mapping, so that indices created before
	// a format change learn the new fields.
	Mappings []byte
	// PolicyID and Policy: PUT _plugins/_ism/policies/<PolicyID>.
	PolicyID string
	Policy   []byte
	// PolicyDescription is the policy's description, which ends with the
	// policy's fingerprint to tell whether the domain's copy is current.
	PolicyDescription string
	// SavedObjects is the NDJSON for POST /_dashboards/api/saved_objects/_import.
	SavedObjects []byte
	// SavedObjectIDs are the saved objects, as "type:id".
	SavedObjectIDs []string
	// MissingFields are fields the visualisations read that the format
	// lacks; those visualisations will show an error.
	MissingFields []string
	// Security is the security plugin configuration; nil when the input
	// has no access fields (HasAccess), which leaves it as it is.
	Security *Security
	// SecurityAnalytics is the Security Analytics detector, its rules,
	// alias mappings and notification channel; nil when the input does
	// not turn it on.
	SecurityAnalytics *SecurityAnalytics
	// Hash is the content hash of everything above (see ComputeHash).
	Hash string
}

// Security is the security plugin configuration the bootstrap applies.
type Security struct {
	// Roles: PUT _plugins/_security/api/roles/<Name>.
	Roles []SecurityRole `json:"roles"`
	// Mappings: PUT _plugins/_security/api/rolesmapping/<Role>.
	Mappings []RoleMapping `json:"mappings"`
	// DashboardsUserSecretArn, when set: PUT
	// _plugins/_security/api/internalusers/<DashboardsUser> with the
	// secret's password.
	DashboardsUserSecretArn string `json:"dashboardsUserSecretArn,omitempty"`
	// MasterUserSecretArn, when set: the security API requests use HTTP
	// basic authentication as MasterUser with the secret's password.
	MasterUserSecretArn string `json:"masterUserSecretArn,omitempty"`
}

// SecurityRole is a security plugin role the bootstrap owns.
type SecurityRole struct {
	Name               string            `json:"name"`
	ClusterPermissions []string          `json:"cluster_permissions"`
	IndexPermissions   []IndexPermission `json:"index_permissions"`
	// TenantPermissions are the role's Dashboards tenants.
	TenantPermissions []TenantPermission `json:"tenant_permissions,omitempty"`
	// Description ends with the fingerprint of the permissions.
	Description string `json:"description"`
	// Body is the PUT request body.
	Body []byte `json:"-"`
}

// IndexPermission is a role's permission on indices.
type IndexPermission struct {
	IndexPatterns  []string `json:"index_patterns"`
	AllowedActions []string `json:"allowed_actions"`
}

// TenantPermission is a role's permission on Dashboards tenants.
type TenantPermission struct {
	TenantPatterns []string `json:"tenant_patterns"`
	AllowedActions []string `json:"allowed_actions"`
}

// RoleMapping is a role mapping the bootstrap applies.
type RoleMapping struct {
	Role         string   `json:"role"`
	BackendRoles []string `json:"backend_roles"`
	Users        []string `json:"users"`
	// Merge adds BackendRoles and Users to the domain's mapping, keeping
	// its other entries (a shared, built-in role); otherwise the mapping
	// is set to exactly these lists.
	Merge bool `json:"merge,omitempty"`
	// Description is the description of a mapping that is not merged.
	Description string `json:"description,omitempty"`
	// Fallback, when the domain has no role named Role, is the role
	// mapped instead (the same built-in role under an older name). The
	// security plugin maps only a role that exists, and answers 404 "Role
	// '<name>' is not available for role-mapping." otherwise.
	Fallback string `json:"fallback,omitempty"`
}

// buildSecurity builds the security configuration of a normalized input.
func buildSecurity(in Input, indexPattern string) (*Security, error) {
	if !in.HasAccess() {
		return nil, nil
	}
	s := &Security{DashboardsUserSecretArn: in.DashboardsUserSecretArn, MasterUserSecretArn: in.MasterUserSecretArn}
	for _, r := range []SecurityRole{
		{
			Name:               WriterRole,
			ClusterPermissions: []string{"cluster_monitor", "indices:data/write/bulk*"},
			IndexPermissions: []IndexPermission{{
				IndexPatterns:  []string{indexPattern},
				AllowedActions: []string{"crud", "create_index", "indices:admin/mapping/put"},
			}},
			Description: "Writes the " + indexPattern + " flow log indices.",
		},
		{
			Name:               ReaderRole,
			ClusterPermissions: []string{"cluster_composite_ops_ro"},
			IndexPermissions: []IndexPermission{{
				IndexPatterns:  []string{indexPattern},
				AllowedActions: []string{"read", "indices:admin/mappings/get", "indices:admin/resolve/index"},
			}},
			// Read on the Global tenant, where the saved objects are:
			// the security plugin grants it implicitly only to roles
			// named kibana_user or all_access (TenantHolder.mapTenants
			// in ConfigModelV7), and a domain's Dashboards user role
			// may be named otherwise (opensearch_dashboards_user) and
			// grant no tenant. kibana_all_read is the static action
			// group "kibana:saved_objects/*/read". No other role needs
			// the Global tenant: the bootstrap imports as all_access.
			TenantPermissions: []TenantPermission{{
				TenantPatterns: []string{GlobalTenant},
				AllowedActions: []string{"kibana_all_read"},
			}},
			Description: "Reads the " + indexPattern + " flow log indices and the Global tenant's dashboards.",
		},
	} {
		perms := map[string]any{"cluster_permissions": r.ClusterPermissions, "index_permissions": r.IndexPermissions}
		if len(r.TenantPermissions) > 0 {
			// Only then, so that the fingerprint of a role without
			// tenants stays as it was.
			perms["tenant_permissions"] = r.TenantPermissions
		}
		r.Description += fmt.Sprintf(" Managed by the %s function [%s].", ManagedBy, fingerprint(perms))
		tenants := r.TenantPermissions
		if tenants == nil {
			tenants = []TenantPermission{}
		}
		var err error
		if r.Body, err = json.Marshal(map[string]any{
			"description":         r.Description,
			"cluster_permissions": r.ClusterPermissions,
			"index_permissions":   r.IndexPermissions,
			"tenant_permissions":  tenants,
		}); err != nil {
			return nil, err
		}
		s.Roles = append(s.Roles, r)
	}
	readerUsers := []string{}
	if in.DashboardsUserSecretArn != "" {
		readerUsers = []string{DashboardsUser}
	}
	nonNil := func(xs []string) []string {
		if xs == nil {
			return []string{}
		}
		return xs
	}
	managed := fmt.Sprintf("Managed by the %s function.", ManagedBy)
	s.Mappings = []RoleMapping{
		{Role: WriterRole, BackendRoles: nonNil(slices.Clone(in.WriterBackendRoles)), Users: []string{}, Description: managed},
		{Role: ReaderRole, BackendRoles: nonNil(slices.Clone(in.ReaderBackendRoles)), Users: readerUsers, Description: managed},
		{Role: DashboardsUserRole, BackendRoles: nonNil(slices.Clone(in.ReaderBackendRoles)), Users: slices.Clone(readerUsers), Merge: true, Fallback: LegacyDashboardsUserRole},
	}
	if len(in.AdminBackendRoles) > 0 {
		// First, so that a failure later in the security step does not
		// leave the function unable to apply the other objects next time.
		s.Mappings = append([]RoleMapping{{Role: AdminRole, BackendRoles: slices.Clone(in.AdminBackendRoles), Users: []string{}, Merge: true}}, s.Mappings...)
	}
	return s, nil
}

// Build builds the objects for an input (normalizing a copy of it).
func Build(in Input) (*Objects, error) {
	fields, err := in.Normalize()
	if err != nil {
		return nil, err
	}
	props, err := document.Properties(fields)
	if err != nil {
		return nil, err
	}
	o := &Objects{
		Input:        in,
		IndexPattern: document.IndexPattern(in.IndexPrefix),
		TemplateName: in.IndexPrefix + "-flow-logs",
		PolicyID:     in.IndexPrefix + "-flow-logs-retention",
	}
	if o.SecurityAnalytics, err = buildSecurityAnalytics(in, fields, o.IndexPattern); err != nil {
		return nil, err
	}
	// The mapped properties: the catalog's, plus the log type's alias
	// fields when Security Analytics is on.
	mapped := map[string]any{}
	for k, v := range props {
		mapped[k] = v
	}
	if o.SecurityAnalytics != nil {
		for k, v := range o.SecurityAnalytics.AliasProperties() {
			if _, dup := mapped[k]; dup {
				return nil, fmt.Errorf("the alias object %q collides with a document field of the same name", k)
			}
			mapped[k] = v
		}
	}
	if o.Mappings, err = json.Marshal(map[string]any{"properties": mapped}); err != nil {
		return nil, err
	}

	template := map[string]any{
		"index_patterns": []string{o.IndexPattern},
		"priority":       TemplatePriority,
		"template": map[string]any{
			"settings": map[string]any{"index": map[string]any{
				"number_of_shards":   in.Shards,
				"number_of_replicas": *in.Replicas,
				"refresh_interval":   DefaultRefresh,
				"codec":              "best_compression",
			}},
			"mappings": map[string]any{
				// Fields outside the mapping are kept in _source but not
				// indexed, rather than guessed at by dynamic mapping.
				"dynamic":        false,
				"date_detection": false,
				"properties":     mapped,
			},
		},
	}
	o.TemplateFingerprint = fingerprint(template)
	template["_meta"] = map[string]any{"managed_by": "vpc-flow-logs bootstrap", "fingerprint": o.TemplateFingerprint}
	if o.Template, err = json.Marshal(template); err != nil {
		return nil, err
	}

	policy := map[string]any{
		"default_state": "hot",
		"states": []any{
			map[string]any{
				"name":    "hot",
				"actions": []any{},
				"transitions": []any{map[string]any{
					"state_name": "delete",
					"conditions": map[string]any{"min_index_age": fmt.Sprintf("%dd", in.RetentionDays)},
				}},
			},
			map[string]any{
				"name":        "delete",
				"actions":     []any{map[string]any{"delete": map[string]any{}}},
				"transitions": []any{},
			},
		},
		// Attaches the policy to every new index of the pattern.
		"ism_template": []any{map[string]any{"index_patterns": []string{o.IndexPattern}, "priority": ISMTemplatePriority}},
	}
	o.PolicyDescription = fmt.Sprintf("Deletes %s indices %d days after their creation. Managed by the vpc-flow-logs bootstrap function [%s].",
		o.IndexPattern, in.RetentionDays, fingerprint(policy))
	policy["description"] = o.PolicyDescription
	if o.Policy, err = json.Marshal(map[string]any{"policy": policy}); err != nil {
		return nil, err
	}

	if o.SavedObjects, err = dashboards.Render(in.IndexPrefix); err != nil {
		return nil, err
	}
	if o.SavedObjectIDs, err = dashboards.IDs(); err != nil {
		return nil, err
	}
	if o.MissingFields, err = dashboards.MissingFields(props); err != nil {
		return nil, err
	}
	if o.Security, err = buildSecurity(in, o.IndexPattern); err != nil {
		return nil, err
	}
	security, err := json.Marshal(o.Security)
	if err != nil {
		return nil, err
	}

	parts := [][]byte{[]byte(o.TemplateName), o.Template, o.Mappings, []byte(o.PolicyID), o.Policy, o.SavedObjects, security}
	if sa := o.SecurityAnalytics; sa != nil {
		// Only when on, so that the hash of every other input stays as it was.
		var rules []string
		for _, r := range sa.Rules {
			rules = append(rules, string(r.Body))
		}
		detector, _ := sa.Detector(nil)
		b, err := json.Marshal(map[string]any{"channel": sa.ChannelBody(true), "rules": rules, "detector": detector, "aliases": sa.Aliases})
		if err != nil {
			return nil, err
		}
		parts = append(parts, b)
	}
	h := sha256.New()
	fmt.Fprintf(h, "vpc-flow-logs bootstrap v%d\n", Version)
	for _, part := range parts {
		fmt.Fprintf(h, "%d\n", len(part))
		h.Write(part)
	}
	o.Hash = hex.EncodeToString(h.Sum(nil))
	return o, nil
}

// ComputeHash returns the content hash of the objects an input makes: the
// hex SHA-256 of the template, mappings, policy, saved objects and
// security configuration (roles, role mappings and the Dashboards user's
// secret ARN; not the secret's value).
func ComputeHash(in Input) (string, error) {
	o, err := Build(in)
	if err != nil {
		return "", err
	}
	return o.Hash, nil
}

// NewInput returns the bootstrap input for the Pulumi program's
// aws.lambda.Invocation, normalized and with its Hash set. replicas < 0
// means the default.
func NewInput(indexPrefix string, retentionDays int, fields []flowlog.Field, replicas int) (Input, error) {
	in := Input{IndexPrefix: indexPrefix, RetentionDays: retentionDays, Fields: flowlog.LogFormat(fields)}
	if replicas >= 0 {
		in.Replicas = &replicas
	}
	o, err := Build(in)
	if err != nil {
		return Input{}, err
	}
	out := o.Input
	out.Hash = o.Hash
	return out, nil
}

// WithAccess returns the input with the access fields set (replacing any
// it had), normalized and with its Hash recomputed. The Pulumi program
// calls it once the role ARNs are known, inside an Apply:
//
//	in, err := bootInput.WithAccess([]string{indexerRoleArn}, []string{accessRoleArn}, secretArn)
//	payload, err := in.JSON()
//
// and uses in.Hash as the invocation's trigger.
func (in Input) WithAccess(writers, readers []string, secretArn string) (Input, error) {
	in.WriterBackendRoles = slices.Clone(writers)
	in.ReaderBackendRoles = slices.Clone(readers)
	in.DashboardsUserSecretArn = secretArn
	return in.rebuilt()
}

// WithMaster returns the input with the master fields set (replacing any
// it had), normalized and with its Hash recomputed: for a domain whose
// master user is the internal MasterUser, secretArn holds its password and
// adminRoles (the function's own role) are mapped to all_access. Empty
// arguments clear the fields (a domain whose master is the function's IAM
// role).
func (in Input) WithMaster(secretArn string, adminRoles []string) (Input, error) {
	in.MasterUserSecretArn = secretArn
	in.AdminBackendRoles = slices.Clone(adminRoles)
	return in.rebuilt()
}

// WithSecurityAnalytics returns the input with the Security Analytics
// detector on (topicArn and roleArn set) or off (both empty), normalized and
// with its Hash recomputed.
func (in Input) WithSecurityAnalytics(topicArn, roleArn string) (Input, error) {
	in.SecurityAnalytics = nil
	if topicArn != "" || roleArn != "" {
		in.SecurityAnalytics = &SecurityAnalyticsInput{TopicArn: topicArn, RoleArn: roleArn}
	}
	return in.rebuilt()
}

// JSON returns the input as the invocation's JSON payload.
func (in Input) JSON() (string, error) {
	b, err := json.Marshal(in)
	return string(b), err
}

// fingerprint is a short content hash of a JSON value.
func fingerprint(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings, numbers and slices always encode
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:8])
}

// rebuilt is the input normalized by Build with its Hash recomputed: what
// every With* setter returns after changing its fields.
func (in Input) rebuilt() (Input, error) {
	in.Hash = ""
	o, err := Build(in)
	if err != nil {
		return Input{}, err
	}
	out := o.Input
	out.Hash = o.Hash
	return out, nil
}
