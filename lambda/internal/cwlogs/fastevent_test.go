package cwlogs

import (
	"strconv"
	"strings"
	"testing"
)

// fastEventCase is one log event and whether fastEvent must take it: the
// layout CloudWatch Logs writes, {"id":"...","timestamp":N,"message":"..."}
// with an optional flat "extractedFields", taken; anything else left to
// event.
type fastEventCase struct {
	ev   string
	take bool
}

func fastEventCases() []fastEventCase {
	cases := []fastEventCase{
		{`{"id":"36000000000000000000000000000000000000000000000001","timestamp":1718000000123,"message":"2 123456789012 eni-1 ACCEPT OK"}`, true},
		{`{"id":"","timestamp":0,"message":""}`, true},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":{}}`, true},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":{"a":"b"}}`, true},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":{"srcaddr":"10.0.0.1","action":"ACCEPT","x":""}}`, true},
		// Not the layout: the general path decides.
		{`{"id": "1","timestamp":5,"message":"m"}`, false},
		{`{"id":"1\"","timestamp":5,"message":"m"}`, false},
		{`{"id":"1","timestamp":5,"message":"m\n"}`, false},
		{`{"id":"1","timestamp":5,"message":"m\\"}`, false},
		{`{"id":"1","timestamp":01,"message":"m"}`, false},
		{`{"id":"1","timestamp":-1,"message":"m"}`, false},
		{`{"id":"1","timestamp":1.5,"message":"m"}`, false},
		{`{"id":"1","timestamp":1e3,"message":"m"}`, false},
		{`{"id":"1","timestamp":,"message":"m"}`, false},
		{`{"id":"1","timestamp":null,"message":"m"}`, false},
		{`{"id":"1","timestamp":5,"message":"m" }`, false},
		{`{"id":"1","timestamp":5,"message":"m","x":1}`, false},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":{"a":1}}`, false},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":{"a":"b",}}`, false},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":{"a" :"b"}}`, false},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":{"a":"b" }}`, false},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":{"a":"b\n"}}`, false},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":{"a":"b"},"x":1}`, false},
		{`{"id":"1","timestamp":5,"message":"m","extractedFields":[]}`, false},
		{`{"timestamp":5,"id":"1","message":"m"}`, false},
		{`{"id":"1","message":"m","timestamp":5}`, false},
	}
	// Timestamps of every length up to 16 digits, whose value digits16
	// reads eight digits at a time, each digit 0-9 in every place.
	for n := 1; n <= 16; n++ {
		for d := range 10 {
			ts := strings.Repeat(strconv.Itoa((d+n)%10), n)
			ts = strconv.Itoa(1+d%9) + ts[1:]
			cases = append(cases, fastEventCase{`{"id":"1","timestamp":` + ts + `,"message":"m"}`, true})
		}
	}
	// With an empty message and nothing after the event, fewer than 16
	// bytes follow the timestamp: it is read a digit at a time.
	for d := range 10 {
		cases = append(cases, fastEventCase{`{"id":"","timestamp":` + strconv.Itoa(d) + `,"message":""}`, true})
	}
	// Longer ones: the general path's, or the fast one's with the same
	// result.
	cases = append(cases,
		fastEventCase{`{"id":"1","timestamp":12345678901234567,"message":"m"}`, false},
		fastEventCase{`{"id":"1","timestamp":123456789012345678,"message":"m"}`, false},
		fastEventCase{`{"id":"1","timestamp":9223372036854775807,"message":"m"}`, false},
		fastEventCase{`{"id":"1","timestamp":9223372036854775808,"message":"m"}`, false},
	)
	return cases
}

// TestFastEventIsEventForTheCloudWatchLayout holds fastEvent to its
// contract: it takes every event laid out as CloudWatch Logs writes it,
// and then reads exactly what event reads; it takes nothing else (it
// returns false and consumes nothing). Each case runs with what follows an
// element of "logEvents" (`,` or `]}`) and with nothing after it (the end
// of the buffer, where the timestamp is read a digit at a time), and cut at
// every byte, where it must not take the event or read past the end.
// Kills the fast path's survivors in scan.go (fastEvent, flatStrings,
// plainString, digits16, nonDigitLanes), which narrowed what it takes
// (the general path then decoded the same) or widened it.
func TestFastEventIsEventForTheCloudWatchLayout(t *testing.T) {
	for _, c := range fastEventCases() {
		for _, after := range []string{"", ",", "]}", `,{"id":"2","timestamp":1,"message":"n"}]}`} {
			b := []byte(c.ev + after)
			var fast, slow rawEvent
			fs := scanner{b: b}
			took := fs.fastEvent(&fast)
			if c.take && !took {
				t.Errorf("%s + %q: not taken", c.ev, after)
			}
			if !took {
				if fs.i != 0 {
					t.Errorf("%s + %q: not taken but consumed %d bytes", c.ev, after, fs.i)
				}
				continue
			}
			ss := scanner{b: b}
			reason, err := ss.event(&slow)
			if err != nil || reason != "" || fast != slow || fs.i != ss.i {
				t.Errorf("%s + %q: fastEvent read %+v to %d, event %+v to %d (%q, %v)", c.ev, after, fast, fs.i, slow, ss.i, reason, err)
			}
		}
		for n := range len(c.ev) {
			b := []byte(c.ev[:n])
			var r rawEvent
			s := scanner{b: b}
			if s.fastEvent(&r) {
				t.Errorf("%q, cut to %d bytes: taken", c.ev, n)
			}
		}
	}
}

