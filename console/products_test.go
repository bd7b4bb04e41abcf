package console_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestProductAndStockPages(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 30)
	ctx := context.Background()
	ps, err := commerce.NewCatalog(s.db).Products(ctx, commerce.ProductQuery{Limit: 1})
	if err != nil || len(ps) == 0 {
		t.Fatalf("the demo has no products: %v", err)
	}
	p := ps[0]
	inv := commerce.NewInventory(s.db)
	if _, err := inv.Apply(ctx, kizuna.System("test"), []commerce.StockChange{{ID: "t-1", SKU: p.SKU, Location: "S001", Set: ptr(int64(7))}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := inv.Reserve(ctx, kizuna.System("test"), commerce.Reservation{ID: "t-r1", SKU: p.SKU, Location: "S001", Quantity: 2}); err != nil {
		t.Fatal(err)
	}
	cl := s.client(t)
	cl.session("staff")
	list := cl.get("/products")
	if list.Code != http.StatusOK || !strings.Contains(list.Body, `href="/products/`+p.SKU+`"`) || !strings.Contains(list.Body, p.Name) {
		t.Fatalf("product list (%d) lacks %s", list.Code, p.SKU)
	}
	page := cl.get("/products/" + p.SKU)
	for _, want := range []string{p.Name, `id="stock"`, "販売可能 合計", "引当済み"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("product page lacks %q", want)
		}
	}
	// The store's row: 7 on hand, 2 reserved, 5 available.
	if !regexp.MustCompile(`S001</span></td><td class="num">7</td><td class="num">2</td>\s*<td class="num">5</td>`).MatchString(page.Body) {
		t.Errorf("the S001 row does not show 7 / 2 / 5: %.3000s", page.Body[strings.Index(page.Body, `id="stock"`):])
	}
	if r := cl.get("/products/NO-SUCH-SKU"); r.Code != http.StatusNotFound {
		t.Errorf("unknown product: %d", r.Code)
	}
}

func ptr[T any](v T) *T { return &v }
