// Package stackconfig loads and validates the stack configuration once, into
// typed structs. Every invalid value is reported before any resource is
// registered, with the key, the bad value and what is allowed. Components never
// read configuration themselves: the stacks package hands them typed args.
//
// The keys, their types and defaults are declared in Pulumi.yaml; a test keeps
// the defaults there and here equal.
package stackconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/mail"
	"net/netip"
	neturl "net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awsconstraints"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/filterpattern"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	ruleids "github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
	"github.com/vpcflowlogs/vpc-flow-logs/lambda/indexer/document"
)

// Namespace is the Pulumi project name that prefixes every key.
const Namespace = "vpc-flow-logs"

// Architecture is one of the three monitoring pipelines.
type Architecture string

// The architectures this program can deploy.
const (
	CloudWatchOpenSearch Architecture = "cloudwatch-opensearch"
	S3Athena             Architecture = "s3-athena"
	FirehoseAthena       Architecture = "firehose-athena"
)

// AllArchitectures lists every architecture, in the mission's order.
var AllArchitectures = []Architecture{CloudWatchOpenSearch, S3Athena, FirehoseAthena}

// Config is the validated stack configuration.
type Config struct {
	// Org is the stack's role in an organization (stackRole and the keys of
	// its role); the zero value's role is standalone.
	Org                 Org
	Architectures       []Architecture
	VpcIDs              []string // empty: the program creates a demo VPC
	TrafficType         string   // ACCEPT, REJECT or ALL
	AggregationInterval int      // 60 or 600 seconds
	Fields              []flowlog.Field
	S3FileFormat        string // parquet or plain-text
	LogRetentionDays    int
	DataRetentionDays   int
	AlarmEmails         []string
	AlarmRules          []AlarmRule
	// ContributorInsights are the Contributor Insights rules (insights ids)
	// over the CloudWatch Logs flow log; empty when none.
	ContributorInsights []string
	// InsightAlarms alarm on the Contributor Insights rules' metrics.
	InsightAlarms     []InsightAlarm
	AthenaScanLimitMB int
	Tags              map[string]string
	BucketKmsKeyArn   string // "" = SSE-S3
	LogKmsKeyArn      string // "" = CloudWatch Logs default encryption
	ExistingBucketArn string // "" = create the flow-log bucket
	Firehose          Firehose
	OpenSearch        OpenSearch
	// Slack is where alarm notifications go besides e-mail.
	Slack Slack
	// PolicyWaivers turns security rules (internal/policy) off for this
	// stack: rule id -> the written reason. Nil when nothing is waived.
	PolicyWaivers map[string]string

	// QuickSightPrincipalArn is the QuickSight user or group that owns the
	// QuickSight analysis of s3-athena; "" = no QuickSight objects.
	QuickSightPrincipalArn string

	// Dashboard adds the stack's CloudWatch dashboard (docs/dashboard.md).
	Dashboard bool

	// VpcSelector chooses a member stack's VPCs at deploy time (nil: the
	// stack lists them in VpcIDs).
	VpcSelector *VpcSelector

	// Warnings are about keys that are set but that nothing the stack
	// deploys reads (for example opensearch* without cloudwatch-opensearch).
	// The program logs each in preview; the offline plan prints them.
	Warnings []string
}

// OpenSearch configures the cloudwatch-opensearch architecture.
type OpenSearch struct {
	EngineVersion      string
	InstanceType       string
	InstanceCount      int
	VolumeSizeGB       int
	ZoneAwareness      bool
	IndexPrefix        string
	IndexRetentionDays int
	// SubnetIDs are private subnets of VpcIDs[0] for the domain and the
	// Lambdas; required when VpcIDs is set (the demo VPC brings its own).
	SubnetIDs []string
	// ExistingEndpoint and ExistingArn use a domain you run instead.
	ExistingEndpoint string
	ExistingArn      string
	// AccessHost adds the Session Manager access host.
	AccessHost bool
	// ServiceLinkedRole is "create" (the stack creates the account's
	// AWSServiceRoleForAmazonOpenSearchService, which a VPC domain needs) or
	// "existing" (the account already has it; creating it again fails).
	ServiceLinkedRole string
	// VpcEndpoints is "auto" (interface endpoints with private DNS in the
	// demo VPC, none in vpcIds), "create" (in vpcIds too) or "none".
	VpcEndpoints string
	// SecurityAnalytics adds the Security Analytics detector of the
	// vpcflow log type, whose findings notify the alarm topic (see
	// docs/security-analytics.md); a created domain must run
	// MinSecurityAnalyticsEngine or later.
	SecurityAnalytics bool
}

// MinSecurityAnalyticsEngine is the first engine whose Security Analytics
// plugin has the vpcflow log type: AWS offers Security Analytics from
// OpenSearch 2.5 (https://docs.aws.amazon.com/opensearch-service/latest/developerguide/security-analytics.html),
// but the vpcflow log type (src/main/resources/OSMapping/vpcflow_logtype.json)
// is of the log type format the plugin introduced in 2.9 ("New Log Type JSON
// format", https://github.com/opensearch-project/security-analytics/blob/main/release-notes/opensearch-security-analytics.release-notes-2.9.0.0.md);
// the rule categories before it list no vpcflow.
var MinSecurityAnalyticsEngine = [2]int{2, 9}

// engineAtLeast reports whether an engine version "OpenSearch_X.Y" is
// OpenSearch min[0].min[1] or later (Elasticsearch never is).
func engineAtLeast(v string, min [2]int) bool {
	rest, ok := strings.CutPrefix(v, "OpenSearch_")
	if !ok {
		return false
	}
	maj, minor, ok := strings.Cut(rest, ".")
	if !ok {
		return false
	}
	x, err1 := strconv.Atoi(maj)
	y, err2 := strconv.Atoi(minor)
	if err1 != nil || err2 != nil {
		return false
	}
	return x > min[0] || (x == min[0] && y >= min[1])
}

// OpenSearch service-linked role modes (opensearchServiceLinkedRole).
const (
	ServiceLinkedRoleCreate   = "create"
	ServiceLinkedRoleExisting = "existing"
)

// ServiceLinkedRoleModes lists the opensearchServiceLinkedRole values.
var ServiceLinkedRoleModes = []string{ServiceLinkedRoleCreate, ServiceLinkedRoleExisting}

// OpenSearch VPC endpoint modes (opensearchVpcEndpoints).
const (
	VpcEndpointsAuto   = "auto"
	VpcEndpointsCreate = "create"
	VpcEndpointsNone   = "none"
)

// VpcEndpointModes lists the opensearchVpcEndpoints values.
var VpcEndpointModes = []string{VpcEndpointsAuto, VpcEndpointsCreate, VpcEndpointsNone}

// CreatesOpenSearchEndpoints reports whether the cloudwatch-opensearch
// architecture creates its interface VPC endpoints (with private DNS): always
// in the demo VPC with "auto", in existing VPCs only with "create", since
// private DNS takes over the service's name for every workload in the VPC.
func (c *Config) CreatesOpenSearchEndpoints() bool {
	switch c.OpenSearch.VpcEndpoints {
	case VpcEndpointsCreate:
		return true
	case VpcEndpointsNone:
		return false
	default:
		return c.OpenSearchInDemoVPC()
	}
}

