package importer

import (
	"strings"
	"testing"
)

func TestProductMapping(t *testing.T) {
	m, err := AutoMapProducts([]string{"SKU", "EAN", "Product Name", "Category", "Price (tax included)", "Tax Rate", "Colour"}, map[string]string{"Colour": "attr.colour"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Fields, ","); got != "sku,jan,name,category,price,tax_rate,attr.colour" {
		t.Errorf("English headers map to %s", got)
	}
	p, rej := m.ToProduct(Row{Line: 2, Values: []string{"SHIRT-1", "4006381333931", "Ｔシャツ", "衣料／トップス", "２，９９０円", "１０％", "紺"}})
	if rej != nil {
		t.Fatal(rej)
	}
	if p.Price.Amount != 2990 || p.TaxRate != 10 || strings.Join(p.Category, ">") != "衣料>トップス" || p.Attributes["colour"] != "紺" || p.Name != "Ｔシャツ" {
		t.Errorf("row read as %+v", p)
	}
	if m.ColumnFor("price.amount") != "Price (tax included)" || m.ColumnFor("brand") != "" {
		t.Error("ColumnFor names the column a field came from")
	}
	if _, err := AutoMapProducts([]string{"商品コード", "商品名", "価格"}, nil); err == nil || !strings.Contains(err.Error(), "no column for tax_rate") {
		t.Errorf("a file without a tax rate column: %v", err)
	}
	if _, err := AutoMapProducts([]string{"商品コード", "商品名", "価格", "税率"}, map[string]string{"価格": "cost"}); err == nil || !strings.Contains(err.Error(), `unknown field "cost"`) {
		t.Errorf("an unknown field: %v", err)
	}
}
