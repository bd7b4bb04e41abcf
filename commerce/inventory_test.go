package commerce_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func n(v int64) *int64 { return &v }

func stockSetup(t *testing.T, db *sqlstore.DB) *commerce.Inventory {
	t.Helper()
	ctx := context.Background()
	actor := kizuna.System("test")
	if _, err := commerce.NewCatalog(db).PutProducts(ctx, actor, catalogProducts()[:3]); err != nil {
		t.Fatal(err)
	}
	ids := identity.New(db, db)
	for _, l := range []customer.Location{{Code: "S001", Name: "渋谷店", Channel: "store"}, {Code: "W1", Name: "EC倉庫", Channel: "ec"}} {
		if err := ids.UpsertLocation(ctx, actor, l); err != nil {
			t.Fatal(err)
		}
	}
	return commerce.NewInventory(db)
}

func TestStockChanges(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		inv := stockSetup(t, db)
		actor := kizuna.Actor{Type: "apikey", ID: "pos"}
		changes := []commerce.StockChange{
			{ID: "count-1", SKU: "TEA-100", Location: "S001", Set: n(12), Reason: "棚卸"},
			{ID: "sale-1", SKU: "TEA-100", Location: "S001", Delta: n(-2)},
			{ID: "in-1", SKU: "TEA-100", Location: "W1", Delta: n(40), Reason: "入荷"},
			{ID: "sale-1", SKU: "TEA-100", Location: "S001", Delta: n(-2)}, // the same ID again in one call
			{ID: "x-1", SKU: "NOPE", Location: "S001", Delta: n(1)},
			{ID: "x-2", SKU: "TEA-100", Location: "S999", Delta: n(1)},
			{ID: "x-3", SKU: "TEA-100", Location: "S001"},
			{ID: "x-4", SKU: "TEA-100", Location: "S001", Set: n(-1)},
			{ID: "", SKU: "TEA-100", Location: "S001", Delta: n(1)},
		}
		res, err := inv.Apply(ctx, actor, changes)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			status, field string
			onHand        int64
		}{{"applied", "", 12}, {"applied", "", 10}, {"applied", "", 40}, {"repeated", "", 10},
			{"rejected", "sku", 0}, {"rejected", "location", 0}, {"rejected", "set", 0}, {"rejected", "set", 0}, {"rejected", "id", 0}}
		for i, w := range want {
			if r := res[i]; r.Status != w.status || r.Field != w.field || r.OnHand != w.onHand {
				t.Errorf("change %d: %+v, want %s %s on hand %d", i, r, w.status, w.field, w.onHand)
			}
		}
		// A retried call changes nothing.
		res, err = inv.Apply(ctx, actor, changes[:3])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Status != "repeated" {
				t.Errorf("retry: %+v", r)
			}
		}
		levels, err := inv.Stock(ctx, "TEA-100")
		if err != nil || len(levels) != 2 || levels[0].Location != "S001" || levels[0].OnHand != 10 || levels[1].OnHand != 40 {
			t.Errorf("levels: %+v %v", levels, err)
		}
	})
}

// TestStockConcurrentDeltas sends deltas from many clients at once, each
// call sent twice (a retry): every movement counts once, none is lost.
func TestStockConcurrentDeltas(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		inv := stockSetup(t, db)
		const clients, calls = 16, 5
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range calls {
					batch := []commerce.StockChange{
						{ID: fmt.Sprintf("c%d-%d-a", c, k), SKU: "MUG-1", Location: "S001", Delta: n(3)},
						{ID: fmt.Sprintf("c%d-%d-b", c, k), SKU: "MUG-1", Location: "S001", Delta: n(-1)},
					}
					for range 2 {
						if _, err := inv.Apply(ctx, kizuna.System("test"), batch); err != nil {
							errs <- err
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		levels, err := inv.Stock(ctx, "MUG-1")
		if err != nil || len(levels) != 1 || levels[0].OnHand != clients*calls*2 {
			t.Fatalf("after %d calls of +3 and -1 from %d clients (each sent twice): %+v %v, want %d", calls, clients, levels, err, clients*calls*2)
		}
	})
}
