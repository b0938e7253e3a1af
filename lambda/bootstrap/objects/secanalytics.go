package objects

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// OpenSearch Security Analytics (opt-in): a detector of the plugin's
// vpcflow log type over the flow log indices, with the project's own Sigma
// rules (the plugin ships the log type but no prepackaged vpcflow rules:
// https://github.com/opensearch-project/security-analytics/issues/610) and a
// trigger that notifies the alarm topic through a Notifications SNS channel.
//
// APIs (OpenSearch documentation):
//   - channel: POST/PUT/GET _plugins/_notifications/configs
//     https://docs.opensearch.org/latest/observing-your-data/notifications/api/
//   - alias mappings: POST _plugins/_security_analytics/mappings
//     https://docs.opensearch.org/latest/security-analytics/api-tools/mappings-api/
//   - custom rules: POST/PUT _plugins/_security_analytics/rules?category=vpcflow, POST .../rules/_search
//     https://docs.opensearch.org/latest/security-analytics/api-tools/rule-api/
//   - detector: POST/PUT _plugins/_security_analytics/detectors, POST .../detectors/_search
//     https://docs.opensearch.org/latest/security-analytics/api-tools/detector-api/

// LogType is the Security Analytics log type (rule category, detector type).
const LogType = "vpcflow"

// TimestampECS is the log type's ECS name for the flow's start. The detector
// reads the document time from @timestamp (the plugin adds its own
// "timestamp" alias), so the bootstrap does not alias it to start.
const TimestampECS = "timestamp"

// LogTypeFields maps a flow log column (the document field the indexer
// writes, flowlog.Field.Column) to the ECS field name that the vpcflow log
// type's rules use, as the log type documents them
// (https://docs.opensearch.org/latest/security-analytics/log-types-reference/vpc/;
// testdata/vpcflow-logtype-fields.txt is the documented list and the test
// compares the two). protocol_ver is documented but is no VPC flow log field.
var LogTypeFields = map[string]string{
	"version":             "netflow.version",
	"account_id":          "netflow.account_id",
	"region":              "netflow.region",
	"az_id":               "netflow.az_id",
	"srcport":             "netflow.srcport",
	"dstport":             "netflow.dstport",
	"protocol":            "netflow.protocol",
	"packets":             "netflow.packets",
	"bytes":               "netflow.bytes",
	"end":                 "netflow.end",
	"tcp_flags":           "netflow.tcp_flags",
	"pkt_src_aws_service": "netflow.pkt_src_aws_service",
	"pkt_dst_aws_service": "netflow.pkt_dst_aws_service",
	"log_status":          "netflow.log_status",
	"action":              "netflow.action",
	"traffic_path":        "netflow.traffic_path",
	"flow_direction":      "netflow.flow_direction",
	"dstaddr":             "netflow.dstaddr",
	"srcaddr":             "netflow.srcaddr",
	"interface_id":        "netflow.interface_id",
	"vpc_id":              "netflow.vpc_id",
	"instance_id":         "netflow.instance_id",
	"subnet_id":           "netflow.subnet_id",
	"start":               TimestampECS,
}

// Names and limits of the Security Analytics objects.
const (
	// DetectorSchedule is how often the detector runs, in minutes.
	DetectorSchedule = 5
	// TriggerThrottleMinutes is the least time between two notifications
	// of the trigger.
	TriggerThrottleMinutes = 60
	// TriggerSeverity is the alert severity of the trigger (1 = highest).
	TriggerSeverity = "2"
)

// RunbookAnchor is the section of docs/operations.md the notification
// links to.
const RunbookAnchor = runbook.SecurityAnalyticsFinding

// TriggerLevels are the rule levels whose findings notify the topic.
var TriggerLevels = []string{"medium", "high", "critical"}

//go:embed sigma/*.yml
var sigmaFS embed.FS

