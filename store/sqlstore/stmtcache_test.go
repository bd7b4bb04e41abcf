package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func TestStmtCacheReusesAndBounds(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES ('a', 1), ('b', 2)`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c := &stmtCache{db: db}
	defer c.Close()
	for range 3 {
		var v int
		if err := c.QueryRowContext(ctx, `SELECT v FROM t WHERE k = ?`, "b").Scan(&v); err != nil || v != 2 {
			t.Fatalf("cached query: %v %d", err, v)
		}
	}
	if len(c.m) != 1 {
		t.Fatalf("one query prepared once, cache holds %d", len(c.m))
	}
	// Past the bound queries still run, unprepared.
	for i := range maxCachedStmts + 10 {
		rows, err := c.QueryContext(ctx, fmt.Sprintf(`SELECT v + %d FROM t WHERE k = ?`, i), "a")
		if err != nil {
			t.Fatal(err)
		}
		if !rows.Next() {
			t.Fatalf("query %d: no row", i)
		}
		rows.Close()
	}
	if len(c.m) != maxCachedStmts {
		t.Fatalf("cache grew to %d, bound is %d", len(c.m), maxCachedStmts)
	}
	// A query that does not compile reports its error through the usual path.
	var v int
	if err := c.QueryRowContext(ctx, `SELECT nope FROM t`).Scan(&v); err == nil {
		t.Fatal("a bad query must fail")
	}
}
