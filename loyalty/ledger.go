package loyalty

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is what a ledger entry records.
type Kind string

// LedgerEntry kinds. Points is the entry's signed change to the customer's
// points (held points are out of the balance while held).
const (
	KindEarn     Kind = "earn"      // + points for an order, pending until AvailableAt
	KindHold     Kind = "hold"      // − points set aside at the till
	KindCommit   Kind = "commit"    // 0: the held points were spent
	KindRelease  Kind = "release"   // + the held points come back
	KindExpire   Kind = "expire"    // − a lot's points that reached their expiry
	KindAdjust   Kind = "adjust"    // ± a staff adjustment, with its reason
	KindReverse  Kind = "reverse"   // − points an order no longer earns (a return, a cancellation)
	KindMergeOut Kind = "merge_out" // − every lot (and the debt), moved to the customer merged into
	KindMergeIn  Kind = "merge_in"  // + the lots (and the debt) of a merged customer
	KindRepay    Kind = "repay"     // − available points that pay off a debt (Program.DebtPolicy balance)
	KindForgive  Kind = "forgive"   // 0: a debt written off (Program.DebtPolicy write_off), its amount in Debt
)

// LedgerEntry is one line of the ledger. Entries are only ever appended.
type LedgerEntry struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	Seq        int64     `json:"seq" doc:"The entry's number in the customer's ledger, from 1"`
	Kind       Kind      `json:"kind" enum:"earn,hold,commit,release,expire,adjust,reverse,merge_out,merge_in,repay,forgive"`
	Points     int64     `json:"points" doc:"The change to the customer's points"`
	Lot        string    `json:"lot,omitempty" doc:"For expire: the lot (the earn entry) that expired"`
	HoldID     string    `json:"hold_id,omitempty"`
	OrderID    string    `json:"order_id,omitempty"`
	Reason     string    `json:"reason,omitempty" doc:"A reason code or a staff member's words"`
	Ref        string    `json:"ref,omitempty" doc:"The caller's key that makes the entry idempotent"`
	ActorID    string    `json:"actor_id"`
	At         time.Time `json:"at"`
	// A credit's lot: when it can be spent and when it expires.
	AvailableAt *time.Time `json:"available_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	// Moved lots (merge_out, merge_in).
	Moved []Lot `json:"moved,omitempty"`
	// Debt moved by a merge (merge_out, merge_in): points reversed after
	// they were spent, recovered from the receiving customer's earnings;
	// or written off (forgive).
	Debt int64 `json:"debt,omitempty" doc:"merge_out and merge_in: the point debt moved along with the lots; forgive: the debt written off"`
	// Extends (earn, with Program.ExtendOnActivity): the purchase moved
	// the expiry of every lot still valid to this entry's ExpiresAt.
	Extends bool `json:"extends,omitempty" doc:"earn: this purchase extended the validity of all the customer's points to this entry's expires_at (extend_on_activity)"`
}

// Lot is points earned together, spent and expired first-in first-out.
type Lot struct {
	ID          string    `json:"id" doc:"The entry that created the lot"`
	CustomerID  string    `json:"customer_id"`
	OrderID     string    `json:"order_id,omitempty"`
	Original    int64     `json:"original"`
	Remaining   int64     `json:"remaining"`
	AvailableAt time.Time `json:"available_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Hold statuses.
const (
	HoldActive    = "held"
	HoldCommitted = "committed"
	HoldReleased  = "released"
)

// Hold is points set aside at the till until the sale completes.
type Hold struct {
	ID         string      `json:"id"`
	CustomerID string      `json:"customer_id"`
	Points     int64       `json:"points"`
	Status     string      `json:"status" enum:"held,committed,released"`
	Ref        string      `json:"ref,omitempty" doc:"The till's key for the hold"`
	OrderRef   string      `json:"order_ref,omitempty" doc:"The sale it pays for (receipt or order number)"`
	ExpiresAt  time.Time   `json:"expires_at" doc:"When an uncommitted hold is released"`
	CreatedAt  time.Time   `json:"created_at"`
	Alloc      []Allocated `json:"-"` // the lots the points came from
}

