package identity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/demo"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

var actor = kizuna.Actor{Type: "system", ID: "test", Name: "test"}

func in(channel, ext, profile string) customer.SourceProfileInput {
	return customer.SourceProfileInput{Channel: channel, ExternalID: ext, Profile: json.RawMessage(profile)}
}

// withDemoChannels creates the demo's channels (store, ec, app, the
// marketplaces), which records name.
func withDemoChannels(t testing.TB, svc *identity.Service) {
	t.Helper()
	for _, c := range demo.Channels() {
		if err := svc.UpsertChannel(context.Background(), actor, c); err != nil {
			t.Fatal(err)
		}
	}
}

func ingest(t *testing.T, svc *identity.Service, items ...customer.SourceProfileInput) []identity.Result {
	t.Helper()
	res, err := svc.Ingest(context.Background(), actor, nil, items)
	if err != nil {
		t.Fatalf("ingest: %v", err)
	}
	return res
}

func TestIngestJoinsByDeterministicKeys(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		res := ingest(t, svc,
			in("store", "S001", `{"family_name":"髙橋","given_name":"美咲","family_name_kana":"たかはし","given_name_kana":"ﾐｻｷ","member_cards":["2100-0000-1234"],"phones":["090-1234-5678"]}`),
			in("app", "A-1", `{"member_cards":["2100 0000 1234"],"emails":["Misaki.T@Example.JP"]}`),
			in("ec", "EC1", `{"family_name":"高橋","given_name":"美咲","emails":["ＭＩＳＡＫＩ.T@example.jp"]}`),
			in("rakuten", "rk1", `{"phones":["０９０－１２３４－５６７８"],"family_name_romaji":"Takahashi"}`),
		)
		if res[0].Status != identity.ResultCreated || res[1].Status != identity.ResultJoined || res[1].Match != "member_card" {
			t.Fatalf("card join: %+v %+v", res[0], res[1])
		}
		if res[2].Status != identity.ResultJoined || res[2].Match != "email" || res[2].CustomerID != res[0].CustomerID {
			t.Fatalf("email join: %+v", res[2])
		}
		if res[3].Status != identity.ResultCreated || res[3].CustomerID == res[0].CustomerID || !slices.Equal(res[3].Duplicates, []string{res[0].CustomerID}) {
			t.Fatalf("phone only must create a new customer flagged as possible duplicate: %+v", res[3])
		}
		c, err := svc.Get(ctx, res[0].CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		// Own store outranks EC by source priority, so the store's spelling wins.
		if c.Profile.FamilyName != "髙橋" || c.Profile.FamilyNameKana != "タカハシ" || c.Profile.GivenNameKana != "ミサキ" {
			t.Fatalf("golden name: %+v", c.Profile)
		}
		if !slices.Equal(c.Profile.MemberCards, []string{"210000001234"}) {
			t.Fatalf("member cards: %v", c.Profile.MemberCards)
		}
		if !slices.Equal(c.Profile.Emails, []string{"misaki.t@example.jp"}) || !slices.Equal(c.Profile.Phones, []string{"+819012345678"}) {
			t.Fatalf("identifiers: %v %v", c.Profile.Emails, c.Profile.Phones)
		}
		if l := c.Lineage[customer.FieldName]; l.Channel != "store" || l.Rule != customer.RuleSourcePriority || l.SourceProfileID != res[0].SourceProfileID {
			t.Fatalf("lineage of name: %+v", l)
		}
		if !slices.Equal(c.Channels, []string{"app", "ec", "store"}) {
			t.Fatalf("channels: %v", c.Channels)
		}
		dups, err := db.DuplicatesOf(ctx, res[3].CustomerID)
		if err != nil || len(dups) != 1 || !strings.Contains(dups[0].Reason, "phone") {
			t.Fatalf("duplicate entry: %+v %v", dups, err)
		}
	})
}

