package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/loyalty"
)

var _ loyalty.RankStore = (*DB)(nil)

// RankTx runs fn in one write transaction.
func (db *DB) RankTx(ctx context.Context, fn func(loyalty.RankTx) error) error {
	return db.connTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		return fn(&rankTx{db: db, conn: conn, tx: tx})
	})
}

type rankTx struct {
	db   *DB
	conn *sql.Conn
	tx   *sql.Tx
}

func (t *rankTx) RankFacts(ctx context.Context, ids []string, since, until time.Time) (map[string]loyalty.RankFacts, error) {
	return rankFacts(ctx, t.db, t.tx, ids, since, until)
}

// RankFacts sums the customers' orders placed in [since, until] on the
// read pool.
func (db *DB) RankFacts(ctx context.Context, ids []string, since, until time.Time) (map[string]loyalty.RankFacts, error) {
	return rankFacts(ctx, db, db.read, ids, since, until)
}

func rankFacts(ctx context.Context, db *DB, q querier, ids []string, since, until time.Time) (map[string]loyalty.RankFacts, error) {
	out := map[string]loyalty.RankFacts{}
	days := map[string]map[string]bool{}
	for start := 0; start < len(ids); start += db.lookupChunk() {
		in, args := db.inList(ids[start:min(start+db.lookupChunk(), len(ids))])
		// Spend is what the goods cost, net of returns (the shipping fee
		// is no purchase); an order returned whole is no visit.
		rows, err := q.QueryContext(ctx, db.rebind(`SELECT customer_id, placed_at, total - refunded - shipping_fee FROM orders
			WHERE customer_id `+in+` AND placed_at >= ? AND placed_at <= ? AND status <> ?`), append(args, since.UTC(), until.UTC(), string(commerce.OrderCancelled))...)
		if err != nil {
			return nil, fmt.Errorf("rank facts: %w", err)
		}
		for rows.Next() {
			var id string
			var at time.Time
			var net int64
			if err := rows.Scan(&id, &at, &net); err != nil {
				rows.Close()
				return nil, err
			}
			f := out[id]
			if net <= 0 {
				// Returned whole: the refund is the goods' whole price (the
				// shipping fee is never refunded, and is subtracted above).
				out[id] = f
				continue
			}
			f.Spend += net
			if days[id] == nil {
				days[id] = map[string]bool{}
			}
			if d := at.In(kizuna.Tokyo).Format(time.DateOnly); !days[id][d] {
				days[id][d] = true
				f.Visits++
			}
			out[id] = f
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("rank facts: %w", err)
		}
	}
	return out, nil
}

const rankCols = `customer_id, rank, since, spend, visits, down_from, evaluated_at`

func scanRank(sc interface{ Scan(...any) error }) (*loyalty.CustomerRank, error) {
	var r loyalty.CustomerRank
	var down sql.NullTime
	if err := sc.Scan(&r.CustomerID, &r.Rank, &r.Since, &r.Spend, &r.Visits, &down, &r.EvaluatedAt); err != nil {
		return nil, err
	}
	if down.Valid {
		t := down.Time.UTC()
		r.DownFrom = &t
	}
	r.Since, r.EvaluatedAt = r.Since.UTC(), r.EvaluatedAt.UTC()
	return &r, nil
}

func (t *rankTx) Ranks(ctx context.Context, ids []string) (map[string]*loyalty.CustomerRank, error) {
	out := map[string]*loyalty.CustomerRank{}
	for start := 0; start < len(ids); start += t.db.lookupChunk() {
		in, args := t.db.inList(ids[start:min(start+t.db.lookupChunk(), len(ids))])
		q := `SELECT ` + rankCols + ` FROM customer_ranks WHERE customer_id ` + in + ` ORDER BY customer_id`
		if t.db.dialect == Postgres {
			q += ` FOR UPDATE`
		}
		rows, err := t.tx.QueryContext(ctx, t.db.rebind(q), args...)
		if err != nil {
			return nil, fmt.Errorf("read ranks: %w", err)
		}
		for rows.Next() {
			r, err := scanRank(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[r.CustomerID] = r
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("read ranks: %w", err)
		}
	}
	return out, nil
}

func (t *rankTx) SaveRanks(ctx context.Context, ranks []*loyalty.CustomerRank, changes []loyalty.RankChange) error {
	for _, r := range ranks {
		var down any
		if r.DownFrom != nil {
			down = *r.DownFrom
		}
		if _, err := t.tx.ExecContext(ctx, t.db.rebind(`INSERT INTO customer_ranks (`+rankCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (customer_id) DO UPDATE SET rank = excluded.rank, since = excluded.since, spend = excluded.spend,
			visits = excluded.visits, down_from = excluded.down_from, evaluated_at = excluded.evaluated_at`),
			r.CustomerID, r.Rank, r.Since, r.Spend, r.Visits, down, r.EvaluatedAt); err != nil {
			return fmt.Errorf("save rank of %s: %w", r.CustomerID, err)
		}
	}
	for _, c := range changes {
		if _, err := t.tx.ExecContext(ctx, t.db.rebind(`INSERT INTO rank_history (customer_id, at, from_rank, to_rank, reason, spend, visits)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), c.CustomerID, c.At, c.From, c.To, c.Reason, c.Spend, c.Visits); err != nil {
			return fmt.Errorf("rank history of %s: %w", c.CustomerID, err)
		}
	}
	return nil
}

func (t *rankTx) Audit(ctx context.Context, entries ...audit.Entry) error {
	return t.db.appendAudit(ctx, t.conn, t.tx, entries)
}

// CustomerRank is a customer's rank (nil when never evaluated).
func (db *DB) CustomerRank(ctx context.Context, customerID string) (*loyalty.CustomerRank, error) {
	r, err := scanRank(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+rankCols+` FROM customer_ranks WHERE customer_id = ?`), customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rank of %s: %w", customerID, err)
	}
	return r, nil
}

// RankHistory is a customer's rank changes, newest first.
func (db *DB) RankHistory(ctx context.Context, customerID string, limit int) ([]loyalty.RankChange, error) {
	return rankHistory(ctx, db, db.read, customerID, limit)
}

func rankHistory(ctx context.Context, db *DB, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, customerID string, limit int) ([]loyalty.RankChange, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT customer_id, at, from_rank, to_rank, reason, spend, visits FROM rank_history
		WHERE customer_id = ? ORDER BY at DESC, to_rank LIMIT ?`), customerID, limit)
	if err != nil {
		return nil, fmt.Errorf("rank history of %s: %w", customerID, err)
	}
	defer rows.Close()
	out := []loyalty.RankChange{}
	for rows.Next() {
		var c loyalty.RankChange
		if err := rows.Scan(&c.CustomerID, &c.At, &c.From, &c.To, &c.Reason, &c.Spend, &c.Visits); err != nil {
			return nil, err
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// RankChanges is a customer's whole rank history, newest first, read in
// the points transaction.
func (t *loyaltyTx) RankChanges(ctx context.Context, customerID string) ([]loyalty.RankChange, error) {
	return rankHistory(ctx, t.db, t.tx, customerID, 1<<30)
}

// RankCandidates lists active customers by ID after the cursor; the
// evaluation skips those with neither orders in the window nor a rank.
func (db *DB) RankCandidates(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT id FROM customers WHERE status = 'active' AND id > ? ORDER BY id LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("customers to rank: %w", err)
	}
	return scanStrings(rows)
}
