package loyalty

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Problem is a broken invariant: whose ledger, which entry, what.
type Problem struct {
	CustomerID string `json:"customer_id"`
	EntryID    string `json:"entry_id,omitempty"`
	Seq        int64  `json:"seq,omitempty"`
	Message    string `json:"message"`
}

func (p Problem) String() string {
	if p.EntryID != "" {
		return fmt.Sprintf("customer %s, entry %d (%s): %s", p.CustomerID, p.Seq, p.EntryID, p.Message)
	}
	return fmt.Sprintf("customer %s: %s", p.CustomerID, p.Message)
}

// VerifyReport is what Verify found.
type VerifyReport struct {
	Customers int64     `json:"customers"`
	Entries   int64     `json:"entries"`
	Points    int64     `json:"points" doc:"All customers' points in lots"`
	Problems  []Problem `json:"problems"`
}

// maxProblems bounds the problems a report lists.
const maxProblems = 100

// Verify replays every customer's ledger from its first entry and checks
// that no entry breaks a rule (an overdraft, a hold settled twice, a lot
// expired early or by the wrong amount, a gap in the numbering), that the
// stored balance, lots (their points and dates) and holds are exactly what
// the entries make, and that every merge's two sides, in two customers'
// ledgers, move the same points and debt.
func (s *Service) Verify(ctx context.Context, progress func(customers int64)) (*VerifyReport, error) {
	rep := &VerifyReport{Problems: []Problem{}}
	report := func(p *Problem) {
		if p != nil && len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, *p)
		}
	}
	// Merges are paired across customers read in different snapshots:
	// one made while Verify runs may be seen on one side only. Its two
	// entries share one time, so those from a minute before the run on
	// are left out of the pairing (each side's own replay still checks
	// them).
	moves := newMoves(s.clock().Add(-time.Minute))
	err := s.store.EachLedger(ctx, func(entries []LedgerEntry, acct Account, lots []Lot, holds []Hold) error {
		rep.Customers++
		rep.Entries += int64(len(entries))
		rep.Points += acct.Points
		report(replay(entries, acct, lots, holds))
		for i := range entries {
			moves.add(&entries[i])
		}
		if progress != nil && rep.Customers%10000 == 0 {
			progress(rep.Customers)
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, p := range moves.unbalanced() {
		report(&p)
	}
	return rep, nil
}

// moves pairs the two sides of every merge across customers: each lot's
// points that a merge_out took from one customer must arrive, by a
// merge_in, at another, and the debts moved out and in must be equal, so
// that a merge neither makes nor loses points. A customer's own replay
// cannot see this.
type moves struct {
	before          time.Time                       // pair only the moves made before this
	lots            map[string]int64                // lot → points moved out less points moved in
	last            map[Kind]map[string]LedgerEntry // merge_out or merge_in → lot → the last such entry
	debtOut, debtIn int64
}

func newMoves(before time.Time) *moves {
	return &moves{before: before, lots: map[string]int64{}, last: map[Kind]map[string]LedgerEntry{KindMergeOut: {}, KindMergeIn: {}}}
}

func (m *moves) add(e *LedgerEntry) {
	if !e.At.Before(m.before) {
		return
	}
	sign := int64(1)
	switch e.Kind {
	case KindMergeOut:
		m.debtOut += e.Debt
	case KindMergeIn:
		sign = -1
		m.debtIn += e.Debt
	default:
		return
	}
	for _, l := range e.Moved {
		m.lots[l.ID] += sign * l.Remaining
		m.last[e.Kind][l.ID] = LedgerEntry{ID: e.ID, CustomerID: e.CustomerID, Seq: e.Seq}
	}
}

// unbalanced names each lot whose moves do not pair up, in lot order.
func (m *moves) unbalanced() []Problem {
	var out []Problem
	for _, id := range slices.Sorted(maps.Keys(m.lots)) {
		n := m.lots[id]
		if n == 0 {
			continue
		}
		e, what := m.last[KindMergeOut][id], "moved out"
		if n < 0 {
			e, what, n = m.last[KindMergeIn][id], "moved in", -n
		}
		out = append(out, Problem{CustomerID: e.CustomerID, EntryID: e.ID, Seq: e.Seq,
			Message: fmt.Sprintf("merges leave %d points of lot %s %s with no matching move on the other side", n, id, what)})
	}
	if m.debtOut != m.debtIn {
		out = append(out, Problem{Message: fmt.Sprintf("merges moved out a debt of %d points and moved in %d", m.debtOut, m.debtIn)})
	}
	return out
}

// replay checks one customer's ledger against its projection.
func replay(entries []LedgerEntry, stored Account, lots []Lot, holds []Hold) *Problem {
	st := newState(Account{CustomerID: stored.CustomerID}, nil, nil)
	bad := func(e *LedgerEntry, format string, args ...any) *Problem {
		p := &Problem{CustomerID: stored.CustomerID, Message: fmt.Sprintf(format, args...)}
		if e != nil {
			p.EntryID, p.Seq = e.ID, e.Seq
		}
		return p
	}
	for i := range entries {
		e := &entries[i]
		if e.CustomerID != stored.CustomerID {
			return bad(e, "the entry belongs to customer %s", e.CustomerID)
		}
		if e.Kind == KindHold {
			if _, dup := st.holds[e.HoldID]; dup {
				return bad(e, "hold %s is made twice", e.HoldID)
			}
			st.holds[e.HoldID] = &Hold{ID: e.HoldID, CustomerID: e.CustomerID, Points: -e.Points, Status: HoldActive}
		}
		if err := st.apply(e); err != nil {
			return bad(e, "%v", err)
		}
		if st.acct.Debt < 0 || st.acct.Held < 0 {
			return bad(e, "debt %d, held %d", st.acct.Debt, st.acct.Held)
		}
		for _, l := range st.lots {
			if l.Remaining < 0 {
				return bad(e, "lot %s holds %d points", l.ID, l.Remaining)
			}
		}
	}
	got := st.acct
	switch {
	case got.Seq != stored.Seq:
		return bad(nil, "the account says %d entries, the ledger has %d", stored.Seq, got.Seq)
	case got.Points != stored.Points || got.Held != stored.Held || got.Debt != stored.Debt:
		return bad(nil, "the account says %d points, %d held, %d debt; the ledger makes %d, %d, %d",
			stored.Points, stored.Held, stored.Debt, got.Points, got.Held, got.Debt)
	}
	// The lots with points left must be the ledger's, with its points and
	// its dates: the dates decide when the points can be spent and when
	// the expiry run takes them.
	want := map[string]*Lot{}
	for _, l := range st.lots {
		if l.Remaining > 0 {
			want[l.ID] = l
		}
	}
	matched := 0
	for i := range lots {
		sl := &lots[i]
		if sl.Remaining <= 0 {
			continue
		}
		matched++
		l := want[sl.ID]
		switch {
		case l == nil:
			return bad(nil, "lot %s says %d points the ledger does not give it", sl.ID, sl.Remaining)
		case l.Remaining != sl.Remaining:
			return bad(nil, "lot %s: the ledger leaves %d points, the lot says %d", l.ID, l.Remaining, sl.Remaining)
		case !sl.AvailableAt.Equal(l.AvailableAt) || !sl.ExpiresAt.Equal(l.ExpiresAt):
			return bad(nil, "lot %s says available %s, expiring %s; the ledger makes %s, %s", l.ID,
				sl.AvailableAt.Format(time.RFC3339), sl.ExpiresAt.Format(time.RFC3339), l.AvailableAt.Format(time.RFC3339), l.ExpiresAt.Format(time.RFC3339))
		}
	}
	if matched != len(want) { // a lot the ledger leaves points in is empty or missing
		for _, l := range st.lots {
			if l.Remaining > 0 && !slices.ContainsFunc(lots, func(sl Lot) bool { return sl.ID == l.ID && sl.Remaining > 0 }) {
				return bad(nil, "lot %s: the ledger leaves %d points, the lot says 0", l.ID, l.Remaining)
			}
		}
	}
	var active []string
	for id, h := range st.holds {
		if h.Status == HoldActive {
			active = append(active, id)
		}
	}
	var storedActive []string
	for _, h := range holds {
		if h.Status == HoldActive {
			storedActive = append(storedActive, h.ID)
		}
	}
	slices.Sort(active)
	slices.Sort(storedActive)
	if !slices.Equal(active, storedActive) {
		return bad(nil, "active holds %v, the ledger leaves %v", storedActive, active)
	}
	return nil
}
