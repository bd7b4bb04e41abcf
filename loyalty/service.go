package loyalty

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/commerce"
)

// Store is the storage the ledger needs.
type Store interface {
	// LoyaltyTx runs fn in one write transaction.
	LoyaltyTx(ctx context.Context, fn func(Tx) error) error
	// LoyaltyProgram is the program as set (false when never set).
	LoyaltyProgram(ctx context.Context) (Program, bool, error)
	// LoyaltyPrograms are the programs set over time, oldest first (none
	// when never set).
	LoyaltyPrograms(ctx context.Context) ([]ProgramVersion, error)
	// PointsAccount is a customer's account, lots and active holds (an
	// empty account when the customer has none).
	PointsAccount(ctx context.Context, customerID string) (Account, []Lot, []Hold, error)
	// PointsEntries is a customer's ledger from entry number after+1.
	PointsEntries(ctx context.Context, customerID string, after int64, limit int) ([]LedgerEntry, error)
	// ExpiringPoints lists customers with points expiring before t,
	// by customer ID after the cursor.
	ExpiringPoints(ctx context.Context, now, before time.Time, after string, limit int) ([]Expiring, error)
	// DuePoints names customers with lots expired at t, or holds past
	// their time.
	DuePoints(ctx context.Context, t time.Time, limit int) ([]string, error)
	// OrdersToEarn names orders whose points were not settled for their
	// latest version.
	OrdersToEarn(ctx context.Context, limit int) ([]string, error)
	// PendingPointMoves lists merges whose points have not moved yet:
	// merged customers holding points, and undone merges whose points
	// have not gone back.
	PendingPointMoves(ctx context.Context, limit int) ([]PointMove, error)
	// EachLedger calls fn with every customer's ledger and projection,
	// for Verify: once per customer, one call at a time, in no particular
	// order.
	EachLedger(ctx context.Context, fn func(entries []LedgerEntry, acct Account, lots []Lot, holds []Hold) error) error
	RankStore
}

// Tx is what a ledger change does inside its transaction.
type Tx interface {
	// Lock locks a customer's account (creating it) and reads its lots
	// and active holds.
	Lock(ctx context.Context, customerID string) (Account, []Lot, []Hold, error)
	// HoldByRef finds a hold by the till's key, HoldByID by its ID (nil,
	// nil when there is none).
	HoldByRef(ctx context.Context, ref string) (*Hold, error)
	HoldByID(ctx context.Context, id string) (*Hold, error)
	// CommittedHoldsFor are the committed holds of a customer, and of the
	// customers merged into it, that paid for the sale orderRef names (a
	// receipt or order number).
	CommittedHoldsFor(ctx context.Context, customerID, orderRef string) ([]Hold, error)
	// PointsGivenBack is the points given back so far for the points
	// spent on a customer's orders of one number (entries keyed
	// RefundRefPrefix+order): on the order orderID, and on the customer's
	// other orders of that number (in other channels), which the holds
	// committed for the number paid for too.
	PointsGivenBack(ctx context.Context, customerID, orderID, number string) (this, others int64, err error)
	// EntryByRef finds an entry by its idempotency key (nil when none).
	EntryByRef(ctx context.Context, ref string) (*LedgerEntry, error)
	// Save appends entries and writes the projection: the account, the
	// lots changed and the holds changed.
	Save(ctx context.Context, acct Account, entries []LedgerEntry, lots []Lot, holds []Hold) error
	// OrderForPoints reads an order and the points its entries gave so
	// far (earned less reversed), locking it against a concurrent sync.
	OrderForPoints(ctx context.Context, orderID string) (*commerce.Order, int64, error)
	// SetOrderEarned records that an order's version was settled.
	SetOrderEarned(ctx context.Context, orderID string, version int) error
	// SetProgram stores the program's rules, in force for orders placed
	// from from on; the versions before it are kept.
	SetProgram(ctx context.Context, p Program, from time.Time) error
	// RankChanges is a customer's rank history, newest first.
	RankChanges(ctx context.Context, customerID string) ([]RankChange, error)
	// Categories maps SKUs to their category paths.
	Categories(ctx context.Context, skus []string) (map[string]string, error)
	Audit(ctx context.Context, entries ...audit.Entry) error
}

// Expiring is a customer's points expiring soon.
type Expiring struct {
	CustomerID string    `json:"customer_id"`
	Points     int64     `json:"points"`
	FirstAt    time.Time `json:"first_at" doc:"When the first of them expire"`
}

