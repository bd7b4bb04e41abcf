package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna/audit"
)

// appendAudit seals entries into the hash chain inside the caller's
// transaction: the entry commits with the change it records, or neither does.
func (db *DB) appendAudit(ctx context.Context, conn *sql.Conn, tx *sql.Tx, entries []audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	q := `SELECT seq, hash FROM audit_head WHERE id = 1`
	if db.dialect == Postgres {
		q += ` FOR UPDATE` // one chain: appenders take turns
	}
	var seq int64
	var hash string
	if err := tx.QueryRowContext(ctx, q).Scan(&seq, &hash); err != nil {
		return fmt.Errorf("read audit head: %w", err)
	}
	const cols = 15
	args := make([]any, 0, cols*len(entries))
	for i := range entries {
		e := &entries[i]
		if e.At.IsZero() {
			e.At = time.Now()
		}
		e.Seal(seq, hash)
		seq, hash = e.Seq, e.Hash
		args = append(args, e.Seq, e.At, e.ActorType, e.ActorID, e.ActorName, e.IP, e.UserAgent, e.Terminal, e.Action, e.ObjectType, e.ObjectID, e.CustomerID, string(e.Detail), e.PrevHash, e.Hash)
	}
	switch {
	case db.dialect == Postgres && conn != nil && len(entries) >= copyMinRows:
		if err := db.copyRows(ctx, conn, "audit_log", auditCols, cols, args); err != nil {
			return fmt.Errorf("append audit entries: %w", err)
		}
	case db.dialect == SQLite:
		// Row by row with one prepared statement: no statement journal (see
		// tx.flush).
		st, err := tx.PrepareContext(ctx, `INSERT INTO audit_log (`+auditCols+`) VALUES (`+placeholders(cols)+`)`)
		if err != nil {
			return fmt.Errorf("append audit entries: %w", err)
		}
		defer st.Close()
		for i := 0; i < len(args); i += cols {
			if _, err := st.ExecContext(ctx, args[i:i+cols]...); err != nil {
				return fmt.Errorf("append audit entries: %w", err)
			}
		}
	default:
		ins := `INSERT INTO audit_log (` + auditCols + `) VALUES `
		for start := 0; start < len(entries); start += 60 {
			k := min(60, len(entries)-start)
			if _, err := tx.ExecContext(ctx, db.rebind(ins+strings.TrimSuffix(strings.Repeat("("+placeholders(cols)+"),", k), ",")), args[start*cols:(start+k)*cols]...); err != nil {
				return fmt.Errorf("append audit entries: %w", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`), seq, hash); err != nil {
		return fmt.Errorf("update audit head: %w", err)
	}
	return nil
}

// AppendAudit records entries in their own transaction (reads of personal
// data, exports, logins: events with no other write to ride on).
func (db *DB) AppendAudit(ctx context.Context, entries ...audit.Entry) error {
	return db.connTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error { return db.appendAudit(ctx, conn, tx, entries) })
}

const auditCols = `seq, at, actor_type, actor_id, actor_name, ip, user_agent, terminal, action, object_type, object_id, customer_id, detail, prev_hash, hash`

func scanAudit(sc interface{ Scan(...any) error }) (audit.Entry, error) {
	var e audit.Entry
	var detail string
	err := sc.Scan(&e.Seq, &e.At, &e.ActorType, &e.ActorID, &e.ActorName, &e.IP, &e.UserAgent, &e.Terminal, &e.Action, &e.ObjectType, &e.ObjectID, &e.CustomerID, &detail, &e.PrevHash, &e.Hash)
	e.At = e.At.UTC()
	if detail != "" {
		e.Detail = []byte(detail)
	}
	return e, err
}

// AuditEntries lists entries newest first.
func (db *DB) AuditEntries(ctx context.Context, f audit.Filter) ([]audit.Entry, error) {
	var where []string
	var args []any
	add := func(cond string, v any) { where = append(where, cond); args = append(args, v) }
	if f.CustomerID != "" {
		add(`customer_id = ?`, f.CustomerID)
	}
	if f.ActorID != "" {
		add(`actor_id = ?`, f.ActorID)
	}
	if f.Action != "" {
		add(`action = ?`, f.Action)
	}
	if !f.Since.IsZero() {
		add(`at >= ?`, f.Since.UTC())
	}
	if !f.Until.IsZero() {
		add(`at < ?`, f.Until.UTC())
	}
	if f.BeforeSeq > 0 {
		add(`seq < ?`, f.BeforeSeq)
	}
	q := `SELECT ` + auditCols + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.read.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list audit entries: %w", err)
	}
	defer rows.Close()
	var out []audit.Entry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit walks the chain in order up to the head it read first, so
// entries appended meanwhile (a live server) neither break nor prolong the
// check, and compares the end with that head, so deleting the newest
// entries is caught too.
func (db *DB) VerifyAudit(ctx context.Context) (int64, *audit.Problem, error) {
	var headSeq int64
	var headHash string
	if err := db.read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return 0, nil, fmt.Errorf("read audit head: %w", err)
	}
	var last audit.Entry
	all := func(yield func(audit.Entry, error) bool) {
		var after int64
		for after < headSeq {
			rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT `+auditCols+` FROM audit_log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT 5000`), after, headSeq)
			if err != nil {
				yield(audit.Entry{}, err)
				return
			}
			n := 0
			for rows.Next() {
				e, err := scanAudit(rows)
				n++
				after, last = e.Seq, e
				if !yield(e, err) || err != nil {
					rows.Close()
					return
				}
			}
			err = rows.Err()
			rows.Close()
			if err != nil {
				yield(audit.Entry{}, err)
				return
			}
			if n == 0 {
				return
			}
		}
	}
	n, p, err := audit.Verify(all)
	if err != nil || p != nil {
		return n, p, err
	}
	if headSeq != last.Seq || (headSeq > 0 && headHash != last.Hash) {
		return n, &audit.Problem{Seq: last.Seq + 1, Reason: fmt.Sprintf("the chain head records entry %d but the log ends at entry %d (newest entries deleted or head edited)", headSeq, last.Seq)}, nil
	}
	return n, nil, nil
}
