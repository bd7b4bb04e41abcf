package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/loyalty"
)

var _ loyalty.Store = (*DB)(nil)

const programKey = "loyalty_program"

// LoyaltyProgram is the program as an administrator set it.
func (db *DB) LoyaltyProgram(ctx context.Context) (loyalty.Program, bool, error) {
	v, ok, err := db.setting(ctx, programKey)
	if err != nil || !ok {
		return loyalty.Program{}, false, err
	}
	var p loyalty.Program
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return loyalty.Program{}, false, fmt.Errorf("read the points program: %w", err)
	}
	return p, true, nil
}

// programHistoryKey holds every program set, with when it came into force.
const programHistoryKey = "loyalty_program_history"

// LoyaltyPrograms are the programs set over time, oldest first.
func (db *DB) LoyaltyPrograms(ctx context.Context) ([]loyalty.ProgramVersion, error) {
	return db.programs(ctx, db.read)
}

func (db *DB) programs(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) ([]loyalty.ProgramVersion, error) {
	var v string
	err := q.QueryRowContext(ctx, db.rebind(`SELECT value FROM settings WHERE key = ?`), programHistoryKey).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Set before the history was kept, or never.
		err = q.QueryRowContext(ctx, db.rebind(`SELECT value FROM settings WHERE key = ?`), programKey).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read the points program: %w", err)
		}
		var p loyalty.Program
		if err := json.Unmarshal([]byte(v), &p); err != nil {
			return nil, fmt.Errorf("read the points program: %w", err)
		}
		return []loyalty.ProgramVersion{{Program: p}}, nil
	case err != nil:
		return nil, fmt.Errorf("read the points program history: %w", err)
	}
	var out []loyalty.ProgramVersion
	if err := json.Unmarshal([]byte(v), &out); err != nil {
		return nil, fmt.Errorf("read the points program history: %w", err)
	}
	return out, nil
}

const (
	accountCols = `customer_id, seq, points, held, debt, updated_at`
	entryCols   = `customer_id, seq, id, kind, points, lot, hold_id, order_id, reason, ref, actor_id, at, available_at, expires_at, moved, debt, extends_lots`
	lotCols     = `id, customer_id, order_id, original, remaining, available_at, expires_at`
	holdCols    = `id, customer_id, points, status, ref, order_ref, expires_at, created_at, alloc`
)

type scanner interface{ Scan(...any) error }

func scanAccount(sc scanner) (loyalty.Account, error) {
	var a loyalty.Account
	err := sc.Scan(&a.CustomerID, &a.Seq, &a.Points, &a.Held, &a.Debt, &a.UpdatedAt)
	a.UpdatedAt = a.UpdatedAt.UTC()
	return a, err
}

func scanEntry(sc scanner) (loyalty.LedgerEntry, error) { return scanEntryCols(sc, true) }

// scanReplayEntry reads what Verify's replay uses of an entry (replayCols).
func scanReplayEntry(sc scanner) (loyalty.LedgerEntry, error) { return scanEntryCols(sc, false) }

// scanEntryCols reads entryCols, or with full false replayCols (no
// reason, key or actor).
func scanEntryCols(sc scanner, full bool) (loyalty.LedgerEntry, error) {
	var e loyalty.LedgerEntry
	var kind string
	var ref, moved sql.NullString
	var avail, exp sql.NullTime
	dest := []any{&e.CustomerID, &e.Seq, &e.ID, &kind, &e.Points, &e.Lot, &e.HoldID, &e.OrderID}
	if full {
		dest = append(dest, &e.Reason, &ref, &e.ActorID)
	}
	if err := sc.Scan(append(dest, &e.At, &avail, &exp, &moved, &e.Debt, &e.Extends)...); err != nil {
		return e, err
	}
	e.Kind, e.Ref, e.At = loyalty.Kind(kind), ref.String, e.At.UTC()
	if avail.Valid {
		t := avail.Time.UTC()
		e.AvailableAt = &t
	}
	if exp.Valid {
		t := exp.Time.UTC()
		e.ExpiresAt = &t
	}
	if moved.Valid && moved.String != "" {
		if err := json.Unmarshal([]byte(moved.String), &e.Moved); err != nil {
			return e, fmt.Errorf("points entry %s: %w", e.ID, err)
		}
	}
	return e, nil
}

const replayCols = `customer_id, seq, id, kind, points, lot, hold_id, order_id, at, available_at, expires_at, moved, debt, extends_lots`

