package components

import (
	"slices"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Flow logs are created after what their delivery needs: the S3 ones after
// the bucket policy (log delivery would otherwise write its own policy over
// the program's), the CloudWatch Logs ones after the delivery role's policy
// (or the first deliveries fail with an access error).
func TestFlowLogsWaitForTheirDeliveryPermissions(t *testing.T) {
	m := run(t, func(ctx *pulumi.Context) error {
		if _, err := NewFlowLogToS3(ctx, "fl", s3Args()); err != nil {
			return err
		}
		_, err := NewFlowLogToCloudWatch(ctx, "cw", cwArgs())
		return err
	})
	for prefix, dep := range map[string]string{"fl-vpc": "fl-bucket-policy", "cw-vpc": "cw-role-policy"} {
		d := mustGet(t, m, dep)
		n := 0
		for _, fl := range m.ByType("aws:ec2/flowLog:FlowLog") {
			if len(fl.Name) < len(prefix) || fl.Name[:len(prefix)] != prefix {
				continue
			}
			n++
			if !slices.Contains(fl.Dependencies, d.URN) {
				t.Errorf("%s does not wait for %s", fl.Name, dep)
			}
		}
		if n == 0 {
			t.Errorf("no %s* flow logs", prefix)
		}
	}
}
