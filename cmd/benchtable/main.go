// Command benchtable reads `go test -bench` output on stdin and prints one
// table of the data-path benchmarks: per benchmark, the median over the
// runs (-count) of each metric, and whether the ratio to gunzip alone meets
// its target. `make bench` pipes the forwarder's and the indexer's
// benchmarks into it.
//
//	go test -run '^$' -bench 'VsGunzip' -count 5 ./lambda/... | go run ./cmd/benchtable -target forwarder=0.80 -target indexer=0.70
//
// It exits non-zero when a benchmark misses its target, or when the input
// holds no benchmark or a FAIL line.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// columns are the metrics shown, in order.
var columns = []string{"gunzip-MB/s", "pipeline-MB/s", "ratio-of-gunzip", "allocs/record", "peak-heap-MB/payload"}

// ratioMetric is the metric a target applies to.
const ratioMetric = "ratio-of-gunzip"

// result is one benchmark's runs.
type result struct {
	pkg, name string
	runs      map[string][]float64 // metric -> one value per run
}

// targets maps a substring of the package path to the ratio it must reach.
type targets map[string]float64

func (t targets) String() string { return fmt.Sprint(map[string]float64(t)) }

func (t targets) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	f, err := strconv.ParseFloat(v, 64)
	if !ok || k == "" || err != nil {
		return fmt.Errorf("want package=ratio, e.g. forwarder=0.80: %q", s)
	}
	t[k] = f
	return nil
}

// parse reads benchmark lines: "BenchmarkName-P  N  v1 unit1  v2 unit2 ...",
// after a "pkg: path" line naming their package.
func parse(r io.Reader) (results []*result, failed bool, err error) {
	byKey := map[string]*result{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") {
			failed = true
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the GOMAXPROCS suffix
			}
		}
		key := pkg + " " + name
		res := byKey[key]
		if res == nil {
			res = &result{pkg: pkg, name: name, runs: map[string][]float64{}}
			byKey[key] = res
			results = append(results, res)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, failed, fmt.Errorf("%q: value %q: %w", line, f[i], err)
			}
			res.runs[f[i+1]] = append(res.runs[f[i+1]], v)
		}
	}
	return results, failed, sc.Err()
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	return s[len(s)/2]
}

// render writes the table and reports whether every target was met.
func render(w io.Writer, results []*result, tg targets) bool {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "benchmark\truns\t%s\ttarget\tmet\t\n", strings.Join(columns, "\t"))
	ok := true
	for _, r := range results {
		short := r.pkg[strings.LastIndexByte(r.pkg, '/')+1:] + "." + strings.TrimPrefix(r.name, "Benchmark")
		runs := 0
		cells := make([]string, len(columns))
		for i, c := range columns {
			vs := r.runs[c]
			if len(vs) == 0 {
				cells[i] = "-"
				continue
			}
			runs = max(runs, len(vs))
			cells[i] = strconv.FormatFloat(median(vs), 'f', 3, 64)
		}
		target, met := "-", "-"
		for k, v := range tg {
			if strings.Contains(r.pkg, k) && len(r.runs[ratioMetric]) > 0 {
				target = strconv.FormatFloat(v, 'f', 2, 64)
				met = "yes"
				if median(r.runs[ratioMetric]) < v {
					met, ok = "NO", false
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", short, runs, strings.Join(cells, "\t"), target, met)
	}
	tw.Flush()
	return ok
}

func main() {
	tg := targets{}
	flag.Var(tg, "target", "package=ratio: the least median ratio-of-gunzip for benchmarks of packages whose path contains package (repeatable)")
	flag.Parse()
	results, failed, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(2)
	}
	if len(results) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin")
		os.Exit(2)
	}
	met := render(os.Stdout, results, tg)
	switch {
	case failed:
		fmt.Fprintln(os.Stderr, "benchtable: a benchmark failed")
		os.Exit(1)
	case !met:
		fmt.Fprintln(os.Stderr, "benchtable: a benchmark missed its target")
		os.Exit(1)
	}
}
