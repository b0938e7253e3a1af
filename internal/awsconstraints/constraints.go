package awsconstraints

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

// Constraint ids: the per-resource deployability rules of internal/policy
// (package ids names every rule).
const (
	NameLimits           = ids.DeployNameLimits
	OpenSearchMasterUser = ids.DeployOpenSearchMasterUser
	OpenSearchFGAC       = ids.DeployOpenSearchFGAC
	MetricFilterPattern  = ids.DeployMetricFilterPattern
	AthenaScanCutoff     = ids.DeployAthenaScanCutoff
	GlueProjection       = ids.DeployGlueProjection
	AlarmThreshold       = ids.DeployAlarmThreshold
	EC2Description       = ids.DeployEC2Description
)

// Violation is one thing AWS (or the provider) refuses about a resource.
type Violation struct {
	Constraint string // one of the constraint ids above
	Clause     string // the clause of the constraint it breaks (Clauses)
	Property   string // the input at fault, dotted ("advancedSecurityOptions.masterUserOptions")
	Message    string
	Doc        string // the AWS page behind the constraint
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s: %s (%s)", v.Constraint, v.Property, v.Message, v.Doc)
}

// Clause ids of the constraints (a constraint is a rule of internal/policy
// and lists them in Clauses).
const (
	ClauseNameAutoName     = "auto-name"
	ClauseNamePrefix       = "name-prefix"
	ClauseNameMaxLength    = "max-length"
	ClauseNameMinLength    = "min-length"
	ClauseNameCharacters   = "characters"
	ClauseNameReserved     = "reserved-forms"
	ClauseMasterARNNoDB    = "iam-master-without-internal-database"
	ClauseMasterDBNeedsPwd = "internal-database-needs-name-and-password"
	ClauseMasterPwdNeedsDB = "name-and-password-need-internal-database"
	ClauseMasterNeedsARN   = "no-internal-database-needs-master-arn"
	ClauseFGACAtRest       = "encryption-at-rest"
	ClauseFGACNodeToNode   = "node-to-node-encryption"
	ClauseFGACHTTPS        = "enforce-https"
	ClausePatternLength    = "pattern-length"
	ClausePatternRegex     = "regex-per-pattern"
	ClauseScanMinimum      = "cutoff-minimum"
	ClauseProjType         = "projection-type"
	ClauseProjTemplate     = "template-names-every-key"
	ClauseProjDateFormat   = "date-format"
	ClauseProjDateRange    = "date-range-shape"
	ClauseProjDateNow      = "date-range-ends-at-now"
	ClauseProjDateUnit     = "date-interval-unit"
	ClauseProjIntRange     = "integer-range-shape"
	ClauseProjIntOrder     = "integer-range-order"
	ClauseProjDigits       = "digits-positive"
	ClauseDescCharacters   = "description-characters"
	ClauseDescLength       = "description-length"
)

