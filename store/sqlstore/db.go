// Package sqlstore implements Kizuna's storage interfaces on SQLite
// (modernc.org/sqlite, the embedded default) and PostgreSQL (jackc/pgx/v5, the
// scale-out store). Both share one set of queries written with "?"
// placeholders; the few real differences (locking, upserts, types) live in
// dialect methods, so a behaviour difference between the two is a bug the
// shared test suite catches.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/kizuna-oss/kizuna"
)

//go:embed migrations
var migrationsFS embed.FS

// Dialect names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB is an open Kizuna database.
type DB struct {
	dialect string
	// write is the single connection SQLite writes go through (SQLite allows
	// one writer; queuing in Go beats SQLITE_BUSY retries). On PostgreSQL
	// write and read are the same pool.
	write *sql.DB
	read  *sql.DB
	// hot runs the read queries of lookups; on SQLite with statements
	// prepared once (stmtCache), on PostgreSQL it is read.
	hot querier
	// writeStmts holds statements prepared once on SQLite's writer
	// connection, for transactions that run a few statements each (a
	// points hold); nil on PostgreSQL.
	writeStmts *stmtCache
	// stopCheckpoints stops SQLite's background checkpointer.
	stopCheckpoints func() error
	// bulk makes the checkpointer wait bulkCheckpointEvery between runs.
	bulk atomic.Bool
	// events groups concurrent event ingests into one SQLite transaction.
	events groupCommit
	dsn    string
}

// SetBulk tells the store that one process loads a large volume and
// nothing waits on single commits (kizuna import, kizuna demo): SQLite then
// checkpoints every bulkCheckpointEvery instead of every half second, so
// that an index page written by many transactions in a row is copied into
// the database file once rather than each time (a 1M-row import wrote 23
// GB instead of 30 and took 3:05 instead of 3:14, docs/benchmarks.md). The
// writer still checkpoints itself past 50,000 WAL pages. A server keeps
// the default: its tills want short commits and a small WAL.
func (db *DB) SetBulk(on bool) { db.bulk.Store(on) }

// Dialect returns SQLite or Postgres.
func (db *DB) Dialect() string { return db.dialect }

