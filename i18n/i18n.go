// Package i18n renders values for the staff console, Japanese first and
// English second.
//
// Store staff read dates, amounts and messages the way Japanese business
// documents write them; head-office and vendor staff may prefer English. The
// rest of Kizuna stores instants in UTC and birth dates as plain
// "YYYY-MM-DD" strings, so every helper here converts at the last moment and
// never feeds its output back into storage or comparison.
//
// Unknown Locale values are rendered as Japanese rather than rejected: a
// stale cookie or a hand-edited URL should still show a usable page.
package i18n

import (
	"strings"

	"golang.org/x/text/language"
)

// Locale is a console display language.
type Locale string

// The supported locales. Ja is the default because the console is built
// for staff of Japanese retailers.
const (
	Ja Locale = "ja"
	En Locale = "en"
)

// norm maps anything unsupported to the default so that callers never have
// to validate a Locale before rendering with it.
func (l Locale) norm() Locale {
	if l == En {
		return En
	}
	return Ja
}

// supported lists the tags in the same order as the Locales returned by
// Negotiate; the matcher reports the index of the chosen entry.
var (
	supported = []Locale{Ja, En}
	matcher   = language.NewMatcher([]language.Tag{language.Japanese, language.English})
)

// Negotiate picks the display language for a request. A preference the
// user saved explicitly ("ja" or "en") beats the browser, because staff
// often work on shared store terminals whose browser language was set by
// someone else. Otherwise the Accept-Language header is matched by quality
// value; anything unparsable or unrelated to Japanese and English yields Ja.
func Negotiate(acceptLanguage string, userPref string) Locale {
	switch Locale(strings.ToLower(strings.TrimSpace(userPref))) {
	case Ja:
		return Ja
	case En:
		return En
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Ja
	}
	// With confidence No the matcher still returns an index, and it is not
	// necessarily the first (default) entry: "fr" alone comes back as
	// English. A French-speaking user is no better served by English than
	// by the default, so only a real match counts.
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return Ja
	}
	return supported[i]
}