func scanLot(sc scanner) (loyalty.Lot, error) {
	var l loyalty.Lot
	err := sc.Scan(&l.ID, &l.CustomerID, &l.OrderID, &l.Original, &l.Remaining, &l.AvailableAt, &l.ExpiresAt)
	l.AvailableAt, l.ExpiresAt = l.AvailableAt.UTC(), l.ExpiresAt.UTC()
	return l, err
}

func scanHold(sc scanner) (loyalty.Hold, error) {
	var h loyalty.Hold
	var alloc string
	if err := sc.Scan(&h.ID, &h.CustomerID, &h.Points, &h.Status, &h.Ref, &h.OrderRef, &h.ExpiresAt, &h.CreatedAt, &alloc); err != nil {
		return h, err
	}
	h.ExpiresAt, h.CreatedAt = h.ExpiresAt.UTC(), h.CreatedAt.UTC()
	return h, json.Unmarshal([]byte(alloc), &h.Alloc)
}

// collect runs a query and scans each row with scan.
func collect[T any](ctx context.Context, db *DB, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, db.rebind(query), args...)
	if err != nil {
		return nil, err
	}
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, v)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}

func (db *DB) pointsState(ctx context.Context, q querier, customerID string, lock bool) (loyalty.Account, []loyalty.Lot, []loyalty.Hold, error) {
	suffix := ""
	if lock && db.dialect == Postgres {
		suffix = ` FOR UPDATE`
	}
	accts, err := collect(ctx, db, q, scanAccount, `SELECT `+accountCols+` FROM points_accounts WHERE customer_id = ?`+suffix, customerID)
	if err != nil {
		return loyalty.Account{}, nil, nil, fmt.Errorf("read points account: %w", err)
	}
	acct := loyalty.Account{CustomerID: customerID}
	if len(accts) == 1 {
		acct = accts[0]
	}
	holds, err := collect(ctx, db, q, scanHold, `SELECT `+holdCols+` FROM points_holds WHERE customer_id = ? AND status = 'held'`, customerID)
	if err != nil {
		return acct, nil, nil, fmt.Errorf("read points holds: %w", err)
	}
	// The lots with points left, and those an active hold took from: a
	// hold may have emptied a lot, and its release puts the points back.
	where, args := `remaining > 0`, []any{customerID}
	var held []string
	for _, h := range holds {
		for _, a := range h.Alloc {
			held = append(held, a.Lot)
		}
	}
	if len(held) > 0 {
		slices.Sort(held)
		held = slices.Compact(held)
		in, a := db.inList(held)
		where, args = `(remaining > 0 OR id `+in+`)`, append(args, a...)
	}
	lots, err := collect(ctx, db, q, scanLot, `SELECT `+lotCols+` FROM points_lots WHERE customer_id = ? AND `+where, args...)
	if err != nil {
		return acct, nil, nil, fmt.Errorf("read points lots: %w", err)
	}
	return acct, lots, holds, nil
}

// PointsAccount is a customer's account, lots and active holds.
func (db *DB) PointsAccount(ctx context.Context, customerID string) (loyalty.Account, []loyalty.Lot, []loyalty.Hold, error) {
	return db.pointsState(ctx, db.read, customerID, false)
}

// PointsEntries is a customer's ledger from entry after+1.
func (db *DB) PointsEntries(ctx context.Context, customerID string, after int64, limit int) ([]loyalty.LedgerEntry, error) {
	out, err := collect(ctx, db, db.read, scanEntry, `SELECT `+entryCols+` FROM points_entries WHERE customer_id = ? AND seq > ? ORDER BY seq LIMIT ?`, customerID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read points entries: %w", err)
	}
	return out, nil
}

