package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestEventsAPI(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db, func(d *httpapi.Deps) { d.Events = event.NewService(db) })
		_, writer := h.apiKey(t, "ec-server", []string{auth.ScopeRead, auth.ScopeWrite})
		_, reader := h.apiKey(t, "bi", []string{auth.ScopeRead})
		_, page := h.apiKey(t, "web-tag", []string{auth.ScopeCollect})
		var src struct {
			CustomerID string `json:"customer_id"`
		}
		h.must(t, 201, "POST", "/api/v1/source-profiles", writer, map[string]any{"channel": "ec", "external_id": "E-1",
			"profile": map[string]any{"family_name": "佐藤", "emails": []string{"sato@example.jp"}}}).json(t, &src)

		// NDJSON: line 1 is not JSON, line 2 has an unknown field, line 3
		// lacks its SKU; the others are stored, a blank line keeps its number.
		body := strings.Join([]string{
			`{"id":"e1","type":"page_view","anonymous_id":"aid-1","at":"2026-11-20T10:00:00+09:00","properties":{"url":"https://shop.example.jp/"}}`,
			`{"id":"e2","type":"page_view",`,
			`{"id":"e3","type":"search","anonymous_id":"aid-1","colour":"red","properties":{"query":"緑茶"}}`,
			`{"id":"e4","type":"product_view","anonymous_id":"aid-1","properties":{}}`,
			``,
			`{"id":"e5","type":"product_view","anonymous_id":"aid-1","at":"2026-11-20T10:01:00+09:00","properties":{"sku":"TEA-100"}}`,
		}, "\n")
		var res event.IngestResult
		h.must(t, 200, "POST", "/api/v1/events", writer, body, "Content-Type", "application/x-ndjson").json(t, &res)
		if res.Received != 6 || res.Stored != 2 || len(res.Rejected) != 4 {
			t.Fatalf("%+v", res)
		}
		for i, want := range []struct {
			index int
			field string
		}{{1, ""}, {2, "colour"}, {3, "properties.sku"}, {4, ""}} {
			if r := res.Rejected[i]; r.Index != want.index || r.Field != want.field || r.Reason == "" {
				t.Errorf("rejection %d: %+v, want index %d field %q", i, r, want.index, want.field)
			}
		}
		// Sent again: nothing new.
		h.must(t, 200, "POST", "/api/v1/events", writer, body, "Content-Type", "application/x-ndjson").json(t, &res)
		if res.Stored != 0 || res.Duplicates != 2 {
			t.Fatalf("resent: %+v", res)
		}
		wantProblem(t, h.do(t, "POST", "/api/v1/events", reader, body, "Content-Type", "application/x-ndjson"), 403)

		// The tracking script: its key in the query, text/plain, cross-origin.
		beacon := `{"id":"b1","type":"add_to_cart","anonymous_id":"aid-1","properties":{"sku":"TEA-100","quantity":2},"future_field":1}` + "\n" +
			`{"id":"b2","type":"identify","anonymous_id":"aid-1","customer_id":"` + src.CustomerID + `"}`
		r := h.must(t, 200, "POST", "/api/v1/events/collect?key="+page, "", beacon, "Content-Type", "text/plain;charset=UTF-8", "Origin", "https://shop.example.jp")
		r.json(t, &res)
		if res.Stored != 1 || len(res.Rejected) != 1 || res.Rejected[0].Index != 1 || r.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("collect: %+v %v", res, r.Header)
		}
		// Only a collect key may travel in a URL, and it opens nothing else.
		wantProblem(t, h.do(t, "POST", "/api/v1/events/collect?key="+writer, "", beacon, "Content-Type", "text/plain"), 403)
		wantProblem(t, h.do(t, "GET", "/api/v1/events", page, nil), 403)
		wantProblem(t, h.do(t, "GET", "/api/v1/events?key="+page, "", nil), 401)
		if pre := h.do(t, "OPTIONS", "/api/v1/events/collect", "", nil, "Origin", "https://shop.example.jp"); pre.Code != 204 || pre.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("preflight: %d %v", pre.Code, pre.Header)
		}

		// The shop's server signs the visitor in by email.
		h.must(t, 200, "POST", "/api/v1/events", writer, []map[string]any{{"id": "login", "type": "identify", "anonymous_id": "aid-1", "channel": "ec",
			"identity": map[string]any{"email": "SATO@example.jp"}}}).json(t, &res)
		if res.Stored != 1 || res.Stitched != 3 {
			t.Fatalf("identify: %+v", res)
		}
		var pg httpapi.EventPage
		h.must(t, 200, "GET", "/api/v1/events?customer_id="+src.CustomerID+"&limit=2", reader, nil).json(t, &pg)
		if len(pg.Items) != 2 || pg.NextCursor == "" || pg.Items[0].ID != "login" {
			t.Fatalf("page 1: %+v", pg)
		}
		var rest httpapi.EventPage
		h.must(t, 200, "GET", "/api/v1/events?customer_id="+src.CustomerID+"&cursor="+pg.NextCursor, reader, nil).json(t, &rest)
		if len(rest.Items) != 2 || rest.NextCursor != "" || rest.Items[1].ID != "e1" || rest.Items[1].Properties["url"] != "https://shop.example.jp/" {
			t.Fatalf("page 2: %+v", rest)
		}
		h.must(t, 200, "GET", "/api/v1/events?customer_id="+src.CustomerID+"&type=product_view,page_view", reader, nil).json(t, &pg)
		if len(pg.Items) != 2 {
			t.Fatalf("by type: %+v", pg)
		}
		wantProblem(t, h.do(t, "GET", "/api/v1/events?type=teleport", reader, nil), 400)
		wantProblem(t, h.do(t, "GET", "/api/v1/events?customer_id=cus_nobody", reader, nil), 404)

		var schemas []event.Schema
		h.must(t, 200, "GET", "/api/v1/events/schemas", reader, nil).json(t, &schemas)
		if len(schemas) != len(event.Schemas) || schemas[0].Type != event.PageView || !schemas[0].Fields[0].Required {
			t.Fatalf("schemas %+v", schemas)
		}

		// A large body (well past any reader's buffer) is read whole: every
		// line its own event, none garbled.
		var large strings.Builder
		for i := range 2000 {
			fmt.Fprintf(&large, `{"id":"big-%04d","type":"page_view","anonymous_id":"aid-big","properties":{"url":"https://shop.example.jp/c/%d","title":"%s"}}`+"\n", i, i, strings.Repeat("緑茶", 20))
		}
		h.must(t, 200, "POST", "/api/v1/events", writer, large.String(), "Content-Type", "application/x-ndjson").json(t, &res)
		if res.Received != 2000 || res.Stored != 2000 || len(res.Rejected) != 0 {
			t.Fatalf("large batch: stored %d of %d, rejected %+v", res.Stored, res.Received, res.Rejected[:min(3, len(res.Rejected))])
		}

		// A batch too big is refused whole.
		var big strings.Builder
		for i := range event.MaxBatch + 1 {
			fmt.Fprintf(&big, `{"id":"x%d","type":"app_open","anonymous_id":"a"}`+"\n", i)
		}
		wantProblem(t, h.do(t, "POST", "/api/v1/events", writer, big.String(), "Content-Type", "application/x-ndjson"), 413)

		js := h.must(t, 200, "GET", "/t.js", "", nil)
		if !strings.Contains(string(js.Body), "sendBeacon") || !strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") {
			t.Fatalf("t.js: %v %.100s", js.Header, js.Body)
		}
	})
}
