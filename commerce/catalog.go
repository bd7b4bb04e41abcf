package commerce

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
)

// Store is the storage the catalog needs.
type Store interface {
	// CatalogTx runs fn in one write transaction.
	CatalogTx(ctx context.Context, fn func(CatalogTx) error) error
	Product(ctx context.Context, sku string) (*Product, error)
	Products(ctx context.Context, q ProductQuery) ([]Product, error)
}

// CatalogTx is what a catalog change does inside its transaction.
type CatalogTx interface {
	// ProductsBySKU returns the stored products among skus.
	ProductsBySKU(ctx context.Context, skus []string) (map[string]Product, error)
	// SKUsByJAN maps those of jans that stored products have to their SKU.
	SKUsByJAN(ctx context.Context, jans []string) (map[string]string, error)
	// PutProducts creates or replaces products by SKU; a replaced product
	// keeps its created_at.
	PutProducts(ctx context.Context, ps []Product) error
	Audit(ctx context.Context, entries ...audit.Entry) error
}

// ProductQuery selects products, by SKU order.
type ProductQuery struct {
	After    string // the last SKU of the previous page
	Limit    int
	JAN      string   // only this JAN
	Category []string // only under this category path
}

// MaxProductBatch is the most products one call may load.
const MaxProductBatch = 10000

// Catalog keeps the product catalog.
type Catalog struct {
	store Store
	now   func() time.Time
}

// NewCatalog returns a catalog on store.
func NewCatalog(store Store) *Catalog { return &Catalog{store: store, now: time.Now} }

// Product statuses in a load's results.
const (
	ProductCreated   = "created"
	ProductUpdated   = "updated"
	ProductUnchanged = "unchanged"
	ProductRejected  = "rejected"
)

// ProductResult says what became of one product of a load.
type ProductResult struct {
	Index  int    `json:"index"`
	SKU    string `json:"sku"`
	Status string `json:"status" enum:"created,updated,unchanged,rejected"`
	Field  string `json:"field,omitempty" doc:"For a rejected product: the field at fault"`
	Reason string `json:"reason,omitempty"`
}

// PutProducts creates or replaces products by SKU, all in one transaction:
// a product that fails validation is rejected with its field and reason,
// and the others are stored. Sending the same products again changes
// nothing (status unchanged), so a retried load is harmless. Every product
// created or changed is audited.
func (c *Catalog) PutProducts(ctx context.Context, actor kizuna.Actor, ps []Product) ([]ProductResult, error) {
	if len(ps) > MaxProductBatch {
		return nil, kizuna.Errorf(kizuna.ETOOLARGE, "a load holds at most %d products, got %d", MaxProductBatch, len(ps))
	}
	now := c.now().UTC().Truncate(time.Microsecond)
	results := CheckProducts(ps)
	var valid []int
	for i, r := range results {
		if r.Status != ProductRejected {
			valid = append(valid, i)
		}
	}
	if len(valid) == 0 {
		return results, nil
	}
	err := c.store.CatalogTx(ctx, func(tx CatalogTx) error {
		skus := make([]string, len(valid))
		for k, i := range valid {
			skus[k] = ps[i].SKU
		}
		stored, err := tx.ProductsBySKU(ctx, skus)
		if err != nil {
			return err
		}
		var jans []string
		for _, i := range valid {
			if ps[i].JAN != "" {
				jans = append(jans, ps[i].JAN)
			}
		}
		owners, err := tx.SKUsByJAN(ctx, jans)
		if err != nil {
			return err
		}
		var put []Product
		var entries []audit.Entry
		for _, i := range valid {
			p := ps[i]
			if owner, ok := owners[p.JAN]; ok && owner != p.SKU {
				// A till scanning the code must find one product. A JAN
				// moved between products in one load is refused too: the
				// old one must give it up first.
				results[i].Status, results[i].Field = ProductRejected, "jan"
				results[i].Reason = fmt.Sprintf("%q is product %s's JAN: a JAN names one product (clear it there first)", p.JAN, owner)
				continue
			}
			old, ok := stored[p.SKU]
			switch {
			case !ok:
				p.CreatedAt, p.UpdatedAt = now, now
				results[i].Status = ProductCreated
			case sameProduct(old, p):
				results[i].Status = ProductUnchanged
				continue
			default:
				p.CreatedAt, p.UpdatedAt = old.CreatedAt, now
				results[i].Status = ProductUpdated
			}
			put = append(put, p)
			entries = append(entries, audit.New(actor, now, "product.put", "product", p.SKU, "", map[string]any{"status": results[i].Status, "product": p}))
		}
		if len(put) == 0 {
			return nil
		}
		if err := tx.PutProducts(ctx, put); err != nil {
			return err
		}
		return tx.Audit(ctx, entries...)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// CheckProducts normalizes the products of a load in place and checks
// each against its rules, as PutProducts does before storing anything: one
// that fails, or repeats a SKU of the same load, gets a rejected result
// with its field and reason; the others a result with no status yet.
func CheckProducts(ps []Product) []ProductResult {
	results := make([]ProductResult, len(ps))
	seen, seenJAN := map[string]int{}, map[string]int{}
	for i := range ps {
		p := &ps[i]
		p.Normalize()
		results[i] = ProductResult{Index: i, SKU: p.SKU}
		err := p.Validate()
		if j, dup := seen[p.SKU]; err == nil && dup {
			err = kizuna.FieldError("sku", "%q is also at index %d of this load", p.SKU, j)
		}
		if j, dup := seenJAN[p.JAN]; err == nil && dup && p.JAN != "" {
			err = kizuna.FieldError("jan", "%q is also at index %d of this load: a JAN names one product", p.JAN, j)
		}
		if err != nil {
			results[i].Status, results[i].Field, results[i].Reason = ProductRejected, kizuna.ErrorField(err), kizuna.ErrorMessage(err)
			continue
		}
		seen[p.SKU] = i
		seenJAN[p.JAN] = i
	}
	return results
}

// sameProduct compares what a caller sends, not the timestamps.
func sameProduct(a, b Product) bool {
	a.CreatedAt, a.UpdatedAt, b.CreatedAt, b.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if len(a.Attributes) == 0 && len(b.Attributes) == 0 {
		a.Attributes, b.Attributes = nil, nil
	}
	if len(a.Category) == 0 && len(b.Category) == 0 {
		a.Category, b.Category = nil, nil
	}
	return reflect.DeepEqual(a, b)
}

// Product returns one product.
func (c *Catalog) Product(ctx context.Context, sku string) (*Product, error) {
	return c.store.Product(ctx, sku)
}

// Products lists products in SKU order, a page at a time.
func (c *Catalog) Products(ctx context.Context, q ProductQuery) ([]Product, error) {
	q.Limit = min(max(q.Limit, 1), 1000)
	if q.JAN != "" {
		q.JAN = NormalizeJAN(q.JAN)
		if err := ValidateJAN(q.JAN); err != nil {
			return nil, err
		}
	}
	q.Category = slices.DeleteFunc(slices.Clone(q.Category), func(s string) bool { return s == "" })
	return c.store.Products(ctx, q)
}
