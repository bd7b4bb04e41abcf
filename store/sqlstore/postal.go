package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/kizuna-oss/kizuna/postal"
)

var _ postal.Store = (*DB)(nil)

const postalCols = `code, seq, prefecture, city, town, town_note, prefecture_kana, city_kana, town_kana`

// ReplacePostalCodes swaps the dictionary in one transaction.
func (db *DB) ReplacePostalCodes(ctx context.Context, entries []postal.Entry) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM postal_codes`); err != nil {
			return fmt.Errorf("clear postal codes: %w", err)
		}
		// SQLite: one prepared single-row INSERT (see flush in customers.go);
		// PostgreSQL: 500 rows a statement, to save round trips.
		per := 1
		if db.dialect == Postgres {
			per = 500
		}
		seq := map[string]int{}
		args := make([]any, 0, per*9)
		var stmt *sql.Stmt
		defer func() {
			if stmt != nil {
				stmt.Close()
			}
		}()
		send := func() error {
			n := len(args) / 9
			if n == 0 {
				return nil
			}
			q := db.rebind(`INSERT INTO postal_codes (` + postalCols + `) VALUES ` + strings.TrimSuffix(strings.Repeat("("+placeholders(9)+"),", n), ","))
			var err error
			if n == per {
				if stmt == nil {
					if stmt, err = tx.PrepareContext(ctx, q); err != nil {
						return err
					}
				}
				_, err = stmt.ExecContext(ctx, args...)
			} else {
				_, err = tx.ExecContext(ctx, q, args...)
			}
			args = args[:0]
			return err
		}
		for _, e := range entries {
			seq[e.Code]++
			args = append(args, e.Code, seq[e.Code], e.Prefecture, e.City, e.Town, e.TownNote, e.PrefectureKana, e.CityKana, e.TownKana)
			if len(args) == per*9 {
				if err := send(); err != nil {
					return fmt.Errorf("insert postal code %s: %w", e.Code, err)
				}
			}
		}
		return send()
	})
}

// PostalCode returns the entries of a 7-digit code, in Japan Post's order.
func (db *DB) PostalCode(ctx context.Context, code string) ([]postal.Entry, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT `+postalCols+` FROM postal_codes WHERE code = ? ORDER BY seq`), code)
	if err != nil {
		return nil, fmt.Errorf("postal code %s: %w", code, err)
	}
	return scanPostal(rows)
}

func scanPostal(rows *sql.Rows) ([]postal.Entry, error) {
	defer rows.Close()
	var out []postal.Entry
	for rows.Next() {
		var e postal.Entry
		var seq int
		if err := rows.Scan(&e.Code, &seq, &e.Prefecture, &e.City, &e.Town, &e.TownNote, &e.PrefectureKana, &e.CityKana, &e.TownKana); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PostalPlaces lists every prefecture and city of the dictionary.
func (db *DB) PostalPlaces(ctx context.Context) ([]postal.Place, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT DISTINCT prefecture, city FROM postal_codes ORDER BY prefecture, city`)
	if err != nil {
		return nil, fmt.Errorf("postal places: %w", err)
	}
	defer rows.Close()
	var out []postal.Place
	for rows.Next() {
		var p postal.Place
		if err := rows.Scan(&p.Prefecture, &p.City); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PostalArea returns the entries of one city, in code order.
func (db *DB) PostalArea(ctx context.Context, p postal.Place) ([]postal.Entry, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT `+postalCols+` FROM postal_codes WHERE prefecture = ? AND city = ? ORDER BY code, seq`), p.Prefecture, p.City)
	if err != nil {
		return nil, fmt.Errorf("postal area %s%s: %w", p.Prefecture, p.City, err)
	}
	return scanPostal(rows)
}

// PostalCodeCount is how many entries the dictionary holds.
func (db *DB) PostalCodeCount(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM postal_codes`).Scan(&n)
	return n, err
}