// Clauses lists, per constraint id, the conditions it checks; every
// Violation names one of them.
var Clauses = map[string][]ids.Clause{
	NameLimits: {
		{ID: ClauseNameAutoName, Text: "a logical name plus the provider's random suffix fits the provider's auto-name cap"},
		{ID: ClauseNamePrefix, Text: "a name prefix leaves room for the 26 characters the provider appends"},
		{ID: ClauseNameMaxLength, Text: "the physical name is at most the service's maximum length"},
		{ID: ClauseNameMinLength, Text: "the physical name is at least the service's minimum length"},
		{ID: ClauseNameCharacters, Text: "the physical name uses only the characters the service allows"},
		{ID: ClauseNameReserved, Text: "the physical name avoids the forms the service reserves (S3: adjacent periods, IP addresses, reserved prefixes and suffixes)"},
	},
	OpenSearchMasterUser: {
		{ID: ClauseMasterARNNoDB, Text: "masterUserArn only with the internal user database off"},
		{ID: ClauseMasterDBNeedsPwd, Text: "the internal user database on needs masterUserName and masterUserPassword"},
		{ID: ClauseMasterPwdNeedsDB, Text: "masterUserName and masterUserPassword only with the internal user database on"},
		{ID: ClauseMasterNeedsARN, Text: "the internal user database off needs masterUserArn"},
	},
	OpenSearchFGAC: {
		{ID: ClauseFGACAtRest, Text: "fine-grained access control needs encryption at rest"},
		{ID: ClauseFGACNodeToNode, Text: "fine-grained access control needs node-to-node encryption"},
		{ID: ClauseFGACHTTPS, Text: "fine-grained access control needs enforceHttps"},
	},
	MetricFilterPattern: {
		{ID: ClausePatternLength, Text: "a filter pattern is at most 1024 characters"},
		{ID: ClausePatternRegex, Text: "a filter pattern holds at most 2 regular expressions"},
	},
	AthenaScanCutoff: {
		{ID: ClauseScanMinimum, Text: "bytesScannedCutoffPerQuery, when set, is at least Athena's minimum"},
	},
	AlarmThreshold: {
		{ID: "band-without-threshold", Text: "an anomaly-detection alarm sets no threshold"},
		{ID: "band-threshold-metric-id", Text: "a band operator comes with a thresholdMetricId"},
		{ID: "band-query", Text: "thresholdMetricId names the alarm's ANOMALY_DETECTION_BAND query"},
		{ID: "static-without-threshold-metric-id", Text: "a threshold operator comes without thresholdMetricId"},
		{ID: "static-threshold", Text: "a threshold operator comes with a threshold"},
	},
	EC2Description: {
		{ID: ClauseDescCharacters, Text: "a security group's or rule's description uses only a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*"},
		{ID: ClauseDescLength, Text: "a security group's or rule's description is at most 255 characters"},
	},
	GlueProjection: {
		{ID: ClauseProjType, Text: "every partition key has a projection type"},
		{ID: ClauseProjTemplate, Text: "storage.location.template names every partition key"},
		{ID: ClauseProjDateFormat, Text: "a date projection has a format"},
		{ID: ClauseProjDateRange, Text: "a date projection's range is start,end"},
		{ID: ClauseProjDateNow, Text: "a date projection's range ends at NOW"},
		{ID: ClauseProjDateUnit, Text: "a date projection's interval unit is one Athena knows"},
		{ID: ClauseProjIntRange, Text: "an integer projection's range is two comma-separated integers"},
		{ID: ClauseProjIntOrder, Text: "an integer projection's range has min <= max"},
		{ID: ClauseProjDigits, Text: "digits is a positive integer"},
	},
}

// AWS pages behind the constraints that are not names.
const (
	DocMasterUserOptions = "https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_MasterUserOptions.html"
	DocFGAC              = "https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html"
	DocPutMetricFilter   = "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html"
	DocWorkGroupConfig   = "https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html"
	DocProjectionTypes   = "https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html"
	DocPutMetricAlarm    = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html"
	// IpRange's Description (a rule's): "Up to 255 characters in length.
	// Allowed characters are a-z, A-Z, 0-9, spaces, and
	// ._-:/()#,@[]+=&;{}!$*"; CreateSecurityGroup states the same for a
	// VPC security group's GroupDescription.
	DocEC2Description = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html"
)

// Type tokens of the resources with constraints beyond their name.
const (
	tDomain       = "aws:opensearch/domain:Domain"
	tMetricFilter = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
	tSubscription = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
	tWorkgroup    = "aws:athena/workgroup:Workgroup"
	tTable        = "aws:glue/catalogTable:CatalogTable"
	tAlarm        = "aws:cloudwatch/metricAlarm:MetricAlarm"

	tSecurityGroup     = "aws:ec2/securityGroup:SecurityGroup"
	tSecurityGroupRule = "aws:ec2/securityGroupRule:SecurityGroupRule"
	tIngressRule       = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
	tEgressRule        = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
)

