package costs

import "strings"

// get reads a dotted path from recorded inputs (nil when a step is missing).
func get(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[seg]
	}
	return v
}

// str returns v as a string ("" when it is not one).
func str(v any) string { s, _ := v.(string); return s }

// num returns v as a number and whether it is one.
func num(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int:
		return float64(t), true
	}
	return 0, false
}

// list returns v as a list (nil when it is not one).
func list(v any) []any { l, _ := v.([]any); return l }
