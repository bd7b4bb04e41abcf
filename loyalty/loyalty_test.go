package loyalty_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// clock is a test's time, moved by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	db     *sqlstore.DB
	orders *commerce.Orders
	points *loyalty.Service
	clock  *clock
	cust   string
}

var day = 24 * time.Hour

func setup(t *testing.T, db *sqlstore.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	ids := identity.New(db, db)
	res, err := ids.Ingest(ctx, kizuna.System("test"), nil, []customer.SourceProfileInput{{Channel: "store", ExternalID: "M-1",
		Profile: json.RawMessage(`{"family_name":"渡辺","member_cards":["2100-0000-0042"]}`)}})
	if err != nil || res[0].CustomerID == "" {
		t.Fatalf("customer: %v %+v", err, res)
	}
	c := &clock{t: time.Date(2026, 4, 1, 3, 0, 0, 0, time.UTC)}
	f := &fixture{db: db, orders: commerce.NewOrders(db), points: loyalty.New(db), clock: c, cust: res[0].CustomerID}
	f.orders.SetClock(c.now)
	f.points.SetClock(c.now)
	return f
}

// order records o for the fixture's member (by her card), placed now, and
// returns its ID; the points are not settled.
func (f *fixture) order(t *testing.T, o commerce.Order) string {
	t.Helper()
	o.Customer, o.PlacedAt = commerce.OrderCustomer{MemberCard: "2100-0000-0042"}, f.clock.now()
	res, err := f.orders.Upsert(context.Background(), kizuna.System(o.Channel), nil, []commerce.Order{o})
	if err != nil || res[0].Status == commerce.OrderRejected {
		t.Fatalf("order: %v %+v", err, res)
	}
	return res[0].OrderID
}

