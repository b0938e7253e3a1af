package components

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/flowlog"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

func cwArgs() *FlowLogToCloudWatchArgs {
	return &FlowLogToCloudWatchArgs{
		VpcIDs:              []pulumi.StringInput{pulumi.String("vpc-0123456789abcdef0"), pulumi.String("vpc-11111111"), pulumi.String("vpc-22222222")},
		Fields:              flowlog.V2Fields(),
		TrafficType:         "REJECT",
		AggregationInterval: 600,
		RetentionDays:       14,
		KmsKeyArn:           "arn:aws:kms:us-east-1:123456789012:key/logs",
	}
}

func TestFlowLogToCloudWatch(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		_, err := NewFlowLogToCloudWatch(ctx, "cw", cwArgs())
		return err
	})
	assertComponentTree(t, m, "vpcflowlogs:index:FlowLogToCloudWatch", "cw")

	lg := mustGet(t, m, "cw-logs")
	if lg.Inputs["retentionInDays"] != float64(14) || lg.Input("kmsKeyId") != "arn:aws:kms:us-east-1:123456789012:key/logs" {
		t.Errorf("log group retention/kms = %v / %v", lg.Inputs["retentionInDays"], lg.Inputs["kmsKeyId"])
	}
	logs := m.ByType("aws:ec2/flowLog:FlowLog")
	if len(logs) != 3 {
		t.Fatalf("want one flow log per VPC, got %d", len(logs))
	}
	role := mustGet(t, m, "cw-role")
	for _, fl := range logs {
		if fl.Input("logFormat") != flowlog.LogFormat(flowlog.V2Fields()) {
			t.Errorf("%s logFormat %q", fl.Name, fl.Input("logFormat"))
		}
		if fl.Input("logDestination") != lg.Outputs["arn"] || fl.Input("iamRoleArn") != role.Outputs["arn"] {
			t.Errorf("%s destination %q role %q", fl.Name, fl.Input("logDestination"), fl.Input("iamRoleArn"))
		}
		if fl.Input("trafficType") != "REJECT" || fl.Input("logDestinationType") != "cloud-watch-logs" {
			t.Errorf("%s traffic/destination type wrong", fl.Name)
		}
	}

	trust := policyDoc(t, role, "assumeRolePolicy")
	stmts := trust["Statement"].([]any)
	if len(stmts) != 1 {
		t.Fatalf("trust policy must have one statement, has %d", len(stmts))
	}
	st := asMap(stmts[0])
	if asMap(st["Principal"])["Service"] != "vpc-flow-logs.amazonaws.com" || st["Action"] != "sts:AssumeRole" {
		t.Errorf("trust = %v", st)
	}
	cond := asMap(st["Condition"])
	if asMap(cond["StringEquals"])["aws:SourceAccount"] != mockaws.Account ||
		asMap(cond["ArnLike"])["aws:SourceArn"] != "arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/*" {
		t.Errorf("trust conditions = %v", cond)
	}

	pol := policyDoc(t, mustGet(t, m, "cw-role-policy"), "policy")
	for _, s := range pol["Statement"].([]any) {
		res := asMap(s)["Resource"].([]any)
		for _, r := range res {
			if r != lg.Outputs["arn"] && r != str(lg.Outputs["arn"])+":*" {
				t.Errorf("role policy reaches beyond its log group: %v", r)
			}
		}
	}
}

func TestFlowLogToCloudWatchRejectsBadArgs(t *testing.T) {
	cases := map[string]func(a *FlowLogToCloudWatchArgs){
		"retention": func(a *FlowLogToCloudWatchArgs) { a.RetentionDays = 31 },
		"kms":       func(a *FlowLogToCloudWatchArgs) { a.KmsKeyArn = "key/123" },
		"no vpcs":   func(a *FlowLogToCloudWatchArgs) { a.VpcIDs = nil },
		"traffic":   func(a *FlowLogToCloudWatchArgs) { a.TrafficType = "" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a := cwArgs()
			mutate(a)
			m, err := mockaws.Run(func(ctx *pulumi.Context) error {
				_, err := NewFlowLogToCloudWatch(ctx, "bad", a)
				return err
			}, "p", "s", nil)
			if err == nil || len(m.Resources) != 0 {
				t.Fatalf("err = %v, %d resources registered", err, len(m.Resources))
			}
		})
	}
}
