package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const helloSrc = `package main

func main() { println("hello from lambda") }
`

// localToolchain is the Go toolchain running the tests ("go1.26.8"); the
// throwaway modules pin it, so the real builds below pass the toolchain check.
var localToolchain = strings.Fields(runtime.Version())[0]

// goLine is the go.mod line that pins localToolchain exactly.
var goLine = "go " + strings.TrimPrefix(localToolchain, "go") + "\n"

// newModule creates a throwaway module (module example.com/x, no deps) whose
// main package ./fn has the given source, and returns the module root.
func newModule(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/x\n\n"+goLine)
	writeFile(t, filepath.Join(dir, "fn", "main.go"), src)
	return dir
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readZip(t *testing.T, p Package) []byte {
	t.Helper()
	b, err := os.ReadFile(p.ZipPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != p.SHA256 {
		t.Fatalf("SHA256 = %s, but the zip on disk hashes to %s", p.SHA256, got)
	}
	return b
}

func TestBuildReproducible(t *testing.T) {
	dir := newModule(t, helloSrc)
	ctx := context.Background()

	// The exported entry point, with the default OutDir.
	p1, err := Build(ctx, "fn", "./fn", Options{ModuleDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	wantZip := filepath.Join(dir, ".build", "lambda", "fn.zip")
	if p1.Name != "fn" || p1.ZipPath != wantZip {
		t.Fatalf("Build = %+v, want Name fn and ZipPath %s", p1, wantZip)
	}
	b1 := readZip(t, p1)
	if err := os.Remove(p1.ZipPath); err != nil {
		t.Fatal(err)
	}

	// A fresh builder (no memoisation) rebuilds from scratch.
	var b builder
	p2, err := b.build(ctx, "fn", "./fn/", Options{ModuleDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if b.runs.Load() != 1 {
		t.Fatalf("go build ran %d times, want 1", b.runs.Load())
	}
	b2 := readZip(t, p2)
	if !bytes.Equal(b1, b2) {
		t.Fatal("two builds of the same source produced different zips")
	}
	if p1 != p2 {
		t.Fatalf("packages differ: %+v vs %+v", p1, p2)
	}

	// Only the zip is left behind: no temporary files or directories.
	entries, err := os.ReadDir(filepath.Dir(wantZip))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "fn.zip" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("output directory holds %v, want only fn.zip", names)
	}
	if fi, err := os.Stat(wantZip); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("zip mode = %v, %v; want 0644", fi.Mode(), err)
	}
}

func TestZipLayout(t *testing.T) {
	dir := newModule(t, helloSrc)
	var b builder
	p, err := b.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	data := readZip(t, p)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 {
		t.Fatalf("zip has %d entries, want 1", len(zr.File))
	}
	f := zr.File[0]
	if f.Name != "bootstrap" {
		t.Errorf("entry name = %q, want bootstrap", f.Name)
	}
	if f.Mode() != 0o755 {
		t.Errorf("entry mode = %v, want -rwxr-xr-x", f.Mode())
	}
	if got := f.ExternalAttrs >> 16; got != 0o100755 {
		t.Errorf("Unix mode in external attributes = %o, want 100755", got)
	}
	if got := f.CreatorVersion >> 8; got != 3 {
		t.Errorf("creator OS = %d, want 3 (Unix)", got)
	}
	if f.Method != zip.Deflate {
		t.Errorf("method = %d, want Deflate", f.Method)
	}
	want := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	if !f.Modified.Equal(want) {
		t.Errorf("modified = %v, want %v", f.Modified, want)
	}

	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not an ELF file: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 || ef.Class != elf.ELFCLASS64 || ef.Type != elf.ET_EXEC {
		t.Errorf("ELF machine/class/type = %v/%v/%v, want EM_AARCH64/ELFCLASS64/ET_EXEC", ef.Machine, ef.Class, ef.Type)
	}
	if s := ef.Section(".symtab"); s != nil {
		t.Error("binary has a symbol table; -ldflags -s was not applied")
	}
	if bytes.Contains(bin, []byte(dir)) {
		t.Error("binary contains the module directory; -trimpath was not applied")
	}
}

func TestDifferentSourceDifferentHash(t *testing.T) {
	ctx := context.Background()
	var b1, b2 builder
	p1, err := b1.build(ctx, "fn", "./fn", Options{ModuleDir: newModule(t, helloSrc)})
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(helloSrc, "hello", "goodbye", 1)
	p2, err := b2.build(ctx, "fn", "./fn", Options{ModuleDir: newModule(t, other)})
	if err != nil {
		t.Fatal(err)
	}
	if p1.SHA256 == p2.SHA256 {
		t.Fatal("different sources produced the same hash")
	}

	// The same source in another directory gives the same zip (-trimpath).
	var b3 builder
	p3, err := b3.build(ctx, "fn", "./fn", Options{ModuleDir: newModule(t, helloSrc)})
	if err != nil {
		t.Fatal(err)
	}
	if p3.SHA256 != p1.SHA256 {
		t.Fatal("the same source built in another directory produced a different hash")
	}
}

func TestCompileError(t *testing.T) {
	dir := newModule(t, "package main\n\nfunc main() { notDefinedAnywhere() }\n")
	var b builder
	_, err := b.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir})
	if err == nil {
		t.Fatal("expected a compile error")
	}
	msg := err.Error()
	t.Log(msg)
	for _, want := range []string{"./fn", "notDefinedAnywhere"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if _, statErr := os.Stat(filepath.Join(dir, ".build", "lambda", "fn.zip")); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("a failed build left a zip behind (stat: %v)", statErr)
	}
	// The failure is memoised too.
	if _, err2 := b.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir}); err2 == nil || b.runs.Load() != 1 {
		t.Errorf("second call: err=%v runs=%d; want the memoised error and 1 run", err2, b.runs.Load())
	}
}