func TestIngestVersionsAndRejections(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		res := ingest(t, svc,
			in("ec", "E1", `{"family_name":"佐藤","emails":["sato@example.jp"]}`),
			in("ec", "E2", `{"emails":["not-an-email"]}`),
			in("nosuch", "X", `{}`),
			in("ec", "E3", `{"family_name":"鈴木","shoe_size":24}`),
			in("ec", "", `{}`),
			in("ec", "E4", `{"addresses":[{"postal_code":"150-0001"},{"postal_code":"12"}]}`),
			in("ec", "E5", `{"family_name":"田中"}`),
			in("manual", "M1", `{"family_name":"田中"}`),
			in("ec", "E6", `{"family_name":"田中","consents":[{"purpose":"spam","channel":"email","granted":true}]}`),
			in("ec", "E7", `{"emails":"a@example.jp"}`),
			// Lengths: a name of 100 characters is taken, 101 is not
			// (a memo column mapped to the name, say).
			in("ec", "E8", `{"family_name":"`+strings.Repeat("長", 100)+`","addresses":[{"street":"`+strings.Repeat("町", 200)+`"}]}`),
			in("ec", "E9", `{"family_name":"`+strings.Repeat("長", 101)+`"}`),
			in("ec", "E10", `{"addresses":[{"street":"`+strings.Repeat("町", 201)+`"}]}`),
			// Several problems: every one is reported, in one answer.
			in("ec", "E11", `{"family_name":"`+strings.Repeat("長", 101)+`","emails":["ok@example.jp","bad@"],"phones":["12"],"birth_date":"1980-02-30","gender":"たぶん"}`),
		)
		want := []struct{ status, field string }{
			{identity.ResultCreated, ""}, {identity.ResultRejected, "profile.emails[0]"}, {identity.ResultRejected, "channel"},
			{identity.ResultRejected, "profile.shoe_size"}, {identity.ResultRejected, "external_id"},
			{identity.ResultRejected, "profile.addresses[1].postal_code"}, {identity.ResultCreated, ""},
			{identity.ResultRejected, "channel"}, {identity.ResultRejected, "profile.consents[0].purpose"}, {identity.ResultRejected, "profile.emails"},
			{identity.ResultCreated, ""}, {identity.ResultRejected, "profile.family_name"}, {identity.ResultRejected, "profile.addresses[0].street"},
			{identity.ResultRejected, "profile.emails[1]"},
		}
		for i, w := range want {
			got := res[i]
			f := ""
			if got.Error != nil {
				f = got.Error.Field
				if got.Error.Reason == "" {
					t.Errorf("item %d: empty reason", i)
				}
			}
			if got.Status != w.status || f != w.field || got.Index != i {
				t.Errorf("item %d: got %s %q (%+v), want %s %q", i, got.Status, f, got.Error, w.status, w.field)
			}
		}
		var fields []string
		for _, e := range res[13].Errors {
			fields = append(fields, e.Field)
		}
		if got, want := strings.Join(fields, " "), "profile.emails[1] profile.phones[0] profile.birth_date profile.gender profile.family_name"; got != want {
			t.Errorf("all problems of E11: %s, want %s (%+v)", got, want, res[13].Errors)
		}
		if len(res[1].Errors) != 0 {
			t.Errorf("one problem listed again in errors: %+v", res[1].Errors)
		}
		// Same content again: unchanged; changed content: a new version, the old kept.
		if r := ingest(t, svc, in("ec", "E1", `{"family_name":"佐藤","emails":["sato@example.jp"]}`))[0]; r.Status != identity.ResultUnchanged || r.Version != 1 {
			t.Fatalf("resend: %+v", r)
		}
		r := ingest(t, svc, in("ec", "E1", `{"family_name":"佐藤","emails":["sato@example.jp","sato2@example.jp"]}`))[0]
		if r.Status != identity.ResultUpdated || r.Version != 2 || r.CustomerID != res[0].CustomerID {
			t.Fatalf("update: %+v", r)
		}
		vs, err := db.SourceVersions(ctx, r.SourceProfileID)
		if err != nil || len(vs) != 2 || !strings.Contains(string(vs[0].Raw), `"sato@example.jp"]`) {
			t.Fatalf("versions: %v %+v", err, vs)
		}
		// The new email now finds the customer.
		found, err := svc.Lookup(ctx, "email", "SATO2@example.jp")
		if err != nil || len(found) != 1 || found[0].ID != res[0].CustomerID {
			t.Fatalf("lookup: %v %+v", err, found)
		}
	})
}

