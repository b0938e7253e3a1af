package costs

import (
	"encoding/json"
	"os"
	"testing"
)

// The amounts and unit prices of the estimate's text, at the edges the
// formatting decides on: under half a cent a positive amount is "<$0.01",
// zero and half a cent are not; a unit price keeps every digit it has;
// counts say "1 key" but "3 keys"; volumes drop trailing zeros.
func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{usd(0), "$0.00"},
		{usd(0.004), "<$0.01"},
		{usd(0.005), "$0.01"},
		{usd(12.345), "$12.35"},
		{price(3), "$3.00"},
		{price(0.5), "$0.50"},
		{price(0.029), "$0.029"},
		{price(0.0000133334), "$0.0000133334"},
		{plural(1, "key", "keys"), "1 key"},
		{plural(3, "key", "keys"), "3 keys"},
		{plural(0, "key", "keys"), "0 keys"},
		{gb(150), "150 GB"},
		{gb(0.5), "0.5 GB"},
		{gb(1.25), "1.25 GB"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// packedBilledFactor: records of up to 1,000 KiB, each rounded up on its
// own. With Firehose's 5 KB increment (which divides 1,000 KiB) that is
// the batch rounded up; with an increment that does not divide it, each
// full record's rounding counts. No batch or no increment bills as is.
func TestPackedBilledFactor(t *testing.T) {
	for _, c := range []struct {
		batch, inc, want float64
	}{
		{0, 5120, 1},
		{-1, 5120, 1},
		{1000, 0, 1},
		{2 * 1024000, 5120, 1},
		{2097152, 5120, (2*1024000.0 + 51200) / 2097152},
		// 2 full records of 342 x 3,000 B each and 1 B billed as 3,000 B.
		{2*1024000 + 1, 3000, (2*342*3000.0 + 3000) / (2*1024000 + 1)},
	} {
		if got := packedBilledFactor(c.batch, c.inc); !near(got, c.want) {
			t.Errorf("packedBilledFactor(%g, %g) = %v, want %v", c.batch, c.inc, got, c.want)
		}
	}
}

// ParsePrices at the edges of what it accepts: no days or hours in a
// month is refused, a free tier (0 USD) is not, two tiers up to the same
// volume are refused, an assumption of 0 is refused.
func TestParsePricesEdges(t *testing.T) {
	b, err := os.ReadFile("prices.json")
	if err != nil {
		t.Fatal(err)
	}
	tier := func(doc map[string]any, i int) map[string]any {
		return doc["prices"].(map[string]any)["logs-vended-ingestion"].(map[string]any)["tiers"].([]any)[i].(map[string]any)
	}
	assumption := func(doc map[string]any) map[string]any {
		return doc["assumptions"].(map[string]any)[assumptionIDs[0]].(map[string]any)
	}
	for _, c := range []struct {
		name   string
		edit   func(doc map[string]any)
		accept bool
	}{
		{"as shipped", func(map[string]any) {}, true},
		{"no days a month", func(doc map[string]any) { doc["daysPerMonth"] = 0 }, false},
		{"no hours a month", func(doc map[string]any) { doc["hoursPerMonth"] = 0 }, false},
		{"a free tier", func(doc map[string]any) { tier(doc, 1)["usd"] = 0 }, true},
		{"a negative tier", func(doc map[string]any) { tier(doc, 1)["usd"] = -0.01 }, false},
		{"two tiers up to the same volume", func(doc map[string]any) { tier(doc, 1)["uptoGB"] = tier(doc, 0)["uptoGB"] }, false},
		{"an assumption low of 0", func(doc map[string]any) { assumption(doc)["low"] = 0 }, false},
		{"an assumption high of 0", func(doc map[string]any) { assumption(doc)["high"] = 0 }, false},
	} {
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		c.edit(doc)
		edited, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParsePrices(edited); (err == nil) != c.accept {
			t.Errorf("%s: err = %v, want accepted = %v", c.name, err, c.accept)
		}
	}
}
