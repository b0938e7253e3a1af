// Package awsconstraints is the table of what AWS refuses that can be checked
// from one resource's inputs: every physical name against its service's
// length and character limits (after Pulumi's auto-naming), the OpenSearch
// master-user and fine-grained access control combinations, metric-filter
// patterns, the Athena scan cutoff and Glue partition-projection bounds.
//
// It reads plain values (maps, lists, strings, float64, bool), so the
// deployability rules of internal/policy run it over the mocked graph and
// the stand-in aws provider of internal/enginetest/awsstub runs it in Check,
// refusing a resource the way the real provider or AWS would. Constraints
// that need more than one resource (two subscription filters per log group,
// two flow logs per VPC, ...) are rules over the graph in internal/policy.
package awsconstraints

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// AutoName is how the Pulumi aws provider names a resource when its name
// input is not set: the logical name (lowercased for some types), a
// separator and RandLen random characters. A provider with MaxLen > 0
// refuses in Check a logical name too long for that cap; the service may
// allow less than the provider's cap (Firehose: 64, the provider: 255).
//
// Source: the pulumi-aws provider's resource table (provider/resources.go,
// tfbridge.AutoName / AutoNameTransform / AutoNameOptions, and the default
// SetAutonaming(255, "-")) and resource.NewUniqueName, whose error is
// "name '<prefix>' plus <n> random chars is longer than maximum length <max>"
// (github.com/pulumi/pulumi/sdk/v3/go/common/resource/resource_id.go).
type AutoName struct {
	Separator string
	RandLen   int
	MaxLen    int  // the provider's cap (0: none)
	Lower     bool // the logical name is lowercased first
	Letters   bool // the random part is a-z (Glue), else hex
	Suffix    func(inputs map[string]any) string
}

// NameRule is the naming of one resource type.
type NameRule struct {
	// Field is the input that holds the physical name ("name", "bucket", "domainName").
	Field string
	// PrefixField is the input that sets a name prefix ("namePrefix",
	// "bucketPrefix"); the provider appends PrefixSuffix characters (a
	// timestamp and counter, Terraform's id.PrefixedUniqueId: 26).
	PrefixField string
	// Auto is nil when the provider does not name the resource itself.
	Auto *AutoName
	// Service limits.
	Min, Max int
	Pattern  *regexp.Regexp
	// Allowed says in words what Pattern allows.
	Allowed string
	// Extra reports further problems with a name (reserved prefixes, ...).
	Extra func(name string) string
	// Doc is the AWS page that states the limits.
	Doc string
}

// prefixSuffixLen is what the provider appends to a name prefix: a
// 20-digit UTC timestamp and an 8-hex-digit counter (Terraform's
// id.PrefixedUniqueId, which the bridged provider uses for name_prefix).
const prefixSuffixLen = 26

var (
	iamName       = regexp.MustCompile(`^[\w+=,.@-]+$`)
	lambdaName    = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	logGroupName  = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]+$`)
	bucketName    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*[a-z0-9]$`)
	domainName    = regexp.MustCompile(`^[a-z][a-z0-9-]+$`)
	firehoseName  = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
	queueName     = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.fifo)?$`)
	topicName     = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.fifo)?$`)
	glueName      = regexp.MustCompile(`^[a-z0-9_]+$`)
	workgroupName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)
	filterName    = regexp.MustCompile(`^[^:*]+$`)
	dashboardName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	anyName       = regexp.MustCompile(`^[^\x00-\x1f]+$`)
	// PutInsightRule RuleName: [\x20-\x7E]+.
	insightRuleName = regexp.MustCompile(`^[\x20-\x7E]+$`)
	ipv4            = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)
)

func fifo(key string) func(map[string]any) string {
	return func(in map[string]any) string {
		if b, _ := in[key].(bool); b {
			return ".fifo"
		}
		return ""
	}
}

// hex7 is the default auto-name (tfbridge.AutoName): "-" and 7 hex digits.
func hex7(max int) *AutoName { return &AutoName{Separator: "-", RandLen: 7, MaxLen: max} }

