package identity_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/resolve"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// A pair listed twice (flagged before the queue kept one entry per pair)
// is dismissed as a pair: no copy of it stays open.
func TestDismissingAPairClosesEveryCopy(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		loadDemo(t, svc, 20)
		res := ingest(t, svc,
			in("store", "D-1", `{"family_name":"石井","given_name":"誠"}`),
			in("app", "D-2", `{"family_name":"石井","given_name":"誠"}`))
		a, b := res[0].CustomerID, res[1].CustomerID
		now := time.Now().UTC()
		var ids []string
		if err := db.WithTx(ctx, func(tx customer.Tx) error {
			for range 2 {
				d := &customer.Duplicate{ID: kizuna.NewID("dup"), CustomerID: a, OtherID: b, Reason: "same phone number only", Status: customer.DuplicateOpen, CreatedAt: now}
				ids = append(ids, d.ID)
				if err := tx.InsertDuplicate(ctx, d); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := svc.DismissDuplicate(ctx, actor, ids[1], "brothers"); err != nil {
			t.Fatal(err)
		}
		dups, err := db.DuplicatesOf(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dups {
			if d.Status != customer.DuplicateDismissed || d.DecidedBy != actor.ID {
				t.Errorf("after dismissing the pair: %+v", d)
			}
		}
		if len(dups) != 2 {
			t.Errorf("%d rows for the pair, want 2", len(dups))
		}
	})
}

// A pair a rule flagged before there was a model (a shared phone, no
// score) gets the model's score and explanation when resolve queues it.
func TestResolveScoresAPairARuleFlagged(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		loadDemo(t, svc, 400)
		res := ingest(t, svc,
			in("store", "F-1", `{"family_name":"髙橋","given_name":"美咲","phones":["090-7777-1234"],"birth_date":"1990-04-01"}`),
			in("amazon", "F-2", `{"family_name":"Misaki Takahashi","phones":["+81 90 7777 1234"]}`))
		flagged, err := db.DuplicatesOf(ctx, res[1].CustomerID)
		if err != nil || len(flagged) != 1 || flagged[0].Probability != 0 || len(flagged[0].Evidence) != 0 {
			t.Fatalf("the rule's flag: %+v %v", flagged, err)
		}
		// Thresholds that put every scored pair in the review band.
		if _, err := svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Train: true, Apply: true,
			Match: resolve.Options{AutoMerge: 0.999999, Review: 0.000001}}); err != nil {
			t.Fatal(err)
		}
		dups, err := db.DuplicatesOf(ctx, res[1].CustomerID)
		if err != nil || len(dups) != 1 || dups[0].ID != flagged[0].ID {
			t.Fatalf("after resolve: %+v %v", dups, err)
		}
		if d := dups[0]; d.Status != customer.DuplicateOpen || d.Probability <= 0 || len(d.Evidence) == 0 || d.SourceProfileID == "" || d.OtherProfileID == "" {
			t.Errorf("the flag after resolve: %+v", d)
		}
	})
}

// A pair a rule flagged that the model scores below review (father and
// son of one name, sharing a landline) is taken off the queue, with the score that cleared
// it; it is no staff decision, so a model that later scores it for review
// puts it back.
func TestResolveClearsARuleFlagTheModelScoresBelowReview(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		loadDemo(t, svc, 400)
		res := ingest(t, svc,
			in("store", "H-1", `{"family_name":"田中","given_name":"太郎","phones":["03-3333-1234"],"birth_date":"1948-02-11","emails":["taro.tanaka@example.jp"]}`),
			in("ec", "H-2", `{"family_name":"田中","given_name":"太郎","phones":["0333331234"],"birth_date":"1979-09-30","emails":["taro.t@example.com"]}`))
		flagged, err := db.DuplicatesOf(ctx, res[1].CustomerID)
		if err != nil || len(flagged) != 1 || flagged[0].Probability != 0 || flagged[0].Status != customer.DuplicateOpen {
			t.Fatalf("the rule's flag: %+v %v", flagged, err)
		}
		// The queue is read a page at a time: pages of one pair here.
		defer identity.SetReviewPage(1)()
		rep, err := svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Train: true, Apply: true})
		if err != nil {
			t.Fatal(err)
		}
		dups, _ := db.DuplicatesOf(ctx, res[1].CustomerID)
		if len(dups) != 1 || dups[0].ID != flagged[0].ID {
			t.Fatalf("after resolve: %+v", dups)
		}
		d := dups[0]
		if d.Status != customer.DuplicateCleared || d.Probability <= 0 || d.Probability >= resolve.DefaultReview || len(d.Evidence) == 0 ||
			!strings.HasPrefix(d.Reason, "cleared: match probability") || !strings.Contains(d.Reason, "first flagged") || d.DecidedBy != "" {
			t.Errorf("the flag after resolve: %+v", d)
		}
		if rep.ClearedCount < 1 {
			t.Errorf("report: %d cleared", rep.ClearedCount)
		}
		if open, _ := db.Duplicates(ctx, customer.DuplicateOpen, 1000, ""); slices.ContainsFunc(open, func(o customer.Duplicate) bool { return o.ID == d.ID }) {
			t.Error("the cleared pair is still in the open queue")
		}
		// A new record sharing the phone does not flag the pair again.
		ingest(t, svc, in("ec", "H-3", `{"family_name":"田中","given_name":"太郎","phones":["03-3333-1234"],"emails":["taro.t@example.com"]}`))
		if dups, _ := db.DuplicatesOf(ctx, res[0].CustomerID); len(dups) != 1 {
			t.Errorf("flagged again: %+v", dups)
		}
		// A model (here: thresholds) that scores it for review reopens it.
		if _, err := svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Apply: true,
			Match: resolve.Options{AutoMerge: 0.999999, Review: 0.000001}}); err != nil {
			t.Fatal(err)
		}
		dups, _ = db.DuplicatesOf(ctx, res[0].CustomerID)
		i := slices.IndexFunc(dups, func(o customer.Duplicate) bool { return o.ID == d.ID })
		if i < 0 || dups[i].Status != customer.DuplicateOpen || dups[i].Probability <= 0 || strings.HasPrefix(dups[i].Reason, "cleared") {
			t.Errorf("after a resolve that scores it for review: %+v", dups)
		}
	})
}
