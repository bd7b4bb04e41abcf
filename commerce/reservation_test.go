package commerce_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func level(t *testing.T, inv *commerce.Inventory, sku, loc string) commerce.StockLevel {
	t.Helper()
	ls, err := inv.Stock(context.Background(), sku)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Location == loc {
			return l
		}
	}
	return commerce.StockLevel{}
}

func TestReservationsNeverOversellAndEndOnce(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		inv := stockSetup(t, db)
		clk := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
		inv.SetClock(func() time.Time { return clk })
		actor := kizuna.Actor{Type: "apikey", ID: "ec"}
		if _, err := inv.Apply(ctx, actor, []commerce.StockChange{{ID: "in-1", SKU: "TEA-100", Location: "W1", Set: n(10)}}); err != nil {
			t.Fatal(err)
		}
		// 30 checkouts at once for 10 units: exactly 10 reservations.
		var wg sync.WaitGroup
		var mu sync.Mutex
		made, refused := 0, 0
		for i := range 30 {
			wg.Go(func() {
				_, _, err := inv.Reserve(ctx, actor, commerce.Reservation{ID: fmt.Sprintf("r-%02d", i), SKU: "TEA-100", Location: "W1", Quantity: 1})
				mu.Lock()
				defer mu.Unlock()
				switch kizuna.ErrorCode(err) {
				case "":
					made++
				case kizuna.ECONFLICT:
					refused++
				default:
					t.Errorf("reserve: %v", err)
				}
			})
		}
		wg.Wait()
		if l := level(t, inv, "TEA-100", "W1"); made != 10 || refused != 20 || l.Reserved != 10 || l.Available != 0 || l.OnHand != 10 {
			t.Fatalf("made %d, refused %d, level %+v", made, refused, l)
		}
		// A retry answers the same reservation; another one with that ID is refused.
		var held []string
		for i := range 30 {
			id := fmt.Sprintf("r-%02d", i)
			r, repeated, err := inv.Reserve(ctx, actor, commerce.Reservation{ID: id, SKU: "TEA-100", Location: "W1", Quantity: 1})
			if err == nil {
				if !repeated || r.Status != commerce.ReservationActive {
					t.Fatalf("retry of %s: %+v %v", id, r, repeated)
				}
				held = append(held, id)
			}
		}
		if _, _, err := inv.Reserve(ctx, actor, commerce.Reservation{ID: held[0], SKU: "TEA-100", Location: "W1", Quantity: 3}); kizuna.ErrorCode(err) != kizuna.ECONFLICT {
			t.Fatalf("same ID, other quantity: %v", err)
		}
		// Fulfil one (twice: once), release one, then fulfilling the released is a conflict.
		for range 2 {
			if r, err := inv.Fulfil(ctx, actor, held[0]); err != nil || r.Status != commerce.ReservationFulfilled {
				t.Fatalf("fulfil: %+v %v", r, err)
			}
		}
		if _, err := inv.Release(ctx, actor, held[1]); err != nil {
			t.Fatal(err)
		}
		_, err := inv.Fulfil(ctx, actor, held[1])
		var ke *kizuna.Error
		if !errors.As(err, &ke) || ke.Code != kizuna.ECONFLICT || ke.Current != commerce.ReservationReleased {
			t.Fatalf("fulfil a released reservation: %v", err)
		}
		if l := level(t, inv, "TEA-100", "W1"); l.OnHand != 9 || l.Reserved != 8 || l.Available != 1 {
			t.Fatalf("after a fulfil and a release: %+v", l)
		}
		// The rest expire after 30 minutes and their goods come back.
		clk = clk.Add(31 * time.Minute)
		if n, err := inv.ExpireReservations(ctx, 100); err != nil || n != 8 {
			t.Fatalf("expired %d, %v", n, err)
		}
		if l := level(t, inv, "TEA-100", "W1"); l.OnHand != 9 || l.Reserved != 0 || l.Available != 9 {
			t.Fatalf("after expiry: %+v", l)
		}
		if _, _, err := inv.Reserve(ctx, actor, commerce.Reservation{ID: "r-new", SKU: "TEA-100", Location: "W1", Quantity: 10}); kizuna.ErrorCode(err) != kizuna.ECONFLICT {
			t.Fatalf("10 of 9: %v", err)
		}
	})
}

