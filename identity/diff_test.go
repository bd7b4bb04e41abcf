package identity

import (
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
)

func TestDiff(t *testing.T) {
	a := customer.Profile{FamilyName: "佐藤", Emails: []string{"a@example.jp"}, Tags: nil}
	b := customer.Profile{FamilyName: "鈴木", Emails: []string{"a@example.jp"}, Tags: []string{"VIP"}, BirthDate: "1990-01-02"}
	got := map[string][2]any{}
	for _, c := range Diff(a, b) {
		got[c.Field] = [2]any{c.Before, c.After}
	}
	if len(got) != 3 {
		t.Fatalf("changed fields %v, want family_name, tags, birth_date", got)
	}
	if got["family_name"] != [2]any{"佐藤", "鈴木"} {
		t.Errorf("family_name: %v", got["family_name"])
	}
	if c := got["tags"]; c[0] != nil || c[1] == nil {
		t.Errorf("tags: an empty side must be absent, got %v", c)
	}
	if c := got["birth_date"]; c[0] != nil || c[1] != "1990-01-02" {
		t.Errorf("birth_date: %v", c)
	}
	if len(Diff(b, b)) != 0 {
		t.Error("identical profiles differ")
	}
}
