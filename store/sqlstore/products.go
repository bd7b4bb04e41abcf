package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/commerce"
)

var _ commerce.Store = (*DB)(nil)

const productCols = `sku, jan, name, category, brand, price, currency, tax_rate, consumable, repurchase_days, attributes, created_at, updated_at`

func scanProduct(sc interface{ Scan(...any) error }) (commerce.Product, error) {
	var p commerce.Product
	var category, attrs string
	var rate int
	if err := sc.Scan(&p.SKU, &p.JAN, &p.Name, &category, &p.Brand, &p.Price.Amount, &p.Price.Currency, &rate, &p.Consumable, &p.RepurchaseDays, &attrs, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return p, err
	}
	p.TaxRate = commerce.TaxRate(rate)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	if err := json.Unmarshal([]byte(category), &p.Category); err != nil {
		return p, fmt.Errorf("product %s: category: %w", p.SKU, err)
	}
	if err := json.Unmarshal([]byte(attrs), &p.Attributes); err != nil {
		return p, fmt.Errorf("product %s: attributes: %w", p.SKU, err)
	}
	if len(p.Category) == 0 {
		p.Category = nil
	}
	if len(p.Attributes) == 0 {
		p.Attributes = nil
	}
	return p, nil
}

// Product returns one product by SKU.
func (db *DB) Product(ctx context.Context, sku string) (*commerce.Product, error) {
	p, err := scanProduct(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+productCols+` FROM products WHERE sku = ?`), sku))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "no product with SKU %q", sku)
	}
	if err != nil {
		return nil, fmt.Errorf("read product %s: %w", sku, err)
	}
	return &p, nil
}

// Products lists products in SKU order after q.After.
func (db *DB) Products(ctx context.Context, q commerce.ProductQuery) ([]commerce.Product, error) {
	where, args := []string{`sku > ?`}, []any{q.After}
	if q.JAN != "" {
		where, args = append(where, `jan = ?`), append(args, q.JAN)
	}
	if len(q.Category) > 0 {
		// The stored path is a JSON array: a prefix of its text is a
		// prefix of the path.
		b, err := json.Marshal(q.Category)
		if err != nil {
			return nil, err
		}
		prefix := strings.TrimSuffix(string(b), "]")
		where = append(where, `(category = ? OR substr(category, 1, ?) = ?)`)
		args = append(args, string(b), utf8.RuneCountInString(prefix)+1, prefix+",")
	}
	args = append(args, q.Limit)
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT `+productCols+` FROM products WHERE `+strings.Join(where, ` AND `)+` ORDER BY sku LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	defer rows.Close()
	var out []commerce.Product
	for rows.Next() {
		p, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CatalogTx runs fn in a write transaction.
func (db *DB) CatalogTx(ctx context.Context, fn func(commerce.CatalogTx) error) error {
	return db.connTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		return fn(&catalogTx{db: db, conn: conn, tx: tx})
	})
}

type catalogTx struct {
	db   *DB
	conn *sql.Conn
	tx   *sql.Tx
}

func (t *catalogTx) ProductsBySKU(ctx context.Context, skus []string) (map[string]commerce.Product, error) {
	out := map[string]commerce.Product{}
	for start := 0; start < len(skus); start += t.db.lookupChunk() {
		in, args := t.db.inList(skus[start:min(start+t.db.lookupChunk(), len(skus))])
		rows, err := t.tx.QueryContext(ctx, t.db.rebind(`SELECT `+productCols+` FROM products WHERE sku `+in), args...)
		if err != nil {
			return nil, fmt.Errorf("read products: %w", err)
		}
		for rows.Next() {
			p, err := scanProduct(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[p.SKU] = p
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("read products: %w", err)
		}
	}
	return out, nil
}

func (t *catalogTx) SKUsByJAN(ctx context.Context, jans []string) (map[string]string, error) {
	out := map[string]string{}
	for start := 0; start < len(jans); start += t.db.lookupChunk() {
		in, args := t.db.inList(jans[start:min(start+t.db.lookupChunk(), len(jans))])
		rows, err := t.tx.QueryContext(ctx, t.db.rebind(`SELECT jan, sku FROM products WHERE jan `+in), args...)
		if err != nil {
			return nil, fmt.Errorf("read JAN codes: %w", err)
		}
		for rows.Next() {
			var jan, sku string
			if err := rows.Scan(&jan, &sku); err != nil {
				rows.Close()
				return nil, err
			}
			out[jan] = sku
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, fmt.Errorf("read JAN codes: %w", err)
		}
	}
	return out, nil
}

func (t *catalogTx) PutProducts(ctx context.Context, ps []commerce.Product) error {
	const cols = 13
	for start := 0; start < len(ps); start += 60 {
		part := ps[start:min(start+60, len(ps))]
		args := make([]any, 0, len(part)*cols)
		for _, p := range part {
			category, err := json.Marshal(p.Category)
			if err != nil {
				return err
			}
			if p.Category == nil {
				category = []byte("[]")
			}
			attrs, err := json.Marshal(p.Attributes)
			if err != nil {
				return err
			}
			if p.Attributes == nil {
				attrs = []byte("{}")
			}
			args = append(args, p.SKU, p.JAN, p.Name, string(category), p.Brand, p.Price.Amount, p.Price.Currency, int(p.TaxRate),
				p.Consumable, p.RepurchaseDays, string(attrs), p.CreatedAt, p.UpdatedAt)
		}
		q := `INSERT INTO products (` + productCols + `) VALUES ` + strings.TrimSuffix(strings.Repeat("("+placeholders(cols)+"),", len(part)), ",") +
			` ON CONFLICT (sku) DO UPDATE SET jan = excluded.jan, name = excluded.name, category = excluded.category, brand = excluded.brand,
			price = excluded.price, currency = excluded.currency, tax_rate = excluded.tax_rate, consumable = excluded.consumable,
			repurchase_days = excluded.repurchase_days, attributes = excluded.attributes, updated_at = excluded.updated_at`
		if _, err := t.tx.ExecContext(ctx, t.db.rebind(q), args...); err != nil {
			if isUniqueViolation(err) { // a JAN another load took meanwhile
				return kizuna.Errorf(kizuna.ECONFLICT, "a JAN code of this load was given to another product meanwhile; send the load again")
			}
			return fmt.Errorf("store products: %w", err)
		}
	}
	return nil
}

func (t *catalogTx) Audit(ctx context.Context, entries ...audit.Entry) error {
	return t.db.appendAudit(ctx, t.conn, t.tx, entries)
}
