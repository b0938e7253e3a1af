// Package enginetest runs the Pulumi program under the real Pulumi engine,
// offline: the Automation API drives a Pulumi CLI built from the Go module
// proxy at the version pinned in tools/pulumicli (scripts/pulumi-cli.sh), with
// an inline program that runs stacks.Program, the project settings and stack
// config of the real Pulumi.yaml and Pulumi.dev.yaml, a local file backend in
// a temporary directory, and the stand-in aws provider of package awsstub
// attached with PULUMI_DEBUG_PROVIDERS.
//
// The tests carry the build tag enginetest, so `go test ./...` skips them;
// `make test-engine` (part of `make test`) builds or finds the CLI and runs
// them:
//
//	go test -tags enginetest -count=1 -v ./internal/enginetest
//
// They check what mock tests cannot: the engine accepts Pulumi.yaml's config
// schema and rejects a value of the wrong type naming the key, the preview of
// the dev stack plans the resources the offline plan registers, `up` resolves
// every stack output, a second preview and `up` in a fresh process report no
// changes (reproducible Lambda archives, stable inputs), `destroy` keeps
// the data buckets and the OpenSearch service-linked role (retain on delete),
// and a stack that breaks a constraint AWS enforces (internal/awsconstraints)
// fails in the stand-in's Check before anything is created.
//
// TestFleetEngine (fleet_test.go) runs an organization through
// internal/fleet's Automation API runner: a central stack, member stacks in
// three accounts and two regions and a standalone stack, all against one
// stand-in that answers each provider instance from its own configuration
// (the assumed role's account, the region), the members' own STS and EC2
// calls answered by a fake of each account (internal/awsfake): a first
// preview whose members need the central stack's outputs, the central
// stack's up, preview, up, a second preview with no changes, a refresh, a
// failing member that stops no other stack, and a member destroyed and
// removed (docs/fleet.md).
package enginetest
