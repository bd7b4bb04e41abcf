package commerce_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// BenchmarkOrderUpsert measures recording new orders (three lines, a
// payment, an email to find the customer by) in batches of 1,000, then
// re-sending them with a new status, per database. The target is
// 10,000 orders a second.
func BenchmarkOrderUpsert(b *testing.B) {
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			db := sqltest.Open(b, dialect)
			orders := commerce.NewOrders(db)
			ctx := context.Background()
			actor := kizuna.System("bench")
			run := 0 // each run of a sub-benchmark sends order numbers of its own
			make1 := func(i int, status commerce.OrderStatus) commerce.Order {
				return commerce.Order{Channel: "ec", ExternalID: fmt.Sprintf("B-%d-%08d", run, i), Status: status,
					Customer: commerce.OrderCustomer{Email: fmt.Sprintf("buyer%d@example.jp", i%5000)},
					PlacedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute),
					Lines: []commerce.OrderLine{
						{SKU: "TEA-100", Quantity: 2, UnitPrice: 1080, TaxRate: 8},
						{SKU: "CUP-1", Quantity: 1, UnitPrice: 2200, TaxRate: 10},
						{SKU: "BAG-3", Quantity: 1, UnitPrice: 5500, Discount: 500, TaxRate: 10},
					},
					Payments: []commerce.Payment{{Method: "credit_card", Amount: 9360}}}
			}
			for _, pass := range []struct {
				name   string
				status commerce.OrderStatus
				want   string
			}{{"new", commerce.OrderPlaced, commerce.OrderCreated}, {"resent", commerce.OrderPaid, commerce.OrderUpdated}} {
				b.Run(pass.name, func(b *testing.B) {
					run++
					if pass.name == "resent" {
						// The orders resent must exist first.
						for start := 0; start < b.N; start += 1000 {
							batch := make([]commerce.Order, 0, 1000)
							for i := start; i < min(start+1000, b.N); i++ {
								batch = append(batch, make1(i, commerce.OrderPlaced))
							}
							if _, err := orders.Upsert(ctx, actor, nil, batch); err != nil {
								b.Fatal(err)
							}
						}
					}
					batches := make([][]commerce.Order, 0, b.N/1000+1)
					for start := 0; start < b.N; start += 1000 {
						batch := make([]commerce.Order, 0, 1000)
						for i := start; i < min(start+1000, b.N); i++ {
							batch = append(batch, make1(i, pass.status))
						}
						batches = append(batches, batch)
					}
					b.ResetTimer()
					for _, batch := range batches {
						res, err := orders.Upsert(ctx, actor, nil, batch)
						if err != nil {
							b.Fatal(err)
						}
						if res[0].Status != pass.want {
							b.Fatalf("%+v, want %s", res[0], pass.want)
						}
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
				})
			}
		})
	}
}
