package customer

import (
	"strings"
	"unicode"

	"github.com/kizuna-oss/kizuna/normalize"
)

// Search terms index a golden record for the staff console's one search
// box. Each term is "kind:value" and is matched by prefix:
//
//	n: full name, family then given, no spaces ("山田花子")
//	r: the reading as a romaji key, family then given ("yamadahanako"):
//	   a reading typed in kana or romaji is searched here
//	z: postal code ("1500001")
//
// Three terms a customer: every term is a row written with the golden
// record, so the index costs ingest time (docs/benchmarks.md). Emails,
// phones and member cards are answered exactly from the identity keys.
const (
	TermName   = "n:"
	TermRomaji = "r:"
	TermPostal = "z:"
)

// SearchTerms returns the distinct terms of a golden record.
func SearchTerms(p *Profile) []string {
	var out []string
	add := func(kind, v string) {
		if v == "" {
			return
		}
		t := kind + v
		for _, o := range out {
			if o == t {
				return
			}
		}
		out = append(out, t)
	}
	add(TermName, normalize.NameKey(p.FamilyName+p.GivenName))
	// The kana reading when there is one (the romaji a marketplace sends
	// is often a guess); else the romaji as sent.
	fr := normalize.RomajiKey(normalize.KanaToRomaji(p.FamilyNameKana))
	gr := normalize.RomajiKey(normalize.KanaToRomaji(p.GivenNameKana))
	if fr == "" {
		fr = normalize.RomajiKey(p.FamilyNameRomaji)
	}
	if gr == "" {
		gr = normalize.RomajiKey(p.GivenNameRomaji)
	}
	add(TermRomaji, fr+gr)
	for _, a := range p.Addresses {
		add(TermPostal, a.PostalCode)
	}
	return out
}

// SearchQuery is what a staff member typed, read as every kind of thing it
// could be.
type SearchQuery struct {
	Text     string
	Keys     []string // identity keys matched exactly (email, phone, card)
	Prefixes []string // search-term prefixes
}

// ParseSearch reads the one search box: a name in any script and width,
// with or without a space or honorific; a phone number in any format; an
// email; a member card number; a postal code.
func ParseSearch(q string) SearchQuery {
	q = normalize.Text(q)
	sq := SearchQuery{Text: q}
	if q == "" {
		return sq
	}
	if strings.Contains(q, "@") {
		if e, err := normalize.Email(q); err == nil {
			sq.Keys = append(sq.Keys, Key(KeyEmail, e))
		}
		return sq
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r == '+':
			return r
		case unicode.IsSpace(r), r == '-', r == '(', r == ')', r == '〒', r == '.', r == 'ー', r == '−', r == '‐':
			return -1
		}
		return 'x'
	}, q)
	if digits != "" && !strings.ContainsRune(digits, 'x') {
		if ph, _, err := normalize.Phone(q); err == nil {
			sq.Keys = append(sq.Keys, Key(KeyPhone, ph))
		}
		if c := normalize.MemberCard(q); c != "" {
			sq.Keys = append(sq.Keys, Key(KeyCard, c))
		}
		if pc := strings.TrimPrefix(digits, "+"); len(pc) >= 3 && len(pc) <= 7 {
			sq.Prefixes = append(sq.Prefixes, TermPostal+pc)
		}
		return sq
	}
	if c := normalize.MemberCard(q); c != "" && strings.IndexFunc(q, unicode.IsDigit) >= 0 && strings.IndexFunc(q, isCJK) < 0 {
		sq.Keys = append(sq.Keys, Key(KeyCard, c))
	}
	name := normalize.NameKey(q)
	switch {
	case name == "":
	case normalize.IsKana(name):
		if k := normalize.RomajiKey(normalize.KanaToRomaji(name)); k != "" {
			sq.Prefixes = append(sq.Prefixes, TermRomaji+k)
		}
	case normalize.IsLatin(q):
		if k := normalize.RomajiKey(q); k != "" {
			sq.Prefixes = append(sq.Prefixes, TermRomaji+k)
		}
		// "Hanako Yamada": Western order, typed with a space.
		if first, last, ok := strings.Cut(strings.TrimSpace(q), " "); ok && !strings.Contains(last, " ") {
			if k := normalize.RomajiKey(last + first); k != "" {
				sq.Prefixes = append(sq.Prefixes, TermRomaji+k)
			}
		}
	default:
		sq.Prefixes = append(sq.Prefixes, TermName+name)
	}
	return sq
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}
