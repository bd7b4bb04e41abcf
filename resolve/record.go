package resolve

import (
	"slices"
	"strings"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// Record is one customer as the matcher compares it: the normalized keys of
// every source record the customer has, so that a maiden name, an old
// address or a second email all count.
type Record struct {
	ID        string
	Names     []string // normalize.NameKey of family+given
	Families  []string // NameKey of the family name alone
	Readings  []string // normalize.ReadingKey of the full reading
	Emails    []string // normalize.EmailMatchKey
	Phones    []string // E.164 as stored
	Postals   []string // 7 digits
	Addresses []string // normalize.Address(...).Key()
	Births    []string // YYYY-MM-DD
	Cards     []string
}

func addUnique(list []string, v string) []string {
	if v == "" || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// Add folds one source record's profile into the record.
func (r *Record) Add(p *customer.Profile) {
	r.Names = addUnique(r.Names, normalize.NameKey(p.FamilyName+p.GivenName))
	r.Families = addUnique(r.Families, normalize.NameKey(p.FamilyName))
	r.Readings = addUnique(r.Readings, normalize.ReadingKey(p.FamilyNameKana+p.GivenNameKana))
	for _, e := range p.Emails {
		if k, err := normalize.EmailMatchKey(e); err == nil {
			r.Emails = addUnique(r.Emails, k)
		}
	}
	for _, ph := range p.Phones {
		r.Phones = addUnique(r.Phones, ph)
	}
	for _, a := range p.Addresses {
		r.Postals = addUnique(r.Postals, a.PostalCode)
		full := a.Prefecture + a.City + a.Street
		if strings.TrimSpace(full) != "" {
			r.Addresses = addUnique(r.Addresses, normalize.Address(full).Key())
		}
	}
	r.Births = addUnique(r.Births, p.BirthDate)
	for _, c := range p.MemberCards {
		r.Cards = addUnique(r.Cards, c)
	}
}

// Field compares one aspect of two records.
type Field struct {
	Name    string
	Compare func(a, b *Record) Level
}

// best is the best level over every pair of values, Missing when a side
// has none.
func best(as, bs []string, level func(a, b string) Level) Level {
	if len(as) == 0 || len(bs) == 0 {
		return Missing
	}
	out := Different
	for _, a := range as {
		for _, b := range bs {
			if l := level(a, b); l > out {
				out = l
				if out == Exact {
					return out
				}
			}
		}
	}
	return out
}

func exactOnly(a, b string) Level {
	if a == b {
		return Exact
	}
	return Different
}

// DefaultFields are the comparisons the matcher uses unless configured:
// general enough for any schema of customer data, with Japanese keys.
var DefaultFields = []Field{
	{"name", func(a, b *Record) Level {
		return best(a.Names, b.Names, func(x, y string) Level {
			switch {
			case x == y:
				return Exact
			case JaroWinkler(x, y) >= 0.9:
				return Close
			}
			return Different
		})
	}},
	{"reading", func(a, b *Record) Level {
		return best(a.Readings, b.Readings, func(x, y string) Level {
			switch {
			case x == y:
				return Exact
			case Levenshtein(x, y) <= 1+len([]rune(x))/8:
				return Close
			}
			return Different
		})
	}},
	{"email", func(a, b *Record) Level {
		return best(a.Emails, b.Emails, func(x, y string) Level {
			if x == y {
				return Exact
			}
			xl, xd, _ := strings.Cut(x, "@")
			yl, yd, _ := strings.Cut(y, "@")
			if xd == yd && Levenshtein(xl, yl) == 1 && len(xl) >= 6 {
				return Close // a typo in the mailbox name
			}
			return Different
		})
	}},
	{"phone", func(a, b *Record) Level { return best(a.Phones, b.Phones, exactOnly) }},
	{"postal_code", func(a, b *Record) Level {
		return best(a.Postals, b.Postals, func(x, y string) Level {
			switch {
			case x == y:
				return Exact
			case len(x) == 7 && len(y) == 7 && x[:3] == y[:3]:
				return Close
			}
			return Different
		})
	}},
	{"address", func(a, b *Record) Level {
		return best(a.Addresses, b.Addresses, func(x, y string) Level {
			switch {
			case x == y:
				return Exact
			case JaroWinkler(x, y) >= 0.93:
				return Close
			}
			return Different
		})
	}},
	{"birth_date", func(a, b *Record) Level {
		return best(a.Births, b.Births, func(x, y string) Level {
			switch {
			case x == y:
				return Exact
			case len(x) == 10 && len(y) == 10 && (Levenshtein(x, y) == 1 || x[:4] == y[:4] && x[5:7] == y[8:10] && x[8:10] == y[5:7]):
				return Close // one mistyped digit, or day and month swapped
			}
			return Different
		})
	}},
}

// Compare is the comparison vector of two records.
func Compare(fields []Field, a, b *Record) []Level {
	v := make([]Level, len(fields))
	for i, f := range fields {
		v[i] = f.Compare(a, b)
	}
	return v
}
