package resolve

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

func levelsOf(t *testing.T, a, b *customer.Profile) map[string]string {
	t.Helper()
	fields := DefaultFields()
	ra, rb := NewRecord(fields, "a", "a", a), NewRecord(fields, "b", "b", b)
	out := map[string]string{}
	for i, f := range fields {
		l, _ := f.Kind.compare(ra.Values[i], rb.Values[i])
		out[f.Name] = f.Kind.LevelName(l)
	}
	return out
}

func TestCompareLevels(t *testing.T) {
	store := &customer.Profile{FamilyName: "髙橋", GivenName: "美咲", FamilyNameKana: "ﾀｶﾊｼ", GivenNameKana: "ﾐｻｷ",
		Emails: []string{"misaki.t@gmial.com"}, Phones: []string{"+819012345678", "+81312345678"}, BirthDate: "1990-04-01",
		Addresses:   []customer.Address{{PostalCode: "1500043", Prefecture: "東京都", City: "渋谷区", Street: "道玄坂一丁目2番3号", Building: "マークシティ203"}},
		MemberCards: []string{"2900000000013"}}
	for _, tc := range []struct {
		name  string
		other customer.Profile
		want  map[string]string
	}{
		{"the same person on the EC site", customer.Profile{FamilyName: "高橋", GivenName: "美咲", FamilyNameKana: "タカハシ", GivenNameKana: "ミサキ",
			Emails: []string{"misaki.t@gmail.com"}, Phones: []string{"090-1234-5678"}, BirthDate: "1990-01-04",
			Addresses: []customer.Address{{PostalCode: "1500043", City: "渋谷区", Street: "道玄坂1-2-3"}}},
			map[string]string{"name": "exact", "email": "exact", "mobile": "exact", "landline": "missing",
				"address": "exact", "birth_date": "close", "member_card": "missing"}},
		{"romaji from a marketplace, given name first", customer.Profile{FamilyName: "Misaki", GivenName: "Takahashi",
			Emails: []string{"x1@marketplace.amazon.co.jp"}, Addresses: []customer.Address{{PostalCode: "1500042", City: "渋谷区", Street: "宇田川町5-1"}}},
			map[string]string{"name": "reading", "email": "missing", "address": "different"}},
		{"romaji in one field, Hepburn with long vowel", customer.Profile{FamilyName: "MISAKI TAKAHASHI"},
			map[string]string{"name": "reading"}},
		{"married: a new family name", customer.Profile{FamilyName: "佐藤", GivenName: "美咲", FamilyNameKana: "サトウ", GivenNameKana: "ミサキ",
			Addresses: []customer.Address{{PostalCode: "1500043", City: "渋谷区", Street: "道玄坂1-2-3"}}},
			map[string]string{"name": "given_name", "address": "exact"}},
		{"her husband: same family and address, another given name", customer.Profile{FamilyName: "高橋", GivenName: "健太", FamilyNameKana: "タカハシ", GivenNameKana: "ケンタ",
			Phones: []string{"03-1234-5678"}, BirthDate: "1988-07-07",
			Addresses: []customer.Address{{PostalCode: "1500043", Prefecture: "東京都", City: "渋谷区", Street: "道玄坂1丁目2-3"}}},
			map[string]string{"name": "given_name_differs", "landline": "exact", "mobile": "missing", "address": "exact", "birth_date": "different"}},
		{"a typo in the reading", customer.Profile{FamilyName: "タカハシ", GivenName: "ミサギ"},
			map[string]string{"name": "close"}},
		{"another given name that begins alike", customer.Profile{FamilyName: "高橋", GivenName: "美沙", FamilyNameKana: "タカハシ", GivenNameKana: "ミサ"},
			map[string]string{"name": "given_name_differs"}},
		{"another given name, no reading", customer.Profile{FamilyName: "高橋", GivenName: "美咲子"},
			map[string]string{"name": "given_name_differs"}},
		{"romaji both ways round", customer.Profile{FamilyName: "Takahashi", GivenName: "Kenta"},
			map[string]string{"name": "given_name_differs"}},
		{"same postal code, another street", customer.Profile{FamilyName: "田中", GivenName: "一郎",
			Addresses: []customer.Address{{PostalCode: "1500043", City: "渋谷区", Street: "道玄坂2-10-7"}}, MemberCards: []string{"2900000000020"}},
			map[string]string{"name": "given_name_differs", "address": "postal_code", "member_card": "different"}},
	} {
		got := levelsOf(t, store, &tc.other)
		for f, want := range tc.want {
			if got[f] != want {
				t.Errorf("%s: %s is %s, want %s", tc.name, f, got[f], want)
			}
		}
	}
}

