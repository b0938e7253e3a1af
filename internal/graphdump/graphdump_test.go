package graphdump

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// With GRAPHDUMP_CACHE_DIR set, an answer kept for the same request is read
// back without running the command (the module root here does not exist).
func TestExecReadsTheCachedAnswer(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(CacheDirEnv, dir)
	req := Request{Runs: []Run{{Program: Deploy, Project: "p", Stack: "s", Config: map[string]string{"p:k": "v"}}}}
	want := Response{Implemented: []string{"a"}, Results: []Result{{Key: req.Runs[0].Key(), Error: "kept"}}}
	in, _ := json.Marshal(req)
	sum := sha256.Sum256(in)
	b, _ := json.Marshal(want)
	if err := os.WriteFile(filepath.Join(dir, hex.EncodeToString(sum[:])+".json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Exec(filepath.Join(dir, "no-module"), req)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("answer %+v, want the kept %+v", *got, want)
	}
	// Another request is not answered from the cache.
	req.Runs[0].Stack = "other"
	if _, err := Exec(filepath.Join(dir, "no-module"), req); err == nil {
		t.Error("a request without a kept answer was answered")
	}
}
