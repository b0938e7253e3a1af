// Package wait holds the waiting the Lambda functions' retry loops share.
package wait

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx is done, whichever comes first; it returns
// ctx's error when the context ended the wait.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
