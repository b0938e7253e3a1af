package mockaws

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/vpcflowlogs/vpc-flow-logs/internal/stackfile"
	"google.golang.org/protobuf/types/known/emptypb"
)

type emptyResponse = emptypb.Empty

// Run runs program under mocks with the given stack config (full keys,
// structured values as JSON) and returns the record, also when the program fails.
func Run(program pulumi.RunFunc, project, stack string, config map[string]string, opts ...Option) (*Mocks, error) {
	m := New(project, stack, opts...)
	err := pulumi.RunErr(program, pulumi.WithMocks(project, stack, m), func(info *pulumi.RunInfo) {
		info.Config = config
		// The offline plan and the tests model a stack whose secret keys were
		// set with --secret, as the engine would report them.
		for _, k := range stackfile.SecretKeys {
			if _, ok := config[project+":"+k]; ok {
				info.ConfigSecretKeys = append(info.ConfigSecretKeys, project+":"+k)
			}
		}
	})
	return m, err
}
