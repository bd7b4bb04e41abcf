package resolve

import (
	"fmt"
	"strings"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// Record is one source record as the matcher sees it: for each compared
// field, the record's values in the form that field compares (see Kind).
// Most fields hold one value; emails and phones may hold several.
type Record struct {
	ID       string // source profile ID
	Customer string // the customer it belongs to now
	Values   [][]string
}

// NewRecord extracts the compared values of p for fields.
func NewRecord(fields []Field, id, customerID string, p *customer.Profile) Record {
	r := Record{ID: id, Customer: customerID, Values: make([][]string, len(fields))}
	for i, f := range fields {
		r.Values[i] = f.Extract(p)
	}
	return r
}

// Name values pack four keys in one string, so that a record stays a list
// of strings: the written name, the written given name, the reading (as a
// romaji key, so kana and Latin spellings compare) and the given name's
// reading. Any may be empty.
const sep = "\x1f"

func packName(name, given, reading, givenReading string) string {
	return name + sep + given + sep + reading + sep + givenReading
}

func unpackName(v string) (name, given, reading, givenReading string) {
	name, v, _ = strings.Cut(v, sep)
	given, v, _ = strings.Cut(v, sep)
	reading, v, _ = strings.Cut(v, sep)
	givenReading, _, _ = strings.Cut(v, sep)
	return
}

// swapped reports whether a name value is the other-order reading of a
// Latin name.
func swapped(v string) bool { return strings.HasSuffix(v, sep+"swapped") }

// romajiOf is the romaji key of a kana reading, or of a name already in
// Latin letters; "" for anything else (kanji has no reading of its own).
func romajiOf(s string) string {
	switch {
	case s == "":
		return ""
	case normalize.IsKana(s):
		return normalize.RomajiKey(normalize.KanaToRomaji(s))
	case normalize.IsLatin(s):
		return normalize.RomajiKey(s)
	}
	return ""
}

// nameValues are the name keys of a profile. A name written in kana or
// Latin letters is its own reading. A Latin name is also taken in the
// other order, as marketplaces and foreign forms put the given name first.
func nameValues(p *customer.Profile) []string {
	familyName, givenName := splitFull(p.FamilyName, p.GivenName)
	family, given := normalize.NameKey(familyName), normalize.NameKey(givenName)
	famR, givR := splitFull(p.FamilyNameKana, p.GivenNameKana)
	famR, givR = romajiOf(famR), romajiOf(givR)
	if famR == "" && givR == "" {
		fr, gr := splitFull(p.FamilyNameRomaji, p.GivenNameRomaji)
		famR, givR = romajiOf(fr), romajiOf(gr)
	}
	if famR == "" && givR == "" {
		famR, givR = romajiOf(familyName), romajiOf(givenName)
	}
	written := family + given
	if written == "" && famR+givR == "" {
		return nil
	}
	if normalize.IsLatin(written) || written == "" {
		// A Latin name has no separate written form to compare.
		family, given, written = "", "", ""
	}
	out := []string{packName(written, given, famR+givR, givR)}
	if written == "" && famR != "" && givR != "" {
		out = append(out, packName("", "", givR+famR, famR)+sep+"swapped")
	}
	return out
}

// splitFull splits a full name sent in the family name field at its first
// space ("高橋 美咲", "Misaki Takahashi"); a name without one stays whole.
func splitFull(family, given string) (string, string) {
	if given != "" {
		return family, given
	}
	f, g, ok := strings.Cut(strings.TrimSpace(normalize.Text(family)), " ")
	if !ok {
		return family, ""
	}
	return f, strings.TrimSpace(g)
}

// relayDomains hand out a new address per order, so an address there says
// nothing about the person (see the marketplaces' buyer-message relays).
var relayDomains = []string{"marketplace.amazon.co.jp", "fw.rakuten.ne.jp"}

func emailValues(p *customer.Profile) []string {
	var out []string
	for _, e := range p.Emails {
		k, err := normalize.EmailMatchKey(e)
		if err != nil {
			continue
		}
		_, domain, _ := strings.Cut(k, "@")
		if isRelay(domain) {
			continue
		}
		out = appendUnique(out, k)
	}
	return out
}

func isRelay(domain string) bool {
	for _, d := range relayDomains {
		if domain == d || strings.HasSuffix(domain, "."+d) {
			return true
		}
	}
	return false
}

func phoneValues(kind normalize.PhoneKind) func(p *customer.Profile) []string {
	return func(p *customer.Profile) []string {
		var out []string
		for _, ph := range p.Phones {
			e164, k := ph, japanesePhoneKind(ph)
			if k == "" {
				var err error
				if e164, k, err = normalize.Phone(ph); err != nil {
					continue
				}
			}
			if k == kind || kind == normalize.PhoneLandline && k == normalize.PhoneOther {
				out = appendUnique(out, e164)
			}
		}
		return out
	}
}

// japanesePhoneKind tells a stored Japanese number's kind from its prefix
// (070/080/090 are mobile): stored numbers are E.164 already, and
// parsing a million of them again costs most of a batch run's loading.
// "" for anything else, which is parsed.
func japanesePhoneKind(e164 string) normalize.PhoneKind {
	rest, ok := strings.CutPrefix(e164, "+81")
	if !ok || len(rest) < 9 || len(rest) > 10 {
		return ""
	}
	for _, c := range []byte(rest) {
		if c < '0' || c > '9' {
			return ""
		}
	}
	switch {
	case strings.HasPrefix(rest, "800"), strings.HasPrefix(rest, "120"), strings.HasPrefix(rest, "570"), strings.HasPrefix(rest, "50"):
		return normalize.PhoneOther // free dial, navi dial, IP phones
	case len(rest) == 10 && (rest[:2] == "70" || rest[:2] == "80" || rest[:2] == "90"):
		return normalize.PhoneMobile
	case len(rest) == 10:
		return "" // not a landline length: let the parser decide
	}
	return normalize.PhoneLandline
}

// addressValues pack the postal code and the address without building or
// room (half of all records leave them out or write them elsewhere) and
// without prefecture (some leave it out; the postal code and city carry it).
func addressValues(p *customer.Profile) []string {
	var out []string
	for _, a := range p.Addresses {
		loc := ""
		if full := a.Prefecture + a.City + a.Street; strings.TrimSpace(full) != "" {
			loc = normalize.Address(full).Locality
		}
		if a.PostalCode == "" && loc == "" {
			continue
		}
		out = appendUnique(out, a.PostalCode+sep+loc)
	}
	return out
}

func birthValues(p *customer.Profile) []string {
	if p.BirthDate == "" {
		return nil
	}
	return []string{p.BirthDate}
}

func cardValues(p *customer.Profile) []string {
	var out []string
	for _, c := range p.MemberCards {
		out = appendUnique(out, c)
	}
	return out
}

// attributeValues reads a custom attribute as text.
func attributeValues(name string) func(p *customer.Profile) []string {
	return func(p *customer.Profile) []string {
		v, ok := p.Attributes[name]
		if !ok || v == nil {
			return nil
		}
		s := strings.ToLower(normalize.Text(fmt.Sprint(v)))
		if s == "" {
			return nil
		}
		return []string{s}
	}
}

func appendUnique(list []string, v string) []string {
	if v == "" {
		return list
	}
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}
