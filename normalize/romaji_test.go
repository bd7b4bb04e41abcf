package normalize

import "testing"

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
