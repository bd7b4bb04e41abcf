package sqlstore_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// openAt opens a new database migrated to version (0: the latest), with a
// plain connection beside it for writing rows as an older schema did.
func openAt(t *testing.T, dialect string, version int) (*sqlstore.DB, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	dsn := sqltest.DSN(t, dialect)
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if version == 0 {
		_, err = db.Migrate(ctx)
	} else {
		_, err = db.MigrateTo(ctx, version)
	}
	if err != nil {
		t.Fatal(err)
	}
	driver := "sqlite"
	if dialect == sqlstore.Postgres {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return db, raw
}

// Migration 2 turns a database written by schema 1 (current version also in
// source_profile_versions, ext: keys in customer_keys, lineage as JSON) into
// what schema 2 expects, losing nothing a reader sees.
func TestMigration2FromSchema1Data(t *testing.T) {
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, rdb := openAt(t, dialect, 0)
			svc := identity.New(db, db)
			actor := kizuna.Actor{Type: "system", ID: "test"}
			for _, body := range []string{`{"family_name":"佐藤","emails":["a@example.jp"]}`, `{"family_name":"佐藤","emails":["b@example.jp"]}`} {
				if _, err := svc.Ingest(ctx, actor, nil, []customer.SourceProfileInput{{Channel: "ec", ExternalID: "E1", Profile: json.RawMessage(body)}}); err != nil {
					t.Fatal(err)
				}
			}
			srcs, err := svc.Lookup(ctx, customer.KeyEmail, "b@example.jp")
			if err != nil || len(srcs) != 1 {
				t.Fatalf("lookup: %v %d", err, len(srcs))
			}
			cust := srcs[0]
			sp, err := db.SourcesOfCustomer(ctx, cust.ID)
			if err != nil || len(sp) != 1 {
				t.Fatalf("sources: %v", err)
			}
			// Put the rows back the way schema 1 wrote them.
			lin, _ := json.Marshal(cust.Lineage)
			q := func(s string) string { // "?" → "$1…" on PostgreSQL
				for i := 1; dialect == sqlstore.Postgres && strings.Contains(s, "?"); i++ {
					s = strings.Replace(s, "?", "$"+strconv.Itoa(i), 1)
				}
				return s
			}
			for _, st := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO source_profile_versions (customer_id, profile_id, version, raw, observed_at, received_at) SELECT customer_id, id, version, raw, observed_at, received_at FROM source_profiles WHERE id = ?`, []any{sp[0].ID}},
				{`INSERT INTO customer_keys (key, customer_id, profile_id) VALUES (?, ?, ?)`, []any{customer.ExternalKey("ec", "E1"), cust.ID, sp[0].ID}},
				{`UPDATE customers SET lineage = ? WHERE id = ?`, []any{string(lin), cust.ID}},
			} {
				if _, err := rdb.ExecContext(ctx, q(st.sql), st.args...); err != nil {
					t.Fatalf("%s: %v", st.sql, err)
				}
			}
			ms, err := db.Migrations()
			if err != nil || len(ms) < 2 || ms[1].Version != 2 {
				t.Fatalf("migrations: %v %+v", err, ms)
			}
			if _, err := rdb.ExecContext(ctx, ms[1].SQL); err != nil {
				t.Fatalf("migration 2: %v", err)
			}
			vs, err := db.SourceVersions(ctx, sp[0].ID)
			if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || string(vs[1].Raw) != `{"family_name":"佐藤","emails":["b@example.jp"]}` {
				t.Fatalf("versions after migration: %v %+v", err, vs)
			}
			var ext int
			if err := rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM customer_keys WHERE key LIKE 'ext:%'`).Scan(&ext); err != nil || ext != 0 {
				t.Fatalf("ext: keys left: %d %v", ext, err)
			}
			got, err := db.GetCustomer(ctx, cust.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Lineage[customer.FieldName] != cust.Lineage[customer.FieldName] || len(got.Lineage) != len(cust.Lineage) {
				t.Fatalf("lineage stored as JSON: %+v, want %+v", got.Lineage, cust.Lineage)
			}
			if l, err := svc.Lookup(ctx, customer.KeyExternal, "ec:E1"); err != nil || len(l) != 1 || l[0].ID != cust.ID {
				t.Fatalf("lookup by channel ID after migration: %v %+v", err, l)
			}
		})
	}
}

