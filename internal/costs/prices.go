// Package costs estimates the monthly cost of a stack from its mocked
// resource graph (internal/diagram over internal/mockaws) for a given
// volume of flow logs in GB per day. Every price and every assumption it
// uses is in prices.json, with the date the prices were read; the estimate
// is a low/high range per architecture, and the assumptions behind the two
// ends are printed with it.
package costs

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

//go:embed prices.json
var pricesJSON []byte

// PricesFile is where the price table lives, for messages.
const PricesFile = "internal/costs/prices.json"

// Prices is the price table: list prices of one region on one date, and the
// assumptions of the low and high estimates.
type Prices struct {
	Date          string                `json:"date"`
	Region        string                `json:"region"`
	Currency      string                `json:"currency"`
	Source        string                `json:"source"`
	DaysPerMonth  float64               `json:"daysPerMonth"`
	HoursPerMonth float64               `json:"hoursPerMonth"`
	Prices        map[string]Price      `json:"prices"`
	Assumptions   map[string]Assumption `json:"assumptions"`
}

// Price is one price: a flat USD per unit, tiers by monthly volume, or a
// price per instance type.
type Price struct {
	What         string             `json:"what"`
	Unit         string             `json:"unit"`
	USD          float64            `json:"usd,omitempty"`
	Tiers        []Tier             `json:"tiers,omitempty"`
	ByType       map[string]float64 `json:"byType,omitempty"`
	IncrementKB  float64            `json:"incrementKB,omitempty"`
	FreePerMonth float64            `json:"freePerMonth,omitempty"`
}

// Tier prices the monthly volume up to UpToGB (cumulative; 0 = no limit).
type Tier struct {
	UpToGB float64 `json:"uptoGB,omitempty"`
	USD    float64 `json:"usd"`
}

// Assumption is a quantity the prices do not fix, with the value the low
// and the high estimate use.
type Assumption struct {
	What string  `json:"what"`
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// The price and assumption ids the estimator reads; LoadPrices checks that
// the table has each of them.
var (
	priceIDs = []string{
		"logs-vended-ingestion", "logs-storage", "vended-delivery-s3", "vended-parquet-conversion",
		"vended-delivery-firehose", "s3-standard-storage", "athena-scan", "firehose-ingestion",
		"lambda-arm64-duration", "lambda-requests", "opensearch-instance", "opensearch-gp3-storage",
		"sns-email", "kms-key", "vpc-endpoint-interface", "ec2-instance", "cloudwatch-alarm",
		"cloudwatch-dashboard", "cloudwatch-custom-metric", "secretsmanager-secret", "contributor-insights-rule", "contributor-insights-events",
	}
	assumptionIDs = []string{
		"storedFractionLogs", "storedFractionParquet", "storedFractionGzip",
		"lambdaMBPerInvocation", "lambdaSecondsPerInvocation", "athenaQueriesPerDay", "recordBytes", "filteredMatchFraction", "alarmEmailsPerMonth",
	}
)

// LoadPrices reads the embedded price table and checks it.
func LoadPrices() (*Prices, error) { return ParsePrices(pricesJSON) }

// ParsePrices reads and checks a price table.
func ParsePrices(b []byte) (*Prices, error) {
	var p Prices
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s: %w", PricesFile, err)
	}
	if _, err := time.Parse(time.DateOnly, p.Date); err != nil {
		return nil, fmt.Errorf("%s: date %q is not YYYY-MM-DD", PricesFile, p.Date)
	}
	if p.Region == "" || p.Currency == "" || p.DaysPerMonth <= 0 || p.HoursPerMonth <= 0 {
		return nil, fmt.Errorf("%s: region, currency, daysPerMonth and hoursPerMonth are required", PricesFile)
	}
	for _, id := range priceIDs {
		pr, ok := p.Prices[id]
		if !ok {
			return nil, fmt.Errorf("%s: no price %q", PricesFile, id)
		}
		if pr.What == "" || pr.Unit == "" {
			return nil, fmt.Errorf("%s: price %q needs what and unit", PricesFile, id)
		}
		for i, t := range pr.Tiers {
			last := i == len(pr.Tiers)-1
			if t.USD < 0 || (last != (t.UpToGB == 0)) || (i > 0 && !last && t.UpToGB <= pr.Tiers[i-1].UpToGB) {
				return nil, fmt.Errorf("%s: price %q: tiers must ascend and only the last has no uptoGB", PricesFile, id)
			}
		}
	}
	for _, id := range assumptionIDs {
		a, ok := p.Assumptions[id]
		if !ok || a.What == "" || a.Low <= 0 || a.High <= 0 {
			return nil, fmt.Errorf("%s: assumption %q needs what, low and high (> 0)", PricesFile, id)
		}
	}
	return &p, nil
}

// Cost returns the cost of a volume at a price: tiered over the monthly
// volume when the price has tiers, flat otherwise.
func (p *Prices) Cost(id string, qty float64) float64 {
	pr := p.Prices[id]
	if len(pr.Tiers) == 0 {
		return qty * pr.USD
	}
	total, lower := 0.0, 0.0
	for _, t := range pr.Tiers {
		upper := t.UpToGB
		if upper == 0 {
			upper = math.Inf(1)
		}
		if qty > lower {
			total += (min(qty, upper) - lower) * t.USD
		}
		lower = upper
	}
	return total
}

// Rate is the first (highest) rate of a price: its flat USD or first tier.
func (p *Prices) Rate(id string) float64 {
	pr := p.Prices[id]
	if len(pr.Tiers) > 0 {
		return pr.Tiers[0].USD
	}
	return pr.USD
}

// TypeRate is the hourly price of an instance type, and whether the table has it.
func (p *Prices) TypeRate(id, instanceType string) (float64, bool) {
	v, ok := p.Prices[id].ByType[instanceType]
	return v, ok
}

// Types lists the instance types the table prices, sorted.
func (p *Prices) Types(id string) []string {
	var out []string
	for t := range p.Prices[id].ByType {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
