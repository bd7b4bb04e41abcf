package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// Export streams a file for Excel, masks personal data for a key that may
// not read it, refuses keys without the permission, and audits each
// export with the hash of exactly the bytes sent.
func TestExportCustomers(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, admin := h.adminKey(t)
		_, reader := h.apiKey(t, "reader", []string{auth.ScopeRead})
		_, exportOnly := h.apiKey(t, "exporter", []string{auth.ScopeAdmin})
		h.createCustomer(t, admin, map[string]any{"family_name": "髙橋", "given_name": "美咲", "emails": []string{"misaki@example.jp"}, "phones": []string{"090-1234-5678"}})
		h.createCustomer(t, admin, map[string]any{"family_name": "=cmd|'/c calc'!A1", "emails": []string{"x@example.jp"}})

		r := h.must(t, 200, "GET", "/api/v1/customers/export?columns=customer_id,family_name,email,phone", admin, nil)
		if !bytes.HasPrefix(r.Body, []byte("\ufeff顧客ID,姓,メールアドレス,電話番号\r\n")) || !strings.Contains(r.Header.Get("Content-Disposition"), ".csv") {
			t.Fatalf("export: %s %q", r.Header, r.Body)
		}
		body := string(r.Body)
		if !strings.Contains(body, "髙橋,misaki@example.jp,090-1234-5678") || !strings.Contains(body, `'=cmd|'/c calc'!A1`) {
			t.Errorf("export content:\n%s", body)
		}
		sum := sha256.Sum256(r.Body)
		entries, err := db.AuditEntries(context.Background(), audit.Filter{Action: "customer.export"})
		if err != nil || len(entries) != 1 {
			t.Fatalf("audit: %+v %v", entries, err)
		}
		if d := string(entries[0].Detail); !strings.Contains(d, hex.EncodeToString(sum[:])) || !strings.Contains(d, `"rows":2`) || !strings.Contains(d, `"complete":true`) {
			t.Errorf("audit detail %s; file hash %x", d, sum)
		}

		// A key that may export but not read personal data gets it masked.
		r = h.must(t, 200, "GET", "/api/v1/customers/export?format=csv-sjis&columns=family_name,email", exportOnly, nil)
		if bytes.Contains(r.Body, []byte("misaki@example.jp")) || !strings.Contains(r.Header.Get("Content-Type"), "Shift_JIS") {
			t.Errorf("masked export: %s %q", r.Header, r.Body)
		}
		r = h.must(t, 200, "GET", "/api/v1/customers/export?format=xlsx", admin, nil)
		if !bytes.HasPrefix(r.Body, []byte("PK")) {
			t.Errorf("xlsx is not a zip: %q", r.Body[:min(10, len(r.Body))])
		}
		wantProblem(t, h.do(t, "GET", "/api/v1/customers/export", reader, nil), 403)
		if p := wantProblem(t, h.do(t, "GET", "/api/v1/customers/export?columns=shoe_size", admin, nil), 400); len(p.Errors) != 1 || p.Errors[0].Location != "query.columns" {
			t.Errorf("unknown column: %+v", p)
		}
		wantProblem(t, h.do(t, "GET", "/api/v1/customers/export?format=pdf", admin, nil), 422) // the enum, checked by huma
	})
}
