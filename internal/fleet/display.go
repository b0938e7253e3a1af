package fleet

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// FormatChanges renders a change summary: +create ~update -delete
// +-replace, then any other operation by name, then the unchanged count;
// "no changes" when nothing would change.
func FormatChanges(m map[string]int) string {
	var parts []string
	for _, k := range []struct{ op, sign string }{{"create", "+"}, {"update", "~"}, {"delete", "-"}, {"replace", "+-"}} {
		if n := m[k.op]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s%d", k.sign, n))
		}
	}
	var others []string
	for op, n := range m {
		switch op {
		case "create", "update", "delete", "replace", "same",
			// the halves of a replacement, and reads, change nothing on their own
			"create-replacement", "delete-replaced", "read", "read-replacement", "refresh":
			continue
		}
		if n > 0 {
			others = append(others, fmt.Sprintf("%s %d", op, n))
		}
	}
	sort.Strings(others)
	parts = append(parts, others...)
	s := strings.Join(parts, " ")
	if s == "" {
		s = "no changes"
	}
	if n := m["same"]; n > 0 {
		s += fmt.Sprintf(" (%d same)", n)
	}
	return s
}

// Changed reports whether a change summary has anything but unchanged
// resources (and reads).
func Changed(m map[string]int) bool { return !strings.HasPrefix(FormatChanges(m), "no changes") }

var (
	// an error diagnostic of the engine, also where the Automation API's
	// error quotes the CLI's stderr or stdout ("stderr: error: ...")
	errorLineRe = regexp.MustCompile(`^\s*(?:(?:stderr|stdout):\s*)?error:\s*(.+)$`)
	// the engine's closing line, which says nothing about the cause
	genericErrRe = regexp.MustCompile(`^(update|preview|destroy|refresh) failed$|^an error occurred`)
)

// Brief is the cause of a failed run in one line: the engine's error
// diagnostics (not its closing "update failed"), else the first line of err.
func Brief(err error) string {
	if err == nil {
		return ""
	}
	var causes []string
	seen := map[string]bool{}
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		m := errorLineRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		c := strings.TrimSpace(m[1])
		// A Go program's error list: "...: 1 error occurred:" and then
		// "\t* <cause>" lines; the causes are the items.
		if strings.HasSuffix(c, ":") {
			var items []string
			for _, next := range lines[i+1:] {
				item, ok := strings.CutPrefix(strings.TrimSpace(next), "* ")
				if !ok {
					break
				}
				items = append(items, strings.TrimSpace(item))
			}
			if len(items) > 0 {
				c = strings.Join(items, "; ")
			}
		}
		if genericErrRe.MatchString(c) || seen[c] {
			continue
		}
		seen[c] = true
		causes = append(causes, c)
	}
	if len(causes) == 0 {
		first, _, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
		return first
	}
	if len(causes) > 2 {
		causes = append(causes[:2], fmt.Sprintf("(%d more)", len(causes)-2))
	}
	return strings.Join(causes, "; ")
}

// duration renders a duration to a tenth of a second.
func duration(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }

// WriteTable writes the per-stack result table, then the cause (and log) of
// every stack that did not succeed.
func WriteTable(w io.Writer, f *File, op Op, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STACK\tROLE\tACCOUNT\tREGION\tRESULT\tCHANGES\tDURATION")
	for _, r := range results {
		acct := r.Stack.AccountID()
		if acct == "" {
			acct = "-"
		}
		changes, dur := "-", "-"
		if r.State != Skipped {
			dur = duration(r.Duration)
			if r.Changes != nil {
				changes = FormatChanges(r.Changes)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Stack.Name, r.Stack.RoleOf(), acct, r.Stack.Region, r.State, changes, dur)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range results {
		if r.State == Succeeded {
			continue
		}
		fmt.Fprintf(w, "%s: %s: %s", r.Stack.Name, r.State, Brief(r.Err))
		if r.Log != "" {
			fmt.Fprintf(w, " (engine output: %s)", r.Log)
		}
		fmt.Fprintln(w)
	}
	return nil
}

// Plain is the progress display for a log or a pipe: one line per start and
// per result.
type Plain struct {
	W  io.Writer
	Op Op
	// Total is the number of stacks of the run (for the [n/total] counter).
	Total int
	done  int
}

// Started prints the start of a stack's run.
func (p *Plain) Started(s *Stack) {
	fmt.Fprintf(p.W, "%s: %s started (%s, %s)\n", s.Name, p.Op, s.RoleOf(), where(s))
}

// Progress prints nothing: a plain log gets one line per start and result.
func (p *Plain) Progress(*Stack, Progress) {}

// Finished prints a stack's result.
func (p *Plain) Finished(r Result) {
	p.done++
	switch r.State {
	case Skipped:
		fmt.Fprintf(p.W, "[%d/%d] %s: %s skipped: %s\n", p.done, p.Total, r.Stack.Name, p.Op, Brief(r.Err))
	case Failed:
		fmt.Fprintf(p.W, "[%d/%d] %s: %s failed in %s: %s\n", p.done, p.Total, r.Stack.Name, p.Op, duration(r.Duration), Brief(r.Err))
	default:
		fmt.Fprintf(p.W, "[%d/%d] %s: %s succeeded in %s: %s\n", p.done, p.Total, r.Stack.Name, p.Op, duration(r.Duration), FormatChanges(r.Changes))
	}
}

func where(s *Stack) string {
	a := s.AccountID()
	if a == "" {
		return s.Region
	}
	return a + " " + s.Region
}

// Live is the progress display for a terminal: a table of every stack,
// redrawn in place on every event (and by Redraw, which the command calls
// every second so running times move).
type Live struct {
	W   io.Writer
	Op  Op
	Now func() time.Time

	// MaxRows is how many stacks the table lists one per line; a larger
	// fleet lists only the running and failed ones under a count per state,
	// so the table fits a terminal.
	MaxRows int

	mu       sync.Mutex
	rows     []*liveRow
	index    map[*Stack]*liveRow
	lines    int // lines drawn last time
	lastDraw time.Time
}

type liveRow struct {
	s        *Stack
	state    string
	started  time.Time
	res      int
	current  string
	finished *Result
}

// NewLive returns a live table of stacks, all queued.
func NewLive(w io.Writer, op Op, stacks []*Stack, now func() time.Time) *Live {
	if now == nil {
		now = time.Now
	}
	l := &Live{W: w, Op: op, Now: now, MaxRows: 30, index: map[*Stack]*liveRow{}}
	for _, s := range stacks {
		r := &liveRow{s: s, state: "queued"}
		l.rows = append(l.rows, r)
		l.index[s] = r
	}
	return l
}

// Started marks a stack running.
func (l *Live) Started(s *Stack) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.index[s]; r != nil {
		r.state, r.started = "running", l.Now()
	}
	l.draw()
}

// Progress updates a running stack's resource count; the table is redrawn
// at most ten times a second for progress.
func (l *Live) Progress(s *Stack, p Progress) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.index[s]; r != nil {
		r.res, r.current = p.Resources, p.Current
	}
	if l.Now().Sub(l.lastDraw) >= 100*time.Millisecond {
		l.draw()
	}
}

// Finished shows a stack's result.
func (l *Live) Finished(res Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r := l.index[res.Stack]; r != nil {
		r.state, r.finished = string(res.State), &res
	}
	l.draw()
}

// Redraw draws the table again (running times move).
func (l *Live) Redraw() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.draw()
}

// Render returns the table as it stands.
func (l *Live) Render() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	rows := l.rows
	if len(rows) > l.MaxRows {
		counts := map[string]int{}
		rows = nil
		for _, r := range l.rows {
			counts[r.state]++
			if r.state == "running" || r.state == string(Failed) {
				rows = append(rows, r)
			}
		}
		var parts []string
		for _, st := range []string{"queued", "running", string(Succeeded), string(Failed), string(Skipped)} {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
		fmt.Fprintf(&b, "%d stacks: %s\n", len(l.rows), strings.Join(parts, ", "))
	}
	fmt.Fprintf(tw, "STACK\tREGION\t%s\tTIME\tRESOURCES\tDETAIL\n", strings.ToUpper(string(l.Op)))
	for _, r := range rows {
		t, detail := "", ""
		switch {
		case r.finished != nil && r.finished.State == Skipped:
			detail = Brief(r.finished.Err)
		case r.finished != nil:
			t = duration(r.finished.Duration)
			if r.finished.State == Failed {
				detail = Brief(r.finished.Err)
			} else {
				detail = FormatChanges(r.finished.Changes)
			}
		case r.state == "running":
			t = duration(l.Now().Sub(r.started))
			detail = r.current
		}
		res := ""
		if r.state != "queued" && r.state != string(Skipped) {
			res = fmt.Sprint(r.res)
		}
		if len(detail) > 80 {
			detail = detail[:77] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.s.Name, r.s.Region, r.state, t, res, detail)
	}
	tw.Flush()
	return b.String()
}

// draw moves the cursor to the top of the last drawing and redraws it,
// clearing each line (ANSI: cursor up, erase line).
func (l *Live) draw() {
	out := l.Render()
	var b strings.Builder
	if l.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", l.lines)
	}
	for _, line := range strings.SplitAfter(out, "\n") {
		if line == "" {
			continue
		}
		b.WriteString("\x1b[2K")
		b.WriteString(line)
	}
	l.lines = strings.Count(out, "\n")
	l.lastDraw = l.Now()
	io.WriteString(l.W, b.String())
}