func TestConcurrentBuildsRunOnce(t *testing.T) {
	dir := newModule(t, helloSrc)
	var b builder
	const n = 8
	pkgs := make([]Package, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			pkgs[i], errs[i] = b.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if pkgs[i] != pkgs[0] {
			t.Fatalf("call %d returned %+v, call 0 returned %+v", i, pkgs[i], pkgs[0])
		}
	}
	// A repeated call, with an equivalent spelling of the paths, is memoised too.
	if p, err := b.build(context.Background(), "fn", "./fn/../fn/", Options{ModuleDir: dir + "/."}); err != nil || p != pkgs[0] {
		t.Fatalf("repeated call = %+v, %v", p, err)
	}
	if got := b.runs.Load(); got != 1 {
		t.Fatalf("go build ran %d times, want 1", got)
	}
}

// fakeRun returns a runner that writes a fake binary to the -o path, after
// waiting for release (if non-nil) or the context.
func fakeRun(release <-chan struct{}) runFunc {
	return func(ctx context.Context, _, _ string, _, args []string) ([]byte, error) {
		if release != nil {
			select {
			case <-release:
			case <-ctx.Done():
				return []byte("signal: killed"), ctx.Err()
			}
		}
		i := slices.Index(args, "-o")
		if i < 0 || i+2 != len(args)-1 {
			return nil, errors.New("fake: bad args")
		}
		return nil, os.WriteFile(args[i+1], []byte("fake binary for "+args[len(args)-1]), 0o755)
	}
}

// stuckAfter bounds how long a test waits for a goroutine before it fails
// with what it was waiting for, instead of hanging until go test's timeout.
// It bounds a failure only: a passing run never waits for it.
const stuckAfter = time.Minute

// waitFor polls cond until it holds; after stuckAfter the test fails naming what.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(stuckAfter)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("stuck: waited %v for %s", stuckAfter, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// receive takes one value from ch; after stuckAfter the test fails naming what.
func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(stuckAfter):
		t.Fatalf("stuck: waited %v for %s", stuckAfter, what)
		panic("unreachable")
	}
}

