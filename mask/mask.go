// Package mask hides personal data from staff whose role may see that a
// customer record has a phone number, email address or name, but not what
// it is.
//
// Each function keeps just enough for a store clerk to confirm a customer
// at the counter ("the mobile ending 5678?", "t***@example.jp"), and never
// more: where keeping the usual "last four" of a very short value would
// reveal most of it, at most half is kept. Masks are for display only;
// never compare or store masked values, since many inputs share one mask.
//
// Every function returns valid UTF-8 whatever it is given, because masked
// values go straight into HTML and JSON for the console.
package mask

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// hidden stands for a value that exists but of which nothing may be shown.
// It has a fixed length so that the length of the value is not shown either.
const hidden = "***"

// tail returns how many trailing characters of an n-character value may be
// shown: four, the convention for card and phone numbers, but never more
// than half, because the last four of a five-digit number is the number.
func tail(n int) int {
	return min(4, n/2)
}

// Email keeps the first character of the local part and the whole domain:
// "taro@example.jp" → "t***@example.jp". The domain tells staff which
// address of several it is and is shared by thousands of customers; the
// local part is what identifies the person. Anything without '@' is not an
// address and is hidden completely.
func Email(s string) string {
	// The last '@' separates the domain: a quoted local part may contain
	// '@', a domain cannot.
	s = strings.ToValidUTF8(s, "\uFFFD")
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return hidden
	}
	local, domain := s[:at], s[at+1:]
	_, size := utf8.DecodeRuneInString(local)
	return local[:size] + hidden + "@" + domain
}

// Name keeps the first character of each space-separated part of a name
// and replaces every other character with an asterisk of the same display
// width ('＊' for kanji and kana, '*' otherwise), so that a masked name
// still lines up in the console: "山田 花子" → "山＊ 花＊",
// "ヤマダ ハナコ" → "ヤ＊＊ ハ＊＊". Any Unicode space separates parts,
// including the ideographic space (U+3000) that Japanese input methods
// type. Combining marks (a decomposed dakuten, an ideographic variation
// selector) belong to the character before them and are neither kept nor
// masked on their own.
func Name(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true // at the first character of a part
	kept := false // the previous character was kept, so its marks are too
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			b.WriteRune(r)
			start, kept = true, false
		case isMark(r) && !start:
			if kept {
				b.WriteRune(r)
			}
		case start:
			b.WriteRune(r) // invalid UTF-8 arrives as U+FFFD
			start, kept = false, true
		default:
			b.WriteRune(maskRune(r))
			kept = false
		}
	}
	return b.String()
}

func isMark(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

func maskRune(r rune) rune {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return '＊'
	}
	return '*'
}

// Address hides a street address completely: even a fragment of one
// (a building name, a block number) can locate a person.
func Address(street string) string {
	if strings.TrimSpace(street) == "" {
		return ""
	}
	return hidden
}

// PostalCode keeps the first three digits of a Japanese postal code
// ("1500001" → "150-****"), which name a ward or city, enough for regional
// questions ("a customer from Shibuya?") without the street. Full-width
// digits, hyphens and a leading 〒 are accepted; anything that is not a
// seven-digit postal code is hidden completely.
func PostalCode(s string) string {
	var digits []byte
	for _, r := range width.Narrow.String(s) {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r == '-' || r == '〒' || unicode.IsSpace(r):
		default:
			return hiddenIfAny(s)
		}
	}
	if len(digits) != 7 {
		return hiddenIfAny(s)
	}
	return string(digits[:3]) + "-****"
}

// Card replaces all but the last four characters of a member or payment
// card number with '*', the form printed on receipts. Separators are masked
// too, so the mask does not reveal which issuer's layout the number has.
func Card(s string) string {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	keep := tail(n)
	var b strings.Builder
	i := 0
	for _, r := range s {
		if i < n-keep {
			b.WriteByte('*')
		} else {
			b.WriteRune(r)
		}
		i++
	}
	return b.String()
}

// BirthDate keeps the year of a "YYYY-MM-DD" birth date ("1980-03-15" →
// "1980-**-**"): the age bracket is what staff need for recommendations,
// while the full date is a common identity-verification question. Anything
// else is hidden completely.
func BirthDate(s string) string {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return hiddenIfAny(s)
	}
	return s[:4] + "-**-**"
}

func hiddenIfAny(s string) string {
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return hidden
}
