package commerce_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

var placed = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

// people ingests source records and returns the customer ID of each.
func people(t *testing.T, ids *identity.Service, records ...[3]string) []string {
	t.Helper()
	var in []customer.SourceProfileInput
	for _, r := range records {
		in = append(in, customer.SourceProfileInput{Channel: r[0], ExternalID: r[1], Profile: json.RawMessage(r[2])})
	}
	res, err := ids.Ingest(context.Background(), kizuna.System("test"), nil, in)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(res))
	for i, r := range res {
		if r.Status == identity.ResultRejected {
			t.Fatalf("record %d rejected: %+v", i, r.Error)
		}
		out[i] = r.CustomerID
	}
	return out
}

func ecOrder(id string, who commerce.OrderCustomer) commerce.Order {
	return commerce.Order{Channel: "ec", ExternalID: id, Customer: who, PlacedAt: placed, ShippingFee: 550,
		Lines: []commerce.OrderLine{
			{SKU: "TEA-100", Quantity: 3, UnitPrice: 1080, TaxRate: 8},
			{SKU: "CUP-1", Quantity: 1, UnitPrice: 2200, Discount: 200, TaxRate: 10},
		},
		Payments: []commerce.Payment{{Method: "credit_card", Amount: 5290}}, PointsUsed: 500}
}

