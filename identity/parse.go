package identity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// ParseProfile decodes a channel's record strictly (an unknown field is an
// error naming it) and normalizes every identifier, so that comparisons and
// the golden record see one spelling. Errors name the field path under
// prefix, e.g. "profile.emails[1]".
func ParseProfile(raw json.RawMessage, prefix, channel string, observed time.Time, attrs map[string]customer.AttributeDef) (customer.Profile, error) {
	var p customer.Profile
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return p, kizuna.FieldError(prefix, "is required")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&p); err != nil {
		return p, decodeError(err, prefix)
	}
	if _, err := dec.Token(); err != io.EOF {
		return p, kizuna.FieldError(prefix, "must be a single JSON object")
	}
	return p, normalizeProfile(&p, prefix, channel, observed, attrs)
}

// decodeError turns encoding/json's errors into a field path and reason.
func decodeError(err error, prefix string) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return kizuna.FieldError(prefix, "malformed JSON at byte %d: %s", se.Offset, se.Error())
	case errors.As(err, &te):
		f := prefix
		if te.Field != "" {
			f += "." + te.Field
		}
		return kizuna.FieldError(f, "expected %s, got JSON %s", te.Type.String(), te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return kizuna.FieldError(prefix+"."+name, "unknown field %q", name)
	}
	return kizuna.FieldError(prefix, "invalid JSON: %v", err)
}

