package loyalty_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// BenchmarkHold measures holding points from 200 tills at once, each on
// a customer of its own, per database. "saturated" is a closed loop (a
// till sends its next hold as soon as the last is answered): the most
// holds a second the store takes, and the wait when 200 queue for it.
// "paced-N" has the 200 tills send N holds a second between them, evenly
// spread: the latency a till sees at that load. The target is a
// p99 under 5 ms.
func BenchmarkHold(b *testing.B) {
	const clients = 200
	for _, dialect := range []string{sqlstore.SQLite, sqlstore.Postgres} {
		for _, rate := range []int{0, 200, 500} {
			name := dialect + "/saturated"
			if rate > 0 {
				name = fmt.Sprintf("%s/paced-%d", dialect, rate)
			}
			b.Run(name, func(b *testing.B) { benchHold(b, dialect, clients, rate) })
		}
	}
}

func benchHold(b *testing.B, dialect string, clients, rate int) {
	db := sqltest.Open(b, dialect)
	points := loyalty.New(db)
	ctx := context.Background()
	admin := kizuna.Actor{Type: "user", ID: "usr_bench"}
	for c := range clients {
		if _, err := points.Adjust(ctx, admin, "admin", fmt.Sprintf("cus_bench_%03d", c), 100000, "bench", ""); err != nil {
			b.Fatal(err)
		}
	}
	var every time.Duration // between one paced till's holds
	if rate > 0 {
		every = time.Duration(float64(time.Second) * float64(clients) / float64(rate))
	}
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := time.Now().Add(every * time.Duration(c) / time.Duration(clients)) // the tills offset from one another
			for i := c; i < b.N; i += clients {
				if every > 0 {
					time.Sleep(time.Until(next))
					next = next.Add(every)
				}
				start := time.Now()
				if _, _, err := points.Hold(ctx, admin, fmt.Sprintf("cus_bench_%03d", c), 1, fmt.Sprintf("b%d-%d-%d", b.N, c, i), ""); err != nil {
					b.Error(err)
					return
				}
				lat[c] = append(lat[c], time.Since(start))
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Sorted(slices.Values(slices.Concat(lat...)))
	if len(all) == 0 {
		return
	}
	at := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(len(all))/b.Elapsed().Seconds(), "holds/s")
}
