package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
)

var _ commerce.OrderStore = (*DB)(nil)

const orderCols = `id, channel, external_id, customer_id, status, store, placed_at, currency, total, tax, discount, shipping_fee, points_used, refunded, doc, version, created_at, updated_at`

const lineCols = `order_id, line, customer_id, sku, name, quantity, unit_price, discount, tax_rate, amount, tax, returned`

// orderDoc is what an order keeps in its doc column: the parts read with
// the order and never queried on their own.
type orderDoc struct {
	Customer  commerce.OrderCustomer  `json:"customer"`
	Payments  []commerce.Payment      `json:"payments,omitempty"`
	Shipments []commerce.Shipment     `json:"shipments,omitempty"`
	Billing   *commerce.Billing       `json:"billing,omitempty"`
	Returns   []commerce.Return       `json:"returns,omitempty"`
	History   []commerce.StatusChange `json:"history,omitempty"`
	TaxByRate []commerce.RateTax      `json:"tax_by_rate,omitempty"`
}

func orderArgs(o *commerce.Order) ([]any, error) {
	doc, err := json.Marshal(orderDoc{Customer: o.Customer, Payments: o.Payments, Shipments: o.Shipments, Billing: o.Billing, Returns: o.Returns, History: o.History, TaxByRate: o.TaxByRate})
	if err != nil {
		return nil, err
	}
	return []any{o.ID, o.Channel, o.ExternalID, o.CustomerID, string(o.Status), o.Store, o.PlacedAt, o.Currency, o.Total, o.Tax, o.Discount,
		o.ShippingFee, o.PointsUsed, o.Total - o.NetTotal(), string(doc), o.Version, o.CreatedAt, o.UpdatedAt}, nil
}

func lineArgs(o *commerce.Order, args []any) []any {
	for _, l := range o.Lines {
		args = append(args, o.ID, l.Line, o.CustomerID, l.SKU, l.Name, l.Quantity, l.UnitPrice, l.Discount, int(l.TaxRate), l.Amount, l.Tax, l.Returned)
	}
	return args
}

func scanOrder(sc interface{ Scan(...any) error }) (*commerce.Order, error) {
	var o commerce.Order
	var status, doc string
	var refunded int64
	if err := sc.Scan(&o.ID, &o.Channel, &o.ExternalID, &o.CustomerID, &status, &o.Store, &o.PlacedAt, &o.Currency, &o.Total, &o.Tax, &o.Discount,
		&o.ShippingFee, &o.PointsUsed, &refunded, &doc, &o.Version, &o.CreatedAt, &o.UpdatedAt); err != nil {
		return nil, err
	}
	o.Status = commerce.OrderStatus(status)
	var d orderDoc
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		return nil, fmt.Errorf("order %s: %w", o.ID, err)
	}
	o.Customer, o.Payments, o.Shipments, o.Billing, o.Returns, o.History, o.TaxByRate = d.Customer, d.Payments, d.Shipments, d.Billing, d.Returns, d.History, d.TaxByRate
	o.PlacedAt, o.CreatedAt, o.UpdatedAt = o.PlacedAt.UTC(), o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return &o, nil
}

