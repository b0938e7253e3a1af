package replay

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"
)

// Inventory describes the messages of a queue: how many, of which kinds,
// from which log groups, how old, and the span of event times they hold.
type Inventory struct {
	Messages int
	Bytes    int
	ByKind   map[Kind]int
	// ByLogGroup counts messages by source log group ("" when unknown).
	ByLogGroup map[string]int
	// Reasons counts messages by reason (cut to 120 bytes).
	Reasons map[string]int
	// OldestSent and NewestSent are the messages' SentTimestamps.
	OldestSent, NewestSent time.Time
	// FirstEvent and LastEvent span the event times the messages hold.
	FirstEvent, LastEvent time.Time
}

// Add counts one message.
func (inv *Inventory) Add(l *Letter, sent time.Time, size int) {
	if inv.ByKind == nil {
		inv.ByKind, inv.ByLogGroup, inv.Reasons = map[Kind]int{}, map[string]int{}, map[string]int{}
	}
	inv.Messages++
	inv.Bytes += size
	inv.ByKind[l.Kind]++
	inv.ByLogGroup[l.LogGroup]++
	reason := l.Reason
	if len(reason) > 120 {
		reason = reason[:117] + "..."
	}
	inv.Reasons[reason]++
	if !sent.IsZero() {
		inv.OldestSent = earliest(inv.OldestSent, sent)
		inv.NewestSent = latest(inv.NewestSent, sent)
	}
	if !l.First.IsZero() {
		inv.FirstEvent = earliest(inv.FirstEvent, l.First)
		inv.LastEvent = latest(inv.LastEvent, l.Last)
	}
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Write prints the inventory, ages relative to now.
func (inv *Inventory) Write(w io.Writer, now time.Time) {
	fmt.Fprintf(w, "messages: %d (%d bytes)\n", inv.Messages, inv.Bytes)
	if inv.Messages == 0 {
		return
	}
	fmt.Fprintf(w, "age: oldest %s (sent %s), newest %s (sent %s)\n",
		age(now, inv.OldestSent), stamp(inv.OldestSent), age(now, inv.NewestSent), stamp(inv.NewestSent))
	if !inv.FirstEvent.IsZero() {
		fmt.Fprintf(w, "events: first %s, last %s\n", stamp(inv.FirstEvent), stamp(inv.LastEvent))
	}
	writeCounts(w, "kind", inv.ByKind, func(k Kind) string {
		if k.Replayable() {
			return string(k) + " (replayable)"
		}
		return string(k) + " (reported, not replayed)"
	})
	writeCounts(w, "log group", inv.ByLogGroup, func(g string) string { return cmp.Or(g, "(unknown)") })
	writeCounts(w, "reason", inv.Reasons, func(r string) string { return cmp.Or(r, "(none)") })
}

// writeCounts prints counts, largest first, then by name.
func writeCounts[K cmp.Ordered](w io.Writer, title string, m map[K]int, name func(K) string) {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b K) int {
		return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b))
	})
	for _, k := range keys {
		fmt.Fprintf(w, "  %-9s %6d  %s\n", title, m[k], name(k))
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.RFC3339)
}

func age(now, t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return now.Sub(t).Round(time.Second).String()
}