// Allocated is points taken from one lot.
type Allocated struct {
	Lot    string `json:"lot"`
	Points int64  `json:"points"`
}

// Account is a customer's place in the program: the projection of the
// ledger that operations lock and read.
type Account struct {
	CustomerID string    `json:"customer_id"`
	Seq        int64     `json:"seq" doc:"Entries in the ledger"`
	Points     int64     `json:"points" doc:"Points in lots, pending or available"`
	Held       int64     `json:"held"`
	Debt       int64     `json:"debt" doc:"Points reversed after they were spent, recovered from later earnings"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// state is a customer's lots, holds and debt as the ledger makes them.
// Live operations and Verify's replay change it with the same code.
type state struct {
	acct  Account
	lots  []*Lot // by expiry, then creation
	holds map[string]*Hold
	dirty map[string]bool // lots changed
}

func newState(a Account, lots []Lot, holds []Hold) *state {
	s := &state{acct: a, holds: map[string]*Hold{}, dirty: map[string]bool{}}
	for i := range lots {
		l := lots[i]
		s.lots = append(s.lots, &l)
	}
	s.sortLots()
	for i := range holds {
		h := holds[i]
		s.holds[h.ID] = &h
	}
	return s
}

// sortLots orders the lots as they are spent: soonest expiring first,
// then the first available, then by ID (a lot's ID is its earliest entry,
// so the oldest first). The order is total: a live operation, with the
// lots as the database returns them, and Verify's replay, with the lots as
// the ledger made them, must take points from the same lots. With ties
// left to the order rows came back in, two lots credited in the same
// instant were taken in one order at the till and in the other by the
// replay on PostgreSQL, and Verify found their balances apart.
func (s *state) sortLots() {
	slices.SortFunc(s.lots, func(a, b *Lot) int {
		if c := a.ExpiresAt.Compare(b.ExpiresAt); c != 0 {
			return c
		}
		if c := a.AvailableAt.Compare(b.AvailableAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// available is the points that can be spent at t.
func (s *state) available(t time.Time) int64 {
	var n int64
	for _, l := range s.lots {
		if !l.AvailableAt.After(t) && l.ExpiresAt.After(t) {
			n += l.Remaining
		}
	}
	return n
}

func (s *state) lot(id string) *Lot {
	for _, l := range s.lots {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// take removes n points from the lots spendable at t, soonest expiring
// first.
func (s *state) take(n int64, t time.Time) []Allocated {
	var out []Allocated
	for _, l := range s.lots {
		if n == 0 {
			break
		}
		if l.Remaining == 0 || l.AvailableAt.After(t) || !l.ExpiresAt.After(t) {
			continue
		}
		x := min(n, l.Remaining)
		l.Remaining -= x
		n -= x
		s.dirty[l.ID] = true
		out = append(out, Allocated{Lot: l.ID, Points: x})
	}
	return out
}

// addLot credits a new lot; earnings first repay any debt.
func (s *state) addLot(l Lot, repay bool) {
	if repay && s.acct.Debt > 0 {
		x := min(s.acct.Debt, l.Remaining)
		s.acct.Debt -= x
		l.Remaining -= x
	}
	s.lots = append(s.lots, &l)
	s.dirty[l.ID] = true
	s.sortLots()
}

// extend moves the expiry of every lot still valid at t (with points
// left) to until, where that is later: a purchase keeps all the
// customer's points alive (Program.ExtendOnActivity). A lot already past
// its expiry stays expired, though the expiry run has not reached it yet.
func (s *state) extend(until, t time.Time) {
	for _, l := range s.lots {
		if l.Remaining > 0 && l.ExpiresAt.After(t) && l.ExpiresAt.Before(until) {
			l.ExpiresAt = until
			s.dirty[l.ID] = true
		}
	}
	s.sortLots()
}

// apply changes the state by one entry, or says why the entry cannot be
// (an overdraft, a hold that is not active, a lot that is not there).
func (s *state) apply(e *LedgerEntry) error {
	if e.Seq != s.acct.Seq+1 {
		return fmt.Errorf("entry %s is number %d, after %d", e.ID, e.Seq, s.acct.Seq)
	}
	if e.Debt < 0 || (e.Debt != 0 && e.Kind != KindMergeOut && e.Kind != KindMergeIn && e.Kind != KindForgive) {
		return fmt.Errorf("%s entry %s moves a debt of %d", e.Kind, e.ID, e.Debt)
	}
	if e.Extends && e.Kind != KindEarn {
		return fmt.Errorf("%s entry %s extends the points' validity; only an earn may", e.Kind, e.ID)
	}
	switch e.Kind {
	case KindEarn, KindMergeIn:
		if e.Points < 0 {
			return fmt.Errorf("%s entry %s credits %d points", e.Kind, e.ID, e.Points)
		}
		if e.Kind == KindMergeIn {
			var sum int64
			for _, l := range e.Moved {
				sum += l.Remaining
				if ex := s.lot(l.ID); ex != nil { // a lot coming back (an unmerge)
					// With the dates it has now: the other customer's
					// purchases may have extended it (extend_on_activity).
					ex.Remaining += l.Remaining
					ex.AvailableAt, ex.ExpiresAt = l.AvailableAt, l.ExpiresAt
					s.dirty[ex.ID] = true
					s.sortLots()
					continue
				}
				l.CustomerID = e.CustomerID
				s.addLot(l, false)
			}
			if sum != e.Points {
				return fmt.Errorf("merge_in entry %s moves lots of %d points, says %d", e.ID, sum, e.Points)
			}
			s.acct.Debt += e.Debt
			break
		}
		if e.AvailableAt == nil || e.ExpiresAt == nil {
			return fmt.Errorf("earn entry %s has no availability or expiry", e.ID)
		}
		s.addLot(Lot{ID: e.ID, CustomerID: e.CustomerID, OrderID: e.OrderID, Original: e.Points, Remaining: e.Points, AvailableAt: *e.AvailableAt, ExpiresAt: *e.ExpiresAt}, true)
		if e.Extends {
			s.extend(*e.ExpiresAt, e.At)
		}
	case KindAdjust:
		if e.Points >= 0 {
			if e.AvailableAt == nil || e.ExpiresAt == nil {
				return fmt.Errorf("adjust entry %s has no availability or expiry", e.ID)
			}
			s.addLot(Lot{ID: e.ID, CustomerID: e.CustomerID, Original: e.Points, Remaining: e.Points, AvailableAt: *e.AvailableAt, ExpiresAt: *e.ExpiresAt}, true)
			break
		}
		if have := s.available(e.At); have < -e.Points {
			return fmt.Errorf("adjust entry %s takes %d points, %d are available", e.ID, -e.Points, have)
		}
		s.take(-e.Points, e.At)
	case KindHold:
		if have := s.available(e.At); have < -e.Points || e.Points >= 0 {
			return fmt.Errorf("hold entry %s sets aside %d points, %d are available", e.ID, -e.Points, have)
		}
		h := s.holds[e.HoldID]
		if h == nil {
			return fmt.Errorf("hold entry %s has no hold %s", e.ID, e.HoldID)
		}
		h.Alloc = s.take(-e.Points, e.At)
		s.acct.Held += -e.Points
	case KindCommit, KindRelease:
		h := s.holds[e.HoldID]
		if h == nil || h.Status != HoldActive {
			return fmt.Errorf("%s entry %s: hold %s is not held", e.Kind, e.ID, e.HoldID)
		}
		s.acct.Held -= h.Points
		if e.Kind == KindCommit {
			h.Status = HoldCommitted
			if e.Points != 0 {
				return fmt.Errorf("commit entry %s changes points by %d", e.ID, e.Points)
			}
			break
		}
		h.Status = HoldReleased
		if e.Points != h.Points {
			return fmt.Errorf("release entry %s gives back %d of a %d-point hold", e.ID, e.Points, h.Points)
		}
		for _, a := range h.Alloc {
			l := s.lot(a.Lot)
			if l == nil {
				return fmt.Errorf("release entry %s: lot %s is gone", e.ID, a.Lot)
			}
			l.Remaining += a.Points
			s.dirty[l.ID] = true
		}
	case KindExpire:
		l := s.lot(e.Lot)
		switch {
		case l == nil:
			return fmt.Errorf("expire entry %s: no lot %s", e.ID, e.Lot)
		case l.ExpiresAt.After(e.At):
			return fmt.Errorf("expire entry %s at %s: lot %s is valid until %s", e.ID, e.At.Format(time.RFC3339), l.ID, l.ExpiresAt.Format(time.RFC3339))
		case l.Remaining != -e.Points:
			return fmt.Errorf("expire entry %s takes %d points, lot %s has %d", e.ID, -e.Points, l.ID, l.Remaining)
		}
		l.Remaining = 0
		s.dirty[l.ID] = true
	case KindReverse:
		if e.Points >= 0 {
			return fmt.Errorf("reverse entry %s adds %d points", e.ID, e.Points)
		}
		// From the order's own lots first; what was already spent
		// becomes a debt.
		n := -e.Points
		for _, l := range s.lots {
			if n > 0 && l.OrderID == e.OrderID && e.OrderID != "" && l.Remaining > 0 {
				x := min(n, l.Remaining)
				l.Remaining -= x
				n -= x
				s.dirty[l.ID] = true
			}
		}
		s.acct.Debt += n
	case KindRepay:
		switch have := s.available(e.At); {
		case e.Points >= 0:
			return fmt.Errorf("repay entry %s takes %d points", e.ID, -e.Points)
		case -e.Points > s.acct.Debt:
			return fmt.Errorf("repay entry %s pays %d points of a debt of %d", e.ID, -e.Points, s.acct.Debt)
		case -e.Points > have:
			return fmt.Errorf("repay entry %s takes %d points, %d are available", e.ID, -e.Points, have)
		}
		s.take(-e.Points, e.At)
		s.acct.Debt += e.Points
	case KindForgive:
		switch {
		case e.Points != 0:
			return fmt.Errorf("forgive entry %s changes the points by %d", e.ID, e.Points)
		case e.Debt == 0 || e.Debt > s.acct.Debt:
			return fmt.Errorf("forgive entry %s writes off %d points of a debt of %d", e.ID, e.Debt, s.acct.Debt)
		}
		s.acct.Debt -= e.Debt
	case KindMergeOut:
		var sum int64
		for _, m := range e.Moved {
			l := s.lot(m.ID)
			if l == nil || l.Remaining < m.Remaining {
				return fmt.Errorf("merge_out entry %s moves %d points of lot %s, which does not hold them", e.ID, m.Remaining, m.ID)
			}
			l.Remaining -= m.Remaining
			s.dirty[l.ID] = true
			sum += m.Remaining
		}
		if sum != -e.Points {
			return fmt.Errorf("merge_out entry %s moves lots of %d points, says %d", e.ID, sum, -e.Points)
		}
		if e.Debt > s.acct.Debt {
			return fmt.Errorf("merge_out entry %s moves a debt of %d, the account owes %d", e.ID, e.Debt, s.acct.Debt)
		}
		s.acct.Debt -= e.Debt
	default:
		return fmt.Errorf("entry %s has unknown kind %q", e.ID, e.Kind)
	}
	s.acct.Seq = e.Seq
	s.acct.Points = 0
	for _, l := range s.lots {
		s.acct.Points += l.Remaining
	}
	s.acct.UpdatedAt = e.At
	return nil
}

// movedLots is the lots a merge takes along: the points left in each (of
// only the lots named, when ids is not nil).
func (s *state) movedLots(ids []string) []Lot {
	var out []Lot
	for _, l := range s.lots {
		if l.Remaining > 0 && (ids == nil || slices.Contains(ids, l.ID)) {
			out = append(out, *l)
		}
	}
	return out
}

// changedLots is the lots changed since the state was loaded.
func (s *state) changedLots() []Lot {
	var out []Lot
	for _, l := range s.lots {
		if s.dirty[l.ID] {
			out = append(out, *l)
		}
	}
	return out
}
