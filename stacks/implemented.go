package stacks

import "github.com/vpcflowlogs/vpc-flow-logs/internal/stackconfig"

// Implemented returns the architectures that have a composition, in the
// mission's order (stackconfig.AllArchitectures). Tests and tools use it to
// run each architecture alone and all of them together.
func Implemented() []stackconfig.Architecture {
	var out []stackconfig.Architecture
	for _, a := range stackconfig.AllArchitectures {
		if _, ok := architectures[a]; ok {
			out = append(out, a)
		}
	}
	return out
}