// Names maps a type token to its naming. Types absent here have no
// physical name the stack chooses (or none this project creates).
var Names = map[string]NameRule{
	"aws:iam/role:Role": {
		Field: "name", PrefixField: "namePrefix", Auto: hex7(64), Min: 1, Max: 64, Pattern: iamName,
		Allowed: "letters, digits and _+=,.@-",
		Doc:     "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
	},
	"aws:iam/policy:Policy": {
		Field: "name", PrefixField: "namePrefix", Auto: hex7(255), Min: 1, Max: 128, Pattern: iamName,
		Allowed: "letters, digits and _+=,.@-",
		Doc:     "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html",
	},
	"aws:iam/rolePolicy:RolePolicy": {
		Field: "name", PrefixField: "namePrefix", Auto: hex7(255), Min: 1, Max: 128, Pattern: iamName,
		Allowed: "letters, digits and _+=,.@-",
		Doc:     "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html",
	},
	"aws:lambda/function:Function": {
		Field: "name", Auto: hex7(64), Min: 1, Max: 64, Pattern: lambdaName,
		Allowed: "letters, digits, - and _",
		Doc:     "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
	},
	"aws:cloudwatch/logGroup:LogGroup": {
		Field: "name", PrefixField: "namePrefix", Auto: hex7(255), Min: 1, Max: 512, Pattern: logGroupName,
		Allowed: "letters, digits and ._-/#",
		Doc:     "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
	},
	"aws:cloudwatch/logMetricFilter:LogMetricFilter": {
		Field: "name", Auto: hex7(255), Min: 1, Max: 512, Pattern: filterName,
		Allowed: "any character but : and *",
		Doc:     "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html",
	},
	"aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": {
		Field: "name", Auto: hex7(255), Min: 1, Max: 512, Pattern: filterName,
		Allowed: "any character but : and *",
		Doc:     "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutSubscriptionFilter.html",
	},
	"aws:cloudwatch/contributorInsightRule:ContributorInsightRule": {
		// No auto-name: the rule name is required and unique per account and region.
		Field: "ruleName", Min: 1, Max: 128, Pattern: insightRuleName,
		Allowed: "printable ASCII characters",
		Doc:     "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutInsightRule.html",
	},
	"aws:s3/bucketV2:BucketV2": bucketRule,
	"aws:s3/bucket:Bucket":     bucketRule,
	"aws:opensearch/domain:Domain": {
		// The provider auto-names with its 255 cap and does not lowercase:
		// a logical name the service refuses is only found here.
		Field: "domainName", Auto: hex7(255), Min: 3, Max: 28, Pattern: domainName,
		Allowed: "a lowercase letter, then lowercase letters, digits and -",
		Doc:     "https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_CreateDomain.html",
	},
	"aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": {
		Field: "name", Auto: hex7(255), Min: 1, Max: 64, Pattern: firehoseName,
		Allowed: "letters, digits and _.-",
		Doc:     "https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html",
	},
	"aws:cloudwatch/dashboard:Dashboard": {
		// The provider requires the name (no auto-name); dashboards are
		// global to the account.
		Field: "dashboardName", Min: 1, Max: 255, Pattern: dashboardName,
		Allowed: "letters, digits, - and _",
		Doc:     "https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html",
	},
	"aws:sqs/queue:Queue": {
		Field: "name", PrefixField: "namePrefix",
		Auto: &AutoName{Separator: "-", RandLen: 7, MaxLen: 80, Suffix: fifo("fifoQueue")},
		Min:  1, Max: 80, Pattern: queueName,
		Allowed: "letters, digits, - and _ (a FIFO queue ends in .fifo)",
		Doc:     "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html",
	},
	"aws:sns/topic:Topic": {
		Field: "name", PrefixField: "namePrefix",
		Auto: &AutoName{Separator: "-", RandLen: 7, MaxLen: 80, Suffix: fifo("fifoTopic")},
		Min:  1, Max: 256, Pattern: topicName,
		Allowed: "letters, digits, - and _ (a FIFO topic ends in .fifo)",
		Doc:     "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
	},
	"aws:glue/catalogDatabase:CatalogDatabase": {
		Field: "name", Auto: &AutoName{Separator: "_", RandLen: 8, Lower: true, Letters: true},
		Min: 1, Max: 255, Pattern: glueName,
		Allowed: "lowercase letters, digits and _ (Athena reads no other database name)",
		Doc:     "https://docs.aws.amazon.com/glue/latest/webapi/API_CreateDatabase.html",
	},
	"aws:glue/catalogTable:CatalogTable": {
		Field: "name", Auto: &AutoName{Separator: "_", RandLen: 8, Lower: true, Letters: true},
		Min: 1, Max: 255, Pattern: glueName,
		Allowed: "lowercase letters, digits and _ (Athena reads no other table name)",
		Doc:     "https://docs.aws.amazon.com/glue/latest/webapi/API_CreateTable.html",
	},
	"aws:athena/workgroup:Workgroup": {
		Field: "name", Auto: hex7(255), Min: 1, Max: 128, Pattern: workgroupName,
		Allowed: "letters, digits and ._-",
		Doc:     "https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateWorkGroup.html",
	},
	"aws:athena/namedQuery:NamedQuery": {
		Field: "name", Auto: hex7(255), Min: 1, Max: 128, Pattern: anyName,
		Allowed: "printable characters",
		Doc:     "https://docs.aws.amazon.com/athena/latest/APIReference/API_CreateNamedQuery.html",
	},
	// The SDKs' model of DataSet: "The ID of the dataset. Limited to 96
	// characters."
	"aws:quicksight/dataSet:DataSet": {
		Field: "dataSetId", Min: 1, Max: 96, Pattern: anyName,
		Allowed: "printable characters",
		Doc:     "https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/quicksight/aws.sdk.kotlin.services.quicksight.model/-data-set/data-set-id.html",
	},
	// CreateDataSource Name: 1-128 characters (the provider: "A name for
	// the data source, maximum of 128 characters").
	"aws:quicksight/dataSource:DataSource": {
		Field: "name", Min: 1, Max: 128, Pattern: anyName,
		Allowed: "printable characters",
		Doc:     "https://docs.aws.amazon.com/quicksight/latest/APIReference/API_CreateDataSource.html",
	},
}

