package components

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/lambdasize"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"
)

func firehoseArgs(mode string) *FirehosePipelineArgs {
	return &FirehosePipelineArgs{
		FeedMode:              mode,
		LogGroupName:          pulumi.String("flow-logs-group"),
		LogGroupArn:           pulumi.String("arn:aws:logs:us-east-1:123456789012:log-group:flow-logs-group"),
		VpcIDs:                []pulumi.StringInput{pulumi.String("vpc-11111111")},
		TrafficType:           "ALL",
		AggregationInterval:   60,
		Fields:                flowlog.DefaultFields(),
		Forwarder:             LambdaCode{ZipPath: "/nonexistent/forwarder.zip", SHA256: "c2FtZQ=="},
		BufferSizeMB:          32,
		BufferIntervalSeconds: 120,
		ExpirationDays:        30,
		RetentionDays:         14,
		AlarmTopicArn:         pulumi.String("arn:aws:sns:us-east-1:123456789012:alarms"),
	}
}

func TestFirehosePipelineStream(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewFirehosePipeline(ctx, "fh", firehoseArgs(FeedLambda))
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:FirehosePipeline", "fh")
	stream := mustGet(t, m, "fh-stream")
	s3c := asMap(stream.Inputs["extendedS3Configuration"])
	if s3c["compressionFormat"] != "GZIP" || s3c["bufferingSize"] != float64(32) || s3c["bufferingInterval"] != float64(120) {
		t.Errorf("stream S3 config %v", s3c)
	}
	if s3c["prefix"] != FirehoseDataPrefix || !strings.HasPrefix(str(s3c["errorOutputPrefix"]), "errors/") {
		t.Errorf("prefixes %v / %v", s3c["prefix"], s3c["errorOutputPrefix"])
	}
	// The data prefix is the Hive-style hourly layout AthenaTable projects
	// (TestPartitionLayoutAgrees renders both).
	if LocationTemplate("s3://b/flowlogs/") != "s3://b/flowlogs/${datehour}/" ||
		!strings.Contains(FirehoseDataPrefix, "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/") {
		t.Error("Firehose prefix and Athena projection template disagree")
	}
	if asMap(s3c["cloudwatchLoggingOptions"])["enabled"] != true {
		t.Error("delivery-error logging off")
	}
	if sse := asMap(stream.Inputs["serverSideEncryption"]); sse["enabled"] != true {
		t.Errorf("stream encryption %v", sse)
	}
	if !mustGet(t, m, "fh-bucket").RetainOnDelete {
		t.Error("Firehose data bucket must be retained")
	}
	// Firehose's documented trust condition: sts:ExternalId = the account id, nothing else.
	trust := policyDoc(t, mustGet(t, m, "fh-role"), "assumeRolePolicy")
	cond := asMap(asMap(trust["Statement"].([]any)[0])["Condition"])
	if len(cond) != 1 || len(asMap(cond["StringEquals"])) != 1 || asMap(cond["StringEquals"])["sts:ExternalId"] != mockaws.Account {
		t.Errorf("firehose trust conditions %v, want only StringEquals sts:ExternalId = %s", cond, mockaws.Account)
	}
	pol := policyDoc(t, mustGet(t, m, "fh-role-policy"), "policy")
	write := statementBySid(t, pol, "WriteDataAndErrors")
	for _, r := range write["Resource"].([]any) {
		if !strings.HasSuffix(str(r), "/flowlogs/*") && !strings.HasSuffix(str(r), "/errors/*") {
			t.Errorf("firehose may write outside its prefixes: %v", r)
		}
	}
	if a := mustGet(t, m, "fh-delivery-failures"); a.Input("metricName") != "DeliveryToS3.Success" {
		t.Errorf("delivery alarm on %q", a.Input("metricName"))
	}
}

