package identity_test

import (
	"context"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/demo"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// BenchmarkIngest measures batch upsert of demo source profiles through the
// service (One ID, survivorship and audit included), per database.
func BenchmarkIngest(b *testing.B) {
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			db := sqltest.Open(b, dialect)
			svc := identity.New(db, db)
			ctx := context.Background()
			withDemoChannels(b, svc)
			var items []customer.SourceProfileInput
			err := demo.Generate(demo.Options{People: 3000 * max(1, b.N/3000+1), Seed: 9}, func(r demo.Record) error {
				in, err := r.Input()
				items = append(items, in)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			items = items[:b.N]
			b.ResetTimer()
			for start := 0; start < len(items); start += 1000 {
				if _, err := svc.Ingest(ctx, actor, nil, items[start:min(start+1000, len(items))]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
		})
	}
}
