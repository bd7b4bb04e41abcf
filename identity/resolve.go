package identity

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/resolve"
)

// ResolverActor is the actor batch resolution merges and splits as. Its
// own merges are its to revise on a later run; anyone else's merges and
// every dismissed pair are staff decisions it keeps.
const ResolverActor = "resolver"

// ResolveOptions configure a batch resolution.
type ResolveOptions struct {
	Match resolve.Options
	// Train re-estimates the model from the data and stores it as a new
	// version; without it the newest stored model is used (the first run
	// trains one).
	Train bool
	// Apply carries out the plan: splits, merges, and review pairs queued.
	// Without it nothing is written but a model Train asked for (a model
	// trained only because none was stored is used for the run and
	// forgotten: a dry run changes nothing).
	Apply bool
	// DefaultFields compares the default fields only, dropping the custom
	// ones the stored model compares (with Train: a model without them).
	DefaultFields bool
	// Show bounds the merges and splits listed in the report.
	Show int
}

// ResolveReport says what a resolution found and, with Apply, did.
type ResolveReport struct {
	ModelVersion   int            `json:"model_version"`
	Trained        bool           `json:"trained"`
	ModelStored    bool           `json:"model_stored" doc:"The model trained was stored as a new version (not in a dry run without --train)"`
	AutoMerge      float64        `json:"auto_merge" doc:"The threshold pairs were merged at"`
	Review         float64        `json:"review" doc:"The threshold pairs were queued for review at"`
	Records        int            `json:"records"`
	Customers      int            `json:"customers"`
	People         int            `json:"people" doc:"Customers after the plan"`
	CandidatePairs int            `json:"candidate_pairs"`
	SkippedBlocks  int            `json:"skipped_blocks" doc:"Blocking keys held by too many records to compare"`
	MergeCount     int            `json:"merge_count"`
	SplitCount     int            `json:"split_count" doc:"Source records moved out of a customer they do not belong to"`
	ReviewCount    int            `json:"review_count" doc:"Pairs for staff to decide"`
	ClearedCount   int            `json:"cleared_count" doc:"Pairs a rule had flagged that the model scored below review, taken off the queue (applied runs only)"`
	Merges         []PlannedMerge `json:"merges"`
	Splits         []PlannedSplit `json:"splits"`
	Applied        bool           `json:"applied"`
}

// PlannedMerge is one customer to fold into another, with the evidence.
type PlannedMerge struct {
	SurvivorID  string              `json:"survivor_id"`
	MergedID    string              `json:"merged_id"`
	Probability float64             `json:"probability"`
	Evidence    []customer.Evidence `json:"evidence"`
}

// PlannedSplit is a set of source records to move out of a customer: to
// another customer, or to a new one (ToID "" in a dry run).
type PlannedSplit struct {
	CustomerID string              `json:"customer_id"`
	ProfileIDs []string            `json:"source_profile_ids"`
	ToID       string              `json:"to_customer_id,omitempty"`
	Conflict   string              `json:"conflict,omitempty" doc:"The field that rules out one person, if any"`
	Evidence   []customer.Evidence `json:"evidence"`
}

