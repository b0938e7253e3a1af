// Package runbook names the section of docs/operations.md that tells the
// person on call what an alarm means, how to confirm it and what to do.
// Every alarm the program declares ends its AlarmDescription with
// Link(anchor), and a test proves the anchor exists in docs/operations.md.
package runbook

// Base is where docs/operations.md is published: the project's repository.
const Base = "https://github.com/vpcflowlogs/vpc-flow-logs/blob/main/docs/operations.md"

// Link is the URL of the runbook section whose GitHub heading anchor is
// anchor (lower case, spaces as hyphens, punctuation dropped).
func Link(anchor string) string { return Base + "#" + anchor }
