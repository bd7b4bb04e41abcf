package resolve

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// Level is how well one field of two records agrees: Missing when a side
// has no value (no evidence either way), otherwise an index into the
// field kind's levels, 0 being "different" and the last "exact".
type Level int8

// Missing and Different are the levels every kind has.
const (
	Missing   Level = -1
	Different Level = 0
)

// Kind is how a field is compared: its levels, how two values are placed
// on them and which keys it offers for blocking.
type Kind string

// Field kinds.
const (
	KindName    Kind = "name"    // written name and reading (kana, romaji)
	KindEmail   Kind = "email"   // normalized addresses; a one-letter typo is close
	KindPhone   Kind = "phone"   // E.164, exact only; shared numbers are weak evidence
	KindAddress Kind = "address" // postal code and locality
	KindDate    Kind = "date"    // YYYY-MM-DD; a mistyped digit or swapped day and month is close
	KindExact   Kind = "exact"   // identifiers that are either equal or not (cards)
	KindText    Kind = "text"    // free text or IDs with typos: Jaro–Winkler or one edit is close
)

// Kinds lists the kinds, for configuration and help.
var Kinds = []Kind{KindName, KindEmail, KindPhone, KindAddress, KindDate, KindExact, KindText}

// Levels names a kind's levels, worst first.
func (k Kind) Levels() []string {
	switch k {
	case KindName:
		return []string{"given_name_differs", "different", "given_name", "close", "reading", "exact"}
	case KindAddress:
		return []string{"different", "postal_code", "close", "exact"}
	case KindPhone, KindExact:
		return []string{"different", "exact"}
	}
	return []string{"different", "close", "exact"}
}

// LevelName names level l of kind k.
func (k Kind) LevelName(l Level) string {
	if l == Missing {
		return "missing"
	}
	if ls := k.Levels(); int(l) < len(ls) {
		return ls[l]
	}
	return fmt.Sprintf("level(%d)", l)
}

// Field is one compared aspect of a record.
type Field struct {
	Name    string
	Kind    Kind
	Extract func(p *customer.Profile) []string `json:"-"`
}

// DefaultFields are the comparisons used unless configured: general enough
// for customer data of any schema, with Japanese keys.
func DefaultFields() []Field {
	return []Field{
		{"name", KindName, nameValues},
		{"email", KindEmail, emailValues},
		{"mobile", KindPhone, phoneValues(normalize.PhoneMobile)},
		{"landline", KindPhone, phoneValues(normalize.PhoneLandline)},
		{"address", KindAddress, addressValues},
		{"birth_date", KindDate, birthValues},
		{"member_card", KindExact, cardValues},
	}
}

// FieldsOf rebuilds the fields a model was trained for: the default
// fields by name, custom attributes (attr.NAME) with the kind stored.
func FieldsOf(m *Model) ([]Field, error) {
	defaults := DefaultFields()
	out := make([]Field, 0, len(m.Fields))
	for _, fm := range m.Fields {
		if name, ok := strings.CutPrefix(fm.Name, "attr."); ok {
			out = append(out, AttributeField(name, fm.Kind))
			continue
		}
		i := slices.IndexFunc(defaults, func(f Field) bool { return f.Name == fm.Name && f.Kind == fm.Kind })
		if i < 0 {
			return nil, fmt.Errorf("model version %d compares %s (%s), which this version of kizuna does not know", m.Version, fm.Name, fm.Kind)
		}
		out = append(out, defaults[i])
	}
	return out, nil
}

// AttributeField compares a custom attribute.
func AttributeField(name string, kind Kind) Field {
	return Field{Name: "attr." + name, Kind: kind, Extract: attributeValues(name)}
}

// compareValues places one pair of values on the kind's levels and, for
// agreement, names the agreeing value for term-frequency adjustment.
func (k Kind) compareValues(a, b string) (Level, string) {
	switch k {
	case KindName:
		return compareNames(a, b)
	case KindAddress:
		return compareAddresses(a, b)
	case KindPhone, KindExact:
		if a == b {
			return 1, a
		}
		return Different, ""
	case KindEmail:
		if a == b {
			return 2, a
		}
		al, ad, _ := strings.Cut(a, "@")
		bl, bd, _ := strings.Cut(b, "@")
		if ad == bd && len(al) >= 6 && mailboxTypo(al, bl) {
			return 1, ""
		}
		return Different, ""
	case KindDate:
		switch {
		case a == b:
			return 2, a
		case len(a) == 10 && len(b) == 10 && (Within(a, b, 1) || a[:4] == b[:4] && a[5:7] == b[8:10] && a[8:10] == b[5:7]):
			return 1, ""
		}
		return Different, ""
	default: // KindText
		switch {
		case a == b:
			return 2, a
		case Within(a, b, 1) || len([]rune(a)) >= 4 && JaroWinkler(a, b) >= 0.92:
			return 1, ""
		}
		return Different, ""
	}
}

