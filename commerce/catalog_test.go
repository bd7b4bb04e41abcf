package commerce_test

import (
	"context"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func catalogProducts() []commerce.Product {
	return []commerce.Product{
		{SKU: "TEA-100", JAN: "4901234567894", Name: "静岡 深蒸し煎茶 100g", Category: []string{"食品", "飲料", "日本茶"}, Brand: "茶匠",
			Price: commerce.Yen(1080), TaxRate: commerce.TaxReduced, Consumable: true, RepurchaseDays: 30, Attributes: map[string]string{"産地": "静岡県"}},
		{SKU: "TEA-200", Name: "玉露 50g", Category: []string{"食品", "飲料", "日本茶"}, Price: commerce.Yen(2160), TaxRate: commerce.TaxReduced},
		{SKU: "MUG-1", JAN: "4006381333931", Name: "有田焼 湯呑み", Category: []string{"食器"}, Price: commerce.Yen(3300), TaxRate: commerce.TaxStandard},
		{SKU: "BAD JAN", JAN: "4006381333932", Name: "x", Price: commerce.Yen(1), TaxRate: commerce.TaxStandard},
		{SKU: "BOWL-1", Name: "", Price: commerce.Yen(1), TaxRate: commerce.TaxStandard},
	}
}

func TestCatalog(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		c := commerce.NewCatalog(db)
		actor := kizuna.Actor{Type: "user", ID: "u1", Name: "buyer"}
		res, err := c.PutProducts(ctx, actor, catalogProducts())
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"created", "created", "created", "rejected", "rejected"}
		for i, r := range res {
			if r.Status != want[i] {
				t.Errorf("result %d: %+v, want %s", i, r, want[i])
			}
		}
		if res[3].Field != "sku" && res[3].Field != "jan" || res[4].Field != "name" || !strings.Contains(res[4].Reason, "required") {
			t.Errorf("rejections name the field: %+v %+v", res[3], res[4])
		}
		p, err := c.Product(ctx, "TEA-100")
		if err != nil {
			t.Fatal(err)
		}
		if p.Price != commerce.Yen(1080) || p.TaxRate != commerce.TaxReduced || p.Category[2] != "日本茶" || p.Attributes["産地"] != "静岡県" ||
			!p.Consumable || p.RepurchaseDays != 30 || p.CreatedAt.IsZero() || !p.CreatedAt.Equal(p.UpdatedAt) {
			t.Errorf("stored product: %+v", p)
		}
		created := p.CreatedAt

		// The same load again changes nothing; a changed price updates
		// and keeps created_at.
		again := catalogProducts()[:3]
		again[1].Price = commerce.Yen(2380)
		res, err = c.PutProducts(ctx, actor, again)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Status != "unchanged" || res[1].Status != "updated" || res[2].Status != "unchanged" {
			t.Errorf("second load: %+v", res)
		}
		p, _ = c.Product(ctx, "TEA-200")
		if p.Price.Amount != 2380 || !p.UpdatedAt.After(p.CreatedAt) {
			t.Errorf("updated product: %+v", p)
		}
		if p, _ := c.Product(ctx, "TEA-100"); !p.CreatedAt.Equal(created) {
			t.Errorf("unchanged product's created_at moved: %v → %v", created, p.CreatedAt)
		}
		// Audited: one entry per product created or changed, none for
		// unchanged ones or rejects.
		entries, err := db.AuditEntries(ctx, audit.Filter{Action: "product.put", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 4 || entries[0].ObjectID != "TEA-200" || entries[0].ActorID != "u1" {
			t.Errorf("%d product.put entries (want 4), newest %+v", len(entries), entries[0])
		}

		// Lists: by SKU, paged; by JAN (full-width accepted); by category path.
		page, err := c.Products(ctx, commerce.ProductQuery{Limit: 2})
		if err != nil || len(page) != 2 || page[0].SKU != "MUG-1" || page[1].SKU != "TEA-100" {
			t.Fatalf("first page: %v %v", page, err)
		}
		page, err = c.Products(ctx, commerce.ProductQuery{Limit: 2, After: page[1].SKU})
		if err != nil || len(page) != 1 || page[0].SKU != "TEA-200" {
			t.Fatalf("second page: %v %v", page, err)
		}
		byJAN, err := c.Products(ctx, commerce.ProductQuery{Limit: 10, JAN: "４００６３８１３３３９３１"})
		if err != nil || len(byJAN) != 1 || byJAN[0].SKU != "MUG-1" {
			t.Errorf("by JAN: %v %v", byJAN, err)
		}
		if _, err := c.Products(ctx, commerce.ProductQuery{JAN: "123"}); kizuna.ErrorCode(err) != kizuna.EINVALID {
			t.Errorf("a malformed JAN query: %v", err)
		}
		for path, n := range map[string]int{"食品": 2, "食品/飲料/日本茶": 2, "食品/飲": 0, "食器": 1, "家電": 0} {
			got, err := c.Products(ctx, commerce.ProductQuery{Limit: 10, Category: strings.Split(path, "/")})
			if err != nil || len(got) != n {
				t.Errorf("category %s: %d products (%v), want %d", path, len(got), err, n)
			}
		}
		if _, err := c.Product(ctx, "NOPE"); kizuna.ErrorCode(err) != kizuna.ENOTFOUND {
			t.Errorf("missing product: %v", err)
		}
		// Within one load a SKU appears once.
		res, _ = c.PutProducts(ctx, actor, []commerce.Product{catalogProducts()[2], catalogProducts()[2]})
		if res[0].Status != "unchanged" || res[1].Status != "rejected" || !strings.Contains(res[1].Reason, "index 0") {
			t.Errorf("a SKU twice in one load: %+v", res)
		}
	})
}

