package docgen

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TuningRow is one row of a function's table of environment variables in
// docs/operations.md ("Tuning the functions"): the variable, its documented
// default and its documented range.
type TuningRow struct{ Var, Default, Range string }

// CheckOperationsTuning checks the table under label in root's
// docs/operations.md against load (see CheckTuning): the test each function
// runs on its own table.
func CheckOperationsTuning(root, label string, load func(env map[string]string) (any, error)) []error {
	md, err := os.ReadFile(filepath.Join(root, "docs", "operations.md"))
	if err != nil {
		return []error{err}
	}
	rows, err := TuningTable(string(md), label)
	if err != nil {
		return []error{fmt.Errorf("docs/operations.md: %w", err)}
	}
	return CheckTuning(rows, load)
}

// TuningTable returns the rows of the first table after the line that
// starts with label (e.g. "**Forwarder**") in markdown.
func TuningTable(markdown, label string) ([]TuningRow, error) {
	lines := strings.Split(markdown, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, label) {
			start = i
			break
		}
	}
	if start < 0 {
		return nil, fmt.Errorf("no line starts with %q", label)
	}
	var rows []TuningRow
	in := false
	for _, l := range lines[start+1:] {
		if !strings.HasPrefix(l, "|") {
			if in {
				break
			}
			continue
		}
		in = true
		if strings.HasPrefix(l, "|---") {
			continue
		}
		cells := strings.Split(strings.Trim(l, "|"), " | ")
		if len(cells) < 3 {
			return nil, fmt.Errorf("row %q: want Variable | Default | Range | What", l)
		}
		v := strings.Trim(strings.TrimSpace(cells[0]), "`")
		if v == "Variable" {
			continue
		}
		rows = append(rows, TuningRow{Var: v, Default: strings.TrimSpace(cells[1]), Range: strings.TrimSpace(cells[2])})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("no table after %q", label)
	}
	return rows, nil
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	atLeastVar = regexp.MustCompile(">= `([A-Z_]+)`")
	atMostVar  = regexp.MustCompile("<= `([A-Z_]+)`")
)

// CheckTuning holds a function's configuration loader to the documented
// rows: for each row with a literal default (not "set by the program" or a
// stack key), setting the variable to its default loads the same
// configuration as leaving it unset; each end of a numeric or duration
// range "lo-hi" loads and a value just outside it is refused; each value
// of an enumeration of `values` loads and another is refused. A range
// clause ">= `OTHER`" sets OTHER to the range's lower end while the ends
// are tested, "<= `OTHER`" to its upper end. load reads
// the function's environment, required variables included.
func CheckTuning(rows []TuningRow, load func(env map[string]string) (any, error)) []error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	base, err := load(nil)
	if err != nil {
		return []error{fmt.Errorf("the required variables alone do not load: %w", err)}
	}
	checked := 0
	for _, r := range rows {
		if strings.Contains(r.Default, "set by the program") || strings.Contains(r.Default, "`opensearch") {
			continue
		}
		checked++
		def := strings.Trim(strings.Fields(r.Default)[0], "`")
		got, err := load(map[string]string{r.Var: def})
		if err != nil {
			fail("%s=%s (the documented default) is refused: %v", r.Var, def, err)
		} else if !reflect.DeepEqual(got, base) {
			fail("%s=%s (the documented default) loads another configuration than leaving %s unset", r.Var, def, r.Var)
		}
		rng, _, _ := strings.Cut(r.Range, ",")
		rng = strings.TrimSpace(rng)
		if vals := backticked.FindAllStringSubmatch(r.Range, -1); len(vals) > 1 && strings.HasPrefix(rng, "`") {
			for _, v := range vals {
				if _, err := load(map[string]string{r.Var: v[1]}); err != nil {
					fail("%s=%s (documented) is refused: %v", r.Var, v[1], err)
				}
			}
			if _, err := load(map[string]string{r.Var: "NOT-DOCUMENTED"}); err == nil {
				fail("%s=NOT-DOCUMENTED loads; the documented values are %s", r.Var, r.Range)
			}
			continue
		}
		lo, hi, ok := strings.Cut(rng, "-")
		if !ok {
			fail("%s: range %q is neither lo-hi nor an enumeration", r.Var, r.Range)
			continue
		}
		below, above, err := outside(lo, hi)
		if err != nil {
			fail("%s: range %q: %v", r.Var, r.Range, err)
			continue
		}
		env := func(v string) map[string]string {
			e := map[string]string{r.Var: v}
			if m := atLeastVar.FindStringSubmatch(r.Range); m != nil {
				e[m[1]] = lo
			}
			if m := atMostVar.FindStringSubmatch(r.Range); m != nil {
				e[m[1]] = hi
			}
			return e
		}
		for _, v := range []string{lo, hi} {
			if _, err := load(env(v)); err != nil {
				fail("%s=%s (an end of the documented range %s) is refused: %v", r.Var, v, rng, err)
			}
		}
		for _, v := range []string{below, above} {
			if _, err := load(env(v)); err == nil {
				fail("%s=%s (outside the documented range %s) loads", r.Var, v, rng)
			}
		}
	}
	if checked == 0 {
		fail("no row with a default to check")
	}
	return errs
}

// outside returns a value below lo and one above hi, in their notation:
// integers by one, durations by a nanosecond below and a second above.
func outside(lo, hi string) (string, string, error) {
	if a, err := strconv.Atoi(lo); err == nil {
		if b, err := strconv.Atoi(hi); err == nil {
			return strconv.Itoa(a - 1), strconv.Itoa(b + 1), nil
		}
	}
	a, err := time.ParseDuration(lo)
	if lo == "0" {
		a, err = 0, nil
	}
	if err != nil {
		return "", "", fmt.Errorf("%q is neither an integer nor a duration", lo)
	}
	b, err := time.ParseDuration(hi)
	if err != nil {
		return "", "", fmt.Errorf("%q is not a duration", hi)
	}
	return (a - time.Nanosecond).String(), (b + time.Second).String(), nil
}
