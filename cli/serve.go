package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/console"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/idempotency"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/importjob"
	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

func runServe(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "serve", "[flags]", "Run the HTTP API server until interrupted (SIGINT/SIGTERM), then finish in-flight requests.")
	if err := cfg.BindServe(fs, e.Getenv); err != nil {
		return err
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger := cfg.Logger(e.Stderr)
	db, err := openDB(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer db.Close()

	ids := identity.New(db, db)
	orders := commerce.NewOrders(db)
	attachGuestOrders(ids, orders, logger)
	points := loyalty.New(db)
	events := event.NewService(db)
	inventory := commerce.NewInventory(db)
	events.RequireConsent = cfg.TrackingConsent
	settle := make(chan struct{}, 1)
	orders.OnChanged(func() {
		select {
		case settle <- struct{}{}:
		default: // a settlement is already due
		}
	})
	imports := importjob.NewManager(db, ids, logger)
	imports.Start() // resumes imports a restart interrupted
	defer imports.Close()
	con, err := console.New(console.Deps{Customers: db, Identity: ids, Imports: imports, ImportJobs: db, Orders: orders, Points: points, Events: events, Catalog: commerce.NewCatalog(db), Inventory: inventory, Auth: db, Audit: db, Logger: logger, Version: Version,
		TrustProxy: cfg.TrustProxy, IdleTimeout: cfg.SessionIdle, MaxSessionAge: cfg.SessionMax, SecureCookies: cfg.SecureCookies})
	if err != nil {
		return err
	}
	defer con.Close()
	api := httpapi.New(httpapi.Deps{
		Customers: db, Identity: ids, Auth: db, Audit: db, Idempotency: db.Idempotency(), Console: con, Imports: imports, ImportJobs: db,
		Catalog: commerce.NewCatalog(db), Inventory: inventory, Orders: orders, Points: points, Events: events,
		Ready: func(ctx context.Context) error {
			if err := db.Ping(ctx); err != nil {
				return err
			}
			return db.CheckSchema(ctx)
		},
		Logger: logger, Version: Version, RatePerKey: cfg.RatePerKey, TrustProxy: cfg.TrustProxy,
	})
	defer api.Close()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another kizuna running? choose another port with --addr or KIZUNA_ADDR)", cfg.Addr, err)
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: nil}
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(e.Stdout, "Kizuna %s is running at %s (database: %s, %s)\n", Version, url, displayDSN(cfg.DB), db.Dialect())
	fmt.Fprintf(e.Stdout, "  Staff console:   %s/\n", url)
	fmt.Fprintf(e.Stdout, "  API description: %s/api/openapi.json\n", url)
	printDemoLogin(ctx, e, db)
	logger.Info("serving", "addr", ln.Addr().String(), "db", db.Dialect())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	go pruneIdempotencyKeys(ctx, db, logger)
	go sweepGuestOrders(ctx, orders, logger)
	go expireReservations(ctx, inventory, logger)
	go keepPoints(ctx, points, settle, logger)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// pruneIdempotencyKeys forgets Idempotency-Key answers older than the
