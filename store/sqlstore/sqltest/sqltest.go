// Package sqltest opens fresh, migrated Kizuna databases for tests: a SQLite
// file in the test's temp dir, and a PostgreSQL schema of its own that is
// dropped afterwards. Each runs every storage-touching test against both.
//
// PostgreSQL is found at KIZUNA_TEST_PG (default
// postgres://postgres@127.0.0.1:5432/test). When it cannot be reached the
// PostgreSQL run is skipped, except under CI=true, where it fails.
package sqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// DefaultPG is the PostgreSQL tests use unless KIZUNA_TEST_PG says otherwise.
const DefaultPG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Each runs fn once per database, as subtests "sqlite" and "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *sqlstore.DB)) {
	t.Helper()
	for _, d := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(d, func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// Open returns a migrated, empty database of the dialect, closed and
// removed when the test ends.
func Open(t testing.TB, dialect string) *sqlstore.DB {
	t.Helper()
	dsn := DSN(t, dialect)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	return db
}

// DSN returns the DSN of a new empty database of the dialect; for
// PostgreSQL a new schema that is dropped when the test ends.
func DSN(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == sqlstore.SQLite {
		return filepath.Join(t.TempDir(), "kizuna.db")
	}
	base := os.Getenv("KIZUNA_TEST_PG")
	if base == "" {
		base = DefaultPG
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		err = admin.PingContext(context.Background())
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s is required under CI=true and could not be reached: %v", base, err)
		}
		t.Skipf("PostgreSQL not reachable at %s (set KIZUNA_TEST_PG): %v", base, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "kztest_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// EachRaw is Each with a second, plain connection to the same
// database, for tampering behind the store's back.
func EachRaw(t *testing.T, fn func(t *testing.T, db *sqlstore.DB, raw *sql.DB, rebind func(string) string)) {
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			dsn := DSN(t, dialect)
			ctx := context.Background()
			db, err := sqlstore.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			driver, rebind := "sqlite", func(q string) string { return q }
			if dialect == sqlstore.Postgres {
				driver = "pgx"
				rebind = func(q string) string {
					for i := 1; strings.Contains(q, "?"); i++ {
						q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
					}
					return q
				}
			}
			raw, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { raw.Close() })
			fn(t, db, raw, rebind)
		})
	}
}

// Seeds runs fn as a subtest for each seed of a randomized test: 1, 2
// and 3, or only the seed KIZUNA_TEST_SEED names, to explore others.
func Seeds(t *testing.T, fn func(t *testing.T, seed uint64)) {
	seeds := []uint64{1, 2, 3}
	if s := os.Getenv("KIZUNA_TEST_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("KIZUNA_TEST_SEED: %v", err)
		}
		seeds = []uint64{n}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { fn(t, seed) })
	}
}
