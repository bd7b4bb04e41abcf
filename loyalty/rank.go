package loyalty

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
)

// Rank is a membership tier (会員ランク) reached by spend and visits over a
// rolling window, with its earn multiplier.
type Rank struct {
	Code       string  `json:"code" example:"gold"`
	Name       string  `json:"name" example:"ゴールド"`
	MinSpend   int64   `json:"min_spend" doc:"Net spend in yen over the window (cancellations and refunds excluded) that reaches the rank"`
	MinVisits  int     `json:"min_visits" doc:"Days with a purchase over the window that reach the rank (0: spend alone decides)"`
	Multiplier float64 `json:"multiplier" doc:"Earned points are multiplied by this at the rank" example:"1.5"`
}

// Rank rules: how spend and visits combine.
const (
	RankEither = "either" // either threshold reaches the rank
	RankBoth   = "both"   // both are needed
)

// RankFacts is what a customer did over the rank window.
type RankFacts struct {
	Spend  int64 `json:"spend" doc:"Net spend in yen over the window"`
	Visits int   `json:"visits" doc:"Days (Japan time) with a purchase over the window"`
}

// CustomerRank is a customer's rank now.
type CustomerRank struct {
	CustomerID string    `json:"customer_id"`
	Rank       string    `json:"rank" doc:"The rank's code"`
	Since      time.Time `json:"since"`
	RankFacts
	// DownFrom is when the customer fell below the rank: they keep it
	// until the grace period after it ends, unless they qualify again.
	DownFrom    *time.Time `json:"down_from,omitempty" doc:"When the customer fell below the rank; it is kept until rank_grace_days after"`
	EvaluatedAt time.Time  `json:"evaluated_at"`
}

// RankChange is an entry of a customer's rank history.
type RankChange struct {
	CustomerID string    `json:"customer_id"`
	At         time.Time `json:"at"`
	From       string    `json:"from" doc:"The rank before (empty for the first)"`
	To         string    `json:"to"`
	Reason     string    `json:"reason" doc:"up, down (after the grace period), program (the ranks changed) or first"`
	RankFacts
}

// RankStore is the storage ranks need (part of Store).
type RankStore interface {
	// RankTx runs fn in one write transaction.
	RankTx(ctx context.Context, fn func(RankTx) error) error
	// CustomerRank is a customer's rank (nil when never evaluated).
	CustomerRank(ctx context.Context, customerID string) (*CustomerRank, error)
	// RankFacts sums the customers' orders placed in [since, until],
	// outside any transaction.
	RankFacts(ctx context.Context, ids []string, since, until time.Time) (map[string]RankFacts, error)
	// RankHistory is a customer's rank changes, newest first.
	RankHistory(ctx context.Context, customerID string, limit int) ([]RankChange, error)
	// RankCandidates lists active customers by ID after the cursor (the
	// nightly evaluation).
	RankCandidates(ctx context.Context, after string, limit int) ([]string, error)
}

// RankTx is what an evaluation does in its transaction.
type RankTx interface {
	// RankFacts sums the customers' orders placed in [since, until].
	RankFacts(ctx context.Context, ids []string, since, until time.Time) (map[string]RankFacts, error)
	// Ranks reads the customers' ranks, locking them.
	Ranks(ctx context.Context, ids []string) (map[string]*CustomerRank, error)
	// SaveRanks writes ranks and appends history.
	SaveRanks(ctx context.Context, ranks []*CustomerRank, changes []RankChange) error
	Audit(ctx context.Context, entries ...audit.Entry) error
}

// WithRanks returns the program with the ranks many Japanese retailers
// run — レギュラー, シルバー, ゴールド, プラチナ by spend or visits over a
// year, a rank-down after 60 days below — unless it has ranks already.
// Ranks are off until an administrator sets them (they multiply what
// every order earns); the demo turns these on.
func (p Program) WithRanks() Program {
	if len(p.Ranks) == 0 {
		p.Ranks, p.RankMonths, p.RankRule, p.RankGraceDays = DefaultRanks(), 12, RankEither, 60
	}
	return p
}

// DefaultRanks are the example ranks of WithRanks.
func DefaultRanks() []Rank {
	return []Rank{
		{Code: "regular", Name: "レギュラー", Multiplier: 1},
		{Code: "silver", Name: "シルバー", MinSpend: 30000, MinVisits: 6, Multiplier: 1.5},
		{Code: "gold", Name: "ゴールド", MinSpend: 100000, MinVisits: 12, Multiplier: 2},
		{Code: "platinum", Name: "プラチナ", MinSpend: 300000, MinVisits: 24, Multiplier: 3},
	}
}

