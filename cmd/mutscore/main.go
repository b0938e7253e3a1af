// Command mutscore reads the JSON results gremlins wrote for each package
// (scripts/mutate.sh, `make mutate`) and prints one table: per package the
// mutants killed, lived, not covered, timed out and not viable, the mutation
// score and how long the run took; then every surviving mutant (lived or not
// covered) as file:line:column MUTATOR, marked with whether docs/testing.md
// explains it.
//
//	go run ./cmd/mutscore -results .build/mutate -doc docs/testing.md -target 85 ./internal/flowlog ./internal/costs
//
// Score = (killed + timed out + killed by hand) / (killed + timed out + lived +
// not covered): a mutant no test covers counts as a survivor; one that does
// not compile (not viable) counts for nothing. "Killed by hand" are the
// survivors whose row in docs/testing.md's survivors table gives a reason
// starting with "killed": gremlins v0.6.0 does not run mutants in the case
// conditions of a tagless switch (it reports them NOT COVERED,
// https://github.com/go-gremlins/gremlins/issues/298), so such a row names
// the test that kills it, as `go run ./cmd/mutant` shows. A not-covered
// survivor whose row starts with "not viable" (cmd/mutant: it does not
// compile) counts as not viable. It exits non-zero
// when a package's score is under -target and one of its survivors is not in
// the survivors table, or when a package has no results.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Statuses as gremlins v0.6.0 writes them.
const (
	statusKilled     = "KILLED"
	statusLived      = "LIVED"
	statusNotCovered = "NOT COVERED"
	statusTimedOut   = "TIMED OUT"
	statusNotViable  = "NOT VIABLE"
)

// report is the part of gremlins' JSON output (-o) mutscore reads.
type report struct {
	Files []struct {
		Name      string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

// mutant is one mutation: where, which mutator, what became of it.
type mutant struct {
	File         string // repository-relative, slash-separated
	Line, Column int
	Type         string
	Status       string
}

// Key is the mutant as docs/testing.md lists it: file:line:column MUTATOR.
func (m mutant) Key() string {
	return fmt.Sprintf("%s:%d:%d %s", m.File, m.Line, m.Column, m.Type)
}

func (m mutant) survived() bool { return m.Status == statusLived || m.Status == statusNotCovered }

// pkgResult is one package's run.
type pkgResult struct {
	Dir     string // ./internal/flowlog
	Mutants []mutant
	Seconds int // -1 when unknown
}

// count returns how many mutants have status s.
func (p pkgResult) count(s string) int {
	n := 0
	for _, m := range p.Mutants {
		if m.Status == s {
			n++
		}
	}
	return n
}

// What the survivors table says of a survivor (rowOf), also the note
// printed beside it.
const (
	rowMissing   = "NOT EXPLAINED"
	rowExplained = "explained"
	// A reason starting with "killed": a test kills it.
	rowKilled = "killed by hand"
	// A not-covered mutant whose reason starts with "not viable" (as `go
	// run ./cmd/mutant` shows): gremlins reports a mutant NOT COVERED
	// before it tries to build it, so a `+` turned `-` in a string
	// concatenation no test reaches (or in a constant, which has no
	// coverage block at all) is never found not viable. A LIVED mutant
	// compiled, so its row cannot make it not viable.
	rowNotViable = "not viable"
)

// rowOf classifies survivor m by its row in the survivors table.
func rowOf(m mutant, explained map[string]string) string {
	r, ok := explained[m.Key()]
	switch {
	case !ok:
		return rowMissing
	case hasPrefixFold(r, "killed"):
		return rowKilled
	case m.Status == statusNotCovered && hasPrefixFold(r, "not viable"):
		return rowNotViable
	}
	return rowExplained
}

func hasPrefixFold(s, prefix string) bool { return strings.HasPrefix(strings.ToLower(s), prefix) }

// hand counts the survivors whose row classifies as row.
func (p pkgResult) hand(explained map[string]string, row string) int {
	n := 0
	for _, m := range p.Survivors() {
		if rowOf(m, explained) == row {
			n++
		}
	}
	return n
}

// HandKilled counts the survivors the survivors table says a test kills.
func (p pkgResult) HandKilled(explained map[string]string) int { return p.hand(explained, rowKilled) }

// HandNotViable counts the not-covered mutants the survivors table says do
// not compile.
func (p pkgResult) HandNotViable(explained map[string]string) int {
	return p.hand(explained, rowNotViable)
}

// Score is the percentage of detected mutants (killed, timed out or killed
// by hand) among those that compile (not viable by hand excluded); 100 when
// there is none.
func (p pkgResult) Score(explained map[string]string) float64 {
	detected := p.count(statusKilled) + p.count(statusTimedOut) + p.HandKilled(explained)
	total := p.count(statusKilled) + p.count(statusTimedOut) + p.count(statusLived) + p.count(statusNotCovered) - p.HandNotViable(explained)
	if total == 0 {
		return 100
	}
	return 100 * float64(detected) / float64(total)
}

// Survivors returns the lived and not-covered mutants, by file and position.
func (p pkgResult) Survivors() []mutant {
	var out []mutant
	for _, m := range p.Mutants {
		if m.survived() {
			out = append(out, m)
		}
	}
	return out
}

// Slug is the results file's base name for a package directory, as
// scripts/mutate.sh names it: internal/flowlog -> internal_flowlog.
func Slug(dir string) string {
	return strings.ReplaceAll(strings.Trim(strings.TrimPrefix(dir, "./"), "/"), "/", "_")
}

// readPackage reads dir's results from resultsDir.
func readPackage(resultsDir, dir string) (pkgResult, error) {
	base := filepath.Join(resultsDir, Slug(dir)+".json")
	b, err := os.ReadFile(base)
	if err != nil {
		return pkgResult{}, fmt.Errorf("%s: no mutation results (run `make mutate PKGS=%s`): %w", dir, dir, err)
	}
	res, err := parseReport(dir, b)
	if err != nil {
		return pkgResult{}, fmt.Errorf("%s: %w", base, err)
	}
	res.Seconds = -1
	if s, err := os.ReadFile(base + ".seconds"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(s))); err == nil {
			res.Seconds = n
		}
	}
	return res, nil
}

