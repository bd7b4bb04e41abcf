package httpapi_test

import (
	"time"

	"fmt"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestProducts(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, writer := h.apiKey(t, "pos", []string{auth.ScopeRead, auth.ScopeWrite})
		_, reader := h.apiKey(t, "app", []string{auth.ScopeRead})

		tea := map[string]any{"jan": "4901234567894", "name": "静岡 深蒸し煎茶 100g", "category": []string{"食品", "飲料", "日本茶"},
			"price": map[string]any{"amount": 1080, "currency": "JPY"}, "tax_rate": 8, "consumable": true, "repurchase_days": 30}
		var p commerce.Product
		h.must(t, 200, "PUT", "/api/v1/products/TEA-100", writer, tea).json(t, &p)
		if p.SKU != "TEA-100" || p.Price != commerce.Yen(1080) || p.TaxRate != 8 || p.CreatedAt.IsZero() {
			t.Errorf("PUT answered %+v", p)
		}
		// A read-only key may read, not write.
		h.must(t, 200, "GET", "/api/v1/products/TEA-100", reader, nil).json(t, &p)
		if p.JAN != "4901234567894" || p.Category[2] != "日本茶" {
			t.Errorf("GET answered %+v", p)
		}
		wantProblem(t, h.do(t, "PUT", "/api/v1/products/TEA-100", reader, tea), 403)
		wantProblem(t, h.do(t, "GET", "/api/v1/products/NOPE", reader, nil), 404)

		// Bad input names the field.
		bad := map[string]any{"jan": "4901234567895", "name": "x", "price": map[string]any{"amount": 100, "currency": "JPY"}, "tax_rate": 10}
		pr := wantProblem(t, h.do(t, "PUT", "/api/v1/products/X-1", writer, bad), 400)
		if len(pr.Errors) == 0 || !strings.Contains(pr.Errors[0].Location, "jan") || !strings.Contains(pr.Errors[0].Message, "check digit") {
			t.Errorf("a bad JAN: %+v", pr)
		}
		bad["jan"], bad["tax_rate"] = "", 5
		pr = wantProblem(t, h.do(t, "PUT", "/api/v1/products/X-1", writer, bad), 400)
		if len(pr.Errors) == 0 || !strings.Contains(pr.Errors[0].Location, "tax_rate") {
			t.Errorf("a 5%% tax rate: %+v", pr)
		}

		// A bulk load: the good ones stored, the bad one reported by index.
		var products []map[string]any
		for i := range 25 {
			products = append(products, map[string]any{"sku": fmt.Sprintf("MUG-%02d", i), "name": fmt.Sprintf("湯呑み %d", i),
				"category": []string{"食器"}, "price": map[string]any{"amount": 1100 + i, "currency": "JPY"}, "tax_rate": 10})
		}
		products[7]["price"] = map[string]any{"amount": -1, "currency": "JPY"}
		var load struct{ Results []commerce.ProductResult }
		h.must(t, 200, "POST", "/api/v1/products/batch", writer, map[string]any{"products": products}).json(t, &load)
		created, rejected := 0, 0
		for _, r := range load.Results {
			switch r.Status {
			case "created":
				created++
			case "rejected":
				rejected++
				if r.Index != 7 || r.Field != "price.amount" {
					t.Errorf("rejected %+v, want index 7 on price.amount", r)
				}
			}
		}
		if created != 24 || rejected != 1 {
			t.Errorf("bulk load: %d created, %d rejected", created, rejected)
		}
		h.must(t, 200, "POST", "/api/v1/products/batch", writer, map[string]any{"products": products}).json(t, &load)
		if load.Results[0].Status != "unchanged" {
			t.Errorf("a repeated load: %+v", load.Results[0])
		}

		// Pages by cursor, then filters.
		var page struct {
			Items      []commerce.Product
			NextCursor string `json:"next_cursor"`
		}
		seen := 0
		for url := "/api/v1/products?limit=10"; ; {
			page.NextCursor = "" // absent on the last page
			h.must(t, 200, "GET", url, reader, nil).json(t, &page)
			seen += len(page.Items)
			if page.NextCursor == "" {
				break
			}
			url = "/api/v1/products?limit=10&cursor=" + page.NextCursor
		}
		if seen != 25 {
			t.Errorf("paged through %d products, want 25", seen)
		}
		h.must(t, 200, "GET", "/api/v1/products?jan=4901234567894", reader, nil).json(t, &page)
		if len(page.Items) != 1 || page.Items[0].SKU != "TEA-100" {
			t.Errorf("by JAN: %+v", page.Items)
		}
		h.must(t, 200, "GET", "/api/v1/products?category=%E9%A3%9F%E5%93%81%2F%E9%A3%B2%E6%96%99", reader, nil).json(t, &page) // 食品/飲料
		if len(page.Items) != 1 || page.Items[0].SKU != "TEA-100" {
			t.Errorf("by category: %+v", page.Items)
		}
		wantProblem(t, h.do(t, "GET", "/api/v1/products?jan=12", reader, nil), 400)

		// Stock: a count, a sale, a retry; unknown products are 404.
		_, admin := h.adminKey(t)
		h.must(t, 200, "PUT", "/api/v1/stores/S001", admin, map[string]any{"name": "渋谷店", "channel": "store"})
		changes := map[string]any{"changes": []map[string]any{
			{"id": "inv-1", "sku": "TEA-100", "location": "S001", "set": 12, "reason": "棚卸"},
			{"id": "pos-1", "sku": "TEA-100", "location": "S001", "delta": -2},
			{"id": "pos-2", "sku": "TEA-100", "location": "S404", "delta": -1},
		}}
		var applied struct{ Results []commerce.StockResult }
		h.must(t, 200, "POST", "/api/v1/stock/changes", writer, changes).json(t, &applied)
		if r := applied.Results; len(r) != 3 || r[0].OnHand != 12 || r[1].Status != "applied" || r[1].OnHand != 10 || r[2].Status != "rejected" || r[2].Field != "location" {
			t.Errorf("stock changes: %+v", r)
		}
		h.must(t, 200, "POST", "/api/v1/stock/changes", writer, changes).json(t, &applied)
		if r := applied.Results; r[0].Status != "repeated" || r[1].Status != "repeated" || r[1].OnHand != 10 {
			t.Errorf("retried stock changes: %+v", r)
		}
		var levels []commerce.StockLevel
		h.must(t, 200, "GET", "/api/v1/products/TEA-100/stock", reader, nil).json(t, &levels)
		if len(levels) != 1 || levels[0].Location != "S001" || levels[0].OnHand != 10 {
			t.Errorf("stock of TEA-100: %+v", levels)
		}
		wantProblem(t, h.do(t, "GET", "/api/v1/products/NOPE/stock", reader, nil), 404)
		wantProblem(t, h.do(t, "POST", "/api/v1/stock/changes", reader, changes), 403)

		// Reservations: 201, the same ID 200, too many 409; fulfil takes the goods out.
		res := map[string]any{"id": "ec-1", "sku": "TEA-100", "location": "S001", "quantity": 4, "order_ref": "EC-1001"}
		var r commerce.Reservation
		h.must(t, 201, "POST", "/api/v1/stock/reservations", writer, res).json(t, &r)
		if r.Status != "active" || r.ExpiresAt.Sub(r.CreatedAt) != 30*time.Minute {
			t.Errorf("reservation %+v", r)
		}
		h.must(t, 200, "POST", "/api/v1/stock/reservations", writer, res)
		wantProblem(t, h.do(t, "POST", "/api/v1/stock/reservations", writer, map[string]any{"id": "ec-2", "sku": "TEA-100", "location": "S001", "quantity": 7}), 409)
		h.must(t, 200, "POST", "/api/v1/stock/reservations/ec-1/fulfil", writer, nil).json(t, &r)
		if p := wantProblem(t, h.do(t, "POST", "/api/v1/stock/reservations/ec-1/release", writer, nil), 409); p.Current != "fulfilled" {
			t.Errorf("release of a fulfilled reservation: %+v", p)
		}
		h.must(t, 200, "GET", "/api/v1/products/TEA-100/stock", reader, nil).json(t, &levels)
		if levels[0].OnHand != 6 || levels[0].Reserved != 0 || levels[0].Available != 6 {
			t.Errorf("after fulfilment: %+v", levels)
		}
		var near []commerce.StockPlace
		h.must(t, 200, "GET", "/api/v1/products/TEA-100/nearest?prefecture=%E6%9D%B1%E4%BA%AC%E9%83%BD&quantity=2", reader, nil).json(t, &near)
		if len(near) != 1 || near[0].Location != "S001" || near[0].Available != 6 {
			t.Errorf("nearest: %+v", near)
		}
		var src struct {
			CustomerID string `json:"customer_id"`
		}
		h.must(t, 201, "POST", "/api/v1/source-profiles", writer, map[string]any{"channel": "ec", "external_id": "E-9",
			"profile": map[string]any{"family_name": "森"}}).json(t, &src)
		h.must(t, 204, "POST", "/api/v1/products/TEA-100/subscriptions", writer, map[string]any{"customer_id": src.CustomerID})
		wantProblem(t, h.do(t, "POST", "/api/v1/products/NOPE/subscriptions", writer, map[string]any{"customer_id": src.CustomerID}), 404)
	})
}
