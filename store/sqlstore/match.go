package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kizuna-oss/kizuna/customer"
)

// EachSource calls fn with every source record that is not erased, with its
// current profile, in ID order (what batch identity resolution reads).
// Decoding runs as rows arrive, so memory stays flat.
func (db *DB) EachSource(ctx context.Context, fn func(customer.SourceProfile) error) error {
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if db.dialect == SQLite {
		// One pass over every record: reading it through the memory map
		// would leave the whole table mapped into the process (gigabytes
		// of RSS at a million customers) for no reuse. Plain reads go
		// through SQLite's bounded page cache instead.
		if _, err := conn.ExecContext(ctx, `PRAGMA mmap_size = 0`); err != nil {
			return err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA mmap_size = 2147418112`)
	}
	rows, err := conn.QueryContext(ctx, `SELECT id, customer_id, channel, external_id, profile, created_at
		FROM source_profiles WHERE NOT erased ORDER BY id`)
	if err != nil {
		return fmt.Errorf("read source records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sp customer.SourceProfile
		var prof []byte
		if err := rows.Scan(&sp.ID, &sp.CustomerID, &sp.Channel, &sp.ExternalID, &prof, &sp.CreatedAt); err != nil {
			return err
		}
		if err := json.Unmarshal(prof, &sp.Profile); err != nil {
			return fmt.Errorf("source profile %s: corrupt profile JSON: %w", sp.ID, err)
		}
		if err := fn(sp); err != nil {
			return err
		}
	}
	return rows.Err()
}

// MatchModel returns the newest stored match model; version 0 means none.
func (db *DB) MatchModel(ctx context.Context) (int, []byte, error) {
	var version int
	var model []byte
	err := db.read.QueryRowContext(ctx, `SELECT version, model FROM match_models ORDER BY version DESC LIMIT 1`).Scan(&version, &model)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("read match model: %w", err)
	}
	return version, model, nil
}

// SaveMatchModel stores a model as the next version and returns it.
func (t *tx) SaveMatchModel(ctx context.Context, model func(version int) ([]byte, error), actorID string, at time.Time) (int, error) {
	var version int
	if err := t.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM match_models`).Scan(&version); err != nil {
		return 0, fmt.Errorf("next match model version: %w", err)
	}
	b, err := model(version)
	if err != nil {
		return 0, err
	}
	if err := t.exec(ctx, `INSERT INTO match_models (version, model, actor_id, created_at) VALUES (?, ?, ?, ?)`, version, string(b), actorID, at.UTC()); err != nil {
		return 0, fmt.Errorf("save match model: %w", err)
	}
	return version, nil
}

// KeptApart lists the pairs of customers staff decided are different
// people: dismissed possible duplicates, and merges undone.
func (db *DB) KeptApart(ctx context.Context) ([][2]string, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT customer_id, other_id FROM duplicates WHERE status = ? AND customer_id <> other_id
		UNION SELECT customer_id, merged_id FROM merges WHERE undone_at IS NOT NULL`), customer.DuplicateDismissed)
	if err != nil {
		return nil, fmt.Errorf("read kept-apart pairs: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// MergedByOthers lists the customers that hold a merge (not undone) made by
// anyone but actorID: decisions the resolver (actorID) must keep.
func (db *DB) MergedByOthers(ctx context.Context, actorID string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT DISTINCT customer_id FROM merges WHERE undone_at IS NULL AND actor_id <> ? ORDER BY customer_id`), actorID)
	if err != nil {
		return nil, fmt.Errorf("read merges: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
