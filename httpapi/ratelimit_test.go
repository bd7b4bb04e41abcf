package httpapi_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestRateLimitPerKey(t *testing.T) {
	db := sqltest.Open(t, sqlstore.SQLite)
	h := newHarness(t, db, func(d *httpapi.Deps) { d.RatePerKey = 1 }) // bursts of 2
	_, busy := h.apiKey(t, "busy", []string{"read"})
	_, calm := h.apiKey(t, "calm", []string{"read"})

	codes := map[int]int{}
	var limited resp
	for range 10 {
		r := h.do(t, "GET", "/api/v1/channels", busy, nil)
		codes[r.Code]++
		if r.Code == http.StatusTooManyRequests {
			limited = r
		}
	}
	if codes[http.StatusOK] < 1 || codes[http.StatusOK] > 3 || codes[http.StatusTooManyRequests] < 7 {
		t.Fatalf("a burst of 10 at 1/s answered %v, want 2 (or 3) OK and the rest 429", codes)
	}
	wantProblem(t, limited, http.StatusTooManyRequests)
	if s, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q", limited.Header.Get("Retry-After"))
	}
	// Each key has its own budget; public endpoints have none.
	h.must(t, http.StatusOK, "GET", "/api/v1/channels", calm, nil)
	for range 5 {
		h.must(t, http.StatusOK, "GET", "/healthz", "", nil)
	}
}
