package resolve

import (
	"fmt"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
)

func resolverOf(t *testing.T, profiles ...customer.Profile) *Resolver {
	t.Helper()
	r, err := NewResolver(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range profiles {
		id := string(rune('a' + i))
		r.Add(NewRecord(r.Fields(), id, id, &profiles[i]))
	}
	// Strangers, so that the values above are rare as in real data.
	for i := range 200 {
		id := fmt.Sprintf("filler%d", i)
		r.Add(NewRecord(r.Fields(), id, id, &customer.Profile{FamilyName: fmt.Sprintf("F%d", i), GivenName: "X",
			Phones: []string{fmt.Sprintf("+8190%08d", i)}, BirthDate: fmt.Sprintf("19%02d-02-03", i%100)}))
	}
	return r
}

// A model that trusts every agreement: the tests are about clustering.
func trusting(r *Resolver) *Model {
	m := NewModel(r.Fields())
	m.Lambda = 0.01
	return m
}

func allPairs(n int) []uint64 {
	var out []uint64
	for i := range n {
		for j := i + 1; j < n; j++ {
			out = append(out, uint64(i)<<32|uint64(j))
		}
	}
	return out
}

func TestClusterGuardsChains(t *testing.T) {
	// Husband and wife share the landline and address; a third record with
	// only the family name, landline and address would chain them.
	r := resolverOf(t,
		customer.Profile{FamilyName: "高橋", GivenName: "健太", GivenNameKana: "ケンタ", FamilyNameKana: "タカハシ", Phones: []string{"+81312345678"}, BirthDate: "1980-01-02",
			Addresses: []customer.Address{{PostalCode: "1500043", City: "渋谷区", Street: "道玄坂1-2-3"}}},
		customer.Profile{FamilyName: "高橋", GivenName: "美咲", GivenNameKana: "ミサキ", FamilyNameKana: "タカハシ", Phones: []string{"+81312345678"}, BirthDate: "1982-05-06",
			Addresses: []customer.Address{{PostalCode: "1500043", City: "渋谷区", Street: "道玄坂1-2-3"}}},
		customer.Profile{FamilyName: "高橋", GivenName: "健太", Phones: []string{"+81312345678"}, BirthDate: "1980-01-02",
			Addresses: []customer.Address{{PostalCode: "1500043", City: "渋谷区", Street: "道玄坂1-2-3"}}},
		customer.Profile{FamilyNameKana: "タカハシ", Phones: []string{"+81312345678"},
			Addresses: []customer.Address{{PostalCode: "1500043", City: "渋谷区", Street: "道玄坂1-2-3"}}},
	)
	cl := r.Cluster(trusting(r), allPairs(4), Constraints{})
	if cl.Cluster[0] != cl.Cluster[2] {
		t.Errorf("健太's two records are apart: %v", cl.Cluster)
	}
	if cl.Cluster[0] == cl.Cluster[1] {
		t.Errorf("husband and wife merged: %v", cl.Cluster)
	}
	for _, c := range cl.Merged {
		if c.Conflict != "" {
			t.Errorf("merged across a conflict: %+v", c)
		}
	}
	if cl.Guarded == 0 {
		t.Error("no join was guarded: the chain through record d was never tried")
	}
	// The wife's pair with the husband is not even offered for review: it
	// is a conflict, not a doubt.
	for _, c := range cl.Review {
		if (c.A == 0 || c.A == 2) && c.B == 1 {
			t.Errorf("husband and wife queued for review: %+v", c)
		}
	}
}

func TestClusterKeepsStaffDecisions(t *testing.T) {
	p := customer.Profile{FamilyName: "高橋", GivenName: "美咲", Emails: []string{"misaki@example.jp"}, BirthDate: "1990-04-01", MemberCards: []string{"2900000000013"}}
	r := resolverOf(t, p, p, p, customer.Profile{FamilyName: "鈴木", GivenName: "一郎"}, customer.Profile{FamilyName: "田中", GivenName: "花子"})
	cl := r.Cluster(trusting(r), allPairs(5), Constraints{
		Apart:    func(a, b int) bool { return min(a, b) == 0 && max(a, b) == 2 },
		Together: [][]int{{3, 4}},
	})
	if cl.Cluster[0] != cl.Cluster[1] {
		t.Errorf("a and b, identical, are apart: %v", cl.Cluster)
	}
	if cl.Cluster[0] == cl.Cluster[2] || cl.Cluster[1] == cl.Cluster[2] {
		t.Errorf("a pair staff kept apart was joined: %v", cl.Cluster)
	}
	if cl.Cluster[3] != cl.Cluster[4] {
		t.Errorf("records staff merged were split: %v", cl.Cluster)
	}
}
