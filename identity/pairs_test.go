package identity_test

import (
	"context"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// A pair staff dismissed stays apart when records point at both again,
// and a pair already in the review queue is not queued a second time.
func TestReviewedPairsAreNotQueuedAgain(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		withDemoChannels(t, svc)
		open := func(id string) []customer.Duplicate {
			t.Helper()
			dups, err := db.DuplicatesOf(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var out []customer.Duplicate
			for _, d := range dups {
				if d.Status == customer.DuplicateOpen {
					out = append(out, d)
				}
			}
			return out
		}
		// Two pairs of customers; then a source of the first of each pair
		// is updated with the other's e-mail address, which queues the
		// pair for review.
		first := ingest(t, svc,
			in("store", "S-1", `{"family_name":"岡田","given_name":"紗希","emails":["okada.saki@example.jp"]}`),
			in("app", "P-1", `{"family_name":"岡田","given_name":"紗","emails":["okada.family@example.jp"]}`),
			in("store", "S-2", `{"family_name":"森","given_name":"健","emails":["mori.ken@example.jp"]}`),
			in("app", "P-2", `{"family_name":"森","given_name":"健一","emails":["mori.home@example.jp"]}`))
		a, b, c, d := first[0].CustomerID, first[1].CustomerID, first[2].CustomerID, first[3].CustomerID
		ingest(t, svc,
			in("store", "S-1", `{"family_name":"岡田","given_name":"紗希","emails":["okada.saki@example.jp","okada.family@example.jp"]}`),
			in("store", "S-2", `{"family_name":"森","given_name":"健","emails":["mori.ken@example.jp","mori.home@example.jp"]}`))
		dismissed := open(b)
		if len(dismissed) != 1 || dismissed[0].CustomerID != a || len(open(d)) != 1 {
			t.Fatalf("open pairs after the updates: %+v and %+v", dismissed, open(d))
		}
		if err := svc.DismissDuplicate(ctx, actor, dismissed[0].ID, "mother and daughter"); err != nil {
			t.Fatal(err)
		}
		// The same sources change again, still pointing at the other
		// customer of their pair.
		again := ingest(t, svc,
			in("store", "S-1", `{"family_name":"岡田","given_name":"紗希","phones":["090-1111-2222"],"emails":["okada.saki@example.jp","okada.family@example.jp"]}`),
			in("store", "S-2", `{"family_name":"森","given_name":"健","phones":["090-3333-4444"],"emails":["mori.ken@example.jp","mori.home@example.jp"]}`))
		if again[0].Status != identity.ResultUpdated || again[0].CustomerID != a || again[1].CustomerID != c {
			t.Fatalf("the second updates: %+v", again)
		}
		if got := open(b); len(got) != 0 {
			t.Errorf("the dismissed pair is back in the queue: %+v", got)
		}
		if got := open(d); len(got) != 1 {
			t.Errorf("the open pair is queued %d times: %+v", len(got), got)
		}
		if len(again[0].Duplicates) != 0 || len(again[1].Duplicates) != 0 {
			t.Errorf("the updates report possible duplicates already on record: %+v", again)
		}
	})
}