// OpenSearchInDemoVPC reports whether the cloudwatch-opensearch architecture
// runs in the demo VPC the stack creates (with its two private subnets in two
// AZs), as stacks.Program and stacks.DeployCentral decide: a standalone
// stack without vpcIds, or a central stack without opensearchSubnetIds. A
// central stack with opensearchSubnetIds runs OpenSearch in an existing VPC
// (docs/organization.md): as with vpcIds, not its own.
func (c *Config) OpenSearchInDemoVPC() bool {
	return openSearchInDemoVPC(c.Org, c.VpcIDs, c.OpenSearch.SubnetIDs)
}

// openSearchInDemoVPC is OpenSearchInDemoVPC of the parts it reads, for the
// loader, which decides it before the Config holds its OpenSearch.
func openSearchInDemoVPC(org Org, vpcIDs, subnetIDs []string) bool {
	return len(vpcIDs) == 0 && !(org.IsCentral() && len(subnetIDs) > 0)
}

// Firehose configures the firehose-athena architecture.
type Firehose struct {
	// FeedMode is lambda (subscription -> Go forwarder -> Firehose),
	// subscription (subscription straight to Firehose) or direct (the flow log
	// delivers to Firehose).
	FeedMode              string
	BufferSizeMB          int // 1-128
	BufferIntervalSeconds int // 0-900
}

// Firehose feed modes.
const (
	FeedLambda       = "lambda"
	FeedSubscription = "subscription"
	FeedDirect       = "direct"
)

// FeedModes lists the Firehose feed modes.
var FeedModes = []string{FeedLambda, FeedSubscription, FeedDirect}

// Slack configures alarm notifications in Slack (docs/alarms.md, "Alarms in Slack").
type Slack struct {
	// Mode is none (default), chatbot (AWS Chatbot posts the alarm topic's
	// notifications) or webhook (our Lambda posts readable messages to an
	// incoming webhook).
	Mode string
	// WorkspaceID and ChannelID are the Slack workspace (team) and channel
	// ids Chatbot posts to (mode chatbot).
	WorkspaceID string
	ChannelID   string
	// ChatbotRegion is where the channel configuration is created: the
	// Chatbot API is served only in ChatbotRegions. "" = the stack's region
	// if Chatbot serves it, else the first of ChatbotRegions.
	ChatbotRegion string
	// WebhookURL is the incoming-webhook URL (mode webhook). It is a Pulumi
	// secret: it prints as [secret] and goes to AWS only as a secret value.
	WebhookURL Secret
}

// Slack modes.
const (
	SlackNone    = "none"
	SlackChatbot = "chatbot"
	SlackWebhook = "webhook"
)

// ChatbotRegions are the only regions with an AWS Chatbot API
// (https://docs.aws.amazon.com/chatbot/latest/APIReference/Welcome.html).
var ChatbotRegions = []string{"us-west-2", "us-east-2", "eu-west-1", "ap-southeast-1"}

// SlackModes lists the Slack modes.
var SlackModes = []string{SlackNone, SlackChatbot, SlackWebhook}

// Secret is a config value that must not be shown: fmt prints it as
// [secret] (with %v, %+v, %s and %#v alike) and JSON encodes it the same, so
// a config printed in a log, a test failure or an error never reveals it.
// Reveal returns the value for the one place that needs it.
type Secret string

// redacted is how a set Secret prints.
const redacted = "[secret]"

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// Enabled reports whether architecture a is enabled.
func (c *Config) Enabled(a Architecture) bool { return slices.Contains(c.Architectures, a) }

// NeedsCloudWatchFlowLog reports whether any enabled architecture reads the
// flow log from CloudWatch Logs: the metric-filter alarms of s3-athena, the
// OpenSearch indexer, and Firehose unless it is fed directly by the flow log.
func (c *Config) NeedsCloudWatchFlowLog() bool {
	return c.Enabled(S3Athena) || c.Enabled(CloudWatchOpenSearch) ||
		(c.Enabled(FirehoseAthena) && c.Firehose.FeedMode != FeedDirect)
}

// AlarmRule is one metric-filter alarm.
type AlarmRule struct {
	Name        string
	Description string
	// Match is the structured form; Pattern the raw form. Exactly one is set.
	Match             *Match
	Pattern           string
	Threshold         int
	Period            int // seconds, a multiple of 60
	EvaluationPeriods int
	Comparison        string
	// Anomaly, when set, replaces Threshold and Comparison by an
	// anomaly-detection band.
	Anomaly *Anomaly
}

// Match selects flow-log records by their fields; unset fields match anything.
type Match struct {
	SrcAddr  string // IP or CIDR
	DstAddr  string // IP or CIDR
	SrcPort  *int
	DstPort  *int
	Protocol *int
	Action   string // ACCEPT or REJECT
}

// Conditions renders the match as catalog conditions for a filter pattern.
// CIDRs become prefix wildcards (validation allows only octet-aligned IPv4
// prefixes, the ones a filter pattern can express).
func (m *Match) Conditions() []flowlog.Condition {
	var out []flowlog.Condition
	addr := func(field, v string) {
		if v == "" {
			return
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			if p.Bits() == p.Addr().BitLen() {
				v = p.Addr().String()
			} else {
				octets := strings.Split(p.Masked().Addr().String(), ".")
				v = strings.Join(octets[:p.Bits()/8], ".") + ".*"
			}
		}
		out = append(out, flowlog.Condition{Field: field, Op: flowlog.OpEq, Value: v})
	}
	num := func(field string, v *int) {
		if v != nil {
			out = append(out, flowlog.Condition{Field: field, Op: flowlog.OpEq, Value: strconv.Itoa(*v)})
		}
	}
	addr("srcaddr", m.SrcAddr)
	addr("dstaddr", m.DstAddr)
	num("srcport", m.SrcPort)
	num("dstport", m.DstPort)
	num("protocol", m.Protocol)
	if m.Action != "" {
		out = append(out, flowlog.Condition{Field: "action", Op: flowlog.OpEq, Value: m.Action})
	}
	return out
}

// Defaults, mirrored in Pulumi.yaml.
const (
	DefaultTrafficType         = "ALL"
	DefaultAggregationInterval = 600
	DefaultS3FileFormat        = awslimits.FileFormatParquet
	DefaultLogRetentionDays    = 30
	DefaultDataRetentionDays   = 365
	DefaultAthenaScanLimitMB   = 1024
	DefaultRulePeriod          = 300
	DefaultEvaluationPeriods   = 1
	DefaultComparison          = "GreaterThanOrEqualToThreshold"
	DefaultFirehoseFeedMode    = FeedLambda
	DefaultFirehoseBufferMB    = 64
	DefaultFirehoseBufferSecs  = 300
	DefaultOpenSearchEngine    = "OpenSearch_2.17"
	DefaultOpenSearchInstance  = "t3.small.search"
	DefaultOpenSearchCount     = 1
	DefaultOpenSearchVolumeGB  = 10
	DefaultOpenSearchPrefix    = "cwl"
	DefaultOpenSearchIndexDays = 14
	DefaultOpenSearchSLR       = ServiceLinkedRoleCreate
	DefaultOpenSearchEndpoints = VpcEndpointsAuto
)

