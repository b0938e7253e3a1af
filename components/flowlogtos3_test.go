package components

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdabuild"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

func s3Args() *FlowLogToS3Args {
	return &FlowLogToS3Args{
		VpcIDs:              []pulumi.StringInput{pulumi.String("vpc-0123456789abcdef0"), pulumi.String("vpc-11111111")},
		Fields:              flowlog.DefaultFields(),
		TrafficType:         "ALL",
		AggregationInterval: 60,
		FileFormat:          "parquet",
		ExpirationDays:      90,
		Tags:                map[string]string{"team": "secops"},
	}
}

func TestFlowLogToS3(t *testing.T) {
	var c *FlowLogToS3
	m := run(t, func(ctx *pulumi.Context) error {
		var err error
		c, err = NewFlowLogToS3(ctx, "fl", s3Args())
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:FlowLogToS3", "fl")

	logs := m.ByType("aws:ec2/flowLog:FlowLog")
	if len(logs) != 2 {
		t.Fatalf("want one flow log per VPC (2), got %d", len(logs))
	}
	wantFormat := flowlog.LogFormat(flowlog.DefaultFields())
	for _, fl := range logs {
		if fl.Input("logFormat") != wantFormat {
			t.Errorf("%s logFormat = %q, want catalog order %q", fl.Name, fl.Input("logFormat"), wantFormat)
		}
		if fl.Input("logDestinationType") != "s3" || fl.Input("trafficType") != "ALL" {
			t.Errorf("%s: destination %q traffic %q", fl.Name, fl.Input("logDestinationType"), fl.Input("trafficType"))
		}
		if fl.Inputs["maxAggregationInterval"] != float64(60) {
			t.Errorf("%s: interval %v", fl.Name, fl.Inputs["maxAggregationInterval"])
		}
		opts := asMap(fl.Inputs["destinationOptions"])
		if opts["fileFormat"] != "parquet" || opts["hiveCompatiblePartitions"] != true || opts["perHourPartition"] != true {
			t.Errorf("%s destination options = %v", fl.Name, opts)
		}
		if !strings.HasPrefix(fl.Input("logDestination"), "arn:aws:s3:::fl-bucket-") {
			t.Errorf("%s writes to %q, not the component's bucket", fl.Name, fl.Input("logDestination"))
		}
		if asMap(fl.Inputs["tags"])["team"] != "secops" {
			t.Errorf("%s lacks the configured tags: %v", fl.Name, fl.Inputs["tags"])
		}
	}

	bucket := mustGet(t, m, "fl-bucket")
	if !bucket.RetainOnDelete {
		t.Error("flow-log bucket must be retained when the stack is destroyed")
	}
	pab := mustGet(t, m, "fl-bucket-public-access")
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		if pab.Inputs[k] != true {
			t.Errorf("public access block %s = %v", k, pab.Inputs[k])
		}
	}
	own := mustGet(t, m, "fl-bucket-ownership")
	if asMap(own.Inputs["rule"])["objectOwnership"] != "BucketOwnerEnforced" {
		t.Errorf("ownership = %v", own.Inputs["rule"])
	}
	enc := mustGet(t, m, "fl-bucket-encryption")
	rule := asMap(enc.Inputs["rules"].([]any)[0])
	if asMap(rule["applyServerSideEncryptionByDefault"])["sseAlgorithm"] != "AES256" {
		t.Errorf("default encryption = %v", rule)
	}
	ver := mustGet(t, m, "fl-bucket-versioning")
	if asMap(ver.Inputs["versioningConfiguration"])["status"] != "Enabled" {
		t.Errorf("versioning = %v", ver.Inputs)
	}
	lc := mustGet(t, m, "fl-bucket-lifecycle")
	var expiry any
	for _, r := range lc.Inputs["rules"].([]any) {
		if e := asMap(asMap(r)["expiration"]); e != nil {
			expiry = e["days"]
		}
	}
	if expiry != float64(90) {
		t.Errorf("lifecycle expiry = %v, want 90 days", expiry)
	}

	doc := policyDoc(t, mustGet(t, m, "fl-bucket-policy"), "policy")
	deny := statementBySid(t, doc, "DenyInsecureTransport")
	if deny["Effect"] != "Deny" || asMap(asMap(deny["Condition"])["Bool"])["aws:SecureTransport"] != "false" {
		t.Errorf("TLS-only statement wrong: %v", deny)
	}
	for _, sid := range []string{"AWSLogDeliveryWrite", "AWSLogDeliveryAclCheck"} {
		st := statementBySid(t, doc, sid)
		if asMap(st["Principal"])["Service"] != "delivery.logs.amazonaws.com" {
			t.Errorf("%s principal = %v", sid, st["Principal"])
		}
		cond := asMap(st["Condition"])
		if asMap(cond["StringEquals"])["aws:SourceAccount"] != mockaws.Account {
			t.Errorf("%s lacks aws:SourceAccount: %v", sid, cond)
		}
		if asMap(cond["ArnLike"])["aws:SourceArn"] != "arn:aws:logs:us-east-1:123456789012:*" {
			t.Errorf("%s lacks aws:SourceArn: %v", sid, cond)
		}
	}
	write := statementBySid(t, doc, "AWSLogDeliveryWrite")
	if !strings.HasSuffix(str(write["Resource"]), "/AWSLogs/aws-account-id=123456789012/*") {
		t.Errorf("delivery may write outside AWSLogs/aws-account-id=<account>/: %v", write["Resource"])
	}

	wantLoc := "s3://fl-bucket-"
	location := str(await(t, c.Location))
	if !strings.HasPrefix(location, wantLoc) || !strings.HasSuffix(location, "/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/") {
		t.Errorf("location = %q", location)
	}
}

func TestFlowLogToS3KMSAndExistingBucket(t *testing.T) {
	// The mocked engine drops log messages; the program's own recorder
	// sees the key-policy warning, once, and only when a key is given.
	warnings := &warnRecorder{}
	m := run(t, func(ctx *pulumi.Context) error {
		warnings.Log = ctx.Log
		ctx.Log = warnings
		a := s3Args()
		a.KmsKeyArn = "arn:aws:kms:us-east-1:123456789012:key/abcd"
		_, err := NewFlowLogToS3(ctx, "kms", a)
		return err
	})
	if want := LogDeliveryKeyWarning("arn:aws:kms:us-east-1:123456789012:key/abcd", "aws", "us-east-1", "123456789012"); len(warnings.msgs) != 1 || warnings.msgs[0] != want {
		t.Errorf("warnings with a key = %q, want the key-policy warning once", warnings.msgs)
	}
	rule := asMap(mustGet(t, m, "kms-bucket-encryption").Inputs["rules"].([]any)[0])
	sse := asMap(rule["applyServerSideEncryptionByDefault"])
	if sse["sseAlgorithm"] != "aws:kms" || sse["kmsMasterKeyId"] != "arn:aws:kms:us-east-1:123456789012:key/abcd" {
		t.Errorf("KMS encryption = %v", sse)
	}

	var ext *FlowLogToS3
	warnings = &warnRecorder{}
	m = run(t, func(ctx *pulumi.Context) error {
		warnings.Log = ctx.Log
		ctx.Log = warnings
		a := s3Args()
		a.ExistingBucketArn = "arn:aws:s3:::shared-flow-logs"
		var err error
		ext, err = NewFlowLogToS3(ctx, "ext", a)
		return err
	})
	if len(warnings.msgs) != 0 {
		t.Errorf("warnings without a key = %q", warnings.msgs)
	}
	if got := await(t, ext.BucketName); got != "shared-flow-logs" {
		t.Errorf("BucketName = %v, want the existing bucket's name, shared-flow-logs", got)
	}
	if n := len(m.ByType("aws:s3/bucketV2:BucketV2")); n != 0 {
		t.Errorf("existing bucket given, yet %d buckets created", n)
	}
	for _, fl := range m.ByType("aws:ec2/flowLog:FlowLog") {
		if fl.Input("logDestination") != "arn:aws:s3:::shared-flow-logs" {
			t.Errorf("flow log writes to %q", fl.Input("logDestination"))
		}
	}
}

func TestFlowLogToS3RejectsBadArgs(t *testing.T) {
	cases := map[string]func(a *FlowLogToS3Args){
		"no vpcs":     func(a *FlowLogToS3Args) { a.VpcIDs = nil },
		"no fields":   func(a *FlowLogToS3Args) { a.Fields = nil },
		"traffic":     func(a *FlowLogToS3Args) { a.TrafficType = "DENY" },
		"interval":    func(a *FlowLogToS3Args) { a.AggregationInterval = 300 },
		"format":      func(a *FlowLogToS3Args) { a.FileFormat = "csv" },
		"bucket arn":  func(a *FlowLogToS3Args) { a.ExistingBucketArn = "arn:aws:kms:us-east-1:1:key/x" },
		"key not KMS": func(a *FlowLogToS3Args) { a.KmsKeyArn = "arn:aws:s3:::flow-bucket" },
		"key alias":   func(a *FlowLogToS3Args) { a.KmsKeyArn = "arn:aws:kms:us-east-1:123456789012:alias/flowlogs" },
		"kms + existing": func(a *FlowLogToS3Args) {
			a.ExistingBucketArn = "arn:aws:s3:::b"
			a.KmsKeyArn = "arn:aws:kms:us-east-1:123456789012:key/x"
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := s3Args()
			mutate(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewFlowLogToS3(ctx, "bad", a)
				return err
			}, "p", "s", nil)
			if err == nil {
				t.Fatal("want an error")
			}
			if len(m.Resources) != 0 {
				t.Errorf("invalid args registered %d resources", len(m.Resources))
			}
		})
	}
}

