package customer

import (
	"slices"
	"testing"
)

func TestSearchTerms(t *testing.T) {
	p := &Profile{FamilyName: "山田", GivenName: "花子", FamilyNameKana: "ヤマダ", GivenNameKana: "ハナコ",
		Addresses: []Address{{PostalCode: "1500001"}, {PostalCode: "1500001"}}}
	got := SearchTerms(p)
	want := []string{"n:山田花子", "r:yamadahanako", "z:1500001"}
	if !slices.Equal(got, want) {
		t.Fatalf("SearchTerms = %q, want %q", got, want)
	}
	if SearchTerms(&Profile{}) != nil {
		t.Error("an empty profile has terms")
	}
}

// Each query must produce a prefix or key that the record's terms or keys
// satisfy: the console's search box relies on this pairing.
func TestParseSearchFindsTheRecord(t *testing.T) {
	// An old-form kanji in the record (齋); staff type the common form.
	terms := SearchTerms(&Profile{FamilyName: "齋藤", GivenName: "美咲", FamilyNameKana: "サイトウ", GivenNameKana: "ミサキ",
		Addresses: []Address{{PostalCode: "1500001"}}})
	hit := func(sq SearchQuery) bool {
		for _, p := range sq.Prefixes {
			for _, term := range terms {
				if len(term) >= len(p) && term[:len(p)] == p {
					return true
				}
			}
		}
		return false
	}
	for _, q := range []string{"斎藤 美咲", "齋藤美咲", "斎藤", "斎藤 美咲 様", "サイトウ ミサキ", "さいとうみさき", "ｻｲﾄｳ ﾐｻｷ", "ｻｲﾄｳ",
		"Saito Misaki", "SAITOH", "misaki saito", "ＳＡＩＴＯ", "〒150-0001", "1500001", "150"} {
		if !hit(ParseSearch(q)) {
			t.Errorf("ParseSearch(%q) = %+v finds nothing in %q", q, ParseSearch(q), terms)
		}
	}
	for _, q := range []string{"鈴木", "スズキ", "suzuki", "佐藤", "サトウ", "160-0001"} {
		if hit(ParseSearch(q)) {
			t.Errorf("ParseSearch(%q) matched %q", q, terms)
		}
	}
}

func TestParseSearchIdentifiers(t *testing.T) {
	for q, key := range map[string]string{
		"090-1234-5678":     "phone:+819012345678",
		"(090) 1234 5678":   "phone:+819012345678",
		"０９０１２３４５６７８":       "phone:+819012345678",
		"Hanako@Example.JP": "email:hanako@example.jp",
		"03-1234-5678":      "phone:+81312345678",
	} {
		if sq := ParseSearch(q); !slices.Contains(sq.Keys, key) {
			t.Errorf("ParseSearch(%q).Keys = %q, want %q among them", q, sq.Keys, key)
		}
	}
	if sq := ParseSearch("   "); len(sq.Keys)+len(sq.Prefixes) != 0 {
		t.Errorf("blank query: %+v", sq)
	}
}