func TestBackInStockAndNearestStore(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		inv := stockSetup(t, db)
		actor := kizuna.System("test")
		ids := identity.New(db, db)
		for _, l := range []customer.Location{
			{Code: "S002", Name: "梅田店", Channel: "store", Prefecture: "大阪府", Latitude: 34.7025, Longitude: 135.4959},
			{Code: "S003", Name: "名古屋店", Channel: "store", Prefecture: "愛知県", Latitude: 35.1709, Longitude: 136.8815},
			{Code: "S009", Name: "京都店", Channel: "store", Prefecture: "京都府"},
		} {
			if err := ids.UpsertLocation(ctx, actor, l); err != nil {
				t.Fatal(err)
			}
		}
		res, err := ids.Ingest(ctx, actor, nil, []customer.SourceProfileInput{{Channel: "ec", ExternalID: "E-1", Profile: []byte(`{"family_name":"森","emails":["mori@example.jp"]}`)}})
		if err != nil {
			t.Fatal(err)
		}
		who := res[0].CustomerID
		if err := inv.Subscribe(ctx, who, "TEA-100", ""); err != nil {
			t.Fatal(err)
		}
		if err := inv.Subscribe(ctx, who, "TEA-100", ""); err != nil { // again: still one
			t.Fatal(err)
		}
		events := event.NewService(db)
		backs := func() []event.Event {
			l, err := events.List(ctx, event.Query{CustomerIDs: []string{who}, Types: []event.Type{event.BackInStock}})
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		inv.Apply(ctx, actor, []commerce.StockChange{{ID: "a", SKU: "TEA-100", Location: "S002", Set: n(0)}})
		if len(backs()) != 0 {
			t.Fatal("notified while out of stock")
		}
		inv.Apply(ctx, actor, []commerce.StockChange{{ID: "b", SKU: "TEA-100", Location: "S002", Delta: n(3)}, {ID: "c", SKU: "TEA-100", Location: "S003", Delta: n(5)},
			{ID: "d", SKU: "TEA-100", Location: "S009", Delta: n(2)}, {ID: "e", SKU: "TEA-100", Location: "W1", Delta: n(50)}})
		got := backs()
		if len(got) != 1 || got[0].Properties["sku"] != "TEA-100" || got[0].Properties["location"] != "S002" {
			t.Fatalf("back-in-stock events %+v, want one, for the first store restocked", got)
		}
		// Nearest from Kyoto station: Osaka, then Nagoya; the Kyoto store has
		// no coordinates and comes after; the EC warehouse is no store.
		near, err := inv.Nearest(ctx, commerce.NearestQuery{SKU: "TEA-100", From: &commerce.Position{Lat: 34.9858, Lng: 135.7588}, Prefecture: "京都府"})
		if err != nil {
			t.Fatal(err)
		}
		if len(near) != 3 || near[0].Location != "S002" || near[1].Location != "S003" || near[2].Location != "S009" || *near[0].DistanceKM < 30 || *near[0].DistanceKM > 50 {
			t.Fatalf("nearest %+v", near)
		}
		// By prefecture only (愛知県 → its office): Nagoya first. Asking for 4: Osaka has only 3.
		near, _ = inv.Nearest(ctx, commerce.NearestQuery{SKU: "TEA-100", Prefecture: "愛知県", Quantity: 4})
		if len(near) != 1 || near[0].Location != "S003" {
			t.Fatalf("4 near Aichi: %+v", near)
		}
	})
}
