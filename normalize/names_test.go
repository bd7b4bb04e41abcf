package normalize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fixedPoint runs a key or folding function on a fuzzer's input and fails
// unless its answer is UTF-8 and a fixed point (the function changes it no
// further), the two properties every such function keeps; it returns the
// answer for the fuzzer's own checks.
func fixedPoint(t *testing.T, name string, fn func(string) string, s string) string {
	t.Helper()
	k := fn(s)
	if !utf8.ValidString(k) {
		t.Fatalf("%s(%q) = %q, not UTF-8", name, s, k)
	}
	if again := fn(k); again != k {
		t.Fatalf("%s not idempotent: %q → %q → %q", name, s, k, again)
	}
	return k
}

func TestVariantTableIsValid(t *testing.T) {
	m, err := parseVariants(kanjiVariantsTSV)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) < 50 {
		t.Errorf("only %d variants", len(m))
	}
	for _, bad := range []string{"髙\t高\n髙\t高", "髙\t髙", "髙高", "髙\t高\n高\t亠"} {
		if _, err := parseVariants(bad); err == nil {
			t.Errorf("parseVariants(%q) accepted a bad table", bad)
		}
	}
	// The examples.
	for from, to := range map[rune]rune{'髙': '高', '﨑': '崎', '齋': '斎', '齊': '斎', '斉': '斎', '邊': '辺', '邉': '辺', '澤': '沢', '濱': '浜', '德': '徳'} {
		if m[from] != to {
			t.Errorf("%c folds to %c, want %c", from, m[from], to)
		}
	}
}

func TestNameKey(t *testing.T) {
	same := [][]string{
		{"髙橋 美咲", "高橋美咲", "高橋　美咲 様", "髙橋・美咲"},
		{"齋藤 一郎", "斎藤一郎", "齋藤一郎さん"},
		{"渡邊 澄子", "渡辺澄子", "渡邉 澄子 殿"},
		{"Misaki Takahashi", "MISAKI TAKAHASHI", "misakitakahashi"},
	}
	for _, g := range same {
		for _, s := range g[1:] {
			if NameKey(s) != NameKey(g[0]) {
				t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q", s, NameKey(s), g[0], NameKey(g[0]))
			}
		}
	}
	if NameKey("高橋") == NameKey("高梨") {
		t.Error("different names share a key")
	}
	if NameKey("様") != "様" {
		t.Errorf("a name that is only an honorific lost it: %q", NameKey("様"))
	}
}

func TestReadingKey(t *testing.T) {
	same := [][]string{
		{"キョウコ", "きょうこ", "ｷｮｳｺ", "キヨウコ", "キョウコ"},
		{"サトウ", "さとう", "ｻﾄｳ"},
		{"スズキ ミヅキ", "すずき みずき"},
		{"ヴァイオレット", "ブアイオレット"},
	}
	for _, g := range same {
		for _, s := range g[1:] {
			if ReadingKey(s) != ReadingKey(g[0]) {
				t.Errorf("ReadingKey(%q) = %q, ReadingKey(%q) = %q", s, ReadingKey(s), g[0], ReadingKey(g[0]))
			}
		}
	}
	if ReadingKey("サトー") != "サト" || ReadingKey("サトウ") != "サトウ" {
		t.Errorf("long vowel mark: %q %q", ReadingKey("サトー"), ReadingKey("サトウ"))
	}
}

func FuzzNameKey(f *testing.F) {
	for _, s := range []string{"髙橋 美咲 様", "齋藤", "ｻﾄｳ", "", "様", "\xff", "Ａｂｃ・ｄ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := fixedPoint(t, "NameKey", NameKey, s)
		if strings.ContainsAny(k, " \u3000・") {
			t.Fatalf("NameKey(%q) = %q keeps a space or dot", s, k)
		}
		for _, r := range k {
			if _, ok := kanjiVariants[r]; ok {
				t.Fatalf("NameKey(%q) = %q keeps variant %c", s, k, r)
			}
		}
		r := ReadingKey(s)
		if !utf8.ValidString(r) || ReadingKey(r) != r {
			t.Fatalf("ReadingKey(%q) = %q, again %q", s, r, ReadingKey(r))
		}
	})
}

func FuzzReadingKey(f *testing.F) {
	for _, s := range []string{"キョウコ", "きょうこ", "ｷｮｳｺ", "キヨウコ", "ｻﾄｰ ｷｮｳｺ", "さとう　きょうこ", "スズキ ミヅキ", "ヴァイオレット",
		"ヲノ", "ジョン・スミス", "は゛な", "ッ゙", "カー゙", "いすゞ", "ヶ", "山田", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := fixedPoint(t, "ReadingKey", ReadingKey, s)
		// One reading, one key, whether typed in hiragana, half-width
		// katakana or with spaces.
		if got := ReadingKey(Kana(s)); got != k {
			t.Fatalf("ReadingKey(%q) = %q, but of its Kana %q = %q", s, k, Kana(s), got)
		}
		for _, r := range k {
			_, small := smallKana[r]
			switch {
			case unicode.IsSpace(r), small, strings.ContainsRune("ー・･ヂヅヴヲ", r):
				t.Fatalf("ReadingKey(%q) = %q keeps %q", s, k, r)
			case r >= 'ぁ' && r <= 'ゖ':
				t.Fatalf("ReadingKey(%q) = %q keeps hiragana %q", s, k, r)
			}
		}
	})
}

func FuzzFoldKanji(f *testing.F) {
	for _, s := range []string{"髙橋", "﨑", "齋藤 一郎", "渡邊", "渡邉", "澤田", "濱口", "德川", "神", "髙橋　美咲 様", "ｻﾄｳ",
		"Ａｂｃ", "", "\xff", "\u0301髙"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := fixedPoint(t, "FoldKanji", FoldKanji, s)
		// FoldKanji is Text with each variant replaced by its folded
		// form, rune for rune; nothing else changes.
		text := []rune(Text(s))
		folded := []rune(k)
		if len(text) != len(folded) {
			t.Fatalf("FoldKanji(%q) = %q, Text = %q: lengths differ", s, k, string(text))
		}
		for i, r := range text {
			want := r
			if v, ok := kanjiVariants[r]; ok {
				want = v
			}
			if folded[i] != want {
				t.Fatalf("FoldKanji(%q) = %q: %q at %d, want %q", s, k, folded[i], i, want)
			}
			if _, ok := kanjiVariants[folded[i]]; ok {
				t.Fatalf("FoldKanji(%q) = %q keeps variant %q", s, k, folded[i])
			}
		}
	})
}
