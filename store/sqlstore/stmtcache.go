package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache runs read queries through statements prepared once for the
// SQLite read pool. A lookup at the till runs the same two queries every
// time; parsing and planning them again on each call was a large part of a
// lookup's cost. (pgx caches prepared statements per connection itself.)
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// maxCachedStmts bounds the cache; queries past it run unprepared.
const maxCachedStmts = 64

func (c *stmtCache) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st, nil
	}
	if len(c.m) >= maxCachedStmts {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[q] = st
	return st, nil
}

// lookup returns a statement prepared before, or nil; it never prepares.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

func (c *stmtCache) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, q)
	if err != nil || st == nil {
		return c.db.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, q)
	if err != nil || st == nil {
		return c.db.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (c *stmtCache) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.db.ExecContext(ctx, q, args...)
}

func (c *stmtCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for _, st := range c.m {
		err = errors.Join(err, st.Close())
	}
	c.m = nil
	return err
}

// preparedTx runs a transaction's statements prepared once per
// transaction on SQLite, where a batch repeats the same few statements
// thousands of times and parsing each dominated; on PostgreSQL pgx caches
// prepared statements per connection itself. Queries come rebound.
type preparedTx struct {
	db     *DB
	tx     *sql.Tx
	stmts  map[string]*sql.Stmt // closed by database/sql when the transaction ends
	missed []string             // statements the writer has not prepared yet
}

// warm prepares the statements a finished transaction missed on the
// writer, for the next ones. It must run outside any write transaction.
func (p *preparedTx) warm(ctx context.Context) {
	if p.db.writeStmts == nil {
		return
	}
	for _, q := range p.missed {
		p.db.writeStmts.add(ctx, q) // a failure only means the next transaction prepares it again
	}
	p.missed = nil
}

// add prepares q and keeps it. The statement is prepared before the lock
// is taken: preparing waits for a connection, and a transaction holding
// the writer may be waiting on the lock in lookup.
func (c *stmtCache) add(ctx context.Context, q string) {
	if c.lookup(q) != nil {
		return
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[q]; ok || len(c.m) >= maxCachedStmts {
		st.Close()
		return
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[q] = st
}

func (p *preparedTx) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if p.db.dialect != SQLite {
		return nil, nil
	}
	if s, ok := p.stmts[q]; ok {
		return s, nil
	}
	// A statement prepared before on the (single) writer connection is
	// bound to the transaction without preparing it again. Others are
	// prepared for this transaction and noted, to be prepared on the
	// writer once the transaction has given the connection back (warm):
	// preparing on the pool now would wait for the connection this
	// transaction holds.
	var s *sql.Stmt
	if shared := p.db.writeStmts.lookup(q); shared != nil {
		s = p.tx.StmtContext(ctx, shared)
	} else {
		var err error
		if s, err = p.tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
		p.missed = append(p.missed, q)
	}
	if p.stmts == nil {
		p.stmts = map[string]*sql.Stmt{}
	}
	p.stmts[q] = s
	return s, nil
}

func (p *preparedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := p.prepared(ctx, q)
	if err != nil || s == nil {
		if err != nil {
			return nil, err
		}
		return p.tx.QueryContext(ctx, q, args...)
	}
	return s.QueryContext(ctx, args...)
}

func (p *preparedTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s, err := p.prepared(ctx, q); err == nil && s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.tx.QueryRowContext(ctx, q, args...)
}

func (p *preparedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	s, err := p.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return p.tx.ExecContext(ctx, q, args...)
	}
	return s.ExecContext(ctx, args...)
}