// readOrders reads orders chosen by where (with args) and their lines.
func (db *DB) readOrders(ctx context.Context, q querier, where string, args ...any) ([]*commerce.Order, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT `+orderCols+` FROM orders `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	var out []*commerce.Order
	byID := map[string]*commerce.Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, o)
		byID[o.ID] = o
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("read orders: %w", err)
	}
	ids := make([]string, len(out))
	for i, o := range out {
		ids[i] = o.ID
	}
	for start := 0; start < len(ids); start += db.lookupChunk() {
		in, args := db.inList(ids[start:min(start+db.lookupChunk(), len(ids))])
		rows, err := q.QueryContext(ctx, db.rebind(`SELECT order_id, line, sku, name, quantity, unit_price, discount, tax_rate, amount, tax, returned
			FROM order_lines WHERE order_id `+in+` ORDER BY order_id, line`), args...)
		if err != nil {
			return nil, fmt.Errorf("read order lines: %w", err)
		}
		for rows.Next() {
			var id string
			var l commerce.OrderLine
			var rate int
			if err := rows.Scan(&id, &l.Line, &l.SKU, &l.Name, &l.Quantity, &l.UnitPrice, &l.Discount, &rate, &l.Amount, &l.Tax, &l.Returned); err != nil {
				rows.Close()
				return nil, err
			}
			l.TaxRate = commerce.TaxRate(rate)
			byID[id].Lines = append(byID[id].Lines, l)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("read order lines: %w", err)
		}
	}
	return out, nil
}

func (db *DB) oneOrder(ctx context.Context, q querier, what string, where string, args ...any) (*commerce.Order, error) {
	os, err := db.readOrders(ctx, q, where, args...)
	if err != nil {
		return nil, err
	}
	if len(os) == 0 {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "no order %s", what)
	}
	return os[0], nil
}

// Order is one order by ID.
func (db *DB) Order(ctx context.Context, id string) (*commerce.Order, error) {
	return db.oneOrder(ctx, db.read, id, `WHERE id = ?`, id)
}

// OrderByRef is one order by its channel's order number.
func (db *DB) OrderByRef(ctx context.Context, ref commerce.OrderRef) (*commerce.Order, error) {
	return db.oneOrder(ctx, db.read, ref.ExternalID+" in channel "+ref.Channel, `WHERE channel = ? AND external_id = ?`, ref.Channel, ref.ExternalID)
}

// Orders lists orders, newest first (by placed_at, then ID); the cursor
// is "placed_at|id" of the last order of the previous page.
func (db *DB) Orders(ctx context.Context, q commerce.OrderQuery) ([]commerce.Order, error) {
	var conds []string
	var args []any
	if q.CustomerID != "" {
		conds, args = append(conds, `customer_id = ?`), append(args, q.CustomerID)
	}
	if q.Guest {
		conds = append(conds, `customer_id = ''`)
	}
	if q.Channel != "" {
		conds, args = append(conds, `channel = ?`), append(args, q.Channel)
	}
	if q.Status != "" {
		conds, args = append(conds, `status = ?`), append(args, string(q.Status))
	}
	if q.After != "" {
		t, id, err := kizuna.ParseTimeCursor(q.After)
		if err != nil {
			return nil, err
		}
		conds, args = append(conds, `(placed_at < ? OR (placed_at = ? AND id < ?))`), append(args, t, t, id)
	}
	where := ""
	if len(conds) > 0 {
		where = `WHERE ` + strings.Join(conds, ` AND `)
	}
	os, err := db.readOrders(ctx, db.read, where+` ORDER BY placed_at DESC, id DESC LIMIT ?`, append(args, q.Limit)...)
	if err != nil {
		return nil, err
	}
	out := make([]commerce.Order, len(os))
	for i, o := range os {
		out[i] = *o
	}
	return out, nil
}

// HasGuestOrders reports whether any order waits for its customer.
func (db *DB) HasGuestOrders(ctx context.Context) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM order_keys LIMIT 1) AS k`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for guest orders: %w", err)
	}
	return n > 0, nil
}

// OrderTx runs fn in a write transaction.
func (db *DB) OrderTx(ctx context.Context, fn func(commerce.OrderTx) error) error {
	return db.connTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		return fn(&orderTx{db: db, conn: conn, tx: tx})
	})
}

type orderTx struct {
	db   *DB
	conn *sql.Conn
	tx   *sql.Tx
}

func (t *orderTx) OrdersByRef(ctx context.Context, refs []commerce.OrderRef) (map[commerce.OrderRef]*commerce.Order, error) {
	out := map[commerce.OrderRef]*commerce.Order{}
	ext := make([]customer.ExternalRef, len(refs))
	for i, r := range refs {
		ext[i] = customer.ExternalRef{Channel: r.Channel, ExternalID: r.ExternalID}
	}
	for start := 0; start < len(ext); start += t.db.lookupChunk() {
		cond, args := t.db.externalCond(ext[start:min(start+t.db.lookupChunk(), len(ext))])
		if t.db.dialect == Postgres {
			cond += ` ORDER BY id FOR UPDATE` // a concurrent resend waits instead of overwriting this one's changes
		}
		os, err := t.db.readOrders(ctx, t.tx, `WHERE `+cond, args...)
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			out[o.Ref()] = o
		}
	}
	return out, nil
}

func (t *orderTx) LockOrder(ctx context.Context, id string) (*commerce.Order, error) {
	lock := ""
	if t.db.dialect == Postgres {
		lock = ` FOR UPDATE`
	}
	return t.db.oneOrder(ctx, t.tx, id, `WHERE id = ?`+lock, id)
}

func (t *orderTx) Owners(ctx context.Context, keys []string) (map[string][]string, error) {
	return customersByKeys(ctx, t.db, t.tx, keys)
}

func (t *orderTx) Survivors(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	want := map[string][]string{} // customer → the asked IDs that lead to it
	for _, id := range ids {
		want[id] = []string{id}
	}
	// Follow merges: a merged customer's survivor may itself be merged.
	for hop := 0; hop < 16 && len(want) > 0; hop++ {
		next := map[string][]string{}
		keys := make([]string, 0, len(want))
		for id := range want {
			keys = append(keys, id)
		}
		for start := 0; start < len(keys); start += t.db.lookupChunk() {
			in, args := t.db.inList(keys[start:min(start+t.db.lookupChunk(), len(keys))])
			rows, err := t.tx.QueryContext(ctx, t.db.rebind(`SELECT id, status, COALESCE(merged_into, '') FROM customers WHERE id `+in), args...)
			if err != nil {
				return nil, fmt.Errorf("find customers: %w", err)
			}
			for rows.Next() {
				var id, status, into string
				if err := rows.Scan(&id, &status, &into); err != nil {
					rows.Close()
					return nil, err
				}
				switch {
				case status == customer.StatusActive:
					for _, asked := range want[id] {
						out[asked] = id
					}
				case status == customer.StatusMerged && into != "":
					next[into] = append(next[into], want[id]...)
				}
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return nil, fmt.Errorf("find customers: %w", err)
			}
		}
		want = next
	}
	return out, nil
}

