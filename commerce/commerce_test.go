package commerce

import (
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna"
)

func TestValidateJAN(t *testing.T) {
	// Published examples: GS1's EAN-13 4006381333931, the EAN-8 codes
	// 73513537 and 96385074, and the JAN sample 4901234567894.
	for _, ok := range []string{"4006381333931", "73513537", "96385074", "4901234567894"} {
		if err := ValidateJAN(ok); err != nil {
			t.Errorf("ValidateJAN(%s): %v", ok, err)
		}
	}
	for _, c := range []struct{ code, want string }{
		{"4006381333932", "check digit 2, but its first 12 digits give 1"},
		{"4006381333913", "check digit 3, but its first 12 digits give 7"}, // neighbours swapped
		{"73513538", "check digit 8, but its first 7 digits give 7"},
		{"400638133393", "has 12 characters"},
		{"40063813339A1", `holds 'A' at position 12`},
		{"", "has 0 characters"},
	} {
		err := ValidateJAN(c.code)
		if err == nil || !strings.Contains(err.Error(), c.want) || kizuna.ErrorField(err) != "jan" {
			t.Errorf("ValidateJAN(%q) = %v, want an error on jan saying %q", c.code, err, c.want)
		}
	}
}

func TestNormalizeJAN(t *testing.T) {
	for in, want := range map[string]string{
		"４００６３８１３３３９３１":    "4006381333931",
		" 4006381-333931 ": "4006381333931",
		"4006 3813 3393 1": "4006381333931",
		"4006381333931":    "4006381333931",
	} {
		if got := NormalizeJAN(in); got != want {
			t.Errorf("NormalizeJAN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplitInclusive(t *testing.T) {
	for _, c := range []struct {
		inclusive     int64
		rate          TaxRate
		rounding      Rounding
		excluded, tax int64
	}{
		{1100, TaxStandard, RoundDown, 1000, 100},
		{1000, TaxReduced, RoundDown, 926, 74},  // 74.07…
		{1000, TaxStandard, RoundDown, 910, 90}, // 90.90…
		{1000, TaxStandard, RoundHalfUp, 909, 91},
		{1000, TaxReduced, RoundUp, 925, 75},
		{108, TaxReduced, RoundDown, 100, 8},
		{1, TaxStandard, RoundDown, 1, 0},
		{0, TaxStandard, RoundDown, 0, 0},
		{500, TaxExempt, RoundUp, 500, 0},
		{-1100, TaxStandard, RoundDown, -1000, -100}, // a refund
		{-1000, TaxReduced, RoundDown, -926, -74},
	} {
		ex, tax := SplitInclusive(c.inclusive, c.rate, c.rounding)
		if ex != c.excluded || tax != c.tax || ex+tax != c.inclusive {
			t.Errorf("SplitInclusive(%d, %d%%, %s) = %d + %d, want %d + %d", c.inclusive, c.rate, c.rounding, ex, tax, c.excluded, c.tax)
		}
	}
}

func TestRoundingDivide(t *testing.T) {
	for _, c := range []struct {
		n, d int64
		r    Rounding
		want int64
	}{
		{1999, 100, RoundDown, 19}, {1999, 100, RoundHalfUp, 20}, {1949, 100, RoundHalfUp, 19},
		{1950, 100, RoundHalfUp, 20}, {1901, 100, RoundUp, 20}, {1900, 100, RoundUp, 19},
	} {
		if got := c.r.Divide(c.n, c.d); got != c.want {
			t.Errorf("%s.Divide(%d, %d) = %d, want %d", c.r, c.n, c.d, got, c.want)
		}
	}
	if Rounding("nearest").Valid() || !RoundHalfUp.Valid() {
		t.Error("Valid accepts only the three roundings")
	}
}

func TestMoney(t *testing.T) {
	for m, want := range map[Money]string{
		Yen(0): "¥0", Yen(980): "¥980", Yen(1980): "¥1,980", Yen(1234567): "¥1,234,567", Yen(-100000): "-¥100,000",
		{Amount: 1999, Currency: "USD"}: "1999 USD",
	} {
		if got := m.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", m, got, want)
		}
	}
	if sum, err := Yen(1000).Add(Yen(980)); err != nil || sum != Yen(1980) {
		t.Errorf("¥1,000 + ¥980 = %v, %v", sum, err)
	}
	if _, err := Yen(1000).Add(Money{Amount: 5, Currency: "USD"}); err == nil {
		t.Error("adding dollars to yen must fail")
	}
}

func TestProductValidate(t *testing.T) {
	good := func() Product {
		return Product{SKU: " TEA-SENCHA-100 ", JAN: "４９０１２３４５６７８９４", Name: "静岡 深蒸し煎茶 100g",
			Category: []string{"食品", " 飲料 ", "日本茶"}, Price: Money{Amount: 1080}, TaxRate: TaxReduced,
			Consumable: true, RepurchaseDays: 30}
	}
	p := good()
	p.Normalize()
	if err := p.Validate(); err != nil {
		t.Fatalf("a good product: %v", err)
	}
	if p.SKU != "TEA-SENCHA-100" || p.JAN != "4901234567894" || p.Category[1] != "飲料" || p.Price.Currency != "JPY" {
		t.Errorf("normalized: %+v", p)
	}
	for _, c := range []struct {
		field string
		edit  func(*Product)
	}{
		{"sku", func(p *Product) { p.SKU = "" }},
		{"sku", func(p *Product) { p.SKU = "TEA SENCHA" }},
		{"sku", func(p *Product) { p.SKU = "TEA/1" }},
		{"sku", func(p *Product) { p.SKU = strings.Repeat("x", 65) }},
		{"name", func(p *Product) { p.Name = " " }},
		{"jan", func(p *Product) { p.JAN = "4901234567895" }},
		{"price.amount", func(p *Product) { p.Price.Amount = -1 }},
		{"price.currency", func(p *Product) { p.Price.Currency = "yen" }},
		{"tax_rate", func(p *Product) { p.TaxRate = 5 }},
		{"category", func(p *Product) { p.Category = []string{"食品", " ", "日本茶"} }},
		{"category", func(p *Product) { p.Category = make([]string, 9) }},
		{"repurchase_days", func(p *Product) { p.Consumable = false }},
		{"repurchase_days", func(p *Product) { p.RepurchaseDays = -1 }},
	} {
		p := good()
		c.edit(&p)
		p.Normalize()
		err := p.Validate()
		if err == nil || kizuna.ErrorField(err) != c.field || kizuna.ErrorCode(err) != kizuna.EINVALID {
			t.Errorf("%+v: Validate() = %v (field %q), want an invalid %s", p, err, kizuna.ErrorField(err), c.field)
		}
	}
}

// FuzzJAN checks that normalizing and validating never panic, that a code
// accepted is 8 or 13 ASCII digits, and that every single mistyped digit of
// it is caught (the GS1 check digit's promise).
func FuzzJAN(f *testing.F) {
	for _, s := range []string{"4006381333931", "73513537", "４９０１２３４５６７８９４", "4006-3813-3393-1", "", "abc", "49012345678945"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code := NormalizeJAN(s)
		if ValidateJAN(code) != nil {
			return
		}
		if len(code) != 13 && len(code) != 8 {
			t.Fatalf("accepted %q of %d bytes", code, len(code))
		}
		for i := range len(code) {
			for d := byte('0'); d <= '9'; d++ {
				if d == code[i] {
					continue
				}
				typo := code[:i] + string(d) + code[i+1:]
				if ValidateJAN(typo) == nil {
					t.Fatalf("%q accepted, and so is the typo %q", code, typo)
				}
			}
		}
	})
}

func TestInStoreJAN(t *testing.T) {
	for _, n := range []int{0, 1, 42, 9_999_999_999} {
		j := InStoreJAN(n)
		if len(j) != 13 || j[:2] != "20" || ValidateJAN(j) != nil {
			t.Errorf("InStoreJAN(%d) = %s (%v)", n, j, ValidateJAN(j))
		}
	}
	if InStoreJAN(1) == InStoreJAN(2) {
		t.Error("item numbers share a JAN")
	}
}
