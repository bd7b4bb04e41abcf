package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/demo"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

func runBench(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	about := `Measure speed on this machine, through the real HTTP API on loopback.
  ingest  --customers N --batch B    batch upsert of demo source profiles (One ID and audit included)
  lookup  --rate R --duration D      lookups by email at a fixed request rate; prints latency percentiles
  search  --rounds N                 the console's search box, every kind of query, on the data as it is
  console --rounds N                 answer time of each main console page, on the data as it is
  match   --rounds N                 what incremental matching adds to an upsert (needs a trained model)
  events  --events N --batch B       behaviour events as NDJSON batches (of anonymous visitors, and of
                                     customers already in the database)
Use a scratch database: ingest and match write into it.
With --url and --key, lookup measures a server already running in another
process (kizuna serve) instead of one inside the load generator's process,
so the two do not share a Go runtime and its garbage collector.`
	fs := flags(e, "bench", "ingest|lookup|search|console|match|events [flags]", about)
	cfg.BindDB(fs, e.Getenv)
	people := fs.Int("customers", 20000, "ingest: people to generate")
	seed := fs.Int64("seed", 42, "ingest: demo data seed")
	batch := fs.Int("batch", 1000, "ingest, events: items per request")
	clients := fs.Int("clients", 2, "ingest, events: concurrent HTTP clients")
	events := fs.Int("events", 500000, "events: how many to send")
	rate := fs.Int("rate", 2000, "lookup: requests per second")
	dur := fs.Duration("duration", 10*time.Second, "lookup: how long to run")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	target := fs.String("url", "", "lookup: base URL of a running server to measure (e.g. http://127.0.0.1:8080); needs --key")
	apiKey := fs.String("key", e.Getenv("KIZUNA_BENCH_KEY"), "lookup: API key (read scope) for --url (env KIZUNA_BENCH_KEY)")
	rounds := fs.Int("rounds", 200, "search: customers to search for; console: requests per page")
	sub, err := subcommand(fs, args, "ingest", "lookup", "search", "console", "match", "events")
	if err != nil {
		return err
	}
	if *target != "" {
		if sub != "lookup" {
			return fmt.Errorf("--url works with bench lookup only: %w", errUsage)
		}
		if *apiKey == "" {
			return fmt.Errorf("--url needs --key (or KIZUNA_BENCH_KEY): an API key with read scope: %w", errUsage)
		}
		if *rate < 1 || *dur <= 0 {
			return fmt.Errorf("--rate must be ≥1 and --duration positive: %w", errUsage)
		}
		base := strings.TrimSuffix(*target, "/")
		emails, err := sampleEmailsHTTP(ctx, base, *apiKey)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "kizuna bench lookup against %s (a separate process), load generator GOMAXPROCS=%d\n", base, runtime.GOMAXPROCS(0))
		return runLookups(ctx, e, base, *apiKey, emails, *rate, *dur, func() string { return "" })
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	sdb, err := sqlstore.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	if _, err := sdb.Migrate(ctx); err != nil {
		sdb.Close()
		return err
	}
	sdb.Close()
	db, err := openDB(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	switch sub {
	case "search":
		fmt.Fprintf(e.Stdout, "kizuna bench search on %s (%s), GOMAXPROCS=%d\n", displayDSN(cfg.DB), db.Dialect(), runtime.GOMAXPROCS(0))
		return benchSearch(ctx, e, db, *rounds)
	case "console":
		fmt.Fprintf(e.Stdout, "kizuna bench console on %s (%s), GOMAXPROCS=%d\n", displayDSN(cfg.DB), db.Dialect(), runtime.GOMAXPROCS(0))
		return benchConsole(ctx, e, db, *rounds)
	case "match":
		fmt.Fprintf(e.Stdout, "kizuna bench match on %s (%s), GOMAXPROCS=%d\n", displayDSN(cfg.DB), db.Dialect(), runtime.GOMAXPROCS(0))
		return benchMatch(ctx, e, db, *rounds)
	}
	base, key, stop, err := benchServer(ctx, db)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(e.Stdout, "kizuna bench %s on %s (%s), GOMAXPROCS=%d\n", sub, displayDSN(cfg.DB), db.Dialect(), runtime.GOMAXPROCS(0))
	stopProfile, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stopProfile()
	switch sub {
	case "events":
		return benchEvents(ctx, e, db, base, key, *events, *batch, *clients)
	case "ingest":
		return benchIngest(ctx, e, db, base, key, demo.Options{People: *people, Seed: *seed}, *batch, *clients)
	}
	return benchLookup(ctx, e, db, base, key, *rate, *dur)
}

// benchServer serves the real API on a loopback port with a fresh admin key.
func benchServer(ctx context.Context, db *sqlstore.DB) (string, string, func(), error) {
	_, secret, err := createAPIKey(ctx, db, "bench", []string{auth.ScopeRead, auth.ScopeWrite, auth.ScopeAdmin}, nil)
	if err != nil {
		return "", "", nil, err
	}
	api := httpapi.New(httpapi.Deps{Customers: db, Identity: identity.New(db, db), Auth: db, Audit: db, Idempotency: db.Idempotency(),
		Events: event.NewService(db), Logger: discardLogger(), Version: Version, RatePerKey: 1e9})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", nil, err
	}
	srv := &http.Server{Handler: api}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), secret, func() { srv.Close(); api.Close() }, nil
}

