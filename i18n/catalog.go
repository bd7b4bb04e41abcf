package i18n

import "fmt"

// T returns the console text for key in loc, formatted with args by
// fmt.Sprintf when any are given.
//
// Japanese is the source language, so a key missing from the English
// catalog shows the Japanese text rather than nothing; a key missing from
// both shows the key itself, which is ugly enough to be reported and fixed
// but never breaks a page. Messages take arguments by explicit index
// ("%[1]s") because Japanese and English word order differ; pass numbers
// through Number or Yen first so both languages group digits the same way.
func T(loc Locale, key string, args ...any) string {
	msg, ok := lookup(loc, key)
	if !ok {
		return key
	}
	if len(args) == 0 {
		// Without arguments the text is returned as written, so a literal
		// "%" in a message needs no escaping.
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

func lookup(loc Locale, key string) (string, bool) {
	if loc.norm() == En {
		if msg, ok := en[key]; ok {
			return msg, true
		}
	}
	msg, ok := ja[key]
	return msg, ok
}