// ExpiringPoints lists customers with points valid at now that expire
// before t.
func (db *DB) ExpiringPoints(ctx context.Context, now, before time.Time, after string, limit int) ([]loyalty.Expiring, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT customer_id, SUM(remaining), MIN(expires_at) FROM points_lots
		WHERE remaining > 0 AND expires_at < ? AND expires_at > ? AND customer_id > ? GROUP BY customer_id ORDER BY customer_id LIMIT ?`), before, now, after, limit)
	if err != nil {
		return nil, fmt.Errorf("list expiring points: %w", err)
	}
	defer rows.Close()
	var out []loyalty.Expiring
	for rows.Next() {
		var x loyalty.Expiring
		var first any
		if err := rows.Scan(&x.CustomerID, &x.Points, &first); err != nil {
			return nil, err
		}
		if x.FirstAt, err = asTime(first); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// asTime reads an aggregate of a time column: PostgreSQL gives a time,
// SQLite the stored text.
func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t.UTC(), nil
	case string:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999 -0700 MST", time.RFC3339Nano} {
			if p, err := time.Parse(layout, t); err == nil {
				return p.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("unreadable time %q", t)
	}
	return time.Time{}, fmt.Errorf("unreadable time %v (%T)", v, v)
}

// DuePoints names customers with expired lots or holds past their time.
func (db *DB) DuePoints(ctx context.Context, t time.Time, limit int) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT customer_id FROM points_lots WHERE remaining > 0 AND expires_at <= ?
		UNION SELECT customer_id FROM points_holds WHERE status = 'held' AND expires_at <= ? ORDER BY 1 LIMIT ?`), t, t, limit)
	if err != nil {
		return nil, fmt.Errorf("find due points: %w", err)
	}
	return scanStrings(rows)
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, s)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}

// OrdersToEarn names orders whose points were not settled for their
// latest version.
func (db *DB) OrdersToEarn(ctx context.Context, limit int) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT id FROM orders WHERE points_version < version AND customer_id <> '' ORDER BY id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("find orders to earn points: %w", err)
	}
	return scanStrings(rows)
}

// PendingPointMoves lists merges whose points have yet to move: merged
// customers (merge not undone) with points or a debt and none on hold,
// not moved for that merge yet; and undone merges that moved points in
// and have not moved them back, whose survivor has none on hold.
func (db *DB) PendingPointMoves(ctx context.Context, limit int) ([]loyalty.PointMove, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`
		SELECT m.id, m.merged_id, m.customer_id, 0 FROM merges m JOIN points_accounts a ON a.customer_id = m.merged_id
		WHERE m.undone_at IS NULL AND (a.points > 0 OR a.debt > 0) AND a.held = 0
		  AND NOT EXISTS (SELECT 1 FROM points_entries e WHERE e.ref = 'merge:' || m.id || ':out')
		UNION ALL
		SELECT m.id, m.customer_id, m.merged_id, 1 FROM merges m
		WHERE m.undone_at IS NOT NULL
		  AND NOT EXISTS (SELECT 1 FROM points_accounts a WHERE a.customer_id = m.customer_id AND a.held > 0)
		  AND EXISTS (SELECT 1 FROM points_entries e WHERE e.ref = 'merge:' || m.id || ':in')
		  AND NOT EXISTS (SELECT 1 FROM points_entries e WHERE e.ref = 'unmerge:' || m.id || ':out')
		ORDER BY 1 LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("find points to move: %w", err)
	}
	defer rows.Close()
	var out []loyalty.PointMove
	for rows.Next() {
		var m loyalty.PointMove
		var back int
		if err := rows.Scan(&m.MergeID, &m.From, &m.To, &back); err != nil {
			return nil, err
		}
		m.Back = back == 1
		out = append(out, m)
	}
	return out, rows.Err()
}

// EachLedger streams every customer's ledger with its projection, a
// page of customers at a time, each page read in one transaction (one
// snapshot) with a query per table. Reading the rows is most of Verify's
// time, so pages are read by one worker per core; fn is called by one of
// them at a time, pages in no particular order.
func (db *DB) EachLedger(ctx context.Context, fn func([]loyalty.LedgerEntry, loyalty.Account, []loyalty.Lot, []loyalty.Hold) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT customer_id FROM points_accounts ORDER BY customer_id`)
	if err != nil {
		return fmt.Errorf("verify points: %w", err)
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return fmt.Errorf("verify points: %w", err)
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	page := 2000
	if db.dialect == Postgres {
		// Large pages, but at least two a worker so that all of them work.
		page = max(2000, min(pgLedgerPage, len(ids)/(2*workers)+1))
	}
	// Each page is a range of customer IDs, after one bound and up to the
	// next: every page-th customer with an account when the list was read.
	// A range, not a count, so that an account opened meanwhile (a merge's
	// survivor, a new member) cannot push a customer out of both pages.
	type bounds struct{ after, upto string } // upto "": no end
	var pages []bounds
	for lo, n := "", page; ; n += page {
		if n > len(ids) {
			pages = append(pages, bounds{lo, ""})
			break
		}
		pages = append(pages, bounds{lo, ids[n-1]})
		lo = ids[n-1]
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan bounds)
	var mu sync.Mutex
	var first error
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				var accts []loyalty.Account
				var entries map[string][]loyalty.LedgerEntry
				var lots map[string][]loyalty.Lot
				var holds map[string][]loyalty.Hold
				var err error
				if db.dialect == Postgres {
					accts, entries, lots, holds, err = db.pgLedgerPage(ctx, b.after, b.upto, page)
				} else {
					var tx *sql.Tx
					if tx, err = db.read.BeginTx(ctx, nil); err == nil {
						accts, entries, lots, holds, err = db.ledgerPage(ctx, tx, b.after, b.upto)
						tx.Rollback()
					}
				}
				if err != nil {
					fail(fmt.Errorf("verify points: %w", err))
					continue
				}
				mu.Lock()
				for _, a := range accts {
					if first != nil {
						break
					}
					if err := fn(entries[a.CustomerID], a, lots[a.CustomerID], holds[a.CustomerID]); err != nil {
						first = err
						cancel()
					}
				}
				mu.Unlock()
			}
		}()
	}
