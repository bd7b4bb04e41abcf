package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
)

var _ customer.Store = (*DB)(nil)

// GetCustomer reads a customer from the read pool.
func (db *DB) GetCustomer(ctx context.Context, id string) (*customer.Customer, error) {
	return getCustomer(ctx, db, db.hot, id, false)
}

// ListCustomers returns active customers in ID order after the cursor.
func (db *DB) ListCustomers(ctx context.Context, f customer.ListFilter) ([]customer.Customer, error) {
	var where []string
	var args []any
	from := `customers c`
	if f.Channel != "" {
		from += ` JOIN customer_channels ch ON ch.customer_id = c.id AND ch.channel = ?`
		args = append(args, f.Channel)
	}
	if f.Tag != "" {
		from += ` JOIN customer_tags tg ON tg.customer_id = c.id AND tg.tag = ?`
		args = append(args, f.Tag)
	}
	status := f.Status
	if status == "" {
		status = customer.StatusActive
	}
	if status != "any" {
		where = append(where, `c.status = ?`)
		args = append(args, status)
	}
	if !f.UpdatedSince.IsZero() {
		where = append(where, `c.updated_at >= ?`)
		args = append(args, f.UpdatedSince.UTC())
	}
	if f.After != "" {
		where = append(where, `c.id > ?`)
		args = append(args, f.After)
	}
	q := `SELECT ` + prefixCols("c.", customerCols) + ` FROM ` + from
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	q += ` ORDER BY c.id LIMIT ?`
	args = append(args, f.Limit)
	rows, err := db.read.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	var out []customer.Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

func prefixCols(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}

// CustomersByKey returns the customers holding an identity key.
func (db *DB) CustomersByKey(ctx context.Context, key string) ([]string, error) {
	m, err := customersByKeys(ctx, db, db.hot, []string{key})
	return m[key], err
}

// SourcesOfCustomer lists a customer's source profiles.
func (db *DB) SourcesOfCustomer(ctx context.Context, id string) ([]customer.SourceProfile, error) {
	return querySources(ctx, db, db.read, `customer_id = ? ORDER BY channel, external_id`, id)
}

// SourceVersions lists every version of one source profile, oldest first.
func (db *DB) SourceVersions(ctx context.Context, profileID string) ([]customer.SourceVersion, error) {
	// Superseded versions live in source_profile_versions, the current one in
	// source_profiles.
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT profile_id, version, raw, observed_at, received_at FROM source_profile_versions WHERE profile_id = ?
		UNION ALL SELECT id, version, raw, observed_at, received_at FROM source_profiles WHERE id = ?
		ORDER BY version`), profileID, profileID)
	if err != nil {
		return nil, fmt.Errorf("source versions: %w", err)
	}
	defer rows.Close()
	var out []customer.SourceVersion
	for rows.Next() {
		var v customer.SourceVersion
		var raw string
		if err := rows.Scan(&v.ProfileID, &v.Version, &raw, &v.ObservedAt, &v.ReceivedAt); err != nil {
			return nil, err
		}
		v.Raw = json.RawMessage(raw)
		v.ObservedAt, v.ReceivedAt = v.ObservedAt.UTC(), v.ReceivedAt.UTC()
		out = append(out, v)
	}
	return out, rows.Err()
}

// Duplicates lists possible duplicates by status, in ID order after a cursor.
func (db *DB) Duplicates(ctx context.Context, status string, limit int, after string) ([]customer.Duplicate, error) {
	if after == "" {
		return queryDuplicates(ctx, db, db.read, `status = ? ORDER BY probability DESC, id LIMIT ?`, status, limit)
	}
	p, id, err := customer.ParseDuplicateCursor(after)
	if err != nil {
		return nil, err
	}
	return queryDuplicates(ctx, db, db.read, `status = ? AND (probability < ? OR probability = ? AND id > ?) ORDER BY probability DESC, id LIMIT ?`,
		status, p, p, id, limit)
}

// DuplicatesOf lists the possible duplicates involving a customer.
func (db *DB) DuplicatesOf(ctx context.Context, id string) ([]customer.Duplicate, error) {
	return queryDuplicates(ctx, db, db.read, `customer_id = ? OR other_id = ? ORDER BY id`, id, id)
}

// MergesOf lists merges a customer took part in, newest first.
func (db *DB) MergesOf(ctx context.Context, id string) ([]customer.Merge, error) {
	return queryMerges(ctx, db, db.read, `customer_id = ? OR merged_id = ? ORDER BY created_at DESC, id DESC`, id, id)
}

// Channels lists the channels, most trusted first.
func (db *DB) Channels(ctx context.Context) ([]customer.Channel, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT code, name, name_en, kind, priority FROM channels ORDER BY priority, code`)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	defer rows.Close()
	var out []customer.Channel
	for rows.Next() {
		var c customer.Channel
		if err := rows.Scan(&c.Code, &c.Name, &c.NameEn, &c.Kind, &c.Priority); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Locations lists stores and other locations.
func (db *DB) Locations(ctx context.Context) ([]customer.Location, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT code, name, channel, prefecture, address, latitude, longitude FROM locations ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list locations: %w", err)
	}
	defer rows.Close()
	var out []customer.Location
	for rows.Next() {
		var l customer.Location
		if err := rows.Scan(&l.Code, &l.Name, &l.Channel, &l.Prefecture, &l.Address, &l.Latitude, &l.Longitude); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// Attributes lists the custom attribute schema.
func (db *DB) Attributes(ctx context.Context) ([]customer.AttributeDef, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT name, type, description FROM attribute_defs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list attributes: %w", err)
	}
	defer rows.Close()
	var out []customer.AttributeDef
	for rows.Next() {
		var a customer.AttributeDef
		if err := rows.Scan(&a.Name, &a.Type, &a.Description); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func (db *DB) setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT value FROM settings WHERE key = ?`), key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", key, err)
	}
	return v, true, nil
}

// Survivorship returns the configured rules, or the defaults.
func (db *DB) Survivorship(ctx context.Context) (customer.Survivorship, error) {
	v, ok, err := db.setting(ctx, "survivorship")
	if err != nil || !ok {
		return customer.DefaultSurvivorship(), err
	}
	var s customer.Survivorship
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return s, fmt.Errorf("setting survivorship is corrupt: %w", err)
	}
	return s, nil
}

// ErasureSalt returns this installation's secret salt for erased-identifier
// hashes, creating it on first use. It never leaves the database, so the
// hashes cannot be reversed by guessing emails elsewhere.
func (db *DB) ErasureSalt(ctx context.Context) ([]byte, error) {
	v, ok, err := db.setting(ctx, "erasure_salt")
	if err != nil {
		return nil, err
	}
	if !ok {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if _, err := db.write.ExecContext(ctx, db.rebind(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`), "erasure_salt", hex.EncodeToString(b)); err != nil {
			return nil, fmt.Errorf("create erasure salt: %w", err)
		}
		if err := db.write.QueryRowContext(ctx, db.rebind(`SELECT value FROM settings WHERE key = ?`), "erasure_salt").Scan(&v); err != nil {
			return nil, fmt.Errorf("read erasure salt: %w", err)
		}
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		return nil, kizuna.Errorf(kizuna.EINTERNAL, "setting erasure_salt is corrupt")
	}
	return b, nil
}

// Setting reads a settings value ("" and false when unset).
func (db *DB) Setting(ctx context.Context, key string) (string, bool, error) {
	return db.setting(ctx, key)
}

// SetSetting writes a settings value.
func (db *DB) SetSetting(ctx context.Context, key, value string) error {
	_, err := db.write.ExecContext(ctx, db.rebind(`INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), key, value)
	if err != nil {
		return fmt.Errorf("write setting %s: %w", key, err)
	}
	return nil
}

// CountCustomers counts customers by status.
func (db *DB) CountCustomers(ctx context.Context) (map[string]int, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT status, COUNT(*) FROM customers GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count customers: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}
