package console

import (
	"net/http"
	"strings"

	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/i18n"
)

// Product and stock pages: what a store can tell a customer at the
// counter — the price, and where the item is in stock.

type productsData struct {
	JAN      string
	Category string
	Items    []commerce.Product
	Next     string // the SKU after which the next page starts
}

const productsPage = 100

func (s *Server) products(w http.ResponseWriter, r *http.Request, rq *request) {
	if s.Catalog == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "products.unavailable"))
		return
	}
	q := r.URL.Query()
	d := productsData{JAN: strings.TrimSpace(q.Get("jan")), Category: strings.TrimSpace(q.Get("category"))}
	pq := commerce.ProductQuery{After: q.Get("after"), Limit: productsPage + 1, JAN: d.JAN}
	if d.Category != "" {
		pq.Category = strings.Split(d.Category, "/")
	}
	items, err := s.Catalog.Products(r.Context(), pq)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	if len(items) > productsPage {
		items = items[:productsPage]
		d.Next = items[len(items)-1].SKU
	}
	d.Items = items
	s.render(w, r, "products", &view{Title: i18n.T(rq.Locale, "nav.products"), Section: "products", Data: d})
}

type productData struct {
	P     *commerce.Product
	Stock []stockRow
	Total int64 // available everywhere
}

type stockRow struct {
	commerce.StockLevel
	Name string
}

func (s *Server) product(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	if s.Catalog == nil || s.Inventory == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "products.unavailable"))
		return
	}
	p, err := s.Catalog.Product(ctx, r.PathValue("sku"))
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	levels, err := s.Inventory.Stock(ctx, p.SKU)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	names := map[string]string{}
	if locs, err := s.Customers.Locations(ctx); err == nil {
		for _, l := range locs {
			names[l.Code] = l.Name
		}
	}
	d := productData{P: p}
	for _, l := range levels {
		d.Stock = append(d.Stock, stockRow{StockLevel: l, Name: names[l.Location]})
		d.Total += max(0, l.Available)
	}
	s.render(w, r, "product", &view{Title: p.Name, Section: "products", Data: d})
}
