package diagram

import (
	"fmt"
	"strings"
)

// Markers around the generated Mermaid block in README.md.
const (
	ReadmeBegin = "<!-- diagram:begin (generated from the dev stack by `make diagram`; do not edit) -->"
	ReadmeEnd   = "<!-- diagram:end -->"
)

// ReadmeBlock is what goes between the markers: the Mermaid source in a
// fenced block GitHub renders.
func ReadmeBlock(mermaid string) string {
	return "```mermaid\n" + mermaid + "```\n"
}

// ReplaceReadme returns readme with the text between the markers replaced
// by the Mermaid block.
func ReplaceReadme(readme, mermaid string) (string, error) {
	i := strings.Index(readme, ReadmeBegin)
	j := strings.Index(readme, ReadmeEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("README.md lacks the markers %q ... %q", ReadmeBegin, ReadmeEnd)
	}
	return readme[:i+len(ReadmeBegin)] + "\n" + ReadmeBlock(mermaid) + readme[j:], nil
}

// Paths returns every data path of the graph: from each monitored VPC (a
// node nothing flows into) along the edges that are not failure paths, to a
// node nothing flows out of. Paths are in graph order, so they are stable.
func (g *Graph) Paths() [][]*Node {
	var out [][]*Node
	var walk func(path []*Node)
	walk = func(path []*Node) {
		last := path[len(path)-1]
		next := 0
		for _, e := range g.Out(last.ID) {
			n := g.byID[e.To]
			if e.Failure || n == nil || containsNode(path, n) {
				continue
			}
			next++
			walk(append(path[:len(path):len(path)], n))
		}
		if next == 0 && len(path) > 1 {
			out = append(out, path)
		}
	}
	for _, n := range g.Nodes {
		if n.Kind == KindSource {
			walk([]*Node{n})
		}
	}
	return out
}

// EdgeBetween returns the first edge from one node to another, or nil.
func (g *Graph) EdgeBetween(from, to string) *Edge {
	for _, e := range g.Edges {
		if e.From == from && e.To == to {
			return e
		}
	}
	return nil
}

func containsNode(path []*Node, n *Node) bool {
	for _, p := range path {
		if p == n {
			return true
		}
	}
	return false
}