func benchIngest(ctx context.Context, e *Env, db *sqlstore.DB, base, key string, opts demo.Options, batch, clients int) error {
	// Generate and encode first, so the figure is the server's, not the generator's.
	var bodies [][]byte
	var items []customer.SourceProfileInput
	records := 0
	encode := func() error {
		b, err := json.Marshal(items)
		if err != nil {
			return err
		}
		bodies = append(bodies, b)
		items = items[:0]
		return nil
	}
	err := demo.Generate(opts, func(r demo.Record) error {
		in, err := r.Input()
		if err != nil {
			return err
		}
		items = append(items, in)
		records++
		if len(items) == batch {
			return encode()
		}
		return nil
	})
	if err == nil && len(items) > 0 {
		err = encode()
	}
	if err != nil {
		return err
	}
	svc := identity.New(db, db)
	for _, c := range demo.Channels() {
		if err := svc.UpsertChannel(ctx, kizuna.System("bench"), c); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.Stdout, "  %d source profiles in %d requests of %d, %d clients\n", records, len(bodies), batch, clients)
	var next, rejected atomic.Int64
	var lat []time.Duration
	var mu sync.Mutex
	var firstErr error
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				t0 := time.Now()
				var out httpapi.BatchOutput
				err := doJSON(ctx, http.MethodPost, base+"/api/v1/source-profiles/batch", key, bodies[i], &out.Body)
				mu.Lock()
				lat = append(lat, time.Since(t0))
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				rejected.Add(int64(out.Body.Summary.Rejected))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return firstErr
	}
	slices.Sort(lat)
	fmt.Fprintf(e.Stdout, "  ingested %d source profiles in %s: %.0f profiles/s (rejected %d); per request p50 %s, p99 %s\n",
		records, elapsed.Round(time.Millisecond), float64(records)/elapsed.Seconds(), rejected.Load(), pct(lat, 50), pct(lat, 99))
	return nil
}

func benchLookup(ctx context.Context, e *Env, db *sqlstore.DB, base, key string, rate int, dur time.Duration) error {
	// Sample emails of existing customers to look up.
	var emails []string
	after := ""
	for len(emails) < 5000 {
		page, err := db.ListCustomers(ctx, customer.ListFilter{Limit: 1000, After: after})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for i, c := range page {
			if len(c.Profile.Emails) > 0 && i%3 == 0 {
				emails = append(emails, c.Profile.Emails[0])
			}
		}
		after = page[len(page)-1].ID
	}
	if len(emails) == 0 {
		return fmt.Errorf("the database has no customers with emails: load data first (kizuna demo or kizuna bench ingest)")
	}
	// Counted after the run: a full count just before it measurably
	// lengthened the lookups' tail.
	return runLookups(ctx, e, base, key, emails, rate, dur, func() string {
		counts, err := db.CountCustomers(ctx)
		if err != nil {
			return ""
		}
		return fmt.Sprintf(" against %d customers", counts[customer.StatusActive])
	})
}

// sampleEmailsHTTP collects up to 5,000 customer emails through the API of
// a running server, the way an integrator would see them.
func sampleEmailsHTTP(ctx context.Context, base, key string) ([]string, error) {
	var emails []string
	cursor := ""
	for page := 0; len(emails) < 5000 && page < 50; page++ {
		var out httpapi.CustomerPage
		u := base + "/api/v1/customers?limit=500"
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := doJSON(ctx, http.MethodGet, u, key, nil, &out); err != nil {
			return nil, err
		}
		for i, c := range out.Items {
			if len(c.Profile.Emails) > 0 && i%3 == 0 {
				emails = append(emails, c.Profile.Emails[0])
			}
		}
		if cursor = out.NextCursor; cursor == "" {
			break
		}
	}
	if len(emails) == 0 {
		return nil, fmt.Errorf("%s has no customers with emails: load data first (kizuna demo)", base)
	}
	return emails, nil
}

// runLookups sends lookups by email at a fixed rate and prints latency
// percentiles.
func runLookups(ctx context.Context, e *Env, base, key string, emails []string, rate int, dur time.Duration, against func() string) error {
	n := int(float64(rate) * dur.Seconds())
	interval := time.Second / time.Duration(rate)
	lat := make([]time.Duration, n)
	var failures atomic.Int64
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	start := time.Now()
	// Open loop: requests start on schedule whether or not earlier ones
	// have finished, so a slow server cannot hide its latency.
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/customers/lookup?email="+url.QueryEscape(emails[i%len(emails)]), nil)
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failures.Add(1)
				}
			} else {
				failures.Add(1)
			}
			// Latency from the scheduled start, which includes any queueing.
			lat[i] = time.Since(due)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	fmt.Fprintf(e.Stdout, "  %d lookups by email%s in %s (%.0f req/s achieved, %d failed)\n", n, against(), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), failures.Load())
	fmt.Fprintf(e.Stdout, "  latency p50 %s, p95 %s, p99 %s, max %s\n", pct(lat, 50), pct(lat, 95), pct(lat, 99), lat[len(lat)-1])
	return nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// Nearest rank: the smallest value with at least p% of samples at or below it.
	i := min(max((len(sorted)*p+99)/100-1, 0), len(sorted)-1)
	return sorted[i].Round(time.Microsecond)
}

func doJSON(ctx context.Context, method, url, key string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, url, resp.StatusCode, b)
	}
	return json.Unmarshal(b, out)
}