// TestLogDeliveryKeyStatement: the statement FlowLogToS3 asks for when the
// bucket uses a key it does not own is the one the VPC Flow Logs guide gives
// (flow-logs-s3-cmk-policy), with the stack's account and region filled in.
func TestLogDeliveryKeyStatement(t *testing.T) {
	var st map[string]any
	if err := json.Unmarshal([]byte(LogDeliveryKeyStatement("aws", "eu-west-1", "210987654321")), &st); err != nil {
		t.Fatal(err)
	}
	if st["Effect"] != "Allow" || st["Resource"] != "*" {
		t.Errorf("statement %v", st)
	}
	if got := strings1(asMap(st["Principal"])["Service"]); !slices.Equal(got, []string{"delivery.logs.amazonaws.com"}) {
		t.Errorf("principal %v", got)
	}
	want := []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}
	if got := strings1(st["Action"]); !slices.Equal(got, want) {
		t.Errorf("actions %v, want %v", got, want)
	}
	cond := asMap(st["Condition"])
	if got := strings1(asMap(cond["StringEquals"])["aws:SourceAccount"]); !slices.Equal(got, []string{"210987654321"}) {
		t.Errorf("aws:SourceAccount %v", got)
	}
	if got := strings1(asMap(cond["ArnLike"])["aws:SourceArn"]); !slices.Equal(got, []string{"arn:aws:logs:eu-west-1:210987654321:*"}) {
		t.Errorf("aws:SourceArn %v", got)
	}

	w := LogDeliveryKeyWarning("arn:aws:kms:eu-west-1:210987654321:key/k", "aws", "eu-west-1", "210987654321")
	for _, s := range []string{"arn:aws:kms:eu-west-1:210987654321:key/k", LogDeliveryKeyStatement("aws", "eu-west-1", "210987654321"),
		"https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html"} {
		if !strings.Contains(w, s) {
			t.Errorf("warning lacks %q:\n%s", s, w)
		}
	}

	// docs/configuration.md, "KMS keys", shows the same statement, with placeholders.
	root, err := lambdabuild.FindModuleRoot("")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	if placeholder := LogDeliveryKeyStatement("aws", "<region>", "<account-id>"); !strings.Contains(string(readme), placeholder) {
		t.Errorf("docs/configuration.md, \"KMS keys\", does not show the key-policy statement:\n%s", placeholder)
	}
}