// Balance is a customer's points as the till and the app show them.
type Balance struct {
	CustomerID   string     `json:"customer_id"`
	Available    int64      `json:"available" doc:"Can be spent now"`
	Pending      int64      `json:"pending" doc:"Earned, spendable once the return window ends"`
	Held         int64      `json:"held" doc:"Set aside at a till, not yet committed"`
	Debt         int64      `json:"debt" doc:"Reversed after being spent; taken from later earnings"`
	Entries      int64      `json:"entries" doc:"Entries in the ledger (the seq of the latest)"`
	ExpiringSoon int64      `json:"expiring_soon" doc:"Of the points, those expiring within 30 days"`
	NextExpiry   *time.Time `json:"next_expiry,omitempty"`
	Lots         []Lot      `json:"lots"`
}

// Service keeps the ledger.
type Service struct {
	store Store
	now   func() time.Time

	// The program is read at most every programTTL: a till's hold should
	// not read the settings each time. Another process's change is seen
	// within the TTL; this one's at once.
	mu        sync.Mutex
	program   *Program
	programAt time.Time
	versions  []ProgramVersion // read at programAt too
}

// ProgramVersion is a program and when it came into force.
type ProgramVersion struct {
	From    time.Time `json:"from"`
	Program Program   `json:"program"`
}

const programTTL = 10 * time.Second

// New returns the ledger on store.
func New(store Store) *Service { return &Service{store: store, now: time.Now} }

// SetClock replaces the clock (tests; demo data written in the past).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Program is the program in force.
func (s *Service) Program(ctx context.Context) (Program, error) {
	s.mu.Lock()
	if s.program != nil && time.Since(s.programAt) < programTTL {
		p := *s.program
		s.mu.Unlock()
		return p, nil
	}
	s.mu.Unlock()
	p, ok, err := s.store.LoyaltyProgram(ctx)
	if err != nil {
		return DefaultProgram(), err
	}
	if !ok {
		p = DefaultProgram()
	}
	versions, err := s.store.LoyaltyPrograms(ctx)
	if err != nil {
		return DefaultProgram(), err
	}
	s.mu.Lock()
	s.program, s.versions, s.programAt = &p, versions, time.Now()
	s.mu.Unlock()
	return p, nil
}

// CurrentProgram is the program as stored now, not as cached: what a form
// that changes some of its rules must start from, so that it does not
// undo a change made a moment before through the API.
func (s *Service) CurrentProgram(ctx context.Context) (Program, error) {
	p, ok, err := s.store.LoyaltyProgram(ctx)
	if err != nil || !ok {
		return DefaultProgram(), err
	}
	return p, nil
}

// ProgramHistory is every program set, oldest first, each with the time
// of the orders it is in force for.
func (s *Service) ProgramHistory(ctx context.Context) ([]ProgramVersion, error) {
	if _, err := s.Program(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.versions), nil
}

// programFor is the program in force when an order was placed: an order
// earns, and gives back on a return, by the rules of its purchase, so a
// change of program never re-prices points already earned.
func (s *Service) programFor(ctx context.Context, placed time.Time) (Program, error) {
	current, err := s.Program(ctx)
	if err != nil {
		return current, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.versions) - 1; i >= 0; i-- {
		if !placed.Before(s.versions[i].From) {
			return s.versions[i].Program, nil
		}
	}
	if len(s.versions) > 0 {
		// Placed before the first program was set: the default was in
		// force (a store seeds its history with it).
		return s.versions[0].Program, nil
	}
	return current, nil
}

// Balance is a customer's points now.
func (s *Service) Balance(ctx context.Context, customerID string) (*Balance, error) {
	acct, lots, _, err := s.store.PointsAccount(ctx, customerID)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	b := &Balance{CustomerID: customerID, Held: acct.Held, Debt: acct.Debt, Entries: acct.Seq, Lots: []Lot{}}
	for _, l := range lots {
		if l.Remaining <= 0 || !l.ExpiresAt.After(now) {
			continue
		}
		b.Lots = append(b.Lots, l)
		if l.AvailableAt.After(now) {
			b.Pending += l.Remaining
		} else {
			b.Available += l.Remaining
		}
		if l.ExpiresAt.Before(now.AddDate(0, 0, 30)) {
			b.ExpiringSoon += l.Remaining
		}
		if b.NextExpiry == nil || l.ExpiresAt.Before(*b.NextExpiry) {
			t := l.ExpiresAt
			b.NextExpiry = &t
		}
	}
	return b, nil
}