func TestFirehosePipelineLambdaFeed(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewFirehosePipeline(ctx, "fh", firehoseArgs(FeedLambda))
		return err
	})
	fn := mustGet(t, m, "fh-forwarder")
	if fn.Input("runtime") != "provided.al2023" || fn.Input("handler") != "bootstrap" || fn.Input("sourceCodeHash") != "c2FtZQ==" {
		t.Errorf("function %v", fn.Inputs)
	}
	if archs := fn.Inputs["architectures"].([]any); len(archs) != 1 || archs[0] != "arm64" {
		t.Errorf("architectures %v", archs)
	}
	vars := asMap(asMap(fn.Inputs["environment"])["variables"])
	if vars["FLOW_LOG_FORMAT"] != flowlog.LogFormat(flowlog.DefaultFields()) || !strings.HasPrefix(str(vars["DELIVERY_STREAM_NAME"]), "fh-stream") {
		t.Errorf("environment %v", vars)
	}
	// Lambda documents no trust condition for an execution role.
	trust := asMap(policyDoc(t, mustGet(t, m, "fh-forwarder-role"), "assumeRolePolicy")["Statement"].([]any)[0])
	if asMap(trust["Principal"])["Service"] != "lambda.amazonaws.com" || trust["Condition"] != nil {
		t.Errorf("forwarder execution role trust %v, want lambda.amazonaws.com and no condition", trust)
	}
	pol := policyDoc(t, mustGet(t, m, "fh-forwarder-role-policy"), "policy")
	put := statementBySid(t, pol, "PutToOneStream")
	if put["Action"] != "firehose:PutRecordBatch" || !strings.HasPrefix(str(put["Resource"]), "arn:aws:kinesis:") && !strings.Contains(str(put["Resource"]), "fh-stream") {
		t.Errorf("forwarder may put beyond its stream: %v", put)
	}
	async := mustGet(t, m, "fh-forwarder-async")
	if async.Inputs["maximumRetryAttempts"] != float64(maxAsyncRetries) {
		t.Errorf("async retries %v", async.Inputs["maximumRetryAttempts"])
	}
	dlq := mustGet(t, m, "fh-forwarder-dlq")
	if dlq.Inputs["sqsManagedSseEnabled"] != true {
		t.Error("DLQ not encrypted")
	}
	dest := asMap(asMap(async.Inputs["destinationConfig"])["onFailure"])["destination"]
	if dest != dlq.Outputs["arn"] {
		t.Errorf("on-failure destination %v, want the DLQ", dest)
	}
	perm := mustGet(t, m, "fh-forwarder-invoke")
	if perm.Input("principal") != "logs.amazonaws.com" || perm.Input("sourceAccount") != mockaws.Account ||
		perm.Input("sourceArn") != "arn:aws:logs:us-east-1:123456789012:log-group:flow-logs-group:*" {
		t.Errorf("invoke permission %v", perm.Inputs)
	}
	sub := mustGet(t, m, "fh-forwarder-subscription")
	if sub.Input("logGroup") != "flow-logs-group" || sub.Input("destinationArn") != fn.Outputs["arn"] {
		t.Errorf("subscription %v", sub.Inputs)
	}
	// Dead letters: their own encrypted queue, kept 14 days, its URL in the
	// environment, SendMessage on it alone, an alarm on its depth.
	dl := mustGet(t, m, "fh-forwarder-dead-letters")
	if dl.Inputs["sqsManagedSseEnabled"] != true || dl.Inputs["messageRetentionSeconds"] != float64(14*24*3600) {
		t.Errorf("dead-letter queue %v", dl.Inputs)
	}
	if vars["DEAD_LETTER_QUEUE_URL"] != dl.Outputs["url"] || vars["DEAD_LETTER_QUEUE_URL"] == nil {
		t.Errorf("DEAD_LETTER_QUEUE_URL = %v, want %v", vars["DEAD_LETTER_QUEUE_URL"], dl.Outputs["url"])
	}
	send := statementBySid(t, pol, "DeadLetters")
	if send["Action"] != "sqs:SendMessage" || send["Resource"] != dl.Outputs["arn"] {
		t.Errorf("dead-letter grant %v", send)
	}
	depth := mustGet(t, m, "fh-forwarder-dead-letters-depth")
	if depth.Input("metricName") != "ApproximateNumberOfMessagesVisible" || asMap(depth.Inputs["dimensions"])["QueueName"] != dl.Outputs["name"] {
		t.Errorf("dead-letter alarm %v", depth.Inputs)
	}
	if fn.Inputs["memorySize"] != float64(lambdasize.ForwarderMemoryMB) {
		t.Errorf("memory %v", fn.Inputs["memorySize"])
	}
	for _, n := range []string{"fh-forwarder-errors", "fh-forwarder-dlq-depth", "fh-forwarder-dead-letters-depth"} {
		a := mustGet(t, m, n)
		if acts := a.Inputs["alarmActions"].([]any); len(acts) != 1 || acts[0] != "arn:aws:sns:us-east-1:123456789012:alarms" {
			t.Errorf("%s actions %v", n, acts)
		}
	}
	if n := len(m.ByType("aws:ec2/flowLog:FlowLog")); n != 0 {
		t.Errorf("lambda mode creates %d flow logs; it must share the CloudWatch one", n)
	}
}

