package demo

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna/commerce"
)

// DemoOrder is an order of the demo data, with the return (if any) that
// follows its delivery.
type DemoOrder struct {
	Order  commerce.Order
	Return *commerce.Return // nil for most orders (about 3 % are returned in part or whole)
}

// Orders streams the orders of the people Generate makes with the same
// options, person by person, to emit. Purchases follow a buy-till-you-die
// pattern (Pareto/NBD): each person buys at a rate of their own, and after
// each purchase may quietly stop buying for good. December, the summer
// gift season (お中元, July) and the winter one (お歳暮, December) sell
// more, and gift sets then. Each purchase goes through one of the
// person's channels and names the person by that channel's member ID.
func Orders(opts Options, emit func(DemoOrder) error) error {
	now := Now(opts)
	return eachPerson(opts, func(person []Record) error { return personOrders(opts.Seed, now, person, emit) })
}

// eachPerson streams the people Generate makes, each with all their
// records, to fn.
func eachPerson(opts Options, fn func(person []Record) error) error {
	var person []Record
	flush := func() error {
		if len(person) == 0 {
			return nil
		}
		err := fn(person)
		person = person[:0]
		return err
	}
	err := Generate(opts, func(r Record) error {
		if len(person) > 0 && person[0].PersonID != r.PersonID {
			if err := flush(); err != nil {
				return err
			}
		}
		person = append(person, r)
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// Channels that take orders, and what a purchase there looks like.
var orderChannels = map[string]struct {
	weight   float64 // how much of a person's buying goes through it
	shipping int64   // fee under the free-shipping threshold
	store    string  // the location of a counter sale ("" for distance selling)
	pay      []string
}{
	"store":      {3, 0, "", []string{"cash", "credit_card", "e_money", "qr"}},
	"dept":       {1.2, 0, "D001", []string{"credit_card", "cash"}},
	"ec":         {2.5, 550, "", []string{"credit_card", "convenience_store", "cash_on_delivery"}},
	"app":        {2, 550, "", []string{"credit_card", "qr"}},
	"catalog":    {1, 660, "", []string{"invoice"}},
	"callcenter": {0.5, 660, "", []string{"invoice", "cash_on_delivery"}},
	"rakuten":    {1.5, 550, "", []string{"credit_card"}},
	"yahoo":      {1, 550, "", []string{"credit_card"}},
	"amazon":     {1.5, 0, "", []string{"credit_card"}},
}

// storeByPrefecture is the own store a person living there goes to.
var storeByPrefecture = map[string]string{"東京都": "S001", "埼玉県": "S001", "千葉県": "S001", "大阪府": "S002", "京都府": "S002", "兵庫県": "S002",
	"愛知県": "S003", "岐阜県": "S003", "神奈川県": "S004", "福岡県": "S005", "北海道": "S006"}

func personOrders(seed int64, now time.Time, records []Record, emit func(DemoOrder) error) error {
	h := fnv.New64a()
	h.Write([]byte(records[0].PersonID))
	r := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	var usable []Record
	for _, rec := range records {
		if _, ok := orderChannels[rec.Channel]; ok {
			usable = append(usable, rec)
		}
	}
	if len(usable) == 0 {
		return nil
	}
	// Pareto/NBD: a purchase rate from a gamma distribution (most people
	// buy a few times a year, a few every other week) and a chance of
	// dropping out after each purchase from a beta distribution.
	perYear := gamma(r, 0.9, 3.2)
	dropout := beta(r, 1.2, 9)
	from := usable[0].ObservedAt // the person's first record: when they became a customer
	home := ""
	for _, rec := range records {
		if len(rec.Profile.Addresses) > 0 && home == "" {
			home = rec.Profile.Addresses[0].Prefecture
		}
	}
	t := from
	for n := 0; ; n++ {
		if n > 0 && r.Float64() < dropout {
			return nil // quietly stopped buying
		}
		// The next purchase: exponential gaps, thinned by the season.
		for {
			gap := r.ExpFloat64() / perYear * 365 * 24 // hours
			if gap >= now.Sub(t).Hours() {
				return nil
			}
			t = t.Add(time.Duration(gap * float64(time.Hour)))
			if r.Float64()*1.8 < seasonWeight(t) {
				break
			}
		}
		rec := pickRecord(r, usable)
		o := demoOrder(r, rec, home, t, now, n)
		if err := emit(o); err != nil {
			return err
		}
	}
}

// seasonWeight is how busy a day is, 1 for an ordinary day: December
// (お歳暮 and the year-end), July (お中元), the January sales; quieter in
// February.
func seasonWeight(t time.Time) float64 {
	switch t.In(jst).Month() {
	case time.December:
		return 1.8
	case time.July:
		return 1.4
	case time.January:
		return 1.2
	case time.February:
		return 0.8
	}
	return 1
}

func pickRecord(r *rand.Rand, recs []Record) Record {
	total := 0.0
	for _, rec := range recs {
		total += orderChannels[rec.Channel].weight
	}
	x := r.Float64() * total
	for _, rec := range recs {
		if x -= orderChannels[rec.Channel].weight; x < 0 {
			return rec
		}
	}
	return recs[len(recs)-1]
}

func demoOrder(r *rand.Rand, rec Record, home string, at, now time.Time, n int) DemoOrder {
	ch := orderChannels[rec.Channel]
	o := commerce.Order{Channel: rec.Channel, ExternalID: orderNumber(rec, at, n), PlacedAt: at.UTC().Truncate(time.Second),
		Customer: commerce.OrderCustomer{AccountID: rec.ExternalID}, Store: ch.store}
	if rec.Channel == "store" {
		o.Store = storeByPrefecture[home]
		if o.Store == "" {
			o.Store = []string{"S001", "S002", "S004"}[r.IntN(3)]
		}
	}
	o.Lines = basket(r, at)
	var sum int64
	for _, l := range o.Lines {
		sum += l.Quantity*l.UnitPrice - l.Discount
	}
	if ch.shipping > 0 && sum < 5000 {
		o.ShippingFee = ch.shipping
	}
	age := now.Sub(at)
	distance := ch.store == "" && rec.Channel != "store"
	switch {
	case r.Float64() < 0.02 && age > 72*time.Hour:
		o.Status = commerce.OrderCancelled
	case !distance:
		o.Status = commerce.OrderDelivered // handed over at the counter
	case age > 5*24*time.Hour:
		o.Status = commerce.OrderDelivered
	case age > 24*time.Hour:
		o.Status = commerce.OrderShipped
	default:
		o.Status = commerce.OrderPaid
	}
	total := sum + o.ShippingFee
	method := ch.pay[r.IntN(len(ch.pay))]
	if o.Status != commerce.OrderCancelled {
		o.Payments = []commerce.Payment{{Method: method, Amount: total}}
	}
	if distance && (o.Status == commerce.OrderShipped || o.Status == commerce.OrderDelivered) {
		shipped := at.Add(time.Duration(18+r.IntN(30)) * time.Hour).UTC().Truncate(time.Second)
		s := commerce.Shipment{ID: "P" + o.ExternalID, Carrier: []string{"yamato", "sagawa", "japanpost"}[r.IntN(3)],
			TrackingNumber: fmt.Sprintf("%04d-%04d-%04d", r.IntN(10000), r.IntN(10000), r.IntN(10000)), ShippedAt: shipped}
		if o.Status == commerce.OrderDelivered {
			d := shipped.Add(time.Duration(20+r.IntN(50)) * time.Hour)
			s.DeliveredAt = &d
		}
		o.Shipments = []commerce.Shipment{s}
	}
	if method == "invoice" && o.Status != commerce.OrderCancelled {
		due := at.In(jst).AddDate(0, 0, 14)
		b := commerce.Billing{Status: commerce.BillingBilled, Amount: total, BilledAt: at.UTC().Truncate(time.Second), DueDate: due.Format(time.DateOnly)}
		if now.Sub(due) > 0 && r.Float64() < 0.95 { // a few invoices stay unpaid: overdue
			paid := due.Add(-time.Duration(r.IntN(10*24)) * time.Hour).UTC().Truncate(time.Second)
			b.Status, b.PaidAt = commerce.BillingPaid, &paid
		}
		o.Billing = &b
	}
	out := DemoOrder{Order: o}
	if o.Status == commerce.OrderDelivered && r.Float64() < 0.03 {
		line := o.Lines[r.IntN(len(o.Lines))]
		qty := 1 + r.Int64N(line.Quantity)
		out.Return = &commerce.Return{ID: "R" + o.ExternalID, Lines: []commerce.ReturnLine{{Line: line.Line, Quantity: qty}},
			Reason: []string{"サイズ違い", "イメージ違い", "破損", "誤配送", "品質不良"}[r.IntN(5)], At: at.Add(time.Duration(4+r.IntN(10)) * 24 * time.Hour).UTC()}
		if !out.Return.At.Before(now) {
			out.Return = nil
		}
	}
	return out
}

// orderNumber is the channel's order number: a POS receipt number, an EC
// order number, a marketplace's.
func orderNumber(rec Record, at time.Time, n int) string {
	d := at.In(jst).Format("20060102")
	switch rec.Channel {
	case "store", "dept":
		return fmt.Sprintf("R%s-%s-%03d", d, rec.ExternalID, n)
	case "rakuten":
		return fmt.Sprintf("%s-%s-%03d", d, rec.ExternalID, n)
	case "amazon":
		return fmt.Sprintf("250-%s-%03d", rec.ExternalID, n)
	}
	return fmt.Sprintf("%s%s-%03d", rec.Channel[:2], rec.ExternalID, n)
}

// basket is a purchase of 1–4 products: mostly everyday tea, sweets and
// household goods, gift sets in their season.
func basket(r *rand.Rand, at time.Time) []commerce.OrderLine {
	month := at.In(jst).Month()
	var lines []commerce.OrderLine
	k := 1 + int(math.Min(3, r.ExpFloat64()*0.9))
	for len(lines) < k {
		var c = catalog[r.IntN(len(catalog))]
		gift := strings.HasPrefix(c.category, "ギフト")
		inSeason := (month == time.July && strings.HasPrefix(c.sku, "GFT-CHU")) || (month == time.December && strings.HasPrefix(c.sku, "GFT-SEI"))
		if gift && !inSeason && !strings.HasPrefix(c.sku, "GFT-TOW") {
			continue // no お中元 in winter
		}
		if (month == time.July || month == time.December) && len(lines) == 0 && r.Float64() < 0.35 {
			// the season's gift set leads many baskets
			for _, g := range catalog {
				if (month == time.July && strings.HasPrefix(g.sku, "GFT-CHU")) || (month == time.December && strings.HasPrefix(g.sku, "GFT-SEI")) {
					c = g
					break
				}
			}
		}
		gift = strings.HasPrefix(c.category, "ギフト")
		if slices.ContainsFunc(lines, func(l commerce.OrderLine) bool { return l.SKU == c.sku }) {
			continue
		}
		qty := int64(1)
		if c.repurchase > 0 && r.Float64() < 0.3 {
			qty = 2
		}
		if gift && r.Float64() < 0.3 {
			qty = 2 + r.Int64N(4) // gifts go to several people
		}
		rate := commerce.TaxStandard
		if c.reduced {
			rate = commerce.TaxReduced
		}
		l := commerce.OrderLine{Line: len(lines) + 1, SKU: c.sku, Name: c.name, Quantity: qty, UnitPrice: c.price, TaxRate: rate}
		if r.Float64() < 0.1 { // a coupon
			l.Discount = qty * c.price / 10
		}
		lines = append(lines, l)
	}
	return lines
}

// gamma draws from a gamma distribution (Marsaglia and Tsang).
func gamma(r *rand.Rand, shape, scale float64) float64 {
	if shape < 1 {
		return gamma(r, shape+1, scale) * math.Pow(r.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v * scale
		}
	}
}

// beta draws from a beta distribution.
func beta(r *rand.Rand, a, b float64) float64 {
	x := gamma(r, a, 1)
	return x / (x + gamma(r, b, 1))
}
