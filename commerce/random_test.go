package commerce_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// Random stock work against a model: counts and changes with movement IDs
// that repeat, reservations made (and retried), fulfilled, released or
// left to expire. After every step each level's on-hand, reserved and
// available quantities are what the model says. sqltest.Seeds chooses
// the seeds.
func TestRandomStockMatchesItsModel(t *testing.T) {
	sqltest.Seeds(t, randomStock)
}

func randomStock(t *testing.T, seed uint64) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		inv := stockSetup(t, db)
		clk := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		inv.SetClock(func() time.Time { return clk })
		rng := rand.New(rand.NewPCG(seed, 3))
		actor := kizuna.Actor{Type: "apikey", ID: "ops"}
		skus, locs := []string{"TEA-100", "TEA-200"}, []string{"S001", "W1"}
		type key struct{ sku, loc string }
		type level struct{ onHand, reserved int64 }
		type resv struct {
			key
			qty     int64
			status  string
			expires time.Time
		}
		model := map[key]*level{}
		at := func(k key) *level {
			if model[k] == nil {
				model[k] = &level{}
			}
			return model[k]
		}
		applied := map[string]bool{}
		resvs := map[string]*resv{}
		for step := range 300 {
			op := rng.IntN(6)
			t.Logf("step %d: operation %d", step, op) // shown when it fails
			k := key{skus[rng.IntN(2)], locs[rng.IntN(2)]}
			switch op {
			case 0, 1: // a batch of counts and changes
				var changes []commerce.StockChange
				for range 1 + rng.IntN(3) {
					c := commerce.StockChange{ID: fmt.Sprintf("mv-%d", rng.IntN(40)), SKU: k.sku, Location: k.loc}
					if rng.IntN(4) == 0 {
						c.Set = n(rng.Int64N(20))
					} else {
						c.Delta = n(rng.Int64N(15) - 5)
					}
					changes = append(changes, c)
					if applied[c.ID] {
						continue
					}
					applied[c.ID] = true
					if c.Set != nil {
						at(k).onHand = *c.Set
					} else {
						at(k).onHand += *c.Delta
					}
				}
				if _, err := inv.Apply(ctx, actor, changes); err != nil {
					t.Fatalf("step %d, apply: %v", step, err)
				}
			case 2: // a checkout reserves (or retries)
				id := fmt.Sprintf("r-%d", rng.IntN(25))
				qty := 1 + rng.Int64N(4)
				if r := resvs[id]; r != nil {
					k, qty = r.key, r.qty // a retry sends the same reservation
				}
				_, repeated, err := inv.Reserve(ctx, actor, commerce.Reservation{ID: id, SKU: k.sku, Location: k.loc, Quantity: qty, Minutes: 30})
				switch l := at(k); {
				case resvs[id] != nil:
					if err != nil || !repeated {
						t.Fatalf("step %d, retried reservation %s: %v, repeated %v", step, id, err, repeated)
					}
				case l.onHand-l.reserved >= qty:
					if err != nil {
						t.Fatalf("step %d, reserve %d of %d available: %v", step, qty, l.onHand-l.reserved, err)
					}
					l.reserved += qty
					resvs[id] = &resv{key: k, qty: qty, status: commerce.ReservationActive, expires: clk.Add(30 * time.Minute)}
				default:
					if kizuna.ErrorCode(err) != kizuna.ECONFLICT {
						t.Fatalf("step %d, reserve %d of %d available: %v", step, qty, l.onHand-l.reserved, err)
					}
				}
			case 3: // the order ships or is cancelled
				id := fmt.Sprintf("r-%d", rng.IntN(25))
				r := resvs[id]
				if r == nil {
					continue
				}
				status, end := commerce.ReservationFulfilled, inv.Fulfil
				if rng.IntN(2) == 0 {
					status, end = commerce.ReservationReleased, inv.Release
				}
				_, err := end(ctx, actor, id)
				switch r.status {
				case status:
					if err != nil {
						t.Fatalf("step %d, %s again: %v", step, status, err)
					}
				case commerce.ReservationActive:
					if err != nil {
						t.Fatalf("step %d, %s: %v", step, status, err)
					}
					at(r.key).reserved -= r.qty
					if status == commerce.ReservationFulfilled {
						at(r.key).onHand -= r.qty
					}
					r.status = status
				default:
					if kizuna.ErrorCode(err) != kizuna.ECONFLICT {
						t.Fatalf("step %d, %s a %s reservation: %v", step, status, r.status, err)
					}
				}
			case 4: // time passes; reservations past their time expire
				clk = clk.Add(time.Duration(rng.IntN(20)) * time.Minute)
				if _, err := inv.ExpireReservations(ctx, 1000); err != nil {
					t.Fatalf("step %d, expire: %v", step, err)
				}
				for _, r := range resvs {
					if r.status == commerce.ReservationActive && !r.expires.After(clk) {
						r.status = commerce.ReservationExpired
						at(r.key).reserved -= r.qty
					}
				}
			case 5:
				continue
			}
			for _, sku := range skus {
				ls, err := inv.Stock(ctx, sku)
				if err != nil {
					t.Fatal(err)
				}
				got := map[key]commerce.StockLevel{}
				for _, l := range ls {
					got[key{sku, l.Location}] = l
				}
				for _, loc := range locs {
					want, have := at(key{sku, loc}), got[key{sku, loc}]
					if have.OnHand != want.onHand || have.Reserved != want.reserved || have.Available != want.onHand-want.reserved {
						t.Fatalf("step %d: %s at %s is %d on hand, %d reserved, %d available; the model says %d, %d", step, sku, loc,
							have.OnHand, have.Reserved, have.Available, want.onHand, want.reserved)
					}
				}
			}
		}
	})
}
