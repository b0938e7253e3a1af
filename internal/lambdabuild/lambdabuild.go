// Package lambdabuild compiles the project's Go Lambda functions for the
// provided.al2023 runtime on arm64 and packages them as reproducible zip files.
//
// The Pulumi program calls Build during `pulumi preview` and `pulumi up`, so no
// manual pre-build step is needed. The same source and the same Go toolchain
// always yield a byte-identical zip, which keeps the archive hash (and with it
// the Lambda's source_code_hash) stable: a second `pulumi up` shows no diff.
//
// The toolchain is part of the binary (the runtime and standard library are
// compiled in), so Build only builds with the toolchain go.mod pins (its
// toolchain line, or an exact go line) and fails with a clear message
// otherwise: a deploy from a machine with another Go patch release would
// otherwise replace every function's code.
package lambdabuild

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/modfile"
)

// Package is a built Lambda deployment package.
type Package struct {
	// Name is the function's short name, e.g. "forwarder"; the zip is <OutDir>/<Name>.zip.
	Name string
	// ZipPath is the absolute path of the zip, which holds a single entry "bootstrap".
	ZipPath string
	// SHA256 is the base64-encoded SHA-256 of the zip bytes, the form Lambda's
	// source_code_hash (sourceCodeHash) uses.
	SHA256 string
	// GoVersion is the toolchain that compiled the binary (go.mod's pin), e.g. "go1.26.8".
	GoVersion string
}

// Options controls where Build looks for the module and writes its output.
type Options struct {
	// ModuleDir is the module root (the directory holding go.mod). If empty it is
	// found by walking up from the working directory to the nearest go.mod.
	ModuleDir string
	// OutDir is where the zips are written. If empty it is <ModuleDir>/.build/lambda.
	OutDir string
}

// zipModTime is the fixed modification time stored for the zip entry, so that
// the archive does not depend on when it was built.
var zipModTime = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// buildFlags are the flags passed to `go build` (before -o and the package path).
var buildFlags = []string{
	"-trimpath",
	"-buildvcs=false",
	"-tags", "lambda.norpc",
	"-ldflags=-s -w -buildid=",
}

const (
	binaryName = "bootstrap"
	// maxCompilerOutput bounds how much compiler output an error carries.
	maxCompilerOutput = 8 << 10
)

// Build compiles the main package at pkgPath (a path relative to the module
// root such as "./lambda/forwarder") for linux/arm64 and writes
// <OutDir>/<name>.zip, holding the binary as its single entry "bootstrap".
//
// The go tool found on PATH is used, with GOOS=linux GOARCH=arm64
// GOARM64=v8.0 CGO_ENABLED=0, GOFLAGS stripped of everything except -mod and
// -modcacherw, and the flags
//
//	-trimpath -buildvcs=false -tags lambda.norpc -ldflags "-s -w -buildid="
//
// so the binary depends only on the source and the toolchain. Before it
// builds, it asks the go command (`go env GOVERSION`, same directory and
// environment) which toolchain it runs and fails unless that is the one
// go.mod pins (PinnedToolchain), naming both and how to get the pinned one.
// The zip is
// deterministic (fixed timestamp, mode 0755, Deflate) and written atomically
// (temporary file and rename). A failing compile returns an error naming
// pkgPath and including the compiler output.
//
// Concurrent and repeated calls for the same package in one process build once:
// the result (or error) of the first call is memoised and shared. A call whose
// context is cancelled is not memoised, so a later call can try again.
func Build(ctx context.Context, name, pkgPath string, opts Options) (Package, error) {
	return defaultBuilder.build(ctx, name, pkgPath, opts)
}

// PinnedToolchain returns the Go toolchain the module at moduleDir pins for
// building Lambdas, e.g. "go1.26.8": go.mod's toolchain line when it has one,
// otherwise its go line, which must then name a release exactly (1.26.8, not
// 1.26: "go 1.26" admits any 1.26.x, and each gives a different archive).
func PinnedToolchain(moduleDir string) (string, error) {
	path := filepath.Join(moduleDir, "go.mod")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("lambdabuild: reading the toolchain pin: %w", err)
	}
	f, err := modfile.Parse(path, data, nil)
	if err != nil {
		return "", fmt.Errorf("lambdabuild: reading the toolchain pin: %w", err)
	}
	if f.Toolchain != nil && f.Toolchain.Name != "" && f.Toolchain.Name != "default" {
		return f.Toolchain.Name, nil
	}
	if f.Go == nil || !exactGoVersion.MatchString(f.Go.Version) {
		got := "no go line"
		if f.Go != nil {
			got = "go " + f.Go.Version
		}
		return "", fmt.Errorf("lambdabuild: %s pins no exact Go toolchain (%s); Lambda archives are reproducible only with one toolchain: "+
			"write the release in full (go 1.26.8) or add a toolchain line (toolchain go1.26.8)", path, got)
	}
	return "go" + f.Go.Version, nil
}

