package awsfake

import (
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Account is a fake of the query-protocol calls a member stack's VPC
// discovery makes itself (stacks/membervpcs.go) in one AWS account:
//
//   - STS AssumeRole of a role of the account: temporary credentials, which
//     later calls are recognised by.
//     https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
//   - STS GetCallerIdentity: the account, and the assumed role's session
//     ARN (arn:aws:sts::<account>:assumed-role/<role>/<session>) for
//     credentials AssumeRole issued, else a user of the account.
//     https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
//   - EC2 DescribeFlowLogs with a resource-id filter: the flow logs FlowLogs
//     returns for the region the request was signed for.
//     https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFlowLogs.html
//
// Both services speak the AWS query protocol: a form-encoded POST with
// Action and Version, answered in XML; the service and region are those of
// the request's SigV4 credential scope
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
// STS errors are <ErrorResponse><Error>, EC2 errors <Response><Errors><Error>
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
// Every call is recorded (Calls), so a test can tell which principal made
// it and in which region.
type Account struct {
	// ID is the 12-digit account id.
	ID string
	// FlowLogs answers DescribeFlowLogs: the flow logs of these resources
	// in region (nil: none).
	FlowLogs func(region string, resourceIDs []string) []FlowLog

	mu       sync.Mutex
	sessions map[string]string // issued access key id -> assumed-role session ARN
	calls    []QueryCall
}

// FlowLog is one flow log DescribeFlowLogs returns.
type FlowLog struct {
	ID         string
	ResourceID string
	Tags       map[string]string
}

// QueryCall is one STS or EC2 call the fake answered.
type QueryCall struct {
	Service, Action string
	// Region is the region of the request's credential scope.
	Region string
	// Principal is who made the call: the assumed-role session ARN for
	// credentials AssumeRole issued, else the account's user.
	Principal string
	// RoleArn is AssumeRole's role; ResourceIDs DescribeFlowLogs's
	// resource-id filter values.
	RoleArn     string
	ResourceIDs []string
	// Error is the error code the fake answered ("" for success).
	Error string
	// Attempt is the SDK's attempt number of the operation (its
	// amz-sdk-request header, "attempt=N; max=M"; 1 without the header).
	// The Go transport sometimes loses a connection while the client
	// still reads a response from a local server, and the SDK retries the
	// call: count the operations with Attempt 1.
	Attempt int
}

// Calls returns the calls so far, in order.
func (a *Account) Calls() []QueryCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]QueryCall(nil), a.calls...)
}

// user is the principal of credentials the fake did not issue.
func (a *Account) user() string { return "arn:aws:iam::" + a.ID + ":user/awsfake" }

