// Package awsschema answers questions about the aws provider's resource
// types from the pulumi-aws Go SDK the program is built with, so that tests
// decide from the provider's own schema, not from a hand-kept list or from
// what the program happens to set. It reads the SDK's source in the Go module
// cache (`go list -m`), which any build of this module has.
package awsschema

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Module is the pulumi-aws Go SDK module.
const Module = "github.com/pulumi/pulumi-aws/sdk/v6"

var (
	dirOnce sync.Once
	dir     string
	dirErr  error
)

// sdkDir is the SDK's go/aws directory in the module cache.
func sdkDir() (string, error) {
	dirOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Module).Output()
		if err != nil {
			dirErr = fmt.Errorf("locating %s with go list -m: %w", Module, err)
			return
		}
		dir = filepath.Join(strings.TrimSpace(string(out)), "go", "aws")
	})
	return dir, dirErr
}

// tokenRe splits a resource type token such as
// aws:glue/catalogDatabase:CatalogDatabase into module and file name.
var tokenRe = regexp.MustCompile(`^aws:([a-zA-Z0-9]+)/([a-zA-Z0-9]+):([A-Za-z0-9]+)$`)

// source returns the SDK file that declares the resource type token.
func source(token string) (string, error) {
	m := tokenRe.FindStringSubmatch(token)
	if m == nil {
		return "", fmt.Errorf("%q is not an aws resource type token", token)
	}
	d, err := sdkDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(d, m[1], m[2]+".go")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("resource type %s: %w", token, err)
	}
	src := string(b)
	if !strings.Contains(src, `ctx.RegisterResource("`+token+`"`) {
		return "", fmt.Errorf("resource type %s: %s does not register it", token, path)
	}
	return src, nil
}

// Taggable reports whether resources of the type take a `tags` input: the
// SDK's resource struct has a Tags output (pulumi:"tags").
func Taggable(token string) (bool, error) {
	src, err := source(token)
	if err != nil {
		return false, err
	}
	return strings.Contains(src, "\tTags pulumi.StringMapOutput `pulumi:\"tags\"`"), nil
}