func (p *Program) validateRanks() error {
	if len(p.Ranks) == 0 {
		return nil
	}
	if p.RankMonths == 0 {
		p.RankMonths = 12
	}
	if p.RankRule == "" {
		p.RankRule = RankEither
	}
	if p.RankMonths < 1 || p.RankMonths > 36 {
		return kizuna.FieldError("rank_months", "must be 1..36")
	}
	if p.RankGraceDays < 0 || p.RankGraceDays > 366 {
		return kizuna.FieldError("rank_grace_days", "must be 0..366")
	}
	if p.RankRule != RankEither && p.RankRule != RankBoth {
		return kizuna.FieldError("rank_rule", "must be either or both")
	}
	seen := map[string]bool{}
	for i, r := range p.Ranks {
		f := fmt.Sprintf("ranks[%d].", i)
		switch {
		case r.Code == "" || len(r.Code) > 40:
			return kizuna.FieldError(f+"code", "is required (at most 40 bytes)")
		case seen[r.Code]:
			return kizuna.FieldError(f+"code", "%q twice", r.Code)
		case r.Name == "":
			return kizuna.FieldError(f+"name", "is required")
		case math.IsNaN(r.Multiplier) || r.Multiplier <= 0 || r.Multiplier > 100:
			return kizuna.FieldError(f+"multiplier", "must be above 0 and at most 100")
		case r.MinSpend < 0 || r.MinVisits < 0:
			return kizuna.FieldError(f+"min_spend", "thresholds cannot be negative")
		case i == 0 && (r.MinSpend != 0 || r.MinVisits != 0):
			return kizuna.FieldError(f+"min_spend", "the first rank is where every customer starts: its thresholds must be 0")
		case i > 0 && (r.MinSpend < p.Ranks[i-1].MinSpend || r.MinVisits < p.Ranks[i-1].MinVisits):
			return kizuna.FieldError(f+"min_spend", "ranks go from lowest to highest: thresholds cannot fall")
		}
		seen[r.Code] = true
	}
	return nil
}

// qualifies returns the highest rank the facts reach (its index).
func (p *Program) qualifies(f RankFacts) int {
	best := 0
	for i, r := range p.Ranks {
		spend := r.MinSpend > 0 && f.Spend >= r.MinSpend
		visits := r.MinVisits > 0 && f.Visits >= r.MinVisits
		ok := i == 0
		switch p.RankRule {
		case RankBoth:
			ok = ok || (r.MinSpend == 0 || spend) && (r.MinVisits == 0 || visits)
		default:
			ok = ok || spend || visits
		}
		if ok {
			best = i
		}
	}
	return best
}

// rankWindow is when the spend and visits counted at now begin.
func (p *Program) rankWindow(now time.Time) time.Time {
	return now.In(kizuna.Tokyo).AddDate(0, -p.RankMonths, 0)
}

func (p *Program) rankIndex(code string) int {
	return slices.IndexFunc(p.Ranks, func(r Rank) bool { return r.Code == code })
}

// RankMultiplierAt is the multiplier of the rank the customer held at t,
// from their history, newest first (the first rank when they had none
// then).
func (p *Program) RankMultiplierAt(history []RankChange, t time.Time) float64 {
	if len(p.Ranks) == 0 {
		return 1
	}
	code := p.Ranks[0].Code
	for _, h := range history { // newest first
		if !h.At.After(t) {
			code = h.To
			break
		}
	}
	if i := p.rankIndex(code); i >= 0 {
		return p.Ranks[i].Multiplier
	}
	return 1
}

