package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kizuna-oss/kizuna/customer"
)

// Candidate is what a matcher is asked about: a new source profile that
// matched no existing record by its channel's own ID.
type Candidate struct {
	Channel    string
	ExternalID string
	Profile    *customer.Profile
	Keys       []string
	// Sources reads the source records of customers (including ones
	// created earlier in the same batch), for matchers that compare
	// records rather than keys.
	Sources func(customerIDs []string) (map[string][]customer.SourceProfile, error)
}

// Decision is a matcher's answer: join CustomerID ("" means create a new
// customer), and flag Hints as possible duplicates.
type Decision struct {
	CustomerID  string
	Rule        string // what joined it: member_card, email, probabilistic, or new
	Probability float64
	Evidence    []customer.Evidence
	Hints       []Hint
}

// Hint is a possible duplicate with the reason for staff.
type Hint struct {
	OtherID        string
	Reason         string
	Probability    float64
	Evidence       []customer.Evidence
	OtherProfileID string
}

// Lookup returns the customers that currently hold an identity key,
// including ones created earlier in the same batch.
type Lookup func(key string) []string

// Matcher decides which customer a new source profile belongs to. The
// deterministic matcher is the default; a probabilistic one plugs in here.
type Matcher interface {
	Match(ctx context.Context, c Candidate, lookup Lookup) (Decision, error)
}

// Deterministic joins on exact normalized identifiers, strongest first:
// member card, then email. It never joins on a phone alone (families share
// phones) and never picks a side when identifiers disagree: both cases
// create a new customer and a possible duplicate.
type Deterministic struct{}

// Match implements Matcher.
func (Deterministic) Match(_ context.Context, c Candidate, lookup Lookup) (Decision, error) {
	byKind := func(kind string) []string {
		var ids []string
		for _, k := range c.Keys {
			if strings.HasPrefix(k, kind+":") {
				for _, id := range lookup(k) {
					if !slices.Contains(ids, id) {
						ids = append(ids, id)
					}
				}
			}
		}
		slices.Sort(ids)
		return ids
	}
	cards, emails := byKind(customer.KeyCard), byKind(customer.KeyEmail)
	hints := func(reason string, groups ...[]string) []Hint {
		var hs []Hint
		for _, g := range groups {
			for _, id := range g {
				if !slices.ContainsFunc(hs, func(h Hint) bool { return h.OtherID == id }) {
					hs = append(hs, Hint{OtherID: id, Reason: reason})
				}
			}
		}
		return hs
	}
	switch {
	case len(cards) > 1:
		return Decision{Rule: "new", Hints: hints("member card number is held by several customers", cards)}, nil
	case len(cards) == 1 && len(emails) > 0 && !slices.Contains(emails, cards[0]):
		reason := fmt.Sprintf("signals disagree: member card matches %s, email matches %s", cards[0], strings.Join(emails, ", "))
		return Decision{Rule: "new", Hints: hints(reason, cards, emails)}, nil
	case len(cards) == 1:
		return Decision{CustomerID: cards[0], Rule: "member_card"}, nil
	case len(emails) > 1:
		return Decision{Rule: "new", Hints: hints("email address is held by several customers", emails)}, nil
	case len(emails) == 1:
		return Decision{CustomerID: emails[0], Rule: "email"}, nil
	}
	if phones := byKind(customer.KeyPhone); len(phones) > 0 {
		return Decision{Rule: "new", Hints: hints("same phone number only", phones)}, nil
	}
	return Decision{Rule: "new"}, nil
}
