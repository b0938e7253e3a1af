package docgen

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
)

var (
	linkRe       = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	inlineCodeRe = regexp.MustCompile("`[^`]*`")
	headingRe    = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
)

// markdownLines returns the lines of doc outside fenced code blocks.
func markdownLines(doc string) []string {
	var out []string
	fence := ""
	for _, l := range strings.Split(doc, "\n") {
		t := strings.TrimLeft(l, " ")
		if fence == "" && (strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")) {
			fence = t[:3]
			out = append(out, "")
			continue
		}
		if fence != "" {
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
			out = append(out, "")
			continue
		}
		out = append(out, l)
	}
	return out
}

// Slug is GitHub's anchor for a heading: the rendered text lowercased,
// every character but letters, digits, spaces, hyphens and underscores
// removed, spaces turned into hyphens.
func Slug(heading string) string {
	// Rendered text: links keep their text, code spans and emphasis lose their markers.
	heading = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

// Anchors returns the anchors of doc's headings, with GitHub's -1, -2
// suffixes for repeated headings.
func Anchors(doc string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range markdownLines(doc) {
		m := headingRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		s := Slug(m[1])
		if n := seen[s]; n > 0 {
			out[fmt.Sprintf("%s-%d", s, n)] = true
		} else {
			out[s] = true
		}
		seen[s]++
	}
	return out
}

// BrokenLinks returns every relative link of the markdown file path
// (relative to root) whose target file does not exist or whose #anchor
// names no heading of the target.
func BrokenLinks(root, path string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		return nil, err
	}
	var out []string
	for n, l := range markdownLines(string(b)) {
		l = inlineCodeRe.ReplaceAllString(l, "")
		for _, m := range linkRe.FindAllStringSubmatch(l, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			dest := path
			if file != "" {
				dest = filepath.ToSlash(filepath.Join(filepath.Dir(path), file))
			}
			where := fmt.Sprintf("%s:%d: %s", path, n+1, target)
			st, err := os.Stat(filepath.Join(root, dest))
			if err != nil {
				out = append(out, where+": no such file "+dest)
				continue
			}
			if anchor == "" {
				continue
			}
			if st.IsDir() || !strings.HasSuffix(dest, ".md") {
				out = append(out, where+": an anchor into "+dest+", which is not a markdown file")
				continue
			}
			db, err := os.ReadFile(filepath.Join(root, dest))
			if err != nil {
				return nil, err
			}
			if !Anchors(string(db))[anchor] {
				out = append(out, where+": "+dest+" has no heading #"+anchor)
			}
		}
	}
	return out, nil
}

// MarkdownFiles returns README.md and docs/*.md under root.
func MarkdownFiles(root string) ([]string, error) {
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		return nil, err
	}
	out := []string{"README.md"}
	for _, d := range docs {
		rel, err := filepath.Rel(root, d)
		if err != nil {
			return nil, err
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out, nil
}