// exactGoVersion is a go line naming one release: 1.26.8, not 1.26 or 1.26rc1.
var exactGoVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// checkToolchain fails unless the go command, run as the build will run it,
// is the toolchain go.mod pins.
func (b *builder) checkToolchain(ctx context.Context, goTool, moduleDir string, env []string, name string) (string, error) {
	want, err := PinnedToolchain(moduleDir)
	if err != nil {
		return "", err
	}
	goVersion := b.goVersion
	if goVersion == nil {
		goVersion = execGoVersion
	}
	got, err := goVersion(ctx, goTool, moduleDir, env)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return "", fmt.Errorf("lambdabuild: building %s: %w", name, ctxErr)
		}
		return "", fmt.Errorf("lambdabuild: finding the Go toolchain that would build Lambda %q (go.mod pins %s): %w", name, want, err)
	}
	if got != want {
		return "", fmt.Errorf("lambdabuild: Lambda %q must be built with %s, the toolchain go.mod pins, but the go command here is %s; "+
			"a binary embeds its toolchain, so this archive would differ from one built elsewhere and a deploy would replace every function. "+
			"Install %s, or set GOTOOLCHAIN=%s to let the go command fetch it", name, want, got, want, want)
	}
	return got, nil
}

// execGoVersion asks the go command which toolchain it runs in dir under env
// (after any GOTOOLCHAIN switch go.mod asks for).
func execGoVersion(ctx context.Context, goTool, dir string, env []string) (string, error) {
	out, err := execRun(ctx, goTool, dir, env, []string{"env", "GOVERSION"})
	if err != nil {
		if msg := trimOutput(out); msg != "" {
			return "", fmt.Errorf("%w\n%s", err, msg)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// FindModuleRoot returns the nearest directory at or above start that contains
// a go.mod file. An empty start means the working directory. The result is an
// absolute path. It is an error if no such directory exists.
func FindModuleRoot(start string) (string, error) {
	if start == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("lambdabuild: finding module root: %w", err)
		}
		start = wd
	}
	dir, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("lambdabuild: finding module root: %w", err)
	}
	for {
		if hasGoMod(dir) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("lambdabuild: no go.mod found in %s or any parent directory", start)
		}
		dir = parent
	}
}

func hasGoMod(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil && fi.Mode().IsRegular()
}

// runFunc runs the go tool with args in dir and env, returning its combined output.
type runFunc func(ctx context.Context, goTool, dir string, env, args []string) ([]byte, error)

// goVersionFunc reports the toolchain the go tool runs in dir under env.
type goVersionFunc func(ctx context.Context, goTool, dir string, env []string) (string, error)

func execRun(ctx context.Context, goTool, dir string, env, args []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, goTool, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.Bytes(), err
}

// builder memoises builds; the package-level Build uses defaultBuilder and
// tests use their own.
type builder struct {
	run       runFunc       // nil means execRun
	goVersion goVersionFunc // nil means execGoVersion
	runs      atomic.Int64  // number of times `go build` was started

	mu    sync.Mutex
	calls map[string]*call // keyed by absolute zip path
}

var defaultBuilder = &builder{}

// call is one (possibly in-flight) build.
type call struct {
	moduleDir, pkgPath string

	done      chan struct{} // closed when pkg, err and cancelled are set
	pkg       Package
	err       error
	cancelled bool // the building caller's context ended; not memoised
}