func TestCancelledBuildIsNotMemoised(t *testing.T) {
	dir := newModule(t, helloSrc)
	release := make(chan struct{})
	b := builder{run: fakeRun(release)}

	ctx1, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() {
		_, err := b.build(ctx1, "fn", "./fn", Options{ModuleDir: dir})
		firstDone <- err
	}()
	// Wait until the first call is running, then start a waiter.
	waitFor(t, "the first build to start", func() bool { return b.runs.Load() > 0 })
	secondDone := make(chan error, 1)
	var second Package
	go func() {
		var err error
		second, err = b.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir})
		secondDone <- err
	}()
	cancel()
	if err := receive(t, "the cancelled build", firstDone); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled build returned %v, want context.Canceled", err)
	}
	// The waiter takes over and builds itself.
	waitFor(t, "the waiter to start its own build", func() bool { return b.runs.Load() >= 2 })
	close(release)
	if err := receive(t, "the waiter's build", secondDone); err != nil {
		t.Fatal(err)
	}
	if second.ZipPath == "" || second.SHA256 == "" {
		t.Fatalf("second build = %+v", second)
	}
	if got := b.runs.Load(); got != 2 {
		t.Fatalf("runs = %d, want 2", got)
	}
}

func TestConflictingPackageForSameZip(t *testing.T) {
	dir := newModule(t, helloSrc)
	writeFile(t, filepath.Join(dir, "other", "main.go"), helloSrc)
	b := builder{run: fakeRun(nil)}
	ctx := context.Background()
	if _, err := b.build(ctx, "fn", "./fn", Options{ModuleDir: dir}); err != nil {
		t.Fatal(err)
	}
	_, err := b.build(ctx, "fn", "./other", Options{ModuleDir: dir})
	if err == nil || !strings.Contains(err.Error(), "already built") {
		t.Fatalf("err = %v, want a conflict error", err)
	}
}

func TestBuildArguments(t *testing.T) {
	dir := newModule(t, helloSrc)
	t.Setenv("GOFLAGS", "-race -mod=mod -ldflags=-X=main.v=1 -modcacherw -cover")
	t.Setenv("GOARCH", "amd64")
	var gotEnv, gotArgs []string
	var gotDir string
	b := builder{run: func(ctx context.Context, goTool, d string, env, args []string) ([]byte, error) {
		gotDir, gotEnv, gotArgs = d, env, args
		return fakeRun(nil)(ctx, goTool, d, env, args)
	}}
	if _, err := b.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir}); err != nil {
		t.Fatal(err)
	}
	if gotDir != dir {
		t.Errorf("ran in %s, want %s", gotDir, dir)
	}
	wantArgs := []string{"build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags=-s -w -buildid=", "-o"}
	if !slices.Equal(gotArgs[:len(wantArgs)], wantArgs) || gotArgs[len(gotArgs)-1] != "./fn" ||
		filepath.Base(gotArgs[len(gotArgs)-2]) != "bootstrap" {
		t.Errorf("args = %q", gotArgs)
	}
	lookup := func(k string) []string {
		var vs []string
		for _, kv := range gotEnv {
			if key, v, _ := strings.Cut(kv, "="); key == k {
				vs = append(vs, v)
			}
		}
		return vs
	}
	for k, want := range map[string]string{
		"GOOS": "linux", "GOARCH": "arm64", "CGO_ENABLED": "0", "GOARM64": "v8.0",
		"GOFLAGS": "-mod=mod -modcacherw",
	} {
		if got := lookup(k); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want exactly [%q]", k, got, want)
		}
	}
}

func TestBuildWithoutGoTool(t *testing.T) {
	dir := newModule(t, helloSrc)
	t.Setenv("PATH", t.TempDir())
	var b builder
	_, err := b.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir})
	if err == nil || !strings.Contains(err.Error(), `"go"`) || !strings.Contains(err.Error(), "PATH") {
		t.Fatalf("err = %v, want an error naming the missing go tool", err)
	}
}