// buy records a till sale of yen at the Shibuya store and settles its points.
func (f *fixture) buy(t *testing.T, number string, lines ...commerce.OrderLine) *commerce.Order {
	t.Helper()
	ctx := context.Background()
	id := f.order(t, commerce.Order{Channel: "store", ExternalID: number, Status: commerce.OrderDelivered, Lines: lines})
	if err := f.points.EarnForOrder(ctx, id); err != nil {
		t.Fatal(err)
	}
	got, err := f.orders.Order(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// setProgram changes the program's rules as change says.
func (f *fixture) setProgram(t *testing.T, change func(*loyalty.Program)) {
	t.Helper()
	ctx := context.Background()
	prog, err := f.points.Program(ctx)
	if err != nil {
		t.Fatal(err)
	}
	change(&prog)
	if _, err := f.points.SetProgram(ctx, kizuna.System("test"), prog); err != nil {
		t.Fatal(err)
	}
}

// statement is a customer's ledger as "kind±points" words: earn+100 hold-80.
func (f *fixture) statement(t *testing.T, customerID string) string {
	t.Helper()
	entries, err := f.points.Statement(context.Background(), customerID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range entries {
		kinds = append(kinds, fmt.Sprintf("%s%+d", e.Kind, e.Points))
	}
	return strings.Join(kinds, " ")
}

// spend holds points of the fixture's member for the sale orderRef names
// and commits the hold, as a till does when the sale completes.
func (f *fixture) spend(t *testing.T, points int64, ref, orderRef string) {
	t.Helper()
	ctx := context.Background()
	h, _, err := f.points.Hold(ctx, kizuna.System("pos"), f.cust, points, ref, orderRef)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.points.Commit(ctx, kizuna.System("pos"), h.ID, ""); err != nil {
		t.Fatal(err)
	}
}

// givenBack settles an order's points and sums the points given back to
// the fixture's member for points spent (on orderID, or on any order
// when orderID is "").
func (f *fixture) givenBack(t *testing.T, orderID string) int64 {
	t.Helper()
	ctx := context.Background()
	if orderID != "" {
		for range 2 { // settled twice: given back once
			if err := f.points.EarnForOrder(ctx, orderID); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := f.points.Statement(ctx, f.cust, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, e := range entries {
		if e.Kind == loyalty.KindAdjust && e.OrderID != "" && (orderID == "" || e.OrderID == orderID) {
			n += e.Points
		}
	}
	return n
}

func (f *fixture) balance(t *testing.T) *loyalty.Balance {
	t.Helper()
	b, err := f.points.Balance(context.Background(), f.cust)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// returnUnits books a return (its ID retID) of units of an order's first
// line.
func (f *fixture) returnUnits(t *testing.T, orderID, retID string, units int64) {
	t.Helper()
	if _, _, err := f.orders.AddReturn(context.Background(), kizuna.System("pos"), orderID, commerce.Return{ID: retID, Lines: []commerce.ReturnLine{{Line: 1, Quantity: units}}}); err != nil {
		t.Fatal(err)
	}
}

// sound fails the test unless Verify finds every ledger sound.
func (f *fixture) sound(t *testing.T) {
	t.Helper()
	if rep := f.verify(t); len(rep.Problems) != 0 {
		t.Fatalf("verify: %+v", rep.Problems)
	}
}

func (f *fixture) verify(t *testing.T) *loyalty.VerifyReport {
	t.Helper()
	rep, err := f.points.Verify(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// another adds a second customer (an EC member), for merges; it returns
// One ID's service with the customer's ID.
func (f *fixture) another(t *testing.T) (*identity.Service, string) {
	t.Helper()
	ids := identity.New(f.db, f.db)
	res, err := ids.Ingest(context.Background(), kizuna.System("test"), nil, []customer.SourceProfileInput{{Channel: "ec", ExternalID: "E-9",
		Profile: json.RawMessage(`{"family_name":"渡辺","emails":["watanabe@example.jp"]}`)}})
	if err != nil || res[0].CustomerID == "" {
		t.Fatalf("second customer: %v %+v", err, res)
	}
	return ids, res[0].CustomerID
}

func line(sku string, qty, price int64) commerce.OrderLine {
	return commerce.OrderLine{SKU: sku, Quantity: qty, UnitPrice: price, TaxRate: 10}
}

func TestEarnPendingThenSpendAnywhere(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// ¥12,345 at the store: 123 points (1 per ¥100, rounded down), pending for 14 days.
		o := f.buy(t, "R-1", line("TEA", 1, 12345))
		if b := f.balance(t); b.Pending != 123 || b.Available != 0 {
			t.Fatalf("after the sale: %+v", b)
		}
		// Settling again changes nothing.
		if err := f.points.EarnForOrder(ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		if b := f.balance(t); b.Pending != 123 {
			t.Fatalf("settled twice: %+v", b)
		}
		if _, _, err := f.points.Hold(ctx, kizuna.System("ec"), f.cust, 100, "ec-cart-1", ""); kizuna.ErrorCode(err) != kizuna.ECONFLICT {
			t.Fatalf("pending points were held: %v", err)
		}
		f.clock.add(14 * day)
		if b := f.balance(t); b.Available != 123 || b.Pending != 0 {
			t.Fatalf("after the return window: %+v", b)
		}
		// The EC site spends them the same evening: hold, then commit; a retry answers the same hold.
		h, repeated, err := f.points.Hold(ctx, kizuna.System("ec"), f.cust, 100, "ec-cart-1", "EC-9")
		if err != nil || repeated {
			t.Fatal(err, repeated)
		}
		again, repeated, err := f.points.Hold(ctx, kizuna.System("ec"), f.cust, 100, "ec-cart-1", "EC-9")
		if err != nil || again.ID != h.ID || !repeated {
			t.Fatalf("retried hold: %v %+v", err, again)
		}
		if b := f.balance(t); b.Available != 23 || b.Held != 100 {
			t.Fatalf("while held: %+v", b)
		}
		if _, err := f.points.Commit(ctx, kizuna.System("ec"), h.ID, ""); err != nil {
			t.Fatal(err)
		}
		if c, err := f.points.Commit(ctx, kizuna.System("ec"), h.ID, ""); err != nil || c.Status != loyalty.HoldCommitted {
			t.Fatalf("retried commit: %v %+v", err, c)
		}
		if _, err := f.points.Release(ctx, kizuna.System("ec"), h.ID, ""); kizuna.ErrorCode(err) != kizuna.ECONFLICT || kizuna.ErrorCurrent(err) != "committed" {
			t.Fatalf("release after commit: %v", err)
		}
		// A hold that is released gives its points back.
		h2, _, err := f.points.Hold(ctx, kizuna.System("pos"), f.cust, 20, "pos-7", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.Release(ctx, kizuna.System("pos"), h2.ID, ""); err != nil {
			t.Fatal(err)
		}
		if b := f.balance(t); b.Available != 23 || b.Held != 0 {
			t.Fatalf("after release: %+v", b)
		}
		if rep := f.verify(t); len(rep.Problems) != 0 || rep.Entries != 5 {
			t.Fatalf("verify: %+v", rep)
		}
	})
}

func TestReturnsReverseAndSpentPointsBecomeDebt(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		o := f.buy(t, "R-1", line("CUP", 4, 2500)) // 100 points
		f.clock.add(15 * day)
		h, _, err := f.points.Hold(ctx, kizuna.System("pos"), f.cust, 80, "pos-1", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.Commit(ctx, kizuna.System("pos"), h.ID, ""); err != nil {
			t.Fatal(err)
		}
		// Three of the four cups come back: 75 points go; 20 are left, 55 become a debt.
		f.returnUnits(t, o.ID, "RT-1", 3)
		if n, err := f.points.EarnPending(ctx, 100); err != nil || n != 1 {
			t.Fatalf("settle the return: %d %v", n, err)
		}
		if b := f.balance(t); b.Available != 0 || b.Debt != 55 {
			t.Fatalf("after the return: %+v", b)
		}
		// The next purchase repays the debt first.
		f.buy(t, "R-2", line("TEA", 1, 8000)) // 80 points
		if b := f.balance(t); b.Debt != 0 || b.Pending != 25 {
			t.Fatalf("after the next purchase: %+v", b)
		}
		if got := f.statement(t, f.cust); got != "earn+100 hold-80 commit+0 reverse-75 earn+80" {
			t.Fatalf("statement: %s", got)
		}
		f.sound(t)
	})
}

// A hold that took every point of a lot gives them back when released.
func TestReleaseRefillsAnEmptiedLot(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if _, err := f.points.Adjust(ctx, kizuna.System("cs"), "admin", f.cust, 100, "お詫び", ""); err != nil {
			t.Fatal(err)
		}
		h, _, err := f.points.Hold(ctx, kizuna.System("pos"), f.cust, 100, "pos-1", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.Release(ctx, kizuna.System("pos"), h.ID, "取消"); err != nil {
			t.Fatalf("release: %v", err)
		}
		if b := f.balance(t); b.Available != 100 || b.Held != 0 {
			t.Fatalf("after the release: %+v", b)
		}
		f.sound(t)
	})
}

func TestPointsExpireFirstInFirstOut(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.buy(t, "R-1", line("TEA", 1, 5000)) // 50, expires 2027-04-01
		f.clock.add(60 * day)
		f.buy(t, "R-2", line("TEA", 1, 3000)) // 30, expires 2027-05-31
		f.clock.add(30 * day)
		// Spending 20 takes them from the lot that expires first.
		h, _, err := f.points.Hold(ctx, kizuna.System("pos"), f.cust, 20, "pos-1", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.Commit(ctx, kizuna.System("pos"), h.ID, ""); err != nil {
			t.Fatal(err)
		}
		// 30 days before the first lot's end, the campaign list names the customer with its 30 points.
		f.clock.t = time.Date(2027, 3, 5, 0, 0, 0, 0, time.UTC)
		exp, err := f.points.ExpiringWithin(ctx, 30, "", 100)
		if err != nil || len(exp) != 1 || exp[0].CustomerID != f.cust || exp[0].Points != 30 {
			t.Fatalf("expiring within 30 days: %v %+v", err, exp)
		}
		if _, n, err := f.points.ExpireDue(ctx, 100); err != nil || n != 0 {
			t.Fatalf("expired early: %d %v", n, err)
		}
		f.clock.t = time.Date(2027, 4, 2, 0, 0, 0, 0, time.UTC)
		if _, n, err := f.points.ExpireDue(ctx, 100); err != nil || n != 30 {
			t.Fatalf("expired %d points (%v), want the first lot's 30", n, err)
		}
		if b := f.balance(t); b.Available != 30 {
			t.Fatalf("after expiry: %+v", b)
		}
		f.sound(t)
	})
}

func TestConcurrentHoldsNeverOverdraw(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.buy(t, "R-1", line("BAG", 1, 100000)) // 1,000 points
		f.clock.add(15 * day)
		var wg sync.WaitGroup
		// The same till key sent ten times at once makes one hold.
		keyed := make([]string, 10)
		for i := range keyed {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, _, err := f.points.Hold(ctx, kizuna.System("till"), f.cust, 7, "till-dup", "")
				if err != nil {
					t.Error(err)
					return
				}
				keyed[i] = h.ID
			}()
		}
		wg.Wait()
		for _, id := range keyed {
			if id != keyed[0] {
				t.Fatalf("one key made holds %v", keyed)
			}
		}
		var ok, refused atomic.Int64
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := f.points.Hold(ctx, kizuna.System("till"), f.cust, 7, fmt.Sprintf("till-%d", i), "")
				switch {
				case err == nil:
					ok.Add(1)
				case kizuna.ErrorCode(err) == kizuna.ECONFLICT:
					refused.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		// The 993 points left cover 141 holds of 7; the other 59 are refused.
		if ok.Load() != 141 || refused.Load() != 59 {
			t.Fatalf("%d holds granted, %d refused; want 141 and 59", ok.Load(), refused.Load())
		}
		if b := f.balance(t); b.Available != 6 || b.Held != 994 {
			t.Fatalf("after the rush: %+v", b)
		}
		f.sound(t)
	})
}

func TestAdjustmentsHaveLimitsByRole(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		staff := kizuna.Actor{Type: "user", ID: "usr_staff"}
		if _, err := f.points.Adjust(ctx, staff, "store_staff", f.cust, 501, "お詫び", ""); kizuna.ErrorCode(err) != kizuna.EFORBIDDEN {
			t.Fatalf("over the staff limit: %v", err)
		}
		if _, err := f.points.Adjust(ctx, staff, "marketer", f.cust, 10, "お詫び", ""); kizuna.ErrorCode(err) != kizuna.EFORBIDDEN {
			t.Fatalf("a role without a limit: %v", err)
		}
		if _, err := f.points.Adjust(ctx, staff, "store_staff", f.cust, 300, "", ""); kizuna.ErrorField(err) != "reason" {
			t.Fatalf("no reason: %v", err)
		}
		e, err := f.points.Adjust(ctx, staff, "store_staff", f.cust, 300, "付与漏れ（レシート R-0001）", "adj-1")
		if err != nil || e.ID == "" {
			t.Fatalf("adjust: %v %+v", err, e)
		}
		if again, err := f.points.Adjust(ctx, staff, "store_staff", f.cust, 300, "付与漏れ（レシート R-0001）", "adj-1"); err != nil || again.ID != e.ID {
			t.Fatalf("a retried adjustment: %v %+v", err, again)
		}
		if _, err := f.points.Adjust(ctx, staff, "store_staff", f.cust, -400, "誤付与", ""); kizuna.ErrorCode(err) != kizuna.ECONFLICT {
			t.Fatalf("taking more than there is: %v", err)
		}
		if b := f.balance(t); b.Available != 300 {
			t.Fatalf("balance: %+v", b)
		}
	})
}

func TestVerifyNamesTheBrokenLedger(t *testing.T) {
	sqltest.EachRaw(t, func(t *testing.T, db *sqlstore.DB, raw *sql.DB, rebind func(string) string) {
		f := setup(t, db)
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := raw.Exec(rebind(q), args...); err != nil {
				t.Fatal(err)
			}
		}
		f.buy(t, "R-1", line("TEA", 1, 5000))
		if rep := f.verify(t); len(rep.Problems) != 0 || rep.Customers != 1 || rep.Points != 50 {
			t.Fatalf("a sound ledger: %+v", rep)
		}
		// Someone edits a balance by hand.
		exec(`UPDATE points_accounts SET points = 5000 WHERE customer_id = ?`, f.cust)
		rep := f.verify(t)
		if len(rep.Problems) != 1 || rep.Problems[0].CustomerID != f.cust || !strings.Contains(rep.Problems[0].Message, "5000") {
			t.Fatalf("an edited balance: %+v", rep.Problems)
		}
		// Someone edits an entry.
		exec(`UPDATE points_accounts SET points = 50 WHERE customer_id = ?`, f.cust)
		exec(`UPDATE points_entries SET seq = 3 WHERE customer_id = ?`, f.cust)
		rep = f.verify(t)
		if len(rep.Problems) != 1 || rep.Problems[0].EntryID == "" || !strings.Contains(rep.Problems[0].Message, "number 3") {
			t.Fatalf("an edited entry: %+v", rep.Problems)
		}
	})
}

func TestMergeMovesPointsAndUnmergeMovesThemBack(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		ids, second := f.another(t)
		staff := kizuna.Actor{Type: "user", ID: "usr_support"}
		if _, err := f.points.Adjust(ctx, staff, "admin", f.cust, 300, "入会特典", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.Adjust(ctx, staff, "admin", second, 200, "入会特典", ""); err != nil {
			t.Fatal(err)
		}
		m, err := ids.Merge(ctx, staff, f.cust, second, "same person")
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second run finds nothing left to move
			if _, err := f.points.MoveMerged(ctx, 100); err != nil {
				t.Fatal(err)
			}
		}
		if b := f.balance(t); b.Available != 500 {
			t.Fatalf("the survivor after the merge: %+v", b)
		}
		// The merge is undone.
		if _, err := ids.Unmerge(ctx, staff, m.ID); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := f.points.MoveMerged(ctx, 100); err != nil {
				t.Fatal(err)
			}
		}
		back, err := f.points.Balance(ctx, second)
		if err != nil || back.Available != 200 || f.balance(t).Available != 300 {
			t.Fatalf("after the unmerge: restored %+v (%v), survivor %+v", back, err, f.balance(t))
		}
		if got := f.statement(t, second); got != "adjust+200 merge_out-200 merge_in+200" {
			t.Fatalf("the restored customer's statement: %s", got)
		}
		f.sound(t)
	})
}

