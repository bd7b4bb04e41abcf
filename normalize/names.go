package normalize

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

//go:embed kanji_variants.tsv
var kanjiVariantsTSV string

// kanjiVariants maps a variant kanji to its folded form (see the sources
// cited in kanji_variants.tsv).
var kanjiVariants = mustVariants(kanjiVariantsTSV)

func mustVariants(tsv string) map[rune]rune {
	m, err := parseVariants(tsv)
	if err != nil {
		panic(err) // the table is embedded: a bad line is a build defect, caught by the tests
	}
	return m
}

func parseVariants(tsv string) (map[rune]rune, error) {
	m := map[rune]rune{}
	for i, line := range strings.Split(tsv, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		from, to, ok := strings.Cut(line, "\t")
		f, t := []rune(from), []rune(to)
		if !ok || len(f) != 1 || len(t) != 1 {
			return nil, fmt.Errorf("kanji_variants.tsv line %d: want one variant, a tab and one kanji: %q", i+1, line)
		}
		if f[0] == t[0] {
			return nil, fmt.Errorf("kanji_variants.tsv line %d: %c maps to itself", i+1, f[0])
		}
		if _, dup := m[f[0]]; dup {
			return nil, fmt.Errorf("kanji_variants.tsv line %d: %c is listed twice", i+1, f[0])
		}
		m[f[0]] = t[0]
	}
	for f, t := range m {
		if _, chained := m[t]; chained {
			return nil, fmt.Errorf("kanji_variants.tsv: %c folds to %c, which is itself a variant", f, t)
		}
	}
	return m, nil
}

// FoldKanji replaces old and variant kanji with the forms most systems
// store (髙→高, 﨑→崎, 齋→斎, 邊→辺, 澤→沢, …) after NFKC, which already
// folds the CJK compatibility ideographs. It is for comparing, never for
// display: a customer's own spelling is kept as sent.
func FoldKanji(s string) string {
	return strings.Map(func(r rune) rune {
		if t, ok := kanjiVariants[r]; ok {
			return t
		}
		return r
	}, Text(s))
}

// nameHonorifics are titles people and systems add to a name.
var nameHonorifics = []string{"様", "さま", "サマ", "殿", "どの", "さん", "サン", "御中", "ちゃん", "くん", "君", "氏"}

// NameKey is a written name as compared: width-folded, variant kanji
// folded, without spaces, middle dots or a trailing honorific, Latin
// letters in lower case. "髙橋　美咲 様" and "高橋美咲" have one key.
func NameKey(s string) string {
	s = FoldKanji(s)
	for _, h := range nameHonorifics {
		if t, ok := strings.CutSuffix(s, h); ok && strings.TrimSpace(t) != "" {
			s = strings.TrimSpace(t)
			break
		}
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '・' || r == '･' || r == '.' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	// Dropping a space can bring a combining mark next to a letter (NFKC
	// spells ´ as a space plus U+0301): compose again.
	return norm.NFKC.String(s)
}

// smallKana maps small kana to their full-size forms: readings are typed
// with and without them (キヨウコ for キョウコ on old terminals).
var smallKana = map[rune]rune{
	'ァ': 'ア', 'ィ': 'イ', 'ゥ': 'ウ', 'ェ': 'エ', 'ォ': 'オ', 'ッ': 'ツ',
	'ャ': 'ヤ', 'ュ': 'ユ', 'ョ': 'ヨ', 'ヮ': 'ワ', 'ヵ': 'カ', 'ヶ': 'ケ',
}

// ReadingKey is a name reading as compared: katakana (from hiragana or
// half-width), no spaces, small kana made full-size, the
// long-vowel mark dropped, and the kana that sound alike made one
// (ヂ→ジ, ヅ→ズ, ヴ→ブ, ヲ→オ). "ｻﾄｰ ｷｮｳｺ", "さとう きょうこ" and
// "サトウ キヨウコ" differ only in the long vowel, which the matcher
// compares with an edit distance.
func ReadingKey(s string) string {
	k := Kana(s)
	for {
		var b strings.Builder
		for _, r := range k {
			if f, ok := smallKana[r]; ok {
				r = f
			}
			switch r {
			case 'ー', '・', '･':
				continue
			case 'ヂ':
				r = 'ジ'
			case 'ヅ':
				r = 'ズ'
			case 'ヴ':
				r = 'ブ'
			case 'ヲ':
				r = 'オ'
			}
			b.WriteRune(r)
		}
		// A voiced mark that followed ー or a small kana (ｶｰﾞ, ｯﾞ) now
		// follows a kana it voices: compose (カ゛→ガ, ツ゛→ヅ) and fold
		// again, or a second call would give a different key.
		out := b.String()
		if k = norm.NFKC.String(out); k == out {
			return out
		}
	}
}