// retention period, hourly, so the table does not grow without bound.
func pruneIdempotencyKeys(ctx context.Context, db *sqlstore.DB, logger *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := db.PruneIdempotencyKeys(ctx, time.Now().Add(-idempotency.Retention))
		if err != nil && ctx.Err() == nil {
			logger.Error("pruning idempotency keys failed", "err", err)
		} else if n > 0 {
			logger.Info("pruned idempotency keys", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// printDemoLogin shows the demo administrator's login while it still has
// the demo password, so a newcomer after `make run` can sign in.
func printDemoLogin(ctx context.Context, e *Env, db *sqlstore.DB) {
	if _, ok, _ := db.Setting(ctx, "demo_loaded"); !ok {
		return
	}
	u, err := db.UserByName(ctx, DemoAdminUser)
	if err != nil || u.Disabled || !auth.CheckPassword(u.PasswordHash, DemoAdminPassword) {
		return
	}
	fmt.Fprintf(e.Stdout, "  Demo administrator login: %s / %s (change it: kizuna user set-password %s)\n", DemoAdminUser, DemoAdminPassword, DemoAdminUser)
}

func displayDSN(dsn string) string {
	if sqlstore.IsPostgresDSN(dsn) {
		return "PostgreSQL"
	}
	return dsn
}

// attachGuestOrders lets guest orders find their customer as soon as an
// ingest brings an identifier that names one.
func attachGuestOrders(ids *identity.Service, orders *commerce.Orders, logger *slog.Logger) {
	ids.OnKeysAdded(func(ctx context.Context, keys []string) {
		n, err := orders.AttachGuests(ctx, kizuna.System("one-id"), keys)
		if err != nil {
			logger.Error("attaching guest orders failed", "err", err)
		} else if n > 0 {
			logger.Info("guest orders attached to their customers", "count", n)
		}
	})
}

// sweepGuestOrders tries every guest order now and then: a merge or a
// staff edit can also make an identifier name one customer.
func sweepGuestOrders(ctx context.Context, orders *commerce.Orders, logger *slog.Logger) {
	t := time.NewTicker(15 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := orders.AttachGuests(ctx, kizuna.System("one-id"), nil)
		if err != nil && ctx.Err() == nil {
			logger.Error("attaching guest orders failed", "err", err)
		} else if n > 0 {
			logger.Info("guest orders attached to their customers", "count", n)
		}
	}
}

// expireReservations gives back, every minute, the stock of reservations
// that were neither fulfilled nor released in time.
func expireReservations(ctx context.Context, inv *commerce.Inventory, logger *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			n, err := inv.ExpireReservations(ctx, 500)
			if err != nil && ctx.Err() == nil {
				logger.Error("expiring stock reservations failed", "err", err)
			} else if n > 0 {
				logger.Info("stock reservations expired", "count", n)
			}
			if err != nil || n < 500 {
				break
			}
		}
	}
}

// rankDay names the night a time belongs to: the day in Japan, counted
// from 03:00.
func rankDay(t time.Time) string {
	return t.In(kizuna.Tokyo).Add(-3 * time.Hour).Format(time.DateOnly)
}

// keepPoints settles order points as orders change (and every minute, in
// case a signal was missed or a run failed), which also evaluates the
// ranks of the customers concerned; moves points along merges and
// unmerges; expires points and releases timed-out holds every minute
// (a hold past its time cannot be committed meanwhile); and evaluates every customer's rank once a night (after 03:00
// Japan time), as purchases leave the rank window.
func keepPoints(ctx context.Context, points *loyalty.Service, settle <-chan struct{}, logger *slog.Logger) {
	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	lastExpiry := time.Time{}
	ranksDone := rankDay(time.Now()) // a restart does not re-run tonight's evaluation at once
	for {
		if _, err := points.EarnAll(ctx, 1000); err != nil && ctx.Err() == nil {
			logger.Error("settling order points failed", "err", err)
		}
		if n, err := points.MoveMerged(ctx, 1000); err != nil && ctx.Err() == nil {
			logger.Error("moving points along merges failed", "err", err)
		} else if n > 0 {
			logger.Info("points moved along merges", "merges", n)
		}
		if time.Since(lastExpiry) >= time.Minute {
			lastExpiry = time.Now()
			n, pts, err := points.ExpireAll(ctx, 1000)
			if err != nil && ctx.Err() == nil {
				logger.Error("expiring points failed", "err", err)
			} else if pts > 0 {
				logger.Info("points expired", "points", pts, "customers", n)
			}
		}
		if day := rankDay(time.Now()); day != ranksDone {
			ranksDone = day
			n, changed, err := points.EvaluateAllRanks(ctx, 1000)
			if err != nil && ctx.Err() == nil {
				logger.Error("nightly rank evaluation failed", "err", err)
			} else {
				logger.Info("ranks evaluated", "customers", n, "changed", changed)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-settle:
		case <-tick.C:
		}
	}
}