// A merged customer's debt goes with their lots, once their till holds
// are done; an unmerge gives back what is left of it.
func TestMergeMovesDebtAfterHolds(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		ids, survivor := f.another(t)
		pos, staff := kizuna.System("pos"), kizuna.Actor{Type: "user", ID: "usr_support"}
		// f.cust spends 80 of 100 points, gets 50 more, and is holding 30
		// at a till (20 of them from the order's points) when three of the
		// four cups come back: 75 points reversed, none of the order's
		// left, a debt of 75.
		o := f.buy(t, "R-1", line("CUP", 4, 2500))
		f.clock.add(15 * day)
		h, _, err := f.points.Hold(ctx, pos, f.cust, 80, "pos-1", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.Commit(ctx, pos, h.ID, ""); err != nil {
			t.Fatal(err)
		}
		for _, a := range []struct {
			who    string
			points int64
		}{{f.cust, 50}, {survivor, 200}} {
			if _, err := f.points.Adjust(ctx, staff, "admin", a.who, a.points, "お詫び", ""); err != nil {
				t.Fatal(err)
			}
		}
		h, _, err = f.points.Hold(ctx, pos, f.cust, 30, "pos-2", "")
		if err != nil {
			t.Fatal(err)
		}
		f.returnUnits(t, o.ID, "RT-1", 3)
		if _, err := f.points.EarnPending(ctx, 100); err != nil {
			t.Fatal(err)
		}
		m, err := ids.Merge(ctx, staff, survivor, f.cust, "same person")
		if err != nil {
			t.Fatal(err)
		}
		move := func(want int) {
			t.Helper()
			if n, err := f.points.MoveMerged(ctx, 100); err != nil || n != want {
				t.Fatalf("moves: %d, %v; want %d", n, err, want)
			}
		}
		balance := func(id string) *loyalty.Balance {
			t.Helper()
			b, err := f.points.Balance(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		move(0)
		if b := balance(f.cust); b.Held != 30 || b.Debt != 75 || b.Available != 40 {
			t.Fatalf("merged, hold still open: %+v", b)
		}
		if _, err := f.points.Commit(ctx, pos, h.ID, ""); err != nil {
			t.Fatal(err)
		}
		move(1)
		move(0)
		if b := balance(survivor); b.Available != 240 || b.Debt != 75 {
			t.Fatalf("the survivor after the move: %+v", b)
		}
		if b := balance(f.cust); b.Available != 0 || b.Debt != 0 || b.Held != 0 {
			t.Fatalf("the merged customer after the move: %+v", b)
		}
		// The survivor's next purchase repays 30 of the debt.
		f.buy(t, "R-2", line("TEA", 1, 3000))
		if b := balance(survivor); b.Debt != 45 || b.Pending != 0 {
			t.Fatalf("after the survivor's purchase: %+v", b)
		}
		// Undone while the survivor holds points at a till: the move back
		// waits for the hold, then the 40 points left of the lot and the
		// 45 left of the debt go back.
		h, _, err = f.points.Hold(ctx, pos, survivor, 240, "pos-3", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ids.Unmerge(ctx, staff, m.ID); err != nil {
			t.Fatal(err)
		}
		move(0)
		if _, err := f.points.Release(ctx, pos, h.ID, "取消"); err != nil {
			t.Fatalf("release after the unmerge: %v", err)
		}
		move(1)
		move(0)
		if b := balance(f.cust); b.Available != 40 || b.Debt != 45 {
			t.Fatalf("restored after the unmerge: %+v", b)
		}
		if b := balance(survivor); b.Available != 200 || b.Debt != 0 {
			t.Fatalf("the survivor after the unmerge: %+v", b)
		}
		entries, err := f.points.Statement(ctx, survivor, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, fmt.Sprintf("%s%+d/%d", e.Kind, e.Points, e.Debt))
		}
		if s := strings.Join(got, " "); s != "adjust+200/0 merge_in+40/75 earn+30/0 hold-240/0 release+240/0 merge_out-40/45" {
			t.Fatalf("the survivor's statement: %s", s)
		}
		f.sound(t)
	})
}

// With extend_on_activity, a purchase keeps every point alive: the lot of
// an earlier purchase lasts until a year after the latest one. Points
// already past their expiry are not revived.
func TestPurchasesExtendValidityWhenTheProgramSaysSo(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.setProgram(t, func(p *loyalty.Program) { p.ExtendOnActivity = true })
		f.buy(t, "R-1", line("TEA", 1, 5000)) // 50 on 2026-04-01, valid until 2027-04-01
		f.clock.t = time.Date(2026, 10, 1, 3, 0, 0, 0, time.UTC)
		f.buy(t, "R-2", line("TEA", 1, 3000)) // 30 on 2026-10-01: both lots now until 2027-10-01
		f.clock.t = time.Date(2027, 4, 2, 0, 0, 0, 0, time.UTC)
		if _, n, err := f.points.ExpireDue(ctx, 100); err != nil || n != 0 {
			t.Fatalf("expired %d points (%v) a year after the first purchase; the second extended them", n, err)
		}
		if b := f.balance(t); b.Available != 80 {
			t.Fatalf("after the first lot's own year: %+v", b)
		}
		f.clock.t = time.Date(2027, 10, 2, 0, 0, 0, 0, time.UTC)
		// A purchase after the points ran out does not bring them back.
		f.buy(t, "R-3", line("TEA", 1, 1000))
		if _, n, err := f.points.ExpireDue(ctx, 100); err != nil || n != 80 {
			t.Fatalf("expired %d points (%v), want the 80 of the first two purchases", n, err)
		}
		if b := f.balance(t); b.Available != 0 || b.Pending != 10 {
			t.Fatalf("after expiry: %+v", b)
		}
		f.sound(t)
		// Off (the default), each lot keeps its own year.
		f.setProgram(t, func(p *loyalty.Program) { p.ExtendOnActivity = false })
		f.clock.t = time.Date(2027, 12, 1, 0, 0, 0, 0, time.UTC)
		f.buy(t, "R-4", line("TEA", 1, 2000))
		f.clock.t = time.Date(2028, 10, 3, 0, 0, 0, 0, time.UTC)
		if _, n, err := f.points.ExpireDue(ctx, 100); err != nil || n != 10 {
			t.Fatalf("expired %d points (%v), want R-3's 10 alone", n, err)
		}
		f.sound(t)
	})
}

