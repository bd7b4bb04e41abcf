package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestErrorsAreProblems(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, admin := h.adminKey(t)

		t.Run("malformed JSON names the byte offset", func(t *testing.T) {
			body := `{"family_name": "山田", "given_name": }`
			p := wantProblem(t, h.do(t, "POST", "/api/v1/customers", admin, body), http.StatusBadRequest)
			m := regexp.MustCompile(`byte offset (\d+)`).FindStringSubmatch(p.Detail)
			if m == nil {
				t.Fatalf("detail does not name the byte offset: %q", p.Detail)
			}
			// encoding/json reports the offset just past the bad byte.
			if want := fmt.Sprint(strings.Index(body, "}") + 1); m[1] != want {
				t.Errorf("offset %s, want %s (detail %q)", m[1], want, p.Detail)
			}
			// The same for a single source record and for a batch.
			p = wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles", admin, `{"channel":"ec",,}`), http.StatusBadRequest)
			if !strings.Contains(p.Detail, "byte offset") {
				t.Errorf("source profile: detail %q does not name the byte offset", p.Detail)
			}
			p = wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles/batch", admin, `[{"channel":"ec"},`), http.StatusBadRequest)
			if !strings.Contains(p.Detail, "byte offset") {
				t.Errorf("batch: detail %q does not name the byte offset", p.Detail)
			}
		})

		t.Run("every bad field is named", func(t *testing.T) {
			p := wantProblem(t, h.do(t, "POST", "/api/v1/customers", admin, `{"family_name":"山田","emails":["a@"],"birth_date":"1980-02-30"}`), http.StatusBadRequest)
			var locs []string
			for _, e := range p.Errors {
				locs = append(locs, e.Location)
			}
			if len(locs) != 2 || !strings.HasSuffix(locs[0], "emails[0]") || !strings.HasSuffix(locs[1], "birth_date") {
				t.Errorf("errors %+v: want the email and the birth date", p.Errors)
			}
			if !strings.Contains(p.Detail, "and 1 more") {
				t.Errorf("detail %q does not say there is more", p.Detail)
			}
		})

		t.Run("unknown field is named", func(t *testing.T) {
			p := wantProblem(t, h.do(t, "POST", "/api/v1/customers", admin, `{"family_name":"山田","nickname":"hana"}`), http.StatusBadRequest)
			if !strings.Contains(p.Detail, "nickname") {
				t.Errorf("detail %q does not name the field", p.Detail)
			}
			if len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Location, "nickname") {
				t.Errorf("errors %+v do not locate the field", p.Errors)
			}
			p = wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles", admin,
				`{"channel":"ec","external_id":"u1","profile":{},"loyalty":1}`), http.StatusBadRequest)
			if !strings.Contains(p.Detail, "loyalty") {
				t.Errorf("source profile: detail %q does not name the field", p.Detail)
			}
			// Inside the profile, which the service parses itself.
			p = wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles", admin,
				`{"channel":"ec","external_id":"u1","profile":{"nick":"x"}}`), http.StatusBadRequest)
			if !strings.Contains(p.Detail, "profile.nick") {
				t.Errorf("profile field: detail %q does not name profile.nick", p.Detail)
			}
			if len(holders(t, db, customer.ExternalKey("ec", "u1"))) != 0 {
				t.Error("a rejected record was stored")
			}
		})

		t.Run("body over 1 MiB", func(t *testing.T) {
			big := `{"family_name":"` + strings.Repeat("あ", (1<<20)/3+10) + `"}`
			wantProblem(t, h.do(t, "POST", "/api/v1/customers", admin, big), http.StatusRequestEntityTooLarge)
			// With an Idempotency-Key the middleware reads the body first.
			wantProblem(t, h.do(t, "POST", "/api/v1/customers", admin, big, "Idempotency-Key", "big-1"), http.StatusRequestEntityTooLarge)
			c := h.createCustomer(t, admin, map[string]any{"family_name": "山田"})
			wantProblem(t, h.do(t, "PATCH", "/api/v1/customers/"+c.ID, admin, big), http.StatusRequestEntityTooLarge)
			wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles", admin,
				`{"channel":"ec","external_id":"big","profile":{"family_name":"`+strings.Repeat("x", 1<<20)+`"}}`), http.StatusRequestEntityTooLarge)
			// The batch endpoint takes more than 1 MiB.
			var sb strings.Builder
			sb.WriteString("[")
			for i := range 3000 {
				if i > 0 {
					sb.WriteString(",")
				}
				fmt.Fprintf(&sb, `{"channel":"nowhere","external_id":"b%d","profile":{"family_name":"%s"}}`, i, strings.Repeat("x", 400))
			}
			sb.WriteString("]")
			if sb.Len() <= 1<<20 {
				t.Fatalf("test batch is only %d bytes", sb.Len())
			}
			r := h.must(t, http.StatusOK, "POST", "/api/v1/source-profiles/batch", admin, sb.String())
			if !strings.Contains(string(r.Body), `"rejected":3000`) {
				t.Errorf("large batch: %.300s", r.Body)
			}
		})

		t.Run("batch over 10000 items", func(t *testing.T) {
			items := strings.TrimSuffix(strings.Repeat(`{"channel":"ec","external_id":"x","profile":{}},`, 10001), ",")
			p := wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles/batch", admin, "["+items+"]"), http.StatusRequestEntityTooLarge)
			if !strings.Contains(p.Detail, "10000") {
				t.Errorf("detail %q does not state the limit", p.Detail)
			}
			nd := strings.ReplaceAll(items, "},{", "}\n{")
			wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles/batch", admin, nd, "Content-Type", "application/x-ndjson"), http.StatusRequestEntityTooLarge)
			if len(holders(t, db, customer.ExternalKey("ec", "x"))) != 0 {
				t.Error("an oversized batch was partly stored")
			}
		})

		t.Run("no key", func(t *testing.T) {
			r := h.do(t, "GET", "/api/v1/customers", "", nil)
			wantProblem(t, r, http.StatusUnauthorized)
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.Header.Get("WWW-Authenticate"))
			}
			r = h.do(t, "GET", "/api/v1/customers", "", nil, "Authorization", "Basic dXNlcjpwYXNz")
			wantProblem(t, r, http.StatusUnauthorized)
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate for a non-bearer Authorization")
			}
			for _, bad := range []string{"kz_nope_nope", "not-a-key", strings.Replace(admin, "_", "_x", 2)} {
				r = h.do(t, "GET", "/api/v1/customers", bad, nil)
				wantProblem(t, r, http.StatusUnauthorized)
				if !strings.Contains(r.Header.Get("WWW-Authenticate"), "invalid_token") {
					t.Errorf("%s: WWW-Authenticate = %q", bad, r.Header.Get("WWW-Authenticate"))
				}
			}
			// The description and health endpoints are public.
			h.must(t, http.StatusOK, "GET", "/api/openapi.json", "", nil)
			h.must(t, http.StatusOK, "GET", "/healthz", "", nil)
		})

		t.Run("revoked key", func(t *testing.T) {
			k, secret := h.apiKey(t, "to-revoke", []string{"read", "write"})
			h.must(t, http.StatusOK, "GET", "/api/v1/channels", secret, nil)
			if err := db.RevokeAPIKey(context.Background(), k.ID, time.Now()); err != nil {
				t.Fatal(err)
			}
			// A verified key is cached for httpapi.KeyCacheTTL: revocation
			// must take effect within it, not necessarily at once.
			revoked := time.Now()
			for h.do(t, "GET", "/api/v1/channels", secret, nil).Code == http.StatusOK {
				if time.Since(revoked) > httpapi.KeyCacheTTL+500*time.Millisecond {
					t.Fatalf("revoked key still accepted after %s", time.Since(revoked))
				}
				time.Sleep(20 * time.Millisecond)
			}
			p := wantProblem(t, h.do(t, "GET", "/api/v1/channels", secret, nil), http.StatusUnauthorized)
			if !strings.Contains(p.Detail, "revoked") {
				t.Errorf("detail %q does not say revoked", p.Detail)
			}
			// X-API-Key is checked the same way.
			wantProblem(t, h.do(t, "GET", "/api/v1/channels", "", nil, "X-API-Key", secret), http.StatusUnauthorized)
		})

		t.Run("read-only key cannot write", func(t *testing.T) {
			_, reader := h.apiKey(t, "reader", []string{auth.ScopeRead})
			h.must(t, http.StatusOK, "GET", "/api/v1/customers", reader, nil)
			before := len(allCustomers(t, db))
			c := h.createCustomer(t, admin, map[string]any{"family_name": "読取"})
			for _, w := range []struct{ method, path, body string }{
				{"POST", "/api/v1/customers", `{"family_name":"山田"}`},
				{"POST", "/api/v1/source-profiles", `{"channel":"ec","external_id":"ro","profile":{"family_name":"山田"}}`},
				{"POST", "/api/v1/source-profiles/batch", `[{"channel":"ec","external_id":"ro","profile":{"family_name":"山田"}}]`},
				{"PATCH", "/api/v1/customers/" + c.ID, `{"family_name":"山田"}`},
				{"POST", "/api/v1/customers/" + c.ID + "/erasure", `{"reason":"x"}`},
				{"PUT", "/api/v1/channels/ec", `{"name":"EC","kind":"ec","priority":1}`},
			} {
				p := wantProblem(t, h.do(t, w.method, w.path, reader, w.body), http.StatusForbidden)
				if !strings.Contains(p.Detail, "permission") {
					t.Errorf("%s %s: detail %q", w.method, w.path, p.Detail)
				}
			}
			if n := len(allCustomers(t, db)); n != before+1 {
				t.Errorf("%d customers after forbidden writes, want %d", n, before+1)
			}
			// A write-only key cannot read.
			_, writer := h.apiKey(t, "writer", []string{auth.ScopeWrite})
			wantProblem(t, h.do(t, "GET", "/api/v1/customers/"+c.ID, writer, nil), http.StatusForbidden)
			wantProblem(t, h.do(t, "GET", "/api/v1/audit", writer, nil), http.StatusForbidden)
		})

		t.Run("key limited to a channel", func(t *testing.T) {
			_, store := h.apiKey(t, "pos", []string{auth.ScopeWrite}, "store")
			p := wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles", store,
				`{"channel":"ec","external_id":"scoped-1","profile":{"family_name":"山田"}}`), http.StatusForbidden)
			if !strings.Contains(p.Detail, "ec") {
				t.Errorf("detail %q does not name the channel", p.Detail)
			}
			if len(holders(t, db, customer.ExternalKey("ec", "scoped-1"))) != 0 {
				t.Error("the forbidden record was stored")
			}
			h.must(t, http.StatusCreated, "POST", "/api/v1/source-profiles", store,
				`{"channel":"store","external_id":"scoped-1","profile":{"family_name":"山田"}}`)

			r := h.must(t, http.StatusOK, "POST", "/api/v1/source-profiles/batch", store,
				`[{"channel":"store","external_id":"scoped-2","profile":{"family_name":"田中"}},`+
					`{"channel":"ec","external_id":"scoped-3","profile":{"family_name":"佐藤"}}]`)
			var out batchResponse
			r.json(t, &out)
			if len(out.Results) != 2 || out.Results[0].Status != "created" || out.Results[1].Status != "rejected" {
				t.Fatalf("batch results: %s", r.Body)
			}
			e := out.Results[1].Error
			if out.Results[1].Index != 1 || e == nil || e.Field != "channel" || !strings.Contains(e.Reason, "ec") {
				t.Errorf("rejection: %+v", out.Results[1])
			}
			if out.Summary.Created != 1 || out.Summary.Rejected != 1 {
				t.Errorf("summary %+v", out.Summary)
			}
			if len(holders(t, db, customer.ExternalKey("ec", "scoped-3"))) != 0 || len(holders(t, db, customer.ExternalKey("store", "scoped-2"))) != 1 {
				t.Error("the batch stored the wrong records")
			}
		})

		t.Run("not found and conflict", func(t *testing.T) {
			wantProblem(t, h.do(t, "GET", "/api/v1/customers/cus_missing", admin, nil), http.StatusNotFound)
			wantProblem(t, h.do(t, "GET", "/api/v1/source-profiles/src_missing/versions", admin, nil), http.StatusNotFound)
			wantProblem(t, h.do(t, "POST", "/api/v1/merges/mrg_missing/unmerge", admin, nil), http.StatusNotFound)
			c := h.createCustomer(t, admin, map[string]any{"family_name": "自己"})
			wantProblem(t, h.do(t, "POST", "/api/v1/customers/"+c.ID+"/merge", admin, map[string]string{"merged_id": c.ID}), http.StatusBadRequest)
		})
	})
}

type batchResponse struct {
	Summary struct {
		Received, Created, Joined, Updated, Unchanged, Rejected int
	} `json:"summary"`
	Results []struct {
		Index      int    `json:"index"`
		Status     string `json:"status"`
		CustomerID string `json:"customer_id"`
		Error      *struct {
			Field  string `json:"field"`
			Reason string `json:"reason"`
		} `json:"error"`
	} `json:"results"`
}