func TestDisagreeingSignalsCreateDuplicate(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		res := ingest(t, svc,
			in("store", "S1", `{"member_cards":["111"]}`),
			in("ec", "E1", `{"emails":["a@example.jp"]}`),
			in("app", "P1", `{"member_cards":["111"],"emails":["a@example.jp"]}`),
		)
		a, b, c := res[0], res[1], res[2]
		if c.Status != identity.ResultCreated || c.CustomerID == a.CustomerID || c.CustomerID == b.CustomerID {
			t.Fatalf("disagreement must create a separate customer: %+v", c)
		}
		want := []string{a.CustomerID, b.CustomerID}
		got := slices.Clone(c.Duplicates)
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Fatalf("duplicates %v, want %v", got, want)
		}
	})
}

// Two channels sending the same person at the same moment must end in one customer.
func TestConcurrentIngestNeverSplitsAPerson(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		const people = 25
		var wg sync.WaitGroup
		errs := make(chan error, 4*people)
		for p := range people {
			for _, ch := range []string{"store", "ec", "app", "rakuten"} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := fmt.Sprintf(`{"emails":["person%d@example.jp"]}`, p)
					_, err := svc.Ingest(ctx, actor, nil, []customer.SourceProfileInput{in(ch, fmt.Sprintf("%s-%d", ch, p), body)})
					errs <- err
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for p := range people {
			ids, err := db.CustomersByKey(ctx, customer.Key(customer.KeyEmail, fmt.Sprintf("person%d@example.jp", p)))
			if err != nil || len(ids) != 1 {
				t.Fatalf("person %d: customers %v (%v), want exactly one", p, ids, err)
			}
			c, _ := svc.Get(ctx, ids[0])
			if len(c.Channels) != 4 {
				t.Fatalf("person %d: channels %v", p, c.Channels)
			}
		}
	})
}

func TestPatchWithETag(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		res := ingest(t, svc, in("rakuten", "R1", `{"family_name":"渡辺","given_name":"健一","emails":["k@example.jp"]}`))
		c, _ := svc.Get(ctx, res[0].CustomerID)
		etag := identity.ETag(c)
		got, err := svc.Patch(ctx, actor, c.ID, etag, json.RawMessage(`{"given_name":"健二","tags":["VIP"]}`))
		if err != nil {
			t.Fatal(err)
		}
		if got.Profile.FamilyName != "渡辺" || got.Profile.GivenName != "健二" || !slices.Equal(got.Profile.Tags, []string{"VIP"}) {
			t.Fatalf("patched: %+v", got.Profile)
		}
		if got.Lineage[customer.FieldName].Channel != customer.ManualChannel {
			t.Fatalf("lineage after staff edit: %+v", got.Lineage[customer.FieldName])
		}
		if _, err := svc.Patch(ctx, actor, c.ID, etag, json.RawMessage(`{"given_name":"x"}`)); kizuna.ErrorCode(err) != kizuna.EPRECONDITION {
			t.Fatalf("stale If-Match: %v", err)
		}
		if _, err := svc.Patch(ctx, actor, c.ID, "", json.RawMessage(`{"birth_date":"1990-02-30"}`)); kizuna.ErrorField(err) != "birth_date" {
			t.Fatalf("bad date: %v", err)
		}
		// Every problem of a patch is named as the patch names it.
		_, err = svc.Patch(ctx, actor, c.ID, "", json.RawMessage(`{"birth_date":"1990-02-30","gender":"たぶん","emails":["ok@example.jp","`+strings.Repeat("a", 250)+`@example.jp"]}`))
		var fields []string
		for _, e := range kizuna.FieldErrors(err) {
			fields = append(fields, e.Field)
		}
		if got := strings.Join(fields, " "); got != "emails[1] birth_date gender" {
			t.Fatalf("a patch with three problems: %s (%v)", got, err)
		}
		// Unchanged customers list by tag.
		l, err := db.ListCustomers(ctx, customer.ListFilter{Tag: "VIP", Limit: 10})
		if err != nil || len(l) != 1 || l[0].ID != c.ID {
			t.Fatalf("list by tag: %v %d", err, len(l))
		}
	})
}