// EvaluateRanks works out the ranks of customers as of now: the highest
// rank their spend and visits over the window reach; a rank-up at once,
// a rank-down only once they have been below their rank for the grace
// period. Changes go to the history and the audit trail. It returns how
// many customers changed rank.
func (s *Service) EvaluateRanks(ctx context.Context, ids []string) (int, error) {
	prog, err := s.Program(ctx)
	if err != nil || len(prog.Ranks) == 0 || len(ids) == 0 {
		return 0, err
	}
	now := s.clock()
	since := prog.rankWindow(now)
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	changed := 0
	err = s.store.RankTx(ctx, func(tx RankTx) error {
		changed = 0
		facts, err := tx.RankFacts(ctx, ids, since, now)
		if err != nil {
			return err
		}
		cur, err := tx.Ranks(ctx, ids)
		if err != nil {
			return err
		}
		var save []*CustomerRank
		var changes []RankChange
		var entries []audit.Entry
		for _, id := range ids {
			f := facts[id]
			want := prog.qualifies(f)
			c := cur[id]
			if c == nil && want == 0 && f == (RankFacts{}) {
				continue // never bought: at the first rank without a row
			}
			if c == nil {
				c = &CustomerRank{CustomerID: id, Rank: prog.Ranks[want].Code, Since: now, RankFacts: f, EvaluatedAt: now}
				save = append(save, c)
				changes = append(changes, RankChange{CustomerID: id, At: now, To: c.Rank, Reason: "first", RankFacts: f})
				continue
			}
			have := prog.rankIndex(c.Rank)
			next := *c
			next.RankFacts, next.EvaluatedAt = f, now
			reason := ""
			switch {
			case have < 0: // the rank no longer exists
				next.Rank, next.DownFrom, reason = prog.Ranks[want].Code, nil, "program"
			case want > have:
				next.Rank, next.DownFrom, reason = prog.Ranks[want].Code, nil, "up"
			case want == have:
				next.DownFrom = nil
			case c.DownFrom == nil:
				from := now
				next.DownFrom = &from
			case !now.Before(c.DownFrom.AddDate(0, 0, prog.RankGraceDays)):
				next.Rank, next.DownFrom, reason = prog.Ranks[want].Code, nil, "down"
			}
			if reason != "" {
				next.Since = now
				changes = append(changes, RankChange{CustomerID: id, At: now, From: c.Rank, To: next.Rank, Reason: reason, RankFacts: f})
				entries = append(entries, audit.New(kizuna.System("loyalty"), now, "rank."+reason, "customer", id, id,
					map[string]any{"from": c.Rank, "to": next.Rank, "spend": f.Spend, "visits": f.Visits}))
				changed++
			}
			if next.Rank != c.Rank || next.RankFacts != c.RankFacts || (next.DownFrom == nil) != (c.DownFrom == nil) {
				save = append(save, &next)
			}
		}
		if err := tx.SaveRanks(ctx, save, changes); err != nil {
			return err
		}
		return tx.Audit(ctx, entries...)
	})
	return changed, err
}

// EvaluateAllRanks evaluates every active customer (nightly: ranks also
// fall as purchases leave the window), batch customers a transaction. It
// returns how many it went through and how many changed rank.
func (s *Service) EvaluateAllRanks(ctx context.Context, batch int) (evaluated, changed int, err error) {
	prog, err := s.Program(ctx)
	if err != nil || len(prog.Ranks) == 0 {
		return 0, 0, err
	}
	for after := ""; ; {
		ids, err := s.store.RankCandidates(ctx, after, batch)
		if err != nil || len(ids) == 0 {
			return evaluated, changed, err
		}
		n, err := s.EvaluateRanks(ctx, ids)
		evaluated, changed = evaluated+len(ids), changed+n
		if err != nil {
			return evaluated, changed, err
		}
		after = ids[len(ids)-1]
	}
}

// RankStatus is a customer's rank with what it takes to reach the next.
type RankStatus struct {
	CustomerRank
	Name        string       `json:"name"`
	Multiplier  float64      `json:"multiplier"`
	Months      int          `json:"months" doc:"The window spend and visits are counted over"`
	Next        *Rank        `json:"next,omitempty" doc:"The next rank up, if any"`
	SpendToNext int64        `json:"spend_to_next,omitempty" doc:"Yen still to spend within the window to reach it"`
	VisitsToGo  int          `json:"visits_to_next,omitempty" doc:"Purchase days still needed to reach it"`
	History     []RankChange `json:"history" doc:"Newest first"`
}

// RankOf is a customer's rank; one never evaluated is worked out now but
// not stored (a read does not write).
func (s *Service) RankOf(ctx context.Context, customerID string) (*RankStatus, error) {
	prog, err := s.Program(ctx)
	if err != nil {
		return nil, err
	}
	if len(prog.Ranks) == 0 {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "the points program has no ranks")
	}
	c, err := s.store.CustomerRank(ctx, customerID)
	if err != nil {
		return nil, err
	}
	if c == nil {
		// Never evaluated (no order since ranks were set up, or never
		// bought): the rank their orders reach now, worked out without
		// writing; the next order or the nightly run records it.
		now := s.clock()
		facts, err := s.store.RankFacts(ctx, []string{customerID}, prog.rankWindow(now), now)
		if err != nil {
			return nil, err
		}
		f := facts[customerID]
		c = &CustomerRank{CustomerID: customerID, Rank: prog.Ranks[prog.qualifies(f)].Code, RankFacts: f, EvaluatedAt: now}
	}
	st := &RankStatus{CustomerRank: *c, Multiplier: 1, Months: prog.RankMonths}
	if i := prog.rankIndex(c.Rank); i >= 0 {
		st.Name, st.Multiplier = prog.Ranks[i].Name, prog.Ranks[i].Multiplier
		if i+1 < len(prog.Ranks) {
			n := prog.Ranks[i+1]
			st.Next = &n
			st.SpendToNext = max(0, n.MinSpend-c.Spend)
			st.VisitsToGo = max(0, n.MinVisits-c.Visits)
		}
	}
	if st.History, err = s.store.RankHistory(ctx, customerID, 20); err != nil {
		return nil, err
	}
	return st, nil
}