func (t *orderTx) KnownChannels(ctx context.Context, codes []string) (map[string]bool, error) {
	it := inventoryTx{db: t.db, tx: t.tx}
	return it.present(ctx, `SELECT code FROM channels WHERE code `, codes)
}

func (t *orderTx) KnownLocations(ctx context.Context, codes []string) (map[string]bool, error) {
	it := inventoryTx{db: t.db, tx: t.tx}
	return it.present(ctx, `SELECT code FROM locations WHERE code `, codes)
}

// insertRows sends rows of n values each into table: COPY on PostgreSQL,
// multi-row INSERTs on SQLite.
func (t *orderTx) insertRows(ctx context.Context, table, cols string, n int, args []any) error {
	if len(args) == 0 {
		return nil
	}
	if t.db.dialect == Postgres && len(args)/n >= copyMinRows {
		return t.db.copyRows(ctx, t.conn, table, cols, n, args)
	}
	per := max(1, 30000/n) // SQLite allows 32,766 parameters a statement
	for start := 0; start < len(args); start += per * n {
		part := args[start:min(start+per*n, len(args))]
		q := `INSERT INTO ` + table + ` (` + cols + `) VALUES ` + strings.TrimSuffix(strings.Repeat("("+placeholders(n)+"),", len(part)/n), ",")
		if _, err := t.tx.ExecContext(ctx, t.db.rebind(q), part...); err != nil {
			return fmt.Errorf("insert %s: %w", table, err)
		}
	}
	return nil
}

func (t *orderTx) InsertOrders(ctx context.Context, orders []*commerce.Order, guestKeys map[string][]string) error {
	var rows, lines, keys []any
	for _, o := range orders {
		a, err := orderArgs(o)
		if err != nil {
			return err
		}
		rows = append(rows, a...)
		lines = lineArgs(o, lines)
		for _, k := range guestKeys[o.ID] {
			keys = append(keys, k, o.ID)
		}
	}
	if err := t.insertRows(ctx, "orders", orderCols, 18, rows); err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: %v", commerce.ErrOrderRace, err)
		}
		return err
	}
	if err := t.insertRows(ctx, "order_lines", lineCols, 12, lines); err != nil {
		return err
	}
	return t.insertRows(ctx, "order_keys", "key, order_id", 2, keys)
}

func (t *orderTx) UpdateOrders(ctx context.Context, orders []*commerce.Order, lines map[string]bool, keys map[string][]string) error {
	if len(orders) == 0 {
		return nil
	}
	// The rows go in as upserts on the primary key, many a statement: one
	// UPDATE per order was most of the time of a resent batch.
	var rows []any
	var relined, rekeyed []string
	var newLines, newKeys []any
	for _, o := range orders {
		a, err := orderArgs(o)
		if err != nil {
			return err
		}
		rows = append(rows, a...)
		if lines[o.ID] {
			relined = append(relined, o.ID)
			newLines = lineArgs(o, newLines)
		}
		if ks, ok := keys[o.ID]; ok {
			rekeyed = append(rekeyed, o.ID)
			for _, k := range ks {
				newKeys = append(newKeys, k, o.ID)
			}
		}
	}
	const n = 18
	per := 30000 / n
	for start := 0; start < len(rows); start += per * n {
		part := rows[start:min(start+per*n, len(rows))]
		q := `INSERT INTO orders (` + orderCols + `) VALUES ` + strings.TrimSuffix(strings.Repeat("("+placeholders(n)+"),", len(part)/n), ",") +
			` ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id, status = excluded.status, store = excluded.store,
			placed_at = excluded.placed_at, currency = excluded.currency, total = excluded.total, tax = excluded.tax, discount = excluded.discount,
			shipping_fee = excluded.shipping_fee, points_used = excluded.points_used, refunded = excluded.refunded, doc = excluded.doc,
			version = excluded.version, updated_at = excluded.updated_at`
		if _, err := t.tx.ExecContext(ctx, t.db.rebind(q), part...); err != nil {
			return fmt.Errorf("update orders: %w", err)
		}
	}
	for _, del := range []struct {
		table string
		ids   []string
	}{{"order_lines", relined}, {"order_keys", rekeyed}} {
		for start := 0; start < len(del.ids); start += t.db.lookupChunk() {
			in, args := t.db.inList(del.ids[start:min(start+t.db.lookupChunk(), len(del.ids))])
			if _, err := t.tx.ExecContext(ctx, t.db.rebind(`DELETE FROM `+del.table+` WHERE order_id `+in), args...); err != nil {
				return fmt.Errorf("update orders: %w", err)
			}
		}
	}
	if err := t.insertRows(ctx, "order_lines", lineCols, 12, newLines); err != nil {
		return err
	}
	return t.insertRows(ctx, "order_keys", "key, order_id", 2, newKeys)
}

