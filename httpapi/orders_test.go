package httpapi_test

import (
	"testing"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func orderBody(id, email string) map[string]any {
	return map[string]any{"channel": "ec", "external_id": id, "placed_at": "2026-11-20T19:30:00+09:00",
		"customer": map[string]any{"email": email},
		"lines": []map[string]any{
			{"sku": "TEA-100", "quantity": 2, "unit_price": 1080, "tax_rate": 8},
			{"sku": "MUG-1", "quantity": 1, "unit_price": 3300, "tax_rate": 10},
		}}
}

func TestOrdersAPI(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db, func(d *httpapi.Deps) { d.Orders = commerce.NewOrders(db) })
		_, writer := h.apiKey(t, "ec-site", []string{auth.ScopeRead, auth.ScopeWrite})
		_, reader := h.apiKey(t, "bi", []string{auth.ScopeRead})
		_, storeOnly := h.apiKey(t, "pos", []string{auth.ScopeRead, auth.ScopeWrite}, "store")
		var src struct {
			CustomerID string `json:"customer_id"`
		}
		h.must(t, 201, "POST", "/api/v1/source-profiles", writer, map[string]any{"channel": "ec", "external_id": "E-1",
			"profile": map[string]any{"family_name": "佐藤", "emails": []string{"sato@example.jp"}}}).json(t, &src)

		var o commerce.Order
		h.must(t, 201, "POST", "/api/v1/orders", writer, orderBody("EC-1", "sato@example.jp")).json(t, &o)
		if o.CustomerID != src.CustomerID || o.Total != 5460 || o.Status != "placed" || o.ID == "" {
			t.Fatalf("created %+v, want customer %s, total 5460", o, src.CustomerID)
		}
		// The same order again: 200 and the same order, never a second one.
		var again commerce.Order
		h.must(t, 200, "POST", "/api/v1/orders", writer, orderBody("EC-1", "sato@example.jp")).json(t, &again)
		if again.ID != o.ID || again.Version != 1 {
			t.Fatalf("resent: %+v", again)
		}
		wantProblem(t, h.do(t, "POST", "/api/v1/orders", reader, orderBody("EC-2", "")), 403)

		// Forward, then backward: 409 with the current state.
		h.must(t, 200, "POST", "/api/v1/orders/"+o.ID+"/status", writer, map[string]any{"status": "paid"}).json(t, &o)
		pr := wantProblem(t, h.do(t, "POST", "/api/v1/orders/"+o.ID+"/status", writer, map[string]any{"status": "placed"}), 409)
		if pr.Current != "paid" {
			t.Errorf("409 without the current state: %+v", pr)
		}
		back := orderBody("EC-1", "sato@example.jp")
		back["status"] = "placed"
		pr = wantProblem(t, h.do(t, "POST", "/api/v1/orders", writer, back), 409)
		if pr.Current != "paid" {
			t.Errorf("resent backwards: %+v", pr)
		}

		// Shipped and delivered by its parcel; a return, then the same return again.
		h.must(t, 200, "POST", "/api/v1/orders/"+o.ID+"/shipments", writer, map[string]any{"id": "P-1", "carrier": "sagawa", "tracking_number": "4000-1111-2222",
			"shipped_at": "2026-11-21T09:00:00+09:00", "delivered_at": "2026-11-22T14:00:00+09:00"}).json(t, &o)
		if o.Status != "delivered" {
			t.Fatalf("after the parcel: %s", o.Status)
		}
		ret := map[string]any{"id": "RT-1", "lines": []map[string]any{{"line": 1, "quantity": 1}}, "reason": "賞味期限切れ"}
		h.must(t, 201, "POST", "/api/v1/orders/"+o.ID+"/returns", writer, ret).json(t, &o)
		h.must(t, 200, "POST", "/api/v1/orders/"+o.ID+"/returns", writer, ret).json(t, &o)
		if len(o.Returns) != 1 || o.Returns[0].Refund != 1080 || o.Lines[0].Returned != 1 {
			t.Fatalf("returns: %+v %+v", o.Returns, o.Lines)
		}
		pr = wantProblem(t, h.do(t, "POST", "/api/v1/orders/"+o.ID+"/returns", writer, map[string]any{"id": "RT-2", "lines": []map[string]any{{"line": 9, "quantity": 1}}}), 400)
		if len(pr.Errors) == 0 || pr.Errors[0].Location != "body.lines[0].line" {
			t.Errorf("a return of no line: %+v", pr)
		}

		// A catalog order on invoice, past its due date: reported overdue.
		cat := orderBody("CAT-1", "")
		cat["channel"] = "catalog"
		var co commerce.Order
		h.must(t, 201, "POST", "/api/v1/orders", writer, cat).json(t, &co)
		if co.CustomerID != "" {
			t.Fatalf("an order without identifiers is a guest's: %+v", co)
		}
		h.must(t, 200, "PUT", "/api/v1/orders/"+co.ID+"/billing", writer, map[string]any{"status": "billed", "amount": co.Total,
			"billed_at": "2026-10-01T00:00:00Z", "due_date": "2026-10-31"}).json(t, &co)
		if co.Billing == nil || co.Billing.Status != "overdue" {
			t.Fatalf("billing: %+v", co.Billing)
		}

		// A batch: one bad order reported by index, one for a channel the key may not write.
		orders := []map[string]any{orderBody("EC-10", "a@example.jp"), orderBody("EC-11", "b@example.jp"), orderBody("EC-12", "c@example.jp")}
		orders[1]["lines"] = []map[string]any{{"sku": "TEA-100", "quantity": 0, "unit_price": 1080, "tax_rate": 8}}
		var batch struct{ Results []commerce.OrderResult }
		h.must(t, 200, "POST", "/api/v1/orders/batch", writer, map[string]any{"orders": orders}).json(t, &batch)
		if batch.Results[0].Status != "created" || batch.Results[1].Status != "rejected" || batch.Results[1].Field != "lines[0].quantity" || batch.Results[2].Status != "created" {
			t.Fatalf("batch: %+v", batch.Results)
		}
		h.must(t, 200, "POST", "/api/v1/orders/batch", storeOnly, map[string]any{"orders": orders[:1]}).json(t, &batch)
		if batch.Results[0].Status != "rejected" || batch.Results[0].Field != "channel" {
			t.Fatalf("a key for the stores wrote an EC order: %+v", batch.Results)
		}

		// Listing: the customer's timeline, a natural key, pages.
		var page struct {
			Items      []commerce.Order
			NextCursor string `json:"next_cursor"`
		}
		h.must(t, 200, "GET", "/api/v1/orders?customer_id="+src.CustomerID, reader, nil).json(t, &page)
		if len(page.Items) != 1 || page.Items[0].ID != o.ID {
			t.Fatalf("the customer's orders: %+v", page.Items)
		}
		h.must(t, 200, "GET", "/api/v1/orders?channel=catalog&external_id=CAT-1", reader, nil).json(t, &page)
		if len(page.Items) != 1 || page.Items[0].ID != co.ID {
			t.Fatalf("by natural key: %+v", page.Items)
		}
		seen := map[string]bool{}
		cursor := ""
		for range 10 {
			page.Items, page.NextCursor = nil, "" // the last page has no next_cursor to overwrite the previous one
			h.must(t, 200, "GET", "/api/v1/orders?limit=2&cursor="+cursor, reader, nil).json(t, &page)
			for _, it := range page.Items {
				if seen[it.ID] {
					t.Fatalf("order %s on two pages", it.ID)
				}
				seen[it.ID] = true
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(seen) != 4 {
			t.Fatalf("pages held %d orders, want 4", len(seen))
		}
		wantProblem(t, h.do(t, "GET", "/api/v1/orders/ord_nope", reader, nil), 404)
	})
}
