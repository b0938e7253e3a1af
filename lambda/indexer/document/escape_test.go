package document

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		"", "eni-1235b8ca123456789", "ACCEPT", "2001:db8::1",
		`say "hi"`, `back\slash`, "tab\tnew\nline\rcr", "\x00\x01\x1f\x7f",
		"héllo wörld ✓ 𝄞", "line\u2028sep\u2029para",
		"bad \xff utf8 \xc3", "\xed\xa0\x80 surrogate", "<&>",
	}
	for _, s := range cases {
		got := AppendString(nil, s)
		if !json.Valid(got) {
			t.Fatalf("AppendString(%q) = %s: not valid JSON", s, got)
		}
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatal(err)
		}
		want := strings.ToValidUTF8(s, "\ufffd")
		// encoding/json replaces each invalid byte; ToValidUTF8 replaces runs.
		wantJSON, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(wantJSON, &wantBack)
		if back != wantBack {
			t.Errorf("AppendString(%q) decodes to %q, want %q (runs: %q)", s, back, wantBack, want)
		}
	}
}

func TestAppendStringFindsSpecialsAtEveryPosition(t *testing.T) {
	for _, special := range []string{"\"", "\\", "\x00", "\x1f", "\x7f", "\x80", "é", "\xff", "\u2028"} {
		for pos := 0; pos < 20; pos++ {
			s := strings.Repeat("a", pos) + special + strings.Repeat("b", 20-pos)
			got := AppendString(nil, s)
			want, _ := json.Marshal(s)
			var g, w string
			if json.Unmarshal(got, &g) != nil || json.Unmarshal(want, &w) != nil || g != w {
				t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
			}
		}
	}
}

func TestAppendStringKeepsPrefix(t *testing.T) {
	got := string(AppendString([]byte(`{"k":`), "v\"w"))
	if got != `{"k":"v\"w"` {
		t.Fatalf("got %s", got)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a", "\"", "\xff", "\u2028", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		if !json.Valid(out) {
			t.Fatalf("invalid JSON for %q: %s", s, out)
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("round trip of %q gave %q", s, back)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = AppendString(buf[:0], "eni-1235b8ca123456789")
	}
}

// TestAppendStringEveryByte: a string of plain ASCII ("A" or "a") with any
// one byte changed, at any position of the eight-byte words plainPrefix
// tests, is valid JSON in valid UTF-8 that reads back as the string
// (invalid UTF-8 as U+FFFD).
func TestAppendStringEveryByte(t *testing.T) {
	for _, n := range []int{8, 9, 16} {
		for pos := range n * 2 {
			for b := range 256 {
				// Fillers below 0x60 and above: a filler of 0x60 or more
				// overflows the word test's subtraction turned addition.
				s := []byte(strings.Repeat("Aa"[pos/n:pos/n+1], n))
				pos := pos % n
				s[pos] = byte(b)
				out := AppendString(nil, string(s))
				var back string
				if err := json.Unmarshal(out, &back); err != nil || !utf8.Valid(out) || back != strings.ToValidUTF8(string(s), "\uFFFD") {
					t.Fatalf("AppendString(%q) = %q (%v)", s, out, err)
				}
			}
		}
	}
}