func upsert(t *testing.T, os *commerce.Orders, orders ...commerce.Order) []commerce.OrderResult {
	t.Helper()
	res, err := os.Upsert(context.Background(), kizuna.Actor{Type: "apikey", ID: "ec-site"}, nil, orders)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestOrderLifecycle(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		ids := identity.New(db, db)
		who := people(t, ids, [3]string{"ec", "E-1", `{"family_name":"佐藤","emails":["hanako@example.jp"],"member_cards":["2100-0000-0001"]}`})[0]
		orders := commerce.NewOrders(db)
		actor := kizuna.Actor{Type: "user", ID: "usr_staff"}

		res := upsert(t, orders, ecOrder("EC-1001", commerce.OrderCustomer{Email: "Hanako@Example.JP"}))
		if res[0].Status != commerce.OrderCreated || res[0].CustomerID != who || res[0].OrderStatus != "placed" {
			t.Fatalf("create: %+v", res[0])
		}
		o, err := orders.Order(ctx, res[0].OrderID)
		if err != nil {
			t.Fatal(err)
		}
		// 3×1080 + 2200−200 + 550 shipping; tax per rate: 3240×8/108 =
		// 240, (2000 + the shipping fee 550)×10/110 = 231.8 → 231.
		if o.Total != 5790 || o.Tax != 240+231 || o.Lines[1].Amount != 2000 || o.Customer.Email != "hanako@example.jp" || len(o.History) != 1 {
			t.Fatalf("amounts: total %d tax %d lines %+v history %+v", o.Total, o.Tax, o.Lines, o.History)
		}
		if got := fmt.Sprint(o.TaxByRate); got != "[{10 2550 231} {8 3240 240}]" {
			t.Errorf("tax by rate %s", got)
		}

		// The same order again changes nothing; the channel's next status updates it.
		if res := upsert(t, orders, ecOrder("EC-1001", commerce.OrderCustomer{Email: "hanako@example.jp"})); res[0].Status != commerce.OrderUnchanged || res[0].OrderID != o.ID {
			t.Fatalf("resend: %+v", res[0])
		}
		paid := ecOrder("EC-1001", commerce.OrderCustomer{Email: "hanako@example.jp"})
		paid.Status = commerce.OrderPaid
		if res := upsert(t, orders, paid); res[0].Status != commerce.OrderUpdated || res[0].OrderStatus != "paid" {
			t.Fatalf("paid: %+v", res[0])
		}
		// Backwards is a conflict that names the current status.
		back := ecOrder("EC-1001", commerce.OrderCustomer{Email: "hanako@example.jp"})
		if res := upsert(t, orders, back); res[0].Status != commerce.OrderRejected || res[0].CurrentStatus != "paid" || res[0].Field != "status" {
			t.Fatalf("backwards: %+v", res[0])
		}

		// Shipped, then cancelling is refused with the current status.
		if _, err := orders.AddShipment(ctx, actor, o.ID, commerce.Shipment{ID: "123456789012", Carrier: "yamato", TrackingNumber: "1234-5678-9012", ShippedAt: placed.Add(24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		_, err = orders.SetStatus(ctx, actor, o.ID, commerce.OrderCancelled, "顧客都合")
		if kizuna.ErrorCode(err) != kizuna.ECONFLICT || kizuna.ErrorCurrent(err) != "shipped" {
			t.Fatalf("cancel after shipping: %v (current %q)", err, kizuna.ErrorCurrent(err))
		}
		delivered := placed.Add(48 * time.Hour)
		if o, err = orders.AddShipment(ctx, actor, o.ID, commerce.Shipment{ID: "123456789012", Carrier: "yamato", TrackingNumber: "1234-5678-9012", ShippedAt: placed.Add(24 * time.Hour), DeliveredAt: &delivered}); err != nil || o.Status != commerce.OrderDelivered || len(o.Shipments) != 1 {
			t.Fatalf("delivered: %v %+v", err, o)
		}

		// Two of the three teas come back: 3240 × 2/3 = 2160.
		o, repeated, err := orders.AddReturn(ctx, actor, o.ID, commerce.Return{ID: "RT-1", Lines: []commerce.ReturnLine{{Line: 1, Quantity: 2}}, Reason: "破損"})
		if err != nil || repeated || o.Status != commerce.OrderDelivered || o.Returns[0].Refund != 2160 || o.Lines[0].Returned != 2 {
			t.Fatalf("partial return: %v %v %+v", err, repeated, o)
		}
		// The same return again is recognised, not applied twice.
		o, repeated, err = orders.AddReturn(ctx, actor, o.ID, commerce.Return{ID: "RT-1", Lines: []commerce.ReturnLine{{Line: 1, Quantity: 2}}})
		if err != nil || !repeated || len(o.Returns) != 1 || o.Lines[0].Returned != 2 {
			t.Fatalf("repeated return: %v %v %+v", err, repeated, o)
		}
		// More than is left cannot come back.
		if _, _, err := orders.AddReturn(ctx, actor, o.ID, commerce.Return{ID: "RT-2", Lines: []commerce.ReturnLine{{Line: 1, Quantity: 2}}}); kizuna.ErrorField(err) != "lines[0].quantity" {
			t.Fatalf("over-return: %v", err)
		}
		// The rest comes back: the last tea refunds the remainder, and the order is returned.
		o, _, err = orders.AddReturn(ctx, actor, o.ID, commerce.Return{ID: "RT-3", Lines: []commerce.ReturnLine{{Line: 1, Quantity: 1}, {Line: 2, Quantity: 1}}})
		if err != nil || o.Status != commerce.OrderReturned || o.Returns[1].Refund != 1080+2000 || o.NetTotal() != 550 {
			t.Fatalf("full return: %v %+v", err, o)
		}
		// A channel resending the order as delivered now conflicts.
		again := ecOrder("EC-1001", commerce.OrderCustomer{Email: "hanako@example.jp"})
		again.Status = commerce.OrderDelivered
		if res := upsert(t, orders, again); res[0].Status != commerce.OrderRejected || res[0].CurrentStatus != "returned" {
			t.Fatalf("resend after return: %+v", res[0])
		}
		got, err := orders.Order(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		var steps []commerce.OrderStatus
		for _, h := range got.History {
			steps = append(steps, h.Status)
		}
		if fmt.Sprint(steps) != "[placed paid shipped delivered returned]" || got.Version != o.Version {
			t.Fatalf("history %v, version %d (want %d)", steps, got.Version, o.Version)
		}
		list, err := orders.List(ctx, commerce.OrderQuery{CustomerID: who})
		if err != nil || len(list) != 1 || list[0].ID != o.ID {
			t.Fatalf("customer's orders: %v %+v", err, list)
		}
	})
}

func TestOrderStatusRules(t *testing.T) {
	for _, c := range []struct {
		from, to commerce.OrderStatus
		ok       bool
	}{
		{"placed", "paid", true}, {"placed", "delivered", true}, {"paid", "placed", false},
		{"paid", "cancelled", true}, {"shipped", "cancelled", false}, {"delivered", "shipped", false},
		{"delivered", "returned", true}, {"placed", "returned", false}, {"cancelled", "paid", false},
		{"cancelled", "cancelled", true}, {"returned", "delivered", false},
	} {
		if got := c.from.CanBecome(c.to); got != c.ok {
			t.Errorf("%s → %s: %v, want %v", c.from, c.to, got, c.ok)
		}
	}
}

func TestOrderRejectionsKeepTheRest(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		orders := commerce.NewOrders(db)
		good := ecOrder("OK-1", commerce.OrderCustomer{})
		badTax := ecOrder("BAD-1", commerce.OrderCustomer{})
		badTax.Lines[1].TaxRate = 5
		badPay := ecOrder("BAD-2", commerce.OrderCustomer{})
		badPay.Payments[0].Amount = 100
		badStore := ecOrder("BAD-3", commerce.OrderCustomer{})
		badStore.Store = "S999"
		badCustomer := ecOrder("BAD-4", commerce.OrderCustomer{ID: "cus_nobody"})
		noNumber := ecOrder("", commerce.OrderCustomer{})
		badEmail := ecOrder("BAD-5", commerce.OrderCustomer{Email: "not-an-email"})
		res := upsert(t, orders, good, badTax, badPay, badStore, badCustomer, noNumber, badEmail)
		want := []string{"", "lines[1].tax_rate", "payments", "store", "customer.id", "external_id", "customer.email"}
		for i, w := range want {
			if (w == "") != (res[i].Status != commerce.OrderRejected) || res[i].Field != w || (w != "" && res[i].Reason == "") {
				t.Errorf("order %d: %+v, want field %q", i, res[i], w)
			}
		}
		if res[0].CustomerID != "" {
			t.Fatalf("an order without identifiers is a guest's: %+v", res[0])
		}
		if list, err := orders.List(context.Background(), commerce.OrderQuery{Guest: true}); err != nil || len(list) != 1 {
			t.Fatalf("stored: %v %d orders", err, len(list))
		}
	})
}

func TestGuestOrderAttachedWhenIdentityResolves(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		ids := identity.New(db, db)
		orders := commerce.NewOrders(db)
		// Two customers share the family's landline: it names nobody.
		family := people(t, ids,
			[3]string{"ec", "F-1", `{"family_name":"鈴木","given_name":"一郎","phones":["03-3123-4567"]}`},
			[3]string{"store", "F-2", `{"family_name":"鈴木","given_name":"花子","phones":["03-3123-4567"],"member_cards":["2100-0000-0777"]}`})
		if family[0] == family[1] {
			t.Fatal("a shared phone must not join two people")
		}
		res := upsert(t, orders,
			ecOrder("G-1", commerce.OrderCustomer{Email: "newcomer@example.jp", Phone: "090-1111-2222"}),
			ecOrder("G-2", commerce.OrderCustomer{Phone: "03-3123-4567"}),
			ecOrder("G-3", commerce.OrderCustomer{Phone: "03-3123-4567", MemberCard: "2100 0000 0777"}))
		if res[0].CustomerID != "" || res[1].CustomerID != "" {
			t.Fatalf("unknown and shared identifiers must leave guest orders: %+v %+v", res[0], res[1])
		}
		if res[2].CustomerID != family[1] {
			t.Fatalf("the card decides before the shared phone: %+v, want %s", res[2], family[1])
		}
		// The newcomer signs up: her guest order is attached as the record
		// is ingested (wired as cli/serve.go does); the family's stays a guest's.
		attached := 0
		ids.OnKeysAdded(func(ctx context.Context, keys []string) {
			n, err := orders.AttachGuests(ctx, kizuna.System("one-id"), keys)
			if err != nil {
				t.Error(err)
			}
			attached += n
		})
		joined := people(t, ids, [3]string{"app", "A-9", `{"family_name":"田中","emails":["newcomer@example.jp"]}`})[0]
		if attached != 1 {
			t.Fatalf("attached %d orders on ingest, want 1", attached)
		}
		o, err := orders.Order(ctx, res[0].OrderID)
		if err != nil || o.CustomerID != joined {
			t.Fatalf("attached order: %v %+v", err, o)
		}
		if n, err := orders.AttachGuests(ctx, kizuna.System("test"), nil); err != nil || n != 0 {
			t.Fatalf("the family order must stay a guest's: %d %v", n, err)
		}
		guests, err := orders.List(ctx, commerce.OrderQuery{Guest: true})
		if err != nil || len(guests) != 1 || guests[0].ExternalID != "G-2" {
			t.Fatalf("guests: %v %+v", err, guests)
		}
	})
}