// state is the business state that merge+unmerge must restore exactly.
type state struct {
	Customers map[string]string // id → status|merged_into|profile|lineage|channels
	Owners    map[string]string // source profile → customer
	Dups      map[string]string
}

func snapshot(t *testing.T, db *sqlstore.DB, ids []string, srcs []string) state {
	t.Helper()
	ctx := context.Background()
	s := state{Customers: map[string]string{}, Owners: map[string]string{}, Dups: map[string]string{}}
	for _, id := range ids {
		c, err := db.GetCustomer(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal([]any{c.Status, c.MergedInto, c.Suppressed, c.Profile, c.Lineage, c.Channels})
		s.Customers[id] = string(b)
		ds, _ := db.DuplicatesOf(ctx, id)
		for _, d := range ds {
			s.Dups[d.ID] = d.CustomerID + "|" + d.OtherID + "|" + d.Status
		}
		ss, _ := db.SourcesOfCustomer(ctx, id)
		for _, sp := range ss {
			s.Owners[sp.ID] = sp.CustomerID
		}
	}
	return s
}

// Property: any sequence of random merges, undone in reverse order, restores
// exactly the state before.
func TestMergeUnmergeRoundTrip(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		var items []customer.SourceProfileInput
		for i := range 12 {
			items = append(items, in("store", fmt.Sprintf("S%d", i), fmt.Sprintf(`{"family_name":"山田%d","member_cards":["C%d"],"phones":["03-1234-%04d"],"birth_date":"198%d-01-0%d"}`, i, i, i%3, i%10, 1+i%9)))
			items = append(items, in("ec", fmt.Sprintf("E%d", i), fmt.Sprintf(`{"given_name":"花子%d","emails":["h%d@example.jp"],"phones":["03-1234-%04d"],"consents":[{"purpose":"marketing","channel":"email","granted":%v}]}`, i, i, i%3, i%2 == 0)))
		}
		res := ingest(t, svc, items...)
		var ids, srcs []string
		for _, r := range res {
			if !slices.Contains(ids, r.CustomerID) {
				ids = append(ids, r.CustomerID)
			}
			srcs = append(srcs, r.SourceProfileID)
		}
		rng := rand.New(rand.NewPCG(7, uint64(len(db.Dialect()))))
		for round := range 6 {
			before := snapshot(t, db, ids, srcs)
			var merges []string
			active := slices.Clone(ids)
			for range 1 + rng.IntN(8) {
				if len(active) < 2 {
					break
				}
				i, j := rng.IntN(len(active)), rng.IntN(len(active)-1)
				if j >= i {
					j++
				}
				m, err := svc.Merge(ctx, actor, active[i], active[j], "test")
				if err != nil {
					t.Fatalf("round %d merge: %v", round, err)
				}
				merges = append(merges, m.ID)
				active = slices.Delete(active, j, j+1)
			}
			if reflect.DeepEqual(before, snapshot(t, db, ids, srcs)) {
				t.Fatalf("round %d: merges changed nothing", round)
			}
			if err := db.VerifyFacets(ctx); err != nil {
				t.Fatalf("round %d, after merges: %v", round, err)
			}
			for k := len(merges) - 1; k >= 0; k-- {
				if _, err := svc.Unmerge(ctx, actor, merges[k]); err != nil {
					t.Fatalf("round %d unmerge: %v", round, err)
				}
			}
			after := snapshot(t, db, ids, srcs)
			if !reflect.DeepEqual(before, after) {
				for id := range before.Customers {
					if before.Customers[id] != after.Customers[id] {
						t.Errorf("customer %s:\n before %s\n after  %s", id, before.Customers[id], after.Customers[id])
					}
				}
				t.Fatalf("round %d: unmerge did not restore the state (owners equal: %v, dups equal: %v)", round,
					reflect.DeepEqual(before.Owners, after.Owners), reflect.DeepEqual(before.Dups, after.Dups))
			}
		}
		if _, err := svc.Unmerge(ctx, actor, "mrg_nosuch"); kizuna.ErrorCode(err) != kizuna.ENOTFOUND {
			t.Fatalf("unknown merge: %v", err)
		}
		m, _ := svc.Merge(ctx, actor, ids[0], ids[1], "")
		if _, err := svc.Merge(ctx, actor, ids[2], ids[1], ""); kizuna.ErrorCode(err) != kizuna.ECONFLICT {
			t.Fatalf("merging a merged customer: %v", err)
		}
		got, err := svc.Get(ctx, ids[1])
		if err != nil || got.ID != ids[0] {
			t.Fatalf("get of merged ID must reach the survivor: %v %v", err, got)
		}
		svc.Unmerge(ctx, actor, m.ID)
		if _, err := svc.Unmerge(ctx, actor, m.ID); kizuna.ErrorCode(err) != kizuna.ECONFLICT {
			t.Fatalf("double unmerge: %v", err)
		}
		if n, p, err := db.VerifyAudit(ctx); err != nil || p != nil || n == 0 {
			t.Fatalf("audit chain after merges: n=%d problem=%v err=%v", n, p, err)
		}
		if err := db.VerifyFacets(ctx); err != nil {
			t.Fatalf("after unmerges: %v", err)
		}
	})
}