var (
	snsTopicArnRe = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$`)
	nameSafeRe    = regexp.MustCompile(`[^A-Za-z0-9_-]`)
)

// SecurityAnalyticsInput turns the detector on: the alarm topic the trigger
// notifies and the IAM role OpenSearch Service assumes to publish to it
// (trusting es.amazonaws.com, allowed sns:Publish on the topic only; the
// function's role needs iam:PassRole on it).
type SecurityAnalyticsInput struct {
	TopicArn string `json:"topicArn"`
	RoleArn  string `json:"roleArn"`
}

func (s *SecurityAnalyticsInput) normalize() []error {
	var errs []error
	s.TopicArn, s.RoleArn = strings.TrimSpace(s.TopicArn), strings.TrimSpace(s.RoleArn)
	if !snsTopicArnRe.MatchString(s.TopicArn) {
		errs = append(errs, fmt.Errorf("securityAnalytics.topicArn: %q is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)", s.TopicArn))
	}
	if !roleArnRe.MatchString(s.RoleArn) {
		errs = append(errs, fmt.Errorf("securityAnalytics.roleArn: %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", s.RoleArn))
	}
	return errs
}

// SigmaRule is one of the project's vpcflow rules.
type SigmaRule struct {
	// File is the rule's file under sigma/.
	File string
	// Title and ID (the rule's own UUID) identify it; Level is its Sigma level.
	Title, ID, Level string
	// Fields are the ECS fields its detection reads (modifiers removed).
	Fields []string
	// Body is the YAML the rule API takes.
	Body []byte
}

// SigmaRules returns the project's vpcflow rules, sorted by file name.
func SigmaRules() ([]SigmaRule, error) {
	names, err := fs.Glob(sigmaFS, "sigma/*.yml")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []SigmaRule
	for _, n := range names {
		body, err := sigmaFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Title     string         `yaml:"title"`
			ID        string         `yaml:"id"`
			Level     string         `yaml:"level"`
			LogSource map[string]any `yaml:"logsource"`
			Detection map[string]any `yaml:"detection"`
		}
		if err := yaml.Unmarshal(body, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		if doc.Title == "" || doc.ID == "" || doc.Level == "" || len(doc.LogSource) == 0 || doc.Detection["condition"] == nil {
			return nil, fmt.Errorf("%s: a Sigma rule needs title, id, level, logsource and detection.condition", n)
		}
		var fields []string
		for key, sel := range doc.Detection {
			if key == "condition" || key == "timeframe" {
				continue
			}
			m, ok := sel.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: detection %q is not a map of fields", n, key)
			}
			for f := range m {
				name, _, _ := strings.Cut(f, "|")
				fields = append(fields, name)
			}
		}
		slices.Sort(fields)
		out = append(out, SigmaRule{File: path.Base(n), Title: doc.Title, ID: doc.ID, Level: doc.Level, Fields: slices.Compact(fields), Body: body})
	}
	return out, nil
}

// SecurityAnalytics are the Security Analytics objects of an input.
type SecurityAnalytics struct {
	Input SecurityAnalyticsInput
	// ChannelID is the Notifications channel's config_id; Channel its
	// "config" object.
	ChannelID string
	Channel   map[string]any
	// Aliases maps each ECS field the log type knows and the format records
	// to its column: the alias fields the index template and the mappings
	// API add.
	Aliases map[string]string
	// Rules are the rules whose fields the format records, Skipped says
	// which rules were left out and why.
	Rules   []SigmaRule
	Skipped []string
	// Unmapped are recorded columns the log type has no field for (rules
	// of the log type cannot read them).
	Unmapped []string
	// DetectorName names the detector (5-50 letters, digits, '-', '_').
	DetectorName string
	// IndexPattern is the detector's input.
	IndexPattern string
}

// buildSecurityAnalytics builds the Security Analytics objects for the
// recorded fields.
func buildSecurityAnalytics(in Input, fields []flowlog.Field, indexPattern string) (*SecurityAnalytics, error) {
	if in.SecurityAnalytics == nil {
		return nil, nil
	}
	s := &SecurityAnalytics{Input: *in.SecurityAnalytics, Aliases: map[string]string{}, IndexPattern: indexPattern}
	recorded := map[string]bool{}
	for _, f := range fields {
		c := f.Column()
		recorded[c] = true
		ecs, ok := LogTypeFields[c]
		switch {
		case !ok:
			s.Unmapped = append(s.Unmapped, c)
		case ecs != TimestampECS:
			s.Aliases[ecs] = c
		}
	}
	rules, err := SigmaRules()
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		var missing []string
		for _, f := range r.Fields {
			if _, ok := s.Aliases[f]; !ok {
				missing = append(missing, f)
			}
		}
		if len(missing) > 0 {
			s.Skipped = append(s.Skipped, fmt.Sprintf("rule %q reads %s, which the flow log format does not record", r.Title, strings.Join(missing, ", ")))
			continue
		}
		s.Rules = append(s.Rules, r)
	}
	if len(s.Rules) == 0 {
		return nil, fmt.Errorf("securityAnalytics: the flow log format records none of the fields of any rule (%s)", strings.Join(s.Skipped, "; "))
	}
	prefix := nameSafeRe.ReplaceAllString(in.IndexPrefix, "_")
	s.DetectorName = "flowlogs-" + prefix
	if len(s.DetectorName) > 50 {
		s.DetectorName = s.DetectorName[:50]
	}
	s.ChannelID = "vpc-flow-logs-" + prefix + "-alarm-topic"
	s.Channel = map[string]any{
		"name":        "VPC flow logs alarm topic (" + in.IndexPrefix + ")",
		"description": fmt.Sprintf("Security Analytics findings on %s to the flow log alarm topic. Managed by the %s function.", indexPattern, ManagedBy),
		"config_type": "sns",
		"is_enabled":  true,
		"sns":         map[string]any{"topic_arn": s.Input.TopicArn, "role_arn": s.Input.RoleArn},
	}
	return s, nil
}

// AliasProperties are the alias fields as index mapping properties: the
// dotted ECS names as nested objects ({"netflow": {"properties": {...}}}).
func (s *SecurityAnalytics) AliasProperties() map[string]any {
	out := map[string]any{}
	for ecs, col := range s.Aliases {
		parts := strings.Split(ecs, ".")
		m := out
		for _, p := range parts[:len(parts)-1] {
			obj, ok := m[p].(map[string]any)
			if !ok {
				obj = map[string]any{"properties": map[string]any{}}
				m[p] = obj
			}
			m = obj["properties"].(map[string]any)
		}
		m[parts[len(parts)-1]] = map[string]any{"type": "alias", "path": col}
	}
	return out
}

// ChannelBody is the body of POST _plugins/_notifications/configs (create,
// with the fixed config_id) or, without the id, of PUT .../configs/<id>.
func (s *SecurityAnalytics) ChannelBody(create bool) []byte {
	body := map[string]any{"config": s.Channel}
	if create {
		body["config_id"] = s.ChannelID
	}
	b, _ := json.Marshal(body)
	return b
}

// MappingsBody is the body of POST _plugins/_security_analytics/mappings
// for one index: the alias mappings, partial (fields the format does not
// record stay unmapped).
func (s *SecurityAnalytics) MappingsBody(index string) []byte {
	b, _ := json.Marshal(map[string]any{
		"index_name":     index,
		"rule_topic":     LogType,
		"partial":        true,
		"alias_mappings": map[string]any{"properties": s.AliasProperties()},
	})
	return b
}

// Detector returns the detector (the body of POST and PUT
// _plugins/_security_analytics/detectors) over the rules with these
// server-side ids; its description ends with its fingerprint, which tells
// whether the domain's copy is current.
func (s *SecurityAnalytics) Detector(ruleIDs []string) (body []byte, description string) {
	ids := slices.Clone(ruleIDs)
	slices.Sort(ids)
	custom := make([]any, len(ids))
	for i, id := range ids {
		custom[i] = map[string]any{"id": id}
	}
	input := map[string]any{
		"indices":            []string{s.IndexPattern},
		"custom_rules":       custom,
		"pre_packaged_rules": []any{},
	}
	trigger := map[string]any{
		"id":         "flowlogs-findings",
		"name":       "Flow log findings",
		"severity":   TriggerSeverity,
		"types":      []string{LogType},
		"ids":        []string{},
		"sev_levels": TriggerLevels,
		"tags":       []string{},
		"actions": []any{map[string]any{
			"id":             "flowlogs-alarm-topic",
			"name":           "Notify the alarm topic",
			"destination_id": s.ChannelID,
			"subject_template": map[string]any{
				"source": "VPC flow logs: Security Analytics finding ({{ctx.trigger.name}})", "lang": "mustache",
			},
			"message_template": map[string]any{
				"source": "Detector {{ctx.detector.name}} found flow log records that match its rules (trigger {{ctx.trigger.name}}, severity {{ctx.trigger.severity}}). " +
					"Open Security Analytics > Findings in OpenSearch Dashboards for the records and rules. Runbook: " + runbook.Link(RunbookAnchor),
				"lang": "mustache",
			},
			"throttle_enabled": true,
			"throttle":         map[string]any{"unit": "MINUTES", "value": TriggerThrottleMinutes},
		}},
	}
	det := map[string]any{
		"type":          "detector",
		"name":          s.DetectorName,
		"detector_type": LogType,
		"enabled":       true,
		"schedule":      map[string]any{"period": map[string]any{"interval": DetectorSchedule, "unit": "MINUTES"}},
		"inputs":        []any{map[string]any{"detector_input": input}},
		"triggers":      []any{trigger},
	}
	description = fmt.Sprintf("VPC flow log rules over %s. Managed by the %s function [%s].", s.IndexPattern, ManagedBy, fingerprint(det))
	input["description"] = description
	body, _ = json.Marshal(det)
	return body, description
}
