package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
)

func TestProductsImport(t *testing.T) {
	k, path := migrated(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "商品マスタ.csv")
	body := "商品コード,JANコード,商品名,カテゴリ,ブランド,税込価格,税率,消耗品,購入周期,産地\n" +
		"TEA-100,４９０１２３４５６７８９４,静岡 深蒸し煎茶 100g,食品 > 飲料 > 日本茶,茶匠,\"1,080\",軽減,はい,30日,静岡県\n" +
		"MUG-1,4006381333931,有田焼 湯呑み,食器,,\"￥3,300\",10%,,,佐賀県\n" +
		"BAD-JAN,4006381333932,何か,,,100,10,,,\n" +
		"BAD-PRICE,,何か,,,百円,10,,,\n" +
		"BAD-TAX,,何か,,,100,5%,,,\n" +
		"SHORT,row\n" +
		"MUG-2,4006381333931,有田焼 湯呑み 青,食器,,3300,10,,,\n" // MUG-1's JAN, two lines up
	sjis, _, err := transform.String(japanese.ShiftJIS.NewEncoder(), body)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, []byte(sjis), 0o644)

	k.fails(2, []string{"name the file"}, "products", "import")
	k.fails(2, []string{`no column for price`}, "products", "import", file, "--map", "税込価格=")
	mustContain(t, "dry run", k.ok("products", "import", file, "--dry-run", "--map", "産地=attr.origin"), "nothing stored", "2 valid, 5 rejected")
	out := k.ok("products", "import", file, "--map", "産地=attr.origin")
	mustContain(t, "import", out, "2 created, 0 updated, 0 unchanged, 0 valid, 5 rejected", "商品マスタ.csv.rejects.csv")
	rej := mustRead(t, file+".rejects.csv")
	if i4, i5 := strings.Index(rej, "\n4,"), strings.Index(rej, "\n5,"); i4 < 0 || i4 > i5 {
		t.Errorf("rejects not in line order:\n%s", rej)
	}
	for _, want := range []string{"\uFEFFline,column,reason,理由,商品コード", "4,JANコード,", "check digit 2", `5,税込価格,"price ""百円"" is not a whole amount`,
		`6,税率,"tax rate ""5%""`, `7,,"2 fields, the header has 10",項目が2個あります（見出しは10個）,SHORT,row`,
		`8,JANコード,"""4006381333931"" is also on line 3 of this file: a JAN names one product",「4006381333931」はこのファイルの3行目にもあります。`} {
		if !strings.Contains(rej, want) {
			t.Errorf("rejects file lacks %q:\n%s", want, rej)
		}
	}
	var jan, category, attrs string
	var price, rate, days int
	var consumable bool
	if err := openSQL(t, path).QueryRow(`SELECT jan, category, attributes, price, tax_rate, repurchase_days, consumable FROM products WHERE sku = 'TEA-100'`).
		Scan(&jan, &category, &attrs, &price, &rate, &days, &consumable); err != nil {
		t.Fatal(err)
	}
	if jan != "4901234567894" || category != `["食品","飲料","日本茶"]` || attrs != `{"origin":"静岡県"}` || price != 1080 || rate != 8 || days != 30 || !consumable {
		t.Errorf("stored TEA-100: jan %s, category %s, attributes %s, price %d, rate %d, every %d days, consumable %v", jan, category, attrs, price, rate, days, consumable)
	}
	// Loading the same file again changes nothing.
	mustContain(t, "re-import", k.ok("products", "import", file, "--map", "産地=attr.origin"), "0 created, 0 updated, 2 unchanged")
}