func (t *orderTx) guestKeys(ctx context.Context, where string, args ...any) (map[string][]string, error) {
	rows, err := t.tx.QueryContext(ctx, t.db.rebind(`SELECT order_id, key FROM order_keys WHERE `+where+` ORDER BY order_id, key`), args...)
	if err != nil {
		return nil, fmt.Errorf("read guest order keys: %w", err)
	}
	out := map[string][]string{}
	for rows.Next() {
		var id, k string
		if err := rows.Scan(&id, &k); err != nil {
			rows.Close()
			return nil, err
		}
		out[id] = append(out[id], k)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}

func (t *orderTx) GuestOrdersByKeys(ctx context.Context, keys []string) (map[string][]string, error) {
	out := map[string][]string{}
	for start := 0; start < len(keys); start += t.db.lookupChunk() {
		in, args := t.db.inList(keys[start:min(start+t.db.lookupChunk(), len(keys))])
		part, err := t.guestKeys(ctx, `order_id IN (SELECT order_id FROM order_keys WHERE key `+in+`)`, args...)
		if err != nil {
			return nil, err
		}
		for id, ks := range part {
			out[id] = ks
		}
	}
	return out, nil
}

func (t *orderTx) AllGuestKeys(ctx context.Context) (map[string][]string, error) {
	return t.guestKeys(ctx, `1 = 1`)
}

func (t *orderTx) AttachOrder(ctx context.Context, orderID, customerID string) error {
	for _, q := range []string{
		`UPDATE orders SET customer_id = ? WHERE id = ?`,
		`UPDATE order_lines SET customer_id = ? WHERE order_id = ?`,
	} {
		if _, err := t.tx.ExecContext(ctx, t.db.rebind(q), customerID, orderID); err != nil {
			return fmt.Errorf("attach order %s: %w", orderID, err)
		}
	}
	if _, err := t.tx.ExecContext(ctx, t.db.rebind(`DELETE FROM order_keys WHERE order_id = ?`), orderID); err != nil {
		return fmt.Errorf("attach order %s: %w", orderID, err)
	}
	return nil
}

func (t *orderTx) Audit(ctx context.Context, entries ...audit.Entry) error {
	return t.db.appendAudit(ctx, t.conn, t.tx, entries)
}

// MoveOrders gives from's orders to to and returns their IDs.
func (t *tx) MoveOrders(ctx context.Context, from, to string) ([]string, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	rows, err := t.QueryContext(ctx, t.db.rebind(`SELECT id FROM orders WHERE customer_id = ? ORDER BY id`), from)
	if err != nil {
		return nil, fmt.Errorf("move orders: %w", err)
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("move orders: %w", err)
	}
	return ids, t.MoveOrdersByID(ctx, ids, to)
}

// MoveOrdersByID gives orders (and their lines) to customer to.
func (t *tx) MoveOrdersByID(ctx context.Context, ids []string, to string) error {
	for start := 0; start < len(ids); start += chunk {
		part := anys(ids[start:min(start+chunk, len(ids))])
		in := `(` + placeholders(len(part)) + `)`
		args := append([]any{to}, part...)
		for _, q := range []string{
			`UPDATE orders SET customer_id = ? WHERE id IN ` + in,
			`UPDATE order_lines SET customer_id = ? WHERE order_id IN ` + in,
		} {
			if err := t.exec(ctx, q, args...); err != nil {
				return fmt.Errorf("move orders: %w", err)
			}
		}
	}
	return nil
}

// EraseOrderContacts clears the identifiers a customer's orders were
// sent with.
func (t *tx) EraseOrderContacts(ctx context.Context, customerID string) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	os, err := t.db.readOrders(ctx, t, `WHERE customer_id = ?`, customerID)
	if err != nil {
		return err
	}
	for _, o := range os {
		o.Customer = commerce.OrderCustomer{}
		a, err := orderArgs(o)
		if err != nil {
			return err
		}
		if err := t.exec(ctx, `UPDATE orders SET doc = ? WHERE id = ?`, a[14], o.ID); err != nil {
			return fmt.Errorf("erase order contacts: %w", err)
		}
	}
	return nil
}
