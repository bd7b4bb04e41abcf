package resolve

import (
	"fmt"
	"strings"
	"unicode/utf8"

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
//
// The record is laid out in three allocations: one string holds the IDs
// and every value, one slice every value's header, and one the fields. A
// million records are then a few million objects for the garbage collector
// to mark, not some twenty million (kizuna resolve at a million spent a
// third of its CPU time in the collector).
func NewRecord(fields []Field, id, customerID string, p *customer.Profile) Record {
	values := make([][]string, len(fields))
	count, size := 0, len(id)+len(customerID)
	for i, f := range fields {
		values[i] = f.Extract(p)
		count += len(values[i])
		for _, v := range values[i] {
			size += len(v)
		}
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(id)
	b.WriteString(customerID)
	for _, vs := range values {
		for _, v := range vs {
			b.WriteString(v)
		}
	}
	buf := b.String()
	off := len(id) + len(customerID)
	r := Record{ID: buf[:len(id)], Customer: buf[len(id):off], Values: values}
	flat := make([]string, 0, count)
	for i, vs := range values {
		if len(vs) == 0 {
			values[i] = nil
			continue
		}
		start := len(flat)
		for _, v := range vs {
			flat = append(flat, buf[off:off+len(v)])
			off += len(v)
		}
		values[i] = flat[start:len(flat):len(flat)]
	}
	return r
}

// Values of several parts, a name's keys and an address's postal code and
// locality, are one string each, so that a record stays a list of strings:
// a byte per part giving its length, then the parts. Taking one apart is
// slicing, not searching, and it happens for every candidate pair. A part
// longer than 255 bytes is cut at a character boundary.
func pack(parts ...string) string {
	size := len(parts)
	for i, p := range parts {
		if len(p) > 255 {
			cut := 255
			for cut > 0 && !utf8.RuneStart(p[cut]) {
				cut--
			}
			p = p[:cut]
		}
		parts[i] = p
		size += len(p)
	}
	var b strings.Builder
	b.Grow(size)
	for _, p := range parts {
		b.WriteByte(byte(len(p)))
	}
	for _, p := range parts {
		b.WriteString(p)
	}
	return b.String()
}

// unpack fills parts from a value pack made of as many; a value that is
// not one leaves them empty.
func unpack(v string, parts []string) {
	o := len(parts)
	if len(v) < o {
		clear(parts)
		return
	}
	for i := range parts {
		n := int(v[i])
		if o+n > len(v) {
			clear(parts)
			return
		}
		parts[i] = v[o : o+n]
		o += n
	}
}

// A name value packs the written name, the written given name, the
// reading (as a romaji key, so kana and Latin spellings compare), the
// given name's reading, and a mark for a Latin name taken in the other
// order. Any may be empty.
func packName(name, given, reading, givenReading string, swapped bool) string {
	mark := ""
	if swapped {
		mark = "swapped"
	}
	return pack(name, given, reading, givenReading, mark)
}

func unpackName(v string) (name, given, reading, givenReading string) {
	var p [5]string
	unpack(v, p[:])
	return p[0], p[1], p[2], p[3]
}

// swapped reports whether a name value is the other-order reading of a
// Latin name.
func swapped(v string) bool { return len(v) > 4 && v[4] != 0 }

// An address value packs the postal code and the locality.
func packAddress(postalCode, locality string) string { return pack(postalCode, locality) }

func unpackAddress(v string) (postalCode, locality string) {
	var p [2]string
	unpack(v, p[:])
	return p[0], p[1]
}

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
	out := []string{packName(written, given, famR+givR, givR, false)}
	if written == "" && famR != "" && givR != "" {
		out = append(out, packName("", "", givR+famR, famR, true))
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
		out = appendUnique(out, packAddress(a.PostalCode, loc))
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
