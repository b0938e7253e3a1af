// Command mutant runs the tests of a package against one mutant, as gremlins
// would make it, without touching the source tree: the mutated file reaches
// the go command through -overlay. It is how docs/testing.md's survivors are
// checked by hand, including those gremlins v0.6.0 reports NOT COVERED
// without running them (conditions of a tagless switch's cases have no Go
// coverage block: https://github.com/go-gremlins/gremlins/issues/298).
//
//	go run ./cmd/mutant internal/flowlog/record.go:145:19 CONDITIONALS_NEGATION
//
// It prints KILLED (the tests fail), LIVED (they pass) or NOT VIABLE (the
// mutant does not compile) with the go command's output, and exits 0 for
// KILLED, 1 otherwise. -run and -timeout pass through to go test.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/scanner"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// mutations is gremlins v0.6.0's token replacement per mutator
// (internal/engine/mappings.go of github.com/go-gremlins/gremlins).
var mutations = map[string]map[token.Token]token.Token{
	"ARITHMETIC_BASE":       {token.ADD: token.SUB, token.MUL: token.QUO, token.QUO: token.MUL, token.REM: token.MUL, token.SUB: token.ADD},
	"CONDITIONALS_BOUNDARY": {token.GEQ: token.GTR, token.GTR: token.GEQ, token.LEQ: token.LSS, token.LSS: token.LEQ},
	"CONDITIONALS_NEGATION": {token.EQL: token.NEQ, token.GEQ: token.LSS, token.GTR: token.LEQ, token.LEQ: token.GTR,
		token.LSS: token.GEQ, token.NEQ: token.EQL},
	"INCREMENT_DECREMENT": {token.DEC: token.INC, token.INC: token.DEC},
	"INVERT_NEGATIVES":    {token.SUB: token.ADD},
	"INVERT_LOGICAL":      {token.LAND: token.LOR, token.LOR: token.LAND},
	"INVERT_LOOPCTRL":     {token.BREAK: token.CONTINUE, token.CONTINUE: token.BREAK},
	"INVERT_ASSIGNMENTS": {token.ADD_ASSIGN: token.SUB_ASSIGN, token.MUL_ASSIGN: token.QUO_ASSIGN,
		token.QUO_ASSIGN: token.MUL_ASSIGN, token.SUB_ASSIGN: token.ADD_ASSIGN},
}

// Mutate returns src with the token at line:col (1-based, columns in bytes
// as gremlins and go/token count them) replaced as mutator does it.
func Mutate(src []byte, line, col int, mutator string) ([]byte, error) {
	repl, ok := mutations[mutator]
	if !ok {
		return nil, fmt.Errorf("unknown mutator %q", mutator)
	}
	fset := token.NewFileSet()
	file := fset.AddFile("src.go", -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, 0)
	for {
		pos, tok, _ := s.Scan()
		if tok == token.EOF {
			return nil, fmt.Errorf("no token at %d:%d", line, col)
		}
		p := fset.Position(pos)
		if p.Line != line || p.Column != col {
			continue
		}
		to, ok := repl[tok]
		if !ok {
			return nil, fmt.Errorf("%d:%d is %q, which %s does not mutate", line, col, tok, mutator)
		}
		off := p.Offset
		out := make([]byte, 0, len(src)+2)
		out = append(out, src[:off]...)
		out = append(out, to.String()...)
		return append(out, src[off+len(tok.String()):]...), nil
	}
}

// parseMutant splits "dir/file.go:line:col" into its parts.
func parseMutant(s string) (file string, line, col int, err error) {
	i := strings.LastIndexByte(s, ':')
	j := strings.LastIndexByte(s[:max(i, 0)], ':')
	if i < 0 || j < 0 {
		return "", 0, 0, fmt.Errorf("want file.go:line:column, got %q", s)
	}
	line, err1 := strconv.Atoi(s[j+1 : i])
	col, err2 := strconv.Atoi(s[i+1:])
	if err := errors.Join(err1, err2); err != nil {
		return "", 0, 0, fmt.Errorf("want file.go:line:column, got %q: %w", s, err)
	}
	return s[:j], line, col, nil
}

func run(args []string, stdout io.Writer) (killed bool, err error) {
	fs := flag.NewFlagSet("mutant", flag.ContinueOnError)
	runRe := fs.String("run", "", "go test -run")
	timeout := fs.String("timeout", "10m", "go test -timeout")
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	if fs.NArg() != 2 {
		return false, errors.New("usage: mutant [-run re] [-timeout d] dir/file.go:line:column MUTATOR")
	}
	file, line, col, err := parseMutant(fs.Arg(0))
	if err != nil {
		return false, err
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return false, err
	}
	mutated, err := Mutate(src, line, col, fs.Arg(1))
	if err != nil {
		return false, fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	tmp, err := os.MkdirTemp("", "mutant-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(tmp)
	abs, err := filepath.Abs(file)
	if err != nil {
		return false, err
	}
	mfile := filepath.Join(tmp, filepath.Base(file))
	overlay := filepath.Join(tmp, "overlay.json")
	ov, _ := json.Marshal(map[string]map[string]string{"Replace": {abs: mfile}})
	if err := errors.Join(os.WriteFile(mfile, mutated, 0o644), os.WriteFile(overlay, ov, 0o644)); err != nil {
		return false, err
	}
	testArgs := []string{"test", "-count=1", "-failfast", "-overlay", overlay, "-timeout", *timeout}
	if *runRe != "" {
		testArgs = append(testArgs, "-run", *runRe)
	}
	testArgs = append(testArgs, "./"+filepath.ToSlash(filepath.Dir(file)))
	cmd := exec.Command("go", testArgs...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	status := "LIVED"
	switch {
	case err == nil:
	case errors.As(err, &exit) && (bytes.Contains(out.Bytes(), []byte("[build failed]")) ||
		bytes.Contains(out.Bytes(), []byte("[setup failed]"))):
		status = "NOT VIABLE"
	case errors.As(err, &exit):
		status, killed = "KILLED", true
	default:
		return false, err
	}
	fmt.Fprintf(stdout, "%s\n%s %s %s\n", strings.TrimSpace(out.String()), status, fs.Arg(0), fs.Arg(1))
	return killed, nil
}

func main() {
	killed, err := run(os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutant:", err)
		os.Exit(2)
	}
	if !killed {
		os.Exit(1)
	}
}
