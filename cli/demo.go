package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/demo"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/resolve"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// The demo staff accounts. The password is printed by `make run` and
// `kizuna serve` for as long as it is unchanged; it exists only in demo data.
const (
	DemoAdminUser     = "admin"
	DemoAdminPassword = "kizuna-demo-2026"
)

var demoUsers = []struct{ name, display, role string }{
	{DemoAdminUser, "管理者 太郎", auth.RoleAdmin},
	{"marketer", "販促 花子", auth.RoleMarketer},
	{"staff", "店舗 次郎", auth.RoleStoreStaff},
	{"support", "窓口 三郎", auth.RoleSupport},
	{"auditor", "監査 四郎", auth.RoleAuditor},
}

func runDemo(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "demo", "[flags]", "Load realistic Japanese demo customers (with demo channels, stores and staff users) into the database. Runs once per database unless --force.")
	cfg.BindDB(fs, e.Getenv)
	people := fs.Int("customers", 20000, "number of distinct people to generate")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same data")
	truth := fs.String("truth", "", "write the ground truth (channel,external_id,person_id) to this CSV file")
	batch := fs.Int("batch", 5000, "source profiles per transaction")
	force := fs.Bool("force", false, "load even if demo data was loaded before")
	resolveAfter := fs.Bool("resolve", true, "run identity resolution (kizuna resolve --apply) after loading")
	migrate := fs.Bool("migrate", false, "apply pending schema migrations first")
	withOrders := fs.Bool("orders", true, "load the people's orders in every channel (after identity resolution)")
	withEvents := fs.Bool("events", true, "load the web and app behaviour of EC and app customers (after identity resolution)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for tuning)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if *people < 1 || *batch < 1 || *batch > identity.MaxBatch {
		return fmt.Errorf("--customers must be ≥1 and --batch 1..%d: %w", identity.MaxBatch, errUsage)
	}
	if *migrate {
		db, err := sqlstore.Open(ctx, cfg.DB)
		if err != nil {
			return err
		}
		_, err = db.Migrate(ctx)
		db.Close()
		if err != nil {
			return err
		}
	}
	db, err := openDB(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetBulk(true) // a load: nothing waits on single commits
	if v, ok, err := db.Setting(ctx, "demo_loaded"); err != nil {
		return err
	} else if ok && !*force {
		fmt.Fprintf(e.Stdout, "demo data already loaded (%s); use --force to load more\n", v)
		return nil
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	tty := isTerminal(e.Stdout)
	fmt.Fprintf(e.Stdout, "loading demo data: %d people (seed %d)…\n", *people, *seed)
	step := max(1, *people/10)
	st, err := LoadDemo(ctx, db, demo.Options{People: *people, Seed: *seed}, *batch, *truth, func(done, total int) {
		if tty {
			fmt.Fprintf(e.Stdout, "\r  %d / %d people", done, total)
		} else if done%step < 1000 || done == total {
			fmt.Fprintf(e.Stdout, "  %d / %d people\n", done, total)
		}
	})
	if tty {
		fmt.Fprintln(e.Stdout)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "demo data loaded: %d people, %d source records → %d customers (%d joined, %d possible duplicates flagged, %d rejected) in %s (%.0f records/s)\n",
		*people, st.Records, st.Created, st.Joined, st.Duplicates, st.Rejected, st.Elapsed.Round(time.Millisecond), float64(st.Records)/st.Elapsed.Seconds())
	if *resolveAfter {
		pr := newProgress(e.Stdout, "")
		rep, err := identity.New(db, db).Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Apply: true, Match: resolve.Options{Progress: pr.Update}})
		pr.Done()
		if err != nil {
			return fmt.Errorf("identity resolution: %w", err)
		}
		fmt.Fprintf(e.Stdout, "identity resolution (model version %d): %d customers merged, %d groups of records moved apart, %d pairs queued for review → %d customers\n",
			rep.ModelVersion, rep.MergeCount, rep.SplitCount, rep.ReviewCount, rep.People)
	}
	if *withOrders {
		os, err := LoadDemoOrders(ctx, db, demo.Options{People: *people, Seed: *seed})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "demo orders: %d orders in %d channels (%d cancelled, %d with a return, %d invoices overdue), %d points held by customers, in %s (GET /api/v1/orders; kizuna loyalty verify)\n",
			os.Orders, os.Channels, os.Cancelled, os.Returned, os.Overdue, os.Points, os.Elapsed.Round(time.Millisecond))
	}
	if *withEvents {
		es, err := LoadDemoEvents(ctx, db, demo.Options{People: *people, Seed: *seed})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "demo behaviour: %d events (%d of them sign-ins), %d tied to their customer, in %s (GET /api/v1/events)\n",
			es.Events, es.SignIns, es.Tied, es.Elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(e.Stdout, "demo catalog: %d products (GET /api/v1/products)\n", st.Products)
	fmt.Fprintf(e.Stdout, "demo staff logins (password %s): ", DemoAdminPassword)
	for i, u := range demoUsers {
		if i > 0 {
			fmt.Fprint(e.Stdout, ", ")
		}
		fmt.Fprintf(e.Stdout, "%s (%s)", u.name, u.role)
	}
	fmt.Fprintln(e.Stdout)
	return nil
}