// Resolve runs batch identity resolution over every source record: it
// finds the people behind them with the probabilistic matcher, compares
// that with the customers as they are, and plans the merges and splits
// that make them agree; with Apply it carries them out (each one an
// ordinary audited merge or move) and queues the doubtful pairs for
// review.
func (s *Service) Resolve(ctx context.Context, actor kizuna.Actor, opts ResolveOptions) (*ResolveReport, error) {
	// Unless told otherwise, a run compares what the stored model compares
	// (custom fields included) at the thresholds it was trained with.
	stored, err := s.storedModel(ctx)
	if err != nil {
		return nil, err
	}
	if stored != nil {
		if opts.Match.Fields == nil && !opts.DefaultFields {
			if fields, err := resolve.FieldsOf(stored); err == nil {
				opts.Match.Fields = fields
			}
		}
		if opts.Match.AutoMerge <= 0 {
			opts.Match.AutoMerge = stored.AutoMerge // 0 in old models: the default
		}
		if opts.Match.Review <= 0 {
			opts.Match.Review = stored.Review
		}
	}
	r, err := resolve.NewResolver(opts.Match)
	if err != nil {
		return nil, kizuna.Errorf(kizuna.EINVALID, "%v", err)
	}
	opts.Show = max(opts.Show, 0)
	rep := &ResolveReport{}
	customers := map[string]int{}
	// Records are built on every core, a chunk at a time, and added in
	// the order read.
	var chunk []customer.SourceProfile
	const chunkSize = 4096
	flush := func() {
		built := resolve.NewRecords(r.Fields(), len(chunk), func(i int) (string, string, *customer.Profile) {
			return chunk[i].ID, chunk[i].CustomerID, &chunk[i].Profile
		})
		for i := range built {
			r.Add(built[i])
			customers[built[i].Customer]++
		}
		chunk = chunk[:0]
	}
	if err := s.store.EachSource(ctx, func(sp customer.SourceProfile) error {
		chunk = append(chunk, sp)
		if len(chunk) == chunkSize {
			flush()
		}
		return nil
	}); err != nil {
		return nil, err
	}
	flush()
	rep.Records, rep.Customers = len(r.Records), len(customers)
	pairs, byRule, skipped := r.Candidates()
	rep.CandidatePairs, rep.SkippedBlocks = len(pairs), skipped

	model, version, err := fitting(stored, r.Fields())
	if err != nil && !(opts.Train && kizuna.ErrorCode(err) == kizuna.ECONFLICT) {
		return nil, err
	}
	if opts.Train || model == nil {
		keep := opts.Train || opts.Apply
		if model, version, err = s.train(ctx, actor, r, model, pairs, byRule, keep); err != nil {
			return nil, err
		}
		rep.Trained, rep.ModelStored = true, keep
		if pm, ok := s.matcher.(*Probabilistic); ok && keep {
			pm.forget() // upserts use the new version from now on
		}
	}
	rep.ModelVersion = version
	rep.Review, rep.AutoMerge = r.Thresholds()

	con, err := s.constraints(ctx, r)
	if err != nil {
		return nil, err
	}
	cl := r.Cluster(model, pairs, con)
	plan := planResolution(r, model, cl)
	rep.People = plan.people
	rep.MergeCount, rep.SplitCount, rep.ReviewCount = len(plan.merges), len(plan.splits), len(cl.Review)
	if !opts.Apply {
		rep.Merges = plan.merges[:min(len(plan.merges), opts.Show)]
		rep.Splits = plan.splits[:min(len(plan.splits), opts.Show)]
		return rep, nil
	}
	if rep.ClearedCount, err = s.applyResolution(ctx, actor, r, model, cl, plan, opts.Match.Progress); err != nil {
		return rep, err
	}
	rep.Merges = plan.merges[:min(len(plan.merges), opts.Show)]
	rep.Splits = plan.splits[:min(len(plan.splits), opts.Show)]
	rep.Applied = true
	return rep, nil
}

// storedModel reads the newest stored model as it is (nil if none), for
// its fields and thresholds.
func (s *Service) storedModel(ctx context.Context) (*resolve.Model, error) {
	version, raw, err := s.store.MatchModel(ctx)
	if err != nil || version == 0 {
		return nil, err
	}
	var m resolve.Model
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("match model version %d: %w", version, err)
	}
	m.Version = version
	return &m, nil
}

// fitting is the stored model (nil if there is none yet) when it compares
// fields; a model trained for other fields is a conflict.
func fitting(m *resolve.Model, fields []resolve.Field) (*resolve.Model, int, error) {
	if m == nil {
		return nil, 0, nil
	}
	if err := m.Check(fields); err != nil {
		return nil, 0, kizuna.Errorf(kizuna.ECONFLICT, "%v (kizuna resolve --train)", err)
	}
	return m, m.Version, nil
}

