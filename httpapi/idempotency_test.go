package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestIdempotencyKey(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, admin := h.adminKey(t)
		ctx := context.Background()

		t.Run("same key and body replays the first answer", func(t *testing.T) {
			before := len(allCustomers(t, db))
			body := `{"family_name":"山田","given_name":"太郎"}`
			first := h.must(t, http.StatusCreated, "POST", "/api/v1/customers", admin, body, "Idempotency-Key", "create-1")
			second := h.do(t, "POST", "/api/v1/customers", admin, body, "Idempotency-Key", "create-1")
			if second.Code != first.Code || !bytes.Equal(second.Body, first.Body) {
				t.Fatalf("replay differs:\n first  %d %s\n second %d %s", first.Code, first.Body, second.Code, second.Body)
			}
			if second.Header.Get("Idempotent-Replayed") != "true" {
				t.Error("the replay is not marked Idempotent-Replayed")
			}
			if first.Header.Get("Idempotent-Replayed") != "" {
				t.Error("the first answer is marked as a replay")
			}
			if ct := second.Header.Get("Content-Type"); ct != first.Header.Get("Content-Type") {
				t.Errorf("replay Content-Type %q, first %q", ct, first.Header.Get("Content-Type"))
			}
			if n := len(allCustomers(t, db)); n != before+1 {
				t.Errorf("%d customers created, want 1", n-before)
			}
		})

		t.Run("source profile is stored once", func(t *testing.T) {
			body := `{"channel":"ec","external_id":"idem-1","profile":{"family_name":"佐藤","emails":["sato.idem@example.jp"]}}`
			first := h.must(t, http.StatusCreated, "POST", "/api/v1/source-profiles", admin, body, "Idempotency-Key", "src-1")
			second := h.do(t, "POST", "/api/v1/source-profiles", admin, body, "Idempotency-Key", "src-1")
			if second.Code != first.Code || !bytes.Equal(second.Body, first.Body) {
				t.Fatalf("replay differs:\n first  %d %s\n second %d %s", first.Code, first.Body, second.Code, second.Body)
			}
			ids := holders(t, db, customer.ExternalKey("ec", "idem-1"))
			if len(ids) != 1 {
				t.Fatalf("record held by %v, want one customer", ids)
			}
			srcs, err := db.SourcesOfCustomer(ctx, ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(srcs) != 1 || srcs[0].Version != 1 {
				t.Fatalf("sources %+v, want one at version 1", srcs)
			}
			vs, err := db.SourceVersions(ctx, srcs[0].ID)
			if err != nil || len(vs) != 1 {
				t.Fatalf("versions %v (%v), want 1", len(vs), err)
			}
			// Without a key, the same request is a new request (here: unchanged).
			r := h.must(t, http.StatusOK, "POST", "/api/v1/source-profiles", admin, body)
			if !strings.Contains(string(r.Body), `"status":"unchanged"`) {
				t.Errorf("resend without key: %s", r.Body)
			}
		})

		t.Run("same key with another body is refused", func(t *testing.T) {
			before := len(allCustomers(t, db))
			h.must(t, http.StatusCreated, "POST", "/api/v1/customers", admin, `{"family_name":"田中"}`, "Idempotency-Key", "create-2")
			p := wantProblem(t, h.do(t, "POST", "/api/v1/customers", admin, `{"family_name":"中田"}`, "Idempotency-Key", "create-2"), http.StatusUnprocessableEntity)
			if !strings.Contains(p.Detail, "Idempotency-Key") {
				t.Errorf("detail %q", p.Detail)
			}
			// Another path or If-Match is another request too.
			wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles", admin, `{"family_name":"田中"}`, "Idempotency-Key", "create-2"), http.StatusUnprocessableEntity)
			if n := len(allCustomers(t, db)); n != before+1 {
				t.Errorf("%d customers created, want 1", n-before)
			}
		})

		t.Run("different keys are independent", func(t *testing.T) {
			before := len(allCustomers(t, db))
			body := `{"family_name":"鈴木"}` // no identifiers: each create is a new person
			a := h.must(t, http.StatusCreated, "POST", "/api/v1/customers", admin, body, "Idempotency-Key", "create-3a")
			b := h.must(t, http.StatusCreated, "POST", "/api/v1/customers", admin, body, "Idempotency-Key", "create-3b")
			if bytes.Equal(a.Body, b.Body) || b.Header.Get("Idempotent-Replayed") != "" {
				t.Error("a second key replayed the first key's answer")
			}
			// The same key string from another API key is another key.
			_, other := h.apiKey(t, "other-integration", []string{"read", "write"})
			c := h.must(t, http.StatusCreated, "POST", "/api/v1/customers", other, body, "Idempotency-Key", "create-3a")
			if bytes.Equal(a.Body, c.Body) || c.Header.Get("Idempotent-Replayed") != "" {
				t.Error("another API key got this key's answer")
			}
			if n := len(allCustomers(t, db)); n != before+3 {
				t.Errorf("%d customers created, want 3", n-before)
			}
		})

		t.Run("client errors replay too", func(t *testing.T) {
			r1 := h.do(t, "POST", "/api/v1/source-profiles", admin, `{"channel":"nowhere","external_id":"x","profile":{}}`, "Idempotency-Key", "bad-1")
			wantProblem(t, r1, http.StatusBadRequest)
			r2 := h.do(t, "POST", "/api/v1/source-profiles", admin, `{"channel":"nowhere","external_id":"x","profile":{}}`, "Idempotency-Key", "bad-1")
			if r2.Code != r1.Code || !bytes.Equal(r1.Body, r2.Body) || r2.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("a 400 was not replayed: %d %s", r2.Code, r2.Body)
			}
		})

		t.Run("PATCH replays", func(t *testing.T) {
			c := h.createCustomer(t, admin, map[string]any{"family_name": "高橋"})
			first := h.must(t, http.StatusOK, "PATCH", "/api/v1/customers/"+c.ID, admin, `{"given_name":"健"}`, "Idempotency-Key", "patch-1")
			second := h.must(t, http.StatusOK, "PATCH", "/api/v1/customers/"+c.ID, admin, `{"given_name":"健"}`, "Idempotency-Key", "patch-1")
			if !bytes.Equal(first.Body, second.Body) {
				t.Errorf("PATCH replay differs")
			}
			got, err := db.GetCustomer(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var f customer.Customer
			first.json(t, &f)
			if got.Version != f.Version {
				t.Errorf("version %d after a replayed PATCH, want %d (applied once)", got.Version, f.Version)
			}
		})

		t.Run("key too long", func(t *testing.T) {
			p := wantProblem(t, h.do(t, "POST", "/api/v1/customers", admin, `{}`, "Idempotency-Key", strings.Repeat("k", 256)), http.StatusBadRequest)
			if !strings.Contains(p.Detail, "Idempotency-Key") {
				t.Errorf("detail %q", p.Detail)
			}
		})
	})
}
