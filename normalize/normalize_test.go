package normalize

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  田中\u3000花子  ", "田中 花子"},
		{"ＴＡＮＡＫＡ　Ｈａｎａｋｏ", "TANAKA Hanako"},
		{"ﾀﾅｶ ﾊﾅｺ", "タナカ ハナコ"},
		{"ｶﾞｯｺｳ", "ガッコウ"},
		{"a\t\tb\nc\r\n d", "a b c d"},
		{"\u3000\t\n ", ""},
		{"㈱キズナ　渋谷店", "(株)キズナ 渋谷店"},
		{"①番", "1番"},
		{"bad\xffbyte", "bad\uFFFDbyte"},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Text(tt.want); got != tt.want {
			t.Errorf("Text(%q) = %q, not idempotent", tt.want, got)
		}
	}
}

func TestKana(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ﾀﾅｶ ﾊﾅｺ", "タナカハナコ"},
		{"たなか　はなこ", "タナカハナコ"},
		{"やまだ たろう", "ヤマダタロウ"},
		{"ｶﾞｯｺｳ", "ガッコウ"},
		{"ゔぁいおりん", "ヴァイオリン"},
		{"いすゞ", "イスヾ"},
		{"ぁゖ", "ァヶ"},
		{"は゛な", "バナ"}, // a stand-alone voiced mark, as typed on old keyboards
		{"ジョン・スミス", "ジョン・スミス"},
		{"さとうＡ１", "サトウA1"},
		{"すずき\tいちろう\n", "スズキイチロウ"},
	}
	for _, tt := range tests {
		if got := Kana(tt.in); got != tt.want {
			t.Errorf("Kana(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Kana(tt.want); got != tt.want {
			t.Errorf("Kana(%q) = %q, not idempotent", tt.want, got)
		}
	}
}

