package identity_test

import (
	"context"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/demo"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/resolve"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// loadDemo ingests demo people (the background that gives the model
// something to learn from).
func loadDemo(t *testing.T, svc *identity.Service, people int) {
	t.Helper()
	withDemoChannels(t, svc)
	var items []customer.SourceProfileInput
	if err := demo.Generate(demo.Options{People: people, Seed: 11}, func(r demo.Record) error {
		in, err := r.Input()
		items = append(items, in)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ingest(t, svc, items...)
}

func ownerOf(t *testing.T, db *sqlstore.DB, channel, ext string) string {
	t.Helper()
	var id string
	if err := db.EachSourceRef(context.Background(), func(r customer.ExternalRef, c string) error {
		if r.Channel == channel && r.ExternalID == ext {
			id = c
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatalf("no source record %s/%s", channel, ext)
	}
	return id
}

func TestResolveMergesSplitsAndKeepsStaffDecisions(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		loadDemo(t, svc, 400)
		res := ingest(t, svc,
			// One person: the store knows her in kanji with a reading, the
			// marketplace in romaji; same mobile and address, no shared email.
			in("store", "X-S1", `{"family_name":"髙橋","given_name":"美咲","family_name_kana":"ﾀｶﾊｼ","given_name_kana":"ﾐｻｷ","phones":["090-7777-1234"],"birth_date":"1990-04-01","addresses":[{"postal_code":"150-0043","prefecture":"東京都","city":"渋谷区","street":"道玄坂一丁目2番3号"}]}`),
			in("amazon", "X-A1", `{"family_name":"Misaki Takahashi","phones":["+81 90 7777 1234"],"addresses":[{"postal_code":"1500043","city":"渋谷区","street":"道玄坂1-2-3"}]}`),
			// A couple sharing a family e-mail address: the deterministic
			// join puts them in one customer; their given names and birth
			// dates say two people.
			in("ec", "X-E1", `{"family_name":"松下","given_name":"愛","family_name_kana":"マツシタ","given_name_kana":"アイ","emails":["matsushita-kazoku@example.jp"],"birth_date":"1985-10-17","phones":["080-1111-2222"]}`),
			in("app", "X-P1", `{"family_name":"松下","given_name":"健太","family_name_kana":"マツシタ","given_name_kana":"ケンタ","emails":["matsushita-kazoku@example.jp"],"birth_date":"1983-02-02","phones":["080-3333-4444"]}`),
			// Two records of one person that staff have said are two.
			in("store", "X-S2", `{"family_name":"岡田","given_name":"紗希","family_name_kana":"オカダ","given_name_kana":"サキ","phones":["090-5555-6666"],"birth_date":"1992-12-12"}`),
			in("app", "X-P2", `{"family_name":"岡田","given_name":"紗希","family_name_kana":"オカダ","given_name_kana":"サキ","phones":["090-5555-6666"],"birth_date":"1992-12-12"}`),
		)
		if res[3].CustomerID != res[2].CustomerID {
			t.Fatalf("the shared e-mail did not join the couple on ingest: %+v", res[2:4])
		}
		// Staff: keep X-S2 and X-P2 apart (they were flagged on ingest by phone)…
		dups, err := db.DuplicatesOf(ctx, res[5].CustomerID)
		if err != nil || len(dups) != 1 {
			t.Fatalf("possible duplicate of X-P2: %+v %v", dups, err)
		}
		if err := svc.DismissDuplicate(ctx, actor, dups[0].ID, "twins"); err != nil {
			t.Fatal(err)
		}
		// …and merge two strangers (a household account, say) by hand.
		extra := ingest(t, svc,
			in("store", "X-S3", `{"family_name":"石田","given_name":"一郎","phones":["03-9999-0001"]}`),
			in("store", "X-S4", `{"family_name":"小野","given_name":"花","phones":["03-9999-0002"]}`))
		if _, err := svc.Merge(ctx, actor, extra[0].CustomerID, extra[1].CustomerID, "one account for the shop"); err != nil {
			t.Fatal(err)
		}

		// A dry run changes nothing.
		before := activeCustomers(t, db)
		rep, err := svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Show: 1000})
		if err != nil {
			t.Fatal(err)
		}
		// It trains a model for itself, and keeps none.
		if !rep.Trained || rep.ModelStored || rep.ModelVersion != 0 || rep.Applied || rep.MergeCount == 0 || rep.SplitCount == 0 {
			t.Fatalf("dry run report: %+v", rep)
		}
		if v, _, err := db.MatchModel(ctx); err != nil || v != 0 {
			t.Fatalf("a dry run stored model version %d (%v)", v, err)
		}
		if after := activeCustomers(t, db); after != before {
			t.Fatalf("a dry run changed the customers: %d → %d", before, after)
		}
		// Every planned merge explains itself.
		for _, m := range rep.Merges {
			if m.Probability < resolve.DefaultAutoMerge || len(m.Evidence) != len(resolve.DefaultFields()) {
				t.Fatalf("merge without its evidence: %+v", m)
			}
		}

		rep, err = svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Apply: true})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Trained || !rep.ModelStored || rep.ModelVersion != 1 || !rep.Applied {
			t.Fatalf("apply report: %+v", rep)
		}
		if got := activeCustomers(t, db); got != rep.People {
			t.Errorf("%d active customers after applying a plan for %d people", got, rep.People)
		}
		if ownerOf(t, db, "store", "X-S1") != ownerOf(t, db, "amazon", "X-A1") {
			t.Error("kanji and romaji records of one person were not merged")
		}
		if ownerOf(t, db, "ec", "X-E1") == ownerOf(t, db, "app", "X-P1") {
			t.Error("the couple sharing an e-mail address is still one customer")
		}
		if ownerOf(t, db, "store", "X-S2") == ownerOf(t, db, "app", "X-P2") {
			t.Error("a pair staff dismissed was merged")
		}
		if ownerOf(t, db, "store", "X-S3") != ownerOf(t, db, "store", "X-S4") {
			t.Error("a merge staff made was undone")
		}
		if err := db.VerifyFacets(ctx); err != nil {
			t.Fatal(err)
		}
		// The couple's split and the merges are in the audit trail as the resolver's.
		moves, err := db.AuditEntries(ctx, audit.Filter{Action: "source_profile.move", Limit: 100})
		if err != nil || len(moves) == 0 || moves[0].ActorID != identity.ResolverActor {
			t.Fatalf("audit of moves: %+v %v", moves, err)
		}
		merges, err := db.AuditEntries(ctx, audit.Filter{Action: "customer.merge", ActorID: identity.ResolverActor, Limit: 1})
		if err != nil || len(merges) == 0 {
			t.Fatalf("audit of merges: %+v %v", merges, err)
		}
		// The doubtful pairs wait for staff, with their evidence.
		open, err := db.Duplicates(ctx, customer.DuplicateOpen, 1000, "")
		if err != nil {
			t.Fatal(err)
		}
		queued := 0
		for _, d := range open {
			if d.Probability > 0 {
				queued++
				if len(d.Evidence) == 0 || d.SourceProfileID == "" || d.OtherProfileID == "" || d.Probability >= resolve.DefaultAutoMerge {
					t.Fatalf("review pair: %+v", d)
				}
			}
		}
		if queued == 0 && rep.ReviewCount > 0 {
			t.Errorf("%d pairs for review, none queued", rep.ReviewCount)
		}
		// Nothing is left to do, and a second run queues nothing twice.
		again, err := svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Apply: true})
		if err != nil {
			t.Fatal(err)
		}
		if again.MergeCount != 0 || again.SplitCount != 0 {
			t.Errorf("second run: %d merges, %d moves", again.MergeCount, again.SplitCount)
		}
		open2, _ := db.Duplicates(ctx, customer.DuplicateOpen, 1000, "")
		if len(open2) != len(open) {
			t.Errorf("second run queued %d more pairs", len(open2)-len(open))
		}
	})
}

