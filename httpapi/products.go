package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
)

// ProductPage is one page of the catalog.
type ProductPage struct {
	Items      []commerce.Product `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

// ProductLoad is a bulk load's answer: one result per product, in order.
type ProductLoad struct {
	Results []commerce.ProductResult `json:"results"`
}

func (s *Server) registerProducts() {
	tags := []string{"Products"}
	catalog := func() (*commerce.Catalog, error) {
		if s.Catalog == nil {
			return nil, kizuna.Errorf(kizuna.EUNSUPPORTED, "the product catalog is not available on this server")
		}
		return s.Catalog, nil
	}
	huma.Register(s.api, huma.Operation{OperationID: "list-products", Method: http.MethodGet, Path: "/api/v1/products", Tags: tags,
		Summary: "List products", Description: "Products in SKU order, with cursor pagination; by JAN (the till's barcode scan) or under a category path.",
		Metadata: perm(auth.PermCatalogRead)},
		func(ctx context.Context, in *struct {
			Cursor   string `query:"cursor" doc:"next_cursor of the previous page"`
			Limit    int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
			JAN      string `query:"jan" doc:"Only the product(s) with this JAN code"`
			Category string `query:"category" doc:"Only products under this category path, levels separated by '/'" example:"食品/飲料"`
		}) (*struct{ Body ProductPage }, error) {
			c, err := catalog()
			if err != nil {
				return nil, s.handlerError(err)
			}
			after, err := decodeCursor(in.Cursor)
			if err != nil {
				return nil, err
			}
			var path []string
			if in.Category != "" {
				path = strings.Split(in.Category, "/")
			}
			items, err := c.Products(ctx, commerce.ProductQuery{After: after, Limit: in.Limit + 1, JAN: in.JAN, Category: path})
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &struct{ Body ProductPage }{}
			if len(items) > in.Limit {
				items = items[:in.Limit]
				out.Body.NextCursor = encodeCursor(items[len(items)-1].SKU)
			}
			out.Body.Items = nonNil(items)
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-product", Method: http.MethodGet, Path: "/api/v1/products/{sku}", Tags: tags,
		Summary: "Get a product", Metadata: perm(auth.PermCatalogRead)},
		func(ctx context.Context, in *struct {
			SKU string `path:"sku"`
		}) (*struct{ Body *commerce.Product }, error) {
			c, err := catalog()
			if err != nil {
				return nil, s.handlerError(err)
			}
			p, err := c.Product(ctx, in.SKU)
			return &struct{ Body *commerce.Product }{Body: p}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "put-product", Method: http.MethodPut, Path: "/api/v1/products/{sku}", Tags: tags,
		Summary: "Create or replace a product",
		Description: "The whole product, tax-inclusive price in integer minor units (yen) with its tax rate (10, 8 or 0). A JAN code must have a valid " +
			"check digit. Sending the same product again changes nothing. Audited.",
		Metadata: perm(auth.PermCatalogWrite)},
		func(ctx context.Context, in *struct {
			SKU  string `path:"sku"`
			Body commerce.Product
		}) (*struct{ Body *commerce.Product }, error) {
			c, err := catalog()
			if err != nil {
				return nil, s.handlerError(err)
			}
			p := in.Body
			if p.SKU != "" && p.SKU != in.SKU {
				return nil, s.handlerError(kizuna.FieldError("sku", "the body says %q, the path %q", p.SKU, in.SKU))
			}
			p.SKU = in.SKU
			res, err := c.PutProducts(ctx, s.actor(ctx), []commerce.Product{p})
			if err != nil {
				return nil, s.handlerError(err)
			}
			if r := res[0]; r.Status == commerce.ProductRejected {
				return nil, s.handlerError(kizuna.FieldError(r.Field, "%s", r.Reason))
			}
			stored, err := c.Product(ctx, res[0].SKU)
			return &struct{ Body *commerce.Product }{Body: stored}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "load-products", Method: http.MethodPost, Path: "/api/v1/products/batch", Tags: tags,
		Summary: "Load products in bulk",
		Description: "Up to 10,000 products in one transaction. A product that fails validation is rejected with its index, field and reason; " +
			"the others are stored. Re-sending a load changes nothing (unchanged), so a retry is safe; an Idempotency-Key returns the first answer.",
		Metadata: perm(auth.PermCatalogWrite), MaxBodyBytes: 64 << 20},
		func(ctx context.Context, in *struct {
			Body struct {
				Products []commerce.Product `json:"products" maxItems:"10000"`
			}
		}) (*struct{ Body ProductLoad }, error) {
			c, err := catalog()
			if err != nil {
				return nil, s.handlerError(err)
			}
			res, err := c.PutProducts(ctx, s.actor(ctx), in.Body.Products)
			return &struct{ Body ProductLoad }{Body: ProductLoad{Results: nonNil(res)}}, s.handlerError(err)
		})
	inventory := func() (*commerce.Inventory, error) {
		if s.Inventory == nil {
			return nil, kizuna.Errorf(kizuna.EUNSUPPORTED, "stock is not available on this server")
		}
		return s.Inventory, nil
	}
	huma.Register(s.api, huma.Operation{OperationID: "get-product-stock", Method: http.MethodGet, Path: "/api/v1/products/{sku}/stock", Tags: tags,
		Summary: "Stock of a product", Description: "The level at each store and warehouse that has one.", Metadata: perm(auth.PermCatalogRead)},
		func(ctx context.Context, in *struct {
			SKU string `path:"sku"`
		}) (*struct{ Body []commerce.StockLevel }, error) {
			inv, err := inventory()
			if err != nil {
				return nil, s.handlerError(err)
			}
			c, err := catalog()
			if err != nil {
				return nil, s.handlerError(err)
			}
			if _, err := c.Product(ctx, in.SKU); err != nil {
				return nil, s.handlerError(err) // 404 for an unknown product, not an empty list
			}
			levels, err := inv.Stock(ctx, in.SKU)
			return &struct{ Body []commerce.StockLevel }{Body: nonNil(levels)}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "apply-stock-changes", Method: http.MethodPost, Path: "/api/v1/stock/changes", Tags: tags,
		Summary: "Change stock levels",
		Description: "Up to 10,000 movements, applied in order in one transaction: `set` is a count (stocktake), `delta` a change (goods in, " +
			"sales out). Each has your movement ID: a movement sent again, in this call or a later one, is reported as repeated and not " +
			"applied twice. A movement naming an unknown product or location is rejected with its field; the others are applied.",
		Metadata: perm(auth.PermCatalogWrite), MaxBodyBytes: 32 << 20},
		func(ctx context.Context, in *struct {
			Body struct {
				Changes []commerce.StockChange `json:"changes" maxItems:"10000"`
			}
		}) (*struct{ Body StockApplied }, error) {
			inv, err := inventory()
			if err != nil {
				return nil, s.handlerError(err)
			}
			res, err := inv.Apply(ctx, s.actor(ctx), in.Body.Changes)
			return &struct{ Body StockApplied }{Body: StockApplied{Results: nonNil(res)}}, s.handlerError(err)
		})
}

// StockApplied is the answer to a stock change call: one result per
// movement, in order.
type StockApplied struct {
	Results []commerce.StockResult `json:"results"`
}