send:
	for _, b := range pages {
		select {
		case work <- b:
		case <-ctx.Done():
			break send
		}
	}
	close(work)
	wg.Wait()
	return first
}

// accountRange reads the accounts after one customer ID and up to another
// ("": to the end), in ID order.
func accountRange(upto string) (where string, args func(after string) []any) {
	if upto == "" {
		return `customer_id > ?`, func(after string) []any { return []any{after} }
	}
	return `customer_id > ? AND customer_id <= ?`, func(after string) []any { return []any{after, upto} }
}

func (db *DB) ledgerPage(ctx context.Context, tx *sql.Tx, after, upto string) ([]loyalty.Account, map[string][]loyalty.LedgerEntry, map[string][]loyalty.Lot, map[string][]loyalty.Hold, error) {
	where, args := accountRange(upto)
	accts, err := collect(ctx, db, tx, scanAccount, `SELECT `+accountCols+` FROM points_accounts WHERE `+where+` ORDER BY customer_id`, args(after)...)
	if err != nil || len(accts) == 0 {
		return nil, nil, nil, nil, err
	}
	// The page's customers are a range of IDs: one range scan per table.
	lo, hi := accts[0].CustomerID, accts[len(accts)-1].CustomerID
	// The replay needs no reason, key or actor: reading fewer columns is
	// most of what makes verify faster.
	es, err := collect(ctx, db, tx, scanReplayEntry, `SELECT `+replayCols+` FROM points_entries WHERE customer_id >= ? AND customer_id <= ? ORDER BY customer_id, seq`, lo, hi)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	ls, err := collect(ctx, db, tx, scanLot, `SELECT `+lotCols+` FROM points_lots WHERE customer_id >= ? AND customer_id <= ? AND remaining > 0`, lo, hi)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	hs, err := collect(ctx, db, tx, scanHold, `SELECT `+holdCols+` FROM points_holds WHERE customer_id >= ? AND customer_id <= ? AND status = 'held'`, lo, hi)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	entries, lots, holds := map[string][]loyalty.LedgerEntry{}, map[string][]loyalty.Lot{}, map[string][]loyalty.Hold{}
	for _, e := range es {
		entries[e.CustomerID] = append(entries[e.CustomerID], e)
	}
	for _, l := range ls {
		lots[l.CustomerID] = append(lots[l.CustomerID], l)
	}
	for _, h := range hs {
		holds[h.CustomerID] = append(holds[h.CustomerID], h)
	}
	return accts, entries, lots, holds, nil
}

// pgLedgerPage is how many customers' ledgers Verify reads at a time from
// PostgreSQL: about a million entries at ten a customer, some 200 MB
// while it is replayed.
const pgLedgerPage = 100_000

