package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestMakeLettersFit: whatever the input, every message fits in an SQS
// message, holds only characters SQS accepts, and the parts together are
// the input byte for byte; lines are not cut when they fit in a part.
func TestMakeLettersFit(t *testing.T) {
	line := strings.Repeat("2 123456789012 eni-0a1b2c3d4e5f67890 10.0.1.23 52.94.133.131 49152 443 6 12 2345 1718000040 1718000095 ACCEPT OK", 1) + "\n"
	tests := []struct {
		name, data string
		wantParts  int
		wholeLines bool
	}{
		{"empty", "", 1, false},
		{"one line", line, 1, true},
		{"many lines", strings.Repeat(line, 6000), 3, true},
		{"one 1000 KiB line", strings.Repeat("x", MaxRecordBytes-1) + "\n", 4, false},
		{"control characters (6 bytes each in JSON)", strings.Repeat("\x01", 200<<10), 5, false},
		{"quotes and backslashes", strings.Repeat(`"\`, 150<<10), 3, false},
		{"multi-byte runes", strings.Repeat("é€😀", 100<<10), 4, false},
		{"invalid UTF-8", strings.Repeat("caf\xe9\n", 100<<10), 3, false},
		{"U+FFFF", strings.Repeat("\uffff", 1000), 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bodies, err := makeLetters(DeadLetter{Reason: ReasonNotFlowLog, Detail: "d", LogGroup: "g", LogStream: "s"}, tc.data, 0)
			if err != nil {
				t.Fatal(err)
			}
			var letters []DeadLetter
			for i, b := range bodies {
				if len(b) > MaxDeadLetterBytes || !validSQSText(b) {
					t.Fatalf("body %d: %d bytes, valid %v", i, len(b), validSQSText(b))
				}
				var l DeadLetter
				if err := json.Unmarshal([]byte(b), &l); err != nil {
					t.Fatal(err)
				}
				if i < len(bodies)-1 && len(b) < MaxDeadLetterBytes*9/10 {
					t.Errorf("body %d of %d is only %d bytes: parts must use the space", i, len(bodies), len(b))
				}
				if tc.wholeLines && !strings.HasSuffix(l.Data, "\n") {
					t.Errorf("part %d cuts a line", l.Part)
				}
				letters = append(letters, l)
			}
			if len(bodies) != tc.wantParts {
				t.Errorf("%d parts, want %d", len(bodies), tc.wantParts)
			}
			if got := reassemble(t, letters)[ReasonNotFlowLog]; len(got) != 1 || got[0] != tc.data {
				t.Fatalf("reassembled input differs")
			}
			wantEnc := EncodingText
			if !utf8.ValidString(tc.data) || strings.ContainsRune(tc.data, '\uffff') {
				wantEnc = EncodingBase64
			}
			if letters[0].Encoding != wantEnc {
				t.Errorf("encoding %q, want %q", letters[0].Encoding, wantEnc)
			}
		})
	}
}

// TestMakeLettersCapsDetail: a parse error quoting a 250 KB value does not
// make the letter too big: the detail is cut with a marker and the line
// itself is kept whole in the data.
func TestMakeLettersCapsDetail(t *testing.T) {
	value := strings.Repeat("v", 250<<10)
	bodies, err := makeLetters(DeadLetter{
		Reason: ReasonNotFlowLog, Detail: `event 1: invalid srcport "` + value + `"`,
		LogGroup: strings.Repeat("g", 5000), LogStream: "s\xff",
	}, value+"\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	var letters []DeadLetter
	for _, b := range bodies {
		if len(b) > MaxDeadLetterBytes {
			t.Fatalf("%d bytes", len(b))
		}
		var l DeadLetter
		json.Unmarshal([]byte(b), &l)
		letters = append(letters, l)
	}
	l := letters[0]
	if len(l.Detail) > MaxDetailBytes || !strings.HasSuffix(l.Detail, TruncatedMarker) || !strings.HasSuffix(l.LogGroup, TruncatedMarker) || l.LogStream != "s\uFFFD" {
		t.Errorf("detail %d bytes, group %d bytes, stream %q", len(l.Detail), len(l.LogGroup), l.LogStream)
	}
	if got := reassemble(t, letters)[ReasonNotFlowLog]; got[0] != value+"\n" {
		t.Error("line not recoverable")
	}
	if letters[0].ID != letters[len(letters)-1].ID || letters[0].ID == "" {
		t.Error("parts do not share an id")
	}
}

// TestMakeLettersSmallLimit: the split works for any limit that leaves room
// for data, and refuses one that does not.
func TestMakeLettersSmallLimit(t *testing.T) {
	data := strings.Repeat("ab\ncd€\x02\n", 500)
	for _, limit := range []int{600, 601, 777, 1024} {
		bodies, err := makeLetters(DeadLetter{Reason: ReasonOversize}, data, limit)
		if err != nil {
			t.Fatal(err)
		}
		var letters []DeadLetter
		for _, b := range bodies {
			if len(b) > limit {
				t.Fatalf("limit %d: body of %d bytes", limit, len(b))
			}
			var l DeadLetter
			json.Unmarshal([]byte(b), &l)
			letters = append(letters, l)
		}
		if reassemble(t, letters)[ReasonOversize][0] != data {
			t.Fatalf("limit %d: input not recovered", limit)
		}
	}
	if _, err := makeLetters(DeadLetter{Reason: ReasonOversize, Detail: strings.Repeat("d", 300)}, data, 200); err == nil {
		t.Error("no error for a limit the header alone exceeds")
	}
	// base64 parts decode on their own.
	bodies, _ := makeLetters(DeadLetter{Reason: ReasonOversize}, strings.Repeat("\xff", 3000), 700)
	for _, b := range bodies {
		var l DeadLetter
		json.Unmarshal([]byte(b), &l)
		if _, err := base64.StdEncoding.DecodeString(l.Data); err != nil || l.Encoding != EncodingBase64 {
			t.Fatalf("part %d: %v", l.Part, err)
		}
	}
}

// dlqEnv is a DeadLetterQueue on a fakeSQS with the fake clock.
func dlqEnv(t *testing.T, script func(n int, bodies []string) sqsOutcome) (*DeadLetterQueue, *fakeSQS, *fakeClock) {
	f := &fakeSQS{script: script}
	client := f.start(t)
	clock := newFakeClock()
	s := testSender(acceptAll{}, clock)
	s.Config.MaxAttempts = 4
	return &DeadLetterQueue{API: client, QueueURL: testQueueURL, Sender: s}, f, clock
}

func bodiesOf(t *testing.T, n int) []string {
	var out []string
	for i := range n {
		b, err := makeLetters(DeadLetter{Reason: ReasonOversize, Detail: strings.Repeat("x", i)}, strings.Repeat("y", 60<<10), 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

func TestDeadLetterQueueBatches(t *testing.T) {
	q, f, _ := dlqEnv(t, nil)
	small := make([]string, 23)
	for i := range small {
		small[i] = `{"n":` + strings.Repeat("1", i+1) + `}`
	}
	if err := q.Write(context.Background(), append(small, bodiesOf(t, 5)...)); err != nil {
		t.Fatal(err)
	}
	// Ten messages a call, and 256 KiB: 10, 10, 3 small + 4 of 60 KiB, 1.
	if f.calls != 4 || len(f.violations) != 0 {
		t.Errorf("%d calls, violations %v", f.calls, f.violations)
	}
	if len(f.messages) != 28 {
		t.Errorf("%d messages stored", len(f.messages))
	}
}

func TestDeadLetterQueueRetries(t *testing.T) {
	t.Run("entries failed by SQS are retried", func(t *testing.T) {
		q, f, clock := dlqEnv(t, func(n int, bodies []string) sqsOutcome {
			if n < 2 {
				return sqsOutcome{fail: func(i int) (string, bool) {
					if i%2 == 0 {
						return "InternalError", false
					}
					return "", false
				}}
			}
			return sqsOutcome{}
		})
		if err := q.Write(context.Background(), bodiesOf(t, 3)); err != nil {
			t.Fatal(err)
		}
		if len(f.messages) != 3 || len(clock.Sleeps()) == 0 {
			t.Errorf("%d messages, sleeps %v", len(f.messages), clock.Sleeps())
		}
	})
	t.Run("5xx and resets are retried", func(t *testing.T) {
		q, f, _ := dlqEnv(t, func(n int, _ []string) sqsOutcome {
			if n == 0 {
				return sqsOutcome{status: http.StatusInternalServerError, errType: "com.amazonaws.sqs#InternalError"}
			}
			return sqsOutcome{}
		})
		if err := q.Write(context.Background(), bodiesOf(t, 1)); err != nil || len(f.messages) != 1 {
			t.Fatalf("err %v, %d messages", err, len(f.messages))
		}
	})
	t.Run("sender fault is an error", func(t *testing.T) {
		q, _, _ := dlqEnv(t, func(int, []string) sqsOutcome {
			return sqsOutcome{fail: func(int) (string, bool) { return "InvalidMessageContents", true }}
		})
		err := q.Write(context.Background(), bodiesOf(t, 2))
		if !errors.Is(err, errDeadLetter) || !strings.Contains(err.Error(), "InvalidMessageContents") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("access denied is not retried", func(t *testing.T) {
		q, f, clock := dlqEnv(t, func(int, []string) sqsOutcome {
			return sqsOutcome{status: http.StatusBadRequest, errType: "com.amazonaws.sqs#KmsAccessDenied"}
		})
		err := q.Write(context.Background(), bodiesOf(t, 1))
		if !errors.Is(err, errDeadLetter) || f.calls != 1 || len(clock.Sleeps()) != 0 {
			t.Fatalf("err = %v, %d calls", err, f.calls)
		}
	})
	t.Run("retries spent", func(t *testing.T) {
		q, f, _ := dlqEnv(t, func(int, []string) sqsOutcome {
			return sqsOutcome{status: http.StatusServiceUnavailable, errType: "com.amazonaws.sqs#ServiceUnavailable"}
		})
		if err := q.Write(context.Background(), bodiesOf(t, 1)); !errors.Is(err, errDeadLetter) || f.calls != 4 {
			t.Fatalf("err = %v, %d calls", err, f.calls)
		}
	})
}