// With pending_from delivery, an EC order earns nothing until it arrives,
// and its points wait out the return window from the delivery.
func TestPointsWaitForDeliveryWhenTheProgramSaysSo(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.setProgram(t, func(p *loyalty.Program) { p.PendingFrom, p.PendingDays = loyalty.PendingFromDelivery, 14 })
		bad, err := f.points.Program(ctx)
		if err != nil {
			t.Fatal(err)
		}
		bad.PendingFrom = "shipment"
		if _, err := f.points.SetProgram(ctx, kizuna.System("test"), bad); kizuna.ErrorField(err) != "pending_from" {
			t.Fatalf("pending_from shipment: %v", err)
		}
		placed := f.clock.now()
		res, err := f.orders.Upsert(ctx, kizuna.System("ec"), nil, []commerce.Order{{Channel: "ec", ExternalID: "EC-1",
			Customer: commerce.OrderCustomer{MemberCard: "2100-0000-0042"}, PlacedAt: placed, Lines: []commerce.OrderLine{line("TEA", 1, 5000)}}})
		if err != nil || res[0].Status == commerce.OrderRejected {
			t.Fatalf("order: %v %+v", err, res)
		}
		id := res[0].OrderID
		settle := func() {
			t.Helper()
			if err := f.points.EarnForOrder(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		settle()
		if b := f.balance(t); b.Pending != 0 || b.Available != 0 {
			t.Fatalf("before delivery: %+v", b)
		}
		// Back-ordered: shipped on day 20, delivered on day 22.
		shipped, delivered := placed.Add(20*day), placed.Add(22*day)
		f.clock.t = delivered.Add(time.Hour)
		if _, err := f.orders.AddShipment(ctx, kizuna.System("ec"), id, commerce.Shipment{ID: "P-1", Carrier: "yamato", ShippedAt: shipped, DeliveredAt: &delivered}); err != nil {
			t.Fatal(err)
		}
		settle()
		if b := f.balance(t); b.Pending != 50 || b.Available != 0 {
			t.Fatalf("on delivery: %+v", b)
		}
		f.clock.t = delivered.Add(13 * day) // day 35: 21 days after the order, 13 after delivery
		if b := f.balance(t); b.Available != 0 {
			t.Fatalf("inside the return window from delivery: %+v", b)
		}
		f.clock.t = delivered.Add(14*day + time.Hour)
		if b := f.balance(t); b.Available != 50 {
			t.Fatalf("after the return window: %+v", b)
		}
		f.sound(t)
	})
}

