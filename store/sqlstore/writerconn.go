package sqlstore

import (
	"context"
	"database/sql/driver"
	"fmt"

	"modernc.org/sqlite"
)

// writerConnector opens SQLite's writer connections. Their statements run
// without their context's cancellation: for a context that can be
// cancelled, the driver starts a goroutine per statement to watch it, and
// the statements of a write transaction get the caller's context (a
// request's, or the CLI's that stops on Ctrl-C) whatever connTx began the
// transaction with. A 1M-row import paid some 4 s of the writer's time for
// those goroutines and a 1M-event ingest about 1 s (docs/benchmarks.md).
// A caller that goes away is still noticed where database/sql looks: while
// waiting for the writer, and before each statement, which then fails with
// its transaction. What is lost is only interrupting a statement already
// running, and a write transaction's statements are short.
type writerConnector struct{ base driver.Connector }

func newWriterConnector(dsn string) (driver.Connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return writerConnector{base}, nil
}

func (c writerConnector) Connect(ctx context.Context) (driver.Conn, error) {
	cn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	q, ok := cn.(innerConn)
	if !ok {
		cn.Close()
		return nil, fmt.Errorf("sqlite driver connection %T lacks the context methods", cn)
	}
	return quietConn{q}, nil
}

func (c writerConnector) Driver() driver.Driver { return c.base.Driver() }

// innerConn is what database/sql uses of the driver's connection.
type innerConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// quietConn is a writer connection whose statements ignore cancellation.
type quietConn struct{ innerConn }

func (c quietConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.innerConn.BeginTx(context.WithoutCancel(ctx), opts)
}

func (c quietConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.innerConn.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil, err
	}
	if q, ok := s.(innerStmt); ok {
		return quietStmt{q}, nil
	}
	return s, nil
}

func (c quietConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.innerConn.ExecContext(context.WithoutCancel(ctx), query, args)
}

func (c quietConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.innerConn.QueryContext(context.WithoutCancel(ctx), query, args)
}

// innerStmt is what database/sql uses of the driver's statement.
type innerStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type quietStmt struct{ innerStmt }

func (s quietStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.innerStmt.ExecContext(context.WithoutCancel(ctx), args)
}

func (s quietStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.innerStmt.QueryContext(context.WithoutCancel(ctx), args)
}
