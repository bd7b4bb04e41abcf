package identity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// Random work on One ID: records from several channels for a few people
// who share identifiers (and resends that change them), merges, unmerges
// in any order, erasures. Every ten steps: each active customer's golden
// record is survivorship over the sources it holds, a merged or erased
// customer holds none, and every source belongs to an active or erased
// customer. sqltest.Seeds chooses the seeds.
func TestRandomOneIDStaysConsistent(t *testing.T) {
	sqltest.Seeds(t, randomOneID)
}

func randomOneID(t *testing.T, seed uint64) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		svc := identity.New(db, db)
		rng := rand.New(rand.NewPCG(seed, 5))
		staff := kizuna.Actor{Type: "user", ID: "usr_admin"}
		families := []string{"佐藤", "鈴木", "高橋", "髙橋", "田中"}
		givens := []string{"花子", "美咲", "健", "翔太"}
		channels := []string{"store", "ec", "app"}
		record := func() customer.SourceProfileInput {
			p := rng.IntN(6) // the person
			prof := map[string]any{"family_name": families[p%len(families)], "given_name": givens[p%len(givens)]}
			if rng.IntN(2) == 0 {
				prof["emails"] = []string{fmt.Sprintf("p%d@example.jp", p+rng.IntN(2))}
			}
			if rng.IntN(3) == 0 {
				prof["phones"] = []string{fmt.Sprintf("090-1234-%04d", p)}
			}
			if rng.IntN(3) == 0 {
				prof["member_cards"] = []string{fmt.Sprintf("2100-0000-%04d", p)}
			}
			if rng.IntN(2) == 0 {
				prof["birth_date"] = fmt.Sprintf("19%02d-0%d-1%d", 70+p, 1+rng.IntN(2), p)
			}
			raw, _ := json.Marshal(prof)
			return customer.SourceProfileInput{Channel: channels[rng.IntN(len(channels))], ExternalID: fmt.Sprintf("X-%d", rng.IntN(12)), Profile: raw}
		}
		var ids []string // every customer ever seen
		var merges []string
		seen := func(id string) {
			if id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		pick := func() string {
			if len(ids) == 0 {
				return ""
			}
			return ids[rng.IntN(len(ids))]
		}
		expected := func(step int, what string, err error) {
			t.Helper()
			switch kizuna.ErrorCode(err) {
			case "", kizuna.ECONFLICT, kizuna.EINVALID:
			default:
				t.Fatalf("step %d, %s: %v", step, what, err)
			}
		}
		for step := range 300 {
			op := rng.IntN(10)
			t.Logf("step %d: operation %d", step, op) // shown when it fails
			switch {
			case op < 6:
				n := 1 + rng.IntN(4)
				items := make([]customer.SourceProfileInput, n)
				for i := range items {
					items[i] = record()
				}
				res, err := svc.Ingest(ctx, staff, nil, items)
				if err != nil {
					t.Fatalf("step %d, ingest: %v", step, err)
				}
				for _, r := range res {
					seen(r.CustomerID)
				}
			case op < 8:
				a, b := pick(), pick()
				if a == "" || a == b {
					continue
				}
				m, err := svc.Merge(ctx, staff, a, b, "same person")
				expected(step, "merge", err)
				if err == nil {
					merges = append(merges, m.ID)
				}
			case op < 9:
				if len(merges) == 0 {
					continue
				}
				i := rng.IntN(len(merges))
				_, err := svc.Unmerge(ctx, staff, merges[i])
				expected(step, "unmerge", err)
				if err == nil {
					merges = append(merges[:i], merges[i+1:]...)
				}
			default:
				if rng.IntN(4) != 0 {
					continue
				}
				id := pick()
				if id == "" {
					continue
				}
				expected(step, "erase", svc.Erase(ctx, staff, id, "削除依頼"))
			}
			if step%10 == 9 {
				checkOneID(t, step, db, ids)
			}
		}
		checkOneID(t, 300, db, ids)
	})
}

func checkOneID(t *testing.T, step int, db *sqlstore.DB, ids []string) {
	t.Helper()
	ctx := context.Background()
	for _, id := range ids {
		c, err := db.GetCustomer(ctx, id)
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		srcs, err := db.SourcesOfCustomer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch c.Status {
		case customer.StatusActive:
			prof, lin, chans := survivorship(t, db, srcs)
			if chans == nil {
				chans = []string{}
			}
			if !reflect.DeepEqual(c.Profile, prof) || !reflect.DeepEqual(c.Lineage, lin) || !slices.Equal(c.Channels, chans) {
				t.Fatalf("step %d: customer %s (%d sources) holds %+v %v, survivorship makes %+v %v", step, id, len(srcs), c.Profile, c.Channels, prof, chans)
			}
		case customer.StatusMerged:
			if len(srcs) != 0 {
				t.Fatalf("step %d: merged customer %s still holds %d sources", step, id, len(srcs))
			}
		}
	}
}

// survivorship is the golden record the store's rules make of srcs, worked
// out here apart from the ingest path.
func survivorship(t *testing.T, db *sqlstore.DB, srcs []customer.SourceProfile) (customer.Profile, map[string]customer.Lineage, []string) {
	t.Helper()
	ctx := context.Background()
	rules, err := db.Survivorship(ctx)
	if err != nil {
		t.Fatal(err)
	}
	chs, err := db.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	priority := func(code string) int {
		for _, c := range chs {
			if c.Code == code {
				return c.Priority
			}
		}
		return 1 << 20
	}
	return customer.BuildGolden(srcs, rules, priority)
}