func TestFirehosePipelineSubscriptionFeed(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewFirehosePipeline(ctx, "fh", firehoseArgs(FeedSubscription))
		return err
	})
	if n := len(m.ByType("aws:lambda/function:Function")); n != 0 {
		t.Errorf("subscription mode deploys %d functions", n)
	}
	procs := asMap(asMap(mustGet(t, m, "fh-stream").Inputs["extendedS3Configuration"])["processingConfiguration"])["processors"].([]any)
	var types []string
	for _, p := range procs {
		types = append(types, str(asMap(p)["type"]))
	}
	// Extraction, then a newline after every record, so that the last line of
	// one record and the first of the next never merge.
	if strings.Join(types, ",") != "Decompression,CloudWatchLogProcessing,AppendDelimiterToRecord" {
		t.Errorf("processors %v", types)
	}
	sub := mustGet(t, m, "fh-subscription")
	if sub.Input("roleArn") != mustGet(t, m, "fh-logs-role").Outputs["arn"] {
		t.Errorf("subscription role %v", sub.Inputs["roleArn"])
	}
	trust := policyDoc(t, mustGet(t, m, "fh-logs-role"), "assumeRolePolicy")
	st := asMap(trust["Statement"].([]any)[0])
	// CloudWatch Logs' documented trust condition: aws:SourceArn on this account's log groups, nothing else.
	if cond := asMap(st["Condition"]); asMap(st["Principal"])["Service"] != "logs.amazonaws.com" || len(cond) != 1 ||
		len(asMap(cond["StringLike"])) != 1 || asMap(cond["StringLike"])["aws:SourceArn"] != "arn:aws:logs:us-east-1:123456789012:*" {
		t.Errorf("logs trust %v, want only StringLike aws:SourceArn = arn:aws:logs:us-east-1:123456789012:*", st)
	}
}

func TestFirehosePipelineDirectFeed(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewFirehosePipeline(ctx, "fh", firehoseArgs(FeedDirect))
		return err
	})
	logs := m.ByType("aws:ec2/flowLog:FlowLog")
	if len(logs) != 1 || logs[0].Input("logDestinationType") != "kinesis-data-firehose" {
		t.Fatalf("direct mode flow logs %v", logs)
	}
	if tags := asMap(mustGet(t, m, "fh-stream").Inputs["tags"]); tags["LogDeliveryEnabled"] != "true" {
		t.Errorf("flow-log delivery needs the LogDeliveryEnabled tag: %v", tags)
	}
	if n := len(m.ByType("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter")); n != 0 {
		t.Errorf("direct mode adds %d subscription filters", n)
	}
}

func TestFirehosePipelineRejectsBadArgs(t *testing.T) {
	cases := map[string]func(a *FirehosePipelineArgs){
		"mode":           func(a *FirehosePipelineArgs) { a.FeedMode = "kinesis" },
		"buffer size":    func(a *FirehosePipelineArgs) { a.BufferSizeMB = 129 },
		"buffer time":    func(a *FirehosePipelineArgs) { a.BufferIntervalSeconds = 901 },
		"no code":        func(a *FirehosePipelineArgs) { a.Forwarder = LambdaCode{} },
		"no log group":   func(a *FirehosePipelineArgs) { a.LogGroupName = nil },
		"retention":      func(a *FirehosePipelineArgs) { a.RetentionDays = 2 },
		"direct no vpcs": func(a *FirehosePipelineArgs) { a.FeedMode = FeedDirect; a.VpcIDs = nil },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := firehoseArgs(FeedLambda)
			mutate(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewFirehosePipeline(ctx, "bad", a)
				return err
			}, "p", "s", nil)
			if err == nil || len(m.Resources) != 0 {
				t.Fatalf("err = %v, %d resources registered", err, len(m.Resources))
			}
		})
	}
}

