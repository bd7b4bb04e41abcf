package loyalty_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// BenchmarkVerify measures kizuna loyalty verify over a ledger of
// KIZUNA_BENCH_ENTRIES entries (default 1,000,000; the target is
// 10,000,000 in under 60 s), ten per customer: four earns, three holds
// (committed, released, still held), an adjustment. The ledger is written
// straight into the tables, as the store would have written it.
func BenchmarkVerify(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("KIZUNA_BENCH_ENTRIES")); err == nil && v > 0 {
		n = v
	}
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			dsn := sqltest.DSN(b, dialect)
			db, err := sqlstore.Open(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			customers := n / 10
			if err := writeLedgers(db, dsn, dialect, customers); err != nil {
				b.Fatal(err)
			}
			b.Logf("wrote %d entries for %d customers in %s", customers*10, customers, time.Since(start).Round(time.Second))
			points := loyalty.New(db)
			b.ResetTimer()
			for range b.N {
				rep, err := points.Verify(context.Background(), nil)
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Problems) != 0 || rep.Entries != int64(customers*10) {
					b.Fatalf("verify: %d entries, problems %v", rep.Entries, rep.Problems[:min(3, len(rep.Problems))])
				}
			}
			b.ReportMetric(float64(customers*10)*float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// writeLedgers writes a valid ledger of ten entries for each of customers
// through a plain connection, in batches.
func writeLedgers(db *sqlstore.DB, dsn, dialect string, customers int) error {
	driver := "sqlite"
	if dialect == sqlstore.Postgres {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer raw.Close()
	rebind := func(q string) string {
		if dialect != sqlstore.Postgres {
			return q
		}
		var out strings.Builder
		n := 0
		for _, r := range q {
			if r == '?' {
				n++
				fmt.Fprintf(&out, "$%d", n)
				continue
			}
			out.WriteRune(r)
		}
		return out.String()
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := func(d int) time.Time { return t0.Add(time.Duration(d) * day) }
	exp := func(d int) time.Time { return at(d).AddDate(1, 0, 0) }
	const per = 200 // customers per transaction
	for c0 := 0; c0 < customers; c0 += per {
		tx, err := raw.Begin()
		if err != nil {
			return err
		}
		var entries, lots, holds, accts []any
		for c := c0; c < min(c0+per, customers); c++ {
			id := fmt.Sprintf("cus_v%08d", c)
			e := func(seq int, kind string, pts int64, hold string, day int, credit bool) {
				var av, ex any
				if credit {
					av, ex = at(day), exp(day)
				}
				entries = append(entries, id, seq, fmt.Sprintf("pte_%s_%02d", id, seq), kind, pts, "", hold, "", "", nil, "bench", at(day+1), av, ex, nil)
			}
			lot := func(seq int, orig, rem int64, day int) {
				lots = append(lots, fmt.Sprintf("pte_%s_%02d", id, seq), id, "", orig, rem, at(day), exp(day))
			}
			h := func(n int) string { return fmt.Sprintf("hld_%s_%d", id, n) }
			e(1, "earn", 100, "", 0, true)
			e(2, "earn", 100, "", 1, true)
			e(3, "hold", -50, h(1), 2, false)
			e(4, "commit", 0, h(1), 2, false)
			e(5, "earn", 100, "", 3, true)
			e(6, "hold", -30, h(2), 4, false)
			e(7, "release", 30, h(2), 4, false)
			e(8, "adjust", 20, "", 5, true)
			e(9, "earn", 100, "", 6, true)
			e(10, "hold", -10, h(3), 7, false)
			lot(1, 100, 40, 0)
			lot(2, 100, 100, 1)
			lot(5, 100, 100, 3)
			lot(8, 20, 20, 5)
			lot(9, 100, 100, 6)
			first := fmt.Sprintf(`[{"lot":"pte_%s_01","points":%%d}]`, id)
			holds = append(holds,
				h(1), id, 50, "committed", h(1), "", at(3), at(2), fmt.Sprintf(first, 50),
				h(2), id, 30, "released", h(2), "", at(5), at(4), fmt.Sprintf(first, 30),
				h(3), id, 10, "held", h(3), "", at(8), at(7), fmt.Sprintf(first, 10))
			accts = append(accts, id, 10, 360, 10, 0, at(8))
		}
		for _, part := range []struct {
			table, cols string
			n           int
			args        []any
		}{
			{"points_entries", "customer_id, seq, id, kind, points, lot, hold_id, order_id, reason, ref, actor_id, at, available_at, expires_at, moved", 15, entries},
			{"points_lots", "id, customer_id, order_id, original, remaining, available_at, expires_at", 7, lots},
			{"points_holds", "id, customer_id, points, status, ref, order_ref, expires_at, created_at, alloc", 9, holds},
			{"points_accounts", "customer_id, seq, points, held, debt, updated_at", 6, accts},
		} {
			rows := len(part.args) / part.n
			step := max(1, 30000/part.n)
			for r0 := 0; r0 < rows; r0 += step {
				r1 := min(r0+step, rows)
				q := "INSERT INTO " + part.table + " (" + part.cols + ") VALUES " +
					strings.TrimSuffix(strings.Repeat("("+strings.TrimSuffix(strings.Repeat("?,", part.n), ",")+"),", r1-r0), ",")
				if _, err := tx.Exec(rebind(q), part.args[r0*part.n:r1*part.n]...); err != nil {
					tx.Rollback()
					return fmt.Errorf("%s: %w", part.table, err)
				}
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
