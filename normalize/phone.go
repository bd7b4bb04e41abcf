package normalize

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// PhoneKind tells mobile numbers, which identify a person, from landlines,
// which are often shared by a household or a shop.
type PhoneKind string

// Phone kinds.
const (
	PhoneMobile   PhoneKind = "mobile"
	PhoneLandline PhoneKind = "landline"
	PhoneOther    PhoneKind = "other"
)

// Phone parses a phone number with Japan as the default region and returns
// it in E.164 form (+819012345678) with its kind. It accepts any width,
// any hyphen or dash, parentheses, spaces and +81 prefixes.
func Phone(s string) (string, PhoneKind, error) {
	fail := func(reason string) (string, PhoneKind, error) {
		return "", "", errors.New("not a valid phone number: " + reason)
	}
	s = Text(s)
	if s == "" {
		return fail("empty")
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', strings.ContainsRune("+() .", r):
			b.WriteRune(r)
		case isDash(r):
			b.WriteByte('-')
		default:
			// phonenumbers would read letters as a vanity number
			// (0120-ABC-DEF → 0120-222-333) or split off "ext 12" and
			// drop it from E.164; neither belongs in an identity key.
			return fail("unexpected character " + string(r))
		}
	}
	n, err := phonenumbers.Parse(b.String(), "JP")
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return fail("unknown country code")
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return fail("too long")
	case err != nil:
		return fail("too short")
	}
	switch phonenumbers.IsPossibleNumberWithReason(n) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.TOO_SHORT:
		return fail("too short")
	case phonenumbers.TOO_LONG:
		return fail("too long")
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return fail("missing area code")
	default:
		return fail("wrong number of digits")
	}
	if !phonenumbers.IsValidNumber(n) {
		return fail("not a number in use in its country")
	}
	return phonenumbers.Format(n, phonenumbers.E164), phoneKind(n), nil
}

func phoneKind(n *phonenumbers.PhoneNumber) PhoneKind {
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.MOBILE:
		return PhoneMobile
	case phonenumbers.FIXED_LINE:
		return PhoneLandline
	case phonenumbers.FIXED_LINE_OR_MOBILE:
		// In Japan 070/080/090 are mobile-only ranges, so if the metadata
		// ever lumps them in with landlines the prefix still settles it.
		// 0800 shares the prefix and the length but is toll-free.
		nsn := phonenumbers.GetNationalSignificantNumber(n)
		if n.GetCountryCode() == 81 && len(nsn) == 10 && !strings.HasPrefix(nsn, "800") &&
			(strings.HasPrefix(nsn, "70") || strings.HasPrefix(nsn, "80") || strings.HasPrefix(nsn, "90")) {
			return PhoneMobile
		}
	}
	return PhoneOther
}