// MaxAthenaScanLimitMB is the largest athenaScanLimitMb
// (awslimits.MaxAthenaScanLimitMB, which components.MaxScanLimitMB is too).
const MaxAthenaScanLimitMB = awslimits.MaxAthenaScanLimitMB

// DefaultArchitectures is the cheapest useful setup.
var DefaultArchitectures = []Architecture{S3Athena}

// Getter returns the raw config value for a full key ("vpc-flow-logs:vpcIds").
// Structured values (lists, objects) arrive as JSON, as the Pulumi engine passes them.
type Getter func(key string) (string, bool)

// Error is one invalid config value.
type Error struct {
	Key     string // full key, e.g. "vpc-flow-logs:trafficType"
	Value   string // the offending value as written
	Allowed string // what is allowed
}

func (e *Error) Error() string {
	return fmt.Sprintf("config %s: invalid value %s; allowed: %s", e.Key, e.Value, e.Allowed)
}

// Key returns the full key for a short name.
func Key(name string) string { return Namespace + ":" + name }

type loader struct {
	get  Getter
	errs []error
	// quiet skips the unused-key warnings (for the loads that compute them).
	quiet bool
	// notes are warnings about valid values that will not do what they seem
	// to (a JSON pattern over flow log text).
	notes []string
	// fieldsInvalid is set when flowLogFields was refused: which fields the
	// flow log records is then unknown, and the keys that depend on it are
	// not refused for fields it might record (the one error says what to fix).
	fieldsInvalid bool
	// refusedInsights are the contributorInsights entries refused with an
	// error of their own; an alarm on one is not refused a second time.
	refusedInsights []string
}

func (l *loader) fail(key, value, allowed string) {
	l.errs = append(l.errs, &Error{Key: Key(key), Value: value, Allowed: allowed})
}

func quote(s string) string { return strconv.Quote(s) }

func (l *loader) raw(key string) (string, bool) {
	v, ok := l.get(Key(key))
	if !ok || strings.TrimSpace(v) == "" {
		return "", false
	}
	return v, true
}

func (l *loader) str(key, def string) string {
	if v, ok := l.raw(key); ok {
		return v
	}
	return def
}

// int reads an integer. allowed (optional) describes the valid values, so a
// value that is not an integer at all is told what to be instead.
func (l *loader) int(key string, def int, allowed ...string) (int, bool) {
	v, ok := l.raw(key)
	if !ok {
		return def, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		want := "an integer"
		if len(allowed) > 0 {
			want = allowed[0]
		}
		l.fail(key, quote(v), want)
		return def, false
	}
	return n, true
}

func (l *loader) stringList(key string) ([]string, bool) {
	v, ok := l.raw(key)
	if !ok {
		return nil, true
	}
	var out []string
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		l.fail(key, quote(v), "a list of strings, e.g. [\"a\", \"b\"]")
		return nil, false
	}
	return out, true
}

var vpcIDRe = regexp.MustCompile(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)

// Load reads and validates the configuration. It returns every problem found,
// joined, so a user fixes them all in one go.
func Load(get Getter) (*Config, error) { return load(get, false) }

func load(get Getter, quiet bool) (*Config, error) {
	l := &loader{get: get, quiet: quiet}
	c := &Config{}
	c.Org = l.org()

	// architectures
	if names, ok := l.stringList("architectures"); ok {
		if names == nil {
			c.Architectures = slices.Clone(DefaultArchitectures)
		}
		allowed := archNames()
		for _, n := range names {
			a := Architecture(n)
			if !slices.Contains(AllArchitectures, a) {
				l.fail("architectures", quote(n), allowed)
				continue
			}
			if !slices.Contains(c.Architectures, a) {
				c.Architectures = append(c.Architectures, a)
			}
		}
		if names != nil && len(names) == 0 {
			l.fail("architectures", "[]", "at least one of "+allowed)
		}
	}

	// vpcIds
	if ids, ok := l.stringList("vpcIds"); ok {
		seen := map[string]bool{}
		for _, id := range ids {
			if !vpcIDRe.MatchString(id) {
				l.fail("vpcIds", quote(id), "VPC ids of the form vpc- followed by 8 or 17 lowercase hex digits")
				continue
			}
			if seen[id] {
				l.fail("vpcIds", quote(id), "each VPC id once")
				continue
			}
			seen[id] = true
			c.VpcIDs = append(c.VpcIDs, id)
		}
	}

	c.TrafficType = l.str("trafficType", DefaultTrafficType)
	if !slices.Contains(awslimits.TrafficTypes, c.TrafficType) {
		l.fail("trafficType", quote(c.TrafficType), "ACCEPT, REJECT, ALL")
	}

	const intervals = "60 or 600 (seconds)"
	if n, ok := l.int("aggregationInterval", DefaultAggregationInterval, intervals); ok {
		c.AggregationInterval = n
		if !slices.Contains(awslimits.AggregationIntervals, n) {
			l.fail("aggregationInterval", strconv.Itoa(n), intervals)
		}
	}

	before := len(l.errs)
	if names, ok := l.stringList("flowLogFields"); ok {
		if len(names) == 0 {
			c.Fields = flowlog.DefaultFields()
		} else if fs, err := flowlog.FieldsByName(names); err != nil {
			var uf *flowlog.UnknownFieldError
			if errors.As(err, &uf) {
				l.fail("flowLogFields", quote(uf.Name), "the VPC flow log fields "+strings.Join(flowlog.Names(), ", "))
			} else {
				l.fail("flowLogFields", fmt.Sprint(names), "each field once")
			}
		} else {
			c.Fields = fs
		}
	}
	l.fieldsInvalid = len(l.errs) > before

	c.S3FileFormat = l.str("s3FileFormat", DefaultS3FileFormat)
	if !slices.Contains(awslimits.FileFormats, c.S3FileFormat) {
		l.fail("s3FileFormat", quote(c.S3FileFormat), strings.Join(awslimits.FileFormats, ", "))
	}

	retentions := "one of CloudWatch Logs' retention periods: " + joinInts(awslimits.RetentionDays)
	if n, ok := l.int("logRetentionDays", DefaultLogRetentionDays, retentions); ok {
		c.LogRetentionDays = n
		if !slices.Contains(awslimits.RetentionDays, n) {
			l.fail("logRetentionDays", strconv.Itoa(n), retentions)
		}
	}

	// The bucket lifecycle rule's Expiration Days: "a non-zero positive
	// integer", an Integer (int32) in the API
	// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_LifecycleExpiration.html).
	days := fmt.Sprintf("a number of days from 1 to %d (S3's lifecycle expiration days are a 32-bit integer)", math.MaxInt32)
	if n, ok := l.int("dataRetentionDays", DefaultDataRetentionDays, days); ok {
		c.DataRetentionDays = n
		if n < 1 || n > math.MaxInt32 {
			l.fail("dataRetentionDays", strconv.Itoa(n), days)
		}
	}

	if emails, ok := l.stringList("alarmEmails"); ok {
		for _, e := range emails {
			if !validEmail(e) {
				l.fail("alarmEmails", quote(e), "e-mail addresses such as secops@example.com")
				continue
			}
			c.AlarmEmails = append(c.AlarmEmails, e)
		}
	}

	c.AlarmRules = l.alarmRules(c.Fields)

	scanLimit := fmt.Sprintf("an integer from 10 (Athena's minimum per-query cutoff is 10 MB) to %d (the cutoff in bytes, MB x 1,000,000, must fit a 64-bit integer)", MaxAthenaScanLimitMB)
	if n, ok := l.int("athenaScanLimitMb", DefaultAthenaScanLimitMB, scanLimit); ok {
		c.AthenaScanLimitMB = n
		if n < 10 || n > MaxAthenaScanLimitMB {
			l.fail("athenaScanLimitMb", strconv.Itoa(n), scanLimit)
		}
	}

	c.Tags = l.tags()
	c.Dashboard = l.bool("dashboard", true)

	c.BucketKmsKeyArn = l.kmsKeyArn("bucketKmsKeyArn")
	c.LogKmsKeyArn = l.kmsKeyArn("logKmsKeyArn")
	c.ExistingBucketArn = l.bucketArn("existingBucketArn")
	c.QuickSightPrincipalArn = l.quickSightPrincipal(c)

	c.Firehose.FeedMode = l.str("firehoseFeedMode", DefaultFirehoseFeedMode)
	if !slices.Contains(FeedModes, c.Firehose.FeedMode) {
		l.fail("firehoseFeedMode", quote(c.Firehose.FeedMode), strings.Join(FeedModes, ", "))
	}
	if n, ok := l.int("firehoseBufferSizeMb", DefaultFirehoseBufferMB); ok {
		c.Firehose.BufferSizeMB = n
		if n < 1 || n > 128 {
			l.fail("firehoseBufferSizeMb", strconv.Itoa(n), "1-128 (MiB)")
		}
	}
	if n, ok := l.int("firehoseBufferIntervalSeconds", DefaultFirehoseBufferSecs); ok {
		c.Firehose.BufferIntervalSeconds = n
		// Firehose itself accepts 0 (zero buffering), but the provider's
		// buffering_interval is Optional with Default 300, and an explicit 0
		// is the one value that cannot be told from "unset" where zero
		// values are taken as absent: the stream may get 300 instead of
		// what the stack says. Refuse it; components.FirehosePipeline
		// refuses it too (minFirehoseBufferInterval).
		if n < 1 || n > 900 {
			l.fail("firehoseBufferIntervalSeconds", strconv.Itoa(n), "1-900 (seconds; 0, zero buffering, is refused: the provider's default of 300 could be deployed in its place)")
		}
	}

	c.OpenSearch = l.openSearch(c)
	l.tagCount(c)

	c.ContributorInsights = l.contributorInsights(c)
	c.InsightAlarms = l.insightAlarms(c.ContributorInsights)

	c.Slack = l.slack()

	c.PolicyWaivers = l.policyWaivers()

	if c.Org.IsCentral() {
		l.central(c)
	}
	c.VpcSelector = l.vpcSelector(c)
	l.refuseOnMember(c)

	if len(l.errs) == 0 {
		l.crossKey(c)
	}
	if len(l.errs) > 0 {
		return nil, errors.Join(l.errs...)
	}
	if !l.quiet {
		c.Warnings = append(l.unusedKeys(c), l.notes...)
	}
	return c, nil
}

