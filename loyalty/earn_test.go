package loyalty_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// Every earn rule of the program, on orders written out by hand: the base
// (tax-inclusive or not), the rounding of a fraction, channel rates,
// category multipliers (the longest path wins), campaigns by period and
// channel, discounts and points paid, ranks, returns and cancellations.
func TestEarnRules(t *testing.T) {
	dec := time.Date(2026, 12, 10, 3, 0, 0, 0, time.UTC)
	nov := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	ln := func(sku string, qty, amount int64, tax commerce.TaxRate) commerce.OrderLine {
		return commerce.OrderLine{SKU: sku, Quantity: qty, Amount: amount, UnitPrice: amount / qty, TaxRate: tax}
	}
	order := func(channel string, at time.Time, lines ...commerce.OrderLine) *commerce.Order {
		return &commerce.Order{Channel: channel, PlacedAt: at, Status: commerce.OrderDelivered, Lines: lines}
	}
	base := func(change func(*loyalty.Program)) *loyalty.Program {
		p := loyalty.DefaultProgram()
		p.Rate, p.Rounding, p.TaxExcluded = 1, commerce.RoundDown, false
		p.ChannelRates, p.CategoryMultipliers, p.Campaigns = nil, nil, nil
		if change != nil {
			change(&p)
		}
		return &p
	}
	cats := map[string]string{"SENCHA": "食品/日本茶/煎茶", "SNACK": "食品/菓子", "CUP": "雑貨/食器"}
	returned := order("store", nov, ln("CUP", 4, 10000, 10))
	returned.Lines[0].Returned = 1
	cancelled := order("store", nov, ln("CUP", 4, 10000, 10))
	cancelled.Status = commerce.OrderCancelled
	discounted := order("store", nov, ln("CUP", 4, 10000, 10))
	discounted.Discount, discounted.PointsUsed = 1000, 1000
	campaign := []loyalty.Campaign{{Name: "歳末ポイント3倍", From: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Multiplier: 3, Channels: []string{"store"}}}
	for _, c := range []struct {
		name string
		prog *loyalty.Program
		o    *commerce.Order
		rank float64
		want int64
	}{
		{"1 point per 100 yen, tax included", base(nil), order("store", nov, ln("CUP", 4, 10000, 10)), 1, 100},
		{"on the tax-excluded amount (9,090 yen)", base(func(p *loyalty.Program) { p.TaxExcluded = true }), order("store", nov, ln("CUP", 4, 10000, 10)), 1, 90},
		{"tax-excluded at the reduced rate (9,259 yen)", base(func(p *loyalty.Program) { p.TaxExcluded = true }), order("store", nov, ln("SENCHA", 1, 10000, 8)), 1, 92},
		{"a fraction rounded down", base(nil), order("store", nov, ln("CUP", 1, 199, 10)), 1, 1},
		{"a fraction rounded half up", base(func(p *loyalty.Program) { p.Rounding = commerce.RoundHalfUp }), order("store", nov, ln("CUP", 1, 150, 10)), 1, 2},
		{"half up below a half", base(func(p *loyalty.Program) { p.Rounding = commerce.RoundHalfUp }), order("store", nov, ln("CUP", 1, 149, 10)), 1, 1},
		{"a fraction rounded up", base(func(p *loyalty.Program) { p.Rounding = commerce.RoundUp }), order("store", nov, ln("CUP", 1, 101, 10)), 1, 2},
		{"a channel's own rate", base(func(p *loyalty.Program) { p.ChannelRates = map[string]float64{"rakuten": 0.5} }), order("rakuten", nov, ln("CUP", 4, 10000, 10)), 1, 50},
		{"other channels keep the rate", base(func(p *loyalty.Program) { p.ChannelRates = map[string]float64{"rakuten": 0.5} }), order("ec", nov, ln("CUP", 4, 10000, 10)), 1, 100},
		{"category multipliers, the longest path winning", base(func(p *loyalty.Program) {
			p.CategoryMultipliers = map[string]float64{"食品": 2, "食品/日本茶": 3}
		}), order("store", nov, ln("SENCHA", 1, 1000, 8), ln("SNACK", 1, 1000, 8), ln("CUP", 1, 1000, 10)), 1, 60},
		{"a campaign in its period and channel", base(func(p *loyalty.Program) { p.Campaigns = campaign }), order("store", dec, ln("CUP", 4, 10000, 10)), 1, 300},
		{"a campaign in another channel", base(func(p *loyalty.Program) { p.Campaigns = campaign }), order("ec", dec, ln("CUP", 4, 10000, 10)), 1, 100},
		{"a campaign not yet begun", base(func(p *loyalty.Program) { p.Campaigns = campaign }), order("store", nov, ln("CUP", 4, 10000, 10)), 1, 100},
		{"a discount and points paid earn nothing", base(nil), discounted, 1, 80},
		{"points paid earn when the program says so", base(func(p *loyalty.Program) { p.EarnOnPointsPaid = true }), discounted, 1, 90},
		{"a rank's multiplier", base(nil), order("store", nov, ln("CUP", 4, 10000, 10)), 1.5, 150},
		{"a returned unit earns nothing", base(nil), returned, 1, 75},
		{"a cancelled order earns nothing", base(nil), cancelled, 1, 0},
	} {
		if got := c.prog.Earned(c.o, cats, c.rank); got != c.want {
			t.Errorf("%s: %d points, want %d", c.name, got, c.want)
		}
	}
}