// Verify checks what one customer's replay cannot: that a merge's two
// sides move the same points, and that a lot's dates are the ledger's.
func TestVerifyPairsMergesAndChecksLotDates(t *testing.T) {
	sqltest.EachRaw(t, func(t *testing.T, db *sqlstore.DB, raw *sql.DB, rebind func(string) string) {
		f := setup(t, db)
		ctx := context.Background()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := raw.Exec(rebind(q), args...); err != nil {
				t.Fatal(err)
			}
		}
		ids, second := f.another(t)
		staff := kizuna.Actor{Type: "user", ID: "usr_support"}
		if _, err := f.points.Adjust(ctx, staff, "admin", second, 200, "入会特典", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := ids.Merge(ctx, staff, f.cust, second, "same person"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.MoveMerged(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if rep := f.verify(t); len(rep.Problems) != 0 {
			t.Fatalf("a sound ledger: %+v", rep.Problems)
		}
		// Verify pairs the moves made before its last minute: this one,
		// an hour on.
		f.clock.add(time.Hour)
		// The survivor's side of the merge is edited to bring 100 points
		// more, with its lot and balance to match: its own replay agrees.
		var id, moved string
		if err := raw.QueryRow(rebind(`SELECT id, moved FROM points_entries WHERE customer_id = ? AND kind = 'merge_in'`), f.cust).Scan(&id, &moved); err != nil {
			t.Fatal(err)
		}
		var lots []loyalty.Lot
		if err := json.Unmarshal([]byte(moved), &lots); err != nil || len(lots) != 1 {
			t.Fatalf("moved %s: %v", moved, err)
		}
		lots[0].Remaining += 100
		b, _ := json.Marshal(lots)
		exec(`UPDATE points_entries SET points = points + 100, moved = ? WHERE id = ?`, string(b), id)
		exec(`UPDATE points_lots SET remaining = remaining + 100 WHERE id = ?`, lots[0].ID)
		exec(`UPDATE points_accounts SET points = points + 100 WHERE customer_id = ?`, f.cust)
		rep := f.verify(t)
		if len(rep.Problems) != 1 || rep.Problems[0].EntryID != id || !strings.Contains(rep.Problems[0].Message, "100 points of lot "+lots[0].ID+" moved in") {
			t.Fatalf("an unpaired merge: %+v", rep.Problems)
		}
		exec(`UPDATE points_entries SET points = points - 100, moved = ? WHERE id = ?`, moved, id)
		exec(`UPDATE points_lots SET remaining = remaining - 100 WHERE id = ?`, lots[0].ID)
		exec(`UPDATE points_accounts SET points = points - 100 WHERE customer_id = ?`, f.cust)
		if rep := f.verify(t); len(rep.Problems) != 0 {
			t.Fatalf("restored: %+v", rep.Problems)
		}
		// A lot emptied by hand, and given points by hand.
		exec(`UPDATE points_lots SET remaining = 0 WHERE id = ?`, lots[0].ID)
		if rep := f.verify(t); len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Message, "the lot says 0") {
			t.Fatalf("an emptied lot: %+v", rep.Problems)
		}
		exec(`UPDATE points_lots SET remaining = 250 WHERE id = ?`, lots[0].ID)
		if rep := f.verify(t); len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Message, "the ledger leaves 200 points, the lot says 250") {
			t.Fatalf("a lot given points: %+v", rep.Problems)
		}
		exec(`UPDATE points_lots SET remaining = 200 WHERE id = ?`, lots[0].ID)
		// A lot's expiry is moved by hand.
		exec(`UPDATE points_lots SET expires_at = ? WHERE id = ?`, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), lots[0].ID)
		rep = f.verify(t)
		if len(rep.Problems) != 1 || rep.Problems[0].CustomerID != f.cust || !strings.Contains(rep.Problems[0].Message, "expiring 2030-01-01") {
			t.Fatalf("an edited expiry: %+v", rep.Problems)
		}
	})
}

