package mask

import "testing"

func TestPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		// Japan: national format, first and last group kept.
		{"+819012345678", "090-****-5678"},
		{"+818012345678", "080-****-5678"},
		{"+815012345678", "050-****-5678"},
		{"+81312345678", "03-****-5678"},
		{"+81112345678", "011-***-5678"},
		{"+81126712345", "01267-*-2345"},
		{"+81120123456", "0120-***-456"},
		{"+818001234567", "0800-***-4567"},
		{"+81570123456", "0570-***-456"},
		{"09012345678", "090-****-5678"}, // not E.164: Japan is assumed
		{"+81-90-1234-5678", "090-****-5678"},
		{"(03) 1234-5678", "03-****-5678"},
		{"０９０－１２３４－５６７８", "090-****-5678"},
		{"+81 90 1234 5678 ext 12", "090-****-5678"},

		// Elsewhere: country code and last four digits.
		{"+14155552671", "+1 ***-***-2671"},
		{"+442079460958", "+44 ** **** 0958"},
		{"+33612345678", "+33 * ** ** 56 78"},
		{"+8613800138000", "+86 *** **** 8000"},
		{"+821012345678", "+82 **-****-5678"},
		{"+6834002", "+683 **02"}, // Niue: a four-digit number keeps only two

		// Invalid: every digit but the last four masked, free text too.
		{"", ""},
		{"+8190123456789", "+*********6789"},
		{"+81501234567", "+*******4567"},
		{"090-1234-567", "***-***4-567"},
		{"12345", "***45"},
		{"abc", "***"},
		{"電話なし", "****"},
		{"call 03 1234 5678 after 6pm", "**** ** **** *678 ***** 6**"},
	}
	for _, tt := range tests {
		if got := Phone(tt.in); got != tt.want {
			t.Errorf("Phone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"taro@example.jp", "t***@example.jp"},
		{"t@example.jp", "t***@example.jp"}, // the mask does not reveal the length
		{"Misaki.T@example.jp", "M***@example.jp"},
		{"はなこ@例え.jp", "は***@例え.jp"},
		{`"a@b"@example.jp`, `"***@example.jp`},
		{"@example.jp", "***@example.jp"},
		{"taro@", "t***@"},
		{"\xfftaro@example.jp", "\uFFFD***@example.jp"},
		{"taro.example.jp", "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := Email(tt.in); got != tt.want {
			t.Errorf("Email(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"山田 花子", "山＊ 花＊"},
		{"ヤマダ ハナコ", "ヤ＊＊ ハ＊＊"},
		{"やまだ はなこ", "や＊＊ は＊＊"},
		{"山田\u3000花子", "山＊\u3000花＊"},
		{" 山田  花子 ", " 山＊  花＊ "},
		{"髙橋 美咲", "髙＊ 美＊"},
		{"ﾔﾏﾀﾞ ﾊﾅｺ", "ﾔ*** ﾊ**"}, // half-width kana keep half-width masks
		{"Taro Yamada", "T*** Y*****"},
		{"Müller", "M*****"},
		{"ＴＡＲＯ", "Ｔ＊＊＊"},
		{"山田 Hanako", "山＊ H*****"},
		{"カ\u3099ス", "カ\u3099＊"}, // decomposed ガ stays whole
		{"ス\u3099カ", "ス\u3099＊"},
		{"葛\U000E0100飾 太郎", "葛\U000E0100＊ 太＊"}, // variation selector kept with its kanji
		{"辻\U000E0100 ", "辻\U000E0100 "},
		{"山\U000E0100田\U000E0100", "山\U000E0100＊"}, // a masked kanji's selector goes too
		{"花", "花"},
		{"", ""},
		{"\xff\xfeab", "\uFFFD***"},
	}
	for _, tt := range tests {
		if got := Name(tt.in); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAddress(t *testing.T) {
	for in, want := range map[string]string{
		"渋谷区神南1-2-3 キズナビル5F": "***",
		"1-2-3":              "***",
		"":                   "",
		" \u3000":            "",
	} {
		if got := Address(in); got != want {
			t.Errorf("Address(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPostalCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1500001", "150-****"},
		{"150-0001", "150-****"},
		{"〒150-0001", "150-****"},
		{"１５０－０００１", "150-****"},
		{"〒 150-0001", "150-****"},
		{"150", "***"},
		{"15000011", "***"},
		{"SW1A 1AA", "***"},
		{"150-000a", "***"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := PostalCode(tt.in); got != tt.want {
			t.Errorf("PostalCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCard(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2100000012345678", "************5678"},
		{"2100-0000-1234", "**********1234"},
		{" 2100 0000 1234 ", "**********1234"},
		{"ＡＢ１２３４５６", "****３４５６"},
		{"12345678", "****5678"},
		{"12345", "***45"}, // never more than half
		{"1234", "**34"},
		{"1", "*"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Card(tt.in); got != tt.want {
			t.Errorf("Card(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBirthDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1980-03-15", "1980-**-**"},
		{"2000-02-29", "2000-**-**"},
		{"1980/03/15", "***"},
		{"1980-3-15", "***"},
		{"2001-02-29", "***"},
		{"不明", "***"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := BirthDate(tt.in); got != tt.want {
			t.Errorf("BirthDate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
