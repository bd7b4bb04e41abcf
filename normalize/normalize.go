// Package normalize puts customer identifiers into one canonical form before
// they are compared or used as identity keys.
//
// Japanese retail data arrives in every width and script: full-width
// letters from POS terminals, half-width katakana from legacy systems,
// hiragana readings typed on phones, and a dozen different dashes. Two
// records of the same customer only join if both sides were normalized the
// same way, so every function here is deterministic and idempotent:
// normalizing an already-normalized value returns it unchanged.
package normalize

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Text applies Unicode NFKC (which also folds full-width ASCII to
// half-width and half-width katakana to full-width), trims, and collapses
// every run of whitespace (including U+3000 ideographic space, tabs,
// newlines) into one ASCII space.
func Text(s string) string {
	// Invalid UTF-8 would otherwise survive NFKC byte for byte and make two
	// differently corrupted copies of the same value compare unequal.
	s = norm.NFKC.String(strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Join(strings.Fields(s), " ")
}

// Kana returns a reading in full-width katakana: NFKC, hiragana converted
// to katakana (ぁ-ゖ → ァ-ヶ, ゝゞ → ヽヾ), whitespace removed entirely.
// Non-kana characters are kept.
func Kana(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, Text(s))
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'ぁ' && r <= 'ゖ', r == 'ゝ', r == 'ゞ':
			return r + 'ァ' - 'ぁ'
		}
		return r
	}, s)
	// NFKC turns a stand-alone voiced mark (は゛) into a space plus a
	// combining mark; with the space gone the mark must be composed again
	// (バ), or a second call would give a different result.
	return norm.NFKC.String(s)
}

// isDash reports whether r is one of the many characters people type
// between digit groups: every Unicode dash, the minus sign, and the
// katakana prolonged sound mark, which Japanese IMEs produce when the
// hyphen key is pressed in kana mode.
func isDash(r rune) bool {
	return unicode.Is(unicode.Pd, r) || r == '−' || r == 'ー'
}

// Email returns the address NFKC-normalized and lower-cased, or an error
// if it does not look like an address. Plus-tags are kept: whether
// a+tag@x and a@x are the same person is for the fuzzy matcher to decide.
func Email(s string) (string, error) {
	// Lower-casing can leave a sequence NFKC would compose (İ plus a
	// combining acute becomes i plus the acute, that is í), so normalize
	// once more to stay idempotent.
	s = norm.NFKC.String(strings.ToLower(Text(s)))
	fail := func(reason string) (string, error) {
		return "", errors.New("not a valid email address: " + reason)
	}
	if s == "" {
		return fail("empty")
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fail("contains spaces or control characters")
	}
	local, domain, ok := strings.Cut(s, "@")
	switch {
	case !ok:
		return fail("missing @")
	case strings.Contains(domain, "@"):
		return fail("more than one @")
	case local == "":
		return fail("empty local part")
	case domain == "":
		return fail("empty domain")
	case !strings.Contains(domain, "."):
		return fail("domain has no dot")
	}
	// Only the domain is checked for empty labels: older docomo and au
	// addresses such as "taro..yamada.@docomo.ne.jp" break RFC 5322 in the
	// local part but are still delivered and still in customer records.
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" {
			return fail("empty label in domain")
		}
	}
	return s, nil
}

// PostalCode returns a Japanese postal code as exactly 7 ASCII digits.
// It accepts 〒, full-width digits, any hyphen or dash, and spaces; five or
// six digits alone are a number that lost its leading zeros (060-0042 in
// a spreadsheet's number cell is 600042) and get them back.
func PostalCode(s string) (string, error) {
	raw := strings.TrimSpace(Text(s))
	s = strings.Map(func(r rune) rune {
		if r == '〒' || r == ' ' || isDash(r) {
			return -1
		}
		return r
	}, Text(s))
	digits := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
	if digits && (len(s) == 5 || len(s) == 6) && s == raw {
		// A number that lost its leading zeros in a spreadsheet
		// (060-0042 typed into a number cell is 600042).
		s = strings.Repeat("0", 7-len(s)) + s
	}
	if len(s) != 7 || !digits {
		return "", errors.New("not a valid postal code: want 7 digits")
	}
	return s, nil
}

