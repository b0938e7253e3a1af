package policy

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// Type tokens of the resources that hold secret values.
const (
	tSecretVersion = "aws:secretsmanager/secretVersion:SecretVersion"
	tSSMParameter  = "aws:ssm/parameter:Parameter"
)

// IsSecret reports whether a recorded input is a Pulumi secret: the engine
// encrypts it in the state and masks it in previews. The mocks record a
// secret input as a *resource.Secret.
func IsSecret(v any) bool {
	_, ok := v.(*resource.Secret)
	return ok
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