// pgLedgerPage reads a page of customers on PostgreSQL, through pgx itself
// (binary rows, no database/sql layer). A customer's entries lie all over
// the table, in the order they were written; read through the primary key,
// every entry fetched a heap page, and with the ledger larger than the
// server's buffers those fetches were most of a verify (10M entries:
// 121 s). With index scans off, the planner reads the heap in the table's
// order (a bitmap heap scan or a sequential scan), each page once; the rows
// are then put in customer and sequence order here.
func (db *DB) pgLedgerPage(ctx context.Context, after, upto string, page int) (accts []loyalty.Account, entries map[string][]loyalty.LedgerEntry, lots map[string][]loyalty.Lot, holds map[string][]loyalty.Hold, err error) {
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("verify needs a pgx connection, have %T", dc)
		}
		tx, err := c.Conn().BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		where, args := accountRange(upto)
		if accts, err = pgCollect(ctx, tx, scanAccount, page, `SELECT `+accountCols+` FROM points_accounts WHERE `+db.rebind(where)+` ORDER BY customer_id`, args(after)...); err != nil || len(accts) == 0 {
			return err
		}
		lo, hi := accts[0].CustomerID, accts[len(accts)-1].CustomerID
		if _, err := tx.Exec(ctx, `SET LOCAL enable_indexscan = off`); err != nil {
			return err
		}
		es, err := pgCollect(ctx, tx, scanReplayEntry, 12*len(accts), `SELECT `+replayCols+` FROM points_entries WHERE customer_id >= $1 AND customer_id <= $2`, lo, hi)
		if err != nil {
			return err
		}
		ls, err := pgCollect(ctx, tx, scanLot, len(accts), `SELECT `+lotCols+` FROM points_lots WHERE customer_id >= $1 AND customer_id <= $2 AND remaining > 0`, lo, hi)
		if err != nil {
			return err
		}
		hs, err := pgCollect(ctx, tx, scanHold, 0, `SELECT `+holdCols+` FROM points_holds WHERE customer_id >= $1 AND customer_id <= $2 AND status = 'held'`, lo, hi)
		if err != nil {
			return err
		}
		slices.SortFunc(es, func(a, b loyalty.LedgerEntry) int {
			return cmp.Or(strings.Compare(a.CustomerID, b.CustomerID), cmp.Compare(a.Seq, b.Seq))
		})
		slices.SortFunc(ls, func(a, b loyalty.Lot) int {
			return cmp.Or(strings.Compare(a.CustomerID, b.CustomerID), strings.Compare(a.ID, b.ID))
		})
		slices.SortFunc(hs, func(a, b loyalty.Hold) int {
			return cmp.Or(strings.Compare(a.CustomerID, b.CustomerID), strings.Compare(a.ID, b.ID))
		})
		entries = byCustomer(es, func(e *loyalty.LedgerEntry) string { return e.CustomerID })
		lots = byCustomer(ls, func(l *loyalty.Lot) string { return l.CustomerID })
		holds = byCustomer(hs, func(h *loyalty.Hold) string { return h.CustomerID })
		return nil
	})
	return accts, entries, lots, holds, err
}

// pgCollect runs a query on a pgx transaction and scans each row with
// scan, into a slice of capacity size to begin with.
func pgCollect[T any](ctx context.Context, tx pgx.Tx, scan func(scanner) (T, error), size int, query string, args ...any) ([]T, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]T, 0, size)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// byCustomer returns each customer's rows as a part of s, which holds a
// customer's rows next to each other.
func byCustomer[T any](s []T, customer func(*T) string) map[string][]T {
	out := make(map[string][]T)
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && customer(&s[j]) == customer(&s[i]) {
			j++
		}
		out[customer(&s[i])] = s[i:j:j]
		i = j
	}
	return out
}

// LoyaltyTx runs fn in a write transaction.
func (db *DB) LoyaltyTx(ctx context.Context, fn func(loyalty.Tx) error) error {
	var q *preparedTx
	err := db.connTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		q = &preparedTx{db: db, tx: tx}
		return fn(&loyaltyTx{db: db, conn: conn, tx: tx, q: q})
	})
	if q != nil {
		q.warm(ctx)
	}
	return err
}

type loyaltyTx struct {
	db   *DB
	conn *sql.Conn
	tx   *sql.Tx
	q    *preparedTx
}

func (t *loyaltyTx) exec(ctx context.Context, q string, args ...any) error {
	_, err := t.q.ExecContext(ctx, t.db.rebind(q), args...)
	return err
}

func (t *loyaltyTx) Lock(ctx context.Context, customerID string) (loyalty.Account, []loyalty.Lot, []loyalty.Hold, error) {
	err := t.exec(ctx, `INSERT INTO points_accounts (`+accountCols+`) VALUES (?, 0, 0, 0, 0, ?) ON CONFLICT (customer_id) DO NOTHING`, customerID, time.Now().UTC())
	if err != nil {
		return loyalty.Account{}, nil, nil, fmt.Errorf("open points account: %w", err)
	}
	return t.db.pointsState(ctx, t.q, customerID, true)
}

