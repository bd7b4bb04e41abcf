package mask

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Phone masks a phone number, normally stored in E.164 form.
//
// Japanese numbers are shown the way staff write them, in national format
// with every digit group but the first and the last masked:
// "+819012345678" → "090-****-5678", "+81312345678" → "03-****-5678". The
// first group is the area code or the mobile/free-dial prefix, which says
// what kind of number it is; the last group is what a clerk asks a customer
// to confirm.
//
// Numbers from other countries keep the country code and the last four
// digits: "+14155552671" → "+1 ***-***-2671".
//
// Anything that is not a valid number is still masked rather than shown:
// every digit except the last four (at most half of them) becomes '*', and
// so does every other character except phone punctuation (+ - ( ) . and
// spaces), since a phone field that failed validation may hold free text.
func Phone(e164 string) string {
	n, err := phonenumbers.Parse(e164, "JP")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return maskDigits(e164)
	}
	// An extension is not part of what a customer is asked to confirm.
	n.Extension = nil
	if n.GetCountryCode() == 81 {
		keep := tail(len(phonenumbers.GetNationalSignificantNumber(n)))
		if s, ok := maskMiddleGroups(phonenumbers.Format(n, phonenumbers.NATIONAL), keep); ok {
			return s
		}
	}
	intl := phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
	cc := "+" + strconv.Itoa(int(n.GetCountryCode()))
	if !strings.HasPrefix(intl, cc) {
		return maskDigits(intl)
	}
	return cc + maskDigits(intl[len(cc):])
}

// maskMiddleGroups masks every digit group of a formatted number except
// the first and the last, and of the last keeps at most keep digits. It
// reports false when there are fewer than three groups, since keeping the
// first and last of two groups would keep everything.
func maskMiddleGroups(s string, keep int) (string, bool) {
	var groups []string // alternating runs: digits, separator, digits, ...
	for i := 0; i < len(s); {
		j := i
		digit := isASCIIDigit(s[i])
		for j < len(s) && isASCIIDigit(s[j]) == digit {
			j++
		}
		groups = append(groups, s[i:j])
		i = j
	}
	if len(groups) < 5 || !isASCIIDigit(groups[0][0]) || !isASCIIDigit(groups[len(groups)-1][0]) {
		return "", false
	}
	var b strings.Builder
	b.WriteString(groups[0])
	for _, g := range groups[1 : len(groups)-1] {
		if isASCIIDigit(g[0]) {
			g = strings.Repeat("*", len(g))
		}
		b.WriteString(g)
	}
	last := groups[len(groups)-1]
	keep = min(keep, len(last))
	b.WriteString(strings.Repeat("*", len(last)-keep))
	b.WriteString(last[len(last)-keep:])
	return b.String(), true
}

func isASCIIDigit(c byte) bool { return '0' <= c && c <= '9' }

// maskDigits keeps the last digits of s (see tail) and phone punctuation,
// and replaces everything else with '*'. Digits in any script count, since
// phonenumbers accepts full-width and Arabic-Indic digits as well.
func maskDigits(s string) string {
	digits := 0
	for _, r := range s {
		if unicode.IsDigit(r) {
			digits++
		}
	}
	hide := digits - tail(digits)
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			if hide > 0 {
				b.WriteByte('*')
				hide--
			} else {
				b.WriteRune(r)
			}
		case strings.ContainsRune("+-(). ", r):
			b.WriteRune(r)
		default:
			b.WriteByte('*')
		}
	}
	return b.String()
}