// IsPostgresDSN reports whether dsn names a PostgreSQL database; anything
// else is a SQLite file path.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database named by dsn. It does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, kizuna.Errorf(kizuna.EINVALID, "no database given: set --db or KIZUNA_DB")
	}
	if IsPostgresDSN(dsn) {
		pool, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		pool.SetMaxOpenConns(16)
		pool.SetMaxIdleConns(16)
		pool.SetConnMaxIdleTime(5 * time.Minute)
		if err := pool.PingContext(ctx); err != nil {
			pool.Close()
			return nil, fmt.Errorf("connect to postgres: %w", err)
		}
		return &DB{dialect: Postgres, write: pool, read: pool, hot: pool, dsn: dsn}, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	if dir := filepath.Dir(path); dir != "." && dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory %s: %w", dir, err)
		}
	}
	// synchronous=NORMAL in WAL mode: a committed transaction survives a
	// process crash (kill -9); only an OS crash or power loss may lose the
	// last commits. KIZUNA_SQLITE_SYNC=FULL trades speed for that too.
	syncMode := os.Getenv("KIZUNA_SQLITE_SYNC")
	if syncMode == "" {
		syncMode = "NORMAL"
	}
	// Checkpoints run on a connection of their own (see checkpointer), off
	// the path of commits: a commit that had to checkpoint waited for the
	// copy and its fsync, and every till queued behind it (a points hold's
	// p99 was 100 ms at 200 holds a second). The writer checkpoints itself
	// only if the WAL passes 50,000 pages, should the checkpointer fall
	// behind.
	//
	// journal_size_limit is what the WAL file is cut back to when it
	// starts over. Under a steady load it grows to some 400 MB (the
	// writer's checkpoint mark) and starts over again and again; cut back
	// to 64 MB each time, the file system freed and reallocated the rest
	// on every cycle, and the writer's appends paid for it in system time
	// (1M events: 13.5–16.5 s of system CPU against 9.6 s, 31–33k events/s
	// against 40–41k; a 1M-row import 2:26 against 2:14; docs/benchmarks.md).
	// So a WAL up to 1 GiB keeps its space while the database is open;
	// SQLite removes the file when the last connection closes.
	common := []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(" + syncMode + ")",
		"temp_store(MEMORY)", "wal_autocheckpoint(50000)", "journal_size_limit(1073741824)"}
	if err := createSQLite(ctx, path); err != nil {
		return nil, err
	}
	// The one writer gets a larger page cache than each reader: a large
	// load inserts into indexes with random keys (identifiers, search
	// terms), and with 64 MB the writer reread their pages from the file
	// and spilled dirty ones mid-transaction (1M-row import: 4:08 → 3:52,
	// docs/benchmarks.md). SQLite fills the cache only as pages are used,
	// so a small database never takes it.
	wc, err := newWriterConnector(sqliteDSN(path, slices.Concat(common, []string{"cache_size(-262144)"}), true))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w := sql.OpenDB(wc)
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Readers map the file: a lookup's page reads become memory reads
	// instead of a system call each.
	r, err := sql.Open("sqlite", sqliteDSN(path, slices.Concat(common, []string{"cache_size(-65536)", "query_only(1)", "mmap_size(2147418112)"}), false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Few readers: each keeps its own cache and mapping, which SQLite drops
	// whenever another connection has written (the read-audit batcher writes
	// every 100 ms), so every extra reader faults the same hot pages in
	// again. Two per core, and at least four so that a long read (an export)
	// does not hold up lookups at the till; eight gave a longer lookup tail
	// on two cores (docs/benchmarks.md).
	nr := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(nr)
	r.SetMaxIdleConns(nr)
	ck, err := sql.Open("sqlite", sqliteDSN(path, common, false))
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	ck.SetMaxOpenConns(1)
	db := &DB{dialect: SQLite, write: w, read: r, hot: &stmtCache{db: r}, writeStmts: &stmtCache{db: w}, dsn: dsn}
	db.stopCheckpoints = startCheckpointer(ck, &db.bulk)
	return db, nil
}

// checkpointEvery is how often the checkpointer copies what the WAL has
// gathered into the database file.
const checkpointEvery = 500 * time.Millisecond

// bulkCheckpointEvery is the checkpointer's pace under SetBulk.
const bulkCheckpointEvery = 10 * time.Second

// startCheckpointer copies the WAL into the database file in the
// background (PASSIVE: it never blocks the writer or readers) and returns
// the function that stops it and closes its connection.
func startCheckpointer(ck *sql.DB, bulk *atomic.Bool) func() error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		var last time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if bulk.Load() && time.Since(last) < bulkCheckpointEvery {
				continue
			}
			last = time.Now()
			// A run with nothing to copy costs next to nothing; one that
			// fails (busy, closing) is tried again at the next tick.
			var busy, frames, copied int
			_ = ck.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
		}
	}()
	return func() error {
		cancel()
		<-done
		return ck.Close()
	}
}