// CheckResource returns what AWS or the provider refuses about one resource
// of type typ with logical name logical and these inputs (plain values). An
// input that is absent or not yet known is not judged.
func CheckResource(typ, logical string, inputs map[string]any) []Violation {
	out := checkName(typ, logical, inputs)
	switch typ {
	case tDomain:
		out = append(out, checkDomain(inputs)...)
	case tMetricFilter, tSubscription:
		out = append(out, checkFilterPattern(typ, inputs)...)
	case tWorkgroup:
		out = append(out, checkWorkgroup(inputs)...)
	case tTable:
		out = append(out, checkProjection(inputs)...)
	case tAlarm:
		out = append(out, checkAlarmThreshold(inputs)...)
	case tSecurityGroup:
		out = append(out, checkEC2Description("description", inputs["description"])...)
		for _, dir := range []string{"ingress", "egress"} {
			rules, _ := inputs[dir].([]any)
			for i, r := range rules {
				out = append(out, checkEC2Description(fmt.Sprintf("%s[%d].description", dir, i), get(r, "description"))...)
			}
		}
	case tSecurityGroupRule, tIngressRule, tEgressRule:
		out = append(out, checkEC2Description("description", inputs["description"])...)
	}
	return out
}

// ec2DescriptionChars is what EC2 takes in a security group's or rule's
// description.
var ec2DescriptionChars = regexp.MustCompile(`^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$`)

// checkEC2Description judges one description (absent or unknown: nothing).
func checkEC2Description(property string, v any) []Violation {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	var out []Violation
	if !ec2DescriptionChars.MatchString(s) {
		out = append(out, Violation{Constraint: EC2Description, Clause: ClauseDescCharacters, Property: property,
			Message: fmt.Sprintf("%q holds a character EC2 refuses; allowed: a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*", s), Doc: DocEC2Description})
	}
	if len(s) > 255 {
		out = append(out, Violation{Constraint: EC2Description, Clause: ClauseDescLength, Property: property,
			Message: fmt.Sprintf("%d characters; EC2 allows at most 255", len(s)), Doc: DocEC2Description})
	}
	return out
}

// Unknown stands for an input whose value is not known yet (a preview):
// callers that convert provider inputs put it where a value is computed, and
// no constraint judges it. Any other value (a secret included) is known.
type Unknown struct{}

func get(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		switch m := v.(type) {
		case map[string]any:
			v = m[seg]
		case nil:
			return nil
		default:
			// Unknown, or a value whose inside is hidden (a secret in the
			// mocked graph): nothing below it can be judged.
			return Unknown{}
		}
	}
	return v
}

// known reports whether v is not Unknown.
func known(v any) bool { _, u := v.(Unknown); return !u }

// present reports whether v is set: not absent and not an empty string (a
// secret counts, whatever it holds).
func present(v any) bool { s, isStr := v.(string); return v != nil && (!isStr || s != "") }

// isOff reports whether v is known to be off: absent or false.
func isOff(v any) bool { return v == nil || isFalse(v) }

func isTrue(v any) bool { b, ok := v.(bool); return ok && b }

func isFalse(v any) bool { b, ok := v.(bool); return ok && !b }

// checkDomain: MasterUserARN only with the internal user database off,
// MasterUserName and MasterUserPassword only with it on (and then both),
// and fine-grained access control only with encryption at rest,
// node-to-node encryption and HTTPS enforced.
func checkDomain(in map[string]any) []Violation {
	aso, _ := get(in, "advancedSecurityOptions").(map[string]any)
	if aso == nil || !isTrue(aso["enabled"]) {
		return nil
	}
	var out []Violation
	out = append(out, checkMasterUser(aso)...)
	fgac := func(clause, prop, what string) {
		if isOff(get(in, prop)) {
			out = append(out, Violation{Constraint: OpenSearchFGAC, Clause: clause, Property: prop, Doc: DocFGAC,
				Message: "fine-grained access control requires " + what})
		}
	}
	fgac(ClauseFGACAtRest, "encryptAtRest.enabled", "encryption at rest")
	fgac(ClauseFGACNodeToNode, "nodeToNodeEncryption.enabled", "node-to-node encryption")
	fgac(ClauseFGACHTTPS, "domainEndpointOptions.enforceHttps", "HTTPS enforced on the domain endpoint")
	return out
}

