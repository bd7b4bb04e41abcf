package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/event"
)

var _ event.Store = (*DB)(nil)

const eventCols = `id, type, at, received_at, channel, customer_id, anonymous_id, session_id, props`

// EventTx runs fn in one write transaction. On SQLite, ingests that
// arrive together share one (groupCommit), and fn may run more than once.
func (db *DB) EventTx(ctx context.Context, fn func(event.Tx) error) error {
	run := func(conn *sql.Conn, tx *sql.Tx) error {
		return fn(&eventTx{orderTx{db: db, conn: conn, tx: tx}})
	}
	if db.dialect == SQLite {
		return db.events.run(ctx, db, run)
	}
	return db.connTx(ctx, run)
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
	keyed := make([]keyedRow, len(rows))
	for i, r := range rows {
		device := r.Device
		if device == "" {
			device = r.Event.Device()
		}
		keyed[i] = keyedRow{r, eventKey(device), eventKey(r.ID)}
	}
	// In one order of keys, two batches sharing events cannot wait on each
	// other's unique keys (PostgreSQL), and a device's events go into the
	// same index page one after the other.
	slices.SortFunc(keyed, func(a, b keyedRow) int {
		return cmp.Or(cmp.Compare(a.device, b.device), cmp.Compare(a.id, b.id))
	})
	if t.db.dialect == Postgres {
		return t.insertEventsUnnest(ctx, keyed)
	}
	// One prepared single-row INSERT per event: a multi-row INSERT … ON
	// CONFLICT makes SQLite keep a statement journal of every page it
	// touches (in case the statement fails half-way), and that copying
	// was two thirds of an ingest (docs/benchmarks.md).
	st, err := t.tx.PrepareContext(ctx, `INSERT INTO events (`+eventKeyCols+eventCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (device_key, id_key) DO NOTHING`)
	if err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	defer st.Close()
	stored := 0
	for _, k := range keyed {
		r := k.Row
		res, err := st.ExecContext(ctx, k.device, k.id, r.ID, string(r.Type), r.At, r.ReceivedAt, r.Channel, r.CustomerID, r.AnonymousID, r.SessionID, nullJSON(r.Props))
		if err != nil {
			return 0, fmt.Errorf("insert event %s: %w", r.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		stored += int(n)
	}
	return stored, nil
}

// keyedRow is an event with its device and ID keys.
type keyedRow struct {
	event.Row
	device, id int64
}

// eventKeyCols are the two keys that tell events apart (schema 14).
const eventKeyCols = `device_key, id_key, `

// eventKey is the 64-bit key of a device or an event ID: FNV-1a, which is
// the same in every process and version (the keys are stored), as a signed
// integer because both databases' integers are. Two different events of
// one device collide only if their IDs' keys do, about once in 10¹⁹ pairs,
// and the text ID is kept beside the keys.
func eventKey(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64())
}

// deviceKey is the device key of a browser's or app's anonymous ID.
func deviceKey(anonymousID string) int64 {
	return eventKey((&event.Event{AnonymousID: anonymousID}).Device())
}

// insertEventsUnnest sends a batch as arrays: one statement with eleven
// parameters, where a VALUES list would carry thousands.
func (t *eventTx) insertEventsUnnest(ctx context.Context, rows []keyedRow) (int, error) {
	devices, idKeys := make([]int64, len(rows)), make([]int64, len(rows))
	ids, types, chans, custs, anons, sess := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	at, recv := make([]time.Time, len(rows)), make([]time.Time, len(rows))
	props := make([]*string, len(rows))
	for i, r := range rows {
		devices[i], idKeys[i] = r.device, r.id
		ids[i], types[i], chans[i], custs[i], anons[i], sess[i] = r.ID, string(r.Type), r.Channel, r.CustomerID, r.AnonymousID, r.SessionID
		at[i], recv[i] = r.At, r.ReceivedAt
		if r.Props != nil {
			s := string(r.Props)
			props[i] = &s
		}
	}
	res, err := t.tx.ExecContext(ctx, `INSERT INTO events (`+eventKeyCols+eventCols+`)
		SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[])
		ON CONFLICT (device_key, id_key) DO NOTHING`, devices, idKeys, ids, types, at, recv, chans, custs, anons, sess, props)
	if err != nil {
		return 0, fmt.Errorf("insert events: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
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
	res, err := t.tx.ExecContext(ctx, t.db.rebind(`UPDATE events SET customer_id = ? WHERE device_key = ? AND anonymous_id = ? AND customer_id = ''`),
		customerID, deviceKey(anonymousID), anonymousID)
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
		conds, args = append(conds, `device_key = ?`, `anonymous_id = ?`), append(args, deviceKey(q.AnonymousID), q.AnonymousID)
	}
	if len(q.Types) > 0 {
		ts := make([]string, len(q.Types))
		for i, t := range q.Types {
			ts[i] = string(t)
		}
		in, a := db.inList(ts)
		conds, args = append(conds, `type `+in), append(args, a...)
	}
	order := `at DESC, id DESC`
	switch {
	case q.ByArrival():
		// The table's own order: the newest rows are read first and the
		// scan stops at the limit.
		order = `seq DESC`
		if q.After != "" {
			seq, err := event.ParseArrivalCursor(q.After)
			if err != nil {
				return nil, err
			}
			conds, args = append(conds, `seq < ?`), append(args, seq)
		}
	case q.After != "":
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
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT seq, `+eventCols+` FROM events `+where+` ORDER BY `+order+` LIMIT ?`), append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []event.Event
	for rows.Next() {
		var e event.Event
		var typ string
		var props sql.NullString
		if err := rows.Scan(&e.Seq, &e.ID, &typ, &e.At, &e.ReceivedAt, &e.Channel, &e.CustomerID, &e.AnonymousID, &e.SessionID, &props); err != nil {
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
	if err := t.exec(ctx, `DELETE FROM events WHERE customer_id = ? AND customer_id <> ''`, customerID); err != nil {
		return fmt.Errorf("erase events: %w", err)
	}
	rows, err := t.query(ctx, `SELECT anonymous_id FROM event_links WHERE customer_id = ? ORDER BY anonymous_id`, customerID)
	if err != nil {
		return fmt.Errorf("erase events: %w", err)
	}
	devices, err := scanStrings(rows)
	if err != nil {
		return fmt.Errorf("erase events: %w", err)
	}
	for _, a := range devices {
		if err := t.exec(ctx, `DELETE FROM events WHERE device_key = ? AND anonymous_id = ?`, deviceKey(a), a); err != nil {
			return fmt.Errorf("erase events: %w", err)
		}
	}
	if err := t.exec(ctx, `DELETE FROM event_links WHERE customer_id = ?`, customerID); err != nil {
		return fmt.Errorf("erase events: %w", err)
	}
	return nil
}

// backfillEventKeys gives the events stored before schema 14 their keys
// (the device: the anonymous ID, else the customer), then creates the
// unique index on them.
func (db *DB) backfillEventKeys(ctx context.Context, tx *sql.Tx) error {
	type keys struct{ seq, device, id int64 }
	var after int64
	for {
		rows, err := tx.QueryContext(ctx, db.rebind(`SELECT seq, id, anonymous_id, customer_id FROM events WHERE seq > ? ORDER BY seq LIMIT 10000`), after)
		if err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		var page []keys
		for rows.Next() {
			var k keys
			var e event.Event
			if err := rows.Scan(&k.seq, &e.ID, &e.AnonymousID, &e.CustomerID); err != nil {
				rows.Close()
				return fmt.Errorf("read events: %w", err)
			}
			k.device, k.id = eventKey(e.Device()), eventKey(e.ID)
			page = append(page, k)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("read events: %w", err)
		}
		if len(page) == 0 {
			break
		}
		st, err := tx.PrepareContext(ctx, db.rebind(`UPDATE events SET device_key = ?, id_key = ? WHERE seq = ?`))
		if err != nil {
			return err
		}
		for _, k := range page {
			if _, err := st.ExecContext(ctx, k.device, k.id, k.seq); err != nil {
				st.Close()
				return fmt.Errorf("key event %d: %w", k.seq, err)
			}
		}
		st.Close()
		after = page[len(page)-1].seq
	}
	// Before schema 14 an ID was unique across devices, so no two events
	// can share both keys unless their IDs' keys collide.
	if _, err := tx.ExecContext(ctx, `CREATE UNIQUE INDEX events_device ON events(device_key, id_key)`); err != nil {
		return fmt.Errorf("index events by device: %w", err)
	}
	return nil
}