// credentialScope reads access key, region and service from a SigV4
// Authorization header ("AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, ...").
var credentialScope = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/[0-9]{8}/([^/]+)/([^/]+)/aws4_request`)

// queryService is the service of a signed query-protocol request ("" when
// it is not one).
func queryService(r *http.Request) string {
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil || r.Header.Get("X-Amz-Target") != "" {
		return ""
	}
	return m[3]
}

var sdkAttempt = regexp.MustCompile(`attempt=([0-9]+)`)

var roleArn = regexp.MustCompile(`^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:.*/)?([^/]+)$`)

func (a *Account) serve(w http.ResponseWriter, r *http.Request, service string) {
	m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization"))
	key, region := m[1], m[2]
	if err := r.ParseForm(); err != nil {
		queryError(w, service, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	call := QueryCall{Service: service, Action: r.Form.Get("Action"), Region: region, Principal: a.user(), Attempt: 1}
	if m := sdkAttempt.FindStringSubmatch(r.Header.Get("Amz-Sdk-Request")); m != nil {
		call.Attempt, _ = strconv.Atoi(m[1])
	}
	if p, ok := a.sessions[key]; ok {
		call.Principal = p
	}
	defer func() { a.calls = append(a.calls, call) }()
	fail := func(status int, code, msg string) {
		call.Error = code
		queryError(w, service, status, code, msg)
	}
	switch service + ":" + call.Action {
	case "sts:AssumeRole":
		call.RoleArn = r.Form.Get("RoleArn")
		rm := roleArn.FindStringSubmatch(call.RoleArn)
		session := r.Form.Get("RoleSessionName")
		switch {
		case rm == nil || session == "":
			fail(http.StatusBadRequest, "ValidationError", "RoleArn must be a role ARN and RoleSessionName is required")
			return
		case rm[1] != a.ID:
			fail(http.StatusForbidden, "AccessDenied", fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", call.Principal, call.RoleArn))
			return
		}
		if a.sessions == nil {
			a.sessions = map[string]string{}
		}
		issued := fmt.Sprintf("ASIAFAKE%s%04d", a.ID, len(a.sessions)+1)
		arn := "arn:aws:sts::" + a.ID + ":assumed-role/" + rm[2] + "/" + session
		a.sessions[issued] = arn
		writeXML(w, assumeRoleResponse{
			Credentials: stsCredentials{AccessKeyID: issued, SecretAccessKey: "fake-secret-" + issued, SessionToken: "fake-token-" + issued,
				Expiration: time.Now().Add(time.Hour).UTC().Format(time.RFC3339)},
			AssumedRoleUser: assumedRoleUser{Arn: arn, AssumedRoleID: "AROAFAKE" + a.ID + ":" + session},
		})
	case "sts:GetCallerIdentity":
		id := "AIDAFAKE" + a.ID
		if _, after, ok := strings.Cut(call.Principal, ":assumed-role/"); ok {
			id = "AROAFAKE" + a.ID + ":" + after[strings.LastIndex(after, "/")+1:]
		}
		writeXML(w, callerIdentityResponse{Arn: call.Principal, UserID: id, Account: a.ID})
	case "ec2:DescribeFlowLogs":
		for i := 1; r.Form.Has(fmt.Sprintf("Filter.%d.Name", i)); i++ {
			name := r.Form.Get(fmt.Sprintf("Filter.%d.Name", i))
			if name != "resource-id" {
				fail(http.StatusBadRequest, "InvalidParameterValue", "the fake models only the resource-id filter, not "+name)
				return
			}
			for j := 1; r.Form.Has(fmt.Sprintf("Filter.%d.Value.%d", i, j)); j++ {
				call.ResourceIDs = append(call.ResourceIDs, r.Form.Get(fmt.Sprintf("Filter.%d.Value.%d", i, j)))
			}
		}
		if call.ResourceIDs == nil {
			fail(http.StatusBadRequest, "InvalidParameterValue", "the fake answers DescribeFlowLogs with a resource-id filter only")
			return
		}
		resp := describeFlowLogsResponse{RequestID: "awsfake"}
		if a.FlowLogs != nil {
			for _, fl := range a.FlowLogs(region, call.ResourceIDs) {
				item := flowLogItem{FlowLogID: fl.ID, ResourceID: fl.ResourceID, FlowLogStatus: "ACTIVE"}
				for _, k := range slices.Sorted(maps.Keys(fl.Tags)) {
					item.Tags = append(item.Tags, tagItem{Key: k, Value: fl.Tags[k]})
				}
				resp.FlowLogs = append(resp.FlowLogs, item)
			}
		}
		writeXML(w, resp)
	default:
		fail(http.StatusBadRequest, "InvalidAction", "the fake does not answer "+service+" "+call.Action)
	}
}

type stsMetadata struct {
	RequestID string `xml:"RequestId"`
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type assumeRoleResponse struct {
	XMLName         xml.Name        `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Credentials     stsCredentials  `xml:"AssumeRoleResult>Credentials"`
	AssumedRoleUser assumedRoleUser `xml:"AssumeRoleResult>AssumedRoleUser"`
	Metadata        stsMetadata     `xml:"ResponseMetadata"`
}

type callerIdentityResponse struct {
	XMLName  xml.Name    `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Arn      string      `xml:"GetCallerIdentityResult>Arn"`
	UserID   string      `xml:"GetCallerIdentityResult>UserId"`
	Account  string      `xml:"GetCallerIdentityResult>Account"`
	Metadata stsMetadata `xml:"ResponseMetadata"`
}

type tagItem struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type flowLogItem struct {
	FlowLogID     string    `xml:"flowLogId"`
	ResourceID    string    `xml:"resourceId"`
	FlowLogStatus string    `xml:"flowLogStatus"`
	Tags          []tagItem `xml:"tagSet>item"`
}

type describeFlowLogsResponse struct {
	XMLName   xml.Name      `xml:"http://ec2.amazonaws.com/doc/2016-11-15/ DescribeFlowLogsResponse"`
	RequestID string        `xml:"requestId"`
	FlowLogs  []flowLogItem `xml:"flowLogSet>item"`
}

func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "text/xml")
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	b = append([]byte(xml.Header), b...)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

// queryError writes an STS or EC2 error response.
func queryError(w http.ResponseWriter, service string, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	var b strings.Builder
	xml.EscapeText(&b, []byte(msg))
	if service == "ec2" {
		fmt.Fprintf(w, `<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>awsfake</RequestID></Response>`, code, b.String())
		return
	}
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>awsfake</RequestId></ErrorResponse>`, typ, code, b.String())
}