// train estimates a model and stores it as the next version, audited.
func (s *Service) train(ctx context.Context, actor kizuna.Actor, r *resolve.Resolver, start *resolve.Model, pairs []uint64, byRule [][]uint64, keep bool) (*resolve.Model, int, error) {
	m := r.Train(start, pairs, byRule)
	m.Review, m.AutoMerge = r.Thresholds()
	m.Common = r.CommonValues(m)
	if !keep {
		return m, 0, nil
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var version int
	err := s.store.WithTx(ctx, func(tx customer.Tx) error {
		var err error
		version, err = tx.SaveMatchModel(ctx, func(v int) ([]byte, error) {
			m.Version = v
			return json.Marshal(m)
		}, actor.ID, now)
		if err != nil {
			return err
		}
		return tx.Audit(ctx, audit.New(actor, now, "match_model.train", "match_model", fmt.Sprint(version), "", map[string]any{
			"records": len(r.Records), "candidate_pairs": len(pairs), "lambda": m.Lambda}))
	})
	return m, version, err
}

// constraints are the staff decisions the clustering keeps: customers
// kept apart, and customers merged by anyone but the resolver.
func (s *Service) constraints(ctx context.Context, r *resolve.Resolver) (resolve.Constraints, error) {
	apart, err := s.store.KeptApart(ctx)
	if err != nil {
		return resolve.Constraints{}, err
	}
	merged, err := s.store.MergedByOthers(ctx, ResolverActor)
	if err != nil {
		return resolve.Constraints{}, err
	}
	kept := make(map[[2]string]bool, len(apart))
	for _, p := range apart {
		kept[[2]string{min(p[0], p[1]), max(p[0], p[1])}] = true
	}
	byCustomer := map[string][]int{}
	for _, id := range merged {
		byCustomer[id] = nil
	}
	for i, rec := range r.Records {
		if _, ok := byCustomer[rec.Customer]; ok {
			byCustomer[rec.Customer] = append(byCustomer[rec.Customer], i)
		}
	}
	con := resolve.Constraints{}
	for _, id := range merged {
		if g := byCustomer[id]; len(g) > 1 {
			con.Together = append(con.Together, g)
		}
	}
	if len(kept) > 0 {
		con.Apart = func(a, b int) bool {
			ca, cb := r.Records[a].Customer, r.Records[b].Customer
			return kept[[2]string{min(ca, cb), max(ca, cb)}]
		}
	}
	return con, nil
}

// part is the records of one customer that fall in one cluster.
type part struct {
	customer string
	cluster  int
	records  []int
	home     bool // the customer's largest part: it stays the customer
}

type resolutionPlan struct {
	people int
	owner  map[int]*part // cluster → the part whose customer it becomes
	// moves are parts leaving their customer, in order: to an existing
	// customer, or (target "") to a new one that later parts may join.
	moves  []move
	merges []PlannedMerge
	splits []PlannedSplit
}

type move struct {
	part    *part
	toPart  *part // the part whose customer receives it (its own move first if it is new)
	newHome bool  // this move founds a new customer for its cluster
}

// planResolution compares the clustering with the customers as they are.
func planResolution(r *resolve.Resolver, m *resolve.Model, cl *resolve.Clustering) *resolutionPlan {
	type key struct {
		customer string
		cluster  int
	}
	parts := map[key]*part{}
	var order []*part
	for i, rec := range r.Records {
		k := key{rec.Customer, cl.Cluster[i]}
		p := parts[k]
		if p == nil {
			p = &part{customer: rec.Customer, cluster: cl.Cluster[i]}
			parts[k] = p
			order = append(order, p)
		}
		p.records = append(p.records, i)
	}
	// Each customer's home is its largest part (ties: the earliest record).
	byCustomer := map[string][]*part{}
	for _, p := range order {
		byCustomer[p.customer] = append(byCustomer[p.customer], p)
	}
	for _, ps := range byCustomer {
		home := slices.MaxFunc(ps, func(a, b *part) int {
			return cmp.Or(cmp.Compare(len(a.records), len(b.records)), cmp.Compare(b.records[0], a.records[0]))
		})
		home.home = true
	}
	byCluster := map[int][]*part{}
	var clusters []int
	for _, p := range order {
		if byCluster[p.cluster] == nil {
			clusters = append(clusters, p.cluster)
		}
		byCluster[p.cluster] = append(byCluster[p.cluster], p)
	}
	links := map[int][]int{} // record → its comparisons in cl.Merged
	for i, c := range cl.Merged {
		links[c.A] = append(links[c.A], i)
		links[c.B] = append(links[c.B], i)
	}
	plan := &resolutionPlan{people: len(clusters), owner: map[int]*part{}}
	for _, c := range clusters {
		ps := byCluster[c]
		// The survivor: the home part of the oldest customer (IDs sort by
		// creation time); without one, the largest part founds a new one.
		var surv *part
		for _, p := range ps {
			if p.home && (surv == nil || p.customer < surv.customer) {
				surv = p
			}
		}
		if surv == nil {
			surv = slices.MaxFunc(ps, func(a, b *part) int { return cmp.Compare(len(a.records), len(b.records)) })
			plan.moves = append(plan.moves, move{part: surv, newHome: true})
			plan.splits = append(plan.splits, split(r, m, surv, byCustomer[surv.customer]))
		}
		plan.owner[c] = surv
		for _, p := range ps {
			switch {
			case p == surv:
			case p.home:
				best := bestLink(r, m, cl, links, surv, p)
				plan.merges = append(plan.merges, PlannedMerge{SurvivorID: surv.customer, MergedID: p.customer,
					Probability: best.Probability, Evidence: best.Explain(r.Fields())})
			default:
				plan.moves = append(plan.moves, move{part: p, toPart: surv})
				sp := split(r, m, p, byCustomer[p.customer])
				if surv.home {
					sp.ToID = surv.customer
				}
				plan.splits = append(plan.splits, sp)
			}
		}
	}
	return plan
}

// split describes moving part p out of its customer, with the evidence
// against it staying: its comparison with the customer's home part.
func split(r *resolve.Resolver, m *resolve.Model, p *part, siblings []*part) PlannedSplit {
	sp := PlannedSplit{CustomerID: p.customer}
	for _, i := range p.records {
		sp.ProfileIDs = append(sp.ProfileIDs, r.Records[i].ID)
	}
	for _, h := range siblings {
		if h.home && h != p {
			c := r.Compare(m, p.records[0], h.records[0])
			sp.Conflict, sp.Evidence = c.Conflict, c.Explain(r.Fields())
		}
	}
	return sp
}

// bestLink is the strongest comparison that joined part b to the cluster,
// preferring one straight to part a.
func bestLink(r *resolve.Resolver, m *resolve.Model, cl *resolve.Clustering, links map[int][]int, a, b *part) resolve.Comparison {
	var best *resolve.Comparison
	bestDirect := false
	for _, i := range b.records {
		for _, ci := range links[i] {
			c := &cl.Merged[ci]
			other := c.A
			if other == i {
				other = c.B
			}
			direct := slices.Contains(a.records, other)
			if best == nil || direct && !bestDirect || direct == bestDirect && c.Probability > best.Probability {
				best, bestDirect = c, direct
			}
		}
	}
	if best != nil {
		return *best
	}
	return r.Compare(m, a.records[0], b.records[0])
}

// applyResolution carries out a plan: moves first (a customer merged
// whole must have lost its strays already), then merges, then the review
// queue.
func (s *Service) applyResolution(ctx context.Context, actor kizuna.Actor, r *resolve.Resolver, m *resolve.Model, cl *resolve.Clustering, plan *resolutionPlan, progress func(string, int, int)) (cleared int, err error) {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	e, err := s.loadEnv(ctx)
	if err != nil {
		return 0, err
	}
	founded := map[*part]string{}
	ownerID := func(p *part) string {
		if p.home {
			return p.customer
		}
		return founded[p]
	}
	// Operations go in transactions of opsPerTx: one fsync per hundred
	// rather than per merge, and a crash loses at most a batch that a rerun
	// redoes (the plan is recomputed from what was committed).
	const opsPerTx = 100
	for lo := 0; lo < len(plan.moves); lo += opsPerTx {
		hi := min(lo+opsPerTx, len(plan.moves))
		now := s.now().UTC().Truncate(time.Microsecond)
		err := s.store.WithTx(ctx, func(tx customer.Tx) error {
			for i := lo; i < hi; i++ {
				mv, sp := plan.moves[i], &plan.splits[i]
				to := ""
				if !mv.newHome {
					to = ownerID(mv.toPart)
				}
				id, err := s.moveTx(ctx, tx, e, actor, sp.ProfileIDs, to, "identity resolution: "+describe(sp.Evidence, sp.Conflict), now)
				if err != nil {
					return fmt.Errorf("move %d source records out of %s: %w", len(sp.ProfileIDs), sp.CustomerID, err)
				}
				if mv.newHome {
					founded[mv.part] = id
				}
				sp.ToID = id
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		progress("moving", hi, len(plan.moves))
	}
	for lo := 0; lo < len(plan.merges); lo += opsPerTx {
		hi := min(lo+opsPerTx, len(plan.merges))
		now := s.now().UTC().Truncate(time.Microsecond)
		err := s.store.WithTx(ctx, func(tx customer.Tx) error {
			for _, mg := range plan.merges[lo:hi] {
				reason := fmt.Sprintf("identity resolution: match probability %.3f (%s)", mg.Probability, describe(mg.Evidence, ""))
				if _, err := s.mergeTx(ctx, tx, e, actor, mg.SurvivorID, mg.MergedID, reason, now); err != nil {
					return fmt.Errorf("merge %s into %s: %w", mg.MergedID, mg.SurvivorID, err)
				}
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		progress("merging", hi, len(plan.merges))
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	queued := 0
	for i, c := range cl.Review {
		a, b := ownerID(plan.owner[cl.Cluster[c.A]]), ownerID(plan.owner[cl.Cluster[c.B]])
		if a == b {
			continue
		}
		err := s.store.WithTx(ctx, func(tx customer.Tx) error {
			dups, err := tx.DuplicatesOf(ctx, a)
			if err != nil {
				return err
			}
			ev := c.Explain(r.Fields())
			reason := fmt.Sprintf("match probability %.3f (%s)", c.Probability, describe(ev, ""))
			for _, d := range dups {
				if d.CustomerID != b && d.OtherID != b {
					continue
				}
				ruleFlag := d.Status == customer.DuplicateOpen && d.Probability == 0 && len(d.Evidence) == 0
				if ruleFlag || d.Status == customer.DuplicateCleared {
					// Flagged by a rule (a shared phone) before there was
					// a model, or cleared by an earlier model: the queue
					// shows this model's score and explanation from now on.
					if ruleFlag {
						reason += "; first flagged: " + d.Reason
					}
					d.Status, d.Probability, d.Evidence, d.Reason = customer.DuplicateOpen, c.Probability, ev, reason
					d.SourceProfileID, d.OtherProfileID = r.Records[c.A].ID, r.Records[c.B].ID
					if d.CustomerID != a {
						d.SourceProfileID, d.OtherProfileID = d.OtherProfileID, d.SourceProfileID
					}
					return tx.SetDuplicate(ctx, d)
				}
				return nil // already queued or decided
			}
			d := &customer.Duplicate{ID: kizuna.NewID("dup"), CustomerID: max(a, b), OtherID: min(a, b),
				Reason:          reason,
				SourceProfileID: r.Records[c.A].ID, OtherProfileID: r.Records[c.B].ID, Status: customer.DuplicateOpen, CreatedAt: now,
				Probability: c.Probability, Evidence: ev}
			if a > b {
				d.SourceProfileID, d.OtherProfileID = d.OtherProfileID, d.SourceProfileID
			}
			queued++
			return tx.InsertDuplicate(ctx, d)
		})
		if err != nil {
			return 0, fmt.Errorf("queue a pair for review: %w", err)
		}
		progress("queueing for review", i+1, len(cl.Review))
	}
	if cleared, err = s.clearRuleFlags(ctx, r, m, func(i int) string { return ownerID(plan.owner[cl.Cluster[i]]) }); err != nil {
		return cleared, err
	}
	return cleared, s.store.WithTx(ctx, func(tx customer.Tx) error {
		return tx.Audit(ctx, audit.New(actor, now, "identity.resolve", "match_model", fmt.Sprint(m.Version), "", map[string]any{
			"merges": len(plan.merges), "moves": len(plan.moves), "queued_for_review": queued, "cleared": cleared}))
	})
}

// maxFlagComparisons bounds the record pairs compared for one flagged pair
// of customers (each may have many source records); a pair with more is
// left to staff, never cleared on part of the evidence.
const maxFlagComparisons = 400

// reviewPage is how many pairs of the review queue are read at a time
// (a variable so that a test can page through a small queue).
var reviewPage = 1000

// clearRuleFlags scores the pairs a rule flagged (a shared phone, with no
// probability) that this run did not queue for review, and takes those the
// model scores below review off the queue (DuplicateCleared), with the
// score and explanation that cleared them. owner gives each record's
// customer after the run's merges and moves. It returns how many it
// cleared.
func (s *Service) clearRuleFlags(ctx context.Context, r *resolve.Resolver, m *resolve.Model, owner func(int) string) (int, error) {
	var flags []customer.Duplicate
	for after := ""; ; {
		page, err := s.store.Duplicates(ctx, customer.DuplicateOpen, reviewPage, after)
		if err != nil {
			return 0, fmt.Errorf("read the review queue: %w", err)
		}
		for _, d := range page {
			if d.Probability == 0 && len(d.Evidence) == 0 {
				flags = append(flags, d)
			}
		}
		if len(page) < reviewPage {
			break
		}
		after = customer.DuplicateCursor(page[len(page)-1])
	}
	if len(flags) == 0 {
		return 0, nil
	}
	records := map[string][]int{}
	for i := range r.Records {
		records[owner(i)] = append(records[owner(i)], i)
	}
	review, _ := r.Thresholds()
	cleared := 0
	for _, d := range flags {
		as, bs := records[d.CustomerID], records[d.OtherID]
		if len(as)*len(bs) > maxFlagComparisons {
			continue // too many records to be sure: left to staff
		}
		var best *resolve.Comparison
		for _, a := range as {
			for _, b := range bs {
				if c := r.Compare(m, a, b); best == nil || c.Probability > best.Probability {
					best = &c
				}
			}
		}
		if best == nil || best.Probability >= review {
			continue // records gone, or worth a look: left to staff
		}
		ev := best.Explain(r.Fields())
		d.Status, d.Probability, d.Evidence = customer.DuplicateCleared, best.Probability, ev
		d.Reason = fmt.Sprintf("cleared: match probability %s is below review (%s); first flagged: %s", probability(best.Probability), describe(ev, best.Conflict), d.Reason)
		d.SourceProfileID, d.OtherProfileID = r.Records[best.A].ID, r.Records[best.B].ID
		if err := s.store.WithTx(ctx, func(tx customer.Tx) error { return tx.SetDuplicate(ctx, d) }); err != nil {
			return cleared, fmt.Errorf("clear flagged pair %s: %w", d.ID, err)
		}
		cleared++
	}
	return cleared, nil
}

// describe says in a few words what spoke for (or against) a match: the
// fields with the most weight, strongest first.
func describe(ev []customer.Evidence, conflict string) string {
	sorted := slices.Clone(ev)
	slices.SortStableFunc(sorted, func(a, b customer.Evidence) int { return cmp.Compare(abs(b.Weight), abs(a.Weight)) })
	out := ""
	if conflict != "" {
		out = conflict + " conflicts"
	}
	for _, e := range sorted {
		if e.Level == "missing" || len(out) > 60 {
			continue
		}
		if out != "" {
			out += ", "
		}
		out += e.Field + " " + e.Level
	}
	return out
}

// probability is a match probability for people: 0.123, or <0.001.
func probability(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", p)
}

func abs(x float64) float64 { return max(x, -x) }
