package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// groupCommit runs the transactions that callers ask for at the same time
// as one, on SQLite's single writer: a commit writes every page the
// transaction dirtied, and the pages of an index with random keys (event
// devices) are shared by many batches, so two batches in one commit write
// fewer pages than in two. Callers wait as they would have waited for the
// writer; one of them, the leader, runs the group. A function that fails
// fails only its caller: the group is rolled back and each function run
// again in a transaction of its own, so functions must be safe to run more
// than once (they may only write through the transaction).
type groupCommit struct {
	mu      sync.Mutex
	pending []*groupJob
	leading bool
}

type groupJob struct {
	fn   func(*sql.Conn, *sql.Tx) error
	done chan error    // the job's result
	lead chan struct{} // the job's caller is to lead the next group
}

// run runs fn in a transaction, alone or with others.
func (g *groupCommit) run(ctx context.Context, db *DB, fn func(*sql.Conn, *sql.Tx) error) error {
	j := &groupJob{fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, j)
	if g.leading {
		g.mu.Unlock()
		select {
		case err := <-j.done:
			return err
		case <-j.lead:
		}
		g.mu.Lock()
	}
	g.leading = true
	group := g.pending
	g.pending = nil
	g.mu.Unlock()

	// The group must not fail because the leader's request was cancelled:
	// the others still wait for it.
	g.apply(context.WithoutCancel(ctx), db, group)

	// Whoever came meanwhile is the next group; its first caller leads it,
	// so that no caller keeps leading while others keep coming.
	g.mu.Lock()
	if len(g.pending) > 0 {
		g.pending[0].lead <- struct{}{}
	} else {
		g.leading = false
	}
	g.mu.Unlock()
	return <-j.done
}

func (g *groupCommit) apply(ctx context.Context, db *DB, group []*groupJob) {
	// A panic in one function must not leave the group's callers waiting
	// for ever, nor the next group without a leader: it fails the jobs
	// not yet answered (done holds one answer; the first stays).
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("event transaction: panic: %v", p)
			for _, j := range group {
				select {
				case j.done <- err:
				default:
				}
			}
		}
	}()
	if len(group) == 1 {
		group[0].done <- db.connTx(ctx, group[0].fn)
		return
	}
	err := db.connTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		for _, j := range group {
			if err := j.fn(conn, tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, j := range group {
			j.done <- nil
		}
		return
	}
	for _, j := range group {
		j.done <- db.connTx(ctx, j.fn)
	}
}