// checkMasterUser judges the master user only when every value it reads is known.
func checkMasterUser(aso map[string]any) []Violation {
	var out []Violation
	mu := func(clause, format string, args ...any) {
		out = append(out, Violation{Constraint: OpenSearchMasterUser, Clause: clause, Property: "advancedSecurityOptions.masterUserOptions",
			Doc: DocMasterUserOptions, Message: fmt.Sprintf(format, args...)})
	}
	internal := aso["internalUserDatabaseEnabled"]
	arn := get(aso, "masterUserOptions.masterUserArn")
	name := get(aso, "masterUserOptions.masterUserName")
	pass := get(aso, "masterUserOptions.masterUserPassword")
	for _, v := range []any{internal, arn, name, pass} {
		if !known(v) {
			return nil
		}
	}
	switch {
	case isTrue(internal):
		if present(arn) {
			mu(ClauseMasterARNNoDB, "masterUserArn is set with internalUserDatabaseEnabled true; an IAM master user is only allowed with the internal user database off")
		}
		if present(name) != present(pass) || (!present(name) && !present(arn)) {
			mu(ClauseMasterDBNeedsPwd, "internalUserDatabaseEnabled true needs masterUserName and masterUserPassword")
		}
	default:
		if present(name) || present(pass) {
			mu(ClauseMasterPwdNeedsDB, "masterUserName/masterUserPassword are set with internalUserDatabaseEnabled %s; they are only allowed with the internal user database on", boolWord(internal))
		}
		if !present(arn) && !present(name) {
			mu(ClauseMasterNeedsARN, "fine-grained access control with the internal user database off needs masterUserArn (an IAM role or user)")
		}
	}
	return out
}

func boolWord(v any) string {
	if isFalse(v) {
		return "false"
	}
	return "unset (false)"
}

// RegexCount counts the regular expressions (%...% outside double quotes)
// in a CloudWatch Logs filter pattern.
func RegexCount(pattern string) int {
	n, quoted, open := 0, false, false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			i++
		case c == '"' && !open:
			quoted = !quoted
		case c == '%' && !quoted:
			if open {
				n++
			}
			open = !open
		}
	}
	return n
}

// MaxRegexPerPattern is CloudWatch Logs' quota of regular expressions in
// one filter pattern; MaxRegexPatternsPerLogGroup the quota of filter
// patterns that contain a regular expression among the metric and
// subscription filters of one log group ("a maximum of 5 filter patterns
// containing regex for each log group",
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
// it counts patterns, not the expressions in them.
const (
	MaxRegexPerPattern          = 2
	MaxRegexPatternsPerLogGroup = 5
)

// FilterPatternInput is the input that holds the filter pattern of a
// metric filter ("pattern") or a subscription filter ("filterPattern").
func FilterPatternInput(typ string) string {
	if typ == tSubscription {
		return "filterPattern"
	}
	return "pattern"
}

func checkFilterPattern(typ string, in map[string]any) []Violation {
	key := FilterPatternInput(typ)
	p, ok := in[key].(string)
	if !ok {
		return nil
	}
	var out []Violation
	v := func(clause, format string, args ...any) {
		out = append(out, Violation{Constraint: MetricFilterPattern, Clause: clause, Property: key, Doc: DocPutMetricFilter, Message: fmt.Sprintf(format, args...)})
	}
	if n := len(p); n > awslimits.MaxFilterPatternLength {
		v(ClausePatternLength, "the filter pattern is %d characters; CloudWatch Logs accepts at most %d", n, awslimits.MaxFilterPatternLength)
	}
	if n := RegexCount(p); n > MaxRegexPerPattern {
		v(ClausePatternRegex, "the filter pattern has %d regular expressions; CloudWatch Logs accepts at most %d in one pattern", n, MaxRegexPerPattern)
	}
	return out
}