func TestMergeMovesOrdersAndUnmergeBringsThemBack(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		ids := identity.New(db, db)
		orders := commerce.NewOrders(db)
		cs := people(t, ids,
			[3]string{"ec", "M-1", `{"family_name":"山田","emails":["yamada@example.jp"]}`},
			[3]string{"store", "M-2", `{"family_name":"山田","member_cards":["2100-0000-0999"]}`})
		res := upsert(t, orders, ecOrder("M-O1", commerce.OrderCustomer{Email: "yamada@example.jp"}), ecOrder("M-O2", commerce.OrderCustomer{MemberCard: "2100-0000-0999"}))
		if res[0].CustomerID != cs[0] || res[1].CustomerID != cs[1] {
			t.Fatalf("orders: %+v", res)
		}
		m, err := ids.Merge(ctx, kizuna.System("test"), cs[0], cs[1], "same person")
		if err != nil {
			t.Fatal(err)
		}
		if list, err := orders.List(ctx, commerce.OrderQuery{CustomerID: cs[0]}); err != nil || len(list) != 2 {
			t.Fatalf("after merge the survivor has both orders: %v %d", err, len(list))
		}
		// An order naming the merged customer by ID lands with the survivor.
		o := ecOrder("M-O3", commerce.OrderCustomer{ID: cs[1]})
		if res := upsert(t, orders, o); res[0].CustomerID != cs[0] {
			t.Fatalf("order for a merged customer: %+v", res[0])
		}
		if _, err := ids.Unmerge(ctx, kizuna.System("test"), m.ID); err != nil {
			t.Fatal(err)
		}
		back, err := orders.List(ctx, commerce.OrderQuery{CustomerID: cs[1]})
		if err != nil || len(back) != 1 || back[0].ExternalID != "M-O2" {
			t.Fatalf("after unmerge: %v %+v", err, back)
		}
	})
}