// warnRecorder keeps the warnings a program logs and passes every message on.
type warnRecorder struct {
	pulumi.Log
	mu   sync.Mutex
	msgs []string
}

func (w *warnRecorder) Warn(msg string, args *pulumi.LogArgs) error {
	w.mu.Lock()
	w.msgs = append(w.msgs, msg)
	w.mu.Unlock()
	return w.Log.Warn(msg, args)
}

// TestFlowLogToS3PartitionsOnlyHivePerHour: a member passes the central
// stack's partitions; Hive-compatible per-hour ones reach the flow log, and
// every other combination is refused before any resource is registered,
// since the bucket policy's write statement, Location and AthenaTable's
// projection describe that layout only (with Hive prefixes off the flow log
// writes AWSLogs/<account>/vpcflowlogs/<region>/yyyy/MM/dd[/HH]/: delivery
// denied, and a table that finds nothing).
func TestFlowLogToS3PartitionsOnlyHivePerHour(t *testing.T) {
	var c *FlowLogToS3
	m := run(t, func(ctx *pulumi.Context) error {
		a := s3Args()
		a.FileFormat = "plain-text"
		a.Partitions = &S3Partitions{HiveCompatible: true, PerHour: true}
		var err error
		c, err = NewFlowLogToS3(ctx, "fl", a)
		return err
	})
	opts := asMap(mustGet(t, m, "fl-vpc0").Inputs["destinationOptions"])
	if opts["hiveCompatiblePartitions"] != true || opts["perHourPartition"] != true || opts["fileFormat"] != "plain-text" {
		t.Errorf("destinationOptions = %v", opts)
	}
	write := statementBySid(t, policyDoc(t, mustGet(t, m, "fl-bucket-policy"), "policy"), "AWSLogDeliveryWrite")
	if !strings.HasSuffix(str(write["Resource"]), "/AWSLogs/aws-account-id=123456789012/*") {
		t.Errorf("write resource %v", write["Resource"])
	}
	if loc := str(await(t, c.Location)); !strings.HasSuffix(loc, "/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/") {
		t.Errorf("Location %q", loc)
	}

	for _, p := range []S3Partitions{{false, false}, {false, true}, {true, false}} {
		t.Run(fmt.Sprintf("hive=%t,hour=%t", p.HiveCompatible, p.PerHour), func(t *testing.T) {
			a := s3Args()
			a.Partitions = &p
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewFlowLogToS3(ctx, "bad", a)
				return err
			}, "p", "s", nil)
			want := fmt.Sprintf("Partitions: hiveCompatiblePartitions %t, perHourPartition %t; allowed: both true", p.HiveCompatible, p.PerHour)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want one containing %q", err, want)
			}
			if len(m.Resources) != 0 {
				t.Errorf("refused partitions registered %d resources", len(m.Resources))
			}
		})
	}
}
