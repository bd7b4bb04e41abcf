package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
)

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

// chunk is the most values one IN (…) list gets; well under both databases'
// parameter limits.
const chunk = 500

// WithTx runs fn in one write transaction. Audit entries fn adds are sealed
// into the hash chain just before commit, so the chain lock is held briefly.
func (db *DB) WithTx(ctx context.Context, fn func(customer.Tx) error) error {
	return db.connTx(ctx, func(conn *sql.Conn, sqltx *sql.Tx) error {
		t := &tx{db: db, q: sqltx, conn: conn}
		if err := fn(t); err != nil {
			return err
		}
		if err := t.flush(ctx); err != nil {
			return err
		}
		return db.appendAudit(ctx, conn, sqltx, t.audit)
	})
}

type tx struct {
	db    *DB
	q     *sql.Tx
	conn  *sql.Conn // the connection q runs on
	audit []audit.Entry
	// facets remembers each customer's rows in the facet tables (channels,
	// tags, search terms) as read or written in this transaction, so an
	// update writes only the rows that change.
	facets map[string]*facetRows
	stmts  map[string]*sql.Stmt // closed by database/sql when the transaction ends
	// pending holds inserted rows not yet sent, per table; they go out in
	// foreign-key order before any other statement runs, so every read in
	// the transaction still sees them (see flush for how).
	pending map[string]*pendingRows
	err     error // a failed flush poisons the transaction
}

type pendingRows struct {
	cols string
	n    int
	args []any
}

// flushOrder lists buffered tables parents first.
var flushOrder = []string{"customers", "customer_channels", "customer_tags", "customer_search", "source_profiles", "customer_keys", "duplicates"}

// later buffers one row for table.
func (t *tx) later(table, cols string, row ...any) {
	if t.pending == nil {
		t.pending = map[string]*pendingRows{}
	}
	p := t.pending[table]
	if p == nil {
		p = &pendingRows{cols: cols, n: len(row)}
		t.pending[table] = p
	}
	p.args = append(p.args, row...)
}

// flush sends every buffered row.
func (t *tx) flush(ctx context.Context) error {
	if t.err != nil {
		return t.err
	}
	if len(t.pending) == 0 {
		return nil
	}
	for _, table := range flushOrder {
		p := t.pending[table]
		if p == nil {
			continue
		}
		rows := len(p.args) / p.n
		if t.db.dialect == Postgres && rows >= copyMinRows {
			if err := t.db.copyRows(ctx, t.conn, table, p.cols, p.n, p.args); err != nil {
				t.err = fmt.Errorf("copy into %s: %w", table, err)
				return t.err
			}
			continue
		}
		// At most ~30,000 parameters per statement: under both databases' limits.
		per := max(1, 30000/p.n)
		if t.db.dialect == SQLite {
			// One prepared single-row INSERT, run row by row. A multi-row
			// INSERT may fail halfway, so SQLite first copies every page it
			// touches into a statement journal to be able to undo it alone;
			// at scale those copies (and the memory they churn) cost more
			// than the calls saved (docs/benchmarks.md).
			per = 1
		}
		q, qk := "", 0
		for start := 0; start < rows; start += per {
			k := min(per, rows-start)
			if k != qk {
				q, qk = `INSERT INTO `+table+` (`+p.cols+`) VALUES `+strings.TrimSuffix(strings.Repeat("("+placeholders(p.n)+"),", k), ","), k
			}
			if err := t.execNow(ctx, q, p.args[start*p.n:(start+k)*p.n]...); err != nil {
				t.err = fmt.Errorf("insert into %s: %w", table, err)
				return t.err
			}
		}
	}
	t.pending = nil
	return nil
}

// stmt returns a statement prepared once per transaction (SQLite), or nil
// to run the query directly (PostgreSQL, where pgx caches prepared
// statements per connection itself). A batch runs the same few statements
// thousands of times; parsing them each time cost more than running them.
func (t *tx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if t.db.dialect != SQLite {
		return nil, nil
	}
	if s, ok := t.stmts[q]; ok {
		return s, nil
	}
	s, err := t.q.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = s
	return s, nil
}

func (t *tx) exec(ctx context.Context, q string, args ...any) error {
	if err := t.flush(ctx); err != nil {
		return err
	}
	return t.execNow(ctx, q, args...)
}

// execNow runs a statement without sending buffered rows first.
func (t *tx) execNow(ctx context.Context, q string, args ...any) error {
	s, err := t.stmt(ctx, q)
	if err != nil {
		return err
	}
	if s != nil {
		_, err = s.ExecContext(ctx, args...)
		return err
	}
	_, err = t.q.ExecContext(ctx, t.db.rebind(q), args...)
	return err
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	s, err := t.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s != nil {
		return s.QueryContext(ctx, args...)
	}
	return t.q.QueryContext(ctx, t.db.rebind(q), args...)
}

