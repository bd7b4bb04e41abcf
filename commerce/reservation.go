package commerce

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
)

// Reservation sets stock aside for an EC order between the cart and the
// shipment: what is reserved is not available to others, and goes out of
// stock when fulfilled, or back when released or expired.
type Reservation struct {
	ID        string     `json:"id" doc:"The caller's reservation ID; the same ID again answers the same reservation" example:"ec-20261124-0042-1"`
	SKU       string     `json:"sku"`
	Location  string     `json:"location" doc:"The warehouse or store the goods are reserved at"`
	Quantity  int64      `json:"quantity" minimum:"1"`
	OrderRef  string     `json:"order_ref,omitempty" doc:"The order it is for"`
	Minutes   int        `json:"minutes,omitempty" doc:"How long it lasts unless fulfilled or released (default 30, at most 10,080)"`
	Status    string     `json:"status" readOnly:"true" required:"false" enum:"active,fulfilled,released,expired"`
	CreatedAt time.Time  `json:"created_at" readOnly:"true" required:"false"`
	ExpiresAt time.Time  `json:"expires_at" readOnly:"true" required:"false"`
	EndedAt   *time.Time `json:"ended_at,omitempty" readOnly:"true" required:"false"`
}

// Reservation statuses.
const (
	ReservationActive    = "active"
	ReservationFulfilled = "fulfilled"
	ReservationReleased  = "released"
	ReservationExpired   = "expired"
)

// ReservationTx is what reservations do inside the inventory transaction
// (part of InventoryTx).
type ReservationTx interface {
	// LockLevel reads a level for update (zeros when none is recorded).
	LockLevel(ctx context.Context, sku, location string) (onHand, reserved int64, err error)
	// AddReserved changes a level's reserved quantity.
	AddReserved(ctx context.Context, sku, location string, delta int64, at time.Time) error
	Reservation(ctx context.Context, id string) (*Reservation, error) // nil when none
	InsertReservation(ctx context.Context, r *Reservation, actorID string) error
	EndReservation(ctx context.Context, id, status string, at time.Time) error
	// DueReservations lists active reservations expired at t.
	DueReservations(ctx context.Context, t time.Time, limit int) ([]string, error)
	// NotifyRestock writes a back_in_stock event for each customer waiting
	// for sku (at location, or anywhere) and marks them notified; it
	// returns how many it notified.
	NotifyRestock(ctx context.Context, sku, location string, available int64, at time.Time) (int, error)
}

// Reserve sets stock aside. The same ID again answers the reservation
// already made (repeated); more than is available is a conflict that says
// how many are.
func (inv *Inventory) Reserve(ctx context.Context, actor kizuna.Actor, r Reservation) (out *Reservation, repeated bool, err error) {
	r.ID, r.SKU, r.Location, r.OrderRef = strings.TrimSpace(r.ID), strings.TrimSpace(r.SKU), strings.TrimSpace(r.Location), strings.TrimSpace(r.OrderRef)
	switch {
	case r.ID == "" || len(r.ID) > 200:
		return nil, false, kizuna.FieldError("id", "is required (at most 200 bytes): your reservation ID, so that a retry reserves once")
	case r.SKU == "":
		return nil, false, kizuna.FieldError("sku", "is required")
	case r.Location == "":
		return nil, false, kizuna.FieldError("location", "is required")
	case r.Quantity < 1:
		return nil, false, kizuna.FieldError("quantity", "must be at least 1")
	case r.Minutes < 0 || r.Minutes > 7*24*60:
		return nil, false, kizuna.FieldError("minutes", "must be 1 to 10,080")
	}
	if r.Minutes == 0 {
		r.Minutes = 30
	}
	now := inv.now().UTC().Truncate(time.Microsecond)
	err = inv.store.InventoryTx(ctx, func(tx InventoryTx) error {
		prev, err := tx.Reservation(ctx, r.ID)
		if err != nil {
			return err
		}
		if prev != nil {
			if prev.SKU != r.SKU || prev.Location != r.Location || prev.Quantity != r.Quantity {
				return kizuna.Errorf(kizuna.ECONFLICT, "reservation %s was made for %d of %s at %s", r.ID, prev.Quantity, prev.SKU, prev.Location)
			}
			out, repeated = prev, true
			return nil
		}
		products, places, err := tx.Known(ctx, []string{r.SKU}, []string{r.Location})
		if err != nil {
			return err
		}
		if !products[r.SKU] {
			return kizuna.FieldError("sku", "no product with SKU %s", r.SKU)
		}
		if !places[r.Location] {
			return kizuna.FieldError("location", "no store or warehouse with code %s", r.Location)
		}
		onHand, reserved, err := tx.LockLevel(ctx, r.SKU, r.Location)
		if err != nil {
			return err
		}
		if avail := onHand - reserved; avail < r.Quantity {
			return kizuna.Errorf(kizuna.ECONFLICT, "only %d of %s available at %s (on hand %d, reserved %d)", max(0, avail), r.SKU, r.Location, onHand, reserved)
		}
		r.Status, r.CreatedAt, r.ExpiresAt = ReservationActive, now, now.Add(time.Duration(r.Minutes)*time.Minute)
		if err := tx.InsertReservation(ctx, &r, actor.ID); err != nil {
			return err
		}
		out = &r
		return tx.AddReserved(ctx, r.SKU, r.Location, r.Quantity, now)
	})
	return out, repeated, err
}

