package diagram

import "github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"

// Readers of recorded inputs, shared with the rule suite (internal/mockaws).
var (
	get  = mockaws.Get
	str  = mockaws.Str
	num  = mockaws.Num
	list = mockaws.List
)