func normalizeProfile(p *customer.Profile, prefix, channel string, observed time.Time, attrs map[string]customer.AttributeDef) error {
	f := func(name string) string { return prefix + "." + name }
	p.FamilyName = normalize.Text(p.FamilyName)
	p.GivenName = normalize.Text(p.GivenName)
	p.FamilyNameKana = normalize.Kana(p.FamilyNameKana)
	p.GivenNameKana = normalize.Kana(p.GivenNameKana)
	p.FamilyNameRomaji = normalize.Text(p.FamilyNameRomaji)
	p.GivenNameRomaji = normalize.Text(p.GivenNameRomaji)

	// Every problem of the record is reported, not just the first, so a
	// file's row or an API call can be fixed in one go.
	var problems []*kizuna.Error
	bad := func(err error) {
		problems = append(problems, kizuna.FieldErrors(err)...)
	}
	var err error
	p.Emails = normalizeList(p.Emails, f("emails"), func(s string) (string, error) {
		e, err := normalize.Email(s)
		if err == nil && len(e) > 254 { // RFC 5321's limit on a path
			return "", fmt.Errorf("is longer than 254 bytes (%d)", len(e))
		}
		return e, err
	}, bad)
	p.Phones = normalizeList(p.Phones, f("phones"), func(s string) (string, error) {
		e, _, err := normalize.Phone(s)
		return e, err
	}, bad)
	p.MemberCards = normalizeList(p.MemberCards, f("member_cards"), func(s string) (string, error) {
		c := normalize.MemberCard(s)
		if n := utf8.RuneCountInString(c); n > maxNameRunes {
			return "", fmt.Errorf("is longer than %d characters (%d)", maxNameRunes, n)
		}
		return c, nil
	}, bad)
	for i := range p.Addresses {
		a := &p.Addresses[i]
		path := fmt.Sprintf("%s[%d]", f("addresses"), i)
		if strings.TrimSpace(a.PostalCode) != "" {
			if pc, err := normalize.PostalCode(a.PostalCode); err != nil {
				bad(kizuna.FieldError(path+".postal_code", "%v", err))
			} else {
				a.PostalCode = pc
			}
		}
		if pref := normalize.Prefecture(a.Prefecture); pref != "" {
			a.Prefecture = pref
		} else {
			a.Prefecture = normalize.Text(a.Prefecture)
		}
		a.City, a.Street, a.Building = normalize.Text(a.City), normalize.Text(a.Street), normalize.Text(a.Building)
		// An address written whole in the city or street column: the
		// prefecture it starts with is split off.
		if a.Prefecture == "" {
			if pref, rest := normalize.SplitPrefecture(a.City); pref != "" {
				a.Prefecture, a.City = pref, rest
			} else if pref, rest := normalize.SplitPrefecture(a.Street); pref != "" && a.City == "" {
				a.Prefecture, a.Street = pref, rest
			}
		}
	}
	p.Addresses = slices.DeleteFunc(p.Addresses, func(a customer.Address) bool { return a == customer.Address{} })
	if p.BirthDate != "" {
		if d, err := normalize.Date(p.BirthDate); err != nil {
			bad(kizuna.FieldError(f("birth_date"), "%v", err))
		} else {
			p.BirthDate = d
		}
	}
	if p.Gender, err = normalize.Gender(p.Gender); err != nil {
		bad(kizuna.FieldError(f("gender"), "%v", err))
	}
	for i := range p.Consents {
		c := &p.Consents[i]
		path := fmt.Sprintf("%s[%d]", f("consents"), i)
		if !slices.Contains(customer.ConsentPurposes, c.Purpose) {
			bad(kizuna.FieldError(path+".purpose", "must be one of %s", strings.Join(customer.ConsentPurposes, ", ")))
		}
		if !slices.Contains(customer.ConsentChannels, c.Channel) {
			bad(kizuna.FieldError(path+".channel", "must be one of %s", strings.Join(customer.ConsentChannels, ", ")))
		}
		c.Source = channel
		if c.At.IsZero() {
			c.At = observed
		}
		c.At = c.At.UTC().Truncate(time.Microsecond)
	}
	// In name order, so the problems come out the same every time.
	for _, name := range slices.Sorted(maps.Keys(p.Attributes)) {
		def, ok := attrs[name]
		if !ok {
			bad(kizuna.FieldError(f("attributes."+name), "attribute %q is not declared in the attribute schema", name))
			continue
		}
		nv, err := checkAttribute(def, p.Attributes[name])
		if err != nil {
			bad(kizuna.FieldError(f("attributes."+name), "%v", err))
			continue
		}
		p.Attributes[name] = nv
	}
	if len(p.Attributes) == 0 {
		p.Attributes = nil
	}
	tags := p.Tags[:0]
	for _, t := range p.Tags {
		if t = normalize.Text(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	p.Tags = tags
	if len(p.Tags) == 0 {
		p.Tags = nil
	}
	checkLengths(p, f, bad)
	return kizuna.Invalid(problems)
}

// Limits on what one record may hold: generous for real names and
// addresses, and short enough that a column of the wrong thing (a memo
// mapped to a name, a file read in the wrong encoding) is caught.
const (
	maxNameRunes    = 100
	maxAddressRunes = 200
	maxTextRunes    = 1000 // a string attribute
	maxListItems    = 20   // emails, phones, cards, addresses, tags
)

func checkLengths(p *customer.Profile, f func(string) string, bad func(error)) {
	long := func(path, v string, limit int) {
		if n := utf8.RuneCountInString(v); n > limit {
			bad(kizuna.FieldError(path, "is longer than %d characters (%d)", limit, n))
		}
	}
	for _, c := range []struct {
		path, v string
		limit   int
	}{
		{f("family_name"), p.FamilyName, maxNameRunes}, {f("given_name"), p.GivenName, maxNameRunes},
		{f("family_name_kana"), p.FamilyNameKana, maxNameRunes}, {f("given_name_kana"), p.GivenNameKana, maxNameRunes},
		{f("family_name_romaji"), p.FamilyNameRomaji, maxNameRunes}, {f("given_name_romaji"), p.GivenNameRomaji, maxNameRunes},
	} {
		long(c.path, c.v, c.limit)
	}
	for _, l := range []struct {
		name string
		n    int
	}{{"emails", len(p.Emails)}, {"phones", len(p.Phones)}, {"member_cards", len(p.MemberCards)}, {"addresses", len(p.Addresses)}, {"tags", len(p.Tags)}} {
		if l.n > maxListItems {
			bad(kizuna.FieldError(f(l.name), "holds %d values; at most %d", l.n, maxListItems))
		}
	}
	// Emails and cards are checked as they are normalized, where their
	// index is the one the caller sent.
	for i, t := range p.Tags {
		long(fmt.Sprintf("%s[%d]", f("tags"), i), t, maxNameRunes)
	}
	for i, a := range p.Addresses {
		path := fmt.Sprintf("%s[%d]", f("addresses"), i)
		for _, c := range []struct{ name, v string }{{"city", a.City}, {"street", a.Street}, {"building", a.Building}, {"prefecture", a.Prefecture}} {
			long(path+"."+c.name, c.v, maxAddressRunes)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.Attributes)) {
		if sv, ok := p.Attributes[name].(string); ok {
			long(f("attributes."+name), sv, maxTextRunes)
		}
	}
}

// normalizeList normalizes each value, reporting each bad one to bad.
func normalizeList(in []string, path string, norm func(string) (string, error), bad func(error)) []string {
	var out []string
	for i, s := range in {
		if strings.TrimSpace(s) == "" {
			continue
		}
		v, err := norm(s)
		if err != nil {
			bad(kizuna.FieldError(fmt.Sprintf("%s[%d]", path, i), "%v", err))
			continue
		}
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// checkAttribute checks a value against its attribute's type. Numbers and
// booleans may come as text too, as every cell of a CSV or Excel file does
// (「1,200」, 「はい」): the text is read as the type.
func checkAttribute(def customer.AttributeDef, v any) (any, error) {
	text, isText := v.(string)
	if isText {
		text = strings.TrimSpace(normalize.Text(text))
	}
	switch def.Type {
	case "string":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "integer":
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return i, nil
			}
		}
		if isText {
			if i, err := strconv.ParseInt(strings.ReplaceAll(text, ",", ""), 10, 64); err == nil {
				return i, nil
			}
		}
	case "number":
		if n, ok := v.(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				return f, nil
			}
		}
		if isText {
			if f, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", ""), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f, nil
			}
		}
	case "boolean":
		if b, ok := v.(bool); ok {
			return b, nil
		}
		if isText {
			switch strings.ToLower(text) {
			case "true", "1", "yes", "y", "はい", "有", "あり", "○":
				return true, nil
			case "false", "0", "no", "n", "いいえ", "無", "なし", "×":
				return false, nil
			}
		}
	case "date":
		if s, ok := v.(string); ok {
			return normalize.Date(s)
		}
	}
	return nil, fmt.Errorf("must be a %s", def.Type)
}

// Keys returns a source profile's identity keys, sorted and unique.
func Keys(channel, externalID string, p *customer.Profile) []string {
	keys := []string{customer.ExternalKey(channel, externalID)}
	for _, c := range p.MemberCards {
		keys = append(keys, customer.Key(customer.KeyCard, c))
	}
	for _, e := range p.Emails {
		keys = append(keys, customer.Key(customer.KeyEmail, e))
	}
	for _, ph := range p.Phones {
		keys = append(keys, customer.Key(customer.KeyPhone, ph))
	}
	sort.Strings(keys)
	return slices.Compact(keys)
}
