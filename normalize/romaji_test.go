package normalize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestKanaToRomaji(t *testing.T) {
	for in, want := range map[string]string{
		"サトウ": "satou", "しんじろう": "shinjirou", "ｷｮｳｺ": "kyouko", "ハットリ": "hattori",
		"チョウ": "chou", "ジュン": "jun", "ファン": "fan", "ナンバ": "nanba", "サトー": "sato",
	} {
		if got := KanaToRomaji(in); got != want {
			t.Errorf("KanaToRomaji(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRomajiKeyJoinsSpellings(t *testing.T) {
	groups := [][]string{
		{"Sato", "Satou", "Satoh", "SATŌ", KanaToRomaji("サトウ")},
		{"Shinjiro", "Sinziro", "shinjirou", KanaToRomaji("シンジロウ")},
		{"Namba", "Nanba", KanaToRomaji("ナンバ")},
		{"Ohta", "Ota", "Oota", KanaToRomaji("オオタ")},
		{"Tsutsumi", "Tutumi", KanaToRomaji("ツツミ")},
		{"Kyoko", "Kyouko", KanaToRomaji("キョウコ")},
	}
	for _, g := range groups {
		want := RomajiKey(g[0])
		for _, s := range g[1:] {
			if got := RomajiKey(s); got != want {
				t.Errorf("RomajiKey(%q) = %q, want %q (as %q)", s, got, want, g[0])
			}
		}
	}
	// Different names stay different.
	if RomajiKey("Sato") == RomajiKey("Saito") || RomajiKey("Ohashi") == RomajiKey("Oishi") {
		t.Error("distinct names folded together")
	}
	// "oh" before a vowel is a real h (Ohashi: オオハシ).
	if got, want := RomajiKey("Ohashi"), RomajiKey(KanaToRomaji("オオハシ")); got != want {
		t.Errorf("Ohashi: %q vs %q", got, want)
	}
}

func TestIsKanaIsLatin(t *testing.T) {
	for s, want := range map[string]bool{"やまだ": true, "ヤマダ ハナコ": true, "ﾔﾏﾀﾞ": true, "山田": false, "yamada": false, "": false} {
		if IsKana(s) != want {
			t.Errorf("IsKana(%q) != %v", s, want)
		}
	}
	for s, want := range map[string]bool{"Yamada Hanako": true, "ｙａｍａｄａ": true, "O'Brien": true, "山田": false, "090": false} {
		if IsLatin(s) != want {
			t.Errorf("IsLatin(%q) != %v", s, want)
		}
	}
}

// isASCIILower reports whether s is made of the letters a-z only (or empty).
func isASCIILower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// isASCII reports whether s is printable ASCII only.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// fullWidth spells printable ASCII in full width, as POS terminals and
// IMEs in full-width mode do (a space becomes U+3000).
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ':
			return '\u3000'
		case r > ' ' && r <= '~':
			return r - '!' + '！'
		}
		return r
	}, s)
}

func FuzzKanaToRomaji(f *testing.F) {
	for _, s := range []string{"サトウ", "しんじろう", "ｷｮｳｺ", "ハットリ", "チョウ", "ファン", "ナンバ", "サトー",
		"ヴァイオリン", "ッ", "ンッ", "ャュョ", "は゛な", "やまだ たろう", "山田", "", "\xff", "ゔぁ", "ヶ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := KanaToRomaji(s)
		if !isASCIILower(out) {
			t.Fatalf("KanaToRomaji(%q) = %q, want lower-case ASCII letters only", s, out)
		}
		// The reading is read after Kana: hiragana, half-width and spaced
		// spellings of one reading have one romaji.
		if k := KanaToRomaji(Kana(s)); k != out {
			t.Fatalf("KanaToRomaji(%q) = %q, but of its Kana %q = %q", s, out, Kana(s), k)
		}
		// Romaji is not kana: a second pass has nothing left to spell.
		if again := KanaToRomaji(out); again != "" {
			t.Fatalf("KanaToRomaji(%q) = %q, KanaToRomaji of that = %q", s, out, again)
		}
		spelled := false
		for _, r := range Kana(s) {
			syl := KanaSyllable(r)
			if syl == "" {
				spelled = spelled || r == 'ン'
				continue
			}
			spelled = true
			if !isASCIILower(syl) {
				t.Fatalf("KanaSyllable(%q) = %q", r, syl)
			}
			if one := KanaToRomaji(string(r)); one != syl {
				t.Fatalf("KanaToRomaji(%q) = %q, KanaSyllable = %q", r, one, syl)
			}
		}
		// A kana that has a spelling is never silently lost.
		if spelled && out == "" {
			t.Fatalf("KanaToRomaji(%q) is empty though %q has spellable kana", s, Kana(s))
		}
	})
}

func FuzzRomajiKey(f *testing.F) {
	for _, s := range []string{"Sato", "SATŌ", "Satoh", "Shinjiro", "Sinziro", "Namba", "Homma", "Ohashi", "Ōta",
		"Tsutsumi", "Kyôko", "ＹＡＭＡＤＡ　Ｈａｎａｋｏ", "O'Brien", "mmm", "ohh", "", "\xff", "山田"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// A key is already folded: customer search stores keys and folds
		// the query the same way.
		k := fixedPoint(t, "RomajiKey", RomajiKey, s)
		if !isASCIILower(k) {
			t.Fatalf("RomajiKey(%q) = %q, want lower-case ASCII letters only", s, k)
		}
		if isASCII(s) {
			if u := RomajiKey(strings.ToUpper(s)); u != k {
				t.Fatalf("RomajiKey(%q) = %q, but of upper case %q", s, k, u)
			}
			if w := RomajiKey(fullWidth(s)); w != k {
				t.Fatalf("RomajiKey(%q) = %q, but of full width %q", s, k, w)
			}
		}
		if IsLatin(s) && k == "" {
			t.Fatalf("IsLatin(%q) but RomajiKey is empty", s)
		}
	})
}

func FuzzIsKanaIsLatin(f *testing.F) {
	for _, s := range []string{"やまだ", "ヤマダ ハナコ", "ﾔﾏﾀﾞ", "サトー", "ー", "ヽ", "山田", "yamada", "ｙａｍａｄａ",
		"O'Brien", "Satō", "J. Smith", "090", "", " ", "\xff", "やまだ taro"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kana, latin := IsKana(s), IsLatin(s)
		if kana && latin {
			t.Fatalf("%q is both kana and Latin", s)
		}
		if kana != IsKana(Kana(s)) {
			t.Fatalf("IsKana(%q) = %v, IsKana of its Kana %q = %v", s, kana, Kana(s), !kana)
		}
		if latin != IsLatin(Text(s)) {
			t.Fatalf("IsLatin(%q) = %v, IsLatin of its Text %q = %v", s, latin, Text(s), !latin)
		}
		if kana {
			// Corrupt bytes become U+FFFD, which is not kana.
			if !utf8.ValidString(s) {
				t.Fatalf("IsKana(%q) on invalid UTF-8", s)
			}
			if KanaToRomaji(s) == "" && strings.ContainsFunc(Kana(s), func(r rune) bool { return KanaSyllable(r) != "" }) {
				t.Fatalf("IsKana(%q) but no romaji", s)
			}
		}
		if latin {
			if isASCII(s) && !IsLatin(fullWidth(s)) {
				t.Fatalf("IsLatin(%q) but not its full-width form", s)
			}
			if RomajiKey(s) == "" {
				t.Fatalf("IsLatin(%q) but RomajiKey is empty", s)
			}
		}
	})
}