func activeCustomers(t *testing.T, db *sqlstore.DB) int {
	t.Helper()
	st, err := db.Stats(context.Background(), 1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return st.Active
}

// misakiAtTheStore is the store's record of 髙橋美咲: a mobile, an e-mail
// address and a Shibuya address, which the other channels' records of her
// share in part.
const misakiAtTheStore = `{"family_name":"髙橋","given_name":"美咲","family_name_kana":"ﾀｶﾊｼ","given_name_kana":"ﾐｻｷ","phones":["090-7777-1234"],"emails":["misaki.t@example.jp"],"birth_date":"1990-04-01","addresses":[{"postal_code":"150-0043","prefecture":"東京都","city":"渋谷区","street":"道玄坂一丁目2番3号"}]}`

// After a model is trained, every upsert is matched with it: a record that
// shares a phone and an address with a customer joins her with its
// evidence; a household member sharing the e-mail address does not join
// and is not offered as a duplicate.
func TestIncrementalMatching(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		loadDemo(t, svc, 400)
		before := ingest(t, svc,
			in("store", "Y-S1", misakiAtTheStore))
		// Without a model: the deterministic rules (a phone alone never joins).
		r := ingest(t, svc, in("amazon", "Y-A0", `{"family_name":"Misaki Takahashi","phones":["090-7777-1234"]}`))[0]
		if r.Status != identity.ResultCreated || r.Match != "new" {
			t.Fatalf("before training: %+v", r)
		}
		if _, err := svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Train: true}); err != nil {
			t.Fatal(err)
		}
		r = ingest(t, svc, in("amazon", "Y-A1", `{"family_name":"Misaki Takahashi","phones":["+81 90 7777 1234"],"addresses":[{"postal_code":"1500043","city":"渋谷区","street":"道玄坂1-2-3"}]}`))[0]
		if r.Status != identity.ResultJoined || r.Match != "probabilistic" || r.CustomerID != before[0].CustomerID || r.Probability < resolve.DefaultAutoMerge || len(r.Evidence) == 0 {
			t.Fatalf("romaji record with the same mobile and address: %+v", r)
		}
		r = ingest(t, svc, in("app", "Y-P1", `{"family_name":"髙橋","given_name":"健太","family_name_kana":"タカハシ","given_name_kana":"ケンタ","emails":["misaki.t@example.jp"],"birth_date":"1988-07-07"}`))[0]
		if r.Status != identity.ResultCreated || len(r.Duplicates) != 0 {
			t.Fatalf("her husband, sharing her e-mail address: %+v", r)
		}
		// The deterministic rule would have joined him on the e-mail address.
		if got := ownerOf(t, db, "app", "Y-P1"); got == before[0].CustomerID {
			t.Fatal("joined on the shared e-mail address")
		}
	})
}