var bucketRule = NameRule{
	Field: "bucket", PrefixField: "bucketPrefix",
	Auto: &AutoName{Separator: "-", RandLen: 7, MaxLen: 63, Lower: true},
	Min:  3, Max: 63, Pattern: bucketName,
	Allowed: "lowercase letters, digits, . and -, beginning and ending with a letter or digit",
	Extra: func(n string) string {
		switch {
		case strings.Contains(n, ".."):
			return "has two adjacent periods"
		case ipv4.MatchString(n):
			return "is formatted as an IP address"
		case strings.HasPrefix(n, "xn--"), strings.HasPrefix(n, "sthree-"):
			return "begins with a reserved prefix (xn--, sthree-)"
		case strings.HasSuffix(n, "-s3alias"), strings.HasSuffix(n, "--ol-s3"):
			return "ends with a reserved suffix (-s3alias, --ol-s3)"
		}
		return ""
	},
	Doc: "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
}

// Random returns the n "random" characters the mocks use in an auto-name:
// stable for a logical name, so two runs of the same program agree.
func Random(logical string, n int, letters bool) string {
	h := sha256.Sum256([]byte(logical))
	s := hex.EncodeToString(h[:])
	for len(s) < n {
		s += s
	}
	s = s[:n]
	if !letters {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = 'a' + (c - '0')
		}
	}
	return string(b)
}

// Physical is the name a resource gets and where it comes from.
type Physical struct {
	Name string
	// Source is "explicit" (the name input), "prefix" or "auto".
	Source string
	// Field is the input the name (or prefix) came from.
	Field string
}

