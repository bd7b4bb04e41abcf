package normalize

import (
	"strings"
	"testing"
)

func TestEmailMatchKey(t *testing.T) {
	same := [][]string{
		{"hanako.sato@gmail.com", "HanakoSato@gmail.com", "hanako.sato+shop@gmial.com", "hanakosato@googlemail.com", "ｈａｎａｋｏ．ｓａｔｏ＠ｇｍａｉｌ．ｃｏｍ"},
		{"taro@docomo.ne.jp", "taro@docomo.ne.jo", "TARO@docomo.co.jp"},
		{"misaki@yahoo.co.jp", "misaki@yahoo.co.jo", "misaki@yahooo.co.jp"},
		{"k.yamada@icloud.com", "k.yamada+news@icloud.com"},
	}
	for _, g := range same {
		want, err := EmailMatchKey(g[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range g[1:] {
			if got, err := EmailMatchKey(s); err != nil || got != want {
				t.Errorf("EmailMatchKey(%q) = %q, %v; want %q", s, got, err, want)
			}
		}
	}
	// Kept apart: dots outside Gmail, plus tags where the provider keeps them.
	for _, pair := range [][2]string{{"h.sato@docomo.ne.jp", "hsato@docomo.ne.jp"}, {"a+b@example.jp", "a@example.jp"}, {"taro@gmail.com", "jiro@gmail.com"}} {
		a, _ := EmailMatchKey(pair[0])
		b, _ := EmailMatchKey(pair[1])
		if a == b {
			t.Errorf("%q and %q share the key %q", pair[0], pair[1], a)
		}
	}
	if _, err := EmailMatchKey("not an address"); err == nil {
		t.Error("an invalid address has a key")
	}
	if d, ok := EmailDomainCorrected("GMIAL.com"); !ok || d != "gmail.com" {
		t.Errorf("EmailDomainCorrected = %q, %v", d, ok)
	}
}

func TestEmailTyposPointAtRealDomains(t *testing.T) {
	for typo, d := range emailDomainTypos {
		if _, isTypo := emailDomainTypos[d]; isTypo || typo == d || strings.Count(d, ".") == 0 {
			t.Errorf("%s → %s: the target is itself listed or malformed", typo, d)
		}
	}
}

func FuzzEmailMatchKey(f *testing.F) {
	for _, s := range []string{"a.b+c@gmail.com", "x@docomo.ne.jo", "@", "+@gmail.com", ".@gmail.com", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := EmailMatchKey(s)
		if err != nil {
			return
		}
		if again, err := EmailMatchKey(k); err != nil || again != k {
			t.Fatalf("EmailMatchKey(%q) = %q, then %q, %v", s, k, again, err)
		}
	})
}
