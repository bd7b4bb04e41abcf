package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
)

// UserByID finds a user by ID.
func (db *DB) UserByID(ctx context.Context, id string) (*auth.User, error) {
	u, err := scanUser(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+userCols+` FROM users WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "no user %s", id)
	}
	return u, err
}

// RecordLogin counts a failed sign-in (locking the account after lockAfter
// in a row) or clears the count after a successful one. The counter is
// updated in the database in one statement so that parallel guesses each
// count.
func (db *DB) RecordLogin(ctx context.Context, userID string, ok bool, lockAfter int, lockFor time.Duration, now time.Time) (*auth.User, error) {
	var err error
	if ok {
		_, err = db.write.ExecContext(ctx, db.rebind(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?`), userID)
	} else {
		_, err = db.write.ExecContext(ctx, db.rebind(`UPDATE users SET failed_logins = failed_logins + 1,
			locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END WHERE id = ?`), lockAfter, now.Add(lockFor).UTC(), userID)
	}
	if err != nil {
		return nil, fmt.Errorf("record sign-in: %w", err)
	}
	u, err := scanUser(db.write.QueryRowContext(ctx, db.rebind(`SELECT `+userCols+` FROM users WHERE id = ?`), userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "no user %s", userID)
	}
	return u, err
}

const sessionCols = `token_hash, user_id, csrf_token, mfa_pending, ip, user_agent, created_at, last_seen_at, expires_at`

// CreateSession stores a new session.
func (db *DB) CreateSession(ctx context.Context, s *auth.Session) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`INSERT INTO sessions (`+sessionCols+`) VALUES (?,?,?,?,?,?,?,?,?)`),
		s.TokenHash, s.UserID, s.CSRFToken, s.MFAPending, s.IP, s.UserAgent, s.CreatedAt, s.LastSeenAt, s.ExpiresAt)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session finds a session by its token's hash.
func (db *DB) Session(ctx context.Context, hash string) (*auth.Session, error) {
	var s auth.Session
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT `+sessionCols+` FROM sessions WHERE token_hash = ?`), hash).
		Scan(&s.TokenHash, &s.UserID, &s.CSRFToken, &s.MFAPending, &s.IP, &s.UserAgent, &s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	return &s, nil
}

// UpdateSession saves activity time and the second-factor state.
func (db *DB) UpdateSession(ctx context.Context, s *auth.Session) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`UPDATE sessions SET last_seen_at = ?, mfa_pending = ? WHERE token_hash = ?`), s.LastSeenAt, s.MFAPending, s.TokenHash)
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	return nil
}

// DeleteSession signs a session out.
func (db *DB) DeleteSession(ctx context.Context, hash string) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM sessions WHERE token_hash = ?`), hash)
	return err
}

// DeleteUserSessions signs a user out everywhere (password change, disable).
func (db *DB) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`DELETE FROM sessions WHERE user_id = ?`), userID)
	return err
}

const terminalCols = `id, name, token_hash, created_by, created_at, revoked_at`

func scanTerminal(sc interface{ Scan(...any) error }) (*auth.Terminal, error) {
	var t auth.Terminal
	var revoked sql.NullTime
	if err := sc.Scan(&t.ID, &t.Name, &t.TokenHash, &t.CreatedBy, &t.CreatedAt, &revoked); err != nil {
		return nil, err
	}
	t.CreatedAt = t.CreatedAt.UTC()
	if revoked.Valid {
		r := revoked.Time.UTC()
		t.RevokedAt = &r
	}
	return &t, nil
}

// CreateTerminal stores a named terminal.
func (db *DB) CreateTerminal(ctx context.Context, t *auth.Terminal) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`INSERT INTO terminals (`+terminalCols+`) VALUES (?,?,?,?,?,?)`),
		t.ID, t.Name, t.TokenHash, t.CreatedBy, t.CreatedAt, nil)
	return err
}

// TerminalByToken finds a terminal by its cookie token's hash.
func (db *DB) TerminalByToken(ctx context.Context, hash string) (*auth.Terminal, error) {
	t, err := scanTerminal(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+terminalCols+` FROM terminals WHERE token_hash = ?`), hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "unknown terminal")
	}
	return t, err
}

// Terminals lists every terminal, newest first.
func (db *DB) Terminals(ctx context.Context) ([]auth.Terminal, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+terminalCols+` FROM terminals ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("list terminals: %w", err)
	}
	defer rows.Close()
	var out []auth.Terminal
	for rows.Next() {
		t, err := scanTerminal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// RevokeTerminal stops a terminal's cookie from naming it.
func (db *DB) RevokeTerminal(ctx context.Context, id string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, db.rebind(`UPDATE terminals SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), at, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return kizuna.Errorf(kizuna.ENOTFOUND, "no active terminal %s", id)
	}
	return nil
}
