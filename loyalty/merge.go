package loyalty

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PointMove is points a merge (or its undoing) has yet to move.
type PointMove struct {
	MergeID string
	From    string // the merged customer; on an unmerge, the survivor
	To      string
	Back    bool // the merge was undone: the lots it brought go back
}

// MoveMerged moves points along merges, as the ledger's entries say: a
// merged customer's lots go to the customer it was merged into (merge_out
// and merge_in, keeping each lot's availability and expiry), with their
// debt, and when a merge is undone, whatever is left of the lots and the
// debt it brought goes back. Each move is made once (its entries carry the
// merge's ID). A move waits while the customer it moves from has points
// held at a till: the sale completes or its hold times out, and the move
// follows. kizuna serve runs it every minute, so points follow a merge
// made anywhere (console, API, kizuna resolve) without the merge waiting
// for the ledger. It says how many moves it made.
func (s *Service) MoveMerged(ctx context.Context, limit int) (int, error) {
	moves, err := s.store.PendingPointMoves(ctx, limit)
	if err != nil {
		return 0, err
	}
	now := s.clock()
	done := 0
	for _, m := range moves {
		err := s.store.LoyaltyTx(ctx, func(tx Tx) error { return s.move(ctx, tx, m, now) })
		switch {
		case errors.Is(err, errHeld):
			continue // the next run moves them
		case err != nil:
			return done, fmt.Errorf("move points of merge %s: %w", m.MergeID, err)
		}
		done++
	}
	return done, nil
}

// errHeld stops a move while the customer it moves from has points on hold.
var errHeld = errors.New("points are held")

func (s *Service) move(ctx context.Context, tx Tx, m PointMove, now time.Time) error {
	prefix := "merge:" + m.MergeID
	if m.Back {
		prefix = "unmerge:" + m.MergeID
	}
	if e, err := tx.EntryByRef(ctx, prefix+":out"); err != nil || e != nil {
		return err // made already
	}
	var only []string // on an unmerge: the lots the merge brought
	var brought int64 // and its debt
	if m.Back {
		in, err := tx.EntryByRef(ctx, "merge:"+m.MergeID+":in")
		if err != nil || in == nil {
			return err
		}
		for _, l := range in.Moved {
			only = append(only, l.ID)
		}
		brought = in.Debt
	}
	var moved []Lot
	var sum, debt int64 // what moves: the lots' points and the debt
	err := s.change(ctx, tx, m.From, func(st *state, add func(*LedgerEntry) error) error {
		if st.acct.Held > 0 {
			// A hold's release gives points back to the lots it took
			// from: they stay where they are until the hold is done.
			return errHeld
		}
		moved = st.movedLots(only)
		if only == nil && moved == nil {
			moved = []Lot{} // nothing to move, but the move is recorded as made
		}
		debt = st.acct.Debt
		if m.Back {
			// What the survivor has not yet recovered of the debt the
			// merge brought.
			debt = min(brought, st.acct.Debt)
		}
		for _, l := range moved {
			sum += l.Remaining
		}
		return add(&LedgerEntry{Kind: KindMergeOut, Points: -sum, Moved: moved, Debt: debt, Reason: "merge " + m.MergeID, Ref: prefix + ":out", ActorID: "loyalty", At: now})
	})
	if err != nil {
		return err
	}
	return s.change(ctx, tx, m.To, func(st *state, add func(*LedgerEntry) error) error {
		return add(&LedgerEntry{Kind: KindMergeIn, Points: sum, Moved: moved, Debt: debt, Reason: "merge " + m.MergeID, Ref: prefix + ":in", ActorID: "loyalty", At: now})
	})
}
