package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// Configuration PUTs take their key from the path only, and dismissing a
// possible duplicate needs no body.
func TestConfigurationAndDismiss(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, admin := h.adminKey(t)
		h.must(t, 200, "PUT", "/api/v1/channels/popup", admin, map[string]any{"name": "ポップアップ", "kind": "store", "priority": 15})
		var chs []customer.Channel
		h.must(t, 200, "GET", "/api/v1/channels", admin, nil).json(t, &chs)
		found := false
		for _, c := range chs {
			found = found || (c.Code == "popup" && c.Name == "ポップアップ" && c.Priority == 15)
		}
		if !found {
			t.Fatalf("new channel not listed: %+v", chs)
		}
		wantProblem(t, h.do(t, "PUT", "/api/v1/channels/manual", admin, map[string]any{"name": "x", "kind": "store", "priority": 1}), 400)
		wantProblem(t, h.do(t, "PUT", "/api/v1/stores/X1", admin, map[string]any{"name": "x", "channel": "store", "latitude": 51.5, "longitude": -0.1}), 400)

		h.createCustomer(t, admin, map[string]any{"phones": []string{"03-3333-4444"}, "family_name": "青木"})
		h.createCustomer(t, admin, map[string]any{"phones": []string{"0333334444"}, "family_name": "青木"})
		var dups struct{ Items []customer.Duplicate }
		h.must(t, 200, "GET", "/api/v1/duplicates", admin, nil).json(t, &dups)
		if len(dups.Items) != 1 {
			t.Fatalf("want one phone-only possible duplicate, got %+v", dups.Items)
		}
		h.must(t, 200, "POST", "/api/v1/duplicates/"+dups.Items[0].ID+"/dismiss", admin, nil)
		wantProblem(t, h.do(t, "POST", "/api/v1/duplicates/"+dups.Items[0].ID+"/dismiss", admin, nil), 409)
		h.must(t, 200, "GET", "/api/v1/duplicates?status=dismissed", admin, nil).json(t, &dups)
		if len(dups.Items) != 1 || dups.Items[0].Status != customer.DuplicateDismissed {
			t.Fatalf("dismissed list: %+v", dups.Items)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	db := sqltest.Open(t, sqlstore.SQLite)
	h := newHarness(t, db)
	_, admin := h.adminKey(t)
	for _, path := range []string{"/", "/api/openapi.json", "/api/v1/channels", "/api/v1/nosuch"} {
		r := h.do(t, "GET", path, admin, nil)
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
			if got := r.Header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
		if !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", path, r.Header.Get("Content-Security-Policy"))
		}
		if strings.HasPrefix(path, "/api/v1/") && r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: personal data must not be cached (Cache-Control %q)", path, r.Header.Get("Cache-Control"))
		}
	}
}

// The review queue lists the most probable pairs first, pages in that
// order, merges one pair or every pair above a probability, and records
// who decided.
func TestReviewQueue(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, admin := h.adminKey(t)
		ctx := context.Background()
		var ids []string
		for i := range 6 {
			ids = append(ids, h.createCustomer(t, admin, map[string]any{"family_name": "青木", "given_name": fmt.Sprint("名", i), "emails": []string{fmt.Sprintf("a%d@example.jp", i)}}).ID)
		}
		queue := func(a, b string, p float64) {
			t.Helper()
			err := db.WithTx(ctx, func(tx customer.Tx) error {
				return tx.InsertDuplicate(ctx, &customer.Duplicate{ID: kizuna.NewID("dup"), CustomerID: b, OtherID: a, Reason: "test", Status: customer.DuplicateOpen,
					CreatedAt: time.Now().UTC(), Probability: p, Evidence: []customer.Evidence{{Field: "name", Level: "exact", Weight: 9.5}}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		queue(ids[0], ids[1], 0.7)
		queue(ids[2], ids[3], 0.93)
		queue(ids[4], ids[5], 0)
		var page struct {
			Items      []customer.Duplicate `json:"items"`
			NextCursor string               `json:"next_cursor"`
		}
		var order []float64
		cursor := ""
		for range 4 {
			page.Items, page.NextCursor = nil, "" // absent fields must not keep the last page's values
			h.must(t, 200, "GET", "/api/v1/duplicates?limit=1&cursor="+url.QueryEscape(cursor), admin, nil).json(t, &page)
			for _, d := range page.Items {
				order = append(order, d.Probability)
				if d.Probability > 0 && (len(d.Evidence) != 1 || d.Evidence[0].Field != "name") {
					t.Errorf("evidence lost: %+v", d)
				}
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(order, []float64{0.93, 0.7, 0}) {
			all, _ := db.Duplicates(ctx, customer.DuplicateOpen, 100, "")
			t.Fatalf("review order %v; open: %+v", order, all)
		}
		wantProblem(t, h.do(t, "GET", "/api/v1/duplicates?cursor=nonsense", admin, nil), 400)

		h.must(t, 200, "GET", "/api/v1/duplicates?limit=1", admin, nil).json(t, &page)
		var m customer.Merge
		h.must(t, 200, "POST", "/api/v1/duplicates/"+page.Items[0].ID+"/accept", admin, nil).json(t, &m)
		if m.SurvivorID != ids[2] || m.MergedID != ids[3] {
			t.Errorf("accept merged %s into %s; want the newer (%s) into the older (%s)", m.MergedID, m.SurvivorID, ids[3], ids[2])
		}
		wantProblem(t, h.do(t, "POST", "/api/v1/duplicates/"+page.Items[0].ID+"/accept", admin, nil), 409)
		wantProblem(t, h.do(t, "POST", "/api/v1/duplicates/accept", admin, map[string]any{"min_probability": 0.2}), 422)
		var bulk struct {
			Accepted int `json:"accepted"`
		}
		h.must(t, 200, "POST", "/api/v1/duplicates/accept", admin, map[string]any{"min_probability": 0.6}).json(t, &bulk)
		if bulk.Accepted != 1 {
			t.Errorf("bulk accept ≥0.6 accepted %d, want 1", bulk.Accepted)
		}
		page.Items = nil
		h.must(t, 200, "GET", "/api/v1/duplicates?status=merged", admin, nil).json(t, &page)
		if len(page.Items) != 2 || page.Items[0].DecidedBy == "" || page.Items[0].DecidedAt == nil {
			t.Errorf("merged pairs: %+v", page.Items)
		}
		page.Items = nil
		h.must(t, 200, "GET", "/api/v1/duplicates", admin, nil).json(t, &page)
		if len(page.Items) != 1 || page.Items[0].Probability != 0 {
			t.Errorf("left open: %+v", page.Items)
		}
		entries, err := db.AuditEntries(ctx, audit.Filter{Action: "duplicate.bulk_accept"})
		if err != nil || len(entries) != 1 {
			t.Errorf("bulk accept audit: %+v %v", entries, err)
		}
	})
}
