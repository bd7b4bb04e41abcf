package demo

import (
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/commerce"
)

func TestOrdersLookLikeARetailersYear(t *testing.T) {
	var orders []DemoOrder
	collect := func(o DemoOrder) error { orders = append(orders, o); return nil }
	if err := Orders(Options{People: 3000, Seed: 7}, collect); err != nil {
		t.Fatal(err)
	}
	first := orders
	orders = nil
	if err := Orders(Options{People: 3000, Seed: 7}, collect); err != nil {
		t.Fatal(err)
	}
	if len(first) != len(orders) || len(orders) < 3000 {
		t.Fatalf("%d then %d orders for 3,000 people", len(first), len(orders))
	}
	for i := range orders {
		if first[i].Order.ExternalID != orders[i].Order.ExternalID || first[i].Order.PlacedAt != orders[i].Order.PlacedAt {
			t.Fatalf("order %d differs between runs with one seed", i)
		}
	}
	byMonth := map[time.Month]int{}
	returned, cancelled := 0, 0
	buyers := map[string][]time.Time{} // channel account → purchase times
	seen := map[string]bool{}
	for _, o := range orders {
		ref := o.Order.Channel + "/" + o.Order.ExternalID
		if seen[ref] {
			t.Fatalf("order number %s twice", ref)
		}
		seen[ref] = true
		if o.Order.PlacedAt.After(defaultStart) {
			t.Fatalf("order %s placed after the data set's now", ref)
		}
		if y := o.Order.PlacedAt.In(jst).Year(); y == 2025 {
			byMonth[o.Order.PlacedAt.In(jst).Month()]++
		}
		if o.Return != nil {
			returned++
		}
		if o.Order.Status == commerce.OrderCancelled {
			cancelled++
		}
		buyers[o.Order.Customer.AccountID] = append(buyers[o.Order.Customer.AccountID], o.Order.PlacedAt)
	}
	if rate := float64(returned) / float64(len(orders)); rate < 0.015 || rate > 0.045 {
		t.Errorf("%.1f %% of orders returned, want about 3 %%", 100*rate)
	}
	if rate := float64(cancelled) / float64(len(orders)); rate < 0.01 || rate > 0.03 {
		t.Errorf("%.1f %% of orders cancelled, want about 2 %%", 100*rate)
	}
	spring := float64(byMonth[time.April]+byMonth[time.May]+byMonth[time.June]) / 3
	if float64(byMonth[time.December]) < 1.4*spring || float64(byMonth[time.July]) < 1.1*spring {
		t.Errorf("2025 by month %v: December and July (the gift seasons) should sell more than spring (%.0f a month)", byMonth, spring)
	}
	// Buy till you die: some buy often, many once; some who bought stopped.
	once, often, lapsed := 0, 0, 0
	for _, ts := range buyers {
		switch {
		case len(ts) == 1:
			once++
		case len(ts) >= 8:
			often++
		}
		if len(ts) >= 3 && defaultStart.Sub(ts[len(ts)-1]) > 365*24*time.Hour {
			lapsed++
		}
	}
	if once == 0 || often == 0 || lapsed == 0 || once < often {
		t.Errorf("accounts buying once %d, 8+ times %d, lapsed after 3+ purchases %d", once, often, lapsed)
	}
}
