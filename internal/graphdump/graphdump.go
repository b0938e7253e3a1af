// Package graphdump gives tests the graphs of mocked runs of the program
// without linking the program: cmd/graphdump runs them under mockaws and
// writes the records as JSON, and Recorder runs that command (go run, whose
// executable the build cache keeps) and reads them back.
//
// The tests of internal/policy and internal/costs only read the recorded
// graphs; run in process, the mocked deploys made every test binary of
// theirs link the program and pulumi-aws, a minute or two per mutant of
// `make mutate`. The command does not depend on those packages, so a
// mutant of theirs neither rebuilds nor relinks it (docs/testing.md).
package graphdump

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// Programs a Run can run.
const (
	// Deploy is stacks.Deploy: the stack's resources, no exports.
	Deploy = "deploy"
	// Program is stacks.Program: stacks.Deploy and its exports.
	Program = "program"
	// FlowLogToCloudWatch is components.NewFlowLogToCloudWatch alone, with
	// Component's arguments and flowlog.DefaultFields.
	FlowLogToCloudWatch = "FlowLogToCloudWatch"
	// FlowLogToS3 is components.NewFlowLogToS3 alone, with Component's
	// arguments and flowlog.DefaultFields.
	FlowLogToS3 = "FlowLogToS3"
)

// Run is one mocked run: mockaws.Run(program, Project, Stack, Config).
type Run struct {
	Program        string
	Project, Stack string
	// Config is the stack config (full keys, structured values as JSON).
	Config map[string]string `json:",omitempty"`
	// Component are the arguments of a component-only program.
	Component *Component `json:",omitempty"`
}

// Component are the arguments of a component-only run.
type Component struct {
	Name                string
	VpcIDs              []string
	TrafficType         string
	AggregationInterval int
	RetentionDays       int `json:",omitempty"` // FlowLogToCloudWatch
	ExpirationDays      int `json:",omitempty"` // FlowLogToS3
}

// Key identifies a run: its JSON (map keys sorted), so equal runs are one.
func (r Run) Key() string {
	b, err := json.Marshal(r)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Request is what cmd/graphdump reads.
type Request struct {
	Runs []Run
}

// Result is one run's record, or the error the run ended with.
type Result struct {
	Key   string
	Error string          `json:",omitempty"`
	Graph json.RawMessage `json:",omitempty"` // a mockaws.Mocks (Mocks.MarshalJSON)
}

// Response is what cmd/graphdump writes.
type Response struct {
	// Implemented are the architectures the program implements
	// (stacks.Implemented), in stackconfig.AllArchitectures' order.
	Implemented []string
	Results     []Result
}

// Recorder records runs through cmd/graphdump once and hands out copies.
type Recorder struct {
	// Root is the module's root directory.
	Root string

	mu          sync.Mutex
	results     map[string]Result
	implemented []string
}

// NewRecorder returns a recorder for the module at root.
func NewRecorder(root string) *Recorder {
	return &Recorder{Root: root, results: map[string]Result{}}
}

// Record runs every run not yet recorded, all in one cmd/graphdump.
func (rc *Recorder) Record(runs ...Run) error {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.record(runs)
}

func (rc *Recorder) record(runs []Run) error {
	var req Request
	seen := map[string]bool{}
	for _, r := range runs {
		k := r.Key()
		if _, ok := rc.results[k]; ok || seen[k] {
			continue
		}
		seen[k] = true
		req.Runs = append(req.Runs, r)
	}
	if len(req.Runs) == 0 && rc.implemented != nil {
		return nil
	}
	resp, err := Exec(rc.Root, req)
	if err != nil {
		return err
	}
	for _, res := range resp.Results {
		rc.results[res.Key] = res
	}
	rc.implemented = resp.Implemented
	return nil
}

// Implemented is the program's stacks.Implemented (recorded with the first runs).
func (rc *Recorder) Implemented() ([]string, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.implemented == nil {
		if err := rc.record(nil); err != nil {
			return nil, err
		}
	}
	return rc.implemented, nil
}

// Get returns a fresh copy of the run's record (recording it first when
// Record was not given it), or the error the run ended with.
func (rc *Recorder) Get(r Run) (*mockaws.Mocks, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	k := r.Key()
	res, ok := rc.results[k]
	if !ok {
		if err := rc.record([]Run{r}); err != nil {
			return nil, err
		}
		if res, ok = rc.results[k]; !ok {
			return nil, fmt.Errorf("cmd/graphdump did not answer the run %s", k)
		}
	}
	if res.Error != "" {
		return nil, fmt.Errorf("%s", res.Error)
	}
	m := &mockaws.Mocks{}
	if err := m.UnmarshalJSON(res.Graph); err != nil {
		return nil, fmt.Errorf("reading the record of %s: %w", k, err)
	}
	return m, nil
}

// goCommand is the go command of the toolchain that built the test (its
// GOROOT), else the one on PATH.
func goCommand() string {
	exe := "go"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if p := filepath.Join(runtime.GOROOT(), "bin", exe); runtime.GOROOT() != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

// CacheDirEnv names a directory where Exec keeps its answers by request.
// Only for a run in which the program's sources do not change: `make
// mutate` sets it for the run of one package (scripts/mutate.sh), whose
// mutants cannot change what cmd/graphdump answers, so each mutant's tests
// read the answer instead of recording the runs again.
const CacheDirEnv = "GRAPHDUMP_CACHE_DIR"

// Exec runs `go run ./cmd/graphdump` in the module at root on req (or
// reads its answer from $GRAPHDUMP_CACHE_DIR).
func Exec(root string, req Request) (*Response, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	dir := os.Getenv(CacheDirEnv)
	if dir == "" {
		return exec1(root, in)
	}
	sum := sha256.Sum256(in)
	path := filepath.Join(dir, hex.EncodeToString(sum[:])+".json")
	if b, err := os.ReadFile(path); err == nil {
		return decode(b)
	}
	resp, err := exec1(root, in)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, "answer-*")
	if err != nil {
		return nil, err
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return resp, nil
}

func exec1(root string, in []byte) (*Response, error) {
	out, err := os.CreateTemp("", "graphdump-*.json")
	if err != nil {
		return nil, err
	}
	out.Close()
	defer os.Remove(out.Name())
	cmd := exec.Command(goCommand(), "run", "./cmd/graphdump", "-o", out.Name())
	cmd.Dir = root
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go run ./cmd/graphdump (in %s): %w\n%s", root, err, strings.TrimSpace(stderr.String()))
	}
	b, err := os.ReadFile(out.Name())
	if err != nil {
		return nil, err
	}
	return decode(b)
}

func decode(b []byte) (*Response, error) {
	var resp Response
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, fmt.Errorf("reading cmd/graphdump's answer: %w", err)
	}
	return &resp, nil
}