// A program change applies to orders placed after it: a return of an
// order placed before gives back what that order earned, by its own
// rules, and never earns it more.
func TestAProgramChangeKeepsThePointsEarned(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.buy(t, "P-1", line("CUP", 4, 2500)) // 100 points at 1 %
		f.clock.add(day)
		f.setProgram(t, func(p *loyalty.Program) { p.Rate = 5 })
		f.clock.add(day)
		f.returnUnits(t, o.ID, "RT-P1", 2)
		if _, err := f.points.EarnPending(ctx, 100); err != nil {
			t.Fatal(err)
		}
		f.buy(t, "P-2", line("TEA", 1, 2000)) // 100 points at 5 %
		if s := f.statement(t, f.cust); s != "earn+100 reverse-50 earn+100" {
			t.Errorf("statement %q, want the return to take back half of the 1 %% points and the new order to earn 5 %%", s)
		}
		f.sound(t)
	})
}

// Points spent on an order come back when the order is cancelled: those of
// the holds committed for it, once.
func TestACancelledOrderGivesBackThePointsItUsed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.buy(t, "C-0", line("CUP", 4, 2500)) // 100 points
		f.clock.add(15 * day)                 // past the return window
		f.spend(t, 30, "S001-20260416-0007", "C-1")
		// An EC order paid in part with the points, cancelled before it ships.
		id := f.order(t, commerce.Order{Channel: "ec", ExternalID: "C-1", Status: commerce.OrderPaid, PointsUsed: 30, Lines: []commerce.OrderLine{line("TEA", 1, 3000)}})
		if err := f.points.EarnForOrder(ctx, id); err != nil {
			t.Fatal(err)
		}
		if b := f.balance(t); b.Available != 70 || b.Pending != 29 { // ¥2,970 earns 29
			t.Fatalf("after the sale: %+v", b)
		}
		if _, err := f.orders.SetStatus(ctx, kizuna.System("ec"), id, commerce.OrderCancelled, "お客様都合"); err != nil {
			t.Fatal(err)
		}
		for range 2 { // settled twice: given back once
			if err := f.points.EarnForOrder(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if b := f.balance(t); b.Available != 100 || b.Pending != 0 {
			t.Fatalf("after the cancellation: %+v, want the 30 points back and the 29 taken", b)
		}
		f.sound(t)
	})
}

// A program set for all orders (the demo loading years of them) applies
// to orders placed before it was set.
func TestAProgramSetForAllOrders(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		id := f.order(t, commerce.Order{Channel: "store", ExternalID: "A-1", Status: commerce.OrderDelivered, Lines: []commerce.OrderLine{line("TEA", 1, 10000)}})
		f.clock.add(day)
		prog, _ := f.points.Program(ctx)
		prog.Rate = 3
		if _, err := f.points.SetProgramFrom(ctx, kizuna.System("demo"), prog, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := f.points.EarnForOrder(ctx, id); err != nil {
			t.Fatal(err)
		}
		if s := f.statement(t, f.cust); s != "earn+300" {
			t.Errorf("statement %q, want the order to earn 3 %%", s)
		}
		if got, _ := f.points.Program(ctx); got.Rate != 3 {
			t.Errorf("the program in force has rate %v", got.Rate)
		}
	})
}

