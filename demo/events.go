package demo

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/event"
)

// eventDays is how far back the demo's behaviour events go: a shop keeps
// raw clickstream for months, not years.
const eventDays = 120

// Events streams the behaviour events of the people Generate makes with
// the same options, to emit. People with an EC or app account browse:
// sessions of page and product views and searches, carts, some of them
// abandoned, and the sessions before their EC and app orders end in a
// checkout and a purchase. Each session begins anonymous and is tied to the
// customer by a sign-in (identify with the channel's member ID), as a
// shop's site would send it. App users open the app, and those who shop in
// a store are seen there by its geofence now and then.
func Events(opts Options, emit func(event.Event) error) error {
	now := Now(opts)
	return eachPerson(opts, func(person []Record) error { return personEvents(opts.Seed, now, person, emit) })
}

func personEvents(seed int64, now time.Time, records []Record, emit func(event.Event) error) error {
	var web, app, store *Record
	for i := range records {
		switch records[i].Channel {
		case "ec":
			web = &records[i]
		case "app":
			app = &records[i]
		case "store":
			store = &records[i]
		}
	}
	if web == nil && app == nil {
		return nil
	}
	// The person's orders, as Orders makes them, so that the sessions
	// before an EC or app purchase show its products.
	var bought []commerce.Order
	if err := personOrders(seed, now, records, func(o DemoOrder) error {
		if (o.Order.Channel == "ec" || o.Order.Channel == "app") && now.Sub(o.Order.PlacedAt) < eventDays*24*time.Hour {
			bought = append(bought, o.Order)
		}
		return nil
	}); err != nil {
		return err
	}
	h := fnv.New64a()
	h.Write([]byte("events:" + records[0].PersonID))
	r := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
	g := &sessionGen{r: r, emit: emit, person: records[0].PersonID, now: now}
	from := now.AddDate(0, 0, -eventDays)
	for _, o := range bought {
		rec := web
		if o.Channel == "app" {
			rec = app
		}
		// A session is at most about 45 minutes of steps before its order.
		if err := g.session(rec, o.PlacedAt.Add(-time.Duration(50+r.IntN(30))*time.Minute), &o); err != nil {
			return err
		}
	}
	// Browsing without buying: a few sessions a month for an engaged
	// visitor, none for most.
	for _, rec := range []*Record{web, app} {
		if rec == nil || r.Float64() < 0.45 {
			continue
		}
		perMonth := 0.5 + r.ExpFloat64()*1.5
		for t := from; ; {
			t = t.Add(time.Duration(r.ExpFloat64() / perMonth * 30 * 24 * float64(time.Hour)))
			if !t.Before(now) {
				break
			}
			if err := g.session(rec, t, nil); err != nil {
				return err
			}
		}
	}
	if app != nil && store != nil && r.Float64() < 0.5 {
		home := ""
		for _, rec := range records {
			if len(rec.Profile.Addresses) > 0 {
				home = storeByPrefecture[rec.Profile.Addresses[0].Prefecture]
				break
			}
		}
		if home == "" {
			home = "S001"
		}
		for range 1 + r.IntN(4) {
			t := from.Add(time.Duration(r.Int64N(int64(now.Sub(from)))))
			if err := g.emitOne(event.Event{Type: event.StoreVisit, At: t, Channel: "app", AnonymousID: g.device(app),
				Properties: map[string]any{"store": home, "method": "geofence"}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// sessionGen makes one person's sessions.
type sessionGen struct {
	r      *rand.Rand
	emit   func(event.Event) error
	person string
	now    time.Time // the data set's now: nothing happens after it
	n      int
}

func (g *sessionGen) device(rec *Record) string {
	return fmt.Sprintf("%s-%s", rec.Channel, rec.ExternalID)
}

func (g *sessionGen) emitOne(e event.Event) error {
	if e.At.After(g.now) {
		return nil
	}
	g.n++
	e.ID = fmt.Sprintf("demo-%s-%d", g.person, g.n)
	e.At = e.At.UTC().Truncate(time.Second)
	return g.emit(e)
}

// session is one visit: anonymous browsing, a sign-in, and, for an order,
// the cart and checkout that led to it.
func (g *sessionGen) session(rec *Record, at time.Time, o *commerce.Order) error {
	r := g.r
	dev := g.device(rec)
	sid := fmt.Sprintf("%s-s%d", dev, g.n)
	t := at
	next := func() time.Time { t = t.Add(time.Duration(20+r.IntN(150)) * time.Second); return t }
	ev := func(typ event.Type, props map[string]any) error {
		return g.emitOne(event.Event{Type: typ, At: next(), Channel: rec.Channel, AnonymousID: dev, SessionID: sid, Properties: props})
	}
	if rec.Channel == "app" {
		if err := ev(event.AppOpen, map[string]any{"platform": []string{"ios", "android"}[r.IntN(2)], "app_version": "4.2.1"}); err != nil {
			return err
		}
	} else if err := ev(event.PageView, map[string]any{"url": "https://shop.example.jp/", "title": "お茶と暮らしの絆屋 公式オンラインストア"}); err != nil {
		return err
	}
	if r.Float64() < 0.4 {
		q := []string{"緑茶", "ほうじ茶", "ギフト", "お歳暮", "湯呑み", "抹茶", "お菓子 詰め合わせ"}[r.IntN(7)]
		if err := ev(event.Search, map[string]any{"query": q, "results": 3 + r.IntN(30)}); err != nil {
			return err
		}
	}
	var skus []string
	if o != nil {
		for _, l := range o.Lines {
			skus = append(skus, l.SKU)
		}
	}
	for range 1 + r.IntN(4) {
		skus = append(skus, catalog[r.IntN(len(catalog))].sku)
	}
	for _, sku := range skus {
		if err := ev(event.ProductView, map[string]any{"sku": sku, "price": priceOf(sku)}); err != nil {
			return err
		}
	}
	// Signed in, at the latest to check out: the earlier events of the
	// session (and of the device before it) become the customer's.
	if o != nil || r.Float64() < 0.6 {
		if err := g.emitOne(event.Event{Type: event.Identify, At: next(), Channel: rec.Channel, AnonymousID: dev, SessionID: sid,
			Identity: &commerce.OrderCustomer{AccountID: rec.ExternalID}}); err != nil {
			return err
		}
	}
	if o == nil {
		// A cart left behind now and then: what abandoned-cart mail is for.
		if r.Float64() < 0.25 {
			if err := ev(event.AddToCart, map[string]any{"sku": skus[0], "quantity": 1, "price": priceOf(skus[0]), "cart_id": sid}); err != nil {
				return err
			}
		}
		return nil
	}
	var units int64
	value := o.ShippingFee
	for _, l := range o.Lines {
		units += l.Quantity
		value += l.Quantity*l.UnitPrice - l.Discount
		if err := ev(event.AddToCart, map[string]any{"sku": l.SKU, "quantity": l.Quantity, "price": l.UnitPrice, "cart_id": sid}); err != nil {
			return err
		}
	}
	if err := ev(event.CheckoutStarted, map[string]any{"cart_id": sid, "value": value, "items": units}); err != nil {
		return err
	}
	return g.emitOne(event.Event{Type: event.Purchase, At: o.PlacedAt, Channel: rec.Channel, AnonymousID: dev, SessionID: sid,
		Properties: map[string]any{"order_id": o.ExternalID, "value": value}})
}

func priceOf(sku string) int64 {
	for _, c := range catalog {
		if c.sku == sku {
			return c.price
		}
	}
	return 0
}
