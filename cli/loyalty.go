package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/loyalty"
)

func runLoyalty(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "loyalty", "verify|settle|expire|ranks [flags]",
		"verify replays every customer's points ledger from its first entry and checks every rule (no overdraft, holds settled\n"+
			"once, lots expired on time, entries numbered without gaps) and that the stored balances, lots and holds are what the\n"+
			"entries make; it names the customer and the entry where one breaks and exits 1.\n"+
			"settle gives orders changed since their points were settled their points (earned, or reversed by a return or a\n"+
			"cancellation) and moves points along merges and unmerges. expire expires points past their validity and releases\n"+
			"holds past their time. ranks evaluates every customer's rank on the spend and visits of the rank window (rank-ups at\n"+
			"once, rank-downs after the grace period). kizuna serve does all three on its own; these are for batch runs and repairs.")
	cfg.BindDB(fs, e.Getenv)
	sub, err := subcommand(fs, args, "verify", "settle", "expire", "ranks")
	if err != nil {
		return err
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	points := loyalty.New(db)
	start := time.Now()
	switch sub {
	case "settle":
		total, err := points.EarnAll(ctx, 1000)
		if err != nil {
			return err
		}
		moved, err := points.MoveMerged(ctx, 1000000)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "settled the points of %d orders and moved the points of %d merges in %s\n", total, moved, time.Since(start).Round(time.Millisecond))
		return nil
	case "ranks":
		n, changed, err := points.EvaluateAllRanks(ctx, 1000)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "evaluated the ranks of %d customers, %d changed, in %s\n", n, changed, time.Since(start).Round(time.Millisecond))
		return nil
	case "expire":
		_, total, err := points.ExpireAll(ctx, 1000)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.Stdout, "%d points expired in %s\n", total, time.Since(start).Round(time.Millisecond))
		return nil
	}
	pr := newProgress(e.Stderr, "customers")
	rep, err := points.Verify(ctx, func(n int64) { pr.Update("verifying", int(n), 0) })
	pr.Done()
	if err != nil {
		return err
	}
	for _, p := range rep.Problems {
		fmt.Fprintln(e.Stdout, p.String())
	}
	if len(rep.Problems) > 0 {
		return fmt.Errorf("points ledger: %d customers' ledgers break (the first %d listed)", len(rep.Problems), len(rep.Problems))
	}
	fmt.Fprintf(e.Stdout, "points ledger OK: %d customers, %d entries, %d points in lots, checked in %s\n",
		rep.Customers, rep.Entries, rep.Points, time.Since(start).Round(time.Millisecond))
	return nil
}
