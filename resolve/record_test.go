package resolve

import (
	"slices"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
)

func TestCompareLevels(t *testing.T) {
	a := &Record{ID: "a"}
	a.Add(&customer.Profile{FamilyName: "髙橋", GivenName: "美咲", FamilyNameKana: "ﾀｶﾊｼ", GivenNameKana: "ﾐｻｷ",
		Emails: []string{"misaki.t+shop@gmial.com"}, Phones: []string{"+819012345678"}, BirthDate: "1990-04-01",
		Addresses: []customer.Address{{PostalCode: "1500043", Prefecture: "東京都", City: "渋谷区", Street: "道玄坂一丁目2番3号"}}})
	b := &Record{ID: "b"}
	b.Add(&customer.Profile{FamilyName: "高橋", GivenName: "美咲", FamilyNameKana: "タカハシ", GivenNameKana: "ミサキ",
		Emails: []string{"misakit@gmail.com"}, Phones: []string{"+81312345678"}, BirthDate: "1990-01-04",
		Addresses: []customer.Address{{PostalCode: "1500042", Prefecture: "東京都", City: "渋谷区", Street: "道玄坂1-2-3"}}})
	got := Compare(DefaultFields, a, b)
	want := []Level{Exact, Exact, Exact, Different, Close, Exact, Close}
	names := fieldNames(DefaultFields)
	if !slices.Equal(got, want) {
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: %v, want %v", names[i], got[i], want[i])
			}
		}
	}
	empty := &Record{ID: "c"}
	for i, l := range Compare(DefaultFields, a, empty) {
		if l != Missing {
			t.Errorf("%s against an empty record: %v, want missing", names[i], l)
		}
	}
	// Two values each: the best pair counts (a second email or address).
	b.Add(&customer.Profile{Phones: []string{"+819012345678"}})
	if l := Compare(DefaultFields, a, b)[3]; l != Exact {
		t.Errorf("phone with a second number in common: %v", l)
	}
}

func fieldNames(fs []Field) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}
