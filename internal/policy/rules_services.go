package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/policy/ids"
)

var logRules = []Rule{
	{
		ID:          ids.LogsRetention,
		Severity:    Medium,
		Description: "Every CloudWatch Logs log group sets a retention CloudWatch Logs accepts; without one, logs (and their cost) are kept forever (FSBP CloudWatch.16).",
		Clauses: []Clause{
			{ID: "retention-set", Text: "the log group sets retentionInDays"},
			{ID: "retention-accepted", Text: "retentionInDays is a value CloudWatch Logs accepts"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, lg := range g.ByType(tLogGroup) {
				d, ok := Num(lg.Inputs["retentionInDays"])
				if !ok || d == 0 {
					out = append(out, violation(lg, "retention-set", "no retentionInDays: logs never expire"))
				} else if !slices.Contains(awslimits.RetentionDays, int(d)) {
					out = append(out, violation(lg, "retention-accepted", "retentionInDays %v is not a retention CloudWatch Logs accepts", d))
				}
			}
			return out
		},
	},
	{
		ID:          ids.LogsKMS,
		Severity:    Medium,
		Description: "Where the stack configures a KMS key for flow-log log groups (logKmsKeyArn), every log group a flow log delivers to is encrypted with that key.",
		Clauses:     one("configured-key", "every flow-log log group's kmsKeyId is logKmsKeyArn"),
		Check: func(g *Graph) []Violation {
			if g.LogKmsKeyArn == "" {
				return nil
			}
			var out []Violation
			seen := map[*mockaws.Resource]bool{}
			for _, dest := range g.FlowLogDestinations() {
				if dest.Type != tLogGroup || seen[dest] {
					continue
				}
				seen[dest] = true
				if got := Str(dest.Inputs["kmsKeyId"]); got != g.LogKmsKeyArn {
					out = append(out, violation(dest, "configured-key", "flow-log log group is encrypted with %q, not the configured key %s", got, g.LogKmsKeyArn))
				}
			}
			return out
		},
	},
}

var encryptionRules = []Rule{
	{
		ID:          ids.SNSEncrypted,
		Severity:    Medium,
		Description: "Every SNS topic is encrypted at rest with a KMS key (kmsMasterKeyId) (FSBP SNS.1).",
		Clauses:     one("kms-key", "the topic sets kmsMasterKeyId"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, t := range g.ByType(tTopic) {
				if Str(t.Inputs["kmsMasterKeyId"]) == "" {
					out = append(out, violation(t, "kms-key", "no kmsMasterKeyId: the topic is not encrypted at rest"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.SQSEncrypted,
		Severity:    Medium,
		Description: "Every SQS queue (dead-letter queues hold failed records) is encrypted at rest, with SSE-SQS or a KMS key, declared explicitly (FSBP SQS.1).",
		Clauses:     one("sse", "the queue sets sqsManagedSseEnabled or kmsMasterKeyId"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, q := range g.ByType(tQueue) {
				if !IsTrue(q.Inputs["sqsManagedSseEnabled"]) && Str(q.Inputs["kmsMasterKeyId"]) == "" {
					out = append(out, violation(q, "sse", "neither sqsManagedSseEnabled nor kmsMasterKeyId is set"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.KMSKeyRotation,
		Severity:    Medium,
		Description: "Every symmetric customer-managed KMS key the stack creates rotates its key material yearly (enableKeyRotation) (FSBP KMS.4).",
		Clauses:     one("rotation", "every symmetric key sets enableKeyRotation"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, k := range g.ByType(tKey) {
				spec := Str(k.Inputs["customerMasterKeySpec"])
				if spec == "" {
					spec = Str(k.Inputs["keySpec"])
				}
				if spec != "" && spec != "SYMMETRIC_DEFAULT" {
					continue // AWS rotates only symmetric encryption keys
				}
				if !IsTrue(k.Inputs["enableKeyRotation"]) {
					out = append(out, violation(k, "rotation", "enableKeyRotation is not true"))
				}
			}
			return out
		},
	},
	{
		ID:       ids.SecretsEncryptedInState,
		Severity: High,
		Description: "Every Secrets Manager secret version's value (secretString, secretBinary) and every SSM SecureString parameter's value is a Pulumi secret, " +
			"so the state file and the preview show it only encrypted; a plain input would be stored in the state in clear text.",
		Clauses: []Clause{
			{ID: "secret-version", Text: "a secret version's secretString and secretBinary are Pulumi secrets"},
			{ID: "secure-string", Text: "an SSM SecureString parameter's value is a Pulumi secret"},
		},
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, v := range g.ByType(tSecretVersion) {
				for _, k := range []string{"secretString", "secretBinary"} {
					if val, ok := v.Inputs[k]; ok && val != nil && !IsSecret(val) {
						out = append(out, violation(v, "secret-version", "%s is not a Pulumi secret: the state holds it in clear text (wrap it in pulumi.ToSecret)", k))
					}
				}
			}
			for _, p := range g.ByType(tSSMParameter) {
				if Str(p.Inputs["type"]) == "SecureString" && p.Inputs["value"] != nil && !IsSecret(p.Inputs["value"]) {
					out = append(out, violation(p, "secure-string", "SecureString value is not a Pulumi secret: the state holds it in clear text"))
				}
			}
			return out
		},
	},
}

var firehoseRules = []Rule{
	{
		ID:          ids.FirehoseEncryption,
		Severity:    Medium,
		Description: "Every Firehose delivery stream fed directly (not from a Kinesis stream) encrypts records at rest (serverSideEncryption.enabled) (FSBP DataFirehose.1).",
		Clauses:     one("sse", "serverSideEncryption.enabled is true"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, s := range g.ByType(tFirehose) {
				if s.Inputs["kinesisSourceConfiguration"] != nil {
					continue // encryption is the source stream's
				}
				if !IsTrue(Get(s.Inputs, "serverSideEncryption.enabled")) {
					out = append(out, violation(s, "sse", "serverSideEncryption.enabled is not true"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.FirehoseErrorPrefix,
		Severity:    Low,
		Description: "Every Firehose delivery stream writes failed records under an error output prefix of their own, apart from the data the Athena table reads.",
		Clauses:     one("error-prefix", "the S3 configuration sets errorOutputPrefix"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, s := range g.ByType(tFirehose) {
				path := firehoseS3Config(Str(s.Inputs["destination"]))
				if Str(Get(s.Inputs, path+".errorOutputPrefix")) == "" {
					out = append(out, violation(s, "error-prefix", "%s.errorOutputPrefix is empty: failed records land among the data", path))
				}
			}
			return out
		},
	},
}

// firehoseS3Config is the input path of a delivery stream's S3 settings.
func firehoseS3Config(destination string) string {
	switch destination {
	case "extended_s3", "s3", "":
		return "extendedS3Configuration"
	case "http_endpoint":
		return "httpEndpointConfiguration.s3Configuration"
	}
	return destination + "Configuration.s3Configuration"
}

var athenaRules = []Rule{
	{
		ID:          ids.AthenaResultsEncrypted,
		Severity:    Medium,
		Description: "Every Athena workgroup encrypts query results (SSE_S3, SSE_KMS or CSE_KMS).",
		Clauses:     one("results-encrypted", "resultConfiguration.encryptionConfiguration.encryptionOption is SSE_S3, SSE_KMS or CSE_KMS"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, wg := range g.ByType(tWorkgroup) {
				opt := Str(Get(wg.Inputs, "configuration.resultConfiguration.encryptionConfiguration.encryptionOption"))
				if !slices.Contains([]string{"SSE_S3", "SSE_KMS", "CSE_KMS"}, opt) {
					out = append(out, violation(wg, "results-encrypted", "query results are not encrypted (encryptionOption %q)", opt))
				}
			}
			return out
		},
	},
	{
		ID:          ids.AthenaEnforceConfig,
		Severity:    Medium,
		Description: "Every Athena workgroup enforces its configuration (explicitly), so a client cannot override the result location, encryption or scan cutoff.",
		Clauses:     one("enforced", "configuration.enforceWorkgroupConfiguration is true"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, wg := range g.ByType(tWorkgroup) {
				if !IsTrue(Get(wg.Inputs, "configuration.enforceWorkgroupConfiguration")) {
					out = append(out, violation(wg, "enforced", "enforceWorkgroupConfiguration is not set to true"))
				}
			}
			return out
		},
	},
	{
		ID:          ids.AthenaScanCutoff,
		Severity:    Medium,
		Description: fmt.Sprintf("Every Athena workgroup cuts a query off after a bytes-scanned limit (>= %d bytes, Athena's minimum), bounding the cost of one query.", awslimits.MinAthenaScanLimitBytes),
		Clauses:     one("cutoff", "configuration.bytesScannedCutoffPerQuery is at least Athena's minimum"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, wg := range g.ByType(tWorkgroup) {
				n, ok := Num(Get(wg.Inputs, "configuration.bytesScannedCutoffPerQuery"))
				if !ok || n < awslimits.MinAthenaScanLimitBytes {
					out = append(out, violation(wg, "cutoff", "no bytesScannedCutoffPerQuery of at least %d bytes", awslimits.MinAthenaScanLimitBytes))
				}
			}
			return out
		},
	},
}

var ec2Rules = []Rule{
	{
		ID:       ids.VPCFlowLogs,
		Severity: High,
		Description: "Every monitored VPC (each VPC the stack creates and each of vpcIds) has a flow log that records rejected traffic (trafficType ALL or REJECT) (FSBP EC2.6). " +
			"A stack that captures only ACCEPT must waive this rule with a reason.",
		Clauses: []Clause{
			{ID: "flow-log", Text: "every monitored VPC has a flow log"},
			{ID: "rejected-traffic", Text: "a flow log of every monitored VPC records rejected traffic (ALL or REJECT)"},
		},
		Check: func(g *Graph) []Violation {
			logged := map[string][]string{} // VPC id -> traffic types
			for _, fl := range g.ByType(tFlowLog) {
				id, tt := Str(fl.Inputs["vpcId"]), Str(fl.Inputs["trafficType"])
				if id != "" && !slices.Contains(logged[id], tt) {
					logged[id] = append(logged[id], tt)
				}
			}
			check := func(id string, report func(clause, msg string) Violation) []Violation {
				types := logged[id]
				if len(types) == 0 {
					return []Violation{report("flow-log", "no flow log")}
				}
				if !slices.Contains(types, "ALL") && !slices.Contains(types, "REJECT") {
					return []Violation{report("rejected-traffic", fmt.Sprintf("flow logs record only %s traffic, not rejected traffic", strings.Join(types, ", ")))}
				}
				return nil
			}
			var out []Violation
			for _, vpc := range g.ByType(tVpc) {
				out = append(out, check(Str(vpc.Outputs["id"]), func(clause, msg string) Violation { return violation(vpc, clause, "%s", msg) })...)
			}
			for _, id := range g.MonitoredVPCs {
				out = append(out, check(id, func(clause, msg string) Violation {
					return Violation{Clause: clause, Type: tVpc, Name: id, Message: "monitored VPC (vpcIds): " + msg}
				})...)
			}
			return out
		},
	},
	{
		ID:          ids.EC2IMDSv2,
		Severity:    High,
		Description: "Every EC2 instance and launch template requires IMDSv2 session tokens (metadataOptions.httpTokens = required) (FSBP EC2.8).",
		Clauses:     one("http-tokens-required", "metadataOptions.httpTokens is required"),
		Check: func(g *Graph) []Violation {
			var out []Violation
			for _, r := range g.ByType(tInstance, tLaunchTemplate) {
				if Str(Get(r.Inputs, "metadataOptions.httpTokens")) != "required" {
					out = append(out, violation(r, "http-tokens-required", "metadataOptions.httpTokens is not required: IMDSv1 is reachable"))
				}
			}
			return out
		},
	},
}
