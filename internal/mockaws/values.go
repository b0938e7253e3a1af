package mockaws

import "strings"

// Readers of recorded values (the plain Go values Resource.Inputs and
// Outputs hold: maps, lists, strings, float64, bool). The rule suite, the
// diagram and the cost estimate all read the record through them.

// Get reads a dotted path ("configuration.resultConfiguration.outputLocation")
// from nested inputs; a numeric segment indexes a list. It returns nil when
// any step is missing.
func Get(v any, path string) any {
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

// Str returns v as a string ("" when it is not one).
func Str(v any) string { s, _ := v.(string); return s }

// IsTrue reports whether v is the boolean true (or the string "true").
func IsTrue(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return strings.EqualFold(t, "true")
	}
	return false
}

// Num returns v as a number and whether it is one.
func Num(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int:
		return float64(t), true
	}
	return 0, false
}

// List returns v as a list (nil when it is not one).
func List(v any) []any { l, _ := v.([]any); return l }
