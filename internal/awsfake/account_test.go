package awsfake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// The real aws-sdk-go-v2 STS and EC2 clients against Account: the assumed
// role's credentials are recognised (GetCallerIdentity names the session,
// DescribeFlowLogs is recorded as made by it, in the region it was signed
// for), a role of another account is refused, and a filter the fake does
// not model is an error, not an empty answer.
func TestAccountQueryAPIs(t *testing.T) {
	acct := &Account{ID: "111111111111", FlowLogs: func(region string, ids []string) []FlowLog {
		var out []FlowLog
		for _, id := range ids {
			out = append(out, FlowLog{ID: "fl-" + region + "-" + id, ResourceID: id, Tags: map[string]string{"owner": "network-team", "b": "<&>"}})
		}
		return out
	}}
	srv := &Server{Account: acct}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	ctx := context.Background()
	base := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDBASE", "SECRET", ""), HTTPClient: hs.Client()}
	stsAt := func(o *sts.Options) { o.BaseEndpoint = aws.String(hs.URL) }

	assumed := base.Copy()
	assumed.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base, stsAt), "arn:aws:iam::111111111111:role/path/flowlogs-deployer",
		func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "fleet" }))
	who, err := sts.NewFromConfig(assumed, stsAt).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	session := "arn:aws:sts::111111111111:assumed-role/flowlogs-deployer/fleet"
	if aws.ToString(who.Account) != "111111111111" || aws.ToString(who.Arn) != session || aws.ToString(who.UserId) != "AROAFAKE111111111111:fleet" {
		t.Errorf("caller identity %s %s %s", aws.ToString(who.Account), aws.ToString(who.Arn), aws.ToString(who.UserId))
	}
	if who, err := sts.NewFromConfig(base, stsAt).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil || aws.ToString(who.Arn) != "arn:aws:iam::111111111111:user/awsfake" {
		t.Errorf("base credentials: %v %v", who, err)
	}

	euWest := assumed.Copy()
	euWest.Region = "eu-west-1"
	out, err := ec2.NewFromConfig(euWest, func(o *ec2.Options) { o.BaseEndpoint = aws.String(hs.URL) }).DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{
		Filter: []ec2types.Filter{{Name: aws.String("resource-id"), Values: []string{"vpc-1", "vpc-2"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.FlowLogs) != 2 || aws.ToString(out.FlowLogs[1].FlowLogId) != "fl-eu-west-1-vpc-2" || aws.ToString(out.FlowLogs[1].ResourceId) != "vpc-2" ||
		len(out.FlowLogs[0].Tags) != 2 || aws.ToString(out.FlowLogs[0].Tags[0].Value) != "<&>" || aws.ToString(out.FlowLogs[0].Tags[1].Key) != "owner" {
		t.Errorf("flow logs %+v", out.FlowLogs)
	}

	other := base.Copy()
	other.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(base, stsAt), "arn:aws:iam::222222222222:role/flowlogs-deployer"))
	_, err = sts.NewFromConfig(other, stsAt).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("a role of another account: %v", err)
	}
	_, err = ec2.NewFromConfig(euWest, func(o *ec2.Options) { o.BaseEndpoint = aws.String(hs.URL) }).DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{
		Filter: []ec2types.Filter{{Name: aws.String("log-group-name"), Values: []string{"x"}}},
	})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterValue" {
		t.Errorf("an unmodeled filter: %v", err)
	}

	var got []string
	for _, c := range acct.Calls() {
		if c.Attempt != 1 {
			continue // the SDK's retry of a call whose answer got lost (Attempt)
		}
		got = append(got, fmt.Sprintf("%s:%s %s %s %v %s", c.Service, c.Action, c.Region, c.Principal, c.ResourceIDs, c.Error))
	}
	want := []string{
		"sts:AssumeRole us-east-1 arn:aws:iam::111111111111:user/awsfake [] ",
		"sts:GetCallerIdentity us-east-1 " + session + " [] ",
		"sts:GetCallerIdentity us-east-1 arn:aws:iam::111111111111:user/awsfake [] ",
		"ec2:DescribeFlowLogs eu-west-1 " + session + " [vpc-1 vpc-2] ",
		"sts:AssumeRole us-east-1 arn:aws:iam::111111111111:user/awsfake [] AccessDenied",
		"ec2:DescribeFlowLogs eu-west-1 " + session + " [] InvalidParameterValue",
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls\n%q\nwant\n%q", got, want)
	}
	if v := srv.Violations(); len(v) != 0 {
		t.Error(v)
	}

	// A retry carries its attempt number.
	req, err := http.NewRequest(http.MethodPost, hs.URL, strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDBASE/20261202/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0")
	req.Header.Set("Amz-Sdk-Request", "attempt=2; max=3")
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	calls := acct.Calls()
	if last := calls[len(calls)-1]; resp.StatusCode != http.StatusOK || last.Action != "GetCallerIdentity" || last.Attempt != 2 {
		t.Errorf("a retried call: %s, recorded %+v", resp.Status, last)
	}
}