func TestEmail(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "ＴＡＮＡＫＡ＠ＥＸＡＭＰＬＥ．ＪＰ", want: "tanaka@example.jp"},
		{in: " Hanako.Yamada@Example.CO.JP\n", want: "hanako.yamada@example.co.jp"},
		{in: "hanako+shop@example.jp", want: "hanako+shop@example.jp"},
		{in: "ｈａｎａｋｏ＿８７＠ｅｚｗｅｂ．ｎｅ．ｊｐ", want: "hanako_87@ezweb.ne.jp"},
		{in: "taro..yamada.@docomo.ne.jp", want: "taro..yamada.@docomo.ne.jp"},
		// Regression: lower-casing İ yields a bare i that must compose with
		// the following combining acute, or a second call changes the key.
		{in: "Xİ\u0301@example.jp", want: "x\u00ed@example.jp"},
		{in: "", err: "not a valid email address: empty"},
		{in: "　", err: "not a valid email address: empty"},
		{in: "tanaka.example.jp", err: "not a valid email address: missing @"},
		{in: "tanaka@hanako@example.jp", err: "not a valid email address: more than one @"},
		{in: "@example.jp", err: "not a valid email address: empty local part"},
		{in: "tanaka@", err: "not a valid email address: empty domain"},
		{in: "tanaka@localhost", err: "not a valid email address: domain has no dot"},
		{in: "tanaka@example..jp", err: "not a valid email address: empty label in domain"},
		{in: "tanaka@.example.jp", err: "not a valid email address: empty label in domain"},
		{in: "tanaka@example.jp.", err: "not a valid email address: empty label in domain"},
		{in: "tanaka hanako@example.jp", err: "not a valid email address: contains spaces or control characters"},
		{in: "tanaka\u3000hanako@example.jp", err: "not a valid email address: contains spaces or control characters"},
		{in: "tanaka\x00@example.jp", err: "not a valid email address: contains spaces or control characters"},
	}
	for _, tt := range tests {
		got, err := Email(tt.in)
		if errString(err) != tt.err || got != tt.want {
			t.Errorf("Email(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
		if tt.err == "" {
			if again, err := Email(got); again != got || err != nil {
				t.Errorf("Email(%q) = %q, %v; not idempotent", got, again, err)
			}
		}
	}
}

func TestPhone(t *testing.T) {
	tests := []struct {
		in, want string
		kind     PhoneKind
		err      string
	}{
		{in: "090-1234-5678", want: "+819012345678", kind: PhoneMobile},
		{in: "０９０ー１２３４ー５６７８", want: "+819012345678", kind: PhoneMobile},
		{in: "090ｰ1234ｰ5678", want: "+819012345678", kind: PhoneMobile},
		{in: "+81 90 1234 5678", want: "+819012345678", kind: PhoneMobile},
		{in: "+81 090-1234-5678", want: "+819012345678", kind: PhoneMobile},
		{in: "＋８１　９０　１２３４　５６７８", want: "+819012345678", kind: PhoneMobile},
		{in: "(090)1234-5678", want: "+819012345678", kind: PhoneMobile},
		{in: "070-1234-5678", want: "+817012345678", kind: PhoneMobile},
		{in: "080.1234.5678", want: "+818012345678", kind: PhoneMobile},
		// Excel drops the leading zero of a phone column stored as a number.
		{in: "9012345678", want: "+819012345678", kind: PhoneMobile},
		{in: "(03) 1234-5678", want: "+81312345678", kind: PhoneLandline},
		{in: "03‐1234‐5678", want: "+81312345678", kind: PhoneLandline},
		{in: "03−1234−5678", want: "+81312345678", kind: PhoneLandline},
		{in: "03—1234—5678", want: "+81312345678", kind: PhoneLandline},
		{in: "０３－１２３４－５６７８", want: "+81312345678", kind: PhoneLandline},
		{in: "０３（１２３４）５６７８", want: "+81312345678", kind: PhoneLandline},
		{in: "+81 (0)3-1234-5678", want: "+81312345678", kind: PhoneLandline},
		{in: "06-6123-4567", want: "+81661234567", kind: PhoneLandline},
		{in: "0467-12-3456", want: "+81467123456", kind: PhoneLandline},
		{in: "050-1234-5678", want: "+815012345678", kind: PhoneOther},
		{in: "0120-123-456", want: "+81120123456", kind: PhoneOther},
		{in: "0800-123-4567", want: "+818001234567", kind: PhoneOther},
		{in: "0570-000-123", want: "+81570000123", kind: PhoneOther},
		{in: "+1 650-253-0000", want: "+16502530000", kind: PhoneOther},
		{in: "+44 20 7946 0000", want: "+442079460000", kind: PhoneLandline},
		{in: "", err: "not a valid phone number: empty"},
		{in: "1234", err: "not a valid phone number: too short"},
		{in: "+81", err: "not a valid phone number: too short"},
		{in: "03-1234-567", err: "not a valid phone number: not a number in use in its country"},
		{in: "090-1234-56789", err: "not a valid phone number: not a number in use in its country"},
		{in: "0120-ABC-DEF", err: "not a valid phone number: unexpected character A"},
		{in: "03-1234-5678 内線12", err: "not a valid phone number: unexpected character 内"},
		{in: "+999 1234 5678", err: "not a valid phone number: unknown country code"},
		{in: "090123456789012345678", err: "not a valid phone number: too long"},
	}
	for _, tt := range tests {
		got, kind, err := Phone(tt.in)
		if errString(err) != tt.err || got != tt.want || kind != tt.kind {
			t.Errorf("Phone(%q) = %q, %q, %v; want %q, %q, %q", tt.in, got, kind, err, tt.want, tt.kind, tt.err)
		}
		if tt.err == "" {
			if again, againKind, err := Phone(got); again != got || againKind != kind || err != nil {
				t.Errorf("Phone(%q) = %q, %q, %v; not idempotent", got, again, againKind, err)
			}
		}
	}
}

func TestPostalCode(t *testing.T) {
	const bad = "not a valid postal code: want 7 digits"
	tests := []struct{ in, want, err string }{
		{in: "100-0001", want: "1000001"},
		{in: "〒100-0001", want: "1000001"},
		{in: "〒１００－０００１", want: "1000001"},
		{in: "１００ー０００１", want: "1000001"},
		{in: "〒 530‐0001", want: "5300001"},
		{in: "100−0001", want: "1000001"},
		{in: " 100 0001 ", want: "1000001"},
		{in: "0600000", want: "0600000"},
		// A code typed into a number cell loses its leading zeros.
		{in: "600042", want: "0600042"},
		{in: "10010", want: "0010010"},
		{in: "60-0042", err: bad},
		{in: "1234", err: bad},
		{in: "", err: bad},
		{in: "100-001", err: bad},
		{in: "100-00011", err: bad},
		{in: "100_0001", err: bad},
		{in: "ABC-DEFG", err: bad},
		{in: "東京都千代田区", err: bad},
	}
	for _, tt := range tests {
		got, err := PostalCode(tt.in)
		if errString(err) != tt.err || got != tt.want {
			t.Errorf("PostalCode(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestDate(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "1990-01-02", want: "1990-01-02"},
		{in: "1990/1/2", want: "1990-01-02"},
		{in: "1990.1.2", want: "1990-01-02"},
		{in: "1990年1月2日", want: "1990-01-02"},
		{in: "19900102", want: "1990-01-02"},
		{in: "１９９０年１月２日", want: "1990-01-02"},
		{in: "１９９０／０１／０２", want: "1990-01-02"},
		{in: "１９９０－１－２", want: "1990-01-02"},
		{in: "1990 年 12 月 31 日", want: "1990-12-31"},
		{in: "2000-02-29", want: "2000-02-29"},
		{in: "1850-01-01", want: "1850-01-01"},
		{in: "2100-12-31", want: "2100-12-31"},
		{in: "1990-02-30", err: "not a valid date: no such calendar date"},
		{in: "1900-02-29", err: "not a valid date: no such calendar date"},
		{in: "1990-13-01", err: "not a valid date: no such calendar date"},
		{in: "1990/0/10", err: "not a valid date: no such calendar date"},
		{in: "1849-12-31", err: "not a valid date: year out of range 1850-2100"},
		{in: "21010101", err: "not a valid date: year out of range 1850-2100"},
		{in: "1990/01-02", err: "not a valid date: want a form like 1990-01-02 or 平成2年1月2日"},
		// Any one separator, and a time of day after the date (exports).
		{in: "1990 1 2", want: "1990-01-02"},
		{in: "1990_01_02", want: "1990-01-02"},
		{in: "1990 / 01 / 02", want: "1990-01-02"},
		{in: "S45・3・1", want: "1970-03-01"},
		{in: "1990/01/02 00:00:00", want: "1990-01-02"},
		{in: "1990-01-02T00:00:00Z", want: "1990-01-02"},
		{in: "1990-01-02 13:45", want: "1990-01-02"},
		{in: "1990 01-02", err: "not a valid date: want a form like 1990-01-02 or 平成2年1月2日"},
		{in: "90-01-02", err: "not a valid date: want a form like 1990-01-02 or 平成2年1月2日"},
		{in: "平成2年1月2日", want: "1990-01-02"},
		{in: "昭和45年3月1日", want: "1970-03-01"},
		{in: "S45.3.1", want: "1970-03-01"},
		{in: "s45/03/01", want: "1970-03-01"},
		{in: "Ｈ２．１．８", want: "1990-01-08"},
		{in: "H1.1.8", want: "1989-01-08"},
		{in: "平成元年1月8日", want: "1989-01-08"},
		{in: "昭和64年1月7日", want: "1989-01-07"},
		{in: "R1.5.1", want: "2019-05-01"},
		{in: "令和元年5月1日", want: "2019-05-01"},
		{in: "令和 8 年 11 月 22 日", want: "2026-11-22"},
		{in: "大正15年12月24日", want: "1926-12-24"},
		{in: "明治45年7月29日", want: "1912-07-29"},
		{in: "平成31年5月1日", want: "2019-05-01"}, // printed by systems not yet updated: converted
		{in: "令和元年4月30日", err: "not a valid date: 令和 began on 2019-05-01"},
		{in: "H1.1.7", err: "not a valid date: H began on 1989-01-08"},
		{in: "平成0年1月1日", err: "not a valid date: era year must be 1 (元年) or later"},
		{in: "昭和45年2月30日", err: "not a valid date: no such calendar date"},
		{in: "X45.3.1", err: "not a valid date: want a form like 1990-01-02 or 平成2年1月2日"},
		{in: "", err: "not a valid date: want a form like 1990-01-02 or 平成2年1月2日"},
	}
	for _, tt := range tests {
		got, err := Date(tt.in)
		if errString(err) != tt.err || got != tt.want {
			t.Errorf("Date(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestMemberCard(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"　 ", ""},
		{"1234-5678-9012", "123456789012"},
		{"ａｂ－１２３４ ５６７８", "AB12345678"},
		{"ｋｚ　０００１　２３４５", "KZ00012345"},
		{"kz—0001‐23", "KZ000123"},
		{"KZ00012345", "KZ00012345"},
		// Regression: NFKC spells ¨ as a space plus U+0308; with the space
		// removed the mark must compose with the letter before it.
		{"ａ¨-1", "\u00c41"},
	}
	for _, tt := range tests {
		if got := MemberCard(tt.in); got != tt.want {
			t.Errorf("MemberCard(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := MemberCard(tt.want); got != tt.want {
			t.Errorf("MemberCard(%q) = %q, not idempotent", tt.want, got)
		}
	}
}

func TestPrefecture(t *testing.T) {
	tests := []struct{ in, want string }{
		{"東京", "東京都"},
		{"東京都", "東京都"},
		{" 東京 都 ", "東京都"},
		{"大阪", "大阪府"},
		{"北海道", "北海道"},
		{"神奈川", "神奈川県"},
		{"沖縄　", "沖縄県"},
		{"Tokyo", "東京都"},
		{"tokyo-to", "東京都"},
		{"ＴＯＫＹＯ", "東京都"},
		{"Tōkyō", "東京都"},
		{"Toukyou", "東京都"},
		{"Osaka-fu", "大阪府"},
		{"Oosaka", "大阪府"},
		{"Kyoto", "京都府"},
		{"Kanagawa Prefecture", "神奈川県"},
		{"Kanagawa-ken", "神奈川県"},
		{"Hokkaidō", "北海道"},
		{"Kōchi", "高知県"},
		{"Hyogo Pref.", "兵庫県"},
		{"", ""},
		{"北海", ""},
		{"Kyo", ""},
		{"東京都千代田区", ""},
		{"New York", ""},
	}
	for _, tt := range tests {
		if got := Prefecture(tt.in); got != tt.want {
			t.Errorf("Prefecture(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPrefectureTable(t *testing.T) {
	if len(prefectures) != 47 {
		t.Fatalf("%d prefectures, want 47", len(prefectures))
	}
	seen := map[string]bool{}
	for _, p := range prefectures {
		if seen[p.name] {
			t.Errorf("%s listed twice", p.name)
		}
		seen[p.name] = true
		if got := Prefecture(p.name); got != p.name {
			t.Errorf("Prefecture(%q) = %q", p.name, got)
		}
		if got := Prefecture(p.romaji); got != p.name {
			t.Errorf("Prefecture(%q) = %q, want %q", p.romaji, got, p.name)
		}
	}
}

func TestGender(t *testing.T) {
	const bad = "not a valid gender: unrecognized value"
	tests := []struct{ in, want, err string }{
		{in: "", want: ""},
		{in: "　", want: ""},
		{in: "女", want: "female"},
		{in: "女性", want: "female"},
		{in: "F", want: "female"},
		{in: "ｆ", want: "female"},
		{in: "Female", want: "female"},
		{in: "2", want: "female"},
		{in: "２", want: "female"},
		{in: "男", want: "male"},
		{in: "男性", want: "male"},
		{in: "M", want: "male"},
		{in: "MALE", want: "male"},
		{in: "1", want: "male"},
		{in: "0", want: "unknown"},
		{in: "不明", want: "unknown"},
		{in: "unknown", want: "unknown"},
		{in: "9", want: "other"},
		{in: "その他", want: "other"},
		{in: "other", want: "other"},
		{in: "3", err: bad},
		{in: "男女", err: bad},
		{in: "?", err: bad},
	}
	for _, tt := range tests {
		got, err := Gender(tt.in)
		if errString(err) != tt.err || got != tt.want {
			t.Errorf("Gender(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "  田中\u3000花子  ", "ﾀﾅｶ ﾊﾅｺ", "a\t\nb", "゛", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if again := Text(out); again != out {
			t.Fatalf("Text(%q) = %q, Text of that = %q", s, out, again)
		}
		if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
			t.Fatalf("Text(%q) = %q has stray spaces", s, out)
		}
		if !utf8.ValidString(out) {
			t.Fatalf("Text(%q) = %q is not valid UTF-8", s, out)
		}
	})
}

func FuzzKana(f *testing.F) {
	for _, s := range []string{"", "ﾀﾅｶ ﾊﾅｺ", "たなか　はなこ", "は゛な", "ゔぁ", "いすゞ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Kana(s)
		if again := Kana(out); again != out {
			t.Fatalf("Kana(%q) = %q, Kana of that = %q", s, out, again)
		}
		if strings.IndexFunc(out, unicode.IsSpace) >= 0 {
			t.Fatalf("Kana(%q) = %q contains whitespace", s, out)
		}
	})
}

func FuzzEmail(f *testing.F) {
	for _, s := range []string{"ＴＡＮＡＫＡ＠ＥＸＡＭＰＬＥ．ＪＰ", "a..b.@docomo.ne.jp", "x@y", "@", "a@b@c.d", "Xİ\u0301@example.jp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := Email(s)
		if err != nil {
			return
		}
		if again, err := Email(out); again != out || err != nil {
			t.Fatalf("Email(%q) = %q, Email of that = %q, %v", s, out, again, err)
		}
	})
}

func FuzzPhone(f *testing.F) {
	for _, s := range []string{"090-1234-5678", "０９０ー１２３４ー５６７８", "(03) 1234-5678", "+81 90 1234 5678", "03‐1234‐5678", "+1 650 253 0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, kind, err := Phone(s)
		if err != nil {
			return
		}
		if again, againKind, err := Phone(out); again != out || againKind != kind || err != nil {
			t.Fatalf("Phone(%q) = %q, %q; Phone of that = %q, %q, %v", s, out, kind, again, againKind, err)
		}
	})
}

func FuzzPostalCode(f *testing.F) {
	for _, s := range []string{"〒100-0001", "１００ー０００１", "1000001", "100-001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := PostalCode(s)
		if err != nil {
			return
		}
		if len(out) != 7 {
			t.Fatalf("PostalCode(%q) = %q, want 7 digits", s, out)
		}
		if again, err := PostalCode(out); again != out || err != nil {
			t.Fatalf("PostalCode(%q) = %q, PostalCode of that = %q, %v", s, out, again, err)
		}
	})
}

func FuzzDate(f *testing.F) {
	for _, s := range []string{"1990-01-02", "平成元年1月8日", "S45.3.1", "Ｒ１．５．１", "令和元年4月30日", "19900102", "H99.99.99", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Date(s)
		if err != nil {
			if d != "" {
				t.Fatalf("Date(%q) = %q with error %v", s, d, err)
			}
			return
		}
		if _, perr := time.Parse(time.DateOnly, d); perr != nil {
			t.Fatalf("Date(%q) = %q, not a date", s, d)
		}
		if again, err := Date(d); err != nil || again != d {
			t.Fatalf("Date(%q) = %q, but Date(%q) = %q, %v", s, d, d, again, err)
		}
	})
}

func TestSplitPrefecture(t *testing.T) {
	for in, want := range map[string][2]string{
		"東京都渋谷区道玄坂1-2-3": {"東京都", "渋谷区道玄坂1-2-3"},
		"北海道 札幌市":        {"北海道", "札幌市"},
		"京都府京都市中京区":      {"京都府", "京都市中京区"},
		"京都市中京区":         {"", "京都市中京区"},
		"渋谷区道玄坂":         {"", "渋谷区道玄坂"},
		"":               {"", ""},
	} {
		if p, r := SplitPrefecture(in); p != want[0] || r != want[1] {
			t.Errorf("SplitPrefecture(%q) = %q, %q; want %q, %q", in, p, r, want[0], want[1])
		}
	}
}

func FuzzMemberCard(f *testing.F) {
	for _, s := range []string{"1234-5678-9012", "ａｂ－１２３４ ５６７８", "ｋｚ　０００１　２３４５", "kz—0001‐23", "KZ00012345",
		"ａ¨-1", "2900 0000 0001 3", "ＫＺーＡ１２", "", "　 ", "\xff", "ß-12", "ﬀ12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := fixedPoint(t, "MemberCard", MemberCard, s)
		// The grouping is gone: no spaces of any kind and no dashes.
		if i := strings.IndexFunc(c, func(r rune) bool { return unicode.IsSpace(r) || isDash(r) }); i >= 0 {
			t.Fatalf("MemberCard(%q) = %q keeps a space or dash", s, c)
		}
		if strings.ToUpper(c) != c {
			t.Fatalf("MemberCard(%q) = %q is not upper case", s, c)
		}
		if Text(s) == "" && c != "" {
			t.Fatalf("MemberCard(%q) = %q for blank input", s, c)
		}
		// However the digits and letters of a card are grouped, typed or
		// cased, it has one number.
		if isAlnumASCII(s) {
			if c != strings.ToUpper(s) {
				t.Fatalf("MemberCard(%q) = %q", s, c)
			}
			half := len(s) / 2
			for _, grouped := range []string{s[:half] + "-" + s[half:], s[:half] + " " + s[half:], fullWidth(strings.ToLower(s[:half]) + "ー" + s[half:])} {
				if got := MemberCard(grouped); got != c {
					t.Fatalf("MemberCard(%q) = %q, but MemberCard(%q) = %q", s, c, grouped, got)
				}
			}
		}
	})
}

// isAlnumASCII reports whether s is a non-empty run of ASCII letters and digits.
func isAlnumASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

func FuzzGender(f *testing.F) {
	for _, s := range []string{"女", "女性", "F", "ｆ", "Female", "２", "男", "MALE", "1", "0", "不明", "unknown", "9", "その他",
		"other", "Prefer not to say", "回答しない", "non-binary", "3", "男女", "?", "", "　", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Gender(s)
		if err != nil {
			if g != "" {
				t.Fatalf("Gender(%q) = %q with error %v", s, g, err)
			}
			return
		}
		switch g {
		case "":
			if Text(s) != "" {
				t.Fatalf("Gender(%q) = \"\" without an error for non-blank input", s)
			}
			return
		case "female", "male", "other", "unknown":
		default:
			t.Fatalf("Gender(%q) = %q, not a documented value", s, g)
		}
		if again, err := Gender(g); again != g || err != nil {
			t.Fatalf("Gender(%q) = %q, Gender of that = %q, %v", s, g, again, err)
		}
		// Width, case and surrounding space do not matter.
		if again, err := Gender("\u3000" + fullWidth(s) + " "); again != g || err != nil {
			t.Fatalf("Gender(%q) = %q, but of its full-width form %q, %v", s, g, again, err)
		}
		if isASCII(s) {
			if again, err := Gender(strings.ToUpper(s)); again != g || err != nil {
				t.Fatalf("Gender(%q) = %q, but of upper case %q, %v", s, g, again, err)
			}
		}
	})
}
