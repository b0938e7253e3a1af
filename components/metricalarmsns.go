package components

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/awslimits"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/runbook"
)

// AlarmRule is one metric-filter alarm over the flow-log log group.
type AlarmRule struct {
	// Name names the metric, the filter and the alarm: lowercase letters, digits, dashes.
	Name        string
	Description string
	// Conditions is the structured match, rendered into a space-delimited
	// filter pattern through the field catalog. Exclusive with Pattern.
	Conditions []flowlog.Condition
	// Pattern is a raw CloudWatch Logs filter pattern. Exclusive with Conditions.
	Pattern string
	// Threshold is compared with the Sum of matching records per period.
	Threshold int
	// Period in seconds, a multiple of 60.
	Period int
	// EvaluationPeriods is how many periods are compared.
	EvaluationPeriods int
	// Comparison is a CloudWatch comparison operator (default
	// GreaterThanOrEqualToThreshold); with Anomaly, one of the band operators
	// (awslimits.AnomalyComparisons).
	Comparison string
	// Anomaly, when set, alarms when the metric leaves its anomaly-detection
	// band instead of crossing Threshold (which must then be 0).
	Anomaly *Anomaly
}

// Anomaly is an anomaly-detection band: the alarm compares the rule's metric
// with ANOMALY_DETECTION_BAND(metric, Band), Band standard deviations wide.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Anomaly_Detection_Alarm.html
type Anomaly struct {
	Band float64
}

// MetricAlarmSNSArgs configures MetricAlarmSNS.
type MetricAlarmSNSArgs struct {
	// LogGroupName is the flow-log log group the metric filters read.
	LogGroupName pulumi.StringInput
	// Fields is the log group's record format, used to render the patterns.
	Fields []flowlog.Field
	// Rules are the alarms. May be empty: the topic still exists for the
	// other architectures' operational alarms.
	Rules []AlarmRule
	// Emails are subscribed to the topic (each must confirm by e-mail).
	Emails []string
	// Namespace is the CloudWatch metric namespace of the rules' metrics.
	Namespace string
	Tags      map[string]string
	// EventRules are EventBridge rules of this account and region that
	// may publish to the topic (a central stack forwards its members' alarm
	// state changes this way, docs/organization.md): the topic policy
	// admits events.amazonaws.com for exactly these rules (aws:SourceArn)
	// and the key policy lets EventBridge use the topic's key.
	EventRules []EventRuleName
}

// EventRuleName names an EventBridge rule: its bus and its name on the bus.
type EventRuleName struct {
	Bus  string
	Rule string
}

// arn is the rule's ARN: a rule on a custom bus is rule/<bus>/<rule>
// (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-resources-for-iam-policies).
func (r EventRuleName) arn(env awsEnv) string {
	if r.Bus == "" || r.Bus == "default" {
		return env.arn("events", env.Region, env.AccountID, "rule/"+r.Rule)
	}
	return env.arn("events", env.Region, env.AccountID, "rule/"+r.Bus+"/"+r.Rule)
}

// MetricAlarmSNS turns flow-log records into metrics, alarms on them and
// notifies an encrypted SNS topic with e-mail subscriptions. Other components
// send their operational alarms to the same topic (TopicArn).
type MetricAlarmSNS struct {
	pulumi.ResourceState

	TopicArn  pulumi.StringOutput    `pulumi:"topicArn"`
	KeyArn    pulumi.StringOutput    `pulumi:"keyArn"`
	AlarmArns pulumi.StringMapOutput `pulumi:"alarmArns"`
	// Patterns are the rendered filter patterns by rule name.
	Patterns pulumi.StringMapOutput `pulumi:"patterns"`
	// Monitored holds the rule alarms, for the dashboard (not an output).
	Monitored Monitored
}

var alarmRuleNameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// RenderPatterns validates the rules and returns their filter patterns by
// rule name, rendered through the catalog for the given fields.
func RenderPatterns(fields []flowlog.Field, rules []AlarmRule) (map[string]string, error) {
	var errs []error
	out := make(map[string]string, len(rules))
	for i, r := range rules {
		where := fmt.Sprintf("Rules[%d] %q", i, r.Name)
		if !alarmRuleNameRe.MatchString(r.Name) {
			errs = append(errs, fmt.Errorf("%s: name must be 1-63 lowercase letters, digits and dashes", where))
		}
		if _, dup := out[r.Name]; dup {
			errs = append(errs, fmt.Errorf("%s: name is used twice", where))
		}
		if (len(r.Conditions) == 0) == (r.Pattern == "") {
			errs = append(errs, fmt.Errorf("%s: exactly one of Conditions or Pattern is required", where))
			continue
		}
		switch {
		case r.Anomaly != nil:
			// PutMetricAlarm: Threshold "should not be used for alarms based
			// on anomaly detection models", whose operators are the band ones.
			if !(r.Anomaly.Band > 0) {
				errs = append(errs, fmt.Errorf("%s: anomaly band %g must be > 0 standard deviations", where, r.Anomaly.Band))
			}
			if r.Threshold != 0 {
				errs = append(errs, fmt.Errorf("%s: threshold %d with an anomaly band; an anomaly-detection alarm has no threshold", where, r.Threshold))
			}
			if !slices.Contains(awslimits.AnomalyComparisons, r.Comparison) {
				errs = append(errs, fmt.Errorf("%s: comparison %q with an anomaly band is not one of %v", where, r.Comparison, awslimits.AnomalyComparisons))
			}
		case r.Threshold < 1:
			errs = append(errs, fmt.Errorf("%s: threshold %d must be >= 1", where, r.Threshold))
		}
		if r.Period < 60 || r.Period%60 != 0 || r.Period > 86400 {
			errs = append(errs, fmt.Errorf("%s: period %d must be a multiple of 60 between 60 and 86400", where, r.Period))
		}
		if r.EvaluationPeriods < 1 {
			errs = append(errs, fmt.Errorf("%s: evaluation periods %d must be >= 1", where, r.EvaluationPeriods))
		}
		if r.Anomaly == nil && r.Comparison != "" && !slices.Contains(awslimits.AlarmComparisons, r.Comparison) {
			errs = append(errs, fmt.Errorf("%s: comparison %q is not one of %v", where, r.Comparison, awslimits.AlarmComparisons))
		}
		p := r.Pattern
		if p == "" {
			var err error
			if p, err = flowlog.FilterPattern(fields, r.Conditions); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				continue
			}
		}
		if len(p) > awslimits.MaxFilterPatternLength {
			errs = append(errs, fmt.Errorf("%s: filter pattern is %d characters; CloudWatch Logs accepts at most %d", where, len(p), awslimits.MaxFilterPatternLength))
		}
		out[r.Name] = p
	}
	return out, errors.Join(errs...)
}