// A JAN names one product: a till that scans it must find one. A load
// that gives a product a JAN another product has, or gives one JAN to two
// products, is refused for those products alone.
func TestAJANNamesOneProduct(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		c := commerce.NewCatalog(db)
		actor := kizuna.System("test")
		if _, err := c.PutProducts(ctx, actor, catalogProducts()[:3]); err != nil {
			t.Fatal(err)
		}
		res, err := c.PutProducts(ctx, actor, []commerce.Product{
			{SKU: "TEA-101", JAN: "4901234567894", Name: "深蒸し煎茶 詰め替え", Price: commerce.Yen(980), TaxRate: commerce.TaxReduced}, // TEA-100's
			{SKU: "CUP-1", JAN: "4512345678906", Name: "湯呑み 青", Price: commerce.Yen(1500), TaxRate: commerce.TaxStandard},
			{SKU: "CUP-2", JAN: "4512345678906", Name: "湯呑み 赤", Price: commerce.Yen(1500), TaxRate: commerce.TaxStandard}, // CUP-1's, in this load
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"rejected", "created", "rejected"} {
			if res[i].Status != want {
				t.Errorf("item %d: %+v, want %s", i, res[i], want)
			}
		}
		if res[0].Field != "jan" || !strings.Contains(res[0].Reason, "TEA-100") || res[2].Field != "jan" || !strings.Contains(res[2].Reason, "index 1") {
			t.Errorf("the refusals name the product that has the JAN: %+v / %+v", res[0], res[2])
		}
		// A product keeps its own JAN when it changes.
		res, err = c.PutProducts(ctx, actor, []commerce.Product{{SKU: "TEA-100", JAN: "4901234567894", Name: "静岡 深蒸し煎茶 100g 新", Price: commerce.Yen(1080), TaxRate: commerce.TaxReduced}})
		if err != nil || res[0].Status != "updated" {
			t.Errorf("TEA-100 with its own JAN: %+v %v", res, err)
		}
		found, err := c.Products(ctx, commerce.ProductQuery{JAN: "4901234567894"})
		if err != nil || len(found) != 1 || found[0].SKU != "TEA-100" {
			t.Errorf("products with the JAN: %+v %v", found, err)
		}
	})
}