// policyWaivers reads rule id -> written reason (nil when nothing is
// waived). A waiver must name a rule of the suite and say why it does not
// apply; both are checked here, before anything is registered.
func (l *loader) policyWaivers() map[string]string {
	v, ok := l.raw("policyWaivers")
	if !ok {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		l.fail("policyWaivers", quote(v), "an object of rule id to written reason, e.g. {\"vpc-flow-logs-enabled\": \"ACCEPT-only capture agreed with secops\"}")
		return nil
	}
	var out map[string]string
	for _, id := range sortedKeys(m) {
		reason := strings.TrimSpace(m[id])
		switch {
		case !ruleids.Known(id):
			l.fail("policyWaivers", quote(id), "rule ids of the security rules (docs/security-rules.md): "+strings.Join(ruleids.All, ", "))
		case reason == "":
			l.fail("policyWaivers."+id, quote(m[id]), "a written reason why the rule does not apply to this stack")
		default:
			if out == nil {
				out = map[string]string{}
			}
			out[id] = reason
		}
	}
	return out
}

// Slack ids as AWS Chatbot's API accepts them (SlackTeamId, SlackChannelId).
var (
	slackTeamIDRe    = regexp.MustCompile(`^[0-9A-Z]{1,255}$`)
	slackChannelIDRe = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)
)

// notShown stands in for a secret value in an error message.
const notShown = "(secret, not shown)"

// slack reads the Slack keys. The webhook URL is a secret: no error shows it.
func (l *loader) slack() Slack {
	s := Slack{
		Mode:        l.str("slackMode", SlackNone),
		WorkspaceID: strings.TrimSpace(l.str("slackWorkspaceId", "")),
		ChannelID:   strings.TrimSpace(l.str("slackChannelId", "")),

		ChatbotRegion: strings.TrimSpace(l.str("slackChatbotRegion", "")),
	}
	if s.ChatbotRegion != "" && !slices.Contains(ChatbotRegions, s.ChatbotRegion) {
		l.fail("slackChatbotRegion", quote(s.ChatbotRegion), "empty (the stack's region if AWS Chatbot serves it, else "+ChatbotRegions[0]+") or a region whose AWS Chatbot API exists: "+strings.Join(ChatbotRegions, ", "))
	}
	if url, ok := l.raw("slackWebhookUrl"); ok {
		s.WebhookURL = Secret(strings.TrimSpace(url))
	}
	if !slices.Contains(SlackModes, s.Mode) {
		l.fail("slackMode", quote(s.Mode), strings.Join(SlackModes, ", "))
	}
	if s.WorkspaceID != "" && !slackTeamIDRe.MatchString(s.WorkspaceID) {
		l.fail("slackWorkspaceId", quote(s.WorkspaceID), "a Slack workspace (team) id such as T07EA123LEP: upper-case letters and digits")
	}
	if s.ChannelID != "" && !slackChannelIDRe.MatchString(s.ChannelID) {
		l.fail("slackChannelId", quote(s.ChannelID), "a Slack channel id such as C07EZ1ABC23 (the channel's id, not its #name)")
	}
	if s.WebhookURL != "" {
		if why := webhookURLProblem(s.WebhookURL.Reveal()); why != "" {
			l.fail("slackWebhookUrl", notShown, "an https:// Slack incoming-webhook URL such as https://hooks.slack.com/services/T000/B000/XXXX ("+why+")")
		}
	}
	switch s.Mode {
	case SlackChatbot:
		if s.WorkspaceID == "" {
			l.fail("slackWorkspaceId", `""`, "the Slack workspace id AWS Chatbot is authorized for (required with slackMode chatbot)")
		}
		if s.ChannelID == "" {
			l.fail("slackChannelId", `""`, "the id of the Slack channel to post to (required with slackMode chatbot)")
		}
	case SlackWebhook:
		if s.WebhookURL == "" {
			l.fail("slackWebhookUrl", "(not set)", "the incoming-webhook URL, set as a secret: pulumi config set --secret "+Key("slackWebhookUrl")+" <url> (required with slackMode webhook)")
		}
	}
	return s
}