// A hold past its time cannot be spent, even before the expiry run has
// released it; the run gives its points back.
func TestATimedOutHoldCannotBeCommitted(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.buy(t, "T-0", line("CUP", 4, 2500)) // 100 points
		f.clock.add(15 * day)
		h, _, err := f.points.Hold(ctx, kizuna.System("pos"), f.cust, 40, "S001-20260416-0100", "")
		if err != nil {
			t.Fatal(err)
		}
		prog, _ := f.points.Program(ctx)
		f.clock.add(time.Duration(prog.HoldMinutes)*time.Minute + time.Second)
		_, err = f.points.Commit(ctx, kizuna.System("pos"), h.ID, "")
		if kizuna.ErrorCode(err) != kizuna.ECONFLICT || kizuna.ErrorCurrent(err) != "expired" {
			t.Fatalf("commit of a timed-out hold: %v", err)
		}
		if _, _, err := f.points.ExpireDue(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if b := f.balance(t); b.Available != 100 || b.Held != 0 {
			t.Fatalf("after the expiry run: %+v", b)
		}
		if s := f.statement(t, f.cust); s != "earn+100 hold-40 release+40" {
			t.Errorf("statement %q", s)
		}
	})
}

// Points a return takes back after they were spent become a debt; the
// program's debt policy says whether it waits for later earnings, is
// paid at once from the points the customer has, or is written off.
func TestDebtPolicies(t *testing.T) {
	for _, c := range []struct {
		policy      string
		statement   string
		debt, avail int64
	}{
		{loyalty.DebtFromEarnings, "earn+100 adjust+50 hold-80 commit+0 reverse-75", 55, 50},
		{loyalty.DebtFromBalance, "earn+100 adjust+50 hold-80 commit+0 reverse-75 repay-50", 5, 0},
		{loyalty.DebtWriteOff, "earn+100 adjust+50 hold-80 commit+0 reverse-75 forgive+0", 0, 50},
	} {
		t.Run(c.policy, func(t *testing.T) {
			sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
				f := setup(t, db)
				ctx := context.Background()
				f.setProgram(t, func(p *loyalty.Program) { p.DebtPolicy = c.policy })
				o := f.buy(t, "R-1", line("CUP", 4, 2500)) // 100 points
				f.clock.add(15 * day)
				if _, err := f.points.Adjust(ctx, kizuna.System("cs"), "admin", f.cust, 50, "お詫び", ""); err != nil {
					t.Fatal(err)
				}
				// 80 spent, from R-1's points, which expire first: 20 of them are left.
				f.spend(t, 80, "pos-1", "")
				// Three cups back: 75 points go, 20 from R-1, 55 owed.
				f.returnUnits(t, o.ID, "RT-1", 3)
				for range 2 { // settled twice: applied once
					if err := f.points.EarnForOrder(ctx, o.ID); err != nil {
						t.Fatal(err)
					}
				}
				if s := f.statement(t, f.cust); s != c.statement {
					t.Errorf("statement %q, want %q", s, c.statement)
				}
				if b := f.balance(t); b.Debt != c.debt || b.Available != c.avail {
					t.Errorf("balance %+v, want debt %d and %d available", b, c.debt, c.avail)
				}
				f.sound(t)
			})
		})
	}
}

// Points spent on an order come back in part when some of its goods are
// returned, by the program's rule, and never twice.
func TestAPartialReturnGivesBackPointsUsed(t *testing.T) {
	for _, c := range []struct {
		rule         string
		first, total int64 // points back after one tea of two, and after both
	}{
		{loyalty.RefundProportional, 15, 30}, // half the goods: half the points
		{loyalty.RefundPointsFirst, 30, 30},  // the ¥1,500 refund is more than the 30 points
		{loyalty.RefundCashFirst, 0, 30},     // ¥2,970 was paid in cash: the first ¥1,500 comes back in cash
	} {
		t.Run(c.rule, func(t *testing.T) {
			sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
				f := setup(t, db)
				f.setProgram(t, func(p *loyalty.Program) { p.PointsRefund = c.rule })
				f.buy(t, "C-0", line("CUP", 4, 2500)) // 100 points
				f.clock.add(15 * day)
				f.spend(t, 30, "ec-C-1", "C-1")
				id := f.order(t, commerce.Order{Channel: "ec", ExternalID: "C-1", Status: commerce.OrderDelivered, PointsUsed: 30, Lines: []commerce.OrderLine{line("TEA", 2, 1500)}})
				if n := f.givenBack(t, id); n != 0 {
					t.Fatalf("%d points back before any return", n)
				}
				for i, want := range []int64{c.first, c.total} {
					f.returnUnits(t, id, fmt.Sprint("RT-", i), 1)
					if n := f.givenBack(t, id); n != want {
						t.Errorf("after return %d: %d points back, want %d", i+1, n, want)
					}
				}
				f.sound(t)
			})
		})
	}
}