func TestErasure(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		res := ingest(t, svc,
			in("store", "S1", `{"family_name":"齋藤","given_name":"恵子","member_cards":["KZ7770001"],"emails":["keiko@example.jp"],"phones":["090-5432-1987"]}`),
			in("ec", "E1", `{"family_name":"斎藤","emails":["keiko@example.jp"],"addresses":[{"postal_code":"1500001","prefecture":"東京","city":"渋谷区","street":"神宮前1-2-3"}]}`),
			in("app", "P1", `{"emails":["keiko.app@example.jp"]}`),
		)
		id := res[0].CustomerID
		if _, err := svc.Merge(ctx, actor, id, res[2].CustomerID, "same person"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Erase(ctx, actor, id, ""); kizuna.ErrorField(err) != "reason" {
			t.Fatalf("erasure without reason: %v", err)
		}
		if err := svc.Erase(ctx, actor, id, "request #2026-114"); err != nil {
			t.Fatal(err)
		}
		if err := db.VerifyFacets(ctx); err != nil {
			t.Fatalf("after erasure: %v", err)
		}
		d, err := svc.Disclose(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := json.Marshal(d)
		for _, pii := range []string{"齋藤", "斎藤", "恵子", "keiko", "KZ7770001", "9054321987", "1500001", "神宮前", "S1", "E1"} {
			if strings.Contains(string(doc), pii) {
				i := strings.Index(string(doc), pii)
				t.Errorf("personal data %q survived erasure in the disclosure document: …%s…", pii, doc[max(0, i-80):min(len(doc), i+40)])
			}
		}
		merged, _ := db.GetCustomer(ctx, res[2].CustomerID)
		if b, _ := json.Marshal(merged.Profile); strings.Contains(string(b), "keiko") {
			t.Errorf("merged-away record kept personal data: %s", b)
		}
		if d.Customer.Status != customer.StatusErased || !d.Customer.Suppressed {
			t.Fatalf("erased customer: %+v", d.Customer)
		}
		entries, _ := db.AuditEntries(ctx, audit.Filter{CustomerID: id})
		for _, e := range entries {
			if strings.Contains(string(e.Detail), "keiko") || strings.Contains(string(e.Detail), "齋藤") {
				t.Errorf("audit entry %d keeps personal data: %s", e.Seq, e.Detail)
			}
		}
		if entries[0].Action != "customer.erase" {
			t.Errorf("newest audit entry is %s, want customer.erase", entries[0].Action)
		}
		// Re-import: the person comes back as a new record, kept out of marketing.
		r := ingest(t, svc, in("ec", "E9", `{"emails":["Keiko@example.jp"],"consents":[{"purpose":"marketing","channel":"email","granted":true}]}`))[0]
		c, _ := svc.Get(ctx, r.CustomerID)
		if r.Status != identity.ResultCreated || !c.Suppressed || c.HasConsent("marketing", "email") {
			t.Fatalf("re-imported erased person must be suppressed: %+v suppressed=%v", r, c.Suppressed)
		}
		other := ingest(t, svc, in("ec", "E10", `{"emails":["someone.else@example.jp"],"consents":[{"purpose":"marketing","channel":"email","granted":true}]}`))[0]
		if c2, _ := svc.Get(ctx, other.CustomerID); c2.Suppressed || !c2.HasConsent("marketing", "email") {
			t.Fatalf("an unrelated person must not be suppressed")
		}
		// The store's member S1 comes back under the same number and asks
		// again: the second erasure of that channel ID works too.
		back := ingest(t, svc, in("store", "S1", `{"family_name":"齋藤","member_cards":["KZ7770001"]}`))[0]
		if err := svc.Erase(ctx, actor, back.CustomerID, "request #2026-187"); err != nil {
			t.Fatalf("a second erasure of store S1: %v", err)
		}
	})
}

