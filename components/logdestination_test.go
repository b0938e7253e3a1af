package components

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	testOrgStream = "arn:aws:kinesis:us-east-1:210987654321:stream/org-flows"
	testOrgRole   = "arn:aws:iam::210987654321:role/org-flows-destination"
)

// senderPrincipals are the two kinds of senders and the principal and
// condition of a resource policy's statement that admits them, as JSON:
// an organization by aws:PrincipalOrgID with any principal, or the listed
// accounts by name.
var senderPrincipals = []struct {
	name                 string
	senders              OrgSenders
	principal, condition string
}{
	{"organization", OrgSenders{OrganizationID: "o-abcdefghij"}, `"*"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-abcdefghij"}}`},
	{"accounts", OrgSenders{AccountIDs: []string{"123456789012", "111122223333"}}, `{"AWS":["123456789012","111122223333"]}`, `null`},
}

// admitsSenders checks a policy statement's principal and condition, as
// JSON (see senderPrincipals).
func admitsSenders(t *testing.T, st map[string]any, principal, condition string) {
	t.Helper()
	if got := mustJSON(t, st["Principal"]); got != principal {
		t.Errorf("principal = %s, want %s", got, principal)
	}
	if got := mustJSON(t, st["Condition"]); got != condition {
		t.Errorf("condition = %s, want %s", got, condition)
	}
}

// TestLogDestination: the destination targets the central stream with its
// role, carries the name tags, and its access policy lets exactly the
// senders call PutSubscriptionFilter on it: an organization by
// aws:PrincipalOrgID with any principal, or the listed accounts by name
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CreateDestination.html).
func TestLogDestination(t *testing.T) {
	for _, tc := range senderPrincipals {
		t.Run(tc.name, func(t *testing.T) {
			var arn pulumi.StringOutput
			m := run(t, func(ctx *pulumi.Context) error {
				d, err := NewLogDestination(ctx, "dest", &LogDestinationArgs{
					DestinationName: "org-flows",
					StreamArn:       pulumi.String(testOrgStream),
					RoleArn:         pulumi.String(testOrgRole),
					Senders:         tc.senders,
					Tags:            map[string]string{"team": "net"},
				})
				if err == nil {
					arn = d.Arn
				}
				return err
			})
			// The destination takes the component's own name, as the
			// other organization components' main resources do; both
			// children are parented to the component.
			_, kids := ownNamedComponent(t, m, "vpcflowlogs:index:LogDestination", "dest")
			if kids != "aws:cloudwatch/logDestination:LogDestination dest, aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy dest-policy" {
				t.Errorf("children: %s", kids)
			}
			dests := m.ByType("aws:cloudwatch/logDestination:LogDestination")
			if len(dests) != 1 {
				t.Fatalf("%d destinations", len(dests))
			}
			dest := dests[0]
			if dest.Input("name") != "org-flows" || dest.Input("targetArn") != testOrgStream || dest.Input("roleArn") != testOrgRole {
				t.Errorf("destination = %v", dest.Inputs)
			}
			if got := mustJSON(t, dest.Inputs["tags"]); got != `{"Name":"dest","team":"net"}` {
				t.Errorf("destination tags = %s", got)
			}
			if got, want := await(t, arn), dest.Outputs["arn"]; got != want || got == "" {
				t.Errorf("Arn = %v, want the destination's %v", got, want)
			}
			pol := mustGet(t, m, "dest-policy")
			if pol.Input("destinationName") != "org-flows" {
				t.Errorf("policy destinationName = %v", pol.Inputs["destinationName"])
			}
			st := statementBySid(t, policyDoc(t, pol, "accessPolicy"), "MembersSubscribe")
			if st["Effect"] != "Allow" || st["Action"] != "logs:PutSubscriptionFilter" || st["Resource"] != dest.Outputs["arn"] {
				t.Errorf("statement = %v", st)
			}
			admitsSenders(t, st, tc.principal, tc.condition)
			// An access policy that admits an organization is put with
			// forceUpdate, which PutDestinationPolicy needs to replace a
			// policy that granted individual accounts (a central stack
			// switched from memberAccountIds to organizationId): "Specify
			// true if you are updating an existing destination policy to
			// grant permission to an organization ID instead of granting
			// permission to individual AWS accounts"
			// (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDestinationPolicy.html).
			// Setting it affirms that every sender's subscription filter
			// names a role already, as MemberRelay's always does. An
			// account list leaves it unset.
			got, set := pol.Inputs["forceUpdate"]
			if org := tc.senders.OrganizationID != ""; org && got != true {
				t.Errorf("forceUpdate = %v, want true for an organization", got)
			} else if !org && set {
				t.Errorf("forceUpdate = %v, want it unset for an account list", got)
			}
		})
	}
}

// Bad arguments fail before anything is registered, naming the field.
func TestLogDestinationRejectsBadArgs(t *testing.T) {
	good := func() LogDestinationArgs {
		return LogDestinationArgs{
			DestinationName: "org-flows",
			StreamArn:       pulumi.String(testOrgStream),
			RoleArn:         pulumi.String(testOrgRole),
			Senders:         OrgSenders{OrganizationID: "o-abcdefghij"},
		}
	}
	for _, tc := range []struct {
		name string
		edit func(*LogDestinationArgs)
		want string
	}{
		{"empty name", func(a *LogDestinationArgs) { a.DestinationName = "" }, `DestinationName: "" is not 1-512 characters`},
		{"colon", func(a *LogDestinationArgs) { a.DestinationName = "a:b" }, `DestinationName: "a:b"`},
		{"star", func(a *LogDestinationArgs) { a.DestinationName = "a*" }, `DestinationName: "a*"`},
		{"too long", func(a *LogDestinationArgs) { a.DestinationName = strings.Repeat("d", 513) }, "is not 1-512 characters"},
		{"no stream", func(a *LogDestinationArgs) { a.StreamArn = nil }, "StreamArn and RoleArn: required"},
		{"no role", func(a *LogDestinationArgs) { a.RoleArn = nil }, "StreamArn and RoleArn: required"},
		{"no senders", func(a *LogDestinationArgs) { a.Senders = OrgSenders{} }, "Senders: OrganizationID or AccountIDs is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := good()
			tc.edit(&args)
			refused(t, func(ctx *pulumi.Context) error {
				_, err := NewLogDestination(ctx, "dest", &args)
				return err
			}, tc.want, `LogDestination "dest"`)
		})
	}
	// The longest name is allowed.
	args := good()
	args.DestinationName = strings.Repeat("d", 512)
	run(t, func(ctx *pulumi.Context) error {
		_, err := NewLogDestination(ctx, "dest", &args)
		return err
	})
	refused(t, func(ctx *pulumi.Context) error {
		_, err := NewLogDestination(ctx, "dest", nil)
		return err
	}, "args are required")
}
