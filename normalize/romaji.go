package normalize

import (
	"strings"
	"unicode"
)

// Romaji in customer data comes in several spellings of one reading
// (Satō, Sato, Satou, Satoh; Shinjiro, Sinziro). RomajiKey reduces any of
// them, and KanaToRomaji's output, to one search key, so a clerk who types
// "satou" finds the customer whose reading is サトウ or whose marketplace
// record says "SATO".

// kanaRomaji is the Hepburn spelling of each katakana on its own.
var kanaRomaji = map[rune]string{
	'ア': "a", 'イ': "i", 'ウ': "u", 'エ': "e", 'オ': "o",
	'カ': "ka", 'キ': "ki", 'ク': "ku", 'ケ': "ke", 'コ': "ko",
	'ガ': "ga", 'ギ': "gi", 'グ': "gu", 'ゲ': "ge", 'ゴ': "go",
	'サ': "sa", 'シ': "shi", 'ス': "su", 'セ': "se", 'ソ': "so",
	'ザ': "za", 'ジ': "ji", 'ズ': "zu", 'ゼ': "ze", 'ゾ': "zo",
	'タ': "ta", 'チ': "chi", 'ツ': "tsu", 'テ': "te", 'ト': "to",
	'ダ': "da", 'ヂ': "ji", 'ヅ': "zu", 'デ': "de", 'ド': "do",
	'ナ': "na", 'ニ': "ni", 'ヌ': "nu", 'ネ': "ne", 'ノ': "no",
	'ハ': "ha", 'ヒ': "hi", 'フ': "fu", 'ヘ': "he", 'ホ': "ho",
	'バ': "ba", 'ビ': "bi", 'ブ': "bu", 'ベ': "be", 'ボ': "bo",
	'パ': "pa", 'ピ': "pi", 'プ': "pu", 'ペ': "pe", 'ポ': "po",
	'マ': "ma", 'ミ': "mi", 'ム': "mu", 'メ': "me", 'モ': "mo",
	'ヤ': "ya", 'ユ': "yu", 'ヨ': "yo",
	'ラ': "ra", 'リ': "ri", 'ル': "ru", 'レ': "re", 'ロ': "ro",
	'ワ': "wa", 'ヰ': "i", 'ヱ': "e", 'ヲ': "o", 'ヴ': "vu",
	'ァ': "a", 'ィ': "i", 'ゥ': "u", 'ェ': "e", 'ォ': "o",
	'ャ': "ya", 'ュ': "yu", 'ョ': "yo", 'ヮ': "wa",
}

// KanaSyllable is the Hepburn spelling of one katakana on its own
// ("シ" → "shi"), or "" for anything else.
func KanaSyllable(r rune) string { return kanaRomaji[r] }

// KanaToRomaji spells a reading (hiragana or katakana, any width) in
// lowercase Hepburn. Characters that are not kana are dropped.
func KanaToRomaji(s string) string {
	rs := []rune(Kana(s))
	var b strings.Builder
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch r {
		case 'ッ': // doubles the next consonant
			if i+1 < len(rs) {
				if next := kanaRomaji[rs[i+1]]; next != "" {
					b.WriteByte(next[0])
				}
			}
			continue
		case 'ン':
			b.WriteByte('n')
			continue
		case 'ー': // long vowel: the key drops it anyway
			continue
		}
		syl, ok := kanaRomaji[r]
		if !ok {
			continue
		}
		if i+1 < len(rs) {
			switch n := rs[i+1]; n {
			case 'ャ', 'ュ', 'ョ': // キャ → kya, シャ → sha, チョ → cho
				v := kanaRomaji[n][1:]
				switch {
				case strings.HasSuffix(syl, "hi") && len(syl) == 3, syl == "ji":
					syl = syl[:len(syl)-1] + v
				default:
					syl = syl[:len(syl)-1] + "y" + v
				}
				i++
			case 'ァ', 'ィ', 'ェ', 'ォ': // ファ → fa, ティ → ti
				syl = syl[:len(syl)-1] + kanaRomaji[n]
				i++
			}
		}
		b.WriteString(syl)
	}
	return b.String()
}

// romajiFolds rewrites spelling variants to one form; applied in order.
var romajiFolds = strings.NewReplacer(
	"shi", "si", "sh", "sy", "chi", "ti", "ch", "ty", "tsu", "tu",
	"fu", "hu", "ji", "zi", "j", "zy", "mb", "nb", "mp", "np", "mm", "nm",
)

// RomajiKey folds a romaji spelling to a comparison key: letters only,
// lower case, Hepburn and keyboard spellings made equal (shi/si, tsu/tu,
// ji/zi, m/n before b and p) and long vowels shortened (ou, oo, oh, uu → o,
// u), as passports and marketplaces write them inconsistently.
func RomajiKey(s string) string {
	var b strings.Builder
	for _, r := range Text(s) {
		r = unicode.ToLower(r)
		switch r {
		case 'ā':
			r = 'a'
		case 'ī':
			r = 'i'
		case 'ū', 'û':
			r = 'u'
		case 'ē':
			r = 'e'
		case 'ō', 'ô':
			r = 'o'
		}
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	// One fold can make another (c+fu → chu → tyu, mm+b → nmb → nnb):
	// fold until nothing changes, so that a key is its own key.
	k := b.String()
	for {
		f := romajiFolds.Replace(k)
		if f == k {
			break
		}
		k = f
	}
	var out strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if i > 0 {
			p := out.String()
			last := p[len(p)-1]
			// Long vowels: oo, ou, uu, and "oh" before a consonant or at the end.
			if (last == 'o' && (c == 'o' || c == 'u')) || (last == 'u' && c == 'u') {
				continue
			}
			if last == 'o' && c == 'h' && (i+1 == len(k) || !strings.ContainsRune("aiueoy", rune(k[i+1]))) {
				continue
			}
		}
		out.WriteByte(c)
	}
	return out.String()
}

// IsKana reports whether s (after width folding, ignoring spaces and the
// long-vowel mark) is entirely hiragana or katakana.
func IsKana(s string) bool {
	k := Kana(s)
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'ァ' && r <= 'ヺ' || r == 'ー' || r == 'ヽ' || r == 'ヾ') {
			return false
		}
	}
	return true
}

// IsLatin reports whether s holds letters and only Latin letters, spaces,
// dots, hyphens and apostrophes, as a romaji name does.
func IsLatin(s string) bool {
	s = Text(s)
	letters := 0
	for _, r := range s {
		switch {
		case r < 128 && unicode.IsLetter(r), r == 'ā' || r == 'ī' || r == 'ū' || r == 'ē' || r == 'ō' || r == 'ô' || r == 'û':
			letters++
		case r == ' ', r == '.', r == '-', r == '\'':
		default:
			return false
		}
	}
	return letters > 0
}