// webhookURLProblem says what is wrong with an incoming-webhook URL, without
// repeating any part of it ("" when it is fine).
func webhookURLProblem(raw string) string {
	u, err := neturl.Parse(raw)
	switch {
	case err != nil:
		return "it is not a URL"
	case u.Scheme != "https":
		return "it must start with https://"
	case u.Hostname() == "":
		return "it has no host"
	case u.User != nil:
		return "it must not carry a user name or password"
	case u.Path == "" || u.Path == "/":
		return "it has no path; a webhook URL's path holds its token"
	}
	return ""
}

// instanceTypeRe is the shape of every OpenSearch instance type the API
// lists (m5.large.search, r7gd.16xlarge.search, or1.medium.search,
// ultrawarm1.medium.search, ...: NodeConfig's Type,
// https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_NodeConfig.html).
// Which types exist in a region is AWS's to say at deploy time.
var instanceTypeRe = regexp.MustCompile(`^[a-z0-9]+\.[a-z0-9]+\.search$`)

var (
	subnetIDRe = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	hostRe     = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`)
)

func (l *loader) bool(key string, def bool) bool {
	v, ok := l.raw(key)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		l.fail(key, quote(v), "true or false")
		return def
	}
	return b
}

func (l *loader) openSearch(c *Config) OpenSearch {
	o := OpenSearch{
		EngineVersion: l.str("opensearchEngineVersion", DefaultOpenSearchEngine),
		InstanceType:  l.str("opensearchInstanceType", DefaultOpenSearchInstance),
		IndexPrefix:   l.str("opensearchIndexPrefix", DefaultOpenSearchPrefix),
		ZoneAwareness: l.bool("opensearchZoneAwareness", false),
		AccessHost:    l.bool("opensearchAccessHost", false),

		SecurityAnalytics: l.bool("opensearchSecurityAnalytics", false),

		ServiceLinkedRole: l.str("opensearchServiceLinkedRole", DefaultOpenSearchSLR),
		VpcEndpoints:      l.str("opensearchVpcEndpoints", DefaultOpenSearchEndpoints),
	}
	if !slices.Contains(ServiceLinkedRoleModes, o.ServiceLinkedRole) {
		l.fail("opensearchServiceLinkedRole", quote(o.ServiceLinkedRole), "create (the stack creates AWSServiceRoleForAmazonOpenSearchService) or existing (the account already has it)")
	}
	if !slices.Contains(VpcEndpointModes, o.VpcEndpoints) {
		l.fail("opensearchVpcEndpoints", quote(o.VpcEndpoints), "auto (endpoints in the demo VPC only), create (in vpcIds too) or none")
	}
	if !awslimits.OpenSearchEngineVersion.MatchString(o.EngineVersion) {
		l.fail("opensearchEngineVersion", quote(o.EngineVersion), "an OpenSearch engine version such as OpenSearch_2.17 (OpenSearch_X.Y; not Elasticsearch, whose APIs the bootstrap does not speak)")
	}
	if !instanceTypeRe.MatchString(o.InstanceType) {
		l.fail("opensearchInstanceType", quote(o.InstanceType), "an OpenSearch instance type <family>.<size>.search in lowercase letters and digits, such as t3.small.search, r7g.large.search or or1.medium.search")
	}
	if document.ValidateIndexPrefix(o.IndexPrefix) != nil {
		l.fail("opensearchIndexPrefix", quote(o.IndexPrefix), "1-200 lowercase letters, digits, '.', '_' and '-', starting with a letter or digit")
	}
	// ClusterConfig's InstanceCount and EBSOptions' VolumeSize are Integer
	// (int32) in the API (https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_ClusterConfig.html,
	// https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_EBSOptions.html);
	// the quotas per instance type are lower and known only to the account
	// (DescribeInstanceTypeLimits; docs/aws-constraints.md, closing note).
	count := fmt.Sprintf("an integer from 1 to %d (the API's 32-bit InstanceCount)", math.MaxInt32)
	if n, ok := l.int("opensearchInstanceCount", DefaultOpenSearchCount, count); ok {
		o.InstanceCount = n
		if n < 1 || n > math.MaxInt32 {
			l.fail("opensearchInstanceCount", strconv.Itoa(n), count)
		}
	}
	volume := fmt.Sprintf("an integer from 10 to %d (GiB; the API's 32-bit VolumeSize)", math.MaxInt32)
	if n, ok := l.int("opensearchVolumeSizeGb", DefaultOpenSearchVolumeGB, volume); ok {
		o.VolumeSizeGB = n
		if n < 10 || n > math.MaxInt32 {
			l.fail("opensearchVolumeSizeGb", strconv.Itoa(n), volume)
		}
	}
	if n, ok := l.int("opensearchIndexRetentionDays", DefaultOpenSearchIndexDays, "1-3650 (days)"); ok {
		o.IndexRetentionDays = n
		if n < 1 || n > 3650 {
			l.fail("opensearchIndexRetentionDays", strconv.Itoa(n), "1-3650 (days)")
		}
	}
	if ids, ok := l.stringList("opensearchSubnetIds"); ok {
		for _, id := range ids {
			if !subnetIDRe.MatchString(id) {
				l.fail("opensearchSubnetIds", quote(id), "subnet ids of the form subnet- followed by 8 or 17 lowercase hex digits")
				continue
			}
			// The same subnet twice is one AZ: a zone-aware domain takes
			// the first two as its two AZs.
			if slices.Contains(o.SubnetIDs, id) {
				l.fail("opensearchSubnetIds", quote(id), "each subnet id once")
				continue
			}
			o.SubnetIDs = append(o.SubnetIDs, id)
		}
	}
	o.ExistingEndpoint = l.str("opensearchExistingEndpoint", "")
	o.ExistingArn = l.arn("opensearchExistingArn", "es", "arn:aws:es:<region>:<account>:domain/<name>")
	if o.ExistingEndpoint != "" && !hostRe.MatchString(o.ExistingEndpoint) {
		l.fail("opensearchExistingEndpoint", quote(o.ExistingEndpoint), "the domain's host name without scheme, e.g. vpc-flowlogs-abc123.us-east-1.es.amazonaws.com")
	}
	if (o.ExistingEndpoint == "") != (o.ExistingArn == "") {
		l.fail("opensearchExistingEndpoint", quote(o.ExistingEndpoint), "set together with opensearchExistingArn, or neither")
	}
	if !c.Enabled(CloudWatchOpenSearch) {
		return o
	}
	if len(c.VpcIDs) > 0 && len(o.SubnetIDs) == 0 {
		l.fail("opensearchSubnetIds", "[]", "at least one private subnet of the first VPC in vpcIds (the demo VPC brings its own)")
	}
	subnets, where := len(o.SubnetIDs), fmt.Sprintf("%d in opensearchSubnetIds", len(o.SubnetIDs))
	if openSearchInDemoVPC(c.Org, c.VpcIDs, o.SubnetIDs) {
		subnets, where = 2, "the demo VPC's 2" // its private subnets
	}
	if o.ZoneAwareness && o.ExistingArn == "" && (o.InstanceCount%2 != 0 || subnets < 2) {
		l.fail("opensearchZoneAwareness", "true", fmt.Sprintf("only with an even opensearchInstanceCount (here %d) and two subnets in two AZs (here %s)", o.InstanceCount, where))
	}
	if o.AccessHost && o.ExistingArn != "" {
		l.fail("opensearchAccessHost", "true", "only with a domain this stack creates (not with opensearchExistingArn)")
	}
	if o.SecurityAnalytics && o.ExistingArn == "" && awslimits.OpenSearchEngineVersion.MatchString(o.EngineVersion) && !engineAtLeast(o.EngineVersion, MinSecurityAnalyticsEngine) {
		l.fail("opensearchEngineVersion", quote(o.EngineVersion), fmt.Sprintf("OpenSearch_%d.%d or later with opensearchSecurityAnalytics: true (the first engine whose Security Analytics has the vpcflow log type)",
			MinSecurityAnalyticsEngine[0], MinSecurityAnalyticsEngine[1]))
	}
	return o
}

// quickSightPrincipal reads the owner of the QuickSight analysis, which
// only the s3-athena architecture has.
func (l *loader) quickSightPrincipal(c *Config) string {
	const key = "quicksightPrincipalArn"
	v, ok := l.raw(key)
	if !ok {
		return ""
	}
	if !awslimits.QuickSightPrincipalArn.MatchString(v) {
		l.fail(key, quote(v), "the ARN of a QuickSight user or group, arn:aws:quicksight:<region>:<account>:user/<namespace>/<name> or arn:aws:quicksight:<region>:<account>:group/<namespace>/<name>")
		return ""
	}
	if !c.Enabled(S3Athena) {
		l.fail(key, quote(v), "only with the s3-athena architecture, whose Athena table QuickSight reads: add s3-athena to architectures or leave "+key+" empty")
		return ""
	}
	return v
}

func (l *loader) arn(key, service, example string) string {
	v, ok := l.raw(key)
	if !ok {
		return ""
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != service || parts[5] == "" {
		l.fail(key, quote(v), "an ARN of the form "+example)
		return ""
	}
	return v
}

// bucketArnRe is an S3 bucket ARN, arn:<partition>:s3:::<bucket name>: no
// region, no account, no key prefix after the name
// (arn:${Partition}:s3:::${BucketName}, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html#amazons3-resources-for-iam-policies).
var bucketArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:s3:::([^/:]*)$`)

