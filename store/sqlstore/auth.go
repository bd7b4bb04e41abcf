package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
)

var _ auth.Store = (*DB)(nil)

const userCols = `id, username, display_name, password_hash, role, locale, disabled, created_at, updated_at, totp_secret, failed_logins, locked_until`

func scanUser(sc interface{ Scan(...any) error }) (*auth.User, error) {
	var u auth.User
	var locked sql.NullTime
	err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.PasswordHash, &u.Role, &u.Locale, &u.Disabled, &u.CreatedAt, &u.UpdatedAt, &u.TOTPSecret, &u.FailedLogins, &locked)
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	if locked.Valid {
		u.LockedUntil = locked.Time.UTC()
	}
	return &u, err
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// CreateUser inserts a user; a taken username is a conflict.
func (db *DB) CreateUser(ctx context.Context, u *auth.User) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`INSERT INTO users (`+userCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`),
		u.ID, u.Username, u.DisplayName, u.PasswordHash, u.Role, u.Locale, u.Disabled, u.CreatedAt, u.UpdatedAt, u.TOTPSecret, u.FailedLogins, nullTime(u.LockedUntil))
	if isUniqueViolation(err) {
		return kizuna.Errorf(kizuna.ECONFLICT, "username %q is taken", u.Username)
	}
	return err
}

// UserByName finds a user by login name.
func (db *DB) UserByName(ctx context.Context, name string) (*auth.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+userCols+` FROM users WHERE username = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "no user %q", name)
	}
	return u, err
}

// Users lists every user by name.
func (db *DB) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// UpdateUser saves a user's mutable fields.
func (db *DB) UpdateUser(ctx context.Context, u *auth.User) error {
	res, err := db.write.ExecContext(ctx, db.rebind(`UPDATE users SET display_name = ?, password_hash = ?, role = ?, locale = ?, disabled = ?, updated_at = ?, totp_secret = ?, failed_logins = ?, locked_until = ? WHERE id = ?`),
		u.DisplayName, u.PasswordHash, u.Role, u.Locale, u.Disabled, u.UpdatedAt, u.TOTPSecret, u.FailedLogins, nullTime(u.LockedUntil), u.ID)
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.Username, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return kizuna.Errorf(kizuna.ENOTFOUND, "no user %q", u.Username)
	}
	return nil
}

const keyCols = `id, name, prefix, secret_hash, scopes, channels, created_by, created_at, revoked_at`

func scanKey(sc interface{ Scan(...any) error }) (*auth.APIKey, error) {
	var k auth.APIKey
	var scopes, channels string
	var revoked sql.NullTime
	if err := sc.Scan(&k.ID, &k.Name, &k.Prefix, &k.SecretHash, &scopes, &channels, &k.CreatedBy, &k.CreatedAt, &revoked); err != nil {
		return nil, err
	}
	k.Scopes = splitList(scopes)
	k.Channels = splitList(channels)
	k.CreatedAt = k.CreatedAt.UTC()
	if revoked.Valid {
		t := revoked.Time.UTC()
		k.RevokedAt = &t
	}
	return &k, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// CreateAPIKey stores a key (its secret only as a hash).
func (db *DB) CreateAPIKey(ctx context.Context, k *auth.APIKey) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`INSERT INTO api_keys (`+keyCols+`) VALUES (?,?,?,?,?,?,?,?,?)`),
		k.ID, k.Name, k.Prefix, k.SecretHash, strings.Join(k.Scopes, ","), strings.Join(k.Channels, ","), k.CreatedBy, k.CreatedAt, nil)
	return err
}

// APIKeyByPrefix finds a key by its visible prefix.
func (db *DB) APIKeyByPrefix(ctx context.Context, prefix string) (*auth.APIKey, error) {
	k, err := scanKey(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+keyCols+` FROM api_keys WHERE prefix = ?`), prefix))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "no API key %s", prefix)
	}
	return k, err
}

// APIKeys lists keys, newest first.
func (db *DB) APIKeys(ctx context.Context) ([]auth.APIKey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+keyCols+` FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	defer rows.Close()
	var out []auth.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes a key by ID or prefix.
func (db *DB) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, db.rebind(`UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR prefix = ?) AND revoked_at IS NULL`), at, id, id)
	if err != nil {
		return fmt.Errorf("revoke API key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return kizuna.Errorf(kizuna.ENOTFOUND, "no active API key %s", id)
	}
	return nil
}

func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505") || strings.Contains(s, "duplicate key value")
}
