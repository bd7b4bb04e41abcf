package loyalty_test

import (
	"context"
	"testing"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestRanksRiseAtOnceFallAfterGraceAndMultiplyEarnings(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		prog, err := f.points.Program(ctx)
		if err != nil {
			t.Fatal(err)
		}
		prog = prog.WithRanks()
		prog.RankGraceDays = 30
		if _, err := f.points.SetProgram(ctx, kizuna.System("test"), prog); err != nil {
			t.Fatal(err)
		}
		rank := func() *loyalty.RankStatus {
			t.Helper()
			st, err := f.points.RankOf(ctx, f.cust)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		if st := rank(); st.Rank != "regular" || st.Next == nil || st.Next.Code != "silver" || st.SpendToNext != 30000 {
			t.Fatalf("before any purchase: %+v", st)
		}
		// ¥20,000 then ¥15,000: silver after the second, on spend.
		f.buy(t, "R-1", line("TEA", 1, 20000))
		f.clock.add(day)
		f.buy(t, "R-2", line("TEA", 1, 15000))
		st := rank()
		if st.Rank != "silver" || st.Spend != 35000 || st.Visits != 2 || st.Multiplier != 1.5 || len(st.History) != 2 || st.History[0].Reason != "up" {
			t.Fatalf("after ¥35,000: %+v", st)
		}
		// The next order earns at silver's ×1.5: ¥10,000 → 150 points,
		// where the first two earned at the base rate (200 + 150).
		f.clock.add(day)
		f.buy(t, "R-3", line("TEA", 1, 10000))
		if b := f.balance(t); b.Pending != 200+150+150 {
			t.Fatalf("pending %d, want 500 (the third order at ×1.5)", b.Pending)
		}
		// A return later re-settles R-3 at the rank it was placed at.
		// A year on, the purchases leave the window: below silver, the rank
		// is kept through the grace period, then falls.
		f.clock.add(370 * day)
		if _, _, err := f.points.EvaluateAllRanks(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if st := rank(); st.Rank != "silver" || st.DownFrom == nil || st.Spend != 0 {
			t.Fatalf("just below: %+v", st)
		}
		f.clock.add(29 * day)
		f.points.EvaluateAllRanks(ctx, 100)
		if st := rank(); st.Rank != "silver" {
			t.Fatalf("within the grace period: %+v", st)
		}
		f.clock.add(2 * day)
		if _, changed, err := f.points.EvaluateAllRanks(ctx, 100); err != nil || changed != 1 {
			t.Fatalf("after the grace period: %d changed, %v", changed, err)
		}
		st = rank()
		if st.Rank != "regular" || st.DownFrom != nil || st.History[0].Reason != "down" || st.History[0].From != "silver" {
			t.Fatalf("after the grace period: %+v", st)
		}
		// Six purchase days reach silver as well (spend or visits).
		for i := range 6 {
			f.clock.add(day)
			f.buy(t, "V-"+string(rune('a'+i)), line("TEA", 1, 500))
		}
		if st := rank(); st.Rank != "silver" || st.Visits != 6 {
			t.Fatalf("after six visits: %+v", st)
		}
		if rep := f.verify(t); len(rep.Problems) > 0 {
			t.Fatalf("ledger: %v", rep.Problems)
		}
		// Bad ranks are refused with the field at fault.
		bad := prog
		bad.Ranks = append([]loyalty.Rank(nil), prog.Ranks...)
		bad.Ranks[2].MinSpend = 1000
		if _, err := f.points.SetProgram(ctx, kizuna.System("test"), bad); kizuna.ErrorField(err) != "ranks[2].min_spend" {
			t.Fatalf("falling thresholds: %v", err)
		}
	})
}

// A customer whose orders came before the ranks were set up has never
// been evaluated: reading their rank shows what their orders reach
// without writing, and the next evaluation records it.
func TestReadingAnUnevaluatedRankWritesNothing(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.buy(t, "U-1", line("TEA", 1, 35000))
		f.withRanks(t)
		st, err := f.points.RankOf(ctx, f.cust)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rank != "silver" || st.Spend != 35000 || st.Visits != 1 || len(st.History) != 0 {
			t.Fatalf("unevaluated: %+v", st)
		}
		if stored, err := db.CustomerRank(ctx, f.cust); err != nil || stored != nil {
			t.Fatalf("a read stored a rank: %+v, %v", stored, err)
		}
		if _, _, err := f.points.EvaluateAllRanks(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if st, err = f.points.RankOf(ctx, f.cust); err != nil || st.Rank != "silver" || len(st.History) != 1 || st.History[0].Reason != "first" {
			t.Fatalf("after the evaluation: %+v, %v", st, err)
		}
	})
}

// withRanks turns on the program's example ranks.
func (f *fixture) withRanks(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	prog, err := f.points.Program(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.points.SetProgram(ctx, kizuna.System("test"), prog.WithRanks()); err != nil {
		t.Fatal(err)
	}
}

// A rank counts what the goods cost, net of returns: not the shipping
// fee, and not an order returned whole, which is no visit either.
func TestRanksCountGoodsNotShippingOrReturns(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		f := setup(t, db)
		ctx := context.Background()
		f.setProgram(t, func(p *loyalty.Program) { *p = p.WithRanks() })
		order := func(number string, shipping int64, lines ...commerce.OrderLine) string {
			t.Helper()
			return f.order(t, commerce.Order{Channel: "ec", ExternalID: number, Status: commerce.OrderDelivered, ShippingFee: shipping, Lines: lines})
		}
		order("S-1", 800, line("TEA", 1, 10000))
		f.clock.add(day)
		returned := order("S-2", 800, line("CUP", 2, 5000))
		f.returnUnits(t, returned, "RT-S2", 2)
		f.clock.add(day)
		if _, err := f.points.EvaluateRanks(ctx, []string{f.cust}); err != nil {
			t.Fatal(err)
		}
		st, err := f.points.RankOf(ctx, f.cust)
		if err != nil {
			t.Fatal(err)
		}
		if st.Spend != 10000 || st.Visits != 1 {
			t.Errorf("spend %d and %d visits, want ¥10,000 and 1 (no shipping, no order returned whole)", st.Spend, st.Visits)
		}
	})
}
