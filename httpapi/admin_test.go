package httpapi_test

import (
	"strings"
	"testing"

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
