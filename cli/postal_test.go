package cli_test

import (
	"testing"
)

func TestPostalImportAndLookup(t *testing.T) {
	k, _ := migrated(t)
	k.fails(1, []string{"the postal code dictionary is empty", "kizuna postal import"}, "postal", "lookup", "150-0043")
	k.fails(2, []string{"name the file"}, "postal", "import")
	k.fails(1, []string{"the postal code dictionary is empty"}, "postal", "lookup", "東京都渋谷区道玄坂1-1")
	k.fails(1, []string{"no such file"}, "postal", "import", "testdata/none.csv")
	for _, f := range []string{"../postal/testdata/KEN_ALL_sample.CSV", "../postal/testdata/utf_ken_all_sample.csv"} {
		mustContain(t, "postal import "+f, k.ok("postal", "import", f), "postal codes imported: 7 entries, 7 distinct codes")
	}
	mustContain(t, "postal lookup", k.ok("postal", "lookup", "〒１５０－００４３"), "〒150-0043 東京都渋谷区道玄坂", "トウキョウト シブヤク ドウゲンザカ")
	mustContain(t, "postal lookup note", k.ok("postal", "lookup", "0600042"), "北海道札幌市中央区大通西（1~19丁目）")
	k.fails(1, []string{"no address has postal code 999-9999"}, "postal", "lookup", "9999999")
	k.fails(1, []string{`"15-0043" is neither a postal code nor an address`}, "postal", "lookup", "15-0043")
	// An address finds its postal code.
	mustContain(t, "postal lookup by address", k.ok("postal", "lookup", "東京都渋谷区道玄坂２丁目10-7"), "〒150-0043 東京都渋谷区道玄坂")
	mustContain(t, "postal lookup by address and 丁目", k.ok("postal", "lookup", "北海道札幌市中央区大通西3丁目"), "〒060-0042 北海道札幌市中央区大通西")
	mustContain(t, "audit", k.ok("audit", "verify"), "audit trail intact")
}