func (t *loyaltyTx) oneHold(ctx context.Context, where string, arg any) (*loyalty.Hold, error) {
	hs, err := collect(ctx, t.db, t.q, scanHold, `SELECT `+holdCols+` FROM points_holds WHERE `+where, arg)
	if err != nil || len(hs) == 0 {
		return nil, err
	}
	return &hs[0], nil
}

func (t *loyaltyTx) HoldByRef(ctx context.Context, ref string) (*loyalty.Hold, error) {
	return t.oneHold(ctx, `ref = ?`, ref)
}

func (t *loyaltyTx) CommittedHoldsFor(ctx context.Context, customerID, orderRef string) ([]loyalty.Hold, error) {
	// Holds stay with the customer who made them; a merge gives the order
	// to the survivor, so the customers merged into it count too.
	return collect(ctx, t.db, t.q, scanHold, `WITH RECURSIVE merged(id) AS (SELECT ? UNION SELECT c.id FROM customers c JOIN merged m ON c.merged_into = m.id)
		SELECT `+holdCols+` FROM points_holds WHERE customer_id IN (SELECT id FROM merged) AND order_ref = ? AND status = ? ORDER BY id`,
		customerID, orderRef, loyalty.HoldCommitted)
}

func (t *loyaltyTx) HoldByID(ctx context.Context, id string) (*loyalty.Hold, error) {
	return t.oneHold(ctx, `id = ?`, id)
}

func (t *loyaltyTx) EntryByRef(ctx context.Context, ref string) (*loyalty.LedgerEntry, error) {
	es, err := collect(ctx, t.db, t.q, scanEntry, `SELECT `+entryCols+` FROM points_entries WHERE ref = ?`, ref)
	if err != nil || len(es) == 0 {
		return nil, err
	}
	return &es[0], nil
}

func (t *loyaltyTx) PointsGivenBack(ctx context.Context, customerID, orderID, number string) (this, others int64, err error) {
	// A give-back is an adjustment keyed "refund:ORDER" or
	// "refund:ORDER:TOTAL" on the order, found by the order (not by the
	// customer: one merged since keeps the entries in its own ledger).
	rows, err := t.q.QueryContext(ctx, t.db.rebind(`SELECT order_id, SUM(points) FROM points_entries
		WHERE order_id IN (SELECT id FROM orders WHERE customer_id = ? AND external_id = ? UNION SELECT ?)
		AND kind = 'adjust' AND ref LIKE 'refund:%' GROUP BY order_id`), customerID, number, orderID)
	if err != nil {
		return 0, 0, fmt.Errorf("read points given back: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return 0, 0, err
		}
		if id == orderID {
			this += n
		} else {
			others += n
		}
	}
	return this, others, rows.Err()
}

func (t *loyaltyTx) Save(ctx context.Context, a loyalty.Account, entries []loyalty.LedgerEntry, lots []loyalty.Lot, holds []loyalty.Hold) error {
	for _, e := range entries {
		var ref, moved any
		if e.Ref != "" {
			ref = e.Ref
		}
		if len(e.Moved) > 0 {
			b, err := json.Marshal(e.Moved)
			if err != nil {
				return err
			}
			moved = string(b)
		}
		if err := t.exec(ctx, `INSERT INTO points_entries (`+entryCols+`) VALUES (`+placeholders(17)+`)`, e.CustomerID, e.Seq, e.ID, string(e.Kind), e.Points,
			e.Lot, e.HoldID, e.OrderID, e.Reason, ref, e.ActorID, e.At, e.AvailableAt, e.ExpiresAt, moved, e.Debt, e.Extends); err != nil {
			if isUniqueViolation(err) {
				return kizuna.Errorf(kizuna.ECONFLICT, "points entry %d of customer %s was written by another transaction; try again", e.Seq, e.CustomerID)
			}
			return fmt.Errorf("append points entry: %w", err)
		}
	}
	for _, l := range lots {
		if err := t.exec(ctx, `INSERT INTO points_lots (`+lotCols+`) VALUES (`+placeholders(7)+`) ON CONFLICT (id) DO UPDATE SET
			customer_id = excluded.customer_id, remaining = excluded.remaining, expires_at = excluded.expires_at`,
			l.ID, l.CustomerID, l.OrderID, l.Original, l.Remaining, l.AvailableAt, l.ExpiresAt); err != nil {
			return fmt.Errorf("write points lot: %w", err)
		}
	}
	for _, h := range holds {
		alloc, err := json.Marshal(h.Alloc)
		if err != nil {
			return err
		}
		if err := t.exec(ctx, `INSERT INTO points_holds (`+holdCols+`) VALUES (`+placeholders(9)+`) ON CONFLICT (id) DO UPDATE SET status = excluded.status`,
			h.ID, h.CustomerID, h.Points, h.Status, h.Ref, h.OrderRef, h.ExpiresAt, h.CreatedAt, string(alloc)); err != nil {
			return fmt.Errorf("write points hold: %w", err)
		}
	}
	if err := t.exec(ctx, `UPDATE points_accounts SET seq = ?, points = ?, held = ?, debt = ?, updated_at = ? WHERE customer_id = ?`,
		a.Seq, a.Points, a.Held, a.Debt, a.UpdatedAt, a.CustomerID); err != nil {
		return fmt.Errorf("write points account: %w", err)
	}
	return nil
}