// Fulfil takes a reservation's goods out of stock (they ship).
func (inv *Inventory) Fulfil(ctx context.Context, actor kizuna.Actor, id string) (*Reservation, error) {
	return inv.end(ctx, actor, id, ReservationFulfilled)
}

// Release gives a reservation's goods back (the order was cancelled).
func (inv *Inventory) Release(ctx context.Context, actor kizuna.Actor, id string) (*Reservation, error) {
	return inv.end(ctx, actor, id, ReservationReleased)
}

// end ends a reservation. Ending it the same way again answers it as it
// is; ending it another way is a conflict with the current status.
func (inv *Inventory) end(ctx context.Context, actor kizuna.Actor, id, status string) (*Reservation, error) {
	now := inv.now().UTC().Truncate(time.Microsecond)
	var out *Reservation
	err := inv.store.InventoryTx(ctx, func(tx InventoryTx) error {
		var err error
		out, err = inv.endTx(ctx, tx, actor, id, status, now)
		return err
	})
	return out, err
}

func (inv *Inventory) endTx(ctx context.Context, tx InventoryTx, actor kizuna.Actor, id, status string, now time.Time) (*Reservation, error) {
	r, err := tx.Reservation(ctx, id)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "reservation %s not found", id)
	}
	if r.Status == status {
		return r, nil
	}
	if r.Status != ReservationActive {
		e := kizuna.Errorf(kizuna.ECONFLICT, "reservation %s is %s", id, r.Status)
		e.Current = r.Status
		return nil, e
	}
	onHand, reserved, err := tx.LockLevel(ctx, r.SKU, r.Location)
	if err != nil {
		return nil, err
	}
	if err := tx.AddReserved(ctx, r.SKU, r.Location, -r.Quantity, now); err != nil {
		return nil, err
	}
	if status == ReservationFulfilled {
		delta := -r.Quantity
		c := StockChange{ID: "reservation:" + r.ID, SKU: r.SKU, Location: r.Location, Delta: &delta, Reason: "reservation fulfilled"}
		if _, err := tx.ClaimMovement(ctx, c, actor.ID, now); err != nil {
			return nil, err
		}
		if _, err := tx.Move(ctx, c, now); err != nil {
			return nil, err
		}
	} else if onHand-reserved <= 0 && onHand-(reserved-r.Quantity) > 0 {
		// The goods came back to a level that had none available.
		if _, err := tx.NotifyRestock(ctx, r.SKU, r.Location, onHand-(reserved-r.Quantity), now); err != nil {
			return nil, err
		}
	}
	if err := tx.EndReservation(ctx, id, status, now); err != nil {
		return nil, err
	}
	r.Status, r.EndedAt = status, &now
	return r, nil
}