// parseReport turns gremlins' JSON for the package directory dir into
// mutants with repository-relative file names (gremlins names files relative
// to the directory it ran in).
func parseReport(dir string, b []byte) (pkgResult, error) {
	var r report
	if err := json.Unmarshal(b, &r); err != nil {
		return pkgResult{}, fmt.Errorf("not gremlins JSON output: %w", err)
	}
	res := pkgResult{Dir: "./" + strings.Trim(strings.TrimPrefix(dir, "./"), "/")}
	for _, f := range r.Files {
		for _, m := range f.Mutations {
			res.Mutants = append(res.Mutants, mutant{
				File: path.Join(strings.TrimPrefix(res.Dir, "./"), filepath.ToSlash(f.Name)),
				Line: m.Line, Column: m.Column, Type: m.Type, Status: m.Status,
			})
		}
	}
	slices.SortFunc(res.Mutants, func(a, b mutant) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if a.Column != b.Column {
			return a.Column - b.Column
		}
		return strings.Compare(a.Type, b.Type)
	})
	return res, nil
}

// docRow matches a row of docs/testing.md's survivors table:
// | `internal/flowlog/record.go:12:3 CONDITIONALS_BOUNDARY` | reason |
var docRow = regexp.MustCompile("^\\|\\s*`([^`]+:\\d+:\\d+ [A-Z_]+)`\\s*\\|\\s*(.*?)\\s*\\|\\s*$")

// ParseExplained returns the survivors docs/testing.md explains, keyed by
// file:line:column MUTATOR, with their reasons. A row without a reason is an
// error: the table is there to say why a mutant may live.
func ParseExplained(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		m := docRow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if m[2] == "" {
			return nil, fmt.Errorf("line %d: survivor %s has no reason", n, m[1])
		}
		if _, dup := out[m[1]]; dup {
			return nil, fmt.Errorf("line %d: survivor %s listed twice", n, m[1])
		}
		out[m[1]] = m[2]
	}
	return out, sc.Err()
}