// TestFirehoseBufferIntervalAgreesWithConfig: the component takes exactly
// the buffer intervals the config takes (1-900), each reaching the stream
// as given. 0, zero buffering, and an unset field (Go's zero value) are
// refused by both, with nothing registered: the provider defaults
// buffering_interval to 300, and no test here can show an explicit 0 gets
// to Firehose (minFirehoseBufferInterval).
func TestFirehoseBufferIntervalAgreesWithConfig(t *testing.T) {
	for _, n := range []int{-1, 0, 1, 60, 300, 900, 901} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			_, cfgErr := stackconfig.Load(func(key string) (string, bool) {
				switch key {
				case stackconfig.Key("architectures"):
					return `["firehose-athena"]`, true
				case stackconfig.Key("firehoseBufferIntervalSeconds"):
					return strconv.Itoa(n), true
				}
				return "", false
			})
			a := firehoseArgs(FeedLambda)
			a.BufferIntervalSeconds = n
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewFirehosePipeline(ctx, "fh", a)
				return err
			}, "p", "s", nil)
			if (cfgErr == nil) != (err == nil) {
				t.Fatalf("config error %v, component error %v: they disagree", cfgErr, err)
			}
			if err != nil {
				want := fmt.Sprintf("BufferIntervalSeconds: %d; allowed: 1-900 seconds", n)
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %v, want one containing %q", err, want)
				}
				if len(m.Resources) != 0 {
					t.Errorf("a refused interval registered %d resources", len(m.Resources))
				}
				return
			}
			s3c := asMap(mustGet(t, m, "fh-stream").Inputs["extendedS3Configuration"])
			if s3c["bufferingInterval"] != float64(n) {
				t.Errorf("bufferingInterval %v, want %d", s3c["bufferingInterval"], n)
			}
		})
	}

	// Args that never mention the interval are refused too, not given 0 or
	// a default the caller did not choose.
	base := firehoseArgs(FeedLambda)
	if _, err := mockaws.Run(func(ctx *pulumi.Context) error {
		_, err := NewFirehosePipeline(ctx, "fh", &FirehosePipelineArgs{
			FeedMode: base.FeedMode, LogGroupName: base.LogGroupName, LogGroupArn: base.LogGroupArn,
			Fields: base.Fields, Forwarder: base.Forwarder, RetentionDays: base.RetentionDays, AlarmTopicArn: base.AlarmTopicArn,
		})
		return err
	}, "p", "s", nil); err == nil || !strings.Contains(err.Error(), "BufferIntervalSeconds: 0; allowed: 1-900 seconds, set explicitly") {
		t.Errorf("args without BufferIntervalSeconds: error %v, want the interval refused, not a silent 0 or default", err)
	}
}

// TestFirehosePipelineKMS: with a bucket key the stream writes SSE-KMS
// objects, and its role may use the key, through S3 only.
func TestFirehosePipelineKMS(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:123456789012:key/abcd"
	m := run(t, func(ctx *pulumi.Context) error {
		a := firehoseArgs(FeedSubscription)
		a.KmsKeyArn = key
		_, err := NewFirehosePipeline(ctx, "fh", a)
		return err
	})
	s3c := asMap(mustGet(t, m, "fh-stream").Inputs["extendedS3Configuration"])
	if s3c["kmsKeyArn"] != key {
		t.Errorf("stream writes with key %v, want %s", s3c["kmsKeyArn"], key)
	}
	sse := asMap(asMap(mustGet(t, m, "fh-bucket-encryption").Inputs["rules"].([]any)[0])["applyServerSideEncryptionByDefault"])
	if sse["sseAlgorithm"] != "aws:kms" || sse["kmsMasterKeyId"] != key {
		t.Errorf("bucket encryption %v", sse)
	}
	st := statementBySid(t, policyDoc(t, mustGet(t, m, "fh-role-policy"), "policy"), "BucketKey")
	actions := st["Action"].([]any)
	if st["Resource"] != key || len(actions) != 2 || actions[0] != "kms:GenerateDataKey" || actions[1] != "kms:Decrypt" {
		t.Errorf("role's key statement %v", st)
	}
	if asMap(asMap(st["Condition"])["StringEquals"])["kms:ViaService"] != "s3.us-east-1.amazonaws.com" {
		t.Errorf("role may use the key outside S3: %v", st["Condition"])
	}
}