// ExpireReservations releases the reservations past their time, up to
// limit, and says how many.
func (inv *Inventory) ExpireReservations(ctx context.Context, limit int) (int, error) {
	now := inv.now().UTC().Truncate(time.Microsecond)
	n := 0
	err := inv.store.InventoryTx(ctx, func(tx InventoryTx) error {
		ids, err := tx.DueReservations(ctx, now, limit)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := inv.endTx(ctx, tx, kizuna.System("inventory"), id, ReservationExpired, now); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// Position is a point on the map, in degrees.
type Position struct {
	Lat, Lng float64
}

// distanceKM is the great-circle distance between two points.
func distanceKM(a, b Position) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat, dLng := (b.Lat-a.Lat)*rad, (b.Lng-a.Lng)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// StockPlace is a location's stock of a product, with where it is.
type StockPlace struct {
	Location   string  `json:"location"`
	Name       string  `json:"name"`
	Prefecture string  `json:"prefecture"`
	Address    string  `json:"address,omitempty"`
	Lat        float64 `json:"latitude,omitempty"`
	Lng        float64 `json:"longitude,omitempty"`
	Available  int64   `json:"available" doc:"On hand less reserved"`
	// DistanceKM is from the position asked about; absent when the store
	// or the position has no coordinates.
	DistanceKM *float64 `json:"distance_km,omitempty"`
}

// NearestQuery asks where a product is in stock near a customer.
type NearestQuery struct {
	SKU        string
	Quantity   int64
	From       *Position // the customer's position, when known
	Prefecture string    // the customer's prefecture: the fallback
	Limit      int
}

// Nearest lists the stores with at least the quantity available, nearest
// first: by distance from the position (a prefecture's office when only
// the prefecture is known); stores without coordinates after, those in the
// customer's prefecture first.
func (inv *Inventory) Nearest(ctx context.Context, q NearestQuery) ([]StockPlace, error) {
	if q.Quantity < 1 {
		q.Quantity = 1
	}
	if q.Limit < 1 || q.Limit > 100 {
		q.Limit = 10
	}
	from := q.From
	if from == nil && q.Prefecture != "" {
		if p, ok := PrefectureOffices[q.Prefecture]; ok {
			from = &p
		}
	}
	places, err := inv.store.StoresWithStock(ctx, q.SKU, q.Quantity)
	if err != nil {
		return nil, err
	}
	for i := range places {
		p := &places[i]
		if from != nil && (p.Lat != 0 || p.Lng != 0) {
			d := math.Round(distanceKM(*from, Position{p.Lat, p.Lng})*10) / 10
			p.DistanceKM = &d
		}
	}
	slices.SortStableFunc(places, func(a, b StockPlace) int {
		switch {
		case a.DistanceKM != nil && b.DistanceKM != nil:
			return cmp.Compare(*a.DistanceKM, *b.DistanceKM)
		case a.DistanceKM != nil:
			return -1
		case b.DistanceKM != nil:
			return 1
		case (a.Prefecture == q.Prefecture) != (b.Prefecture == q.Prefecture):
			if a.Prefecture == q.Prefecture {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Location, b.Location)
	})
	if len(places) > q.Limit {
		places = places[:q.Limit]
	}
	return places, nil
}

// Subscribe asks to be told when a product is back in stock (at a
// location, or anywhere when location is empty). Asking again changes
// nothing. The notice is a back_in_stock event of the customer.
func (inv *Inventory) Subscribe(ctx context.Context, customerID, sku, location string) error {
	return inv.store.SubscribeStock(ctx, customerID, strings.TrimSpace(sku), strings.TrimSpace(location), inv.now().UTC().Truncate(time.Microsecond))
}

// PrefectureOffices are the prefectural government offices, the position
// of a customer known only by prefecture.
var PrefectureOffices = map[string]Position{
	"北海道": {43.064, 141.347}, "青森県": {40.824, 140.740}, "岩手県": {39.704, 141.153}, "宮城県": {38.269, 140.872},
	"秋田県": {39.719, 140.102}, "山形県": {38.240, 140.363}, "福島県": {37.750, 140.468}, "茨城県": {36.342, 140.447},
	"栃木県": {36.566, 139.884}, "群馬県": {36.391, 139.061}, "埼玉県": {35.857, 139.649}, "千葉県": {35.605, 140.123},
	"東京都": {35.690, 139.692}, "神奈川県": {35.448, 139.643}, "新潟県": {37.902, 139.024}, "富山県": {36.695, 137.211},
	"石川県": {36.595, 136.626}, "福井県": {36.065, 136.222}, "山梨県": {35.664, 138.568}, "長野県": {36.651, 138.181},
	"岐阜県": {35.391, 136.722}, "静岡県": {34.977, 138.383}, "愛知県": {35.180, 136.907}, "三重県": {34.730, 136.509},
	"滋賀県": {35.004, 135.869}, "京都府": {35.021, 135.756}, "大阪府": {34.686, 135.520}, "兵庫県": {34.691, 135.183},
	"奈良県": {34.685, 135.833}, "和歌山県": {34.226, 135.168}, "鳥取県": {35.504, 134.238}, "島根県": {35.472, 133.051},
	"岡山県": {34.662, 133.935}, "広島県": {34.397, 132.460}, "山口県": {34.186, 131.471}, "徳島県": {34.066, 134.559},
	"香川県": {34.340, 134.043}, "愛媛県": {33.842, 132.766}, "高知県": {33.560, 133.531}, "福岡県": {33.607, 130.418},
	"佐賀県": {33.249, 130.299}, "長崎県": {32.745, 129.874}, "熊本県": {32.790, 130.742}, "大分県": {33.238, 131.613},
	"宮崎県": {31.911, 131.424}, "鹿児島県": {31.560, 130.558}, "沖縄県": {26.212, 127.681},
}

// SetClock replaces the clock (tests).
func (inv *Inventory) SetClock(now func() time.Time) { inv.now = now }
