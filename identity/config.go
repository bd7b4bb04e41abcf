package identity

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

var (
	codePattern     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	locationPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$`) // POS store codes are often upper case
)

func (s *Service) configTx(ctx context.Context, actor kizuna.Actor, action, objType, objID string, detail any, fn func(customer.Tx) error) error {
	now := s.now().UTC()
	return s.store.WithTx(ctx, func(tx customer.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Audit(ctx, audit.New(actor, now, action, objType, objID, "", detail))
	})
}

// UpsertChannel creates or changes a channel.
func (s *Service) UpsertChannel(ctx context.Context, actor kizuna.Actor, c customer.Channel) error {
	if !codePattern.MatchString(c.Code) {
		return kizuna.FieldError("code", "must be 1-40 characters of a-z, 0-9, '_' and '-', starting with a letter or digit")
	}
	if strings.TrimSpace(c.Name) == "" {
		return kizuna.FieldError("name", "is required")
	}
	if !slices.Contains(customer.ChannelKinds, c.Kind) {
		return kizuna.FieldError("kind", "must be one of %s", strings.Join(customer.ChannelKinds, ", "))
	}
	if (c.Code == customer.ManualChannel) != (c.Kind == customer.KindManual) {
		return kizuna.FieldError("kind", "only the built-in channel %q has kind manual", customer.ManualChannel)
	}
	return s.configTx(ctx, actor, "channel.upsert", "channel", c.Code, c, func(tx customer.Tx) error { return tx.UpsertChannel(ctx, c) })
}

// UpsertLocation creates or changes a store or other location.
func (s *Service) UpsertLocation(ctx context.Context, actor kizuna.Actor, l customer.Location) error {
	if !locationPattern.MatchString(l.Code) {
		return kizuna.FieldError("code", "must be 1-40 characters of A-Z, a-z, 0-9, '_' and '-'")
	}
	if strings.TrimSpace(l.Name) == "" {
		return kizuna.FieldError("name", "is required")
	}
	if l.Latitude < 20 || l.Latitude > 46 || l.Longitude < 122 || l.Longitude > 154 {
		if l.Latitude != 0 || l.Longitude != 0 {
			return kizuna.FieldError("latitude", "coordinates %.5f, %.5f are outside Japan", l.Latitude, l.Longitude)
		}
	}
	if p := normalize.Prefecture(l.Prefecture); p != "" {
		l.Prefecture = p
	} else if l.Prefecture != "" {
		return kizuna.FieldError("prefecture", "%q is not a Japanese prefecture", l.Prefecture)
	}
	return s.configTx(ctx, actor, "location.upsert", "location", l.Code, l, func(tx customer.Tx) error {
		if _, err := tx.Channel(ctx, l.Channel); err != nil {
			return kizuna.FieldError("channel", "unknown channel %q", l.Channel)
		}
		return tx.UpsertLocation(ctx, l)
	})
}

var attrPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// UpsertAttribute declares or changes a custom attribute.
func (s *Service) UpsertAttribute(ctx context.Context, actor kizuna.Actor, a customer.AttributeDef) error {
	if !attrPattern.MatchString(a.Name) {
		return kizuna.FieldError("name", "must start with a-z and contain only a-z, 0-9 and '_' (at most 63)")
	}
	if !slices.Contains([]string{"string", "integer", "number", "boolean", "date"}, a.Type) {
		return kizuna.FieldError("type", "must be one of string, integer, number, boolean, date")
	}
	return s.configTx(ctx, actor, "attribute.upsert", "attribute", a.Name, a, func(tx customer.Tx) error { return tx.UpsertAttribute(ctx, a) })
}

// SetSurvivorship changes the rules. They apply to each customer the next
// time its records change.
func (s *Service) SetSurvivorship(ctx context.Context, actor kizuna.Actor, r customer.Survivorship) error {
	if r.Default != "" && !slices.Contains(customer.Rules, r.Default) {
		return kizuna.FieldError("default", "unknown rule %q", r.Default)
	}
	for f, rule := range r.Fields {
		if !slices.Contains(customer.GoldenFields, f) {
			return kizuna.FieldError("fields."+f, "unknown field; valid: %s", strings.Join(customer.GoldenFields, ", "))
		}
		if !slices.Contains(customer.Rules, rule) {
			return kizuna.FieldError("fields."+f, "unknown rule %q", rule)
		}
	}
	return s.configTx(ctx, actor, "survivorship.update", "settings", "survivorship", r, func(tx customer.Tx) error { return tx.SetSurvivorship(ctx, r) })
}

// AcceptDuplicate decides a possible duplicate is one person: the newer
// customer is merged into the older (IDs sort by creation), and the pair is
// marked merged with who decided.
func (s *Service) AcceptDuplicate(ctx context.Context, actor kizuna.Actor, id, reason string) (*customer.Merge, error) {
	e, err := s.loadEnv(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var m *customer.Merge
	err = s.store.WithTx(ctx, func(tx customer.Tx) error {
		d, err := tx.Duplicate(ctx, id)
		if err != nil {
			return err
		}
		if d.Status != customer.DuplicateOpen {
			return kizuna.Errorf(kizuna.ECONFLICT, "possible duplicate %s is already %s", id, d.Status)
		}
		if d.CustomerID == d.OtherID {
			// An earlier merge joined the two already.
			return kizuna.Errorf(kizuna.ECONFLICT, "possible duplicate %s: both sides are customer %s already", id, d.CustomerID)
		}
		if reason == "" {
			reason = "review: " + d.Reason
		}
		survivor, merged := min(d.CustomerID, d.OtherID), max(d.CustomerID, d.OtherID)
		if m, err = s.mergeTx(ctx, tx, e, actor, survivor, merged, reason, now); err != nil {
			return err
		}
		// The merge marked the pair merged (both ends now the survivor);
		// record who decided.
		if d, err = tx.Duplicate(ctx, id); err != nil {
			return err
		}
		d.Status, d.DecidedBy, d.DecidedAt = customer.DuplicateMerged, actor.ID, &now
		return tx.SetDuplicate(ctx, *d)
	})
	return m, err
}

// BulkResult is what a bulk accept did.
type BulkResult struct {
	Accepted int      `json:"accepted"`
	Skipped  int      `json:"skipped" doc:"Pairs already resolved by an earlier merge in the same run, or no longer mergeable"`
	Merges   []string `json:"merge_ids"`
}

// AcceptDuplicatesAbove accepts up to limit open possible duplicates with
// a match probability of at least min, most probable first. A pair an
// earlier merge of the run already joined is marked merged; one that
// cannot be merged any more (a side erased) is skipped and stays open.
func (s *Service) AcceptDuplicatesAbove(ctx context.Context, actor kizuna.Actor, minP float64, limit int) (*BulkResult, error) {
	if minP < 0.5 || minP > 1 {
		return nil, kizuna.FieldError("min_probability", "must be between 0.5 and 1")
	}
	dups, err := s.store.Duplicates(ctx, customer.DuplicateOpen, limit, "")
	if err != nil {
		return nil, err
	}
	res := &BulkResult{Merges: []string{}}
	for _, d := range dups {
		if d.Probability < minP {
			break
		}
		m, err := s.AcceptDuplicate(ctx, actor, d.ID, fmt.Sprintf("bulk accept at ≥ %.2f: %s", minP, d.Reason))
		switch {
		case err == nil:
			res.Accepted++
			res.Merges = append(res.Merges, m.ID)
		case kizuna.ErrorCode(err) == kizuna.ECONFLICT || kizuna.ErrorCode(err) == kizuna.EINVALID:
			res.Skipped++
		default:
			return res, err
		}
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	return res, s.store.WithTx(ctx, func(tx customer.Tx) error {
		return tx.Audit(ctx, audit.New(actor, now, "duplicate.bulk_accept", "duplicate", "", "", map[string]any{
			"min_probability": minP, "accepted": res.Accepted, "skipped": res.Skipped}))
	})
}

// DismissDuplicate marks a possible duplicate as not the same person.
func (s *Service) DismissDuplicate(ctx context.Context, actor kizuna.Actor, id, reason string) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.store.WithTx(ctx, func(tx customer.Tx) error {
		d, err := tx.Duplicate(ctx, id)
		if err != nil {
			return err
		}
		if d.Status != customer.DuplicateOpen {
			return kizuna.Errorf(kizuna.ECONFLICT, "possible duplicate %s is already %s", id, d.Status)
		}
		d.Status, d.DecidedBy, d.DecidedAt = customer.DuplicateDismissed, actor.ID, &now
		if err := tx.SetDuplicate(ctx, *d); err != nil {
			return err
		}
		// The same pair may be listed more than once (flagged before the
		// queue kept one entry per pair): the decision is about the pair.
		also := []string{}
		others, err := tx.DuplicatesOf(ctx, d.CustomerID)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.ID != d.ID && o.Status == customer.DuplicateOpen && min(o.CustomerID, o.OtherID) == min(d.CustomerID, d.OtherID) && max(o.CustomerID, o.OtherID) == max(d.CustomerID, d.OtherID) {
				o.Status, o.DecidedBy, o.DecidedAt = customer.DuplicateDismissed, actor.ID, &now
				if err := tx.SetDuplicate(ctx, o); err != nil {
					return err
				}
				also = append(also, o.ID)
			}
		}
		return tx.Audit(ctx, audit.New(actor, now, "duplicate.dismiss", "duplicate", id, d.CustomerID, map[string]any{"other_customer_id": d.OtherID, "reason": reason, "same_pair": also}))
	})
}