// isTerminal reports whether w is an interactive terminal (progress is
// redrawn in place there, and printed as lines elsewhere, e.g. in CI logs).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// DemoStats counts what a demo load did.
type DemoStats struct {
	Records, Created, Joined, Rejected, Duplicates int
	Products                                       int
	Elapsed                                        time.Duration
}

// LoadDemo generates demo people and ingests them in batches through the
// same One ID path as real data.
func LoadDemo(ctx context.Context, db *sqlstore.DB, opts demo.Options, batch int, truthPath string, progress func(done, total int)) (DemoStats, error) {
	var st DemoStats
	start := time.Now()
	actor := kizuna.System("demo")
	svc := identity.New(db, db)
	for _, c := range demo.Channels() {
		if err := svc.UpsertChannel(ctx, actor, c); err != nil {
			return st, fmt.Errorf("demo channel %s: %w", c.Code, err)
		}
	}
	for _, l := range demo.Stores() {
		if err := svc.UpsertLocation(ctx, actor, l); err != nil {
			return st, fmt.Errorf("demo location %s: %w", l.Code, err)
		}
	}
	loaded, err := commerce.NewCatalog(db).PutProducts(ctx, actor, demo.Products())
	if err != nil {
		return st, fmt.Errorf("demo products: %w", err)
	}
	for _, r := range loaded {
		if r.Status == commerce.ProductRejected {
			return st, fmt.Errorf("demo product %s: %s: %s", r.SKU, r.Field, r.Reason)
		}
	}
	st.Products = len(loaded)
	moved, err := commerce.NewInventory(db).Apply(ctx, actor, demo.Stock())
	if err != nil {
		return st, fmt.Errorf("demo stock: %w", err)
	}
	for _, r := range moved {
		if r.Status == commerce.StockRejected {
			return st, fmt.Errorf("demo stock %s: %s: %s", r.ID, r.Field, r.Reason)
		}
	}
	var truth *csv.Writer
	var closeTruth func() error
	if truthPath != "" {
		f, err := os.Create(truthPath)
		if err != nil {
			return st, fmt.Errorf("create truth file: %w", err)
		}
		defer f.Close() // on error paths; the success path closes and checks below
		bw := bufio.NewWriter(f)
		truth = csv.NewWriter(bw)
		closeTruth = func() error {
			truth.Flush()
			if err := truth.Error(); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			return f.Close()
		}
		if err := truth.Write([]string{"channel", "external_id", "person_id"}); err != nil {
			return st, fmt.Errorf("write truth file: %w", err)
		}
	}
	// Two ingesters: while one batch holds the (single) writer, the next is
	// parsed and normalized on the other core.
	ictx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []customer.SourceProfileInput, 1)
	var mu sync.Mutex
	var ingestErr error
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for items := range batches {
				res, err := svc.Ingest(ictx, actor, nil, items)
				mu.Lock()
				if err != nil && ingestErr == nil {
					ingestErr = err
					cancel()
				}
				for _, r := range res {
					switch r.Status {
					case identity.ResultCreated:
						st.Created++
					case identity.ResultJoined:
						st.Joined++
					case identity.ResultRejected:
						st.Rejected++
					}
					st.Duplicates += len(r.Duplicates)
				}
				mu.Unlock()
			}
		}()
	}
	items := make([]customer.SourceProfileInput, 0, batch)
	lastPerson := ""
	flush := func() error {
		if len(items) == 0 {
			return nil
		}
		select {
		case batches <- items:
		case <-ictx.Done():
			return ictx.Err()
		}
		items = make([]customer.SourceProfileInput, 0, batch)
		return nil
	}
	done := 0
	err = demo.Generate(opts, func(r demo.Record) error {
		in, err := r.Input()
		if err != nil {
			return err
		}
		items = append(items, in)
		st.Records++
		if truth != nil {
			if err := truth.Write([]string{r.Channel, r.ExternalID, r.PersonID}); err != nil {
				return fmt.Errorf("write truth file: %w", err)
			}
		}
		if r.PersonID != lastPerson { // records arrive person by person
			lastPerson = r.PersonID
			done++
			if progress != nil && (done%1000 == 0 || done == opts.People) {
				progress(done, opts.People)
			}
		}
		if len(items) >= batch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	close(batches)
	wg.Wait()
	if ingestErr != nil {
		err = ingestErr
	}
	if err == nil && closeTruth != nil {
		if err = closeTruth(); err != nil {
			err = fmt.Errorf("write truth file: %w", err)
		}
	}
	if err != nil {
		return st, err
	}
	if err := ensureDemoUsers(ctx, db); err != nil {
		return st, err
	}
	st.Elapsed = time.Since(start)
	return st, db.SetSetting(ctx, "demo_loaded", "seed "+strconv.FormatInt(opts.Seed, 10)+", "+strconv.Itoa(opts.People)+" people, "+time.Now().UTC().Format(time.RFC3339))
}

// DemoOrderStats counts what LoadDemoOrders did.
type DemoOrderStats struct {
	Orders, Cancelled, Returned, Overdue, Channels int
	Points                                         int64 // in the customers' lots after expiry
	Elapsed                                        time.Duration
}

// LoadDemoOrders records the demo people's orders (demo.Orders) through
// the order book, as a channel would send them, and their returns.
func LoadDemoOrders(ctx context.Context, db *sqlstore.DB, opts demo.Options) (DemoOrderStats, error) {
	var st DemoOrderStats
	start := time.Now()
	book := commerce.NewOrders(db)
	actor := kizuna.System("demo")
	channels := map[string]bool{}
	var batch []commerce.Order
	var returns []*commerce.Return
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := book.Upsert(ctx, actor, nil, batch)
		if err != nil {
			return fmt.Errorf("demo orders: %w", err)
		}
		for i, r := range res {
			if r.Status == commerce.OrderRejected {
				return fmt.Errorf("demo order %s/%s: %s: %s", batch[i].Channel, batch[i].ExternalID, r.Field, r.Reason)
			}
			if returns[i] != nil {
				if _, _, err := book.AddReturn(ctx, actor, r.OrderID, *returns[i]); err != nil {
					return fmt.Errorf("demo return of %s: %w", r.OrderID, err)
				}
			}
		}
		batch, returns = batch[:0], returns[:0]
		return nil
	}
	err := demo.Orders(opts, func(o demo.DemoOrder) error {
		st.Orders++
		channels[o.Order.Channel] = true
		if o.Order.Status == commerce.OrderCancelled {
			st.Cancelled++
		}
		if o.Return != nil {
			st.Returned++
		}
		if b := o.Order.Billing; b != nil && b.Effective(time.Now()) == commerce.BillingOverdue {
			st.Overdue++
		}
		batch, returns = append(batch, o.Order), append(returns, o.Return)
		if len(batch) >= 5000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err == nil {
		st.Points, err = settleDemoPoints(ctx, db)
	}
	st.Channels, st.Elapsed = len(channels), time.Since(start)
	return st, err
}

// DemoEventStats counts what LoadDemoEvents did.
type DemoEventStats struct {
	Events, SignIns, Tied int
	Elapsed               time.Duration
}

// LoadDemoEvents records the demo people's behaviour (demo.Events) as a
// shop's server sends it, in batches of 5,000. Times are checked against
// the data set's own "now", so the demo loads whenever it is run.
func LoadDemoEvents(ctx context.Context, db *sqlstore.DB, opts demo.Options) (DemoEventStats, error) {
	var st DemoEventStats
	start := time.Now()
	svc := event.NewService(db)
	svc.SetClock(func() time.Time { return demo.Now(opts) })
	var batch []event.Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		res, err := svc.Ingest(ctx, event.FromServer, batch)
		if err != nil {
			return fmt.Errorf("demo events: %w", err)
		}
		if len(res.Rejected) > 0 {
			r := res.Rejected[0]
			return fmt.Errorf("demo event %s: %s: %s", batch[r.Index].ID, r.Field, r.Reason)
		}
		for _, e := range batch {
			if e.CustomerID != "" {
				st.Tied++
			}
		}
		st.Tied += res.Stitched
		batch = batch[:0]
		return nil
	}
	err := demo.Events(opts, func(e event.Event) error {
		st.Events++
		if e.Type == event.Identify {
			st.SignIns++
		}
		batch = append(batch, e)
		if len(batch) >= 5000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	st.Elapsed = time.Since(start)
	return st, err
}

// settleDemoPoints gives the demo orders their points, as kizuna serve
// would have done over the years, and expires what has run out.
func settleDemoPoints(ctx context.Context, db *sqlstore.DB) (int64, error) {
	points := loyalty.New(db)
	prog, err := points.Program(ctx)
	if err != nil {
		return 0, err
	}
	// The demo's program (with ranks) was in force for all its orders.
	if _, err := points.SetProgramFrom(ctx, kizuna.System("demo"), prog.WithRanks(), time.Time{}); err != nil {
		return 0, fmt.Errorf("demo ranks: %w", err)
	}
	if _, err := points.EarnAll(ctx, 2000); err != nil {
		return 0, fmt.Errorf("demo points: %w", err)
	}
	if _, _, err := points.ExpireAll(ctx, 2000); err != nil {
		return 0, fmt.Errorf("demo points: %w", err)
	}
	rep, err := points.Verify(ctx, nil)
	if err != nil {
		return 0, err
	}
	if len(rep.Problems) > 0 {
		return 0, fmt.Errorf("demo points: the ledger does not verify: %s", rep.Problems[0])
	}
	// Ranks as the nightly evaluation would leave them.
	if _, _, err := points.EvaluateAllRanks(ctx, 2000); err != nil {
		return 0, fmt.Errorf("demo ranks: %w", err)
	}
	return rep.Points, nil
}

func ensureDemoUsers(ctx context.Context, db *sqlstore.DB) error {
	hash, err := auth.HashPassword(DemoAdminPassword)
	if err != nil {
		return err
	}
	for _, u := range demoUsers {
		if _, err := db.UserByName(ctx, u.name); err == nil {
			continue
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		err := db.CreateUser(ctx, &auth.User{ID: kizuna.NewID("usr"), Username: u.name, DisplayName: u.display, Role: u.role, Locale: "ja", PasswordHash: hash, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return fmt.Errorf("demo user %s: %w", u.name, err)
		}
		if err := db.AppendAudit(ctx, cliEntry("user.create", "user", u.name, fmt.Sprintf(`{"username":%q,"role":%q,"demo":true}`, u.name, u.role))); err != nil {
			return err
		}
	}
	return nil
}
