package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
)

// mergeSnapshot is what a merge must remember to be undone exactly.
type mergeSnapshot struct {
	Survivor   customer.Customer    `json:"survivor"`
	Merged     customer.Customer    `json:"merged"`
	Duplicates []customer.Duplicate `json:"duplicates"`
	Orders     []string             `json:"orders,omitempty"` // the merged customer's orders, moved to the survivor
}

// lockPair reads two customers for update in ID order (deadlock-free).
func lockPair(ctx context.Context, tx customer.Tx, a, b string) (*customer.Customer, *customer.Customer, error) {
	first, second := a, b
	if second < first {
		first, second = second, first
	}
	c1, err := tx.GetCustomer(ctx, first)
	if err != nil {
		return nil, nil, err
	}
	c2, err := tx.GetCustomer(ctx, second)
	if err != nil {
		return nil, nil, err
	}
	if first == a {
		return c1, c2, nil
	}
	return c2, c1, nil
}

// Merge folds customer mergedID into survivorID: every source record (and
// with it every identifier and everything else that points at the customer)
// moves to the survivor, the survivor's golden record is rebuilt, and the
// merged customer stays behind as status "merged" so Unmerge can restore it.
func (s *Service) Merge(ctx context.Context, actor kizuna.Actor, survivorID, mergedID, reason string) (*customer.Merge, error) {
	if survivorID == mergedID {
		return nil, kizuna.FieldError("merged_id", "cannot merge a customer into itself")
	}
	e, err := s.loadEnv(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var m *customer.Merge
	err = s.store.WithTx(ctx, func(tx customer.Tx) error {
		m, err = s.mergeTx(ctx, tx, e, actor, survivorID, mergedID, reason, now)
		return err
	})
	return m, err
}

// mergeTx is Merge within a transaction.
func (s *Service) mergeTx(ctx context.Context, tx customer.Tx, e *env, actor kizuna.Actor, survivorID, mergedID, reason string, now time.Time) (*customer.Merge, error) {
	var m *customer.Merge
	err := func() error {
		surv, merged, err := lockPair(ctx, tx, survivorID, mergedID)
		if err != nil {
			return err
		}
		for _, c := range []*customer.Customer{surv, merged} {
			if c.Status != customer.StatusActive {
				return kizuna.Errorf(kizuna.ECONFLICT, "customer %s is %s; only active customers can be merged", c.ID, c.Status)
			}
		}
		dups, err := tx.DuplicatesOf(ctx, mergedID)
		if err != nil {
			return err
		}
		srcs, err := tx.SourcesOfCustomer(ctx, mergedID)
		if err != nil {
			return err
		}
		moved := make([]string, len(srcs))
		for i, sp := range srcs {
			moved[i] = sp.ID
		}
		orders, err := tx.MoveOrders(ctx, mergedID, survivorID)
		if err != nil {
			return err
		}
		snap, err := json.Marshal(mergeSnapshot{Survivor: *surv, Merged: *merged, Duplicates: dups, Orders: orders})
		if err != nil {
			return err
		}
		if err := tx.MoveSources(ctx, moved, survivorID); err != nil {
			return err
		}
		if err := tx.RepointDuplicates(ctx, mergedID, survivorID); err != nil {
			return err
		}
		for _, d := range dups {
			if d.CustomerID == survivorID || d.OtherID == survivorID {
				d.Status = customer.DuplicateMerged
				d.CustomerID, d.OtherID = survivorID, survivorID
				if err := tx.SetDuplicate(ctx, d); err != nil {
					return err
				}
			}
		}
		merged.Status, merged.MergedInto = customer.StatusMerged, survivorID
		merged.Version++
		merged.UpdatedAt = now
		if err := tx.UpdateCustomer(ctx, merged); err != nil {
			return err
		}
		if merged.Suppressed && !surv.Suppressed {
			// An erased person's identifiers stay out of marketing whichever record they end up in.
			surv.Suppressed = true
			if err := tx.UpdateCustomer(ctx, surv); err != nil {
				return err
			}
		}
		if err := s.recompute(ctx, tx, e, actor, survivorID, now); err != nil {
			return err
		}
		m = &customer.Merge{ID: kizuna.NewID("mrg"), SurvivorID: survivorID, MergedID: mergedID, MovedProfiles: moved, Snapshot: snap,
			Reason: reason, ActorID: actor.ID, CreatedAt: now}
		if err := tx.InsertMerge(ctx, m); err != nil {
			return err
		}
		return tx.Audit(ctx, audit.New(actor, now, "customer.merge", "merge", m.ID, survivorID, map[string]any{
			"survivor_id": survivorID, "merged_id": mergedID, "moved_source_profiles": len(moved), "moved_orders": len(orders), "reason": reason}))
	}()
	return m, err
}

// Unmerge undoes a merge: the merged customer comes back as it was, its
// source records move back from wherever they are now, and the possible
// duplicates return to their state before the merge. Source records that
// arrived after the merge stay with the survivor.
func (s *Service) Unmerge(ctx context.Context, actor kizuna.Actor, mergeID string) (*customer.Merge, error) {
	e, err := s.loadEnv(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var m *customer.Merge
	err = s.store.WithTx(ctx, func(tx customer.Tx) error {
		m, err = tx.GetMerge(ctx, mergeID)
		if err != nil {
			return err
		}
		if m.UndoneAt != nil {
			return kizuna.Errorf(kizuna.ECONFLICT, "merge %s was already undone at %s", mergeID, m.UndoneAt.Format(time.RFC3339))
		}
		var snap mergeSnapshot
		if err := json.Unmarshal(m.Snapshot, &snap); err != nil || snap.Merged.ID == "" {
			return kizuna.Errorf(kizuna.ECONFLICT, "merge %s cannot be undone: its snapshot was removed (the customer was erased)", mergeID)
		}
		surv, merged, err := lockPair(ctx, tx, m.SurvivorID, m.MergedID)
		if err != nil {
			return err
		}
		if merged.Status != customer.StatusMerged || merged.MergedInto != m.SurvivorID {
			return kizuna.Errorf(kizuna.ECONFLICT, "customer %s is no longer merged into %s (it is %s)", merged.ID, m.SurvivorID, merged.Status)
		}
		// Where the moved records are now: the survivor, or whoever the
		// survivor was merged into since.
		srcs, err := tx.SourcesByID(ctx, m.MovedProfiles)
		if err != nil {
			return err
		}
		owners := []string{surv.ID}
		for _, sp := range srcs {
			if !slices.Contains(owners, sp.CustomerID) {
				owners = append(owners, sp.CustomerID)
			}
		}
		if err := tx.MoveSources(ctx, m.MovedProfiles, merged.ID); err != nil {
			return err
		}
		// Its orders go back too (orders placed since stay where they are).
		if err := tx.MoveOrdersByID(ctx, snap.Orders, merged.ID); err != nil {
			return err
		}
		restored := snap.Merged
		restored.Version = merged.Version + 1
		restored.UpdatedAt = now
		if err := tx.UpdateCustomer(ctx, &restored); err != nil {
			return err
		}
		if surv.Suppressed != snap.Survivor.Suppressed && surv.Status == customer.StatusActive {
			surv.Suppressed = snap.Survivor.Suppressed
			if err := tx.UpdateCustomer(ctx, surv); err != nil {
				return err
			}
		}
		for _, d := range snap.Duplicates {
			if err := tx.SetDuplicate(ctx, d); err != nil {
				return err
			}
		}
		sort.Strings(owners)
		for _, id := range append([]string{merged.ID}, owners...) {
			c, err := tx.GetCustomer(ctx, id)
			if err != nil {
				return err
			}
			if c.Status == customer.StatusMerged {
				continue // its records live with its survivor, which is in owners
			}
			if err := s.recompute(ctx, tx, e, actor, id, now); err != nil {
				return err
			}
		}
		if err := tx.MarkMergeUndone(ctx, m.ID, now); err != nil {
			return err
		}
		m.UndoneAt = &now
		return tx.Audit(ctx, audit.New(actor, now, "customer.unmerge", "merge", m.ID, m.SurvivorID, map[string]any{
			"survivor_id": m.SurvivorID, "restored_id": m.MergedID, "moved_source_profiles": len(m.MovedProfiles)}))
	})
	return m, err
}

// Erase carries out a deletion request (個人情報保護法): personal data goes
// from the golden record, every source record and version, and merge
// snapshots; identifiers are kept only as salted hashes so that a later
// import of the same person is recognized and kept out of marketing. The
// audit trail records the fact and the reason, not the data.
func (s *Service) Erase(ctx context.Context, actor kizuna.Actor, id, reason string) error {
	if reason == "" {
		return kizuna.FieldError("reason", "an erasure needs a reason (e.g. the request's reference number)")
	}
	e, err := s.loadEnv(ctx)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.store.WithTx(ctx, func(tx customer.Tx) error {
		c, err := tx.GetCustomer(ctx, id)
		if err != nil {
			return err
		}
		if c.Status != customer.StatusActive {
			return kizuna.Errorf(kizuna.ECONFLICT, "customer %s is %s; erase the customer it was merged into (%s) instead", id, c.Status, c.MergedInto)
		}
		// Customers merged into this one carry copies of personal data.
		ids := []string{id}
		for i := 0; i < len(ids); i++ {
			more, err := tx.CustomersMergedInto(ctx, ids[i])
			if err != nil {
				return err
			}
			ids = append(ids, more...)
		}
		var hashes []string
		nsrc := 0
		for _, cid := range ids {
			srcs, err := tx.SourcesOfCustomer(ctx, cid)
			if err != nil {
				return err
			}
			for _, sp := range srcs {
				for _, k := range Keys(sp.Channel, sp.ExternalID, &sp.Profile) {
					hashes = append(hashes, e.hash(k))
				}
			}
			nsrc += len(srcs)
			if err := tx.EraseSources(ctx, cid, func(sp customer.SourceProfile) string {
				// Unique per source record: the same channel ID can be
				// erased twice (a person who came back and asked again),
				// and the (channel, external ID) pair must stay unique.
				return "erased-" + e.hash(customer.ExternalKey(sp.Channel, sp.ExternalID) + "|" + sp.ID)[:24]
			}); err != nil {
				return err
			}
			if err := tx.ScrubMerges(ctx, cid); err != nil {
				return err
			}
			if err := tx.EraseOrderContacts(ctx, cid); err != nil {
				return err
			}
			if err := tx.EraseEvents(ctx, cid); err != nil {
				return err
			}
			dups, err := tx.DuplicatesOf(ctx, cid)
			if err != nil {
				return err
			}
			for _, d := range dups {
				if d.Status == customer.DuplicateOpen {
					d.Status = customer.DuplicateDismissed
					d.Reason = "customer erased"
					if err := tx.SetDuplicate(ctx, d); err != nil {
						return err
					}
				}
			}
			x, err := tx.GetCustomer(ctx, cid)
			if err != nil {
				return err
			}
			if x.Status == customer.StatusActive {
				x.Status = customer.StatusErased
			}
			x.Profile, x.Lineage, x.Suppressed = customer.Profile{}, map[string]customer.Lineage{}, true
			x.Version++
			x.UpdatedAt = now
			if err := tx.UpdateCustomer(ctx, x); err != nil {
				return err
			}
		}
		sort.Strings(hashes)
		if err := tx.AddErased(ctx, slices.Compact(hashes)); err != nil {
			return err
		}
		return tx.Audit(ctx, audit.New(actor, now, "customer.erase", "customer", id, id, map[string]any{
			"reason": reason, "source_profiles": nsrc, "customers": len(ids), "identifiers_hashed": len(slices.Compact(hashes))}))
	})
}

// Disclosure is everything Kizuna holds about one customer.
type Disclosure struct {
	GeneratedAt    time.Time            `json:"generated_at"`
	Customer       customer.Customer    `json:"customer"`
	SourceProfiles []DisclosedSource    `json:"source_profiles"`
	Duplicates     []customer.Duplicate `json:"possible_duplicates"`
	Merges         []customer.Merge     `json:"merges"`
	AuditTrail     []audit.Entry        `json:"audit_trail"`
}

// DisclosedSource is one source record with all its versions.
type DisclosedSource struct {
	customer.SourceProfile
	Versions []customer.SourceVersion `json:"versions"`
}

// Disclose gathers the disclosure document (開示請求) for one customer.
func (s *Service) Disclose(ctx context.Context, id string) (*Disclosure, error) {
	c, err := s.store.GetCustomer(ctx, id)
	if err != nil {
		return nil, err
	}
	d := &Disclosure{GeneratedAt: s.now().UTC(), Customer: *c}
	srcs, err := s.store.SourcesOfCustomer(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, sp := range srcs {
		vs, err := s.store.SourceVersions(ctx, sp.ID)
		if err != nil {
			return nil, fmt.Errorf("versions of %s: %w", sp.ID, err)
		}
		d.SourceProfiles = append(d.SourceProfiles, DisclosedSource{SourceProfile: sp, Versions: vs})
	}
	if d.Duplicates, err = s.store.DuplicatesOf(ctx, id); err != nil {
		return nil, err
	}
	if d.Merges, err = s.store.MergesOf(ctx, id); err != nil {
		return nil, err
	}
	if s.audit != nil {
		// The customer's own trail: who saw and changed their data.
		if d.AuditTrail, err = s.audit.AuditEntries(ctx, audit.Filter{CustomerID: id, Limit: 100000}); err != nil {
			return nil, err
		}
	}
	if d.SourceProfiles == nil {
		d.SourceProfiles = []DisclosedSource{}
	}
	return d, nil
}

// MoveRecords moves source records out of the customers that hold them to
// customer to, or (to "") to a new customer, and rebuilds every golden
// record involved. It is how a wrong join is taken apart when merges
// cannot undo it (the records were joined on arrival). A customer cannot
// be left without records: merge it instead. It returns the receiving
// customer's ID.
func (s *Service) MoveRecords(ctx context.Context, actor kizuna.Actor, profileIDs []string, to, reason string) (string, error) {
	if len(profileIDs) == 0 {
		return "", kizuna.FieldError("source_profile_ids", "is empty")
	}
	e, err := s.loadEnv(ctx)
	if err != nil {
		return "", err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err = s.store.WithTx(ctx, func(tx customer.Tx) error {
		to, err = s.moveTx(ctx, tx, e, actor, profileIDs, to, reason, now)
		return err
	})
	return to, err
}

// moveTx is MoveRecords within a transaction.
func (s *Service) moveTx(ctx context.Context, tx customer.Tx, e *env, actor kizuna.Actor, profileIDs []string, to, reason string, now time.Time) (string, error) {
	err := func() error {
		srcs, err := tx.SourcesByID(ctx, profileIDs)
		if err != nil {
			return err
		}
		if len(srcs) != len(profileIDs) {
			return kizuna.Errorf(kizuna.ENOTFOUND, "%d of %d source records not found", len(profileIDs)-len(srcs), len(profileIDs))
		}
		from := []string{}
		for _, sp := range srcs {
			if !slices.Contains(from, sp.CustomerID) {
				from = append(from, sp.CustomerID)
			}
		}
		ids := append(slices.Clone(from), to)
		if to == "" {
			ids = from
		}
		slices.Sort(ids)
		cs, err := tx.GetCustomers(ctx, slices.Compact(ids))
		if err != nil {
			return err
		}
		for _, id := range ids {
			c := cs[id]
			if c == nil {
				return kizuna.Errorf(kizuna.ENOTFOUND, "customer %s not found", id)
			}
			if c.Status != customer.StatusActive {
				return kizuna.Errorf(kizuna.ECONFLICT, "customer %s is %s; records move only between active customers", id, c.Status)
			}
		}
		for _, id := range from {
			left, err := tx.SourcesOfCustomer(ctx, id)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(left, func(sp customer.SourceProfile) bool { return !slices.Contains(profileIDs, sp.ID) }) {
				return kizuna.Errorf(kizuna.ECONFLICT, "moving these records would leave customer %s with none: merge it instead", id)
			}
		}
		if to == "" {
			to = kizuna.NewID("cus")
			c := &customer.Customer{ID: to, Status: customer.StatusActive, CreatedAt: now, Version: 1, UpdatedAt: now}
			for _, id := range from {
				c.Suppressed = c.Suppressed || cs[id].Suppressed
			}
			c.Profile, c.Lineage, c.Channels = customer.BuildGolden(srcs, e.rules, e.priority)
			if err := tx.InsertCustomer(ctx, c); err != nil {
				return err
			}
			if err := tx.MoveSources(ctx, profileIDs, to); err != nil {
				return err
			}
		} else {
			if err := tx.MoveSources(ctx, profileIDs, to); err != nil {
				return err
			}
			if err := s.recompute(ctx, tx, e, actor, to, now); err != nil {
				return err
			}
		}
		for _, id := range from {
			if err := s.recompute(ctx, tx, e, actor, id, now); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, audit.New(actor, now, "source_profile.move", "customer", to, to, map[string]any{
			"from": from, "source_profile_ids": profileIDs, "reason": reason}))
	}()
	return to, err
}