// bucketArn reads a bucket by its ARN. components.FlowLogToS3 takes the
// bucket name as everything after the ARN's last colon: it is exported as
// s3AthenaBucket and makes the Athena table's s3://<name>/AWSLogs/...
// location, so a key prefix (bucket/prefix) or a malformed name would
// become a bucket name S3 does not have. The name follows S3's naming rules
// (awsconstraints' bucket rule, the one the planned names are checked with).
func (l *loader) bucketArn(key string) string {
	v, ok := l.raw(key)
	if !ok {
		return ""
	}
	const allowed = "an S3 bucket ARN, arn:aws:s3:::<bucket-name> (no region, account or key prefix), "
	m := bucketArnRe.FindStringSubmatch(v)
	if m == nil {
		l.fail(key, quote(v), allowed+"e.g. arn:aws:s3:::my-flow-log-bucket")
		return ""
	}
	rule := awsconstraints.Names["aws:s3/bucketV2:BucketV2"]
	name := m[1]
	why := ""
	switch {
	case len(name) < rule.Min || len(name) > rule.Max:
		why = fmt.Sprintf("the name has %d characters", len(name))
	case !rule.Pattern.MatchString(name):
		why = "the name has other characters"
	default:
		if e := rule.Extra(name); e != "" {
			why = "the name " + e
		}
	}
	if why != "" {
		l.fail(key, quote(v), fmt.Sprintf("%swhose bucket name has %d-%d %s (%s; %s)", allowed, rule.Min, rule.Max, rule.Allowed, rule.Doc, why))
		return ""
	}
	return v
}

// kmsKeyArn reads a KMS key by its key ARN. bucketKmsKeyArn also becomes the
// Resource of the Firehose and QuickSight roles' key statements, where "you
// must use its key ARN. You cannot use a key id, alias name, or alias ARN"
// (https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html):
// an alias ARN there grants nothing. logKmsKeyArn is the log group's
// kmsKeyId, "the Amazon Resource Name (ARN) of the KMS key"
// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html).
func (l *loader) kmsKeyArn(key string) string {
	v, ok := l.raw(key)
	if !ok {
		return ""
	}
	if !awslimits.KMSKeyArn.MatchString(v) {
		l.fail(key, quote(v), "a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id> (a multi-Region key's id starts with mrk-); "+
			"not a key id, an alias name or an alias ARN, since IAM policies name a key only by its key ARN")
		return ""
	}
	return v
}