// sqliteDSN names the database file with the pragmas every connection
// runs when it opens. The writer's transactions take the lock when they
// begin (IMMEDIATE), so two never deadlock upgrading; a reader's are
// read-only snapshots (DEFERRED), which a query_only connection needs.
func sqliteDSN(path string, pragmas []string, writer bool) string {
	q := url.Values{"_pragma": pragmas}
	if writer {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// sqlitePageSize is the page size of new SQLite databases; an existing file
// keeps the one it has. Ingest writes every dirty page to the WAL as one
// frame, two system calls each, so larger pages mean fewer calls and fewer
// B-tree splits (8 KiB: 200,000 demo people in 48 s against 61 s with
// 4 KiB). 16 KiB was faster still on small databases but not larger ones:
// the driver's C allocator (modernc.org/memory) serves blocks above 16 KiB
// with an mmap and munmap each, and a 16 KiB page plus its header is such a
// block, so every page a connection caches cost two system calls and page
// faults (docs/benchmarks.md).
const sqlitePageSize = 8192

// createSQLite gives a new (missing or empty) database file its page size.
// It must happen before WAL mode is set, which writes the file header; the
// driver applies _pragma values in alphabetical order, journal_mode first,
// so it cannot be one of them.
func createSQLite(ctx context.Context, path string) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return fmt.Errorf("create sqlite %s: %w", path, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, p := range []string{"PRAGMA page_size = " + strconv.Itoa(sqlitePageSize), "PRAGMA journal_mode = WAL"} {
		if _, err := db.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("create sqlite %s: %s: %w", path, p, err)
		}
	}
	return nil
}

// Close closes every connection.
func (db *DB) Close() error {
	var err error
	if c, ok := db.hot.(*stmtCache); ok {
		err = c.Close()
	}
	if db.writeStmts != nil {
		err = errors.Join(err, db.writeStmts.Close())
	}
	if db.stopCheckpoints != nil {
		err = errors.Join(err, db.stopCheckpoints())
	}
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks the database answers (readiness).
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// rebind turns "?" placeholders into "$1…" for PostgreSQL. Queries never
// contain a literal "?" elsewhere.
func (db *DB) rebind(q string) string {
	if db.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// placeholders returns "?,?,…" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// Migration is one embedded schema version.
type Migration struct {
	Version int
	Name    string
	SQL     string
	// Notes say what applying it did to the data beyond its schema, for
	// the one who ran it (kizuna migrate up prints them).
	Notes []string
}

// Migrations returns the embedded migrations for the dialect, oldest first.
func (db *DB) Migrations() ([]Migration, error) {
	dir := "migrations/" + db.dialect
	entries, err := fs.ReadDir(migrationsFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		name := e.Name()
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number", name)
		}
		b, err := migrationsFS.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: name, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	return ms, nil
}

// LatestVersion is the newest schema version this binary knows.
func (db *DB) LatestVersion() int {
	ms, _ := db.Migrations()
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// SchemaVersion returns the version the database is at (0: empty).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	var v sql.NullInt64
	if err := db.write.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the ones it applied.
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	return db.migrateTo(ctx, db.LatestVersion())
}

// migrateTo applies the pending migrations up to version to.
func (db *DB) migrateTo(ctx context.Context, to int) ([]Migration, error) {
	cur, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	ms, err := db.Migrations()
	if err != nil {
		return nil, err
	}
	if cur > db.LatestVersion() {
		return nil, db.versionError(cur)
	}
	var applied []Migration
	for _, m := range ms {
		if m.Version <= cur || m.Version > to {
			continue
		}
		err := db.tx(ctx, func(tx *sql.Tx) error {
			if db.dialect == Postgres {
				// Two processes migrating at once: the second waits, then finds nothing to do.
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7428120)`); err != nil {
					return err
				}
				var v sql.NullInt64
				if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
					return err
				}
				if int(v.Int64) >= m.Version {
					return nil
				}
			}
			if m.Version == 19 {
				notes, err := db.uniqueJANs(ctx, tx)
				if err != nil {
					return fmt.Errorf("migration %s: %w", m.Name, err)
				}
				m.Notes = notes
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if m.Version == 3 || m.Version == 18 {
				if err := db.backfillSearch(ctx, tx); err != nil {
					return fmt.Errorf("migration %s: %w", m.Name, err)
				}
			}
			if m.Version == 14 {
				if err := db.backfillEventKeys(ctx, tx); err != nil {
					return fmt.Errorf("migration %s: %w", m.Name, err)
				}
			}
			_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), m.Version, time.Now().UTC().Format(time.RFC3339))
			return err
		})
		if err != nil {
			return applied, err
		}
		applied = append(applied, m)
	}
	return applied, nil
}

// uniqueJANs gives each JAN code that products share to one of them, the
// first created, before schema 19's unique index is built: the others
// keep the code in their attribute shared_jan, so nothing is lost, and a
// note names each. An upgrade that stopped instead would leave a server
// down until someone edited the catalog by hand, since every command but
// migrate refuses the old schema.
func (db *DB) uniqueJANs(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT jan, sku, attributes FROM products WHERE jan IN
		(SELECT jan FROM products WHERE jan <> '' GROUP BY jan HAVING COUNT(*) > 1) ORDER BY jan, created_at, sku`)
	if err != nil {
		return nil, fmt.Errorf("look for shared JAN codes: %w", err)
	}
	type product struct{ jan, sku, attrs string }
	var shared []product
	for rows.Next() {
		var p product
		if err := rows.Scan(&p.jan, &p.sku, &p.attrs); err != nil {
			rows.Close()
			return nil, err
		}
		shared = append(shared, p)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	var notes []string
	keeper := ""
	for i, p := range shared {
		if i == 0 || shared[i-1].jan != p.jan {
			keeper = p.sku
			continue
		}
		attrs := map[string]string{}
		if err := json.Unmarshal([]byte(p.attrs), &attrs); err != nil {
			return nil, fmt.Errorf("product %s: attributes: %w", p.sku, err)
		}
		attrs["shared_jan"] = p.jan
		b, err := json.Marshal(attrs)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE products SET jan = '', attributes = ? WHERE sku = ?`), string(b), p.sku); err != nil {
			return nil, fmt.Errorf("clear the shared JAN of product %s: %w", p.sku, err)
		}
		notes = append(notes, fmt.Sprintf("JAN %s was on products %s and %s: a JAN now names one product, so it stays with %s (the first created) and %s keeps it in its attribute shared_jan; give %s its own JAN (kizuna products import, or PUT /api/v1/products)", p.jan, keeper, p.sku, keeper, p.sku, p.sku))
	}
	return notes, nil
}

// CheckSchema returns an error that says which command fixes it when the
// database's schema is not the one this binary was built for.
func (db *DB) CheckSchema(ctx context.Context) error {
	cur, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if cur == db.LatestVersion() {
		return nil
	}
	return db.versionError(cur)
}

func (db *DB) versionError(cur int) error {
	latest := db.LatestVersion()
	if cur < latest {
		return kizuna.Errorf(kizuna.EUNSUPPORTED, "database schema is at version %d but this kizuna needs version %d: run `kizuna migrate up --db %s` first", cur, latest, redactDSN(db.dsn))
	}
	return kizuna.Errorf(kizuna.EUNSUPPORTED, "database schema is at version %d, newer than this kizuna knows (%d): it was migrated by a newer release; run that release (or newer) instead", cur, latest)
}

// redactDSN hides a password in a PostgreSQL URL for messages.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}

// tx runs fn in a write transaction, committing on nil and rolling back on error.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.connTx(ctx, func(_ *sql.Conn, tx *sql.Tx) error { return fn(tx) })
}

// connTx is tx that also hands fn the connection the transaction runs on,
// for what database/sql cannot express (PostgreSQL COPY).
func (db *DB) connTx(ctx context.Context, fn func(*sql.Conn, *sql.Tx) error) (err error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	// Waiting for the writer can be given up. The transaction itself does
	// not watch the context: database/sql would start a goroutine per
	// transaction to watch it, as the driver would per statement (on
	// SQLite, writerConnector stops that for the statements, which get the
	// caller's context). A statement started after its caller went away
	// still fails, and the transaction with it.
	ctx = context.WithoutCancel(ctx)
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(conn, tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