// verdict is what the run concludes for one package.
type verdict struct {
	Undocumented []mutant // survivors docs/testing.md does not explain
	Failed       bool     // under target with an undocumented survivor
}

func judge(p pkgResult, explained map[string]string, target float64) verdict {
	var v verdict
	for _, m := range p.Survivors() {
		if _, ok := explained[m.Key()]; !ok {
			v.Undocumented = append(v.Undocumented, m)
		}
	}
	v.Failed = p.Score(explained) < target && len(v.Undocumented) > 0
	return v
}

// Stale returns the documented survivors under the given packages that no
// longer survive (killed since, or moved by an edit): the table should drop
// or update them.
func Stale(results []pkgResult, explained map[string]string) []string {
	alive := map[string]bool{}
	var dirs []string
	for _, p := range results {
		dirs = append(dirs, strings.TrimPrefix(p.Dir, "./")+"/")
		for _, m := range p.Survivors() {
			alive[m.Key()] = true
		}
	}
	var out []string
	for k := range explained {
		if alive[k] {
			continue
		}
		for _, d := range dirs {
			// Only the packages of this run, and not a subpackage's file
			// when that subpackage ran as a package of its own.
			if strings.HasPrefix(k, d) {
				out = append(out, k)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// write prints the table and the survivors; it returns whether every
// package passed.
func write(w io.Writer, results []pkgResult, explained map[string]string, target float64) bool {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "package\tkilled\tlived\tnot covered\ttimed out\tnot viable\tkilled by hand\tscore\ttarget\ttime\t")
	ok := true
	verdicts := make([]verdict, len(results))
	for i, p := range results {
		v := judge(p, explained, target)
		verdicts[i] = v
		mark := "ok"
		switch {
		case v.Failed:
			mark = "FAIL"
			ok = false
		case p.Score(explained) < target:
			mark = "ok (survivors explained)"
		}
		t := "?"
		if p.Seconds >= 0 {
			t = fmt.Sprintf("%dm%02ds", p.Seconds/60, p.Seconds%60)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f%%\t%s\t%s\t\n", strings.TrimPrefix(p.Dir, "./"),
			p.count(statusKilled), p.count(statusLived), p.count(statusNotCovered), p.count(statusTimedOut),
			p.count(statusNotViable)+p.HandNotViable(explained), p.HandKilled(explained), p.Score(explained), mark, t)
	}
	tw.Flush()
	for i, p := range results {
		s := p.Survivors()
		if len(s) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nsurviving mutants in %s (%d, %d not explained in the survivors table):\n",
			strings.TrimPrefix(p.Dir, "./"), len(s), len(verdicts[i].Undocumented))
		for _, m := range s {
			fmt.Fprintf(w, "  %-70s %-11s %s\n", m.Key(), m.Status, rowOf(m, explained))
		}
	}
	if st := Stale(results, explained); len(st) > 0 {
		fmt.Fprintf(w, "\nexplained in the survivors table but not surviving (remove or update the rows):\n")
		for _, k := range st {
			fmt.Fprintf(w, "  %s\n", k)
		}
	}
	return ok
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mutscore", flag.ContinueOnError)
	resultsDir := fs.String("results", ".build/mutate", "directory of gremlins' JSON results, one <package_dir>.json per package")
	doc := fs.String("doc", "docs/testing.md", "markdown file holding the survivors table")
	target := fs.Float64("target", 85, "minimum mutation score (percent) per package")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: mutscore [-results dir] [-doc file] [-target pct] package-dir...")
	}
	f, err := os.Open(*doc)
	if err != nil {
		return err
	}
	explained, err := ParseExplained(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *doc, err)
	}
	var results []pkgResult
	for _, dir := range fs.Args() {
		p, err := readPackage(*resultsDir, dir)
		if err != nil {
			return err
		}
		results = append(results, p)
	}
	if !write(stdout, results, explained, *target) {
		return fmt.Errorf("a package is under the %.0f%% target with a survivor %s does not explain", *target, *doc)
	}
	return nil
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mutscore:", err)
		os.Exit(1)
	}
}