// QueryRowContext and friends let a *tx serve as a querier with cached
// statements; queries are written with "?" and rebound here.
func (t *tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.query(ctx, q, args...)
}

func (t *tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return nil, t.exec(ctx, q, args...)
}

func (t *tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	_ = t.flush(ctx) // an error is kept in t.err and fails the transaction
	if s, err := t.stmt(ctx, q); err == nil && s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return t.q.QueryRowContext(ctx, t.db.rebind(q), args...)
}

func (t *tx) Audit(_ context.Context, e audit.Entry) error {
	t.audit = append(t.audit, e)
	return nil
}

// keyLockStripes is how many advisory locks identity keys are spread over
// on PostgreSQL. A lock per key would need one lock-table slot per key, and
// a 10,000-record batch has some 30,000 keys: far beyond the server's
// default lock table (max_locks_per_transaction 64 × max_connections 100 =
// 6,400 slots, shared by every session), which fails with "out of shared
// memory". Striped, a batch takes at most this many; two writers that share
// a key always share its stripe, so they still serialize, and small
// concurrent upserts rarely meet on an unrelated stripe.
const keyLockStripes = 1024

// keyLockSpace keeps the stripes apart from other advisory locks (the
// migration lock is a small number).
const keyLockSpace = int64(0x4b5a) << 32