// PhysicalName returns the name the provider gives a resource of type typ
// with logical name logical and these inputs, and false when the type has
// no name rule or its name input is not a known string (an unknown value
// in a preview).
func PhysicalName(typ, logical string, inputs map[string]any) (Physical, bool) {
	rule, ok := Names[typ]
	if !ok {
		return Physical{}, false
	}
	if v, set := inputs[rule.Field]; set && v != nil {
		s, ok := v.(string)
		return Physical{Name: s, Source: "explicit", Field: rule.Field}, ok
	}
	if rule.PrefixField != "" {
		if v, set := inputs[rule.PrefixField]; set && v != nil {
			s, ok := v.(string)
			return Physical{Name: s + Random(logical, prefixSuffixLen, false), Source: "prefix", Field: rule.PrefixField}, ok
		}
	}
	if rule.Auto == nil {
		return Physical{}, false
	}
	return Physical{Name: autoName(rule.Auto, logical, inputs), Source: "auto", Field: rule.Field}, true
}

func autoName(a *AutoName, logical string, inputs map[string]any) string {
	base := logical
	if a.Lower {
		base = strings.ToLower(base)
	}
	name := base + a.Separator + Random(logical, a.RandLen, a.Letters)
	if a.Suffix != nil {
		name += a.Suffix(inputs)
	}
	return name
}

// checkName reports what the provider or the service refuses about the
// physical name of a resource.
func checkName(typ, logical string, inputs map[string]any) []Violation {
	rule, ok := Names[typ]
	if !ok {
		return nil
	}
	p, ok := PhysicalName(typ, logical, inputs)
	if !ok {
		return nil
	}
	v := func(clause, format string, args ...any) Violation {
		return Violation{Constraint: NameLimits, Clause: clause, Property: p.Field, Doc: rule.Doc, Message: fmt.Sprintf(format, args...)}
	}
	var out []Violation
	switch p.Source {
	case "auto":
		a := rule.Auto
		prefix := logical + a.Separator
		if a.Lower {
			prefix = strings.ToLower(logical) + a.Separator
		}
		if a.MaxLen > 0 && len(prefix)+a.RandLen > a.MaxLen {
			// The provider's own refusal, in its words.
			return []Violation{v(ClauseNameAutoName, "name '%s' plus %d random chars is longer than maximum length %d (the auto-name of logical name %q; set a shorter component or stack name)",
				prefix, a.RandLen, a.MaxLen, logical)}
		}
	case "prefix":
		if room := rule.Max - prefixSuffixLen; len(p.Name)-prefixSuffixLen > room {
			return []Violation{v(ClauseNamePrefix, "%s %q is %d characters; the provider appends %d, so at most %d fit the %d-character limit",
				p.Field, p.Name[:len(p.Name)-prefixSuffixLen], len(p.Name)-prefixSuffixLen, prefixSuffixLen, room, rule.Max)}
		}
	}
	what := fmt.Sprintf("%s %q", p.Field, p.Name)
	if p.Source == "auto" {
		what = fmt.Sprintf("auto-name %q (from logical name %q)", p.Name, logical)
	}
	switch n := len(p.Name); {
	case n > rule.Max:
		out = append(out, v(ClauseNameMaxLength, "%s is %d characters; the service allows at most %d", what, n, rule.Max))
	case n < rule.Min:
		out = append(out, v(ClauseNameMinLength, "%s is %d characters; the service needs at least %d", what, n, rule.Min))
	}
	if p.Name != "" && rule.Pattern != nil && !rule.Pattern.MatchString(p.Name) {
		out = append(out, v(ClauseNameCharacters, "%s has characters the service refuses: allowed are %s", what, rule.Allowed))
	}
	if rule.Extra != nil {
		if msg := rule.Extra(p.Name); msg != "" {
			out = append(out, v(ClauseNameReserved, "%s %s", what, msg))
		}
	}
	return out
}
