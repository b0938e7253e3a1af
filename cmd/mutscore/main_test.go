package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A gremlins v0.6.0 report (-o) for ./lambda/indexer: file names relative to
// the directory gremlins ran in, a subpackage's file with its directory.
const indexerJSON = `{"go_module":"github.com/vpcflowlogs/vpc-flow-logs","files":[
 {"file_name":"bulk.go","mutations":[
  {"type":"CONDITIONALS_BOUNDARY","status":"KILLED","line":10,"column":5},
  {"type":"CONDITIONALS_NEGATION","status":"KILLED","line":10,"column":5},
  {"type":"ARITHMETIC_BASE","status":"TIMED OUT","line":12,"column":9},
  {"type":"INCREMENT_DECREMENT","status":"NOT VIABLE","line":14,"column":2},
  {"type":"CONDITIONALS_NEGATION","status":"LIVED","line":20,"column":7}]},
 {"file_name":"document/encoder.go","mutations":[
  {"type":"CONDITIONALS_NEGATION","status":"KILLED","line":3,"column":4},
  {"type":"INVERT_NEGATIVES","status":"NOT COVERED","line":8,"column":11}]}],
 "test_efficacy":80,"mutations_coverage":85.7,"mutants_total":7}`

func parsed(t *testing.T) pkgResult {
	t.Helper()
	p, err := parseReport("./lambda/indexer/", []byte(indexerJSON))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Killed and timed out count as detected; lived and not covered as
// survivors; not viable (does not compile) not at all: 4 of 6.
func TestScore(t *testing.T) {
	p := parsed(t)
	if got, want := p.Score(nil), 100*4.0/6.0; got != want {
		t.Errorf("Score = %v, want %v", got, want)
	}
	if got := (pkgResult{}).Score(nil); got != 100 {
		t.Errorf("Score of a package without mutants = %v, want 100", got)
	}
	var keys []string
	for _, m := range p.Survivors() {
		keys = append(keys, m.Key())
	}
	want := []string{
		"lambda/indexer/bulk.go:20:7 CONDITIONALS_NEGATION",
		"lambda/indexer/document/encoder.go:8:11 INVERT_NEGATIVES",
	}
	if strings.Join(keys, "\n") != strings.Join(want, "\n") {
		t.Errorf("Survivors = %q, want %q (repository-relative, in file order)", keys, want)
	}
}

const doc = "# Testing\n\n| Mutant | Why it may live |\n|---|---|\n" +
	"| `lambda/indexer/bulk.go:20:7 CONDITIONALS_NEGATION` | equivalent: both branches return the same slice |\n" +
	"| `lambda/indexer/bulk.go:99:1 ARITHMETIC_BASE` | moved away |\n" +
	"| `internal/costs/estimate.go:5:5 ARITHMETIC_BASE` | another package's row |\n" +
	"Some prose with `a/b.go:1:1 X` in it is not a row.\n"

func TestParseExplained(t *testing.T) {
	got, err := ParseExplained(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["lambda/indexer/bulk.go:20:7 CONDITIONALS_NEGATION"] != "equivalent: both branches return the same slice" {
		t.Errorf("ParseExplained = %q", got)
	}
	for _, bad := range []string{
		"| `a/b.go:1:2 ARITHMETIC_BASE` |  |\n",
		"| `a/b.go:1:2 ARITHMETIC_BASE` | x |\n| `a/b.go:1:2 ARITHMETIC_BASE` | y |\n",
	} {
		if _, err := ParseExplained(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseExplained(%q) accepted a row without reason or a duplicate", bad)
		}
	}
}

// Under the target a package fails while one survivor is unexplained and
// passes once each is explained; at or over the target it passes either way.
func TestJudge(t *testing.T) {
	p := parsed(t)
	explained, err := ParseExplained(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	v := judge(p, explained, 85)
	if !v.Failed || len(v.Undocumented) != 1 || v.Undocumented[0].File != "lambda/indexer/document/encoder.go" {
		t.Errorf("judge at 85%% = %+v, want failed on the unexplained encoder.go mutant", v)
	}
	explained["lambda/indexer/document/encoder.go:8:11 INVERT_NEGATIVES"] = "not worth a test"
	if v := judge(p, explained, 85); v.Failed {
		t.Errorf("judge with every survivor explained = %+v, want passed", v)
	}
	delete(explained, "lambda/indexer/document/encoder.go:8:11 INVERT_NEGATIVES")
	if v := judge(p, explained, 60); v.Failed {
		t.Errorf("judge at 60%% (score 66.7%%) = %+v, want passed", v)
	}
	if st := Stale([]pkgResult{p}, explained); len(st) != 1 || st[0] != "lambda/indexer/bulk.go:99:1 ARITHMETIC_BASE" {
		t.Errorf("Stale = %q, want only the indexer row that no longer survives", st)
	}
}

// The command end to end: the table, the survivors, the exit status.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results")
	if err := os.Mkdir(results, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("results/lambda_indexer.json", indexerJSON)
	write("results/lambda_indexer.json.seconds", "125\n")
	docPath := write("testing.md", doc)

	var out bytes.Buffer
	err := run([]string{"-results", results, "-doc", docPath, "-target", "85", "./lambda/indexer"}, &out)
	if err == nil {
		t.Errorf("run under target with an unexplained survivor succeeded:\n%s", &out)
	}
	for _, want := range []string{
		"lambda/indexer", "66.7%", "FAIL", "2m05s",
		"lambda/indexer/document/encoder.go:8:11 INVERT_NEGATIVES", "NOT EXPLAINED",
		"lambda/indexer/bulk.go:99:1 ARITHMETIC_BASE", // stale row
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &out)
		}
	}
	out.Reset()
	if err := run([]string{"-results", results, "-doc", docPath, "-target", "60", "lambda/indexer"}, &out); err != nil {
		t.Errorf("run over target: %v\n%s", err, &out)
	}
	if err := run([]string{"-results", results, "-doc", docPath, "./internal/costs"}, &out); err == nil ||
		!strings.Contains(err.Error(), "no mutation results") {
		t.Errorf("run for a package without results = %v, want a no-results error", err)
	}
}

// A survivor whose row says a test kills it (a switch case condition gremlins
// does not run) counts as killed in the score; other explained ones do not.
func TestScoreKilledByHand(t *testing.T) {
	p := parsed(t)
	explained := map[string]string{
		"lambda/indexer/document/encoder.go:8:11 INVERT_NEGATIVES": "killed by TestEncode (tagless switch case, gremlins#298)",
		"lambda/indexer/bulk.go:20:7 CONDITIONALS_NEGATION":        "equivalent: both branches return the same slice",
	}
	if got := p.HandKilled(explained); got != 1 {
		t.Errorf("HandKilled = %d, want 1", got)
	}
	if got, want := p.Score(explained), 100*5.0/6.0; got != want {
		t.Errorf("Score = %v, want %v", got, want)
	}
}

// A not-covered survivor whose row says it does not compile leaves the
// score's denominator, as gremlins' own NOT VIABLE do; a LIVED one compiled,
// so the same words leave it counted.
func TestScoreNotViableByHand(t *testing.T) {
	p := parsed(t)
	explained := map[string]string{
		"lambda/indexer/document/encoder.go:8:11 INVERT_NEGATIVES": "not viable (cmd/mutant): a string concatenation",
		"lambda/indexer/bulk.go:20:7 CONDITIONALS_NEGATION":        "not viable, says the row of a mutant that lived",
	}
	if got := p.HandNotViable(explained); got != 1 {
		t.Errorf("HandNotViable = %d, want 1", got)
	}
	if got, want := p.Score(explained), 100*4.0/5.0; got != want {
		t.Errorf("Score = %v, want %v", got, want)
	}
	var out bytes.Buffer
	write(&out, []pkgResult{p}, explained, 85)
	if !strings.Contains(out.String(), "encoder.go:8:11 INVERT_NEGATIVES") || !strings.Contains(out.String(), "NOT COVERED not viable") {
		t.Errorf("the survivor list does not mark the not-viable row:\n%s", out.String())
	}
}
