package commerce

import (
	"context"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
)

// StockLevel is how many of a product a location has.
type StockLevel struct {
	SKU       string    `json:"sku"`
	Location  string    `json:"location" doc:"Store or warehouse code (GET /api/v1/stores)"`
	OnHand    int64     `json:"on_hand" doc:"May be negative when sales were recorded before the goods"`
	Reserved  int64     `json:"reserved" doc:"Set aside for EC orders (active reservations)"`
	Available int64     `json:"available" doc:"On hand less reserved"`
	UpdatedAt time.Time `json:"updated_at"`
}

// StockChange is one movement of stock: an absolute count (a stocktake,
// 棚卸) or a change (a delivery, a sale, a transfer). ID is the caller's:
// sending the same ID again is recognised and changes nothing.
type StockChange struct {
	ID       string `json:"id" doc:"The caller's movement ID; a retry with the same ID is not applied again" example:"pos-0042-20261124-0017"`
	SKU      string `json:"sku"`
	Location string `json:"location"`
	Set      *int64 `json:"set,omitempty" doc:"The counted quantity (stocktake); give set or delta"`
	Delta    *int64 `json:"delta,omitempty" doc:"The change: positive for goods in, negative for goods out"`
	Reason   string `json:"reason,omitempty" example:"入荷"`
}

// Stock change statuses.
const (
	StockApplied  = "applied"
	StockRepeated = "repeated" // the ID was applied before: nothing changed
	StockRejected = "rejected"
)

// StockResult says what became of one change.
type StockResult struct {
	Index  int    `json:"index"`
	ID     string `json:"id"`
	Status string `json:"status" enum:"applied,repeated,rejected"`
	OnHand int64  `json:"on_hand" doc:"The level after the change (for a repeat: the level now)"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// InventoryStore is the storage stock needs.
type InventoryStore interface {
	InventoryTx(ctx context.Context, fn func(InventoryTx) error) error
	Stock(ctx context.Context, sku string) ([]StockLevel, error)
	// StoresWithStock lists the stores (own stores and department-store
	// counters) with at least quantity of sku available.
	StoresWithStock(ctx context.Context, sku string, quantity int64) ([]StockPlace, error)
	// SubscribeStock records a back-in-stock subscription.
	SubscribeStock(ctx context.Context, customerID, sku, location string, at time.Time) error
}

// InventoryTx applies movements inside one transaction.
type InventoryTx interface {
	// Known reports which of skus are products and which of locations
	// exist.
	Known(ctx context.Context, skus, locations []string) (products, places map[string]bool, err error)
	// ClaimMovement records a movement's ID; false when it was recorded
	// before (by this or a concurrent transaction, which it waits for).
	ClaimMovement(ctx context.Context, c StockChange, actorID string, at time.Time) (bool, error)
	// Move applies a change to a level atomically and returns the new
	// level; a level not yet recorded starts at zero.
	Move(ctx context.Context, c StockChange, at time.Time) (int64, error)
	// Level is a level as it is now (zero when none is recorded).
	Level(ctx context.Context, sku, location string) (int64, error)
	ReservationTx
}

// MaxStockBatch is the most changes one call may apply.
const MaxStockBatch = 10000

// Inventory keeps stock levels.
type Inventory struct {
	store InventoryStore
	now   func() time.Time
}

// NewInventory returns the inventory on store.
func NewInventory(store InventoryStore) *Inventory { return &Inventory{store: store, now: time.Now} }

// Apply applies stock changes in one transaction, in order. A change that
// is invalid, or names an unknown product or location, is rejected with
// its field; a change whose ID was applied before is a repeat and changes
// nothing; the others are applied.
func (inv *Inventory) Apply(ctx context.Context, actor kizuna.Actor, changes []StockChange) ([]StockResult, error) {
	if len(changes) > MaxStockBatch {
		return nil, kizuna.Errorf(kizuna.ETOOLARGE, "a call applies at most %d stock changes, got %d", MaxStockBatch, len(changes))
	}
	now := inv.now().UTC().Truncate(time.Microsecond)
	results := make([]StockResult, len(changes))
	var skus, places []string
	for i := range changes {
		c := &changes[i]
		c.ID, c.SKU, c.Location, c.Reason = strings.TrimSpace(c.ID), strings.TrimSpace(c.SKU), strings.TrimSpace(c.Location), strings.TrimSpace(c.Reason)
		results[i] = StockResult{Index: i, ID: c.ID}
		if err := validChange(c); err != nil {
			results[i].Status, results[i].Field, results[i].Reason = StockRejected, kizuna.ErrorField(err), kizuna.ErrorMessage(err)
			continue
		}
		skus, places = append(skus, c.SKU), append(places, c.Location)
	}
	err := inv.store.InventoryTx(ctx, func(tx InventoryTx) error {
		products, locations, err := tx.Known(ctx, skus, places)
		if err != nil {
			return err
		}
		for i, c := range changes {
			r := &results[i]
			switch {
			case r.Status == StockRejected:
				continue
			case !products[c.SKU]:
				r.Status, r.Field, r.Reason = StockRejected, "sku", "no product with SKU "+c.SKU
				continue
			case !locations[c.Location]:
				r.Status, r.Field, r.Reason = StockRejected, "location", "no store or warehouse with code "+c.Location
				continue
			}
			fresh, err := tx.ClaimMovement(ctx, c, actor.ID, now)
			if err != nil {
				return err
			}
			if !fresh {
				r.Status = StockRepeated
				if r.OnHand, err = tx.Level(ctx, c.SKU, c.Location); err != nil {
					return err
				}
				continue
			}
			r.Status = StockApplied
			before, reserved, err := tx.LockLevel(ctx, c.SKU, c.Location)
			if err != nil {
				return err
			}
			if r.OnHand, err = tx.Move(ctx, c, now); err != nil {
				return err
			}
			if before-reserved <= 0 && r.OnHand-reserved > 0 {
				// Back in stock: those waiting for it hear of it, in this
				// transaction, so that a crash cannot lose the notice.
				if _, err := tx.NotifyRestock(ctx, c.SKU, c.Location, r.OnHand-reserved, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func validChange(c *StockChange) error {
	switch {
	case c.ID == "":
		return kizuna.FieldError("id", "is required: a movement ID of yours, so that a retry is not applied twice")
	case len(c.ID) > 200:
		return kizuna.FieldError("id", "is longer than 200 bytes")
	case c.SKU == "":
		return kizuna.FieldError("sku", "is required")
	case c.Location == "":
		return kizuna.FieldError("location", "is required")
	case (c.Set == nil) == (c.Delta == nil):
		return kizuna.FieldError("set", "give either set (a count) or delta (a change)")
	case c.Set != nil && *c.Set < 0:
		return kizuna.FieldError("set", "a count cannot be negative")
	case len(c.Reason) > 200:
		return kizuna.FieldError("reason", "is longer than 200 bytes")
	}
	return nil
}

// Stock lists a product's levels by location.
func (inv *Inventory) Stock(ctx context.Context, sku string) ([]StockLevel, error) {
	return inv.store.Stock(ctx, sku)
}