func checkWorkgroup(in map[string]any) []Violation {
	c, ok := get(in, "configuration.bytesScannedCutoffPerQuery").(float64)
	if !ok || c >= awslimits.MinAthenaScanLimitBytes {
		return nil
	}
	return []Violation{{Constraint: AthenaScanCutoff, Clause: ClauseScanMinimum, Property: "configuration.bytesScannedCutoffPerQuery", Doc: DocWorkGroupConfig,
		Message: fmt.Sprintf("bytesScannedCutoffPerQuery %.0f is below Athena's minimum of %d bytes", c, awslimits.MinAthenaScanLimitBytes)}}
}

// checkProjection: with projection.enabled, every partition key has a
// projection type, every date projection is bounded by NOW
// (checkDateProjection), every integer range is "min,max" with min <= max, and
// every digits value is a positive integer; a storage.location.template
// names every partition key.
func checkProjection(in map[string]any) []Violation {
	params, _ := in["parameters"].(map[string]any)
	if params == nil || !strings.EqualFold(str(params["projection.enabled"]), "true") {
		return nil
	}
	var out []Violation
	v := func(clause, key, format string, args ...any) {
		out = append(out, Violation{Constraint: GlueProjection, Clause: clause, Property: "parameters." + key, Doc: DocProjectionTypes, Message: fmt.Sprintf(format, args...)})
	}
	var keys []string
	for _, k := range listOf(in["partitionKeys"]) {
		if name := str(get(k, "name")); name != "" {
			keys = append(keys, name)
		}
	}
	tmpl, hasTmpl := params["storage.location.template"].(string)
	for _, k := range keys {
		typ := str(params["projection."+k+".type"])
		if typ == "" {
			v(ClauseProjType, "projection."+k+".type", "partition key %s has no projection type", k)
		}
		if hasTmpl && !strings.Contains(tmpl, "${"+k+"}") {
			v(ClauseProjTemplate, "storage.location.template", "the template does not use ${%s}", k)
		}
		if typ == "date" {
			out = append(out, checkDateProjection(params, "projection."+k)...)
		}
		if typ == "integer" {
			rangeKey := "projection." + k + ".range"
			lo, hi, err := intRange(str(params[rangeKey]))
			switch {
			case err != nil:
				v(ClauseProjIntRange, rangeKey, "%v", err)
			case lo > hi:
				v(ClauseProjIntOrder, rangeKey, "the range %d,%d is empty: its minimum is above its maximum", lo, hi)
			}
		}
		if d, ok := params["projection."+k+".digits"]; ok {
			if n, err := strconv.Atoi(str(d)); err != nil || n < 1 {
				v(ClauseProjDigits, "projection."+k+".digits", "digits %q is not a positive integer", str(d))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Property < out[j].Property })
	return out
}

// dateUnits are the interval units a date projection accepts.
var dateUnits = []string{"YEARS", "MONTHS", "WEEKS", "DAYS", "HOURS", "MINUTES", "SECONDS", "MILLISECONDS"}

// checkDateProjection: a date projection has a format, a range "start,end"
// whose end is relative to NOW (a fixed end far ahead makes a query without a
// partition filter enumerate partitions that cannot exist yet, the unbounded
// projection this rule exists to catch), and an interval unit Athena knows.
func checkDateProjection(params map[string]any, col string) []Violation {
	var out []Violation
	v := func(clause, key, format string, args ...any) {
		out = append(out, Violation{Constraint: GlueProjection, Clause: clause, Property: "parameters." + key, Doc: DocProjectionTypes, Message: fmt.Sprintf(format, args...)})
	}
	if str(params[col+".format"]) == "" {
		v(ClauseProjDateFormat, col+".format", "a date projection needs a format")
	}
	parts := strings.Split(str(params[col+".range"]), ",")
	switch {
	case len(parts) != 2 || strings.TrimSpace(parts[0]) == "" || strings.TrimSpace(parts[1]) == "":
		v(ClauseProjDateRange, col+".range", "range %q is not start,end", str(params[col+".range"]))
	case !strings.HasPrefix(strings.TrimSpace(parts[1]), "NOW"):
		v(ClauseProjDateNow, col+".range", "range %q does not end at NOW: a query without a partition filter enumerates every projected partition up to its end", str(params[col+".range"]))
	}
	if u, ok := params[col+".interval.unit"]; ok && !slices.Contains(dateUnits, str(u)) {
		v(ClauseProjDateUnit, col+".interval.unit", "interval unit %q is not one of %s", str(u), strings.Join(dateUnits, ", "))
	}
	return out
}

func intRange(s string) (int64, int64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 2 {
		return 0, 0, fmt.Errorf("range %q is not two comma-separated integers", s)
	}
	lo, err1 := strconv.ParseInt(strings.TrimSpace(parts[0]), 10, 64)
	hi, err2 := strconv.ParseInt(strings.TrimSpace(parts[1]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("range %q is not two comma-separated integers", s)
	}
	return lo, hi, nil
}

func str(v any) string { s, _ := v.(string); return s }

func listOf(v any) []any { l, _ := v.([]any); return l }

// checkAlarmThreshold: an alarm compares with a static threshold or with an
// anomaly-detection band, never both and never neither. A band alarm uses one
// of the band operators, names its ANOMALY_DETECTION_BAND query in
// ThresholdMetricId and sets no Threshold ("should not be used for alarms
// based on anomaly detection models"); a static alarm uses a threshold
// operator and sets Threshold (PutMetricAlarm).
func checkAlarmThreshold(in map[string]any) []Violation {
	op, ok := in["comparisonOperator"].(string)
	if !ok {
		return nil
	}
	v := func(clause, prop, format string, args ...any) []Violation {
		return []Violation{{Constraint: AlarmThreshold, Clause: clause, Property: prop, Doc: DocPutMetricAlarm, Message: fmt.Sprintf(format, args...)}}
	}
	band := slices.Contains(awslimits.AnomalyComparisons, op)
	id, hasID := in["thresholdMetricId"].(string)
	_, hasThreshold := in["threshold"].(float64)
	if !band {
		switch {
		case hasID:
			return v("static-without-threshold-metric-id", "thresholdMetricId", "thresholdMetricId %q with %s; an anomaly band needs one of %s", id, op, strings.Join(awslimits.AnomalyComparisons, ", "))
		case !hasThreshold && in["threshold"] == nil:
			return v("static-threshold", "threshold", "%s compares with a threshold, and the alarm sets none", op)
		}
		return nil
	}
	if hasThreshold {
		return v("band-without-threshold", "threshold", "threshold with %s; an anomaly-detection alarm compares with its band and sets no threshold", op)
	}
	if !hasID {
		if _, unknown := in["thresholdMetricId"].(Unknown); unknown {
			return nil
		}
		return v("band-threshold-metric-id", "thresholdMetricId", "%s needs thresholdMetricId naming the alarm's ANOMALY_DETECTION_BAND query", op)
	}
	queries, _ := in["metricQueries"].([]any)
	for _, q := range queries {
		if qm, _ := q.(map[string]any); qm["id"] == id {
			if e, _ := qm["expression"].(string); strings.HasPrefix(strings.TrimSpace(e), "ANOMALY_DETECTION_BAND(") {
				return nil
			}
			return v("band-query", "thresholdMetricId", "thresholdMetricId %q names a query that is not an ANOMALY_DETECTION_BAND expression", id)
		}
	}
	return v("band-query", "thresholdMetricId", "thresholdMetricId %q names no metric query of the alarm", id)
}
