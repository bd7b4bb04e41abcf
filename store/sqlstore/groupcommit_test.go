package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Transactions asked for together commit as one; one that fails fails
// alone, and what the others wrote is kept, once.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE g (v INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	const n = 20
	bad := errors.New("job 7 fails")
	release := make(chan struct{})
	var mu sync.Mutex
	runs := map[int]int{}
	job := func(v int) func(*sql.Conn, *sql.Tx) error {
		return func(_ *sql.Conn, tx *sql.Tx) error {
			mu.Lock()
			runs[v]++
			mu.Unlock()
			if v == 0 {
				<-release // hold the first group open while the others queue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO g (v) VALUES (?)`, v); err != nil {
				return err
			}
			if v == 7 {
				return bad
			}
			return nil
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	wg.Go(func() { errs[0] = db.events.run(ctx, db, job(0)) })
	for {
		mu.Lock()
		started := runs[0] > 0
		mu.Unlock()
		if started {
			break
		}
		time.Sleep(time.Millisecond)
	}
	for v := 1; v < n; v++ {
		wg.Go(func() { errs[v] = db.events.run(ctx, db, job(v)) })
	}
	for {
		db.events.mu.Lock()
		queued := len(db.events.pending)
		db.events.mu.Unlock()
		if queued == n-1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	for v, err := range errs {
		if (v == 7) != errors.Is(err, bad) {
			t.Errorf("job %d: %v", v, err)
		}
	}
	var count, sum int
	if err := db.write.QueryRowContext(ctx, `SELECT COUNT(*), SUM(v) FROM g`).Scan(&count, &sum); err != nil {
		t.Fatal(err)
	}
	if count != n-1 || sum != n*(n-1)/2-7 {
		t.Fatalf("%d rows summing to %d: want every job's but job 7's", count, sum)
	}
	// Jobs 1–19 were one group; it failed at job 7, and each ran again
	// alone: those before job 7 in the group twice, those after it once.
	if runs[0] != 1 || runs[7] != 2 {
		t.Fatalf("runs %v", runs)
	}
	for v := 1; v < n; v++ {
		if runs[v] < 1 || runs[v] > 2 {
			t.Fatalf("runs %v", runs)
		}
	}
}

// A function that panics fails its group with an error, and the next
// transaction runs as usual.
func TestGroupCommitPanic(t *testing.T) {
	ctx := context.Background()
	db := openSQLite(t)
	err := db.events.run(ctx, db, func(*sql.Conn, *sql.Tx) error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("panicking job: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		done <- db.events.run(ctx, db, func(_ *sql.Conn, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `CREATE TABLE after_panic (v INTEGER)`)
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the next transaction waits for a leader that is gone")
	}
}

func openSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