// datePatterns are matched against NFKC-normalized input; \d is ASCII-only
// in Go regexps, which is why full-width digits must be folded first.
var datePatterns = []*regexp.Regexp{
	regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`),
	regexp.MustCompile(`^(\d{4})/(\d{1,2})/(\d{1,2})$`),
	regexp.MustCompile(`^(\d{4})\.(\d{1,2})\.(\d{1,2})$`),
	regexp.MustCompile(`^(\d{4})年(\d{1,2})月(\d{1,2})日$`),
	regexp.MustCompile(`^(\d{4})(\d{2})(\d{2})$`),
}

// eras are the Japanese eras since the calendar became Gregorian, with the
// day each began. 和暦 years count from 1 (元年) on that day.
var eras = []struct {
	name, letter string
	start        time.Time
}{
	{"明治", "M", time.Date(1868, 10, 23, 0, 0, 0, 0, time.UTC)},
	{"大正", "T", time.Date(1912, 7, 30, 0, 0, 0, 0, time.UTC)},
	{"昭和", "S", time.Date(1926, 12, 25, 0, 0, 0, 0, time.UTC)},
	{"平成", "H", time.Date(1989, 1, 8, 0, 0, 0, 0, time.UTC)},
	{"令和", "R", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)},
}

// warekiPattern reads an era (name or letter), a year (元 for 1) and a
// month and day with any separator: 昭和45年3月1日, S45.3.1, H2/1/8, R1-5-1,
// 令和元年5月1日. The input is NFKC-folded, spaces removed, dashes made '-'.
var warekiPattern = regexp.MustCompile(`^(明治|大正|昭和|平成|令和|[MTSHRmtshr])\.?(元|\d{1,2})(?:年|[-/.])(\d{1,2})(?:月|[-/.])(\d{1,2})日?$`)

// wareki converts a Japanese-era date; ok is false when s is not one. A
// date before its era began is an error; a year past the era's end is
// accepted (systems kept printing 平成31年 and later for a while) and
// converted by arithmetic.
func wareki(s string) (y, m, d int, ok bool, err error) {
	w := warekiPattern.FindStringSubmatch(s)
	if w == nil {
		return 0, 0, 0, false, nil
	}
	var start time.Time
	for _, e := range eras {
		if w[1] == e.name || strings.EqualFold(w[1], e.letter) {
			start = e.start
		}
	}
	n := 1
	if w[2] != "元" {
		n, _ = strconv.Atoi(w[2])
	}
	m, _ = strconv.Atoi(w[3])
	d, _ = strconv.Atoi(w[4])
	y = start.Year() + n - 1
	if n < 1 {
		return 0, 0, 0, true, errors.New("not a valid date: era year must be 1 (元年) or later")
	}
	if t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC); t.Before(start) {
		return 0, 0, 0, true, fmt.Errorf("not a valid date: %s began on %s", w[1], start.Format(time.DateOnly))
	}
	return y, m, d, true, nil
}

// Date returns a calendar date as YYYY-MM-DD. It accepts 1990-01-02,
// 1990/1/2, 1990.1.2, 1990年1月2日 and 19900102, the same with any one
// separator used throughout (1990 1 2, 1990_01_02, S45・3・1), a time of
// day after the date (1990/01/02 00:00:00), and Japanese-era dates
// (昭和45年3月1日, S45.3.1, 平成元年1月8日, R1.5.1), in any width.
func Date(s string) (string, error) {
	s = timeOfDay.ReplaceAllString(strings.TrimSpace(Text(s)), "")
	// Read as written with spaces dropped (1990年 1月 2日), then with every
	// separator made one dash (1990 1 2, 1990_01_02, S45・3・1).
	spaced := strings.Map(func(r rune) rune {
		switch {
		case r == ' ':
			return -1
		case isDash(r):
			return '-'
		}
		return r
	}, s)
	unified := spaced
	if seps := separators.FindAllString(s, -1); len(seps) > 0 && !slices.ContainsFunc(seps, func(x string) bool { return x != seps[0] }) {
		unified = strings.Trim(separators.ReplaceAllString(s, "-"), "-")
	}
	for _, s := range []string{spaced, unified} {
		if y, mo, d, ok, err := wareki(s); ok {
			if err != nil {
				return "", err
			}
			return checkedDate(y, mo, d)
		}
		for _, p := range datePatterns {
			m := p.FindStringSubmatch(s)
			if m == nil {
				continue
			}
			y, _ := strconv.Atoi(m[1])
			mo, _ := strconv.Atoi(m[2])
			d, _ := strconv.Atoi(m[3])
			return checkedDate(y, mo, d)
		}
	}
	return "", errors.New("not a valid date: want a form like 1990-01-02 or 平成2年1月2日")
}

// timeOfDay is a time after a date (1990/01/02 00:00:00, 1990-01-02T00:00:00Z,
// as spreadsheets and databases export birth dates): the date is what counts.
var timeOfDay = regexp.MustCompile(`(?:[T ]+|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$`)

// separators are the runs of characters a date may put between its parts.
var separators = regexp.MustCompile(`[\s_/.・･\-‐‑‒–—―−ー－]+`)

func checkedDate(y, mo, d int) (string, error) {
	if y < 1850 || y > 2100 {
		return "", errors.New("not a valid date: year out of range 1850-2100")
	}
	// time.Date silently rolls 1990-02-30 over to March 2; a round trip
	// is the simplest way to reject dates the calendar does not have.
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d {
		return "", errors.New("not a valid date: no such calendar date")
	}
	return t.Format(time.DateOnly), nil
}

// MemberCard returns a member card number without spaces or dashes and in
// upper case, because cards are read aloud, typed and scanned with
// different grouping and case. It returns "" for empty input.
func MemberCard(s string) string {
	s = strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || isDash(r) {
			return -1
		}
		return r
	}, Text(s)))
	// Dropping a space can bring a combining mark next to a letter (NFKC
	// spells ¨ as a space plus U+0308), and upper-casing can leave
	// uncomposed sequences; either way the result must be normalized again.
	return norm.NFKC.String(s)
}

// genders maps lower-cased, NFKC-normalized spellings to a canonical value.
// The digits follow JIS X 0303, the code most Japanese systems export.
var genders = map[string]string{
	"female": "female", "f": "female", "woman": "female", "2": "female",
	"女": "female", "女性": "female", "おんな": "female", "じょせい": "female",

	"male": "male", "m": "male", "man": "male", "1": "male",
	"男": "male", "男性": "male", "おとこ": "male", "だんせい": "male",

	"other": "other", "9": "other", "x": "other", "non-binary": "other",
	"nonbinary": "other", "その他": "other", "そのた": "other",

	"unknown": "unknown", "0": "unknown", "u": "unknown",
	"不明": "unknown", "未回答": "unknown", "無回答": "unknown",
	"回答しない": "unknown", "prefer not to say": "unknown",
}

// Gender maps common spellings to "female", "male", "other" or "unknown",
// or returns "" for empty input.
func Gender(s string) (string, error) {
	s = strings.ToLower(Text(s))
	if s == "" {
		return "", nil
	}
	if g, ok := genders[s]; ok {
		return g, nil
	}
	return "", errors.New("not a valid gender: unrecognized value")
}