// Every version of a source record is kept as sent, the current one in
// source_profiles and the superseded ones beside it; a channel's own ID finds
// the customer without being stored as an identity key.
func TestVersionsAndExternalIDLookup(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		bodies := []string{
			`{"family_name":"佐藤","emails":["v1@example.jp"]}`,
			`{"family_name":"佐藤","emails":["v2@example.jp"]}`,
			`{"family_name":"佐藤","given_name":"花子","emails":["v2@example.jp"]}`,
		}
		var first identity.Result
		for i, b := range bodies {
			r := ingest(t, svc, in("ec", "EC:42", b))[0]
			if i == 0 {
				first = r
			}
			if r.Version != i+1 || r.SourceProfileID != first.SourceProfileID {
				t.Fatalf("version %d: %+v", i+1, r)
			}
		}
		if r := ingest(t, svc, in("ec", "EC:42", bodies[2]))[0]; r.Status != identity.ResultUnchanged || r.Version != 3 {
			t.Fatalf("resend of the current version: %+v", r)
		}
		vs, err := db.SourceVersions(ctx, first.SourceProfileID)
		if err != nil || len(vs) != 3 {
			t.Fatalf("versions: %v %d", err, len(vs))
		}
		for i, v := range vs {
			if v.Version != i+1 || string(v.Raw) != bodies[i] || v.ObservedAt.IsZero() {
				t.Fatalf("version %d: %+v raw %s", i+1, v, v.Raw)
			}
		}
		got, err := svc.Lookup(ctx, customer.KeyExternal, "ec:EC:42")
		if err != nil || len(got) != 1 || got[0].ID != first.CustomerID {
			t.Fatalf("lookup by channel ID: %v %+v", err, got)
		}
		if got, err := svc.Lookup(ctx, customer.KeyExternal, "store:EC:42"); err != nil || len(got) != 0 {
			t.Fatalf("another channel's ID must not match: %v %+v", err, got)
		}
		if got, err := svc.Lookup(ctx, customer.KeyEmail, "v1@example.jp"); err != nil || len(got) != 0 {
			t.Fatalf("an identifier the record no longer carries must not match: %v %+v", err, got)
		}
		if got, err := svc.Lookup(ctx, customer.KeyEmail, "v2@example.jp"); err != nil || len(got) != 1 {
			t.Fatalf("current identifier: %v %+v", err, got)
		}
	})
}

