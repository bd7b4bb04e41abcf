package identity

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
)

// SearchResult is one customer found by the console's search box, with what
// matched.
type SearchResult struct {
	Customer customer.Customer
	Match    string // "email", "phone", "card", "name", "reading", "postal_code"
	Exact    bool
}

// Search reads one search box (see customer.ParseSearch) and returns up to
// limit active customers: exact identifier matches first, then exact
// names, then names that start with what was typed.
func (s *Service) Search(ctx context.Context, q string, limit int) ([]SearchResult, error) {
	sq := customer.ParseSearch(q)
	type hit struct {
		id, match string
		exact     bool
	}
	var hits []hit
	seen := map[string]bool{}
	for _, k := range sq.Keys {
		ids, err := s.store.CustomersByKey(ctx, k)
		if err != nil {
			return nil, err
		}
		kind, _, _ := strings.Cut(k, ":")
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				hits = append(hits, hit{id, kind, true})
			}
		}
	}
	for _, p := range sq.Prefixes {
		found, err := s.store.SearchPrefix(ctx, p, limit)
		if err != nil {
			return nil, err
		}
		for _, h := range found {
			if !seen[h.CustomerID] {
				seen[h.CustomerID] = true
				hits = append(hits, hit{h.CustomerID, termKind(p), h.Term == p})
			}
		}
	}
	// Exact matches first; otherwise the order each source gave.
	slices.SortStableFunc(hits, func(a, b hit) int {
		switch {
		case a.exact == b.exact:
			return 0
		case a.exact:
			return -1
		}
		return 1
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	cs, err := s.store.CustomersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]customer.Customer, len(cs))
	for _, c := range cs {
		byID[c.ID] = c
	}
	out := make([]SearchResult, 0, len(hits))
	for _, h := range hits {
		if c, ok := byID[h.id]; ok && c.Status == customer.StatusActive {
			out = append(out, SearchResult{Customer: c, Match: h.match, Exact: h.exact})
		}
	}
	return out, nil
}

func termKind(prefix string) string {
	switch {
	case strings.HasPrefix(prefix, customer.TermName):
		return "name"
	case strings.HasPrefix(prefix, customer.TermRomaji):
		return "reading"
	case strings.HasPrefix(prefix, customer.TermPostal):
		return "postal_code"
	}
	return "other"
}

// MaxNoteLength bounds a staff note (in characters).
const MaxNoteLength = 2000

// AddNote stores a staff note on a customer, audited.
func (s *Service) AddNote(ctx context.Context, actor kizuna.Actor, customerID, body string) (*customer.Note, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return nil, kizuna.FieldError("body", "is empty")
	}
	if n := utf8.RuneCountInString(body); n > MaxNoteLength {
		return nil, kizuna.FieldError("body", "is %d characters; at most %d", n, MaxNoteLength)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	n := &customer.Note{ID: kizuna.NewID("note"), CustomerID: customerID, AuthorID: actor.ID, AuthorName: actor.Name, Body: body, CreatedAt: now}
	err := s.store.WithTx(ctx, func(tx customer.Tx) error {
		c, err := tx.GetCustomer(ctx, customerID)
		if err != nil {
			return err
		}
		if c.Status != customer.StatusActive {
			return kizuna.Errorf(kizuna.ECONFLICT, "customer %s is %s; add the note to the surviving customer", customerID, c.Status)
		}
		if err := tx.InsertNote(ctx, n); err != nil {
			return err
		}
		// The note's text may hold personal data: the audit keeps its length only.
		return tx.Audit(ctx, audit.New(actor, now, "customer.note", "note", n.ID, customerID, map[string]any{"length": utf8.RuneCountInString(body)}))
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}
