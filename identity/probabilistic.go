package identity

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/resolve"
)

// Probabilistic is the matcher used on every upsert once a match model has
// been trained (kizuna resolve): it takes the customers that share an
// identifier with the new record (card, email, phone), compares the record
// with each of their records under the model, and joins the one customer
// whose match probability is at or above the auto-merge threshold with no
// record in conflict (another given name). Pairs in the review band become
// possible duplicates with their evidence. Until a model exists it decides
// as Deterministic does. Records that share no identifier with anyone are
// left to the batch run, which also blocks on names.
type Probabilistic struct {
	store     customer.Store
	autoMerge float64
	review    float64
	refresh   time.Duration

	mu          sync.Mutex
	model       *resolve.Model
	modelFields []resolve.Field // the fields the model was trained for
	loadedAt    time.Time
}

// NewProbabilistic returns the matcher; opts gives the thresholds (zero
// values: those the stored model was trained with, else the defaults, as
// kizuna resolve uses). It compares the fields the stored model was
// trained for (kizuna resolve --field).
func NewProbabilistic(store customer.Store, opts resolve.Options) *Probabilistic {
	return &Probabilistic{store: store, autoMerge: opts.AutoMerge, review: opts.Review, refresh: time.Minute}
}

// thresholds are the auto-merge and review thresholds for model m.
func (p *Probabilistic) thresholds(m *resolve.Model) (autoMerge, review float64) {
	autoMerge, review = p.autoMerge, p.review
	if autoMerge <= 0 {
		autoMerge = cmp.Or(m.AutoMerge, resolve.DefaultAutoMerge)
	}
	if review <= 0 {
		review = cmp.Or(m.Review, resolve.DefaultReview)
	}
	return autoMerge, review
}

// Prepare reads the newest stored model, at most once a minute (a new
// version from kizuna resolve --train takes effect within it). Ingest calls
// it before its transaction; Match only uses what it read.
func (p *Probabilistic) Prepare(ctx context.Context) error {
	p.mu.Lock()
	fresh := !p.loadedAt.IsZero() && time.Since(p.loadedAt) < p.refresh
	have := 0
	if p.model != nil {
		have = p.model.Version
	}
	p.mu.Unlock()
	if fresh {
		return nil
	}
	// The query runs without the lock: concurrent ingests must not queue
	// behind one another's database round trip.
	version, raw, err := p.store.MatchModel(ctx)
	if err != nil {
		return err
	}
	var m *resolve.Model
	var fields []resolve.Field
	switch {
	case version == 0:
	case version == have:
		m, fields = p.current()
	default:
		m = &resolve.Model{}
		if err := json.Unmarshal(raw, m); err != nil {
			return fmt.Errorf("match model version %d: %w", version, err)
		}
		m.Version = version
		if fields, err = resolve.FieldsOf(m); err != nil {
			// A model this build cannot use: the deterministic rules
			// decide until it is retrained (kizuna resolve says why).
			m, fields = nil, nil
		}
	}
	p.mu.Lock()
	p.model, p.modelFields, p.loadedAt = m, fields, time.Now()
	p.mu.Unlock()
	return nil
}

func (p *Probabilistic) cached() *resolve.Model {
	m, _ := p.current()
	return m
}

func (p *Probabilistic) current() (*resolve.Model, []resolve.Field) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.model, p.modelFields
}

// forget makes the next match read the stored model again (after training).
func (p *Probabilistic) forget() {
	p.mu.Lock()
	p.loadedAt = time.Time{}
	p.mu.Unlock()
}

// Match implements Matcher.
func (p *Probabilistic) Match(ctx context.Context, c Candidate, lookup Lookup) (Decision, error) {
	m, fields := p.current()
	if m == nil || c.Sources == nil {
		return Deterministic{}.Match(ctx, c, lookup)
	}
	var ids []string
	for _, k := range c.Keys {
		if strings.HasPrefix(k, customer.KeyExternal+":") {
			continue
		}
		for _, id := range lookup(k) {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return Decision{Rule: "new"}, nil
	}
	slices.Sort(ids)
	srcs, err := c.Sources(ids)
	if err != nil {
		return Decision{}, err
	}
	r, err := resolve.NewResolver(resolve.Options{Fields: fields, NoTermFrequency: true, Common: m.Common})
	if err != nil {
		return Decision{}, err
	}
	r.Add(resolve.NewRecord(fields, "new", "", c.Profile))
	type scored struct {
		id       string
		best     resolve.Comparison
		profile  string
		conflict bool
	}
	var all []scored
	for _, id := range ids {
		sc := scored{id: id, best: resolve.Comparison{Probability: -1}}
		for _, sp := range srcs[id] {
			i := len(r.Records)
			r.Add(resolve.NewRecord(fields, sp.ID, id, &sp.Profile))
			cmp := r.Compare(m, 0, i)
			if cmp.Conflict != "" {
				sc.conflict = true
			}
			if cmp.Probability > sc.best.Probability {
				sc.best, sc.profile = cmp, sp.ID
			}
		}
		if sc.best.Probability >= 0 {
			all = append(all, sc)
		}
	}
	slices.SortFunc(all, func(a, b scored) int {
		if a.best.Weight != b.best.Weight {
			if a.best.Weight > b.best.Weight {
				return -1
			}
			return 1
		}
		return strings.Compare(a.id, b.id)
	})
	d := Decision{Rule: "new"}
	autoMerge, review := p.thresholds(m)
	for _, sc := range all {
		ev := sc.best.Explain(fields)
		switch {
		case d.CustomerID == "" && !sc.conflict && sc.best.Probability >= autoMerge:
			d.CustomerID, d.Rule, d.Probability, d.Evidence = sc.id, "probabilistic", sc.best.Probability, ev
		case sc.conflict:
			// Another person sharing an identifier (a household's phone or
			// e-mail): not a duplicate.
		case sc.best.Probability >= review:
			d.Hints = append(d.Hints, Hint{OtherID: sc.id, OtherProfileID: sc.profile, Probability: sc.best.Probability, Evidence: ev,
				Reason: fmt.Sprintf("match probability %.3f (%s)", sc.best.Probability, describe(ev, ""))})
		}
	}
	return d, nil
}
