// Package ids names the security rules and the deployability rules of
// internal/policy. It is a leaf package (no imports) so that the config
// loader can check the rule ids of policyWaivers, and internal/awsconstraints
// can name its constraints, without importing the rules themselves; tests in
// internal/policy keep these lists and the rule sets equal.
package ids

// Rule ids, grouped by service, in the order the rule suite reports them.
const (
	S3PublicAccessBlock    = "s3-public-access-block"
	S3DefaultEncryption    = "s3-default-encryption"
	S3TLSOnly              = "s3-tls-only"
	S3NoACLs               = "s3-no-acls"
	S3DataBucketVersioning = "s3-data-bucket-versioning"
	S3DataBucketExpiry     = "s3-data-bucket-expiry"
	S3DataBucketRetained   = "s3-data-bucket-retained"

	LogsRetention = "logs-retention"
	LogsKMS       = "logs-kms"

	SNSEncrypted            = "sns-encrypted"
	SQSEncrypted            = "sqs-encrypted"
	KMSKeyRotation          = "kms-key-rotation"
	SecretsEncryptedInState = "secrets-encrypted-in-state"

	OpenSearchVPCOnly       = "opensearch-vpc-only"
	OpenSearchEncryptAtRest = "opensearch-encryption-at-rest"
	OpenSearchNodeToNode    = "opensearch-node-to-node-encryption"
	OpenSearchHTTPS         = "opensearch-https-tls12"
	OpenSearchFineGrained   = "opensearch-fine-grained-access"
	OpenSearchNoOpenAccess  = "opensearch-no-open-access"

	LambdaNotPublic        = "lambda-not-public"
	LambdaSupportedRuntime = "lambda-supported-runtime"
	LambdaOnFailure        = "lambda-on-failure-destination"
	LambdaLogRetention     = "lambda-log-retention"
	LambdaEnvNoSecrets     = "lambda-env-no-secrets"

	IAMNoWildcardAction     = "iam-no-wildcard-action"
	IAMNoWildcardResource   = "iam-no-wildcard-resource"
	IAMTrustSourceCondition = "iam-trust-source-condition"
	ResourcePolicyNotPublic = "resource-policy-not-public"

	FirehoseEncryption  = "firehose-encryption"
	FirehoseErrorPrefix = "firehose-error-prefix"

	AthenaResultsEncrypted = "athena-results-encrypted"
	AthenaEnforceConfig    = "athena-enforce-configuration"
	AthenaScanCutoff       = "athena-scan-cutoff"

	QuickSightPermissionsScoped = "quicksight-permissions-scoped"
	QuickSightDataSourceSSL     = "quicksight-data-source-ssl"
	QuickSightServiceRoleScoped = "quicksight-service-role-scoped"

	VPCFlowLogs = "vpc-flow-logs-enabled"
	EC2IMDSv2   = "ec2-imdsv2"
)

// All lists every rule id, in report order.
var All = []string{
	S3PublicAccessBlock, S3DefaultEncryption, S3TLSOnly, S3NoACLs,
	S3DataBucketVersioning, S3DataBucketExpiry, S3DataBucketRetained,
	LogsRetention, LogsKMS,
	SNSEncrypted, SQSEncrypted, KMSKeyRotation, SecretsEncryptedInState,
	OpenSearchVPCOnly, OpenSearchEncryptAtRest, OpenSearchNodeToNode,
	OpenSearchHTTPS, OpenSearchFineGrained, OpenSearchNoOpenAccess,
	LambdaNotPublic, LambdaSupportedRuntime, LambdaOnFailure, LambdaLogRetention, LambdaEnvNoSecrets,
	IAMNoWildcardAction, IAMNoWildcardResource, IAMTrustSourceCondition, ResourcePolicyNotPublic,
	FirehoseEncryption, FirehoseErrorPrefix,
	AthenaResultsEncrypted, AthenaEnforceConfig, AthenaScanCutoff,
	QuickSightPermissionsScoped, QuickSightDataSourceSSL, QuickSightServiceRoleScoped,
	VPCFlowLogs, EC2IMDSv2,
}

// Known reports whether id names a rule.
func Known(id string) bool {
	for _, a := range All {
		if a == id {
			return true
		}
	}
	return false
}

// Deployability rule ids: what AWS (or the aws provider) refuses, checked
// over the same graph. They cannot be waived (AWS refuses regardless), so
// they are not in All, which lists the waivable security rules.
const (
	DeployNameLimits               = "deploy-name-limits"
	DeployOpenSearchMasterUser     = "deploy-opensearch-master-user"
	DeployOpenSearchFGAC           = "deploy-opensearch-fgac-prerequisites"
	DeployOpenSearchSLR            = "deploy-opensearch-service-linked-role"
	DeployEndpointPrivateDNS       = "deploy-endpoint-private-dns"
	DeployKMSGrants                = "deploy-kms-key-grants"
	DeployMetricFilterPattern      = "deploy-filter-pattern"
	DeploySubscriptionFilters      = "deploy-subscription-filters-per-log-group"
	DeployRegexPatternsPerLogGroup = "deploy-regex-patterns-per-log-group"
	DeployFlowLogsPerVPC           = "deploy-flow-logs-per-vpc"
	DeployAthenaScanCutoff         = "deploy-athena-scan-cutoff-minimum"
	DeployGlueProjection           = "deploy-glue-projection-bounds"
	DeployAlarmThreshold           = "deploy-alarm-threshold-form"
	DeployNoOpUpdateReplaces       = "deploy-noop-update-replaces"
	DeployEC2Description           = "deploy-ec2-description-characters"

	// Organization limits (issue 16): what a central stack and its members
	// hit as the organization grows.
	DeployResourcePolicySize   = "deploy-resource-policy-size"
	DeployLogDestinations      = "deploy-log-destinations"
	DeployFirehoseStreams      = "deploy-firehose-streams-per-region"
	DeployKinesisStreamReaders = "deploy-kinesis-stream-readers"
	DeployEventRuleTargets     = "deploy-event-rule-targets"
	DeployPolicyElements       = "deploy-resource-policy-elements"
)

// Deploy lists every deployability rule id, in report order.
var Deploy = []string{
	DeployNameLimits,
	DeployOpenSearchMasterUser, DeployOpenSearchFGAC, DeployOpenSearchSLR,
	DeployEndpointPrivateDNS, DeployKMSGrants,
	DeployMetricFilterPattern, DeploySubscriptionFilters, DeployRegexPatternsPerLogGroup,
	DeployFlowLogsPerVPC, DeployAthenaScanCutoff, DeployGlueProjection, DeployAlarmThreshold,
	DeployNoOpUpdateReplaces, DeployEC2Description,
	DeployResourcePolicySize, DeployLogDestinations, DeployFirehoseStreams, DeployKinesisStreamReaders,
	DeployEventRuleTargets, DeployPolicyElements,
}

// Clause is one condition a rule checks. A rule lists its clauses, every
// violation names the clause it breaks, and every clause has a fixture that
// breaks it alone (internal/policy tests), so a check cannot be dropped
// from a rule without a test failing.
type Clause struct {
	// ID is unique within its rule, e.g. "ignore-public-acls".
	ID string
	// Text says what the clause requires.
	Text string
}
