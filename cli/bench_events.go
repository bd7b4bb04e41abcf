package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// benchEvents sends n behaviour events as NDJSON batches over HTTP, from
// clients at once, and prints events/s. The events look like a shop's
// traffic: page and product views, searches and carts of 50,000 anonymous
// visitors, a fifth of them of signed-in customers when the database has
// customers, and a sign-in now and then.
func benchEvents(ctx context.Context, e *Env, db *sqlstore.DB, base, key string, n, batch, clients int) error {
	var known struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := doJSON(ctx, http.MethodGet, base+"/api/v1/customers?limit=500", key, nil, &known); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	run := fmt.Sprintf("%x", rng.Uint64()) // this run's visitors and sessions
	now := time.Now().UTC()
	skus := []string{"TEA-100", "TEA-200", "CUP-1", "MUG-3", "SNACK-12", "GIFT-SET-5"}
	var bodies [][]byte
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range n {
		visitor := rng.IntN(50000)
		// Random IDs, as the tracking script's UUIDs are: they land all
		// over the unique index, where sequential ones would append.
		ev := event.Event{ID: fmt.Sprintf("%016x%016x", rng.Uint64(), rng.Uint64()), At: now.Add(-time.Duration(rng.IntN(3600)) * time.Second), Channel: "ec",
			AnonymousID: fmt.Sprintf("%s-v%d", run, visitor), SessionID: fmt.Sprintf("%s-s%d", run, visitor)}
		var who string
		if len(known.Items) > 0 && visitor%5 == 0 {
			who = known.Items[visitor%len(known.Items)].ID
		}
		switch r := rng.IntN(100); {
		case r < 40:
			ev.Type, ev.Properties = event.PageView, map[string]any{"url": fmt.Sprintf("https://shop.example.jp/c/%d", rng.IntN(200)), "title": "お茶の絆屋"}
		case r < 75:
			ev.Type, ev.Properties = event.ProductView, map[string]any{"sku": skus[rng.IntN(len(skus))], "price": 1080}
		case r < 85:
			ev.Type, ev.Properties = event.Search, map[string]any{"query": "緑茶", "results": 12}
		case r < 95:
			ev.Type, ev.Properties = event.AddToCart, map[string]any{"sku": skus[rng.IntN(len(skus))], "quantity": 1}
		case r < 99 || who == "":
			ev.Type, ev.Properties = event.CheckoutStarted, map[string]any{"value": 3240, "items": 3}
		default:
			ev.Type = event.Identify
		}
		if who != "" && (ev.Type == event.Identify || visitor%10 == 0) {
			ev.CustomerID = who
		}
		if err := enc.Encode(ev); err != nil {
			return err
		}
		if (i+1)%batch == 0 || i == n-1 {
			bodies = append(bodies, bytes.Clone(buf.Bytes()))
			buf.Reset()
		}
	}
	fmt.Fprintf(e.Stdout, "  %d events in %d NDJSON requests of %d (%.0f bytes an event), %d clients, %d known customers\n",
		n, len(bodies), batch, float64(sizeOf(bodies))/float64(n), clients, len(known.Items))
	var next, stored, rejected atomic.Int64
	var lat []time.Duration
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				t0 := time.Now()
				res, err := postNDJSON(ctx, base+"/api/v1/events", key, bodies[i])
				mu.Lock()
				lat = append(lat, time.Since(t0))
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				if res != nil {
					stored.Add(int64(res.Stored))
					if rejected.Add(int64(len(res.Rejected))) == int64(len(res.Rejected)) && len(res.Rejected) > 0 {
						r := res.Rejected[0]
						fmt.Fprintf(e.Stderr, "  first rejection: event %d (%s): %s: %s\n", r.Index, r.ID, r.Field, r.Reason)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return firstErr
	}
	slices.Sort(lat)
	fmt.Fprintf(e.Stdout, "  sent %d events in %s: %.0f events/s (stored %d, rejected %d); per request p50 %s, p99 %s\n",
		n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), stored.Load(), rejected.Load(), pct(lat, 50), pct(lat, 99))
	return nil
}

func sizeOf(bodies [][]byte) int {
	n := 0
	for _, b := range bodies {
		n += len(b)
	}
	return n
}

func postNDJSON(ctx context.Context, url, key string, body []byte) (*event.IngestResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("POST %s: HTTP %d: %s", url, resp.StatusCode, b)
	}
	var res event.IngestResult
	return &res, json.Unmarshal(b, &res)
}