// Tag keys and values as AWS accepts them on every resource type the program
// tags; IAM's Tag is the strictest (keys 1-128 and values 0-256 characters of
// [\p{L}\p{Z}\p{N}_.:/=+\-@],
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html), and
// every role the program creates carries the stack's tags. AWS counts
// characters, not bytes: Go's regexp repetition counts runes.
var (
	tagKeyRe   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	tagValueRe = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$`)
)

// MaxTagsPerResource is how many tags a resource takes: 50 on every type
// the program tags (IAM, S3, Lambda, CloudWatch, SNS, SQS, KMS, EC2,
// Firehose, Glue, Athena, Secrets Manager, EventBridge; e.g.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
// except an OpenSearch domain, which takes MaxTagsPerDomain.
const MaxTagsPerResource = 50

// MaxTagsPerDomain is an OpenSearch domain's limit: "A domain can have up to
// 10 tags" (https://docs.aws.amazon.com/opensearch-service/latest/APIReference/API_AddTags.html).
const MaxTagsPerDomain = 10

// ProgramTags are the tag keys the program adds to resources besides the
// configured tags: project and stack on every resource (stacks.newShared;
// the config may not set them, see ReservedTags),
// Name on every resource (components.NameTags, unless tags sets Name), and
// LogDeliveryEnabled on the Firehose stream of the direct feed mode.
var ProgramTags = []string{"project", "stack", "Name", "LogDeliveryEnabled"}

// ReservedTags are the program's tags the config may not set: a member
// stack tells its own flow logs from others of the VPC by them
// (stacks/membervpcs.go), so a configured value would make it take them
// for another stack's.
var ReservedTags = []string{"project", "stack"}

func (l *loader) tags() map[string]string {
	v, ok := l.raw("tags")
	if !ok {
		return map[string]string{}
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		l.fail("tags", quote(v), "an object of string keys to string values, e.g. {\"team\": \"secops\"}")
		return map[string]string{}
	}
	for _, k := range sortedKeys(m) {
		if slices.Contains(ReservedTags, k) {
			l.fail("tags", quote(k), "a key other than "+strings.Join(ReservedTags, " and ")+", which the program sets on every resource to recognise the stack's own (its project and stack name)")
		}
		if !tagKeyRe.MatchString(k) || strings.HasPrefix(strings.ToLower(k), "aws:") {
			l.fail("tags", quote(k), "tag keys of 1-128 characters, each a letter, digit, space or one of _ . : / = + - @, not starting with aws:")
		}
		if !tagValueRe.MatchString(m[k]) {
			l.fail("tags."+k, quote(m[k]), fmt.Sprintf("tag values of at most 256 characters (this one has %d), each a letter, digit, space or one of _ . : / = + - @ (IAM's tag pattern; no #, comma, control character or emoji)",
				utf8.RuneCountInString(m[k])))
		}
	}
	return m
}

// tagCount refuses more configured tags than the most-tagged resource can
// take with the program's own (ProgramTags). Called once the architectures,
// the Firehose feed mode and the OpenSearch keys are read.
func (l *loader) tagCount(c *Config) {
	if len(c.Tags) == 0 {
		return
	}
	added := []string{"project", "stack", "Name"}
	if c.Enabled(FirehoseAthena) && c.Firehose.FeedMode == FeedDirect {
		added = append(added, "LogDeliveryEnabled")
	}
	total := func(limit int, what string) {
		n := len(added)
		for k := range c.Tags {
			if !slices.Contains(added, k) {
				n++
			}
		}
		if n > limit {
			l.fail("tags", fmt.Sprintf("%d tags", len(c.Tags)), fmt.Sprintf("at most %d tags besides %s, which the program adds: %s takes at most %d tags, and these come to %d",
				limit-len(added), strings.Join(added, ", "), what, limit, n))
		}
	}
	if c.Enabled(CloudWatchOpenSearch) && c.OpenSearch.ExistingArn == "" {
		total(MaxTagsPerDomain, "the OpenSearch domain the stack creates (cloudwatch-opensearch without opensearchExistingArn)")
		return
	}
	total(MaxTagsPerResource, "a resource")
}

// ruleJSON is the config shape of an alarm rule; numbers are decoded loosely
// so a wrong type gets a precise message.
type ruleJSON struct {
	Name              string          `json:"name"`
	Description       string          `json:"description"`
	Match             map[string]any  `json:"match"`
	Pattern           string          `json:"pattern"`
	Threshold         json.RawMessage `json:"threshold"`
	Period            json.RawMessage `json:"period"`
	EvaluationPeriods json.RawMessage `json:"evaluationPeriods"`
	Comparison        string          `json:"comparison"`
	Anomaly           json.RawMessage `json:"anomaly"`
}

var ruleNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

var matchKeys = []string{"srcAddr", "dstAddr", "srcPort", "dstPort", "protocol", "action"}

func (l *loader) alarmRules(fields []flowlog.Field) []AlarmRule {
	v, ok := l.raw("alarmRules")
	if !ok {
		return nil
	}
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(v), &raws); err != nil {
		l.fail("alarmRules", quote(v), "a list of rule objects (see docs/alarms.md)")
		return nil
	}
	var out []AlarmRule
	seen := map[string]bool{}
	var withRegex []string // raw rules whose pattern holds a %regex%
	for i, raw := range raws {
		key := fmt.Sprintf("alarmRules[%d]", i)
		var rj ruleJSON
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rj); err != nil {
			l.fail(key, string(raw), "an object with name, description, match or pattern, threshold or anomaly, period, evaluationPeriods, comparison ("+err.Error()+")")
			continue
		}
		r := AlarmRule{Name: rj.Name, Description: rj.Description, Pattern: strings.TrimSpace(rj.Pattern), Comparison: rj.Comparison}
		if !ruleNameRe.MatchString(r.Name) {
			l.fail(key+".name", quote(r.Name), "1-63 lowercase letters, digits and dashes, starting with a letter or digit")
		} else if seen[r.Name] {
			l.fail(key+".name", quote(r.Name), "a name no other rule uses")
		}
		seen[r.Name] = true
		if (rj.Match == nil) == (r.Pattern == "") {
			l.fail(key, string(raw), "exactly one of match (structured) or pattern (raw filter pattern)")
		}
		if rj.Match != nil {
			r.Match = l.match(key+".match", rj.Match, fields)
		}
		if len(r.Pattern) > awslimits.MaxFilterPatternLength {
			l.fail(key+".pattern", quote(r.Pattern[:40]+"..."), "a filter pattern of at most 1024 characters")
		} else if r.Pattern != "" {
			if p, err := filterpattern.Parse(r.Pattern); err != nil {
				l.fail(key+".pattern", quote(r.Pattern), rawPatternAllowed+"; this one is invalid: "+err.Error())
			} else {
				if p.Regexps() > 0 {
					withRegex = append(withRegex, r.Name)
				}
				// "Each record is a string with fields separated by spaces"
				// (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html).
				if p.Kind() == filterpattern.KindJSON {
					l.notes = append(l.notes, fmt.Sprintf("config %s is a JSON pattern, but VPC flow log records reach CloudWatch Logs as space-delimited text, which no JSON pattern matches: its metric filter will count nothing (use a term, regular-expression or [...] pattern)", Key(key+".pattern")))
				}
				// "If you combine "?" with other filter patterns, all
				// question mark terms will be ignored" (the single-page
				// revision of
				// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html;
				// see internal/filterpattern's package doc).
				if ignored := p.IgnoredOptionalTerms(); len(ignored) > 0 {
					l.notes = append(l.notes, fmt.Sprintf("config %s mixes ?terms with plain or -terms, and CloudWatch Logs ignores ?terms next to other terms: %s has no effect, so its metric filter counts every record the other terms match, not only those with one of the ?terms (to require one of several values, write one rule per value or a [...] pattern with ||)", Key(key+".pattern"), quotedTerms(ignored)))
				}
			}
		}
		if len(rj.Anomaly) > 0 && string(rj.Anomaly) != "null" {
			r.Anomaly = l.anomaly(key+".anomaly", rj.Anomaly)
			// An anomaly-detection alarm compares with the band, not a
			// threshold: PutMetricAlarm's Threshold "should not be used for
			// alarms based on anomaly detection models", and only the band
			// operators apply.
			// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
			if len(rj.Threshold) > 0 && string(rj.Threshold) != "null" {
				l.fail(key+".threshold", string(rj.Threshold), "no threshold with anomaly (the band is the threshold); remove one of them")
			}
			if r.Comparison != "" {
				l.fail(key+".comparison", quote(r.Comparison), "no comparison with anomaly; set anomaly.direction ("+strings.Join(AnomalyDirections, ", ")+") instead")
			}
		} else {
			r.Threshold = l.ruleInt(key+".threshold", rj.Threshold, 1, "an integer >= 1", func(n int) bool { return n >= 1 })
		}
		r.Period = l.ruleInt(key+".period", rj.Period, DefaultRulePeriod, "a multiple of 60 seconds, from 60 to 86400", func(n int) bool { return n >= 60 && n <= 86400 && n%60 == 0 })
		r.EvaluationPeriods = l.ruleInt(key+".evaluationPeriods", rj.EvaluationPeriods, DefaultEvaluationPeriods, "an integer >= 1", func(n int) bool { return n >= 1 })
		// PutMetricAlarm: period x evaluationPeriods at most 7 days (604,800 s),
		// and at most one day (86,400 s) for periods under an hour.
		// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
		if r.Period > 0 && r.EvaluationPeriods > 0 {
			if limit := maxAlarmWindow(r.Period); r.Period*r.EvaluationPeriods > limit {
				l.fail(key+".evaluationPeriods", strconv.Itoa(r.EvaluationPeriods), fmt.Sprintf(
					"period x evaluationPeriods of at most %d s with a period of %d s (one day for periods under an hour, seven days otherwise)", limit, r.Period))
			}
		}
		switch {
		case r.Anomaly != nil:
			r.Comparison = r.Anomaly.Comparison()
		case r.Comparison == "":
			r.Comparison = DefaultComparison
		case !slices.Contains(awslimits.AlarmComparisons, r.Comparison):
			l.fail(key+".comparison", quote(r.Comparison), strings.Join(awslimits.AlarmComparisons, ", "))
		}
		out = append(out, r)
	}
	// Every rule's metric filter sits on the one flow-log log group, and
	// CloudWatch Logs allows "a maximum of 5 filter patterns containing regex
	// for each log group when creating metric filters or subscription
	// filters" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html).
	// The subscription filters this program puts on that group match
	// everything (pattern ""), so the raw rules are the only patterns that can
	// hold a regular expression.
	if len(withRegex) > filterpattern.MaxRegexPatternsPerLogGroup {
		l.fail("alarmRules", fmt.Sprintf("%d rules with a regular expression in their pattern (%s)", len(withRegex), strings.Join(withRegex, ", ")),
			fmt.Sprintf("at most %d rules whose pattern contains a %%regular expression%%: CloudWatch Logs allows %d filter patterns with a regular expression per log group, and every rule's metric filter is on the flow-log log group",
				filterpattern.MaxRegexPatternsPerLogGroup, filterpattern.MaxRegexPatternsPerLogGroup))
	}
	return out
}

// maxAlarmWindow is the longest evaluation window (period x evaluation
// periods) CloudWatch accepts for an alarm with this period.
func maxAlarmWindow(period int) int {
	if period < 3600 {
		return 86400
	}
	return 604800
}

// quotedTerms renders ?terms as they would be written: ?"10.0.0.155" ?"x".
func quotedTerms(terms []string) string {
	q := make([]string, len(terms))
	for i, t := range terms {
		q[i] = "?" + strconv.Quote(t)
	}
	return strings.Join(q, " ")
}

// rawPatternAllowed says what a raw alarm-rule pattern may be.
const rawPatternAllowed = `a CloudWatch Logs filter pattern (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html) of at most 1024 characters: ` +
	`terms such as REJECT -"172.31." or ?"10.0.0.155" ?"10.0.0.156" (quote any term with characters other than letters, digits and _), ` +
	`a regular expression such as %10\.0\.0\.[0-9]+%, ` +
	`a JSON pattern such as { $.action = "REJECT" && $.bytes > 1000 }, ` +
	`or a space-delimited pattern such as [version, account_id, interface_id, srcaddr="10.0.0.155", ...]; ` +
	`a space-delimited or JSON pattern holds at most 2 regular expressions`

func (l *loader) ruleInt(key string, raw json.RawMessage, def int, allowed string, ok func(int) bool) int {
	if len(raw) == 0 || string(raw) == "null" {
		if def < 1 { // required
			l.errs = append(l.errs, &Error{Key: Key(key), Value: "(missing)", Allowed: allowed})
		}
		return def
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil || !ok(n) {
		l.errs = append(l.errs, &Error{Key: Key(key), Value: string(raw), Allowed: allowed})
		return def
	}
	return n
}

func (l *loader) match(key string, m map[string]any, fields []flowlog.Field) *Match {
	bad := func(sub, value, allowed string) {
		l.errs = append(l.errs, &Error{Key: Key(key + "." + sub), Value: value, Allowed: allowed})
	}
	out := &Match{}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(matchKeys, k) {
			bad(k, fmt.Sprint(m[k]), "match keys "+strings.Join(matchKeys, ", "))
		}
	}
	addr := func(k string) string {
		v, present := m[k]
		if !present {
			return ""
		}
		s, isStr := v.(string)
		if !isStr {
			bad(k, fmt.Sprint(v), "an IP address or CIDR as a string")
			return ""
		}
		if a, err := netip.ParseAddr(s); err == nil {
			return a.String()
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			bad(k, quote(s), "an IP address (10.0.0.155, 2001:db8::1) or CIDR (10.0.0.0/16)")
			return ""
		}
		if !p.Addr().Is4() && p.Bits() != p.Addr().BitLen() || p.Addr().Is4() && p.Bits()%8 != 0 {
			bad(k, quote(s), "a CIDR a filter pattern can express: an IPv4 /8, /16, /24 or /32, or a single IPv6 address")
			return ""
		}
		if p.Bits() == 0 {
			bad(k, quote(s), "a prefix longer than /0 (omit the key to match any address)")
			return ""
		}
		return p.Masked().String()
	}
	intIn := func(k string, lo, hi int, allowed string) *int {
		v, present := m[k]
		if !present {
			return nil
		}
		f, isNum := v.(float64)
		if !isNum || f != float64(int(f)) || int(f) < lo || int(f) > hi {
			bad(k, fmt.Sprint(v), allowed)
			return nil
		}
		n := int(f)
		return &n
	}
	out.SrcAddr = addr("srcAddr")
	out.DstAddr = addr("dstAddr")
	out.SrcPort = intIn("srcPort", 0, 65535, "a port number 0-65535")
	out.DstPort = intIn("dstPort", 0, 65535, "a port number 0-65535")
	out.Protocol = intIn("protocol", 0, 255, "an IANA protocol number 0-255 (6 = TCP, 17 = UDP, 1 = ICMP)")
	if v, present := m["action"]; present {
		s, _ := v.(string)
		if s != "ACCEPT" && s != "REJECT" {
			bad("action", fmt.Sprint(v), "ACCEPT, REJECT")
		} else {
			out.Action = s
		}
	}
	if len(m) == 0 {
		bad("", "{}", "at least one of "+strings.Join(matchKeys, ", "))
	}
	// Every matched field must be recorded, or the filter can never match.
	if fields != nil {
		for _, c := range out.Conditions() {
			if !slices.ContainsFunc(fields, func(f flowlog.Field) bool { return f.Name == c.Field }) {
				l.errs = append(l.errs, &Error{Key: Key(key), Value: c.Field, Allowed: "matches on fields listed in flowLogFields"})
			}
		}
	}
	return out
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".") && !strings.HasSuffix(s, ".")
}

func archNames() string {
	names := make([]string, len(AllArchitectures))
	for i, a := range AllArchitectures {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