func (b *builder) build(ctx context.Context, name, pkgPath string, opts Options) (Package, error) {
	if err := validateName(name); err != nil {
		return Package{}, err
	}
	pkgPath, err := normalizePkgPath(pkgPath)
	if err != nil {
		return Package{}, err
	}
	moduleDir, outDir, err := resolveDirs(opts)
	if err != nil {
		return Package{}, err
	}
	zipPath := filepath.Join(outDir, name+".zip")

	for {
		b.mu.Lock()
		c, ok := b.calls[zipPath]
		if !ok {
			c = &call{moduleDir: moduleDir, pkgPath: pkgPath, done: make(chan struct{})}
			if b.calls == nil {
				b.calls = make(map[string]*call)
			}
			b.calls[zipPath] = c
			b.mu.Unlock()
			b.do(ctx, c, name, zipPath, outDir)
			return c.pkg, c.err
		}
		b.mu.Unlock()

		if c.moduleDir != moduleDir || c.pkgPath != pkgPath {
			return Package{}, fmt.Errorf("lambdabuild: %s is already built from %s in %s; cannot also build it from %s in %s",
				zipPath, c.pkgPath, c.moduleDir, pkgPath, moduleDir)
		}
		select {
		case <-c.done:
			if c.cancelled {
				continue // the caller that was building gave up; try ourselves
			}
			return c.pkg, c.err
		case <-ctx.Done():
			return Package{}, ctx.Err()
		}
	}
}

// do performs the build for c and publishes its result.
func (b *builder) do(ctx context.Context, c *call, name, zipPath, outDir string) {
	defer func() {
		if c.err != nil && ctx.Err() != nil {
			// Do not memoise a cancelled build.
			c.cancelled = true
			b.mu.Lock()
			if b.calls[zipPath] == c {
				delete(b.calls, zipPath)
			}
			b.mu.Unlock()
		}
		close(c.done)
	}()
	// If compileAndZip panics, waiters see this error rather than hanging.
	c.err = errors.New("lambdabuild: build panicked")
	c.pkg, c.err = b.compileAndZip(ctx, name, c.pkgPath, c.moduleDir, outDir, zipPath)
}

func (b *builder) compileAndZip(ctx context.Context, name, pkgPath, moduleDir, outDir, zipPath string) (Package, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return Package{}, fmt.Errorf("lambdabuild: the Go toolchain (\"go\") was not found on PATH, needed to build Lambda %q: %w", name, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Package{}, fmt.Errorf("lambdabuild: creating output directory: %w", err)
	}
	tmpDir, err := os.MkdirTemp(outDir, ".build-"+name+"-")
	if err != nil {
		return Package{}, fmt.Errorf("lambdabuild: creating temporary directory: %w", err)
	}
	defer os.RemoveAll(tmpDir)

	env := buildEnv(os.Environ())
	goVersion, err := b.checkToolchain(ctx, goTool, moduleDir, env, name)
	if err != nil {
		return Package{}, err
	}

	binPath := filepath.Join(tmpDir, binaryName)
	args := append([]string{"build"}, buildFlags...)
	args = append(args, "-o", binPath, pkgPath)

	run := b.run
	if run == nil {
		run = execRun
	}
	b.runs.Add(1)
	out, err := run(ctx, goTool, moduleDir, env, args)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return Package{}, fmt.Errorf("lambdabuild: building %s (%s): %w", pkgPath, name, ctxErr)
		}
		msg := trimOutput(out)
		if msg == "" {
			return Package{}, fmt.Errorf("lambdabuild: go build %s (%s) failed: %w", pkgPath, name, err)
		}
		return Package{}, fmt.Errorf("lambdabuild: go build %s (%s) failed: %w\n%s", pkgPath, name, err, msg)
	}

	sum, err := writeZip(binPath, zipPath)
	if err != nil {
		return Package{}, fmt.Errorf("lambdabuild: packaging %s (%s): %w", pkgPath, name, err)
	}
	return Package{Name: name, ZipPath: zipPath, SHA256: sum, GoVersion: goVersion}, nil
}

// writeZip writes a deterministic zip holding binPath as the single entry
// "bootstrap" to zipPath, atomically, and returns the base64 SHA-256 of the zip.
func writeZip(binPath, zipPath string) (sha string, err error) {
	bin, err := os.Open(binPath)
	if err != nil {
		return "", err
	}
	defer bin.Close()

	tmp, err := os.CreateTemp(filepath.Dir(zipPath), "."+filepath.Base(zipPath)+".tmp-")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	h := sha256.New()
	if err := zipBinary(io.MultiWriter(tmp, h), bin); err != nil {
		return "", err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), zipPath); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

