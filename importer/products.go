package importer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/normalize"
)

// ProductFields are the targets a column of a product file can map to;
// "attr.NAME" maps to an attribute.
var ProductFields = []string{"sku", "jan", "name", "category", "brand", "price", "currency", "tax_rate", "consumable", "repurchase_days"}

// productHeaderAliases are header spellings of product masters (商品マスタ)
// exported from POS and EC systems, folded like headerAliases.
var productHeaderAliases = map[string]string{
	"sku": "sku", "商品コード": "sku", "品番": "sku", "商品番号": "sku", "itemcode": "sku", "productcode": "sku",
	"jan": "jan", "janコード": "jan", "jancode": "jan", "ean": "jan", "ean13": "jan", "バーコード": "jan", "barcode": "jan", "gtin": "jan",
	"name": "name", "商品名": "name", "品名": "name", "productname": "name", "itemname": "name",
	"category": "category", "カテゴリ": "category", "カテゴリー": "category", "分類": "category", "商品分類": "category",
	"brand": "brand", "ブランド": "brand", "メーカー": "brand", "maker": "brand",
	"price": "price", "価格": "price", "税込価格": "price", "売価": "price", "販売価格": "price", "税込売価": "price", "pricetaxincluded": "price",
	"currency": "currency", "通貨": "currency",
	"taxrate": "tax_rate", "税率": "tax_rate", "消費税率": "tax_rate", "tax": "tax_rate",
	"consumable": "consumable", "消耗品": "consumable",
	"repurchasedays": "repurchase_days", "購入周期": "repurchase_days", "購入周期日": "repurchase_days", "購入サイクル": "repurchase_days", "リピート周期": "repurchase_days",
}

// ProductMapping maps the columns of a product file to product fields.
type ProductMapping struct {
	Headers []string
	Fields  []string // per column: a field, "attr.NAME", or "" (ignored)
}

// AutoMapProducts maps a product file's headers; a file without a SKU or a
// name column is refused before any row is read.
func AutoMapProducts(headers []string, overrides map[string]string) (ProductMapping, error) {
	fields, err := autoMap(headers, overrides, productHeaderAliases, ProductFields)
	m := ProductMapping{Headers: headers, Fields: fields}
	if err != nil {
		return m, err
	}
	for _, need := range []string{"sku", "name", "price", "tax_rate"} {
		if !slices.Contains(m.Fields, need) {
			return m, fmt.Errorf("no column for %s (columns: %s); name one with --map COLUMN=%s", need, strings.Join(headers, ", "), need)
		}
	}
	return m, nil
}

// ToProduct reads one row as a product; a value that cannot be read is a
// reject naming its column. The product's own rules (JAN check digit, tax
// rate) are checked by the catalog.
func (m ProductMapping) ToProduct(row Row) (commerce.Product, *Reject) {
	p := commerce.Product{Price: commerce.Money{Currency: "JPY"}}
	for col, field := range m.Fields {
		if field == "" || col >= len(row.Values) {
			continue
		}
		raw := strings.TrimSpace(Unformula(row.Values[col]))
		v := normalize.Text(raw)
		reject := func(format string, args ...any) (commerce.Product, *Reject) {
			return commerce.Product{}, &Reject{Line: row.Line, Column: m.Headers[col], Reason: fmt.Sprintf(format, args...), Values: row.Values}
		}
		switch field {
		case "sku":
			p.SKU = v
		case "jan":
			p.JAN = v
		case "name":
			p.Name = raw // as written: full-width letters in a name are the retailer's choice
		case "brand":
			p.Brand = raw
		case "category":
			p.Category = splitCategory(raw)
		case "currency":
			if v != "" {
				p.Price.Currency = strings.ToUpper(v)
			}
		case "price":
			n, err := strconv.ParseInt(strings.NewReplacer(",", "", "¥", "", "￥", "", "円", "", "\\", "").Replace(v), 10, 64)
			if err != nil {
				return reject("price %q is not a whole amount (yen)", v)
			}
			p.Price.Amount = n
		case "tax_rate":
			r, ok := taxRate(v)
			if !ok {
				return reject("tax rate %q: write 10, 8 (or 軽減) or 0", v)
			}
			p.TaxRate = r
		case "consumable":
			b, ok := yesNo(v)
			if !ok {
				return reject("consumable %q: write 1/0, true/false or はい/いいえ", v)
			}
			p.Consumable = b
		case "repurchase_days":
			if v == "" {
				continue
			}
			n, err := strconv.Atoi(strings.TrimSuffix(v, "日"))
			if err != nil {
				return reject("repurchase_days %q is not a number of days", v)
			}
			p.RepurchaseDays = n
		default:
			if name, ok := strings.CutPrefix(field, "attr."); ok && v != "" {
				if p.Attributes == nil {
					p.Attributes = map[string]string{}
				}
				p.Attributes[name] = raw
			}
		}
	}
	return p, nil
}

// splitCategory reads a category path written with /, > or ＞ between
// levels ("食品/飲料/日本茶", "食品 > 飲料").
func splitCategory(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '>' || r == '＞' || r == '／' })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func taxRate(v string) (commerce.TaxRate, bool) {
	switch strings.TrimSuffix(strings.TrimSpace(v), "%") {
	case "10", "標準", "0.1", "0.10":
		return commerce.TaxStandard, true
	case "8", "軽減", "0.08":
		return commerce.TaxReduced, true
	case "0", "非課税", "対象外":
		return commerce.TaxExempt, true
	}
	return 0, false
}

func yesNo(v string) (bool, bool) {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "y", "はい", "○", "◯", "有":
		return true, true
	case "", "0", "false", "no", "n", "いいえ", "×", "無":
		return false, true
	}
	return false, false
}

// ColumnFor names the column a product field came from ("" when none did):
// for a rejection by the catalog, which knows fields, not columns.
func (m ProductMapping) ColumnFor(field string) string {
	field, _, _ = strings.Cut(field, ".") // price.amount → price
	if i := slices.Index(m.Fields, field); i >= 0 {
		return m.Headers[i]
	}
	return ""
}
