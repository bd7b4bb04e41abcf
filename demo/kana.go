package demo

import (
	"strings"
	"unicode/utf8"

	"github.com/kizuna-oss/kizuna/normalize"
)

// Kana and width helpers. They run once per table entry when the lookup
// tables are built (readings, romaji, half-width forms) or on short strings
// per record (full-width digits), so they favour clarity over speed.

// Romaji styles seen in Japanese customer data.
const (
	romajiPassport = iota // ministry (passport) Hepburn: Sato, Ota, Yuko, Namba
	romajiWapuro          // keyboard spelling: Satou, Oota, Yuuko, Nanba
	romajiOh              // long o written "oh": Satoh, Ohta, Yohko
	romajiStyles
)

func isSmallY(r rune) bool { return r == 'ャ' || r == 'ュ' || r == 'ョ' }
func isSmallVowel(r rune) bool {
	return r == 'ァ' || r == 'ィ' || r == 'ゥ' || r == 'ェ' || r == 'ォ'
}

// toKatakana turns hiragana into katakana and leaves everything else alone.
func toKatakana(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'ぁ' && r <= 'ゖ' {
			r += 0x60
		}
		b.WriteRune(r)
	}
	return b.String()
}

// toHiragana turns katakana into hiragana; ー and ヴ stay as they are.
func toHiragana(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'ァ' && r <= 'ヶ' && r != 'ヴ' {
			r -= 0x60
		}
		b.WriteRune(r)
	}
	return b.String()
}

// syllables splits katakana into romaji syllables, joining a kana with a
// following small kana (キャ, ファ).
func syllables(kana string) []string {
	rs := []rune(toKatakana(kana))
	var out []string
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch r {
		case 'ッ', 'ン', 'ー':
			out = append(out, string(r))
			continue
		}
		base := normalize.KanaSyllable(r)
		if base == "" {
			continue
		}
		if i+1 < len(rs) && isSmallY(rs[i+1]) && strings.HasSuffix(base, "i") && len(base) > 1 {
			v := normalize.KanaSyllable(rs[i+1])[1:] // a, u, o
			switch base {
			case "shi", "chi", "ji":
				base = base[:len(base)-1] + v
			default:
				base = base[:len(base)-1] + "y" + v
			}
			i++
		} else if i+1 < len(rs) && isSmallVowel(rs[i+1]) {
			v := normalize.KanaSyllable(rs[i+1])
			switch base {
			case "fu":
				base = "f" + v
			case "te":
				base = "t" + v
			case "de":
				base = "d" + v
			case "u":
				base = "w" + v
			case "vu":
				base = "v" + v
			case "shi", "chi", "ji":
				base = base[:len(base)-1] + v
			default:
				base += v
			}
			i++
		}
		out = append(out, base)
	}
	return out
}

// romaji spells a katakana (or hiragana) reading in lowercase Hepburn in the
// given style. Long vowels are told apart from morpheme joins (イノウエ is
// Inoue, not Ino) by a heuristic: ウ/オ after an o or u sound is long unless
// an エ or ア follows.
func romaji(kana string, style int) string {
	syl := syllables(kana)
	var b strings.Builder
	last := func() byte {
		s := b.String()
		if s == "" {
			return 0
		}
		return s[len(s)-1]
	}
	for i, s := range syl {
		next := ""
		if i+1 < len(syl) {
			next = syl[i+1]
		}
		switch s {
		case "ッ":
			if next != "" {
				if strings.HasPrefix(next, "ch") {
					b.WriteByte('t')
				} else {
					b.WriteByte(next[0])
				}
			}
			continue
		case "ン":
			if style != romajiWapuro && next != "" && strings.ContainsRune("bmp", rune(next[0])) {
				b.WriteByte('m')
			} else {
				b.WriteByte('n')
			}
			continue
		case "ー":
			if style == romajiWapuro {
				if l := last(); l != 0 {
					b.WriteByte(l)
				}
			} else if style == romajiOh && last() == 'o' && !strings.HasPrefix(next, "h") {
				b.WriteByte('h')
			}
			continue
		}
		if style != romajiWapuro && (s == "u" || s == "o") && next != "e" && next != "a" {
			l := last()
			if (s == "u" && (l == 'o' || l == 'u')) || (s == "o" && l == 'o') {
				if style == romajiOh && l == 'o' && !strings.HasPrefix(next, "h") {
					b.WriteByte('h')
				}
				continue
			}
		}
		b.WriteString(s)
	}
	return b.String()
}

// halfKana maps full-width katakana to the half-width forms of old POS and
// mail-order systems (ｶﾞ is two runes).
var halfKana = func() map[rune]string {
	full := []rune("ァアィイゥウェエォオカキクケコサシスセソタチッツテトナニヌネノハヒフヘホマミムメモャヤュユョヨラリルレロワヲンー")
	half := []rune("ｧｱｨｲｩｳｪｴｫｵｶｷｸｹｺｻｼｽｾｿﾀﾁｯﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓｬﾔｭﾕｮﾖﾗﾘﾙﾚﾛﾜｦﾝｰ")
	m := make(map[rune]string, 2*len(full))
	for i, r := range full {
		m[r] = string(half[i])
	}
	for _, r := range "カキクケコサシスセソタチツテトハヒフヘホ" {
		m[r+1] = m[r] + "ﾞ" // ガ = カ+1
	}
	for _, r := range "ハヒフヘホ" {
		m[r+2] = m[r] + "ﾟ" // パ = ハ+2
	}
	m['ヴ'] = "ｳﾞ"
	m['　'] = " "
	return m
}()

// toHalfKana converts katakana (or hiragana) to half-width katakana.
func toHalfKana(s string) string {
	var b strings.Builder
	for _, r := range toKatakana(s) {
		if h, ok := halfKana[r]; ok {
			b.WriteString(h)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// toFullWidth turns ASCII letters, digits and symbols into their full-width
// forms (０９０－１２３４), as typed in Japanese input mode. Hyphens become
// the full-width hyphen-minus, spaces the ideographic space.
func toFullWidth(s string) string {
	b := make([]byte, 0, len(s)*3)
	for _, r := range s {
		switch {
		case r == ' ':
			r = '　'
		case r > ' ' && r <= '~':
			r += 0xFEE0
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// kanjiNumber spells 1..99 in kanji numerals (二, 十四), as in 二丁目.
func kanjiNumber(n int) string {
	const d = "〇一二三四五六七八九"
	digit := func(i int) string { return string([]rune(d)[i]) }
	switch {
	case n < 10:
		return digit(n)
	case n == 10:
		return "十"
	case n < 20:
		return "十" + digit(n-10)
	case n%10 == 0:
		return digit(n/10) + "十"
	default:
		return digit(n/10) + "十" + digit(n%10)
	}
}

// capitalize upper-cases the first ASCII letter.
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-32) + s[1:]
}