func (t *loyaltyTx) OrderForPoints(ctx context.Context, orderID string) (*commerce.Order, int64, error) {
	lock := ""
	if t.db.dialect == Postgres {
		lock = ` FOR UPDATE`
	}
	o, err := t.db.oneOrder(ctx, t.q, orderID, `WHERE id = ?`+lock, orderID)
	if err != nil {
		return nil, 0, err
	}
	var sofar sql.NullInt64
	if err := t.q.QueryRowContext(ctx, t.db.rebind(`SELECT SUM(points) FROM points_entries WHERE order_id = ? AND order_id <> '' AND kind IN ('earn', 'reverse')`), orderID).Scan(&sofar); err != nil {
		return nil, 0, fmt.Errorf("read order points: %w", err)
	}
	return o, sofar.Int64, nil
}

func (t *loyaltyTx) SetOrderEarned(ctx context.Context, orderID string, version int) error {
	return t.exec(ctx, `UPDATE orders SET points_version = ? WHERE id = ? AND points_version < ?`, version, orderID, version)
}

func (t *loyaltyTx) Categories(ctx context.Context, skus []string) (map[string]string, error) {
	out := map[string]string{}
	if len(skus) == 0 {
		return out, nil
	}
	in, args := t.db.inList(skus)
	rows, err := t.tx.QueryContext(ctx, t.db.rebind(`SELECT sku, category FROM products WHERE sku `+in), args...)
	if err != nil {
		return nil, fmt.Errorf("read categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sku, cat string
		if err := rows.Scan(&sku, &cat); err != nil {
			return nil, err
		}
		var path []string
		if json.Unmarshal([]byte(cat), &path) == nil {
			out[sku] = strings.Join(path, "/")
		}
	}
	return out, rows.Err()
}

// SetProgram stores the program and adds it to the history. A database
// whose program was set before the history was kept starts it with that
// program (or the default, never set), in force since always.
func (t *loyaltyTx) SetProgram(ctx context.Context, p loyalty.Program, from time.Time) error {
	versions, err := t.db.programs(ctx, t.q)
	if err != nil {
		return err
	}
	if len(versions) == 0 {
		versions = []loyalty.ProgramVersion{{Program: loyalty.DefaultProgram()}}
	}
	versions = append(versions, loyalty.ProgramVersion{From: from.UTC(), Program: p})
	// In force-from order; a program set for the same time as another
	// comes after it, and so wins.
	slices.SortStableFunc(versions, func(a, b loyalty.ProgramVersion) int { return a.From.Compare(b.From) })
	b, err := json.Marshal(versions[len(versions)-1].Program) // the latest in force
	if err != nil {
		return err
	}
	h, err := json.Marshal(versions)
	if err != nil {
		return err
	}
	const upsert = `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	if err := t.exec(ctx, upsert, programKey, string(b)); err != nil {
		return err
	}
	return t.exec(ctx, upsert, programHistoryKey, string(h))
}

func (t *loyaltyTx) Audit(ctx context.Context, entries ...audit.Entry) error {
	return t.db.appendAudit(ctx, t.conn, t.tx, entries)
}