// Migration 14 keys the events stored before it by device and ID: resent
// afterwards they are still duplicates, an ID from another device is a new
// event, and a sign-in still finds the device's events.
func TestMigration14KeysEarlierEvents(t *testing.T) {
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, rdb := openAt(t, dialect, 13)
			insert := `INSERT INTO events (id, type, at, received_at, customer_id, anonymous_id) VALUES (?, ?, ?, ?, ?, ?)`
			if dialect == sqlstore.Postgres {
				insert = `INSERT INTO events (id, type, at, received_at, customer_id, anonymous_id) VALUES ($1, $2, $3, $4, $5, $6)`
			}
			at := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
			old := []event.Event{
				{ID: "e1", Type: event.PageView, At: at, ReceivedAt: at, AnonymousID: "A1"},
				{ID: "e2", Type: event.AppOpen, At: at, ReceivedAt: at, CustomerID: "C1"},
				{ID: "e3", Type: event.PageView, At: at, ReceivedAt: at, AnonymousID: "A2"},
			}
			for _, e := range old {
				if _, err := rdb.ExecContext(ctx, insert, e.ID, string(e.Type), e.At, e.ReceivedAt, e.CustomerID, e.AnonymousID); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			again := []event.Row{{Event: &old[0]}, {Event: &old[1]}, {Event: &event.Event{ID: "e1", Type: event.PageView, At: at, ReceivedAt: at, AnonymousID: "A9"}}}
			var stored, stitched int
			if err := db.EventTx(ctx, func(tx event.Tx) (err error) {
				if stored, err = tx.InsertEvents(ctx, again); err != nil {
					return err
				}
				stitched, err = tx.Link(ctx, "A2", "C1", at)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if stored != 1 || stitched != 1 {
				t.Fatalf("after migration: stored %d (want 1: e1 from another device), stitched %d (want 1)", stored, stitched)
			}
			l, err := db.Events(ctx, event.Query{CustomerIDs: []string{"C1"}, Limit: 10})
			if err != nil || len(l) != 2 {
				t.Fatalf("C1's events: %v %+v", err, l)
			}
			if l, err := db.Events(ctx, event.Query{AnonymousID: "A1", Limit: 10}); err != nil || len(l) != 1 || l[0].ID != "e1" {
				t.Fatalf("A1's events: %v %+v", err, l)
			}
		})
	}
}

// Migration 18 writes the search index again from the golden records: a
// term stored under an older name fold (斉藤 before 斉 folded to 斎) is
// replaced by the one a search now looks for.
func TestMigration18RebuildsTheSearchIndex(t *testing.T) {
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, rdb := openAt(t, dialect, 17)
			svc := identity.New(db, db)
			res, err := svc.Ingest(ctx, kizuna.System("test"), nil, []customer.SourceProfileInput{{Channel: "store", ExternalID: "S-1",
				Profile: json.RawMessage(`{"family_name":"斉藤","given_name":"花子"}`)}})
			if err != nil || res[0].CustomerID == "" {
				t.Fatalf("ingest: %v %+v", err, res)
			}
			// What schema 17 stored for her: the name under the old fold.
			update := `UPDATE customer_search SET term = ? WHERE term = ?`
			if dialect == sqlstore.Postgres {
				update = `UPDATE customer_search SET term = $1 WHERE term = $2`
			}
			r, err := rdb.ExecContext(ctx, update, "n:斉藤花子", "n:斎藤花子")
			if n, _ := r.RowsAffected(); err != nil || n != 1 {
				t.Fatalf("set the old term: %v (%d rows)", err, n)
			}
			if err := db.VerifyFacets(ctx); err == nil {
				t.Fatal("the old term passes the facet check")
			}
			if _, err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			if err := db.VerifyFacets(ctx); err != nil {
				t.Fatalf("after migration 18: %v", err)
			}
			found, err := svc.Search(ctx, "斉藤", 10)
			if err != nil || len(found) != 1 || found[0].Customer.ID != res[0].CustomerID {
				t.Fatalf("search 斉藤 after the migration: %+v %v", found, err)
			}
		})
	}
}

// Migration 19 makes a JAN name one product. Where products share one, it
// stays with the first created; the others keep it in an attribute, and
// the migration's notes name them. The index then refuses a second
// product with the code.
func TestMigration19GivesASharedJANToOneProduct(t *testing.T) {
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, rdb := openAt(t, dialect, 18)
			rebind := func(q string) string {
				if dialect == sqlstore.Postgres {
					for i := 1; strings.Contains(q, "?"); i++ {
						q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
					}
				}
				return q
			}
			at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			insert := func(sku, jan, attrs string, created time.Time) {
				t.Helper()
				if _, err := rdb.ExecContext(ctx, rebind(`INSERT INTO products (sku, jan, name, price, currency, tax_rate, attributes, created_at, updated_at) VALUES (?, ?, 'x', 100, 'JPY', 10, ?, ?, ?)`),
					sku, jan, attrs, created, created); err != nil {
					t.Fatal(err)
				}
			}
			insert("TEA-2", "4901234567894", `{"産地":"静岡県"}`, at.Add(time.Hour))
			insert("TEA-1", "4901234567894", `{}`, at)
			insert("CUP-1", "", `{}`, at)
			insert("CUP-2", "", `{}`, at)
			applied, err := db.Migrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var notes []string
			for _, m := range applied {
				notes = append(notes, m.Notes...)
			}
			if len(notes) != 1 || !strings.Contains(notes[0], "stays with TEA-1") || !strings.Contains(notes[0], "TEA-2 keeps it in its attribute shared_jan") {
				t.Errorf("notes %q", notes)
			}
			var jan, attrs string
			if err := rdb.QueryRowContext(ctx, rebind(`SELECT jan, attributes FROM products WHERE sku = ?`), "TEA-2").Scan(&jan, &attrs); err != nil {
				t.Fatal(err)
			}
			if jan != "" || !strings.Contains(attrs, `"shared_jan":"4901234567894"`) || !strings.Contains(attrs, "静岡県") {
				t.Errorf("TEA-2 after the migration: jan %q, attributes %s", jan, attrs)
			}
			if _, err := rdb.ExecContext(ctx, rebind(`UPDATE products SET jan = '4901234567894' WHERE sku = ?`), "TEA-2"); err == nil {
				t.Error("the index took a second product with the JAN")
			}
		})
	}
}
