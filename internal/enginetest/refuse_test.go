//go:build enginetest

package enginetest

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestEngineRefusesUndeployable: a stack that breaks a constraint of
// internal/awsconstraints (a role whose auto-name exceeds the provider's
// 64-character cap) fails in the stand-in provider's Check, the way the real
// provider fails, and the engine stops before it creates anything: preview
// and up both fail with the provider's message and the fake cloud stays
// empty.
func TestEngineRefusesUndeployable(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("running as the child of TestEngine")
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	h := newHarness(t)
	provider, port := serve(t)

	logical := "flowlogs-" + strings.Repeat("forwarder-", 5) + "role" // 63 characters, + "-" + 7 > 64
	program := func(ctx *pulumi.Context) error {
		_, err := iam.NewRole(ctx, logical, &iam.RoleArgs{
			AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[]}`),
		})
		return err
	}
	const name = "undeployable"
	writeStackWith(t, h, name, h.Project+":trafficType", "ALL")
	s := h.stack(ctx, t, name, program, port)
	want := "name '" + logical + "-' plus 7 random chars is longer than maximum length 64"

	_, err := s.Preview(ctx, optpreview.Color("never"))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("preview: want the provider's refusal %q, got %v", want, err)
	}
	t.Logf("engine: %s", firstLine(err.Error(), "longer than maximum length"))
	_, err = s.Up(ctx, optup.Color("never"))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("up: want the provider's refusal %q, got %v", want, err)
	}
	if ops := provider.Ops(); len(ops) != 0 {
		t.Errorf("the engine created or changed resources despite the failed check: %v", ops)
	}
	if n := provider.Calls()["Create"]; n != 0 {
		t.Errorf("Create was called %d times", n)
	}
	refused := provider.Refused()
	if len(refused) == 0 || !strings.HasSuffix(refused[0], "::"+logical) {
		t.Errorf("the stand-in refused %v, want the role %s", refused, logical)
	}
}
