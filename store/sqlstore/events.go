package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/event"
)

var _ event.Store = (*DB)(nil)

const eventCols = `id, type, at, received_at, channel, customer_id, anonymous_id, session_id, props`

// EventTx runs fn in one write transaction.
func (db *DB) EventTx(ctx context.Context, fn func(event.Tx) error) error {
	return db.connTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		return fn(&eventTx{orderTx{db: db, conn: conn, tx: tx}})
	})
}

// eventTx shares the customer and location lookups of orders.
type eventTx struct{ orderTx }

func (t *eventTx) Links(ctx context.Context, anonymousIDs []string) (map[string]string, error) {
	out := map[string]string{}
	for start := 0; start < len(anonymousIDs); start += t.db.lookupChunk() {
		in, args := t.db.inList(anonymousIDs[start:min(start+t.db.lookupChunk(), len(anonymousIDs))])
		rows, err := t.tx.QueryContext(ctx, t.db.rebind(`SELECT anonymous_id, customer_id FROM event_links WHERE anonymous_id `+in), args...)
		if err != nil {
			return nil, fmt.Errorf("read sign-ins: %w", err)
		}
		for rows.Next() {
			var a, c string
			if err := rows.Scan(&a, &c); err != nil {
				rows.Close()
				return nil, err
			}
			out[a] = c
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("read sign-ins: %w", err)
		}
	}
	return out, nil
}