// Thresholds given when a model is trained are stored with it: upserts
// use them, not the defaults.
func TestUpsertsUseTheThresholdsStoredWithTheModel(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		loadDemo(t, svc, 400)
		before := ingest(t, svc,
			in("store", "Z-S1", misakiAtTheStore))
		// Nothing merges on its own under this model: every pair above
		// the review threshold goes to staff.
		rep, err := svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Train: true, Match: resolve.Options{AutoMerge: 1, Review: 0.2}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.AutoMerge != 1 || rep.Review != 0.2 || !rep.ModelStored {
			t.Fatalf("report: %+v", rep)
		}
		r := ingest(t, svc, in("amazon", "Z-A1", `{"family_name":"Misaki Takahashi","phones":["+81 90 7777 1234"],"addresses":[{"postal_code":"1500043","city":"渋谷区","street":"道玄坂1-2-3"}]}`))[0]
		if r.Status != identity.ResultCreated || len(r.Duplicates) != 1 || r.Duplicates[0] != before[0].CustomerID {
			t.Fatalf("the record the default threshold would join: %+v", r)
		}
		// A later run without thresholds uses the stored ones.
		if rep, err = svc.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{}); err != nil || rep.AutoMerge != 1 || rep.Review != 0.2 || rep.Trained {
			t.Fatalf("a run without thresholds: %+v %v", rep, err)
		}
	})
}
