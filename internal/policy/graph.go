package policy

import (
	"slices"
	"strings"
	"time"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

// Resource type tokens the rules read. Where pulumi-aws v6 has a V2 resource
// and v7 renames it, both tokens are listed so the rules survive the upgrade.
const (
	tBucketV2        = "aws:s3/bucketV2:BucketV2"
	tBucket          = "aws:s3/bucket:Bucket"
	tPublicAccess    = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
	tOwnership       = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
	tEncryptionV2    = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
	tEncryption      = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
	tVersioningV2    = "aws:s3/bucketVersioningV2:BucketVersioningV2"
	tVersioning      = "aws:s3/bucketVersioning:BucketVersioning"
	tLifecycleV2     = "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2"
	tLifecycle       = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
	tBucketPolicy    = "aws:s3/bucketPolicy:BucketPolicy"
	tBucketACLV2     = "aws:s3/bucketAclV2:BucketAclV2"
	tBucketACL       = "aws:s3/bucketAcl:BucketAcl"
	tLogGroup        = "aws:cloudwatch/logGroup:LogGroup"
	tTopic           = "aws:sns/topic:Topic"
	tQueue           = "aws:sqs/queue:Queue"
	tKey             = "aws:kms/key:Key"
	tDomain          = "aws:opensearch/domain:Domain"
	tDomainPolicy    = "aws:opensearch/domainPolicy:DomainPolicy"
	tFunction        = "aws:lambda/function:Function"
	tPermission      = "aws:lambda/permission:Permission"
	tFunctionURL     = "aws:lambda/functionUrl:FunctionUrl"
	tInvokeConfig    = "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"
	tRole            = "aws:iam/role:Role"
	tFirehose        = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
	tWorkgroup       = "aws:athena/workgroup:Workgroup"
	tVpc             = "aws:ec2/vpc:Vpc"
	tFlowLog         = "aws:ec2/flowLog:FlowLog"
	tInstance        = "aws:ec2/instance:Instance"
	tLaunchTemplate  = "aws:ec2/launchTemplate:LaunchTemplate"
	providerTypePref = "pulumi:providers:"
)

// Graph is a read-only view of a mocked run for the rules: the cloud
// resources by type, the links from sub-resources to what they configure
// (a public-access block to its bucket, a permission to its function, a
// policy to its domain) through the inputs that reference the target's
// outputs, and what the stack configuration expects.
type Graph struct {
	// Mocks is the recorded run.
	Mocks *mockaws.Mocks
	// Now is the evaluation time of dated rules (runtime deprecation).
	Now time.Time
	// MonitoredVPCs are VPC ids the stack monitors but does not create
	// (config vpcIds); every VPC the stack creates is monitored too.
	MonitoredVPCs []string
	// LogKmsKeyArn is the key configured for the flow-log log groups ("" = none).
	LogKmsKeyArn string

	// What the deployability rules read from the config (rules_deploy.go).
	slrExists, foreignEndpointsOK bool
	// stackRegion is the region of the default aws provider ("" = unknown; rules_org.go).
	stackRegion string

	resources []*mockaws.Resource
	byType    map[string][]*mockaws.Resource
	docs      []Document
	docsRead  bool
}

// Option sets what the stack configuration expects of the graph.
type Option func(*Graph)

// MonitoredVPCs adds VPC ids the stack must log but does not create.
func MonitoredVPCs(ids ...string) Option {
	return func(g *Graph) { g.MonitoredVPCs = append(g.MonitoredVPCs, ids...) }
}

// LogKmsKey is the KMS key the flow-log log groups must be encrypted with.
func LogKmsKey(arn string) Option { return func(g *Graph) { g.LogKmsKeyArn = arn } }

// At evaluates dated rules at t instead of now.
func At(t time.Time) Option { return func(g *Graph) { g.Now = t } }

// ForConfig sets the expectations a validated stack configuration implies.
func ForConfig(c *stackconfig.Config) Option {
	return func(g *Graph) {
		g.MonitoredVPCs = append(g.MonitoredVPCs, c.VpcIDs...)
		g.LogKmsKeyArn = c.LogKmsKeyArn
	}
}

// NewGraph indexes the cloud resources of a run (components and providers
// are not checked).
func NewGraph(m *mockaws.Mocks, opts ...Option) *Graph {
	g := &Graph{Mocks: m, Now: time.Now().UTC(), byType: map[string][]*mockaws.Resource{}}
	for _, r := range m.Resources {
		if !r.Custom || strings.HasPrefix(r.Type, providerTypePref) {
			continue
		}
		g.resources = append(g.resources, r)
		g.byType[r.Type] = append(g.byType[r.Type], r)
	}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Resources returns every cloud resource, in registration order.
func (g *Graph) Resources() []*mockaws.Resource { return g.resources }

// ByType returns the resources of any of the type tokens, in registration order.
func (g *Graph) ByType(tokens ...string) []*mockaws.Resource {
	if len(tokens) == 1 {
		return g.byType[tokens[0]]
	}
	var out []*mockaws.Resource
	for _, r := range g.resources {
		if slices.Contains(tokens, r.Type) {
			out = append(out, r)
		}
	}
	return out
}

// identifiers are the output values other resources reference r by.
func identifiers(r *mockaws.Resource) []string {
	var out []string
	for _, k := range []string{"id", "name", "arn", "bucket", "domainName"} {
		if s, ok := r.Outputs[k].(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Refers reports whether value names target by one of its identifiers (id,
// name, ARN, bucket or domain name).
func Refers(value any, target *mockaws.Resource) bool {
	s, ok := value.(string)
	return ok && s != "" && slices.Contains(identifiers(target), s)
}

// Referencing returns the resources of the given types whose input at path
// (dotted, see Get) names target.
func (g *Graph) Referencing(target *mockaws.Resource, path string, tokens ...string) []*mockaws.Resource {
	var out []*mockaws.Resource
	for _, r := range g.ByType(tokens...) {
		if Refers(Get(r.Inputs, path), target) {
			out = append(out, r)
		}
	}
	return out
}

// Buckets returns the S3 buckets the stack creates.
func (g *Graph) Buckets() []*mockaws.Resource { return g.ByType(tBucketV2, tBucket) }

// BucketParts returns the sub-resources of the given types that configure
// bucket (their "bucket" input is the bucket's name).
func (g *Graph) BucketParts(bucket *mockaws.Resource, tokens ...string) []*mockaws.Resource {
	return g.Referencing(bucket, "bucket", tokens...)
}

// ResultBuckets returns the buckets an Athena workgroup writes query
// results to (its resultConfiguration.outputLocation is s3://<bucket>/...).
func (g *Graph) ResultBuckets() map[*mockaws.Resource]*mockaws.Resource {
	out := map[*mockaws.Resource]*mockaws.Resource{}
	for _, wg := range g.ByType(tWorkgroup) {
		loc := Str(Get(wg.Inputs, "configuration.resultConfiguration.outputLocation"))
		rest, ok := strings.CutPrefix(loc, "s3://")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, "/")
		for _, b := range g.Buckets() {
			if Str(b.Outputs["bucket"]) == name {
				out[b] = wg
			}
		}
	}
	return out
}

// DataBuckets returns the buckets that hold data: every bucket except the
// Athena query-result buckets, whose content is a re-creatable cache.
func (g *Graph) DataBuckets() []*mockaws.Resource {
	results := g.ResultBuckets()
	var out []*mockaws.Resource
	for _, b := range g.Buckets() {
		if _, ok := results[b]; !ok {
			out = append(out, b)
		}
	}
	return out
}

// LogGroupNamed returns the log group the stack creates with that name, or nil.
func (g *Graph) LogGroupNamed(name string) *mockaws.Resource {
	for _, lg := range g.ByType(tLogGroup) {
		if Str(lg.Outputs["name"]) == name {
			return lg
		}
	}
	return nil
}

// FunctionLogGroupName is the log group a function writes to: its
// loggingConfig.logGroup, or Lambda's default /aws/lambda/<function name>.
func FunctionLogGroupName(fn *mockaws.Resource) string {
	if lg := Str(Get(fn.Inputs, "loggingConfig.logGroup")); lg != "" {
		return lg
	}
	return "/aws/lambda/" + Str(fn.Outputs["name"])
}

// FunctionRefers reports whether value (a function name, ARN, or either with
// a :qualifier) names fn.
func FunctionRefers(value any, fn *mockaws.Resource) bool {
	s := Str(value)
	if s == "" {
		return false
	}
	if Refers(s, fn) {
		return true
	}
	if i := strings.LastIndex(s, ":"); i > 0 {
		return Refers(s[:i], fn)
	}
	return false
}

// FlowLogDestinations returns, per flow log, the resource it delivers to
// (a bucket, log group or delivery stream of the stack), if any.
func (g *Graph) FlowLogDestinations() map[*mockaws.Resource]*mockaws.Resource {
	out := map[*mockaws.Resource]*mockaws.Resource{}
	targets := g.ByType(tBucketV2, tBucket, tLogGroup, tFirehose)
	for _, fl := range g.ByType(tFlowLog) {
		dest := Str(fl.Inputs["logDestination"])
		for _, t := range targets {
			arn := Str(t.Outputs["arn"])
			if arn != "" && (dest == arn || strings.HasPrefix(dest, arn+"/") || dest == arn+":*") {
				out[fl] = t
			}
		}
	}
	return out
}

// Readers of recorded inputs, shared with the plan's diagram and cost estimate.
var (
	Get    = mockaws.Get
	Str    = mockaws.Str
	IsTrue = mockaws.IsTrue
	Num    = mockaws.Num
	List   = mockaws.List
)
