package normalize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// isPrefecture reports whether name is one of the 47 official names.
func isPrefecture(name string) bool {
	for _, p := range prefectures {
		if p.name == name {
			return true
		}
	}
	return false
}

func FuzzPrefecture(f *testing.F) {
	for _, s := range []string{"東京", "東京都", " 東京 都 ", "北海道", "神奈川", "沖縄　", "Tokyo", "tokyo-to", "ＴＯＫＹＯ",
		"Tōkyō", "Toukyou", "Osaka-fu", "Oosaka", "Kanagawa Prefecture", "Hyogo Pref.", "Hokkaidō", "Kōchi",
		"北海", "京都市", "東京都千代田区", "New York", "", "\xff", "ｷｮｳﾄ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := Prefecture(s)
		if p == "" {
			return
		}
		if !isPrefecture(p) {
			t.Fatalf("Prefecture(%q) = %q, not one of the 47", s, p)
		}
		if again := Prefecture(p); again != p {
			t.Fatalf("Prefecture(%q) = %q, Prefecture of that = %q", s, p, again)
		}
		// Width, case and surrounding space do not matter.
		if got := Prefecture(" " + s + "\u3000"); got != p {
			t.Fatalf("Prefecture(%q) = %q, but with spaces around %q", s, p, got)
		}
		if isASCII(s) {
			if got := Prefecture(strings.ToUpper(s)); got != p {
				t.Fatalf("Prefecture(%q) = %q, but of upper case %q", s, p, got)
			}
			if got := Prefecture(fullWidth(s)); got != p {
				t.Fatalf("Prefecture(%q) = %q, but of full width %q", s, p, got)
			}
		}
	})
}

func FuzzSplitPrefecture(f *testing.F) {
	for _, s := range []string{"東京都渋谷区道玄坂1-2-3", "北海道 札幌市", "京都府京都市中京区", "京都市中京区", "渋谷区道玄坂",
		"　東京都　千代田区 ", "東京都", "東京都東京都", "ｶﾅｶﾞﾜ県", "神奈川県横浜市西区みなとみらい２－３－１", "Tokyo", "",
		"\xff東京都", "東京都\xff", "東京都\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pref, rest := SplitPrefecture(s)
		if !utf8.ValidString(pref) || !utf8.ValidString(rest) {
			t.Fatalf("SplitPrefecture(%q) = %q, %q: invalid UTF-8", s, pref, rest)
		}
		text := Text(s)
		if pref == "" {
			if rest != text {
				t.Fatalf("SplitPrefecture(%q) = \"\", %q; want the whole text %q", s, rest, text)
			}
			for _, p := range prefectures {
				if strings.HasPrefix(text, p.name) {
					t.Fatalf("SplitPrefecture(%q) missed %s", s, p.name)
				}
			}
			return
		}
		if !isPrefecture(pref) || Prefecture(pref) != pref {
			t.Fatalf("SplitPrefecture(%q) = %q, not an official name", s, pref)
		}
		// Nothing is lost or added: the text is the prefecture, then the
		// rest, with at most the one space that separated them.
		if text != pref+rest && text != pref+" "+rest {
			t.Fatalf("SplitPrefecture(%q) = %q, %q; does not rebuild %q", s, pref, rest, text)
		}
		if strings.TrimSpace(rest) != rest {
			t.Fatalf("SplitPrefecture(%q): rest %q has surrounding space", s, rest)
		}
		// Splitting the normalized text again, or the parts rejoined, gives the same parts.
		if p2, r2 := SplitPrefecture(pref + " " + rest); p2 != pref || r2 != rest {
			t.Fatalf("SplitPrefecture(%q) = %q, %q; rejoined gives %q, %q", s, pref, rest, p2, r2)
		}
	})
}
