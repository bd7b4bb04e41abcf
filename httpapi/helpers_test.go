package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// testIP is the client address httptest.NewRequest gives every request.
const testIP = "192.0.2.1"

// harness is a server wired like cli/serve.go, over one test database.
type harness struct {
	db  *sqlstore.DB
	srv *httpapi.Server
}

func newHarness(t *testing.T, db *sqlstore.DB, opts ...func(*httpapi.Deps)) *harness {
	t.Helper()
	d := httpapi.Deps{
		Customers: db, Identity: identity.New(db, db), Auth: db, Audit: db, Idempotency: db.Idempotency(), Catalog: commerce.NewCatalog(db), Inventory: commerce.NewInventory(db),
		Ready:   func(ctx context.Context) error { return db.Ping(ctx) },
		Version: "test",
	}
	for _, o := range opts {
		o(&d)
	}
	s := httpapi.New(d)
	t.Cleanup(s.Close) // runs before the database is closed (cleanups are LIFO)
	return &harness{db: db, srv: s}
}

// apiKey creates a key and returns it with its secret.
func (h *harness) apiKey(t *testing.T, name string, scopes []string, channels ...string) (*auth.APIKey, string) {
	t.Helper()
	k, secret, err := auth.NewAPIKey(name, scopes, channels, "test")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.db.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return k, secret
}

// adminKey has every scope.
func (h *harness) adminKey(t *testing.T) (*auth.APIKey, string) {
	t.Helper()
	return h.apiKey(t, "integration-admin", []string{auth.ScopeRead, auth.ScopeWrite, auth.ScopeAdmin})
}

type resp struct {
	Code   int
	Header http.Header
	Body   []byte
}

func (r resp) String() string { return http.StatusText(r.Code) + " " + string(r.Body) }

// json decodes the body into v, failing the test if it cannot.
func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d response %.600q: %v", r.Code, r.Body, err)
	}
}

// do sends one request. body is nil, a string or []byte (sent as is), or
// anything else (sent as JSON). hdr is name, value pairs; Content-Type
// defaults to application/json when there is a body.
func (h *harness) do(t *testing.T, method, path, secret string, body any, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.srv.ServeHTTP(rec, req)
	return resp{Code: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// must sends a request and fails unless the status is want.
func (h *harness) must(t *testing.T, want int, method, path, secret string, body any, hdr ...string) resp {
	t.Helper()
	r := h.do(t, method, path, secret, body, hdr...)
	if r.Code != want {
		t.Fatalf("%s %s: status %d, want %d; body: %.600s", method, path, r.Code, want, r.Body)
	}
	return r
}

// problem is the RFC 9457 body as a client sees it.
type problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Instance string `json:"instance"`
	Current  string `json:"current_state"`
	Errors   []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

// wantProblem checks r is a problem document with status code and the
// members every Kizuna error carries, and returns it.
func wantProblem(t *testing.T, r resp, code int) problem {
	t.Helper()
	if r.Code != code {
		t.Fatalf("status %d, want %d; body: %.600s", r.Code, code, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	var raw map[string]any
	r.json(t, &raw)
	for _, m := range []string{"type", "title", "status", "detail"} {
		if v, ok := raw[m]; !ok || v == "" {
			t.Errorf("problem lacks %q: %.600s", m, r.Body)
		}
	}
	var p problem
	r.json(t, &p)
	if p.Status != code {
		t.Errorf("problem status member %d, want %d", p.Status, code)
	}
	if p.Title != http.StatusText(code) {
		t.Errorf("problem title %q, want %q", p.Title, http.StatusText(code))
	}
	return p
}

// createCustomer posts a profile and returns the new customer.
func (h *harness) createCustomer(t *testing.T, secret string, profile map[string]any) customer.Customer {
	t.Helper()
	r := h.must(t, http.StatusCreated, "POST", "/api/v1/customers", secret, profile)
	var out struct {
		Result   identity.Result   `json:"result"`
		Customer customer.Customer `json:"customer"`
	}
	r.json(t, &out)
	if out.Customer.ID == "" || out.Result.CustomerID != out.Customer.ID {
		t.Fatalf("create answered %s", r.Body)
	}
	return out.Customer
}

// auditSince returns the audit entries with a Seq above after, oldest first.
func auditSince(t *testing.T, db *sqlstore.DB, after int64) []audit.Entry {
	t.Helper()
	l, err := db.AuditEntries(context.Background(), audit.Filter{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Entry
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].Seq > after {
			out = append(out, l[i])
		}
	}
	return out
}

// auditHead is the newest entry's Seq (0 for an empty trail).
func auditHead(t *testing.T, db *sqlstore.DB) int64 {
	t.Helper()
	l, err := db.AuditEntries(context.Background(), audit.Filter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(l) == 0 {
		return 0
	}
	return l[0].Seq
}

// allCustomers lists every customer whatever its status.
func allCustomers(t *testing.T, db *sqlstore.DB) []customer.Customer {
	t.Helper()
	l, err := db.ListCustomers(context.Background(), customer.ListFilter{Status: "any", Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// holders returns the customers holding an identity key.
func holders(t *testing.T, db *sqlstore.DB, key string) []string {
	t.Helper()
	ids, err := db.CustomersByKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}
