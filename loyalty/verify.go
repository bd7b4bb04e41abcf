package loyalty

import (
	"context"
	"fmt"
	"slices"
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
// expired early or by the wrong amount, a gap in the numbering) and that
// the stored balance, lots and holds are exactly what the entries make.
func (s *Service) Verify(ctx context.Context, progress func(customers int64)) (*VerifyReport, error) {
	rep := &VerifyReport{Problems: []Problem{}}
	err := s.store.EachLedger(ctx, func(entries []LedgerEntry, acct Account, lots []Lot, holds []Hold) error {
		rep.Customers++
		rep.Entries += int64(len(entries))
		rep.Points += acct.Points
		if p := replay(entries, acct, lots, holds); p != nil && len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, *p)
		}
		if progress != nil && rep.Customers%10000 == 0 {
			progress(rep.Customers)
		}
		return nil
	})
	return rep, err
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
	want := map[string]int64{}
	for _, l := range st.lots {
		if l.Remaining > 0 {
			want[l.ID] = l.Remaining
		}
	}
	have := map[string]int64{}
	for _, l := range lots {
		if l.Remaining > 0 {
			have[l.ID] = l.Remaining
		}
	}
	for id, n := range want {
		if have[id] != n {
			return bad(nil, "lot %s: the ledger leaves %d points, the lot says %d", id, n, have[id])
		}
	}
	for id, n := range have {
		if want[id] != n {
			return bad(nil, "lot %s says %d points the ledger does not give it", id, n)
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