// LockKeys: SQLite already runs one writer at a time; PostgreSQL takes a
// transaction-scoped advisory lock per key stripe, in sorted order so two
// transactions never wait on each other in a cycle.
func (t *tx) LockKeys(ctx context.Context, keys []string) error {
	if t.db.dialect != Postgres || len(keys) == 0 {
		return nil
	}
	seen := map[int64]bool{}
	var ids []int64
	for _, k := range keys {
		h := fnv.New32a()
		h.Write([]byte(k))
		id := keyLockSpace | int64(h.Sum32()%keyLockStripes)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	// One round trip: unnest keeps the array's (sorted) order, so locks are
	// taken in that order.
	arr := make([]string, len(ids))
	for i, id := range ids {
		arr[i] = strconv.FormatInt(id, 10)
	}
	if _, err := t.q.ExecContext(ctx, `SELECT count(pg_advisory_xact_lock(k)) FROM unnest($1::bigint[]) AS k`, "{"+strings.Join(arr, ",")+"}"); err != nil {
		return fmt.Errorf("lock identity keys: %w", err)
	}
	return nil
}

func (t *tx) CustomersByKeys(ctx context.Context, keys []string) (map[string][]string, error) {
	return customersByKeys(ctx, t.db, t, keys)
}

func customersByKeys(ctx context.Context, db *DB, q querier, keys []string) (map[string][]string, error) {
	out := map[string][]string{}
	var stored []string
	var ext []customer.ExternalRef
	for _, k := range keys {
		if ref, ok := externalRef(k); ok {
			ext = append(ext, ref)
		} else {
			stored = append(stored, k)
		}
	}
	for start := 0; start < len(stored); start += db.lookupChunk() {
		part := stored[start:min(start+db.lookupChunk(), len(stored))]
		in, args := db.inList(part)
		rows, err := q.QueryContext(ctx, db.rebind(`SELECT DISTINCT key, customer_id FROM customer_keys WHERE key `+in+` ORDER BY key, customer_id`), args...)
		if err != nil {
			return nil, fmt.Errorf("look up identity keys: %w", err)
		}
		for rows.Next() {
			var k, id string
			if err := rows.Scan(&k, &id); err != nil {
				rows.Close()
				return nil, err
			}
			out[k] = append(out[k], id)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	// A channel's own ID is not kept in customer_keys: source_profiles'
	// unique (channel, external_id) index already answers it.
	for start := 0; start < len(ext); start += db.lookupChunk() {
		part := ext[start:min(start+db.lookupChunk(), len(ext))]
		cond, args := db.externalCond(part)
		rows, err := q.QueryContext(ctx, db.rebind(`SELECT channel, external_id, customer_id FROM source_profiles WHERE `+cond), args...)
		if err != nil {
			return nil, fmt.Errorf("look up external IDs: %w", err)
		}
		for rows.Next() {
			var ch, x, id string
			if err := rows.Scan(&ch, &x, &id); err != nil {
				rows.Close()
				return nil, err
			}
			k := customer.ExternalKey(ch, x)
			out[k] = append(out[k], id)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// externalRef splits an "ext:<channel>:<external_id>" key. Channel codes
// never contain a colon; external IDs may.
func externalRef(key string) (customer.ExternalRef, bool) {
	rest, ok := strings.CutPrefix(key, customer.KeyExternal+":")
	if !ok {
		return customer.ExternalRef{}, false
	}
	ch, id, ok := strings.Cut(rest, ":")
	return customer.ExternalRef{Channel: ch, ExternalID: id}, ok
}

// lookupChunk is how many values one lookup query takes: PostgreSQL gets
// them as one array parameter, so one statement (planned once, cached by pgx)
// covers a whole batch; SQLite gets an IN list of at most chunk placeholders.
func (db *DB) lookupChunk() int {
	if db.dialect == Postgres {
		return maxArray
	}
	return chunk
}

// maxArray bounds the values one PostgreSQL lookup sends as one array.
const maxArray = 50000

// inList returns "IN (?,…)" or, on PostgreSQL, "= ANY(?)" with one array.
func (db *DB) inList(vals []string) (string, []any) {
	if db.dialect == Postgres {
		return `= ANY(?)`, []any{vals}
	}
	return `IN (` + placeholders(len(vals)) + `)`, anys(vals)
}

// externalCond matches source profiles by channel and external ID.
func (db *DB) externalCond(refs []customer.ExternalRef) (string, []any) {
	if db.dialect == Postgres {
		chs, ids := make([]string, len(refs)), make([]string, len(refs))
		for i, r := range refs {
			chs[i], ids[i] = r.Channel, r.ExternalID
		}
		return `(channel, external_id) IN (SELECT * FROM unnest(?::text[], ?::text[]))`, []any{chs, ids}
	}
	cond := make([]string, len(refs))
	args := make([]any, 0, 2*len(refs))
	for i, r := range refs {
		cond[i] = `(channel = ? AND external_id = ?)`
		args = append(args, r.Channel, r.ExternalID)
	}
	return strings.Join(cond, ` OR `), args
}

const sourceCols = `id, customer_id, channel, external_id, version, profile, raw, observed_at, received_at, created_at, erased`

func scanSource(sc interface{ Scan(...any) error }) (customer.SourceProfile, error) {
	var sp customer.SourceProfile
	var prof, raw string
	if err := sc.Scan(&sp.ID, &sp.CustomerID, &sp.Channel, &sp.ExternalID, &sp.Version, &prof, &raw, &sp.ObservedAt, &sp.ReceivedAt, &sp.CreatedAt, &sp.Erased); err != nil {
		return sp, err
	}
	sp.Raw = json.RawMessage(raw)
	if err := json.Unmarshal([]byte(prof), &sp.Profile); err != nil {
		return sp, fmt.Errorf("source profile %s: corrupt profile JSON: %w", sp.ID, err)
	}
	sp.ObservedAt, sp.ReceivedAt, sp.CreatedAt = sp.ObservedAt.UTC(), sp.ReceivedAt.UTC(), sp.CreatedAt.UTC()
	return sp, nil
}

func querySources(ctx context.Context, db *DB, q querier, where string, args ...any) ([]customer.SourceProfile, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT `+sourceCols+` FROM source_profiles WHERE `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("query source profiles: %w", err)
	}
	defer rows.Close()
	var out []customer.SourceProfile
	for rows.Next() {
		sp, err := scanSource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, rows.Err()
}

func (t *tx) SourceByExternal(ctx context.Context, channel, externalID string) (*customer.SourceProfile, error) {
	l, err := querySources(ctx, t.db, t, `channel = ? AND external_id = ?`, channel, externalID)
	if err != nil || len(l) == 0 {
		return nil, err
	}
	return &l[0], nil
}

// SourcesByExternal reads the current source profiles for many
// channel/external ID pairs at once.
func (t *tx) SourcesByExternal(ctx context.Context, refs []customer.ExternalRef) (map[customer.ExternalRef]*customer.SourceProfile, error) {
	out := map[customer.ExternalRef]*customer.SourceProfile{}
	for start := 0; start < len(refs); start += t.db.lookupChunk() {
		cond, args := t.db.externalCond(refs[start:min(start+t.db.lookupChunk(), len(refs))])
		l, err := querySources(ctx, t.db, t, cond, args...)
		if err != nil {
			return nil, err
		}
		for i := range l {
			out[customer.ExternalRef{Channel: l[i].Channel, ExternalID: l[i].ExternalID}] = &l[i]
		}
	}
	return out, nil
}

// SourcesOfCustomers reads the source profiles of many customers at once.
func (t *tx) SourcesOfCustomers(ctx context.Context, ids []string) (map[string][]customer.SourceProfile, error) {
	out := map[string][]customer.SourceProfile{}
	for start := 0; start < len(ids); start += t.db.lookupChunk() {
		part := ids[start:min(start+t.db.lookupChunk(), len(ids))]
		in, args := t.db.inList(part)
		l, err := querySources(ctx, t.db, t, `customer_id `+in+` ORDER BY id`, args...)
		if err != nil {
			return nil, err
		}
		for _, sp := range l {
			out[sp.CustomerID] = append(out[sp.CustomerID], sp)
		}
	}
	return out, nil
}

func (t *tx) SourcesOfCustomer(ctx context.Context, id string) ([]customer.SourceProfile, error) {
	return querySources(ctx, t.db, t, `customer_id = ? ORDER BY id`, id)
}

func (t *tx) SourcesByID(ctx context.Context, ids []string) ([]customer.SourceProfile, error) {
	var out []customer.SourceProfile
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		l, err := querySources(ctx, t.db, t, `id IN (`+placeholders(len(part))+`) ORDER BY id`, anys(part)...)
		if err != nil {
			return nil, err
		}
		out = append(out, l...)
	}
	return out, nil
}

func anys(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

func (t *tx) InsertSource(ctx context.Context, sp *customer.SourceProfile) error {
	prof, err := json.Marshal(sp.Profile)
	if err != nil {
		return err
	}
	t.later("source_profiles", sourceCols, sp.ID, sp.CustomerID, sp.Channel, sp.ExternalID, sp.Version, string(prof), string(sp.Raw), sp.ObservedAt, sp.ReceivedAt, sp.CreatedAt, sp.Erased)
	return nil
}

// AddSourceVersion makes sp the current version. The version it replaces
// moves to source_profile_versions first, exactly as it was stored, so every
// version is kept while the raw record is written once.
func (t *tx) AddSourceVersion(ctx context.Context, sp *customer.SourceProfile) error {
	prof, err := json.Marshal(sp.Profile)
	if err != nil {
		return err
	}
	if err := t.exec(ctx, `INSERT INTO source_profile_versions (customer_id, profile_id, version, raw, observed_at, received_at)
		SELECT customer_id, id, version, raw, observed_at, received_at FROM source_profiles WHERE id = ?`, sp.ID); err != nil {
		return fmt.Errorf("keep version of source profile %s: %w", sp.ID, err)
	}
	if err := t.exec(ctx, `UPDATE source_profiles SET version = ?, profile = ?, raw = ?, observed_at = ?, received_at = ? WHERE id = ?`,
		sp.Version, string(prof), string(sp.Raw), sp.ObservedAt, sp.ReceivedAt, sp.ID); err != nil {
		return fmt.Errorf("update source profile %s: %w", sp.ID, err)
	}
	return nil
}

func (t *tx) MoveSources(ctx context.Context, ids []string, customerID string) error {
	for start := 0; start < len(ids); start += chunk {
		part := anys(ids[start:min(start+chunk, len(ids))])
		in := `(` + placeholders(len(part)) + `)`
		args := append([]any{customerID}, part...)
		for _, q := range []string{
			`UPDATE source_profiles SET customer_id = ? WHERE id IN ` + in,
			`UPDATE source_profile_versions SET customer_id = ? WHERE profile_id IN ` + in,
			`UPDATE customer_keys SET customer_id = ? WHERE profile_id IN ` + in,
		} {
			if err := t.exec(ctx, q, args...); err != nil {
				return fmt.Errorf("move source profiles: %w", err)
			}
		}
	}
	return nil
}

func (t *tx) SetKeys(ctx context.Context, profileID, customerID string, keys []string) error {
	if err := t.exec(ctx, `DELETE FROM customer_keys WHERE profile_id = ?`, profileID); err != nil {
		return fmt.Errorf("replace identity keys: %w", err)
	}
	return t.AddKeys(ctx, profileID, customerID, keys)
}

func (t *tx) AddKeys(_ context.Context, profileID, customerID string, keys []string) error {
	for _, k := range keys {
		if _, ext := externalRef(k); ext {
			continue // answered by source_profiles (see customersByKeys)
		}
		t.later("customer_keys", "key, customer_id, profile_id", k, customerID, profileID)
	}
	return nil
}

// EraseSources removes the personal content of every source profile and
// version of a customer. The rows stay (counts, history of the fact) with an
// empty body; the external ID is replaced by what erasedID returns.
func (t *tx) EraseSources(ctx context.Context, customerID string, erasedID func(customer.SourceProfile) string) error {
	srcs, err := t.SourcesOfCustomer(ctx, customerID)
	if err != nil {
		return err
	}
	for _, sp := range srcs {
		if err := t.exec(ctx, `UPDATE source_profiles SET external_id = ?, profile = '{}', raw = '{}', erased = ? WHERE id = ?`, erasedID(sp), true, sp.ID); err != nil {
			return fmt.Errorf("erase source profile %s: %w", sp.ID, err)
		}
	}
	if err := t.exec(ctx, `UPDATE source_profile_versions SET raw = '{}' WHERE profile_id IN (SELECT id FROM source_profiles WHERE customer_id = ?)`, customerID); err != nil {
		return fmt.Errorf("erase source versions: %w", err)
	}
	// Staff notes are free text about the person: they go too.
	if err := t.exec(ctx, `DELETE FROM customer_notes WHERE customer_id = ?`, customerID); err != nil {
		return fmt.Errorf("erase notes: %w", err)
	}
	if err := t.exec(ctx, `DELETE FROM customer_keys WHERE profile_id IN (SELECT id FROM source_profiles WHERE customer_id = ?)`, customerID); err != nil {
		return fmt.Errorf("erase identity keys: %w", err)
	}
	return nil
}

const customerCols = `id, status, merged_into, suppressed, profile, lineage, channels, version, created_at, updated_at`

func scanCustomer(sc interface{ Scan(...any) error }) (*customer.Customer, error) {
	var c customer.Customer
	var merged sql.NullString
	var prof, lin, chans string
	err := sc.Scan(&c.ID, &c.Status, &merged, &c.Suppressed, &prof, &lin, &chans, &c.Version, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return nil, err
	}
	c.MergedInto = merged.String
	if err := json.Unmarshal([]byte(prof), &c.Profile); err != nil {
		return nil, fmt.Errorf("customer %s: corrupt profile JSON: %w", c.ID, err)
	}
	if c.Lineage, err = decodeLineage(lin); err != nil {
		return nil, fmt.Errorf("customer %s: corrupt lineage: %w", c.ID, err)
	}
	if chans != "" {
		c.Channels = strings.Split(chans, ",")
	} else {
		c.Channels = []string{}
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return &c, nil
}

func getCustomer(ctx context.Context, db *DB, q querier, id string, forUpdate bool) (*customer.Customer, error) {
	query := `SELECT ` + customerCols + ` FROM customers WHERE id = ?`
	if forUpdate && db.dialect == Postgres {
		query += ` FOR UPDATE`
	}
	c, err := scanCustomer(q.QueryRowContext(ctx, db.rebind(query), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "customer %s not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}

// GetCustomer inside a transaction locks the row on PostgreSQL, so two
// writers recomputing one golden record take turns and neither loses the
// other's source profile.
func (t *tx) GetCustomer(ctx context.Context, id string) (*customer.Customer, error) {
	c, err := getCustomer(ctx, t.db, t, id, true)
	if err == nil {
		t.noteFacets(c)
	}
	return c, err
}

// GetCustomers reads and (on PostgreSQL) locks many customers in one query,
// in ID order like every other locker.
func (t *tx) GetCustomers(ctx context.Context, ids []string) (map[string]*customer.Customer, error) {
	out := make(map[string]*customer.Customer, len(ids))
	for start := 0; start < len(ids); start += t.db.lookupChunk() {
		part := ids[start:min(start+t.db.lookupChunk(), len(ids))]
		in, args := t.db.inList(part)
		q := `SELECT ` + customerCols + ` FROM customers WHERE id ` + in + ` ORDER BY id`
		if t.db.dialect == Postgres {
			q += ` FOR UPDATE`
		}
		rows, err := t.query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("get customers: %w", err)
		}
		for rows.Next() {
			c, err := scanCustomer(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[c.ID] = c
			t.noteFacets(c)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	for _, id := range ids {
		if out[id] == nil {
			return nil, kizuna.Errorf(kizuna.ENOTFOUND, "customer %s not found", id)
		}
	}
	return out, nil
}

func customerArgs(c *customer.Customer) ([]any, error) {
	prof, err := json.Marshal(c.Profile)
	if err != nil {
		return nil, err
	}
	if c.Lineage == nil {
		c.Lineage = map[string]customer.Lineage{}
	}
	lin, err := encodeLineage(c.Lineage)
	if err != nil {
		return nil, err
	}
	var merged any
	if c.MergedInto != "" {
		merged = c.MergedInto
	}
	return []any{c.ID, c.Status, merged, c.Suppressed, string(prof), lin, strings.Join(c.Channels, ","), c.Version, c.CreatedAt, c.UpdatedAt}, nil
}

func (t *tx) InsertCustomer(ctx context.Context, c *customer.Customer) error {
	args, err := customerArgs(c)
	if err != nil {
		return err
	}
	t.later("customers", customerCols, args...)
	t.noteFacets(c)
	for i, ft := range facetTables {
		for _, v := range t.facets[c.ID][i] {
			t.later(ft.table, "customer_id, "+ft.col, c.ID, v)
		}
	}
	return nil
}

func (t *tx) UpdateCustomer(ctx context.Context, c *customer.Customer) error {
	if _, ok := t.facets[c.ID]; !ok {
		// Not read in this transaction: learn its facet rows from the row
		// before it changes, so the update touches only what differs.
		old, err := getCustomer(ctx, t.db, t, c.ID, false)
		if err != nil {
			return err
		}
		t.noteFacets(old)
	}
	args, err := customerArgs(c)
	if err != nil {
		return err
	}
	args = append(args[1:], c.ID)
	if err := t.exec(ctx, `UPDATE customers SET status = ?, merged_into = ?, suppressed = ?, profile = ?, lineage = ?, channels = ?, version = ?, created_at = ?, updated_at = ? WHERE id = ?`, args...); err != nil {
		return fmt.Errorf("update customer %s: %w", c.ID, err)
	}
	return t.syncFacets(ctx, c)
}

// facetTables are the index tables derived from the golden record: list
// filters and segments read the first two, the console's search the third.
// Each is keyed by (customer_id, value) or (value, customer_id), so one
// row is deleted by its key.
var facetTables = [3]struct{ table, col string }{
	{"customer_channels", "channel"}, {"customer_tags", "tag"}, {"customer_search", "term"},
}

// facetRows are a customer's rows in each facet table (none unless active).
type facetRows [3][]string

func facetsOf(c *customer.Customer) *facetRows {
	var f facetRows
	if c.Status == customer.StatusActive {
		f = facetRows{c.Channels, c.Profile.Tags, customer.SearchTerms(&c.Profile)}
	}
	return &f
}

// noteFacets records what the facet tables hold for c, as of now.
func (t *tx) noteFacets(c *customer.Customer) {
	if t.facets == nil {
		t.facets = map[string]*facetRows{}
	}
	t.facets[c.ID] = facetsOf(c)
}

// syncFacets brings the facet tables from what they hold for c (as noted)
// to what its golden record says, deleting and inserting only the rows
// that differ: most updates change no name, channel or tag.
func (t *tx) syncFacets(ctx context.Context, c *customer.Customer) error {
	old := t.facets[c.ID]
	now := facetsOf(c)
	t.facets[c.ID] = now
	for i, ft := range facetTables {
		for _, v := range old[i] {
			if !slices.Contains(now[i], v) {
				if err := t.exec(ctx, `DELETE FROM `+ft.table+` WHERE customer_id = ? AND `+ft.col+` = ?`, c.ID, v); err != nil {
					return fmt.Errorf("sync %s: %w", ft.table, err)
				}
			}
		}
		for _, v := range now[i] {
			if !slices.Contains(old[i], v) {
				t.later(ft.table, "customer_id, "+ft.col, c.ID, v)
			}
		}
	}
	return nil
}

const duplicateCols = `id, customer_id, other_id, reason, source_profile_id, status, created_at, probability, evidence, other_profile_id, decided_by, decided_at`

func queryDuplicates(ctx context.Context, db *DB, q querier, where string, args ...any) ([]customer.Duplicate, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT `+duplicateCols+` FROM duplicates WHERE `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("query duplicates: %w", err)
	}
	defer rows.Close()
	var out []customer.Duplicate
	for rows.Next() {
		var d customer.Duplicate
		var evidence string
		var decided sql.NullTime
		if err := rows.Scan(&d.ID, &d.CustomerID, &d.OtherID, &d.Reason, &d.SourceProfileID, &d.Status, &d.CreatedAt,
			&d.Probability, &evidence, &d.OtherProfileID, &d.DecidedBy, &decided); err != nil {
			return nil, err
		}
		d.CreatedAt = d.CreatedAt.UTC()
		if decided.Valid {
			at := decided.Time.UTC()
			d.DecidedAt = &at
		}
		if evidence != "" {
			if err := json.Unmarshal([]byte(evidence), &d.Evidence); err != nil {
				return nil, fmt.Errorf("duplicate %s: corrupt evidence JSON: %w", d.ID, err)
			}
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func nullTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

func evidenceJSON(d *customer.Duplicate) (string, error) {
	if len(d.Evidence) == 0 {
		return "", nil
	}
	b, err := json.Marshal(d.Evidence)
	return string(b), err
}

func (t *tx) InsertDuplicate(ctx context.Context, d *customer.Duplicate) error {
	ev, err := evidenceJSON(d)
	if err != nil {
		return err
	}
	t.later("duplicates", duplicateCols, d.ID, d.CustomerID, d.OtherID, d.Reason, d.SourceProfileID, d.Status, d.CreatedAt,
		d.Probability, ev, d.OtherProfileID, d.DecidedBy, nullTimePtr(d.DecidedAt))
	return nil
}

func (t *tx) PairsOnRecord(ctx context.Context, ids []string) (map[[2]string]bool, error) {
	out := map[[2]string]bool{}
	for start := 0; start < len(ids); start += t.db.lookupChunk() {
		chunk := ids[start:min(start+t.db.lookupChunk(), len(ids))]
		in, args := t.db.inList(chunk)
		// A pair the model cleared is not flagged again by a rule either:
		// only the model puts it back (applyResolution).
		statuses := []any{customer.DuplicateOpen, customer.DuplicateDismissed, customer.DuplicateCleared}
		q := `SELECT customer_id, other_id FROM duplicates WHERE status IN (?, ?, ?) AND customer_id ` + in + `
			UNION SELECT customer_id, other_id FROM duplicates WHERE status IN (?, ?, ?) AND other_id ` + in + `
			UNION SELECT customer_id, merged_id FROM merges WHERE undone_at IS NOT NULL AND customer_id ` + in + `
			UNION SELECT customer_id, merged_id FROM merges WHERE undone_at IS NOT NULL AND merged_id ` + in
		rows, err := t.query(ctx, q, slices.Concat(statuses, args, statuses, args, args, args)...)
		if err != nil {
			return nil, fmt.Errorf("read reviewed pairs: %w", err)
		}
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				rows.Close()
				return nil, err
			}
			out[[2]string{min(a, b), max(a, b)}] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("read reviewed pairs: %w", err)
		}
	}
	return out, nil
}

func (t *tx) DuplicatesOf(ctx context.Context, id string) ([]customer.Duplicate, error) {
	return queryDuplicates(ctx, t.db, t, `customer_id = ? OR other_id = ? ORDER BY id`, id, id)
}

func (t *tx) SetDuplicate(ctx context.Context, d customer.Duplicate) error {
	ev, err := evidenceJSON(&d)
	if err != nil {
		return err
	}
	return t.exec(ctx, `UPDATE duplicates SET customer_id = ?, other_id = ?, reason = ?, source_profile_id = ?, status = ?,
		probability = ?, evidence = ?, other_profile_id = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
		d.CustomerID, d.OtherID, d.Reason, d.SourceProfileID, d.Status, d.Probability, ev, d.OtherProfileID, d.DecidedBy, nullTimePtr(d.DecidedAt), d.ID)
}

func (t *tx) RepointDuplicates(ctx context.Context, from, to string) error {
	if err := t.exec(ctx, `UPDATE duplicates SET customer_id = ? WHERE customer_id = ?`, to, from); err != nil {
		return err
	}
	return t.exec(ctx, `UPDATE duplicates SET other_id = ? WHERE other_id = ?`, to, from)
}

const mergeCols = `id, customer_id, merged_id, moved_profiles, snapshot, reason, actor_id, created_at, undone_at`

func queryMerges(ctx context.Context, db *DB, q querier, where string, args ...any) ([]customer.Merge, error) {
	rows, err := q.QueryContext(ctx, db.rebind(`SELECT `+mergeCols+` FROM merges WHERE `+where), args...)
	if err != nil {
		return nil, fmt.Errorf("query merges: %w", err)
	}
	defer rows.Close()
	var out []customer.Merge
	for rows.Next() {
		var m customer.Merge
		var moved, snap string
		var undone sql.NullTime
		if err := rows.Scan(&m.ID, &m.SurvivorID, &m.MergedID, &moved, &snap, &m.Reason, &m.ActorID, &m.CreatedAt, &undone); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(moved), &m.MovedProfiles); err != nil {
			return nil, fmt.Errorf("merge %s: corrupt moved_profiles: %w", m.ID, err)
		}
		m.Snapshot = json.RawMessage(snap)
		m.CreatedAt = m.CreatedAt.UTC()
		if undone.Valid {
			u := undone.Time.UTC()
			m.UndoneAt = &u
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (t *tx) InsertMerge(ctx context.Context, m *customer.Merge) error {
	moved, err := json.Marshal(m.MovedProfiles)
	if err != nil {
		return err
	}
	return t.exec(ctx, `INSERT INTO merges (`+mergeCols+`) VALUES (?,?,?,?,?,?,?,?,?)`, m.ID, m.SurvivorID, m.MergedID, string(moved), string(m.Snapshot), m.Reason, m.ActorID, m.CreatedAt, nil)
}

func (t *tx) GetMerge(ctx context.Context, id string) (*customer.Merge, error) {
	ms, err := queryMerges(ctx, t.db, t, `id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "merge %s not found", id)
	}
	return &ms[0], nil
}

func (t *tx) MarkMergeUndone(ctx context.Context, id string, at time.Time) error {
	return t.exec(ctx, `UPDATE merges SET undone_at = ? WHERE id = ?`, at, id)
}

func (t *tx) ErasedAmong(ctx context.Context, hashes []string) (map[string]bool, error) {
	out := map[string]bool{}
	for start := 0; start < len(hashes); start += t.db.lookupChunk() {
		part := hashes[start:min(start+t.db.lookupChunk(), len(hashes))]
		in, args := t.db.inList(part)
		rows, err := t.query(ctx, `SELECT hash FROM erased_identifiers WHERE hash `+in, args...)
		if err != nil {
			return nil, fmt.Errorf("check erased identifiers: %w", err)
		}
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return nil, err
			}
			out[h] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *tx) AddErased(ctx context.Context, hashes []string) error {
	now := time.Now().UTC()
	for _, h := range hashes {
		if err := t.exec(ctx, `INSERT INTO erased_identifiers (hash, created_at) VALUES (?, ?) ON CONFLICT (hash) DO NOTHING`, h, now); err != nil {
			return fmt.Errorf("record erased identifier: %w", err)
		}
	}
	return nil
}

func (t *tx) Channel(ctx context.Context, code string) (*customer.Channel, error) {
	var c customer.Channel
	err := t.QueryRowContext(ctx, `SELECT code, name, name_en, kind, priority FROM channels WHERE code = ?`, code).Scan(&c.Code, &c.Name, &c.NameEn, &c.Kind, &c.Priority)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "channel %q not found", code)
	}
	return &c, err
}

func (t *tx) UpsertChannel(ctx context.Context, c customer.Channel) error {
	return t.exec(ctx, `INSERT INTO channels (code, name, name_en, kind, priority) VALUES (?,?,?,?,?)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, kind = excluded.kind, priority = excluded.priority`,
		c.Code, c.Name, c.NameEn, c.Kind, c.Priority)
}

func (t *tx) UpsertLocation(ctx context.Context, l customer.Location) error {
	return t.exec(ctx, `INSERT INTO locations (code, name, channel, prefecture, address, latitude, longitude) VALUES (?,?,?,?,?,?,?)
		ON CONFLICT (code) DO UPDATE SET name = excluded.name, channel = excluded.channel, prefecture = excluded.prefecture,
		address = excluded.address, latitude = excluded.latitude, longitude = excluded.longitude`,
		l.Code, l.Name, l.Channel, l.Prefecture, l.Address, l.Latitude, l.Longitude)
}

func (t *tx) UpsertAttribute(ctx context.Context, a customer.AttributeDef) error {
	return t.exec(ctx, `INSERT INTO attribute_defs (name, type, description) VALUES (?,?,?)
		ON CONFLICT (name) DO UPDATE SET type = excluded.type, description = excluded.description`, a.Name, a.Type, a.Description)
}

func (t *tx) SetSurvivorship(ctx context.Context, s customer.Survivorship) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return t.setSetting(ctx, "survivorship", string(b))
}

func (t *tx) setSetting(ctx context.Context, key, value string) error {
	return t.exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
}

func (t *tx) CustomersMergedInto(ctx context.Context, id string) ([]string, error) {
	rows, err := t.QueryContext(ctx, `SELECT id FROM customers WHERE merged_into = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("customers merged into %s: %w", id, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// ScrubMerges removes the personal data merge snapshots hold; the merges
// can no longer be undone, which an erased person's record must not be.
func (t *tx) ScrubMerges(ctx context.Context, id string) error {
	return t.exec(ctx, `UPDATE merges SET snapshot = '{}' WHERE customer_id = ? OR merged_id = ?`, id, id)
}

func (t *tx) Duplicate(ctx context.Context, id string) (*customer.Duplicate, error) {
	l, err := queryDuplicates(ctx, t.db, t, `id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(l) == 0 {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "possible duplicate %s not found", id)
	}
	return &l[0], nil
}