func TestInvalidArguments(t *testing.T) {
	dir := newModule(t, helloSrc)
	b := builder{run: fakeRun(nil)}
	ctx := context.Background()
	for _, tc := range []struct{ name, pkg string }{
		{"", "./fn"}, {"a/b", "./fn"}, {"..", "./fn"}, {"fn", ""}, {"fn", "./..."},
	} {
		if _, err := b.build(ctx, tc.name, tc.pkg, Options{ModuleDir: dir}); err == nil {
			t.Errorf("build(%q, %q) succeeded, want an error", tc.name, tc.pkg)
		}
	}
	if _, err := b.build(ctx, "fn", "./fn", Options{ModuleDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("module dir without go.mod: err = %v", err)
	}
	if b.runs.Load() != 0 {
		t.Errorf("go build ran %d times for invalid arguments", b.runs.Load())
	}
}

func TestNormalizePkgPath(t *testing.T) {
	for in, want := range map[string]string{
		"./lambda/forwarder":   "./lambda/forwarder",
		"./lambda/forwarder/":  "./lambda/forwarder",
		"lambda/../lambda/x":   "lambda/../lambda/x", // import path: left to the go tool
		"./a/../b":             "./b",
		".":                    ".",
		"../sibling/cmd":       "../sibling/cmd",
		"example.com/x/fn":     "example.com/x/fn",
		"./lambda//forwarder/": "./lambda/forwarder",
	} {
		got, err := normalizePkgPath(in)
		if err != nil || got != want {
			t.Errorf("normalizePkgPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestFindModuleRoot(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "go.mod"), "module example.com/x\n\n"+goLine)
	nested := filepath.Join(root, "a", "b", "c")
	// A directory named go.mod does not count.
	if err := os.MkdirAll(filepath.Join(nested, "go.mod"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, start := range []string{root, nested, filepath.Join(root, "a")} {
		got, err := FindModuleRoot(start)
		if err != nil || got != root {
			t.Errorf("FindModuleRoot(%s) = %q, %v; want %s", start, got, err, root)
		}
	}

	t.Chdir(nested)
	if got, err := FindModuleRoot(""); err != nil || got != root {
		t.Errorf(`FindModuleRoot("") from %s = %q, %v; want %s`, nested, got, err, root)
	}
	if got, err := FindModuleRoot("."); err != nil || got != root {
		t.Errorf(`FindModuleRoot(".") = %q, %v; want %s`, got, err, root)
	}

	// The default ModuleDir comes from the working directory.
	b := builder{run: fakeRun(nil)}
	p, err := b.build(context.Background(), "fn", "./fn", Options{})
	if err != nil || p.ZipPath != filepath.Join(root, ".build", "lambda", "fn.zip") {
		t.Errorf("build with default options = %+v, %v", p, err)
	}
}

func TestFindModuleRootMissing(t *testing.T) {
	dir := t.TempDir()
	if r, err := FindModuleRoot(filepath.Dir(dir)); err == nil {
		t.Skipf("a go.mod exists above the temp directory (%s); cannot test the missing case", r)
	}
	if _, err := FindModuleRoot(dir); err == nil || !strings.Contains(err.Error(), "no go.mod") {
		t.Fatalf("err = %v, want a no go.mod error", err)
	}
}

// ---------------------------------------------------------------------------
// The toolchain pin.

func TestPinnedToolchain(t *testing.T) {
	for gomod, want := range map[string]string{
		"go 1.26.8\n":                     "go1.26.8",
		"go 1.26\ntoolchain go1.26.8\n":   "go1.26.8",
		"go 1.26.8\ntoolchain go1.26.9\n": "go1.26.9",
	} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/x\n\n"+gomod)
		if got, err := PinnedToolchain(dir); err != nil || got != want {
			t.Errorf("go.mod %q: PinnedToolchain = %q, %v; want %q", gomod, got, err, want)
		}
	}
	// A go line that admits several releases pins nothing.
	for _, gomod := range []string{"go 1.26\n", "go 1.27rc1\n", ""} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/x\n\n"+gomod)
		if got, err := PinnedToolchain(dir); err == nil || !strings.Contains(err.Error(), "toolchain go1.26.8") {
			t.Errorf("go.mod %q: PinnedToolchain = %q, %v; want an error that says how to pin", gomod, got, err)
		}
	}
}

// TestOtherToolchainFailsBeforeBuilding: an archive built with another Go
// release than go.mod pins would differ from CI's and replace every function
// on deploy, so the build stops, naming both toolchains and the remedy.
func TestOtherToolchainFailsBeforeBuilding(t *testing.T) {
	dir := newModule(t, helloSrc)
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/x\n\ngo 1.26.8\n")
	var versionEnv, buildEnv []string
	b := builder{
		run: func(ctx context.Context, goTool, d string, env, args []string) ([]byte, error) {
			buildEnv = env
			return fakeRun(nil)(ctx, goTool, d, env, args)
		},
		goVersion: func(_ context.Context, _, d string, env []string) (string, error) {
			if d != dir {
				t.Errorf("go env ran in %s, want the module root %s", d, dir)
			}
			versionEnv = env
			return "go1.26.9", nil
		},
	}
	_, err := b.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir})
	if err == nil {
		t.Fatal("a build with go1.26.9 of a module pinned to go1.26.8 succeeded")
	}
	for _, want := range []string{"go1.26.8", "go1.26.9", "go.mod", "GOTOOLCHAIN=go1.26.8"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if b.runs.Load() != 0 {
		t.Errorf("go build ran %d times despite the toolchain mismatch", b.runs.Load())
	}
	if _, statErr := os.Stat(filepath.Join(dir, ".build", "lambda", "fn.zip")); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("a refused build left a zip behind (stat: %v)", statErr)
	}

	// With the pinned toolchain it builds, under the very environment the
	// version was asked with (so GOTOOLCHAIN and the like are the same).
	b2 := builder{run: b.run, goVersion: func(_ context.Context, _, _ string, env []string) (string, error) {
		versionEnv = env
		return "go1.26.8", nil
	}}
	p, err := b2.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if p.GoVersion != "go1.26.8" {
		t.Errorf("GoVersion = %q, want go1.26.8", p.GoVersion)
	}
	if !slices.Equal(versionEnv, buildEnv) {
		t.Errorf("go env GOVERSION ran with\n%q\nbut go build with\n%q", versionEnv, buildEnv)
	}
}

// TestRealToolchainIsChecked runs the real go command: its GOVERSION must be
// compared, so a module pinned to a release the machine does not run fails.
func TestRealToolchainIsChecked(t *testing.T) {
	dir := newModule(t, helloSrc)
	t.Setenv("GOTOOLCHAIN", "local") // never download the other release
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/x\n\ngo 1.26.0\ntoolchain go1.26.99\n")
	b := builder{run: fakeRun(nil)}
	_, err := b.build(context.Background(), "fn", "./fn", Options{ModuleDir: dir})
	if err == nil || !strings.Contains(err.Error(), "go1.26.99") || !strings.Contains(err.Error(), localToolchain) {
		t.Fatalf("err = %v, want a mismatch between go1.26.99 and %s", err, localToolchain)
	}
}

// TestRepositoryPinsOneToolchain: this repository's go.mod pins an exact
// toolchain and every actions/setup-go step of the workflows installs that one
// (go-version-file: go.mod, which setup-go v6 resolves to the toolchain line,
// else the go line), so CI and a laptop with the pinned release build the
// same archives. A workflow that names its own version ("1.26" installs the
// newest 1.26.x) would fail the Lambda build instead of drifting silently.
func TestRepositoryPinsOneToolchain(t *testing.T) {
	root, err := FindModuleRoot("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := PinnedToolchain(root); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no workflows found under %s (%v)", root, err)
	}
	steps := 0
	for _, f := range files {
		var wf struct {
			Jobs map[string]struct {
				Steps []struct {
					Uses string            `yaml:"uses"`
					With map[string]string `yaml:"with"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for name, job := range wf.Jobs {
			for _, s := range job.Steps {
				if !strings.HasPrefix(s.Uses, "actions/setup-go@") {
					continue
				}
				steps++
				if s.With["go-version-file"] != "go.mod" || s.With["go-version"] != "" {
					t.Errorf("%s, job %s: setup-go with %v; want go-version-file: go.mod and no go-version", filepath.Base(f), name, s.With)
				}
			}
		}
	}
	if steps == 0 {
		t.Error("no actions/setup-go step found: the test reads the workflows wrongly")
	}
}
