package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// Get returns a customer, following merges to the survivor: an integrator
// holding a merged ID still reaches the person.
func (s *Service) Get(ctx context.Context, id string) (*customer.Customer, error) {
	for range 32 {
		c, err := s.store.GetCustomer(ctx, id)
		if err != nil {
			return nil, err
		}
		if c.Status != customer.StatusMerged || c.MergedInto == "" {
			return c, nil
		}
		id = c.MergedInto
	}
	return nil, kizuna.Errorf(kizuna.EINTERNAL, "merge chain from customer %s is too long", id)
}

// ETag is the entity tag of a customer version.
func ETag(c *customer.Customer) string { return `"v` + strconv.Itoa(c.Version) + `"` }

// Create makes a customer from staff or API input. Like any source record it
// goes through One ID: if the data identifies an existing customer, it joins
// that customer instead (Result.Status tells which).
func (s *Service) Create(ctx context.Context, actor kizuna.Actor, profile json.RawMessage) (Result, error) {
	id := kizuna.NewID("cus")
	in := customer.SourceProfileInput{Channel: customer.ManualChannel, ExternalID: id, Profile: profile}
	e, err := s.loadEnv(ctx)
	if err != nil {
		return Result{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	p, err := s.prepare(ctx, e, nil, 0, in, now)
	if err != nil {
		return Result{}, err
	}
	p.newCustomerID = id
	results := make([]Result, 1)
	if err := s.store.WithTx(ctx, func(tx customer.Tx) error { return s.ingestTx(ctx, tx, e, actor, []*prepared{p}, results, now) }); err != nil {
		return Result{}, err
	}
	return results[0], nil
}

// Patch applies a JSON merge patch (RFC 7396) of golden profile fields as a
// staff edit. Edits are kept as the customer's "manual" source record, so
// they take part in survivorship (ranked first by default) and lineage, and
// never overwrite what a channel sent. ifMatch, when not empty, must equal
// the current ETag.
func (s *Service) Patch(ctx context.Context, actor kizuna.Actor, id, ifMatch string, patch json.RawMessage) (*customer.Customer, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(patch, &fields); err != nil || fields == nil {
		return nil, kizuna.FieldError("", "the body must be a JSON object of profile fields")
	}
	e, err := s.loadEnv(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var out *customer.Customer
	err = s.store.WithTx(ctx, func(tx customer.Tx) error {
		c, err := tx.GetCustomer(ctx, id)
		if err != nil {
			return err
		}
		if c.Status != customer.StatusActive {
			return kizuna.Errorf(kizuna.ECONFLICT, "customer %s is %s and cannot be edited", id, c.Status)
		}
		if ifMatch != "" && ifMatch != "*" && ifMatch != ETag(c) && ifMatch != "W/"+ETag(c) {
			return kizuna.Errorf(kizuna.EPRECONDITION, "customer %s has changed: your copy is %s, the current version is %s; fetch it again and reapply your edit", id, ifMatch, ETag(c))
		}
		manual, err := tx.SourceByExternal(ctx, customer.ManualChannel, id)
		if err != nil {
			return err
		}
		// Start from the current manual record; a touched name group is
		// seeded from the golden record so editing only the given name does
		// not blank the family name.
		base := map[string]any{}
		if manual != nil {
			if err := json.Unmarshal(manual.Raw, &base); err != nil {
				return fmt.Errorf("manual record of %s is corrupt: %w", id, err)
			}
		}
		seed := func(trigger []string, pairs map[string]string) {
			for _, t := range trigger {
				if _, ok := fields[t]; ok {
					for k, v := range pairs {
						if _, has := base[k]; !has && v != "" {
							base[k] = v
						}
					}
					return
				}
			}
		}
		g := c.Profile
		seed([]string{"family_name", "given_name"}, map[string]string{"family_name": g.FamilyName, "given_name": g.GivenName})
		seed([]string{"family_name_kana", "given_name_kana"}, map[string]string{"family_name_kana": g.FamilyNameKana, "given_name_kana": g.GivenNameKana})
		seed([]string{"family_name_romaji", "given_name_romaji"}, map[string]string{"family_name_romaji": g.FamilyNameRomaji, "given_name_romaji": g.GivenNameRomaji})
		for k, v := range fields {
			if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
				delete(base, k)
				continue
			}
			var val any
			if err := json.Unmarshal(v, &val); err != nil {
				return kizuna.FieldError(k, "invalid JSON value")
			}
			base[k] = val
		}
		raw, err := json.Marshal(base)
		if err != nil {
			return err
		}
		p, err := ParseProfile(raw, "profile", customer.ManualChannel, now, e.attrs)
		if err != nil {
			// A patch names fields as its body does, every problem's.
			for _, fe := range kizuna.FieldErrors(err) {
				fe.Field = strings.TrimPrefix(fe.Field, "profile.")
			}
			return err
		}
		// No LockKeys here: the customer row is already locked, and taking
		// key locks after a row lock could deadlock with ingest, which takes
		// them in the other order.
		keys := Keys(customer.ManualChannel, id, &p)
		if manual == nil {
			manual = &customer.SourceProfile{ID: kizuna.NewID("src"), CustomerID: id, Channel: customer.ManualChannel, ExternalID: id,
				Version: 1, Profile: p, Raw: raw, ObservedAt: now, ReceivedAt: now, CreatedAt: now}
			err = tx.InsertSource(ctx, manual)
		} else {
			manual.Version++
			manual.Profile, manual.Raw, manual.ObservedAt, manual.ReceivedAt = p, raw, now, now
			err = tx.AddSourceVersion(ctx, manual)
		}
		if err != nil {
			return err
		}
		if err := tx.SetKeys(ctx, manual.ID, id, keys); err != nil {
			return err
		}
		if err := s.recompute(ctx, tx, e, actor, id, now); err != nil {
			return err
		}
		out, err = tx.GetCustomer(ctx, id)
		return err
	})
	return out, err
}

// Lookup finds customers by one identifier. kind is email, phone, card or
// ext (value "channel:external_id").
func (s *Service) Lookup(ctx context.Context, kind, value string) ([]customer.Customer, error) {
	var key string
	switch kind {
	case customer.KeyEmail:
		v, err := normalize.Email(value)
		if err != nil {
			return nil, kizuna.FieldError("email", "%v", err)
		}
		key = customer.Key(kind, v)
	case customer.KeyPhone:
		v, _, err := normalize.Phone(value)
		if err != nil {
			return nil, kizuna.FieldError("phone", "%v", err)
		}
		key = customer.Key(kind, v)
	case customer.KeyCard:
		v := normalize.MemberCard(value)
		if v == "" {
			return nil, kizuna.FieldError("card", "is empty")
		}
		key = customer.Key(kind, v)
	case customer.KeyExternal:
		key = customer.Key(kind, value)
	default:
		return nil, kizuna.FieldError("kind", "unknown identifier kind %q", kind)
	}
	ids, err := s.store.CustomersByKey(ctx, key)
	if err != nil {
		return nil, err
	}
	out := make([]customer.Customer, 0, len(ids))
	for _, id := range ids {
		c, err := s.store.GetCustomer(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}