// zipBinary writes to w a zip whose only entry is "bootstrap" with the
// contents of r, a fixed modification time and Unix mode 0755, deflated.
func zipBinary(w io.Writer, r io.Reader) error {
	zw := zip.NewWriter(w)
	hdr := &zip.FileHeader{
		Name:     binaryName,
		Method:   zip.Deflate,
		Modified: zipModTime,
	}
	hdr.SetMode(0o755) // creator Unix, so Lambda sees the executable bit
	fw, err := zw.CreateHeader(hdr)
	if err != nil {
		return err
	}
	if _, err := io.Copy(fw, r); err != nil {
		return err
	}
	return zw.Close()
}

// buildEnv returns environ with the cross-compilation settings forced and
// GOFLAGS reduced to settings that cannot change the produced binary.
func buildEnv(environ []string) []string {
	forced := map[string]string{
		"GOOS":        "linux",
		"GOARCH":      "arm64",
		"GOARM64":     "v8.0", // the default; pinned so the environment cannot change it
		"CGO_ENABLED": "0",
	}
	env := make([]string, 0, len(environ)+len(forced)+1)
	goflags := ""
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if _, ok := forced[k]; ok {
			continue
		}
		if k == "GOFLAGS" {
			goflags = v
			continue
		}
		env = append(env, kv)
	}
	for _, k := range []string{"GOOS", "GOARCH", "GOARM64", "CGO_ENABLED"} {
		env = append(env, k+"="+forced[k])
	}
	return append(env, "GOFLAGS="+sanitizeGOFLAGS(goflags))
}

// sanitizeGOFLAGS keeps only the GOFLAGS entries that select how modules are
// resolved (-mod, -modcacherw); all others (-race, -cover, -ldflags, -tags,
// -buildmode, ...) could change the binary and are dropped.
func sanitizeGOFLAGS(goflags string) string {
	var keep []string
	for _, f := range strings.Fields(goflags) {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch name {
		case "mod", "modcacherw":
			keep = append(keep, f)
		}
	}
	return strings.Join(keep, " ")
}

func validateName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`) {
		return fmt.Errorf("lambdabuild: invalid function name %q: must be a plain file name", name)
	}
	return nil
}

// normalizePkgPath cleans a relative package directory, keeping the leading
// "./" the go tool needs to treat it as a directory rather than an import path.
func normalizePkgPath(p string) (string, error) {
	if p == "" {
		return "", errors.New("lambdabuild: empty package path")
	}
	if strings.Contains(p, "...") {
		return "", fmt.Errorf("lambdabuild: package path %q is a pattern; name a single main package", p)
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p), nil
	}
	if p == "." || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") ||
		strings.HasPrefix(p, `.\`) || strings.HasPrefix(p, `..\`) {
		c := filepath.ToSlash(filepath.Clean(p))
		if c == "." || strings.HasPrefix(c, "../") || c == ".." {
			return c, nil
		}
		return "./" + c, nil
	}
	return p, nil // an import path; the go tool resolves it
}

func resolveDirs(opts Options) (moduleDir, outDir string, err error) {
	if opts.ModuleDir == "" {
		moduleDir, err = FindModuleRoot("")
		if err != nil {
			return "", "", err
		}
	} else {
		moduleDir, err = filepath.Abs(opts.ModuleDir)
		if err != nil {
			return "", "", fmt.Errorf("lambdabuild: module directory: %w", err)
		}
		if !hasGoMod(moduleDir) {
			return "", "", fmt.Errorf("lambdabuild: module directory %s has no go.mod", moduleDir)
		}
	}
	if opts.OutDir == "" {
		outDir = filepath.Join(moduleDir, ".build", "lambda")
	} else if outDir, err = filepath.Abs(opts.OutDir); err != nil {
		return "", "", fmt.Errorf("lambdabuild: output directory: %w", err)
	}
	return moduleDir, outDir, nil
}

// trimOutput trims compiler output for inclusion in an error, keeping the
// start (where the first errors are) if it is very long.
func trimOutput(out []byte) string {
	s := strings.TrimSpace(string(out))
	if len(s) > maxCompilerOutput {
		s = s[:maxCompilerOutput] + "\n... (output truncated)"
	}
	return s
}