// A lot that comes back on an unmerge keeps the expiry the survivor's
// purchases gave it (extend_on_activity), in the store and in Verify's
// replay alike.
func TestUnmergeKeepsAnExtendedExpiry(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.setProgram(t, func(p *loyalty.Program) { p.ExtendOnActivity = true })
		ids, second := f.another(t)
		staff := kizuna.Actor{Type: "user", ID: "usr_support"}
		if _, err := f.points.Adjust(ctx, staff, "admin", second, 200, "入会特典", ""); err != nil {
			t.Fatal(err)
		}
		m, err := ids.Merge(ctx, staff, f.cust, second, "same person")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.MoveMerged(ctx, 100); err != nil {
			t.Fatal(err)
		}
		f.clock.add(60 * day)
		f.buy(t, "R-1", line("TEA", 1, 5000)) // extends every lot to a year from now
		if _, err := ids.Unmerge(ctx, staff, m.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.points.MoveMerged(ctx, 100); err != nil {
			t.Fatal(err)
		}
		b, err := f.points.Balance(ctx, second)
		if err != nil || b.Available != 200 || len(b.Lots) != 1 || !b.Lots[0].ExpiresAt.Equal(f.clock.now().AddDate(1, 0, 0)) {
			t.Fatalf("the lot back with its owner: %+v %v", b, err)
		}
		f.sound(t)
	})
}
