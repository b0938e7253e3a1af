// Package constraintsdoc keeps docs/aws-constraints.md, the audit of what AWS
// documents for every resource type the program declares, in step with the
// program: it reads the document's sections and reports the declared
// resource types that have none (see the package test, which plans the dev
// stack and its configuration variants under mocks).
package constraintsdoc

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/vpcflowlogs/vpc-flow-logs/internal/mockaws"
)

// Path is the document, relative to the module root.
const Path = "docs/aws-constraints.md"

// headingRe is a section heading: "## " and a Pulumi type token.
var headingRe = regexp.MustCompile("^## `?([a-z0-9-]+:[A-Za-z0-9/]+:[A-Za-z0-9]+)`?\\s*$")

// Section is the text under one "## <type token>" heading.
type Section struct {
	Type string
	Body string
}

// Sections returns the document's sections by type token, and an error for a
// type that has two sections.
func Sections(markdown string) (map[string]Section, error) {
	out := map[string]Section{}
	var cur *Section
	var body []string
	flush := func() error {
		if cur == nil {
			return nil
		}
		cur.Body = strings.Join(body, "\n")
		if _, dup := out[cur.Type]; dup {
			return fmt.Errorf("%s has two sections", cur.Type)
		}
		out[cur.Type] = *cur
		return nil
	}
	for _, line := range strings.Split(markdown, "\n") {
		if strings.HasPrefix(line, "## ") || strings.HasPrefix(line, "# ") {
			if err := flush(); err != nil {
				return nil, err
			}
			cur, body = nil, nil
			if m := headingRe.FindStringSubmatch(line); m != nil {
				cur = &Section{Type: m[1]}
			}
			continue
		}
		if cur != nil {
			body = append(body, line)
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// CloudTypes returns the type tokens of the cloud resources of a mocked run:
// every custom resource except providers (components are the program's own).
func CloudTypes(m *mockaws.Mocks) []string {
	seen := map[string]bool{}
	for _, r := range m.Resources {
		if r.Custom && !strings.HasPrefix(r.Type, "pulumi:providers:") {
			seen[r.Type] = true
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Problems reports what keeps the document from covering types: a type with
// no section, and a section with no AWS or provider link or no statement of
// how the program satisfies its constraints.
func Problems(types []string, sections map[string]Section) []string {
	var out []string
	for _, t := range types {
		s, ok := sections[t]
		if !ok {
			out = append(out, fmt.Sprintf("%s: declared by the program, no \"## %s\" section in %s", t, t, Path))
			continue
		}
		if !strings.Contains(s.Body, "https://") {
			out = append(out, fmt.Sprintf("%s: the section links no AWS or provider page", t))
		}
		if !strings.Contains(s.Body, "Program:") && !strings.Contains(s.Body, "NOT SATISFIED") {
			out = append(out, fmt.Sprintf("%s: the section says neither how the program satisfies the constraints (\"Program:\") nor \"NOT SATISFIED\"", t))
		}
	}
	return out
}

// Stale reports sections for types no planned variant declares, unless the
// section says the type arrives with an issue in flight ("arrives with issue").
func Stale(types []string, sections map[string]Section) []string {
	declared := map[string]bool{}
	for _, t := range types {
		declared[t] = true
	}
	var out []string
	for t, s := range sections {
		if !declared[t] && !strings.Contains(s.Body, "arrives with issue") {
			out = append(out, fmt.Sprintf("%s: has a section but no planned variant declares it", t))
		}
	}
	sort.Strings(out)
	return out
}
