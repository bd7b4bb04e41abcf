package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/event"
)

var _ commerce.ReservationTx = (*inventoryTx)(nil)

func (t *inventoryTx) LockLevel(ctx context.Context, sku, location string) (int64, int64, error) {
	q := `SELECT on_hand, reserved FROM stock WHERE sku = ? AND location = ?`
	if t.db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var onHand, reserved int64
	err := t.tx.QueryRowContext(ctx, t.db.rebind(q), sku, location).Scan(&onHand, &reserved)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("read stock of %s at %s: %w", sku, location, err)
	}
	return onHand, reserved, nil
}

func (t *inventoryTx) AddReserved(ctx context.Context, sku, location string, delta int64, at time.Time) error {
	_, err := t.tx.ExecContext(ctx, t.db.rebind(`INSERT INTO stock (sku, location, on_hand, reserved, updated_at) VALUES (?, ?, 0, ?, ?)
		ON CONFLICT (sku, location) DO UPDATE SET reserved = stock.reserved + excluded.reserved, updated_at = excluded.updated_at`), sku, location, delta, at)
	if err != nil {
		return fmt.Errorf("reserve %s at %s: %w", sku, location, err)
	}
	return nil
}

const reservationCols = `id, sku, location, quantity, order_ref, status, created_at, expires_at, ended_at`

func (t *inventoryTx) Reservation(ctx context.Context, id string) (*commerce.Reservation, error) {
	q := `SELECT ` + reservationCols + ` FROM stock_reservations WHERE id = ?`
	if t.db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var r commerce.Reservation
	var ended sql.NullTime
	err := t.tx.QueryRowContext(ctx, t.db.rebind(q), id).Scan(&r.ID, &r.SKU, &r.Location, &r.Quantity, &r.OrderRef, &r.Status, &r.CreatedAt, &r.ExpiresAt, &ended)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read reservation %s: %w", id, err)
	}
	r.CreatedAt, r.ExpiresAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	r.Minutes = int(r.ExpiresAt.Sub(r.CreatedAt) / time.Minute)
	if ended.Valid {
		e := ended.Time.UTC()
		r.EndedAt = &e
	}
	return &r, nil
}

func (t *inventoryTx) InsertReservation(ctx context.Context, r *commerce.Reservation, actorID string) error {
	_, err := t.tx.ExecContext(ctx, t.db.rebind(`INSERT INTO stock_reservations (id, sku, location, quantity, order_ref, status, actor_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), r.ID, r.SKU, r.Location, r.Quantity, r.OrderRef, r.Status, actorID, r.CreatedAt, r.ExpiresAt)
	if isUniqueViolation(err) {
		return kizuna.Errorf(kizuna.ECONFLICT, "reservation %s is being made by another request: retry", r.ID)
	}
	if err != nil {
		return fmt.Errorf("record reservation %s: %w", r.ID, err)
	}
	return nil
}

func (t *inventoryTx) EndReservation(ctx context.Context, id, status string, at time.Time) error {
	if _, err := t.tx.ExecContext(ctx, t.db.rebind(`UPDATE stock_reservations SET status = ?, ended_at = ? WHERE id = ?`), status, at, id); err != nil {
		return fmt.Errorf("end reservation %s: %w", id, err)
	}
	return nil
}

func (t *inventoryTx) DueReservations(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := t.tx.QueryContext(ctx, t.db.rebind(`SELECT id FROM stock_reservations WHERE status = 'active' AND expires_at <= ? ORDER BY expires_at LIMIT ?`), now, limit)
	if err != nil {
		return nil, fmt.Errorf("due reservations: %w", err)
	}
	return scanStrings(rows)
}

func (t *inventoryTx) NotifyRestock(ctx context.Context, sku, location string, available int64, at time.Time) (int, error) {
	rows, err := t.tx.QueryContext(ctx, t.db.rebind(`SELECT id, customer_id FROM stock_subscriptions
		WHERE sku = ? AND location IN (?, '') AND notified_at IS NULL ORDER BY id`), sku, location)
	if err != nil {
		return 0, fmt.Errorf("back-in-stock subscribers: %w", err)
	}
	var subs [][2]string
	for rows.Next() {
		var id, cust string
		if err := rows.Scan(&id, &cust); err != nil {
			rows.Close()
			return 0, err
		}
		subs = append(subs, [2]string{id, cust})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("back-in-stock subscribers: %w", err)
	}
	if len(subs) == 0 {
		return 0, nil
	}
	props, err := json.Marshal(map[string]any{"sku": sku, "location": location, "available": available})
	if err != nil {
		return 0, err
	}
	evs := make([]event.Row, len(subs))
	for i, s := range subs {
		evs[i] = event.Row{Event: &event.Event{ID: "restock-" + s[0] + "-" + at.Format("20060102T150405.000000"), Type: event.BackInStock,
			At: at, ReceivedAt: at, CustomerID: s[1]}, Props: props}
		if _, err := t.tx.ExecContext(ctx, t.db.rebind(`UPDATE stock_subscriptions SET notified_at = ? WHERE id = ?`), at, s[0]); err != nil {
			return 0, fmt.Errorf("mark subscription notified: %w", err)
		}
	}
	et := eventTx{orderTx{db: t.db, tx: t.tx}}
	if _, err := et.InsertEvents(ctx, evs); err != nil {
		return 0, err
	}
	return len(subs), nil
}

// StoresWithStock lists the locations of store channels (own stores,
// department-store counters) with at least quantity of sku available.
func (db *DB) StoresWithStock(ctx context.Context, sku string, quantity int64) ([]commerce.StockPlace, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT l.code, l.name, l.prefecture, l.address, l.latitude, l.longitude, s.on_hand - s.reserved
		FROM stock s JOIN locations l ON l.code = s.location JOIN channels c ON c.code = l.channel
		WHERE s.sku = ? AND s.on_hand - s.reserved >= ? AND c.kind IN ('store', 'dept_counter') ORDER BY l.code`), sku, quantity)
	if err != nil {
		return nil, fmt.Errorf("stores with %s: %w", sku, err)
	}
	defer rows.Close()
	var out []commerce.StockPlace
	for rows.Next() {
		var p commerce.StockPlace
		if err := rows.Scan(&p.Location, &p.Name, &p.Prefecture, &p.Address, &p.Lat, &p.Lng, &p.Available); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SubscribeStock records a back-in-stock subscription; asking again while
// it waits changes nothing, and after a notice it waits again.
func (db *DB) SubscribeStock(ctx context.Context, customerID, sku, location string, at time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO stock_subscriptions (id, customer_id, sku, location, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (customer_id, sku, location) DO UPDATE SET notified_at = NULL, created_at = CASE WHEN stock_subscriptions.notified_at IS NULL THEN stock_subscriptions.created_at ELSE excluded.created_at END`),
			kizuna.NewID("sub"), customerID, sku, location, at)
		if err != nil {
			return fmt.Errorf("subscribe to %s: %w", sku, err)
		}
		return nil
	})
}