// A realistic batch takes the bulk paths (COPY on PostgreSQL, prepared
// single-row INSERTs on SQLite, parallel encoding): everything it answered
// is stored, readable and audited in an intact chain.
func TestLargeBatchIsStoredAndAudited(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		withDemoChannels(t, svc)
		var items []customer.SourceProfileInput
		if err := demo.Generate(demo.Options{People: 300, Seed: 5}, func(r demo.Record) error {
			in, err := r.Input()
			items = append(items, in)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		res := ingest(t, svc, items...)
		customers := map[string]bool{}
		for i, r := range res {
			if r.Status != identity.ResultCreated && r.Status != identity.ResultJoined {
				t.Fatalf("item %d: %+v", i, r)
			}
			customers[r.CustomerID] = true
			vs, err := db.SourceVersions(ctx, r.SourceProfileID)
			if err != nil || len(vs) != 1 || vs[0].Version != 1 {
				t.Fatalf("item %d: versions %v %+v", i, err, vs)
			}
		}
		counts, err := db.CountCustomers(ctx)
		if err != nil || counts[customer.StatusActive] != len(customers) {
			t.Fatalf("%d customers answered, %v stored (%v)", len(customers), counts, err)
		}
		for id := range customers {
			c, err := db.GetCustomer(ctx, id)
			if err != nil || len(c.Lineage) == 0 || len(c.Channels) == 0 {
				t.Fatalf("customer %s: %v %+v", id, err, c)
			}
		}
		n, problem, err := db.VerifyAudit(ctx)
		if err != nil || problem != nil || n < int64(len(items)) {
			t.Fatalf("audit chain: %d entries, problem %+v, %v", n, problem, err)
		}
	})
}