// Statement is a customer's ledger, oldest first, from entry after+1.
func (s *Service) Statement(ctx context.Context, customerID string, after int64, limit int) ([]LedgerEntry, error) {
	if limit <= 0 || limit > 1001 {
		limit = 100
	}
	return s.store.PointsEntries(ctx, customerID, after, limit)
}

// ExpiringWithin lists customers with points expiring within days.
func (s *Service) ExpiringWithin(ctx context.Context, days int, after string, limit int) ([]Expiring, error) {
	if days < 1 || days > 366 {
		return nil, kizuna.FieldError("query.days", "must be 1 to 366")
	}
	now := s.clock()
	return s.store.ExpiringPoints(ctx, now, now.AddDate(0, 0, days), after, limit)
}

// change locks a customer's account, lets fn append entries through the
// state (each checked by apply), and saves them with the projection.
func (s *Service) change(ctx context.Context, tx Tx, customerID string, fn func(st *state, add func(e *LedgerEntry) error) error) error {
	acct, lots, holds, err := tx.Lock(ctx, customerID)
	if err != nil {
		return err
	}
	st := newState(acct, lots, holds)
	var entries []LedgerEntry
	changedHolds := map[string]bool{}
	add := func(e *LedgerEntry) error {
		e.ID, e.CustomerID, e.Seq = kizuna.NewID("pte"), customerID, st.acct.Seq+1
		if e.HoldID != "" {
			changedHolds[e.HoldID] = true
		}
		if err := st.apply(e); err != nil {
			return kizuna.Errorf(kizuna.ECONFLICT, "%v", err)
		}
		entries = append(entries, *e)
		return nil
	}
	if err := fn(st, add); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	var hs []Hold
	for id := range changedHolds {
		hs = append(hs, *st.holds[id])
	}
	return tx.Save(ctx, st.acct, entries, st.changedLots(), hs)
}

// Hold sets points aside at a till. The till's key makes it idempotent:
// the same key again answers the same hold. It fails (conflict) when the
// available points do not cover it; concurrent holds on one account are
// serialized, so they never overdraw.
//
// repeated is true when the key had made the hold before.
func (s *Service) Hold(ctx context.Context, actor kizuna.Actor, customerID string, points int64, ref, orderRef string) (out *Hold, repeated bool, err error) {
	ref, orderRef = strings.TrimSpace(ref), strings.TrimSpace(orderRef)
	switch {
	case points < 1:
		return nil, false, kizuna.FieldError("points", "must be 1 or more")
	case ref == "":
		return nil, false, kizuna.FieldError("ref", "is required: the till's key for this hold, so that a retry does not hold twice")
	case len(ref) > 200:
		return nil, false, kizuna.FieldError("ref", "is longer than 200 bytes")
	}
	prog, err := s.Program(ctx)
	if err != nil {
		return nil, false, err
	}
	now := s.clock()
	err = s.store.LoyaltyTx(ctx, func(tx Tx) error {
		return s.change(ctx, tx, customerID, func(st *state, add func(*LedgerEntry) error) error {
			// The key is looked up under the account's lock: the same key
			// sent twice at once, the second waits here and finds the
			// first's hold.
			if h, err := tx.HoldByRef(ctx, ref); err != nil || h != nil {
				if h != nil && (h.CustomerID != customerID || h.Points != points) {
					return kizuna.FieldError("ref", "hold %s was made with this key for %d points of customer %s", h.ID, h.Points, h.CustomerID)
				}
				out, repeated = h, h != nil
				return err
			}
			if have := st.available(now); have < points {
				e := kizuna.Errorf(kizuna.ECONFLICT, "%d points are available, %d were asked for", have, points)
				e.Field = "points"
				return e
			}
			h := &Hold{ID: kizuna.NewID("hld"), CustomerID: customerID, Points: points, Status: HoldActive, Ref: ref, OrderRef: orderRef,
				ExpiresAt: now.Add(time.Duration(prog.HoldMinutes) * time.Minute), CreatedAt: now}
			st.holds[h.ID] = h
			out = h
			return add(&LedgerEntry{Kind: KindHold, Points: -points, HoldID: h.ID, Ref: "hold:" + ref, Reason: orderRef, ActorID: actor.ID, At: now})
		})
	})
	if err != nil {
		return nil, false, err
	}
	return out, repeated, nil
}