func TestRetriedOrdersNeverDouble(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		orders := commerce.NewOrders(db)
		batch := make([]commerce.Order, 200)
		for i := range batch {
			batch[i] = ecOrder(fmt.Sprintf("R-%03d", i), commerce.OrderCustomer{Email: fmt.Sprintf("r%d@example.jp", i)})
		}
		// Four clients send the same batch at once (a retry racing the original).
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for c := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := make([]commerce.Order, len(batch))
				for i, o := range batch {
					o.Lines = append([]commerce.OrderLine(nil), o.Lines...)
					o.Payments = append([]commerce.Payment(nil), o.Payments...)
					mine[i] = o
				}
				_, errs[c] = orders.Upsert(context.Background(), kizuna.System("test"), nil, mine)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		all, err := orders.List(context.Background(), commerce.OrderQuery{Limit: 1000})
		if err != nil || len(all) != 200 {
			t.Fatalf("%d orders stored (%v), want 200", len(all), err)
		}
	})
}

// An order's tax is rounded once per rate, as a qualified invoice states
// it, not line by line: three ¥103 teas at 8 % hold 7.63 yen of tax each,
// 21 yen rounded line by line but 22 yen (309 × 8 / 108 = 22.9) on the
// invoice. The order's discount comes off each rate's amount in
// proportion.
func TestTaxIsCountedPerRate(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		orders := commerce.NewOrders(db)
		o := commerce.Order{Channel: "store", ExternalID: "R-1", Status: commerce.OrderDelivered, PlacedAt: time.Date(2026, 4, 1, 3, 0, 0, 0, time.UTC),
			Lines: []commerce.OrderLine{
				{SKU: "TEA-1", Quantity: 1, UnitPrice: 103, TaxRate: 8}, {SKU: "TEA-2", Quantity: 1, UnitPrice: 103, TaxRate: 8},
				{SKU: "TEA-3", Quantity: 1, UnitPrice: 103, TaxRate: 8},
			}}
		res := upsert(t, orders, o)
		got, err := orders.Order(context.Background(), res[0].OrderID)
		if err != nil {
			t.Fatal(err)
		}
		var lineTax int64
		for _, l := range got.Lines {
			lineTax += l.Tax
		}
		if lineTax != 21 || got.Tax != 22 || fmt.Sprint(got.TaxByRate) != "[{8 309 22}]" {
			t.Errorf("tax %d by rate %v, lines %d; want 22 on the invoice", got.Tax, got.TaxByRate, lineTax)
		}
		// ¥1,000 off an order of ¥2,200 at 10 % and ¥1,080 at 8 %: the
		// discount is shared 2,200 : 1,080, so ¥670 comes off the 10 %
		// goods and ¥330 off the 8 % ones (cut at the running total).
		o = commerce.Order{Channel: "store", ExternalID: "R-2", Status: commerce.OrderDelivered, PlacedAt: o.PlacedAt, Discount: 1000,
			Lines: []commerce.OrderLine{{SKU: "CUP-1", Quantity: 1, UnitPrice: 2200, TaxRate: 10}, {SKU: "TEA-1", Quantity: 1, UnitPrice: 1080, TaxRate: 8}}}
		res = upsert(t, orders, o)
		got, err = orders.Order(context.Background(), res[0].OrderID)
		if err != nil {
			t.Fatal(err)
		}
		// 2200 − 670 = 1530 → 139 (139.09); 1080 − 330 = 750 → 55 (55.6).
		if fmt.Sprint(got.TaxByRate) != "[{10 1530 139} {8 750 55}]" || got.Tax != 194 || got.Total != 2280 {
			t.Errorf("a discounted order: tax %d by rate %v, total %d", got.Tax, got.TaxByRate, got.Total)
		}
	})
}

