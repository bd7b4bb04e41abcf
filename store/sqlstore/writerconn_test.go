package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"runtime/pprof"
	"strings"
	"testing"
	"time"
)

// The writer's statements run without a goroutine watching their context,
// even when the caller's context can be cancelled (a request's, or the
// CLI's): the driver started one per statement, which a large import paid
// millions of times. The test runs a slow statement under a profiler label,
// which goroutines started for it inherit, and looks for the driver's
// watcher among them.
func TestWriterStatementsAreNotWatched(t *testing.T) {
	db := openSQLite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const slow = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000) SELECT count(*) FROM c`
	watched := func(probe string, run func(context.Context) error) bool {
		t.Helper()
		stop, seen := make(chan struct{}), make(chan bool, 1)
		go func() {
			found := false
			defer func() { seen <- found }()
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
				var b bytes.Buffer
				if pprof.Lookup("goroutine").WriteTo(&b, 1) != nil {
					continue
				}
				for _, g := range strings.Split(b.String(), "\n\n") {
					if strings.Contains(g, `"probe":"`+probe+`"`) && strings.Contains(g, "modernc.org/sqlite.interruptOnDone") {
						found = true
					}
				}
			}
		}()
		var err error
		pprof.Do(ctx, pprof.Labels("probe", probe), func(ctx context.Context) { err = run(ctx) })
		close(stop)
		if err != nil {
			t.Fatal(err)
		}
		return <-seen
	}
	var n int
	// A reader's statement is watched: this shows the lookout can see it.
	if !watched("reader", func(ctx context.Context) error { return db.read.QueryRowContext(ctx, slow).Scan(&n) }) {
		t.Fatal("no watcher seen on a read connection: the lookout cannot see them")
	}
	if watched("writer", func(ctx context.Context) error {
		return db.connTx(ctx, func(_ *sql.Conn, tx *sql.Tx) error { return tx.QueryRowContext(ctx, slow).Scan(&n) })
	}) {
		t.Fatal("a statement of a write transaction ran with a goroutine watching its context")
	}
}