// SetProgram replaces the program's rules; audited. Orders placed from
// now on earn by them; orders placed before keep the rules they were
// placed under, returns included, so points already earned stay as they
// are.
func (s *Service) SetProgram(ctx context.Context, actor kizuna.Actor, p Program) (Program, error) {
	return s.SetProgramFrom(ctx, actor, p, s.clock())
}

// SetProgramFrom is SetProgram for orders placed from a given time on (the
// zero time: all orders, as when a program is loaded with the data it
// was in force for).
func (s *Service) SetProgramFrom(ctx context.Context, actor kizuna.Actor, p Program, from time.Time) (Program, error) {
	if err := p.Validate(); err != nil {
		return Program{}, err
	}
	now := s.clock()
	err := s.store.LoyaltyTx(ctx, func(tx Tx) error {
		if err := tx.SetProgram(ctx, p, from); err != nil {
			return err
		}
		return tx.Audit(ctx, audit.New(actor, now, "points.program", "setting", "loyalty_program", "", map[string]any{"program": p}))
	})
	s.mu.Lock()
	s.program, s.versions = nil, nil // read again, as stored
	s.mu.Unlock()
	return p, err
}

// Commit spends a hold's points; Release gives them back. Both are
// idempotent: committing a committed hold answers it again. Committing a
// released hold (or the reverse) is a conflict that says its status.
// reason (optional) goes into the ledger entry.
func (s *Service) Commit(ctx context.Context, actor kizuna.Actor, holdID, reason string) (*Hold, error) {
	return s.settle(ctx, actor, holdID, KindCommit, strings.TrimSpace(reason))
}

// Release gives a hold's points back.
func (s *Service) Release(ctx context.Context, actor kizuna.Actor, holdID, reason string) (*Hold, error) {
	return s.settle(ctx, actor, holdID, KindRelease, strings.TrimSpace(reason))
}

func (s *Service) settle(ctx context.Context, actor kizuna.Actor, holdID string, kind Kind, reason string) (*Hold, error) {
	now := s.clock()
	want := map[Kind]string{KindCommit: HoldCommitted, KindRelease: HoldReleased}[kind]
	var out *Hold
	err := s.store.LoyaltyTx(ctx, func(tx Tx) error {
		h, err := tx.HoldByID(ctx, holdID)
		if err != nil {
			return err
		}
		if h == nil {
			return kizuna.Errorf(kizuna.ENOTFOUND, "no hold %s", holdID)
		}
		return s.change(ctx, tx, h.CustomerID, func(st *state, add func(*LedgerEntry) error) error {
			cur := st.holds[holdID]
			if cur == nil { // settled before: not among the active holds
				h, err := tx.HoldByID(ctx, holdID) // again, now that the account is locked
				if err != nil {
					return err
				}
				out = h
				if h.Status == want {
					return nil
				}
				e := kizuna.Errorf(kizuna.ECONFLICT, "hold %s was %s", holdID, h.Status)
				e.Current = h.Status
				return e
			}
			if kind == KindCommit && !now.Before(cur.ExpiresAt) {
				// Past its time the hold is released (by the expiry run,
				// within a minute), never spent: the till's sale must hold
				// again.
				e := kizuna.Errorf(kizuna.ECONFLICT, "hold %s timed out at %s; hold the points again", holdID, cur.ExpiresAt.Format(time.RFC3339))
				e.Current = "expired"
				return e
			}
			points := int64(0)
			if kind == KindRelease {
				points = cur.Points
			}
			if err := add(&LedgerEntry{Kind: kind, Points: points, HoldID: holdID, Reason: reason, ActorID: actor.ID, At: now}); err != nil {
				return err
			}
			out = cur
			return nil
		})
	})
	return out, err
}