// NewMetricAlarmSNS creates the topic, its key, the subscriptions and, per
// rule, a metric filter and an alarm.
func NewMetricAlarmSNS(ctx *pulumi.Context, name string, args *MetricAlarmSNSArgs, opts ...pulumi.ResourceOption) (*MetricAlarmSNS, error) {
	if args == nil {
		return nil, errors.New("MetricAlarmSNS: args are required")
	}
	a := *args
	var errs []error
	if len(a.Rules) > 0 && a.LogGroupName == nil {
		errs = append(errs, errors.New("LogGroupName: required when there are rules"))
	}
	if a.Namespace == "" {
		errs = append(errs, errors.New("Namespace: required"))
	}
	for _, e := range a.Emails {
		if !emailRe.MatchString(e) {
			errs = append(errs, fmt.Errorf("Emails: %q is not an e-mail address", e))
		}
	}
	patterns, err := RenderPatterns(a.Fields, a.Rules)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("MetricAlarmSNS %q: %w", name, err)
	}

	c := &MetricAlarmSNS{}
	if err := ctx.RegisterComponentResource(typeToken("MetricAlarmSNS"), name, c, opts...); err != nil {
		return nil, err
	}
	env, err := lookupEnv(ctx, c)
	if err != nil {
		return nil, err
	}
	parent := pulumi.Parent(c)
	alarmArns := env.arn("cloudwatch", env.Region, env.AccountID, "alarm:*")

	// CloudWatch alarms cannot publish to a topic encrypted with the AWS
	// managed SNS key, so the topic gets its own key that CloudWatch may use.
	// Only publishers need the key: SNS decrypts before it delivers to e-mail,
	// Lambda (SlackNotifier's webhook function) and HTTPS endpoints (AWS
	// Chatbot), so subscribers get no grant here.
	keyStatements := []statement{
		{
			"Sid":       "AccountAdministers",
			"Effect":    "Allow",
			"Principal": map[string]any{"AWS": env.arn("iam", "", env.AccountID, "root")},
			"Action":    "kms:*",
			"Resource":  "*",
		},
		{
			"Sid":       "CloudWatchAlarmsPublish",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": env.servicePrincipal("cloudwatch")},
			"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey*"},
			"Resource":  "*",
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": env.AccountID},
				"ArnLike":      map[string]any{"aws:SourceArn": alarmArns},
			},
		},
	}
	topicStatements := []statement{
		{
			"Sid":       "CloudWatchAlarmsPublish",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": env.servicePrincipal("cloudwatch")},
			"Action":    "sns:Publish",
			"Resource":  nil, // the topic, set below
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": env.AccountID},
				"ArnLike":      map[string]any{"aws:SourceArn": alarmArns},
			},
		},
	}
	if len(a.EventRules) > 0 {
		// EventBridge publishes to an encrypted topic only when the key
		// policy lets events.amazonaws.com use the key; AWS shows the
		// statement without aws:Source* conditions, which EventBridge does
		// not send to KMS for SNS targets
		// (https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification).
		keyStatements = append(keyStatements, statement{
			"Sid":       "EventBridgeRulesPublish",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": env.servicePrincipal("events")},
			"Action":    []any{"kms:Decrypt", "kms:GenerateDataKey"},
			"Resource":  "*",
		})
		// The topic admits exactly the named rules
		// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions).
		var rules []any
		for _, r := range a.EventRules {
			rules = append(rules, r.arn(env))
		}
		topicStatements = append(topicStatements, statement{
			"Sid":       "EventBridgeRulesPublish",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": env.servicePrincipal("events")},
			"Action":    "sns:Publish",
			"Resource":  nil,
			"Condition": map[string]any{
				"StringEquals": map[string]any{"aws:SourceAccount": env.AccountID},
				"ArnEquals":    map[string]any{"aws:SourceArn": rules},
			},
		})
	}
	key, err := kms.NewKey(ctx, name+"-key", &kms.KeyArgs{
		Description:       pulumi.String("Encrypts the flow-log alarm topic " + name),
		EnableKeyRotation: pulumi.Bool(true),
		Policy:            policyJSON(policy(keyStatements...)),
		Tags:              NameTags(a.Tags, name+"-key"),
	}, parent)
	if err != nil {
		return nil, err
	}

	topic, err := sns.NewTopic(ctx, name+"-topic", &sns.TopicArgs{
		KmsMasterKeyId: key.Arn,
		Tags:           NameTags(a.Tags, name+"-topic"),
	}, parent)
	if err != nil {
		return nil, err
	}
	for _, st := range topicStatements {
		st["Resource"] = topic.Arn
	}
	topicStatements = append(topicStatements, statement{
		"Sid":       "DenyInsecureTransport",
		"Effect":    "Deny",
		"Principal": "*",
		"Action":    "sns:Publish",
		"Resource":  topic.Arn,
		"Condition": map[string]any{"Bool": map[string]any{"aws:SecureTransport": "false"}},
	})
	if _, err := sns.NewTopicPolicy(ctx, name+"-topic-policy", &sns.TopicPolicyArgs{
		Arn:    topic.Arn,
		Policy: policyJSON(policy(topicStatements...)),
	}, parent); err != nil {
		return nil, err
	}
	for i, e := range a.Emails {
		if _, err := sns.NewTopicSubscription(ctx, fmt.Sprintf("%s-email%d", name, i), &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(e),
		}, parent); err != nil {
			return nil, err
		}
	}

	arns := pulumi.StringMap{}
	for _, r := range a.Rules {
		filter, err := cloudwatch.NewLogMetricFilter(ctx, name+"-"+r.Name, &cloudwatch.LogMetricFilterArgs{
			LogGroupName: a.LogGroupName,
			Pattern:      pulumi.String(patterns[r.Name]),
			MetricTransformation: &cloudwatch.LogMetricFilterMetricTransformationArgs{
				Name:         pulumi.String(r.Name),
				Namespace:    pulumi.String(a.Namespace),
				Value:        pulumi.String("1"),
				DefaultValue: pulumi.String("0"),
				Unit:         pulumi.String("Count"),
			},
		}, parent)
		if err != nil {
			return nil, err
		}
		comparison := r.Comparison
		if comparison == "" {
			comparison = "GreaterThanOrEqualToThreshold"
		}
		alarmArgs := &cloudwatch.MetricAlarmArgs{
			AlarmDescription:   pulumi.String(alarmDescription(r, patterns[r.Name])),
			Namespace:          pulumi.String(a.Namespace),
			MetricName:         pulumi.String(r.Name),
			Statistic:          pulumi.String("Sum"),
			Period:             pulumi.Int(r.Period),
			EvaluationPeriods:  pulumi.Int(r.EvaluationPeriods),
			Threshold:          pulumi.Float64(float64(r.Threshold)),
			ComparisonOperator: pulumi.String(comparison),
			TreatMissingData:   pulumi.String("notBreaching"),
			AlarmActions:       pulumi.Array{topic.Arn},
			OkActions:          pulumi.Array{topic.Arn},
			Tags:               NameTags(a.Tags, name+"-"+r.Name+"-alarm"),
		}
		if r.Anomaly != nil {
			anomalyAlarm(alarmArgs, a.Namespace, r)
		}
		alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-"+r.Name+"-alarm", alarmArgs, parent, pulumi.DependsOn([]pulumi.Resource{filter}))
		if err != nil {
			return nil, err
		}
		arns[r.Name] = alarm.Arn
		mon := MonitoredAlarm{
			Namespace: a.Namespace, Metric: r.Name, Statistic: "Sum",
			Threshold: float64(r.Threshold), Period: r.Period, Comparison: comparison,
		}
		if r.Anomaly != nil {
			mon.Threshold, mon.Comparison, mon.AnomalyBand = 0, "", r.Anomaly.Band
		}
		c.Monitored.addAlarm(alarm, mon)
	}

	c.TopicArn = topic.Arn
	c.KeyArn = key.Arn
	c.AlarmArns = arns.ToStringMapOutput()
	c.Patterns = pulumi.ToStringMap(patterns).ToStringMapOutput()
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{
		"topicArn":  c.TopicArn,
		"keyArn":    c.KeyArn,
		"alarmArns": c.AlarmArns,
		"patterns":  c.Patterns,
	})
}