// The largest batch the API takes (10,000 records, some 25,000 identity
// keys) goes through in one transaction on both databases. On PostgreSQL a
// lock per key overflowed the server's default lock table ("out of shared
// memory"); keys are locked in stripes now.
func TestMaxBatchInOneTransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 records")
	}
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		withDemoChannels(t, svc)
		var items []customer.SourceProfileInput
		keys := 0
		if err := demo.Generate(demo.Options{People: 8000, Seed: 9}, func(r demo.Record) error {
			if len(items) == identity.MaxBatch {
				return nil
			}
			in, err := r.Input()
			items = append(items, in)
			keys += 1 + strings.Count(string(in.Profile), "@") + strings.Count(string(in.Profile), `"phones"`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(items) != identity.MaxBatch || keys < 2*identity.MaxBatch {
			t.Fatalf("%d items with about %d keys; want a full batch with over 2 keys each", len(items), keys)
		}
		res := ingest(t, svc, items...)
		for i, r := range res {
			if r.Status != identity.ResultCreated && r.Status != identity.ResultJoined {
				t.Fatalf("item %d: %+v", i, r)
			}
		}
		// Resent with changes (a new name for every tenth), as updates.
		for i := range items {
			if i%10 == 0 {
				items[i].Profile = json.RawMessage(strings.Replace(string(items[i].Profile), `"family_name":"`, `"family_name":"新`, 1))
			}
		}
		ingest(t, svc, items[:2000]...)
		if err := db.VerifyFacets(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// A batch prepared ahead (as a load does) stores what the records say:
// each source's profile is the input parsed, and each customer's golden
// record is survivorship over its stored sources, for a customer of one
// source and one of two.
func TestPreparedBatchStoresWhatTheRecordsSay(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		svc := identity.New(db, db)
		items := []customer.SourceProfileInput{
			in("store", "P-1", `{"family_name":"髙橋","given_name":"美咲","emails":["misaki@example.jp"],"phones":["03-1234-5678"],"addresses":[{"postal_code":"150-0001","prefecture":"東京都","city":"渋谷区","street":"神宮前1-2-3"}]}`),
			in("ec", "P-2", `{"family_name":"タカハシ","given_name":"ミサキ","emails":["MISAKI@example.jp"],"birth_date":"1990-03-01"}`),
			in("ec", "P-3", `{"family_name":"佐藤","given_name":"健","member_cards":["2100-0000-0777"],"gender":"male"}`),
		}
		b, err := svc.PrepareBatch(ctx, nil, items, false)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.CommitBatch(ctx, actor, b)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Status != identity.ResultCreated || res[1].Status != identity.ResultJoined || res[2].Status != identity.ResultCreated {
			t.Fatalf("results: %+v", res)
		}
		for _, id := range []string{res[0].CustomerID, res[2].CustomerID} {
			srcs, err := db.SourcesOfCustomer(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, sp := range srcs {
				raw := items[0].Profile
				for _, it := range items {
					if it.ExternalID == sp.ExternalID {
						raw = it.Profile
					}
				}
				want, err := identity.ParseProfile(raw, "profile", sp.Channel, sp.ObservedAt, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(sp.Profile, want) {
					t.Errorf("source %s stored %+v, the input parses to %+v", sp.ExternalID, sp.Profile, want)
				}
			}
			c, err := db.GetCustomer(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			prof, lin, chans := survivorship(t, db, srcs)
			if !reflect.DeepEqual(c.Profile, prof) || !reflect.DeepEqual(c.Lineage, lin) || !slices.Equal(c.Channels, chans) {
				t.Errorf("customer %s (%d sources) stored %+v %v, survivorship makes %+v %v", id, len(srcs), c.Profile, c.Channels, prof, chans)
			}
		}
	})
}

// Typed attributes take text as every cell of a CSV or Excel file is:
// 「1,200」 for an integer, 「はい」 for a boolean. Text that is no such
// value is refused with the attribute's type.
func TestTypedAttributesFromText(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		svc := identity.New(db, db)
		ctx := context.Background()
		for _, a := range []customer.AttributeDef{{Name: "visits", Type: "integer"}, {Name: "height", Type: "number"}, {Name: "dm_ok", Type: "boolean"}} {
			if err := svc.UpsertAttribute(ctx, kizuna.System("test"), a); err != nil {
				t.Fatal(err)
			}
		}
		res := ingest(t, svc,
			in("store", "T1", `{"family_name":"佐藤","attributes":{"visits":"１，２００","height":"158.5","dm_ok":"はい"}}`),
			in("store", "T2", `{"family_name":"鈴木","attributes":{"visits":"たくさん"}}`),
			in("store", "T3", `{"family_name":"田中","attributes":{"visits":12,"dm_ok":false}}`),
		)
		if res[0].Status != identity.ResultCreated || res[2].Status != identity.ResultCreated {
			t.Fatalf("typed attributes as text and as JSON: %+v / %+v", res[0], res[2])
		}
		if res[1].Status != identity.ResultRejected || res[1].Error.Field != "profile.attributes.visits" || !strings.Contains(res[1].Error.Reason, "integer") {
			t.Errorf("text that is no integer: %+v", res[1])
		}
		c, err := svc.Get(ctx, res[0].CustomerID)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(c.Profile.Attributes["visits"], " ", c.Profile.Attributes["height"], " ", c.Profile.Attributes["dm_ok"]); got != "1200 158.5 true" {
			t.Errorf("stored attributes: %s (%+v)", got, c.Profile.Attributes)
		}
	})
}
