package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kizuna-oss/kizuna/commerce"
)

var _ commerce.InventoryStore = (*DB)(nil)

// Stock lists a product's levels by location.
func (db *DB) Stock(ctx context.Context, sku string) ([]commerce.StockLevel, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT sku, location, on_hand, reserved, updated_at FROM stock WHERE sku = ? ORDER BY location`), sku)
	if err != nil {
		return nil, fmt.Errorf("read stock of %s: %w", sku, err)
	}
	defer rows.Close()
	var out []commerce.StockLevel
	for rows.Next() {
		var l commerce.StockLevel
		if err := rows.Scan(&l.SKU, &l.Location, &l.OnHand, &l.Reserved, &l.UpdatedAt); err != nil {
			return nil, err
		}
		l.Available = l.OnHand - l.Reserved
		l.UpdatedAt = l.UpdatedAt.UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}

// InventoryTx runs fn in a write transaction.
func (db *DB) InventoryTx(ctx context.Context, fn func(commerce.InventoryTx) error) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return fn(&inventoryTx{db: db, tx: tx}) })
}

type inventoryTx struct {
	db *DB
	tx *sql.Tx
}

func (t *inventoryTx) Known(ctx context.Context, skus, locations []string) (map[string]bool, map[string]bool, error) {
	products, err := t.present(ctx, `SELECT sku FROM products WHERE sku `, skus)
	if err != nil {
		return nil, nil, err
	}
	places, err := t.present(ctx, `SELECT code FROM locations WHERE code `, locations)
	return products, places, err
}

// present runs query (ending in the column compared) for values and
// returns the values it found.
func (t *inventoryTx) present(ctx context.Context, query string, values []string) (map[string]bool, error) {
	values = slices.Compact(slices.Sorted(slices.Values(values)))
	out := map[string]bool{}
	for start := 0; start < len(values); start += t.db.lookupChunk() {
		in, args := t.db.inList(values[start:min(start+t.db.lookupChunk(), len(values))])
		rows, err := t.tx.QueryContext(ctx, t.db.rebind(query+in), args...)
		if err != nil {
			return nil, fmt.Errorf("check stock keys: %w", err)
		}
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, err
			}
			out[v] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *inventoryTx) ClaimMovement(ctx context.Context, c commerce.StockChange, actorID string, at time.Time) (bool, error) {
	kind, qty := "delta", int64(0)
	if c.Set != nil {
		kind, qty = "set", *c.Set
	} else if c.Delta != nil {
		qty = *c.Delta
	}
	// On PostgreSQL a concurrent transaction holding the same ID makes this
	// wait for it, then do nothing: the movement is claimed once.
	res, err := t.tx.ExecContext(ctx, t.db.rebind(`INSERT INTO stock_movements (id, sku, location, kind, quantity, reason, actor_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		c.ID, c.SKU, c.Location, kind, qty, c.Reason, actorID, at)
	if err != nil {
		return false, fmt.Errorf("record stock movement %s: %w", c.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (t *inventoryTx) Move(ctx context.Context, c commerce.StockChange, at time.Time) (int64, error) {
	q, qty := `INSERT INTO stock (sku, location, on_hand, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (sku, location) DO UPDATE SET on_hand = stock.on_hand + excluded.on_hand, updated_at = excluded.updated_at RETURNING on_hand`, int64(0)
	if c.Set != nil {
		q = `INSERT INTO stock (sku, location, on_hand, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (sku, location) DO UPDATE SET on_hand = excluded.on_hand, updated_at = excluded.updated_at RETURNING on_hand`
		qty = *c.Set
	} else if c.Delta != nil {
		qty = *c.Delta
	}
	var onHand int64
	if err := t.tx.QueryRowContext(ctx, t.db.rebind(q), c.SKU, c.Location, qty, at).Scan(&onHand); err != nil {
		return 0, fmt.Errorf("move stock of %s at %s: %w", c.SKU, c.Location, err)
	}
	return onHand, nil
}

func (t *inventoryTx) Level(ctx context.Context, sku, location string) (int64, error) {
	var n int64
	err := t.tx.QueryRowContext(ctx, t.db.rebind(`SELECT on_hand FROM stock WHERE sku = ? AND location = ?`), sku, location).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}
