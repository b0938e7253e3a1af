package ids

import "testing"

// Known names exactly the rules of All: a security rule is known, a
// deployability rule (which cannot be waived) and a made-up id are not.
func TestKnown(t *testing.T) {
	for _, id := range All {
		if !Known(id) {
			t.Errorf("%s is not known", id)
		}
	}
	for _, id := range append([]string{"s3-everything-ok", ""}, Deploy...) {
		if Known(id) {
			t.Errorf("%q is known", id)
		}
	}
}