// Adjust adds or takes points by hand, with a reason, within the limit
// the program sets for the staff member's role; audited. ref makes it
// idempotent.
func (s *Service) Adjust(ctx context.Context, actor kizuna.Actor, role, customerID string, points int64, reason, ref string) (*LedgerEntry, error) {
	reason, ref = strings.TrimSpace(reason), strings.TrimSpace(ref)
	prog, err := s.Program(ctx)
	if err != nil {
		return nil, err
	}
	limit, ok := prog.AdjustLimits[role]
	switch {
	case points == 0:
		return nil, kizuna.FieldError("points", "must not be 0")
	case reason == "":
		return nil, kizuna.FieldError("reason", "an adjustment needs a reason (お詫び, 付与漏れ, …)")
	case !ok:
		return nil, &kizuna.Error{Code: kizuna.EFORBIDDEN, Field: "points", Message: fmt.Sprintf("the role %q may not adjust points", role)}
	case points > limit || -points > limit:
		return nil, &kizuna.Error{Code: kizuna.EFORBIDDEN, Field: "points", Message: fmt.Sprintf("the role %q may adjust at most %d points at a time", role, limit)}
	}
	now := s.clock()
	var out *LedgerEntry
	err = s.store.LoyaltyTx(ctx, func(tx Tx) error {
		if ref != "" {
			if e, err := tx.EntryByRef(ctx, "adjust:"+ref); err != nil || e != nil {
				out = e
				return err
			}
		}
		err := s.change(ctx, tx, customerID, func(st *state, add func(*LedgerEntry) error) error {
			e := LedgerEntry{Kind: KindAdjust, Points: points, Reason: reason, ActorID: actor.ID, At: now}
			if ref != "" {
				e.Ref = "adjust:" + ref
			}
			if points > 0 {
				exp := prog.expiry(now)
				e.AvailableAt, e.ExpiresAt = &now, &exp
			} else if have := st.available(now); have < -points {
				ce := kizuna.Errorf(kizuna.ECONFLICT, "%d points are available, the adjustment takes %d", have, -points)
				ce.Field = "points"
				return ce
			}
			if err := add(&e); err != nil {
				return err
			}
			out = &e
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Audit(ctx, audit.New(actor, now, "points.adjust", "customer", customerID, customerID, map[string]any{"points": points, "reason": reason, "entry_id": out.ID}))
	})
	return out, err
}

// EarnForOrder settles an order's points: what it earns as it stands
// (lines net of returns; nothing when cancelled), less what it earned
// before, as an earn or a reversal. Running it again changes nothing, so
// it is safe after every order change, and after a crash.
func (s *Service) EarnForOrder(ctx context.Context, orderID string) error {
	// The programs are read before the transaction (earnTx picks the one
	// of the order's time from what was read).
	if _, err := s.Program(ctx); err != nil {
		return err
	}
	now := s.clock()
	var who string
	err := s.store.LoyaltyTx(ctx, func(tx Tx) (err error) {
		who, err = s.earnTx(ctx, tx, now, orderID)
		return err
	})
	if err != nil || who == "" {
		return err
	}
	_, err = s.EvaluateRanks(ctx, []string{who})
	return err
}

// earnTx settles an order's points and returns its customer.
func (s *Service) earnTx(ctx context.Context, tx Tx, now time.Time, orderID string) (string, error) {
	o, sofar, err := tx.OrderForPoints(ctx, orderID)
	if err != nil {
		return "", err
	}
	if o.CustomerID == "" {
		return "", nil // a guest order earns once it is attached
	}
	p, err := s.programFor(ctx, o.PlacedAt)
	if err != nil {
		return "", err
	}
	prog := &p
	skus := make([]string, len(o.Lines))
	for i, l := range o.Lines {
		skus[i] = l.SKU
	}
	cats, err := tx.Categories(ctx, skus)
	if err != nil {
		return "", err
	}
	rank := 1.0
	if len(prog.Ranks) > 0 {
		history, err := tx.RankChanges(ctx, o.CustomerID)
		if err != nil {
			return "", err
		}
		rank = prog.RankMultiplierAt(history, o.PlacedAt)
	}
	diff := prog.Earned(o, cats, rank) - sofar
	from, delivered := prog.availableFrom(o)
	if diff > 0 && !delivered {
		// The return window starts at delivery: the order earns then
		// (delivery changes the order, which settles it again).
		diff = 0
	}
	if diff != 0 {
		// What becomes of a debt is the policy in force now, not when
		// the order was placed.
		policy, err := s.programFor(ctx, now)
		if err != nil {
			return "", err
		}
		err = s.change(ctx, tx, o.CustomerID, func(st *state, add func(*LedgerEntry) error) error {
			e := LedgerEntry{Kind: KindEarn, Points: diff, OrderID: o.ID, Reason: "order", ActorID: "loyalty", At: now}
			if diff < 0 {
				e.Kind, e.Reason = KindReverse, "order_changed"
				if o.Status == commerce.OrderCancelled {
					e.Reason = "order_cancelled"
				} else if len(o.Returns) > 0 {
					e.Reason = "order_returned"
				}
				owed := st.acct.Debt
				if err := add(&e); err != nil {
					return err
				}
				return settleDebt(st, add, policy.DebtPolicy, st.acct.Debt-owed, o.ID, now)
			}
			avail := from.AddDate(0, 0, prog.PendingDays)
			exp := prog.expiry(o.PlacedAt)
			e.AvailableAt, e.ExpiresAt = &avail, &exp
			e.Extends = prog.ExtendOnActivity
			return add(&e)
		})
		if err != nil {
			return "", err
		}
	}
	if o.PointsUsed > 0 && (o.Status == commerce.OrderCancelled || len(o.Returns) > 0) {
		if err := s.giveBackPointsUsed(ctx, tx, prog, now, o); err != nil {
			return "", err
		}
	}
	return o.CustomerID, tx.SetOrderEarned(ctx, o.ID, o.Version)
}

// settleDebt applies the debt policy to the debt a reversal just made:
// with balance, the points the customer can spend now pay it off first
// (a repay entry); with write_off it is forgiven (a forgive entry); with
// earnings it waits for later earnings.
func settleDebt(st *state, add func(*LedgerEntry) error, policy string, debt int64, orderID string, now time.Time) error {
	if debt <= 0 {
		return nil
	}
	switch policy {
	case DebtFromBalance:
		if x := min(debt, st.available(now)); x > 0 {
			return add(&LedgerEntry{Kind: KindRepay, Points: -x, OrderID: orderID, Reason: "debt_repaid_from_balance", ActorID: "loyalty", At: now})
		}
	case DebtWriteOff:
		return add(&LedgerEntry{Kind: KindForgive, Debt: debt, OrderID: orderID, Reason: "debt_written_off", ActorID: "loyalty", At: now})
	}
	return nil
}

// giveBackPointsUsed returns to the customer the points that paid for an
// order that was then cancelled or partly returned: those of the holds
// committed for it (by its number, as the till and the API's order_ref
// give it), up to the points the order says were used, all of them for a
// cancellation and by the program's PointsRefund rule for returns. Each
// change gives back what the order's returns now call for less what was
// given back before, as an adjustment valid from now; its key names the
// total reached, so that settling the order again gives nothing twice.
func (s *Service) giveBackPointsUsed(ctx context.Context, tx Tx, prog *Program, now time.Time, o *commerce.Order) error {
	reason := "order_returned_points_returned"
	if o.Status == commerce.OrderCancelled {
		reason = "order_cancelled_points_returned"
	}
	// Read under the customer's lock: two orders of one number in two
	// channels, settled at once, then see each other's give-backs.
	return s.change(ctx, tx, o.CustomerID, func(st *state, add func(*LedgerEntry) error) error {
		holds, err := tx.CommittedHoldsFor(ctx, o.CustomerID, o.ExternalID)
		if err != nil {
			return err
		}
		given, others, err := tx.PointsGivenBack(ctx, o.CustomerID, o.ID, o.ExternalID)
		if err != nil {
			return err
		}
		// Holds know the sale by its number alone: points another
		// channel's order of the same number got back are not there to
		// give again.
		paid := -others
		for _, h := range holds {
			paid += h.Points
		}
		target := prog.PointsBack(o, paid)
		give := target - given
		if give <= 0 {
			return nil
		}
		exp := prog.expiry(now)
		return add(&LedgerEntry{Kind: KindAdjust, Points: give, OrderID: o.ID, Reason: reason, Ref: fmt.Sprintf("%s%s:%d", RefundRefPrefix, o.ID, target),
			ActorID: "loyalty", At: now, AvailableAt: &now, ExpiresAt: &exp})
	})
}

// RefundRefPrefix begins the key of an entry that gives back points spent
// on an order ("refund:ORDER:TOTAL"; before partial returns gave points
// back, "refund:ORDER").
const RefundRefPrefix = "refund:"

// EarnPending settles the orders changed since their points were last
// settled, up to limit, in one transaction, and says how many it settled.
// Should the batch fail, each order is tried on its own, so that one
// order the ledger refuses does not hold up the others: the first such
// error is returned with the count.
func (s *Service) EarnPending(ctx context.Context, limit int) (int, error) {
	ids, err := s.store.OrdersToEarn(ctx, limit)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	if _, err := s.Program(ctx); err != nil { // read once, not in the transaction
		return 0, err
	}
	now := s.clock()
	var who []string
	err = s.store.LoyaltyTx(ctx, func(tx Tx) error {
		who = who[:0]
		for _, id := range ids {
			c, err := s.earnTx(ctx, tx, now, id)
			if err != nil {
				return err
			}
			if c != "" {
				who = append(who, c)
			}
		}
		return nil
	})
	if err == nil {
		// Ranks follow the orders: evaluated after the points they earned
		// at the rank held when each was placed.
		_, err = s.EvaluateRanks(ctx, who)
		return len(ids), err
	}
	done := 0
	var first error
	for _, id := range ids {
		if err := s.EarnForOrder(ctx, id); err != nil {
			if first == nil {
				first = fmt.Errorf("points for order %s: %w", id, err)
			}
			continue
		}
		done++
	}
	return done, first
}

// EarnAll runs EarnPending in batches until no order is left to settle,
// and says how many it settled.
func (s *Service) EarnAll(ctx context.Context, batch int) (int, error) {
	total := 0
	for {
		n, err := s.EarnPending(ctx, batch)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// ExpireAll runs ExpireDue in batches until no customer is due, and says
// how many customers it went through and how many points expired.
func (s *Service) ExpireAll(ctx context.Context, batch int) (customers int, expired int64, err error) {
	for {
		n, pts, err := s.ExpireDue(ctx, batch)
		customers, expired = customers+n, expired+pts
		if err != nil || n == 0 {
			return customers, expired, err
		}
	}
}

// ExpireDue expires the lots past their validity and releases the holds
// past their time, for up to limit customers in one transaction (each
// customer on its own should the batch fail); it says how many customers
// it went through and how many points expired.
func (s *Service) ExpireDue(ctx context.Context, limit int) (customers int, expired int64, err error) {
	now := s.clock()
	ids, err := s.store.DuePoints(ctx, now, limit)
	if err != nil || len(ids) == 0 {
		return 0, 0, err
	}
	expire := func(tx Tx, id string) error {
		return s.change(ctx, tx, id, func(st *state, add func(*LedgerEntry) error) error {
			for hid, h := range st.holds {
				if h.Status == HoldActive && !h.ExpiresAt.After(now) {
					if err := add(&LedgerEntry{Kind: KindRelease, Points: h.Points, HoldID: hid, Reason: "hold_timeout", ActorID: "loyalty", At: now}); err != nil {
						return err
					}
				}
			}
			for _, l := range st.lots {
				if l.Remaining > 0 && !l.ExpiresAt.After(now) {
					n := l.Remaining
					if err := add(&LedgerEntry{Kind: KindExpire, Points: -n, Lot: l.ID, Reason: "expired", ActorID: "loyalty", At: now}); err != nil {
						return err
					}
					expired += n
				}
			}
			return nil
		})
	}
	err = s.store.LoyaltyTx(ctx, func(tx Tx) error {
		for _, id := range ids {
			if err := expire(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return len(ids), expired, nil
	}
	expired = 0
	var first error
	for _, id := range ids {
		before := expired
		if err := s.store.LoyaltyTx(ctx, func(tx Tx) error { return expire(tx, id) }); err != nil {
			expired = before // rolled back
			if first == nil {
				first = fmt.Errorf("expire points of %s: %w", id, err)
			}
		}
	}
	return len(ids), expired, first
}

// HoldByID is a hold as it is now (ENOTFOUND when there is none).
// HoldByRef finds a hold by the key it was made with (a till's store, day
// and receipt); nil when there is none.
func (s *Service) HoldByRef(ctx context.Context, ref string) (*Hold, error) {
	var h *Hold
	err := s.store.LoyaltyTx(ctx, func(tx Tx) (err error) {
		h, err = tx.HoldByRef(ctx, ref)
		return err
	})
	return h, err
}

func (s *Service) HoldByID(ctx context.Context, id string) (*Hold, error) {
	var h *Hold
	err := s.store.LoyaltyTx(ctx, func(tx Tx) (err error) {
		h, err = tx.HoldByID(ctx, id)
		return err
	})
	if err == nil && h == nil {
		err = kizuna.Errorf(kizuna.ENOTFOUND, "hold %s not found", id)
	}
	return h, err
}