// Name levels. A given name that differs is a level of its own, below
// "different": family names change with marriage, given names do not, so
// it is the evidence that tells a household's members apart.
const (
	nameGivenDiffers Level = 0
	nameDifferent    Level = 1
	nameGiven        Level = 2
	nameClose        Level = 3
	nameReading      Level = 4
	nameExact        Level = 5
)

// Conflict reports whether level l of kind k rules out one person, whatever
// else agrees: two given names that are not alike. Such a pair is never
// merged automatically, and no cluster is joined across one.
func (k Kind) Conflict(l Level) bool { return k == KindName && l == nameGivenDiffers }

func compareNames(a, b string) (Level, string) {
	if swapped(a) && swapped(b) {
		// Both names read the other way round: the same comparison as the
		// straight readings, except that family names would pass for given ones.
		return Missing, ""
	}
	na, ga, ra, gra := unpackName(a)
	nb, gb, rb, grb := unpackName(b)
	written := na != "" && nb != ""
	read := ra != "" && rb != ""
	switch {
	case !written && !read:
		return Missing, ""
	case written && na == nb:
		return nameExact, na
	case read && ra == rb:
		return nameReading, ra // counted apart from written names (see tfKeys)
	case read && Within(ra, rb, 1+len(ra)/12) && !(gra != "" && grb != "" && gra != grb && !Within(gra, grb, 1)):
		// A typo in the reading. Written names get no "close": a kanji
		// more or less is another name (清 and 清美), and variant forms
		// are folded already.
		return nameClose, ""
	case ga != "" && ga == gb, gra != "" && gra == grb:
		return nameGiven, "" // a new family name (marriage)
	case gra != "" && grb != "" && !Within(gra, grb, 1),
		ga != "" && gb != "" && (gra == "" || grb == ""):
		// Given names that differ in reading, or in writing where a side
		// has no reading.
		return nameGivenDiffers, ""
	}
	return nameDifferent, ""
}

// mailboxTypo reports whether two mailbox names differ by one typing slip:
// a letter dropped, added, replaced or swapped with its neighbour. Digits,
// dots, hyphens and underscores do not count (takuya_sato88 and
// takuyasato80 are as likely two people of one name as one person), nor
// romaji spellings of a long vowel (saitou, saito, saitoh).
func mailboxTypo(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	letter := func(c byte) bool { return c >= 'a' && c <= 'z' }
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	switch len(a) - len(b) {
	case 0:
		if i == len(a) {
			return false
		}
		if a[i+1:] == b[i+1:] {
			return letter(a[i]) && letter(b[i]) // one replaced
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:] && letter(a[i]) && letter(a[i+1])
	case 1:
		// a has one letter more at some position j ≥ i; find it from the end.
		j := len(a) - 1
		for j > i && a[j] == b[j-1] {
			j--
		}
		if a[:j] != b[:j] || a[j+1:] != b[j:] || !letter(a[j]) {
			return false
		}
		if (a[j] == 'u' || a[j] == 'h') && j > 0 && a[j-1] == 'o' || a[j] == 'u' && j > 0 && a[j-1] == 'u' {
			return false // a long vowel spelled out
		}
		return true
	}
	return false
}

// Address levels.
const (
	addressPostal Level = 1
	addressClose  Level = 2
	addressExact  Level = 3
)

func compareAddresses(a, b string) (Level, string) {
	pa, la := unpackAddress(a)
	pb, lb := unpackAddress(b)
	postalAgrees := pa == "" || pb == "" || pa == pb
	switch {
	case la != "" && la == lb && postalAgrees:
		return addressExact, la
	case la != "" && lb != "" && postalAgrees && JaroWinkler(la, lb) >= 0.93:
		return addressClose, ""
	case pa != "" && pa == pb:
		return addressPostal, ""
	case (la == "" || lb == "") && (pa == "" || pb == ""):
		return Missing, ""
	}
	return Different, ""
}

// compare is the best level over every pair of values of one field and the
// agreeing value at that level; Missing when a side has none.
func (k Kind) compare(as, bs []string) (Level, string) {
	if len(as) == 0 || len(bs) == 0 {
		return Missing, ""
	}
	best, value := Missing, ""
	for _, a := range as {
		for _, b := range bs {
			if l, v := k.compareValues(a, b); l > best {
				best, value = l, v
			}
		}
	}
	return best, value
}

// blockParts are the parts of a value that blocking rules combine.
func (k Kind) blockPart(v, part string) string {
	switch k {
	case KindName:
		n, _, r, gr := unpackName(v)
		switch part {
		case "written":
			return n
		case "reading":
			return r
		case "given_reading":
			return gr
		}
	case KindAddress:
		p, l := unpackAddress(v)
		switch part {
		case "postal_code":
			return p
		case "locality":
			return l
		}
	default:
		if part == "value" {
			return v
		}
	}
	return ""
}

// BlockParts names the parts of each kind a blocking rule can use.
func (k Kind) BlockParts() []string {
	switch k {
	case KindName:
		return []string{"written", "reading", "given_reading"}
	case KindAddress:
		return []string{"postal_code", "locality"}
	}
	return []string{"value"}
}
