package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestPatchIfMatch(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, admin := h.adminKey(t)
		c := h.createCustomer(t, admin, map[string]any{"family_name": "山田", "given_name": "花子"})
		path := "/api/v1/customers/" + c.ID

		r := h.must(t, http.StatusOK, "GET", path, admin, nil)
		etag := r.Header.Get("ETag")
		if etag == "" {
			t.Fatal("GET answered without an ETag")
		}

		// Correct ETag: applied, new ETag, body and header agree.
		r = h.must(t, http.StatusOK, "PATCH", path, admin, `{"given_name":"華子"}`, "If-Match", etag, "Content-Type", "application/merge-patch+json")
		newTag := r.Header.Get("ETag")
		var got customer.Customer
		r.json(t, &got)
		if newTag == "" || newTag == etag {
			t.Fatalf("ETag after PATCH %q, before %q", newTag, etag)
		}
		if got.Profile.GivenName != "華子" || got.Profile.FamilyName != "山田" {
			t.Errorf("patched profile %+v", got.Profile)
		}
		if got.Version <= c.Version {
			t.Errorf("version %d after PATCH, was %d", got.Version, c.Version)
		}
		if g := h.must(t, http.StatusOK, "GET", path, admin, nil); g.Header.Get("ETag") != newTag {
			t.Errorf("GET ETag %q after PATCH answered %q", g.Header.Get("ETag"), newTag)
		}
		if stored, err := db.GetCustomer(context.Background(), c.ID); err != nil || stored.Profile.GivenName != "華子" {
			t.Fatalf("stored %+v, %v", stored, err)
		}

		// Stale ETag: refused, nothing changes.
		p := wantProblem(t, h.do(t, "PATCH", path, admin, `{"given_name":"花"}`, "If-Match", etag), http.StatusPreconditionFailed)
		if !strings.Contains(p.Detail, newTag) {
			t.Errorf("412 detail %q does not name the current ETag %s", p.Detail, newTag)
		}
		if stored, _ := db.GetCustomer(context.Background(), c.ID); stored.Profile.GivenName != "華子" || stored.Version != got.Version {
			t.Errorf("a stale PATCH changed the customer: %+v", stored)
		}

		// A weak form of the current tag and "*" are accepted; null removes a staff value.
		r = h.must(t, http.StatusOK, "PATCH", path, admin, `{"birth_date":"1990-04-01"}`, "If-Match", "W/"+newTag)
		r.json(t, &got)
		if got.Profile.BirthDate != "1990-04-01" {
			t.Errorf("birth date %q", got.Profile.BirthDate)
		}
		r = h.must(t, http.StatusOK, "PATCH", path, admin, `{"birth_date":null}`, "If-Match", "*")
		var cleared customer.Customer // decoded afresh: an absent member must not keep an old value
		r.json(t, &cleared)
		if cleared.Profile.BirthDate != "" || cleared.Profile.GivenName != "華子" {
			t.Errorf("after null: %+v", cleared.Profile)
		}

		// Invalid values name the field; a non-object body is refused.
		p = wantProblem(t, h.do(t, "PATCH", path, admin, `{"emails":["nope"]}`), http.StatusBadRequest)
		if !strings.Contains(p.Detail, "emails[0]") {
			t.Errorf("detail %q does not name emails[0]", p.Detail)
		}
		wantProblem(t, h.do(t, "PATCH", path, admin, `[1]`), http.StatusBadRequest)
		wantProblem(t, h.do(t, "PATCH", "/api/v1/customers/cus_missing", admin, `{"given_name":"x"}`), http.StatusNotFound)
	})
}