// TestFirehosePipelineArgsAtTheirBounds: Firehose's S3 buffering hints take
// a size of 1-128 MiB and an interval of 0-900 s, both ends included
// (https://docs.aws.amazon.com/firehose/latest/APIReference/API_BufferingHints.html);
// one step past either end, or a key that is not a KMS key, is refused.
func TestFirehosePipelineArgsAtTheirBounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(a *FirehosePipelineArgs)
		ok   bool
	}{
		{"buffer of 1 MiB", func(a *FirehosePipelineArgs) { a.BufferSizeMB = 1 }, true},
		{"buffer of 128 MiB", func(a *FirehosePipelineArgs) { a.BufferSizeMB = 128 }, true},
		{"buffer of -1 MiB", func(a *FirehosePipelineArgs) { a.BufferSizeMB = -1 }, false}, // 0 is the default
		{"buffer of 129 MiB", func(a *FirehosePipelineArgs) { a.BufferSizeMB = 129 }, false},
		{"interval of 1 s", func(a *FirehosePipelineArgs) { a.BufferIntervalSeconds = 1 }, true},
		{"interval of 0 s", func(a *FirehosePipelineArgs) { a.BufferIntervalSeconds = 0 }, false}, // minFirehoseBufferInterval
		{"interval of 900 s", func(a *FirehosePipelineArgs) { a.BufferIntervalSeconds = 900 }, true},
		{"interval of -1 s", func(a *FirehosePipelineArgs) { a.BufferIntervalSeconds = -1 }, false},
		{"interval of 901 s", func(a *FirehosePipelineArgs) { a.BufferIntervalSeconds = 901 }, false},
		{"key not KMS", func(a *FirehosePipelineArgs) { a.KmsKeyArn = "arn:aws:s3:::flow-bucket" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := firehoseArgs(FeedLambda)
			tc.set(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewFirehosePipeline(ctx, "fh", a)
				return err
			}, "vpc-flow-logs", "test", nil)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && (err == nil || len(m.Resources) > 1) {
				t.Fatalf("err = %v, %d resources registered; want an error and no resource", err, len(m.Resources))
			}
		})
	}
}

// TestFirehosePipelineEveryModeCompletes: in every feed mode the
// constructor goes on past its feed (subscription filter, flow logs, or the
// forwarder) and returns the pipeline with its outputs: the stream it
// declared, and in direct mode a flow log per VPC.
func TestFirehosePipelineEveryModeCompletes(t *testing.T) {
	for _, mode := range FeedModes {
		t.Run(mode, func(t *testing.T) {
			var fh *FirehosePipeline
			m := run(t, func(ctx *pulumi.Context) error {
				a := firehoseArgs(mode)
				a.VpcIDs = []pulumi.StringInput{pulumi.String("vpc-11111111"), pulumi.String("vpc-22222222")}
				var err error
				fh, err = NewFirehosePipeline(ctx, "fh", a)
				return err
			})
			if fh == nil {
				t.Fatal("no pipeline and no error")
			}
			if got, want := await(t, fh.StreamName), mustGet(t, m, "fh-stream").Outputs["name"]; got != want {
				t.Errorf("StreamName = %v, want the stream's %v", got, want)
			}
			if mode == FeedDirect {
				mustGet(t, m, "fh-vpc0")
				mustGet(t, m, "fh-vpc1")
			}
		})
	}
}

// TestFirehosePipelineRefusesAliasKey: an alias ARN would become the
// Resource of the role's BucketKey statement, which then grants nothing on
// the key (IAM names a key only by its key ARN:
// https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html);
// it is refused before anything is registered.
func TestFirehosePipelineRefusesAliasKey(t *testing.T) {
	const alias = "arn:aws:kms:us-east-1:123456789012:alias/flowlogs"
	a := firehoseArgs(FeedLambda)
	a.KmsKeyArn = alias
	m, err := mockaws.Run(func(ctx *pulumi.Context) error {
		_, err := NewFirehosePipeline(ctx, "fh", a)
		return err
	}, "p", "s", nil)
	want := `KmsKeyArn: "` + alias + `" is not a KMS key ARN`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
	if len(m.Resources) != 0 {
		t.Errorf("an alias ARN registered %d resources", len(m.Resources))
	}
}
