package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// benchMatch measures what incremental matching adds to an upsert: single
// records that share an identifier with an existing customer (a second
// channel's record of a known person), sent one per call, half through the
// deterministic matcher and half through the probabilistic one,
// interleaved so both see the same database. The records are written (use
// a scratch copy).
func benchMatch(ctx context.Context, e *Env, db *sqlstore.DB, rounds int) error {
	version, _, err := db.MatchModel(ctx)
	if err != nil {
		return err
	}
	if version == 0 {
		return fmt.Errorf("no match model in this database: run kizuna resolve first")
	}
	var samples []customer.SourceProfile
	n := 0
	if err := db.EachSource(ctx, func(sp customer.SourceProfile) error {
		n++
		if n%97 == 0 && len(samples) < 2*rounds && (len(sp.Profile.Emails) > 0 || len(sp.Profile.Phones) > 0) {
			samples = append(samples, sp)
		}
		return nil
	}); err != nil {
		return err
	}
	if len(samples) < 2 {
		return fmt.Errorf("too few source records with an email or phone")
	}
	svc := identity.New(db, db)
	det := identity.New(db, db).WithMatcher(identity.Deterministic{})
	actor := kizuna.System("bench")
	ch := customer.Channel{Code: "benchmatch", Name: "bench", Kind: "ec", Priority: 90}
	if err := svc.UpsertChannel(ctx, actor, ch); err != nil {
		return err
	}
	run := time.Now().UnixNano()
	var tDet, tProb []time.Duration
	joined := map[string]int{}
	for i, sp := range samples {
		raw, err := json.Marshal(sp.Profile)
		if err != nil {
			return err
		}
		in := customer.SourceProfileInput{Channel: ch.Code, ExternalID: fmt.Sprintf("bm-%d-%d", run, i), Profile: raw}
		s := svc
		if i%2 == 0 {
			s = det
		}
		start := time.Now()
		res, err := s.Ingest(ctx, actor, nil, []customer.SourceProfileInput{in})
		d := time.Since(start)
		if err != nil {
			return err
		}
		joined[res[0].Match]++
		if i%2 == 0 {
			tDet = append(tDet, d)
		} else {
			tProb = append(tProb, d)
		}
	}
	pct := func(ds []time.Duration, p float64) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[min(len(s)-1, int(float64(len(s))*p))]
	}
	fmt.Fprintf(e.Stdout, "%d upserts each (a known person's record from a new channel), model version %d\n", len(tProb), version)
	fmt.Fprintf(e.Stdout, "%-15s %8s %8s %8s\n", "matcher", "p50", "p95", "p99")
	for _, r := range []struct {
		name string
		ds   []time.Duration
	}{{"deterministic", tDet}, {"probabilistic", tProb}} {
		fmt.Fprintf(e.Stdout, "%-15s %8s %8s %8s\n", r.name, pct(r.ds, .5).Round(10*time.Microsecond), pct(r.ds, .95).Round(10*time.Microsecond), pct(r.ds, .99).Round(10*time.Microsecond))
	}
	fmt.Fprintf(e.Stdout, "added by probabilistic matching: p50 %s, p99 %s\n", (pct(tProb, .5) - pct(tDet, .5)).Round(10*time.Microsecond), (pct(tProb, .99) - pct(tDet, .99)).Round(10*time.Microsecond))
	fmt.Fprintf(e.Stdout, "decisions: %v\n", joined)
	return nil
}
