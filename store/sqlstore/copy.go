package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// copyMinRows is the smallest buffered batch sent with COPY on PostgreSQL;
// below it a multi-row INSERT costs less than COPY's extra round trip.
const copyMinRows = 16

// copyRows sends rows (n values each, flattened in args) into table with
// PostgreSQL's COPY protocol, on the connection of the open transaction. A
// multi-row INSERT of thousands of rows is parsed, planned and checked
// parameter by parameter on the server; COPY streams the rows in binary.
func (db *DB) copyRows(ctx context.Context, conn *sql.Conn, table, cols string, n int, args []any) error {
	names := strings.Split(cols, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	if len(names) != n {
		return fmt.Errorf("%d columns named for %d values a row", len(names), n)
	}
	rows := len(args) / n
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("COPY needs a pgx connection, have %T", dc)
		}
		copied, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, names, pgx.CopyFromSlice(rows, func(i int) ([]any, error) {
			return args[i*n : (i+1)*n], nil
		}))
		if err == nil && copied != int64(rows) {
			err = fmt.Errorf("copied %d of %d rows", copied, rows)
		}
		return err
	})
}
