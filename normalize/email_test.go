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

func FuzzEmailDomainCorrected(f *testing.F) {
	for _, s := range []string{"gmial.com", "GMIAL.com", "docomo.ne.jo", "yahoo.co.jo", "ezweb.ne.jo", "i.softbank.co.jp", "gmail.com",
		"yahoo.co.jp", "example.jp", "ｇｍｉａｌ．ｃｏｍ", " gmial.com", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := EmailDomainCorrected(s)
		if !ok {
			if d != "" {
				t.Fatalf("EmailDomainCorrected(%q) = %q, false", s, d)
			}
			return
		}
		if d == "" || d != strings.ToLower(d) || !strings.Contains(d, ".") || d == strings.ToLower(s) {
			t.Fatalf("EmailDomainCorrected(%q) = %q: not a lower-case domain different from the input", s, d)
		}
		// The suggestion is itself right: suggesting again offers nothing.
		if again, ok := EmailDomainCorrected(d); ok {
			t.Fatalf("EmailDomainCorrected(%q) = %q, which is corrected again to %q", s, d, again)
		}
		if isASCII(s) {
			if u, ok := EmailDomainCorrected(strings.ToUpper(s)); !ok || u != d {
				t.Fatalf("EmailDomainCorrected(%q) = %q, but of upper case %q, %v", s, d, u, ok)
			}
			// The match key corrects the same domain the same way.
			if !strings.ContainsAny(s, "@ ") {
				if k, err := EmailMatchKey("taro@" + s); err != nil || k != "taro@"+d {
					t.Fatalf("EmailDomainCorrected(%q) = %q, but EmailMatchKey gives %q, %v", s, d, k, err)
				}
			}
		}
	})
}
