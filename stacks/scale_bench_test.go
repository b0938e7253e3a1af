package stacks

import (
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkOrgScale plans a central stack and 10, 100 and 300 member stacks
// under mocks (`make bench-scale`; docs/scale.md) and reports, besides the
// time and memory of the whole organization per iteration, the time and the
// bytes allocated per member: the central stack's plan divided over the
// members shrinks as n grows, so linear growth shows as a per-member cost
// that approaches a constant from above, never one that rises with n.
//
// The Lambda archives are built once per process (internal/lambdabuild): a
// plan of the central stack before the first measurement builds them, so
// no size pays for them.
func BenchmarkOrgScale(b *testing.B) {
	planOrg(b, scale, 0)
	for _, n := range []int{10, 100, 300} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				planOrg(b, scale, n)
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			members := float64(b.N * n)
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/members, "ms/member")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/members/(1<<20), "MiB/member")
		})
	}
}