// An order stored before the tax was counted per rate (no tax_by_rate in
// its document, the lines' taxes summed) is unchanged when its channel
// sends it again as it was: its version stays, so its points are not
// settled again.
func TestAnOrderFromBeforeTaxByRateIsUnchanged(t *testing.T) {
	sqltest.EachRaw(t, func(t *testing.T, db *sqlstore.DB, raw *sql.DB, rebind func(string) string) {
		orders := commerce.NewOrders(db)
		o := ecOrder("EC-OLD", commerce.OrderCustomer{Email: "old@example.jp"})
		res := upsert(t, orders, o)
		var doc string
		if err := raw.QueryRow(rebind(`SELECT doc FROM orders WHERE id = ?`), res[0].OrderID).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(doc), &m); err != nil || m["tax_by_rate"] == nil {
			t.Fatalf("doc %s: %v", doc, err)
		}
		delete(m, "tax_by_rate")
		b, _ := json.Marshal(m)
		if _, err := raw.Exec(rebind(`UPDATE orders SET doc = ?, tax = 421 WHERE id = ?`), string(b), res[0].OrderID); err != nil {
			t.Fatal(err)
		}
		if again := upsert(t, orders, o); again[0].Status != commerce.OrderUnchanged {
			t.Errorf("the old order sent again: %+v, want unchanged", again[0])
		}
	})
}