// TestFastEventRefusesWhatItMustNotTake: what is not the layout is not
// taken (timestamps of more than 16 digits included: with the rest of the
// array after them, digits16 reads them and stops at a digit).
func TestFastEventRefusesWhatItMustNotTake(t *testing.T) {
	for _, c := range fastEventCases() {
		if c.take {
			continue
		}
		var r rawEvent
		s := scanner{b: []byte(c.ev + "]}")}
		if s.fastEvent(&r) {
			t.Errorf("%s: taken", c.ev)
		}
	}
}

// TestDigits16 checks digits16 against strconv for every count of digits
// up to 16 followed by every byte value that is not a digit (the SWAR
// test's edges: the bytes just below '0' and above '9', and those with the
// top bit set).
func TestDigits16(t *testing.T) {
	const digits = "9081726354453627189009182736"
	for n := 0; n <= 16; n++ {
		for c := range 256 {
			if c >= '0' && c <= '9' {
				continue
			}
			b := []byte("xx" + digits[:n] + string(rune(0)) + "0000000000000000")
			b[2+n] = byte(c)
			end, v := digits16(b, 2)
			want, _ := strconv.ParseUint(digits[:n], 10, 64)
			if end != 2+n || v != want {
				t.Fatalf("%d digits then %#x: end %d, value %d; want %d, %d", n, c, end-2, v, n, want)
			}
		}
	}
	// Seventeen digits and more: sixteen read, the end at the seventeenth.
	b := []byte(digits)
	if end, v := digits16(b, 0); end != 16 || v != 9081726354453627 {
		t.Fatalf("28 digits: end %d, value %d", end, v)
	}
}

// TestFlatStringsAndPlainStringRefuse holds the two helpers to their
// result for what they do not read: -1, and not a position in the buffer
// (the caller would read on from there). The buffers start with "x}" so
// that a position of 1 would be a '}'. Kills scan.go:498:10, 508:11,
// 511:11, 519:11, 528:10 and 533:9 (ARITHMETIC_BASE and INVERT_NEGATIVES:
// -1 returned as 1).
func TestFlatStringsAndPlainStringRefuse(t *testing.T) {
	for _, c := range []struct {
		s string
		i int
	}{
		{`x}`, 2},
		{`x}a"`, 2},
		{`x}"a\"`, 2},
		{`x}"a`, 2},
	} {
		if got := plainString([]byte(c.s), c.i); got != -1 {
			t.Errorf("plainString(%q, %d) = %d, want -1", c.s, c.i, got)
		}
	}
	if got := plainString([]byte(`x}"ab"`), 2); got != 6 {
		t.Errorf(`plainString of "ab" = %d, want 6`, got)
	}
	const key = extractedKey
	for _, obj := range []string{
		`"other":{}`,   // another key
		key + `"a"`,    // no ':'
		key + `"a":1}`, // not a string
		key + `"a":"b"`,
		key + `"a":"b" }`,
		key + `"a\n":"b"}`,
		key + `"a":"b\n"}`,
		key + `"a":"b",`,
		key[:len(key)-1], // cut in the key
	} {
		b := []byte(`x}` + obj)
		if got := flatStrings(b, 2, key); got != -1 {
			t.Errorf("flatStrings(%q) = %d, want -1", obj, got)
		}
	}
	for _, obj := range []string{key + `}`, key + `"a":"b"}`, key + `"a":"b","c":""}`} {
		b := []byte(`x}` + obj + `]`)
		if got := flatStrings(b, 2, key); got != len(b)-1 {
			t.Errorf("flatStrings(%q) = %d, want %d", obj, got, len(b)-1)
		}
	}
}
