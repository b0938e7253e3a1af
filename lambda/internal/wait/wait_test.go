package wait

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

func TestSleepReturnsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep on a cancelled context = %v, want context.Canceled", err)
	}
}

// Sleep waits exactly the requested time: in a synctest bubble the clock is
// virtual, so a sleep that returns early (or late) shows as a wrong elapsed
// time, without the test depending on the machine's scheduling.
func TestSleepWaitsForTheDuration(t *testing.T) {
	for _, d := range []time.Duration{time.Millisecond, 1500 * time.Millisecond, 7 * time.Minute} {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			if err := Sleep(context.Background(), d); err != nil {
				t.Fatalf("Sleep(%v) = %v", d, err)
			}
			if got := time.Since(start); got != d {
				t.Errorf("Sleep(%v) returned after %v", d, got)
			}
		})
	}
}

// A context that ends during the sleep ends it at that moment, with the
// context's error.
func TestSleepIsCancelledMidway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		err := Sleep(ctx, time.Hour)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Sleep = %v, want context.DeadlineExceeded", err)
		}
		if got := time.Since(start); got != 2*time.Second {
			t.Errorf("Sleep returned %v after the start, want when the context ended (2s)", got)
		}
	})
}
