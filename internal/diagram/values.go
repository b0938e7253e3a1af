package diagram

import "strings"

// get reads a dotted path ("configuration.resultConfiguration.outputLocation")
// from recorded inputs (maps, lists, strings, float64, bool); a numeric
// segment indexes a list. It returns nil when any step is missing.
func get(v any, path string) any {
	if path == "" {
		return v
	}
	for _, seg := range strings.Split(path, ".") {
		switch t := v.(type) {
		case map[string]any:
			v = t[seg]
		case []any:
			i := 0
			for _, c := range seg {
				if c < '0' || c > '9' {
					return nil
				}
				i = i*10 + int(c-'0')
			}
			if i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
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