func TestMailboxTypo(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"misaki.t", "misak.t", true}, {"misaki.t", "msiaki.t", true}, {"misaki.t", "misaky.t", true}, {"misaki.t", "misakii.t", true},
		{"takuya_fujiwara", "takuyafujiwara", false}, {"kazuko56", "kazuko59", false}, {"kazuko5", "kazuko56", false},
		{"sakiendou", "sakiendo", false}, {"satoh", "sato", false}, {"misaki.t", "misaki.t", false}, {"abcdef", "abcxyz", false},
	} {
		if got := mailboxTypo(tc.a, tc.b); got != tc.want {
			t.Errorf("mailboxTypo(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := mailboxTypo(tc.b, tc.a); got != tc.want {
			t.Errorf("mailboxTypo(%q, %q) = %v", tc.b, tc.a, got)
		}
	}
}

func TestNameConflictIsAlwaysAConflict(t *testing.T) {
	for _, k := range Kinds {
		for l := range k.Levels() {
			if k.Conflict(Level(l)) != (k == KindName && k.Levels()[l] == "given_name_differs") {
				t.Errorf("%s %s: conflict %v", k, k.Levels()[l], k.Conflict(Level(l)))
			}
		}
	}
}

func TestAttributeFieldText(t *testing.T) {
	f := AttributeField("national_id", KindText)
	a := NewRecord([]Field{f}, "a", "a", &customer.Profile{Attributes: map[string]any{"national_id": "AB-123456"}})
	b := NewRecord([]Field{f}, "b", "b", &customer.Profile{Attributes: map[string]any{"national_id": "ab-123465"}})
	c := NewRecord([]Field{f}, "c", "c", &customer.Profile{Attributes: map[string]any{"national_id": 123456}})
	if l, _ := f.Kind.compare(a.Values[0], b.Values[0]); f.Kind.LevelName(l) != "close" {
		t.Errorf("a transposed digit: %s", f.Kind.LevelName(l))
	}
	if l, _ := f.Kind.compare(a.Values[0], c.Values[0]); f.Kind.LevelName(l) != "different" {
		t.Errorf("another ID: %s", f.Kind.LevelName(l))
	}
	if len(NewRecord([]Field{f}, "d", "d", &customer.Profile{}).Values[0]) != 0 {
		t.Error("an absent attribute has a value")
	}
}

// The fast path for stored Japanese numbers agrees with the parser.
func TestJapanesePhoneKind(t *testing.T) {
	for _, n := range []string{"+819012345678", "+818012345678", "+817012345678", "+816012345678", "+81312345678", "+81452223333",
		"+81662223333", "+815012345678", "+81120123456", "+818001234567", "+81570123456", "+8198765432", "+14155552671", "+8190123"} {
		_, want, err := normalize.Phone(n)
		got := japanesePhoneKind(n)
		if got == "" {
			continue // parsed instead
		}
		if err != nil || got != want {
			t.Errorf("%s: fast path %q, parser %q (%v)", n, got, want, err)
		}
	}
}

func TestPackedValues(t *testing.T) {
	long := strings.Repeat("髙", 100) // 300 bytes
	v := packName("高橋美咲", "美咲", "takahashimisaki", "misaki", false)
	if n, g, r, gr := unpackName(v); n != "高橋美咲" || g != "美咲" || r != "takahashimisaki" || gr != "misaki" || swapped(v) {
		t.Errorf("unpackName(packName(...)) = %q %q %q %q swapped=%v", n, g, r, gr, swapped(v))
	}
	if !swapped(packName("", "", "misakitakahashi", "takahashi", true)) {
		t.Error("the swapped mark is lost")
	}
	n, _, r, _ := unpackName(packName(long, "", "x", "", false))
	if !utf8.ValidString(n) || len(n) != 255 || r != "x" {
		t.Errorf("a 300-byte part is cut to %d bytes (valid UTF-8: %v) and the next part reads %q", len(n), utf8.ValidString(n), r)
	}
	if p, l := unpackAddress(packAddress("1500001", "渋谷区神宮前1-2-3")); p != "1500001" || l != "渋谷区神宮前1-2-3" {
		t.Errorf("unpackAddress = %q %q", p, l)
	}
	for _, bad := range []string{"", "\x05", "\x09\x00abc"} {
		if p, l := unpackAddress(bad); p != "" || l != "" {
			t.Errorf("unpackAddress(%q) = %q %q, want nothing", bad, p, l)
		}
	}
}