// Holds know a sale by its number alone. Two orders of one number in two
// channels, both saying they used the points, get back together no more
// than the holds paid; and points given back before a merge count after
// it.
func TestPointsGivenBackOncePerHold(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.buy(t, "C-0", line("CUP", 4, 2500)) // 100 points
		f.clock.add(15 * day)
		f.spend(t, 30, "ec-C-1", "C-1")
		ec := f.order(t, commerce.Order{Channel: "ec", ExternalID: "C-1", Status: commerce.OrderDelivered, PointsUsed: 30, Lines: []commerce.OrderLine{line("TEA", 2, 1500)}})
		other := f.order(t, commerce.Order{Channel: "app", ExternalID: "C-1", Status: commerce.OrderPaid, PointsUsed: 30, Lines: []commerce.OrderLine{line("TEA", 1, 1500)}})
		f.returnUnits(t, ec, "RT-1", 1)
		if n := f.givenBack(t, ec); n != 15 {
			t.Fatalf("after half the ec order came back: %d points back, want 15", n)
		}
		if _, err := f.orders.SetStatus(ctx, kizuna.System("app"), other, commerce.OrderCancelled, ""); err != nil {
			t.Fatal(err)
		}
		f.givenBack(t, other) // settles the cancelled app order
		if n := f.givenBack(t, ""); n != 30 {
			t.Errorf("after the app order of the same number was cancelled: %d points back in all, want the hold's 30", n)
		}
		f.sound(t)
	})
}

// A merge gives the order to the survivor, while the hold that paid for
// it stays with the customer who made it: a cancellation after the merge
// still gives the points back, to the survivor, once.
func TestPointsGivenBackAfterAMerge(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		ids, survivor := f.another(t)
		f.buy(t, "C-0", line("CUP", 4, 2500)) // 100 points
		f.clock.add(15 * day)
		f.spend(t, 30, "ec-C-1", "C-1")
		id := f.order(t, commerce.Order{Channel: "ec", ExternalID: "C-1", Status: commerce.OrderPaid, PointsUsed: 30, Lines: []commerce.OrderLine{line("TEA", 1, 3000)}})
		if err := f.points.EarnForOrder(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := ids.Merge(ctx, kizuna.Actor{Type: "user", ID: "usr_support"}, survivor, f.cust, "same person"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.MoveMerged(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if _, err := f.orders.SetStatus(ctx, kizuna.System("ec"), id, commerce.OrderCancelled, ""); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := f.points.EarnForOrder(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		b, err := f.points.Balance(ctx, survivor)
		if err != nil {
			t.Fatal(err)
		}
		// 70 moved by the merge, 30 given back; the order's 29 taken back.
		if b.Available != 100 || b.Pending != 0 {
			t.Errorf("the survivor after the cancellation: %+v, want 100 available", b)
		}
		f.sound(t)
	})
}

// PointsBack's rules on the order's points_used, capped by what the holds
// paid: ¥3,000 with 30 points used, ¥2,990 of it returned.
func TestPointsBackRules(t *testing.T) {
	o := &commerce.Order{Status: commerce.OrderDelivered, Total: 3000, PointsUsed: 30, Returns: []commerce.Return{{Refund: 2990}}}
	for _, c := range []struct {
		rule       string
		paid, want int64
	}{
		{loyalty.RefundProportional, 30, 29}, // 30 × 2990 / 3000 = 29.9
		{loyalty.RefundPointsFirst, 30, 30},
		{loyalty.RefundCashFirst, 30, 20}, // 2,990 − the 2,970 paid in cash
		{loyalty.RefundCashFirst, 10, 10}, // the holds took only 10
		{loyalty.RefundProportional, 10, 10},
		{loyalty.RefundProportional, 0, 0},
	} {
		p := loyalty.Program{PointsRefund: c.rule}
		if got := p.PointsBack(o, c.paid); got != c.want {
			t.Errorf("%s with %d paid: %d back, want %d", c.rule, c.paid, got, c.want)
		}
	}
	cancelled := *o
	cancelled.Status = commerce.OrderCancelled
	if got := (&loyalty.Program{}).PointsBack(&cancelled, 25); got != 25 {
		t.Errorf("cancelled, 25 paid: %d back", got)
	}
}