func (t *eventTx) Consented(ctx context.Context, ids []string, purpose string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(ids); start += t.db.lookupChunk() {
		in, args := t.db.inList(ids[start:min(start+t.db.lookupChunk(), len(ids))])
		rows, err := t.tx.QueryContext(ctx, t.db.rebind(`SELECT `+customerCols+` FROM customers WHERE id `+in), args...)
		if err != nil {
			return nil, fmt.Errorf("read consents: %w", err)
		}
		for rows.Next() {
			c, err := scanCustomer(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			if event.ConsentedTo(c, purpose) {
				out[c.ID] = true
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("read consents: %w", err)
		}
	}
	return out, nil
}

func (t *eventTx) InsertEvents(ctx context.Context, rows []event.Row) (int, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	// In one order of IDs, two batches sharing events cannot wait on each
	// other's unique keys (PostgreSQL).
	rows = slices.Clone(rows)
	slices.SortFunc(rows, func(a, b event.Row) int { return strings.Compare(a.ID, b.ID) })
	if t.db.dialect == Postgres {
		return t.insertEventsUnnest(ctx, rows)
	}
	// One prepared single-row INSERT per event: a multi-row INSERT … ON
	// CONFLICT makes SQLite keep a statement journal of every page it
	// touches (in case the statement fails half-way), and that copying
	// was two thirds of an ingest (docs/benchmarks.md).
	st, err := t.tx.PrepareContext(ctx, `INSERT INTO events (`+eventCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	defer st.Close()
	stored := 0
	for _, r := range rows {
		res, err := st.ExecContext(ctx, r.ID, string(r.Type), r.At, r.ReceivedAt, r.Channel, r.CustomerID, r.AnonymousID, r.SessionID, nullJSON(r.Props))
		if err != nil {
			return 0, fmt.Errorf("insert event %s: %w", r.ID, err)
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		stored += int(k)
	}
	return stored, nil
}

// insertEventsUnnest sends a batch as nine arrays: one statement with nine
// parameters, where a VALUES list would carry thousands.
func (t *eventTx) insertEventsUnnest(ctx context.Context, rows []event.Row) (int, error) {
	ids, types, chans, custs, anons, sess := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	at, recv := make([]time.Time, len(rows)), make([]time.Time, len(rows))
	props := make([]*string, len(rows))
	for i, r := range rows {
		ids[i], types[i], chans[i], custs[i], anons[i], sess[i] = r.ID, string(r.Type), r.Channel, r.CustomerID, r.AnonymousID, r.SessionID
		at[i], recv[i] = r.At, r.ReceivedAt
		if r.Props != nil {
			s := string(r.Props)
			props[i] = &s
		}
	}
	res, err := t.tx.ExecContext(ctx, `INSERT INTO events (`+eventCols+`)
		SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::jsonb[])
		ON CONFLICT (id) DO NOTHING`, ids, types, at, recv, chans, custs, anons, sess, props)
	if err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	k, err := res.RowsAffected()
	return int(k), err
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func (t *eventTx) Link(ctx context.Context, anonymousID, customerID string, at time.Time) (int, error) {
	if _, err := t.tx.ExecContext(ctx, t.db.rebind(`INSERT INTO event_links (anonymous_id, customer_id, linked_at) VALUES (?, ?, ?)
		ON CONFLICT (anonymous_id) DO UPDATE SET customer_id = excluded.customer_id, linked_at = excluded.linked_at`), anonymousID, customerID, at); err != nil {
		return 0, fmt.Errorf("record sign-in: %w", err)
	}
	res, err := t.tx.ExecContext(ctx, t.db.rebind(`UPDATE events SET customer_id = ? WHERE anonymous_id = ? AND anonymous_id <> '' AND customer_id = ''`), customerID, anonymousID)
	if err != nil {
		return 0, fmt.Errorf("stitch anonymous events: %w", err)
	}
	k, err := res.RowsAffected()
	return int(k), err
}

// Events lists events, newest first.
func (db *DB) Events(ctx context.Context, q event.Query) ([]event.Event, error) {
	var conds []string
	var args []any
	if len(q.CustomerIDs) > 0 {
		in, a := db.inList(q.CustomerIDs)
		// "<> ''" lets the planner use the partial index.
		conds, args = append(conds, `customer_id `+in, `customer_id <> ''`), append(args, a...)
	}
	if q.AnonymousID != "" {
		conds, args = append(conds, `anonymous_id = ?`, `anonymous_id <> ''`), append(args, q.AnonymousID)
	}
	if len(q.Types) > 0 {
		ts := make([]string, len(q.Types))
		for i, t := range q.Types {
			ts[i] = string(t)
		}
		in, a := db.inList(ts)
		conds, args = append(conds, `type `+in), append(args, a...)
	}
	if q.After != "" {
		t, id, err := kizuna.ParseTimeCursor(q.After)
		if err != nil {
			return nil, err
		}
		conds, args = append(conds, `(at < ? OR (at = ? AND id < ?))`), append(args, t, t, id)
	}
	where := ""
	if len(conds) > 0 {
		where = `WHERE ` + strings.Join(conds, ` AND `)
	}
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT `+eventCols+` FROM events `+where+` ORDER BY at DESC, id DESC LIMIT ?`), append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []event.Event
	for rows.Next() {
		var e event.Event
		var typ string
		var props sql.NullString
		if err := rows.Scan(&e.ID, &typ, &e.At, &e.ReceivedAt, &e.Channel, &e.CustomerID, &e.AnonymousID, &e.SessionID, &props); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		e.Type = event.Type(typ)
		if props.Valid {
			if err := json.Unmarshal([]byte(props.String), &e.Properties); err != nil {
				return nil, fmt.Errorf("event %s: properties: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Absorbed lists the customers merged into id, directly or through others.
func (db *DB) Absorbed(ctx context.Context, id string) ([]string, error) {
	var out []string
	next := []string{id}
	for hop := 0; hop < 16 && len(next) > 0; hop++ {
		in, args := db.inList(next)
		rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT id FROM customers WHERE merged_into `+in+` ORDER BY id`), args...)
		if err != nil {
			return nil, fmt.Errorf("customers merged into %s: %w", id, err)
		}
		if next, err = scanStrings(rows); err != nil {
			return nil, fmt.Errorf("customers merged into %s: %w", id, err)
		}
		out = append(out, next...)
	}
	return out, nil
}

// EraseEvents deletes what a customer did, and forgets their devices.
func (t *tx) EraseEvents(ctx context.Context, customerID string) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	for _, q := range []string{`DELETE FROM events WHERE customer_id = ? AND customer_id <> ''`,
		`DELETE FROM events WHERE anonymous_id IN (SELECT anonymous_id FROM event_links WHERE customer_id = ?) AND anonymous_id <> ''`,
		`DELETE FROM event_links WHERE customer_id = ?`} {
		if err := t.exec(ctx, q, customerID); err != nil {
			return fmt.Errorf("erase events: %w", err)
		}
	}
	return nil
}
