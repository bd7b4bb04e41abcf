package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kizuna-oss/kizuna/idempotency"
)

// Idempotency returns the idempotency-key store.
func (db *DB) Idempotency() idempotency.Store { return idemStore{db} }

type idemStore struct{ db *DB }

func (s idemStore) Claim(ctx context.Context, owner, key, hash string) (*idempotency.Response, bool, error) {
	return s.db.ClaimIdempotencyKey(ctx, owner, key, hash)
}
func (s idemStore) Complete(ctx context.Context, owner, key string, status int, ct string, body []byte) error {
	return s.db.CompleteIdempotencyKey(ctx, owner, key, status, ct, body)
}
func (s idemStore) Release(ctx context.Context, owner, key string) error {
	return s.db.ReleaseIdempotencyKey(ctx, owner, key)
}

// ClaimIdempotencyKey records that owner's request with key is starting.
// It returns the earlier response (and false) if the key was seen before.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, owner, key, requestHash string) (*idempotency.Response, bool, error) {
	_, err := db.write.ExecContext(ctx, db.rebind(`INSERT INTO idempotency_keys (owner, key, request_hash, status, content_type, body, created_at) VALUES (?,?,?,0,'',NULL,?)`),
		owner, key, requestHash, time.Now().UTC())
	if err == nil {
		return nil, true, nil
	}
	if !isUniqueViolation(err) {
		return nil, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	var r idempotency.Response
	err = db.write.QueryRowContext(ctx, db.rebind(`SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE owner = ? AND key = ?`), owner, key).
		Scan(&r.RequestHash, &r.Status, &r.ContentType, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("idempotency key vanished while claiming it")
	}
	return &r, false, err
}

// CompleteIdempotencyKey stores the response of a claimed request.
func (db *DB) CompleteIdempotencyKey(ctx context.Context, owner, key string, status int, contentType string, body []byte) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? WHERE owner = ? AND key = ?`), status, contentType, body, owner, key)
	return err
}

// ReleaseIdempotencyKey forgets a claim whose request failed before doing
// anything (a server error), so the client may retry with the same key.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, owner, key string) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM idempotency_keys WHERE owner = ? AND key = ?`), owner, key)
	return err
}

// PruneIdempotencyKeys deletes keys older than the retention period.
func (db *DB) PruneIdempotencyKeys(ctx context.Context, olderThan time.Time) (int64, error) {
	res, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM idempotency_keys WHERE created_at < ?`), olderThan.UTC())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