// Query ids of an anomaly-detection alarm: the rule's metric and its band.
const (
	anomalyMetricID = "m1"
	anomalyBandID   = "band"
)

// anomalyAlarm turns the alarm into one on the rule metric's
// anomaly-detection band: the metric and ANOMALY_DETECTION_BAND(m1, band)
// as metric queries, both returned, the band as ThresholdMetricId, and no
// Threshold, Namespace, MetricName, Statistic or Period of its own (those
// live in the metric query). Shape as in the PutMetricAlarm "anomaly
// detection model alarm" example:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
func anomalyAlarm(args *cloudwatch.MetricAlarmArgs, namespace string, r AlarmRule) {
	args.Namespace, args.MetricName, args.Statistic, args.Period, args.Threshold = nil, nil, nil, nil, nil
	args.ThresholdMetricId = pulumi.String(anomalyBandID)
	args.MetricQueries = cloudwatch.MetricAlarmMetricQueryArray{
		cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.String(anomalyMetricID),
			ReturnData: pulumi.Bool(true),
			Label:      pulumi.String(r.Name),
			Metric: &cloudwatch.MetricAlarmMetricQueryMetricArgs{
				Namespace:  pulumi.String(namespace),
				MetricName: pulumi.String(r.Name),
				Stat:       pulumi.String("Sum"),
				Period:     pulumi.Int(r.Period),
			},
		},
		cloudwatch.MetricAlarmMetricQueryArgs{
			Id:         pulumi.String(anomalyBandID),
			ReturnData: pulumi.Bool(true),
			Label:      pulumi.String(r.Name + " (expected)"),
			Expression: pulumi.String(AnomalyBandExpression(anomalyMetricID, r.Anomaly.Band)),
		},
	}
}

// AnomalyBandExpression is the metric math of a band over metric id m.
func AnomalyBandExpression(m string, band float64) string {
	return fmt.Sprintf("ANOMALY_DETECTION_BAND(%s, %s)", m, strconv.FormatFloat(band, 'f', -1, 64))
}

// alarmDescription is what lambda/slacknotify's ParseRule reads:
//
//	<description> (rule <name>: <summary>; pattern <pattern>) Runbook: <link>
//
// Within CloudWatch's 1024 characters, the text before the link is cut (and
// ends with "..." instead of ")") when the pattern is long; the link stays.
func alarmDescription(r AlarmRule, pattern string) string {
	d := r.Description
	if d != "" {
		d += " "
	}
	limit, section := fmt.Sprintf("threshold %d", r.Threshold), runbook.RuleAlarm
	if r.Anomaly != nil {
		limit = fmt.Sprintf("anomaly band %s standard deviations, %s", strconv.FormatFloat(r.Anomaly.Band, 'f', -1, 64), r.Comparison)
		section = runbook.AnomalyAlarm
	}
	s := fmt.Sprintf("%s(rule %s: Sum of matching flow-log records over %ds, %d period(s), %s; pattern %s)",
		d, r.Name, r.Period, r.EvaluationPeriods, limit, pattern)
	return runbook.Description(s, section)
}

var emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