func TestMergeUnmergeRoundTrip(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, admin := h.adminKey(t)
		ctx := context.Background()
		a := h.createCustomer(t, admin, map[string]any{"family_name": "山田", "emails": []string{"a@example.jp"}})
		r := h.must(t, http.StatusCreated, "POST", "/api/v1/source-profiles", admin,
			`{"channel":"ec","external_id":"m-1","profile":{"family_name":"ヤマダ","emails":["b@example.jp"]}}`)
		var up struct {
			CustomerID string `json:"customer_id"`
		}
		r.json(t, &up)
		b := up.CustomerID
		if b == a.ID {
			t.Fatal("distinct data joined one customer")
		}
		bBefore, err := db.GetCustomer(ctx, b)
		if err != nil {
			t.Fatal(err)
		}

		// Merge b into a.
		r = h.must(t, http.StatusOK, "POST", "/api/v1/customers/"+a.ID+"/merge", admin, map[string]string{"merged_id": b, "reason": "same person"})
		var m struct {
			Merge    customer.Merge    `json:"merge"`
			Customer customer.Customer `json:"customer"`
		}
		r.json(t, &m)
		if m.Merge.SurvivorID != a.ID || m.Merge.MergedID != b || m.Customer.ID != a.ID {
			t.Fatalf("merge answer %s", r.Body)
		}
		if !slices.Contains(m.Customer.Channels, "ec") || !slices.Contains(m.Customer.Profile.Emails, "b@example.jp") {
			t.Errorf("survivor lacks the merged data: %+v", m.Customer)
		}

		// The merged ID answers with the survivor.
		r = h.must(t, http.StatusOK, "GET", "/api/v1/customers/"+b, admin, nil)
		var got customer.Customer
		r.json(t, &got)
		if got.ID != a.ID || got.Status != customer.StatusActive {
			t.Errorf("GET merged ID answered %s (%s), want survivor %s", got.ID, got.Status, a.ID)
		}
		if ids := holders(t, db, customer.ExternalKey("ec", "m-1")); !slices.Equal(ids, []string{a.ID}) {
			t.Errorf("record now held by %v", ids)
		}
		stored, _ := db.GetCustomer(ctx, b)
		if stored.Status != customer.StatusMerged || stored.MergedInto != a.ID {
			t.Errorf("merged customer stored as %s into %q", stored.Status, stored.MergedInto)
		}
		// A merged customer cannot be merged again, edited or erased.
		wantProblem(t, h.do(t, "POST", "/api/v1/customers/"+a.ID+"/merge", admin, map[string]string{"merged_id": b}), http.StatusConflict)
		wantProblem(t, h.do(t, "PATCH", "/api/v1/customers/"+b, admin, `{"given_name":"x"}`), http.StatusConflict)
		wantProblem(t, h.do(t, "POST", "/api/v1/customers/"+b+"/erasure", admin, `{"reason":"x"}`), http.StatusConflict)

		r = h.must(t, http.StatusOK, "GET", "/api/v1/customers/"+a.ID+"/merges", admin, nil)
		var merges []customer.Merge
		r.json(t, &merges)
		if len(merges) != 1 || merges[0].ID != m.Merge.ID || merges[0].UndoneAt != nil {
			t.Fatalf("merge history %s", r.Body)
		}

		// Unmerge restores b as it was.
		r = h.must(t, http.StatusOK, "POST", "/api/v1/merges/"+m.Merge.ID+"/unmerge", admin, nil)
		var u struct {
			Merge    customer.Merge    `json:"merge"`
			Customer customer.Customer `json:"customer"`
		}
		r.json(t, &u)
		if u.Merge.UndoneAt == nil || u.Customer.ID != b || u.Customer.Status != customer.StatusActive {
			t.Fatalf("unmerge answer %s", r.Body)
		}
		r = h.must(t, http.StatusOK, "GET", "/api/v1/customers/"+b, admin, nil)
		got = customer.Customer{}
		r.json(t, &got)
		if got.ID != b || got.Status != customer.StatusActive || !slices.Equal(got.Profile.Emails, bBefore.Profile.Emails) ||
			got.Profile.FamilyName != bBefore.Profile.FamilyName || !slices.Equal(got.Channels, bBefore.Channels) {
			t.Errorf("after unmerge b is %+v, was %+v", got, bBefore)
		}
		r = h.must(t, http.StatusOK, "GET", "/api/v1/customers/"+a.ID, admin, nil)
		got = customer.Customer{}
		r.json(t, &got)
		if slices.Contains(got.Channels, "ec") || slices.Contains(got.Profile.Emails, "b@example.jp") {
			t.Errorf("survivor still holds b's data: %+v", got)
		}
		if ids := holders(t, db, customer.ExternalKey("ec", "m-1")); !slices.Equal(ids, []string{b}) {
			t.Errorf("record held by %v after unmerge, want %s", ids, b)
		}
		// Once undone, it cannot be undone again.
		wantProblem(t, h.do(t, "POST", "/api/v1/merges/"+m.Merge.ID+"/unmerge", admin, nil), http.StatusConflict)
		// Merging needs the merge permission.
		_, writer := h.apiKey(t, "writer", []string{"read", "write"})
		wantProblem(t, h.do(t, "POST", "/api/v1/customers/"+a.ID+"/merge", writer, map[string]string{"merged_id": b}), http.StatusForbidden)
	})
}
