package sqlstore_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/postal"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestPostalDictionary(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		var entries []postal.Entry
		if err := postal.ReadFile("../../postal/testdata/KEN_ALL_sample.CSV", func(e postal.Entry) error { entries = append(entries, e); return nil }); err != nil {
			t.Fatal(err)
		}
		// Two towns under one code keep their order.
		entries = append(entries, postal.Entry{Code: "1500043", Prefecture: "東京都", City: "渋谷区", Town: "道玄坂上"})
		// Enough rows to use the multi-row statements and a partial last one.
		for i := range 1203 {
			entries = append(entries, postal.Entry{Code: "9" + string(rune('0'+i/1000%10)) + string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + "00", Prefecture: "沖縄県", City: "テスト市"})
		}
		if err := db.ReplacePostalCodes(ctx, entries); err != nil {
			t.Fatal(err)
		}
		got, err := db.PostalCode(ctx, "1500043")
		if err != nil || len(got) != 2 || got[0].Town != "道玄坂" || got[1].Town != "道玄坂上" {
			t.Fatalf("1500043: %+v %v", got, err)
		}
		got, _ = db.PostalCode(ctx, "0600042")
		if len(got) != 1 || !reflect.DeepEqual(got[0], entries[1]) {
			t.Errorf("0600042: %+v, want %+v", got, entries[1])
		}
		if n, _ := db.PostalCodeCount(ctx); n != len(entries) {
			t.Errorf("count %d, want %d", n, len(entries))
		}
		// In any order: PostgreSQL sorts text by the database's collation.
		places, err := db.PostalPlaces(ctx)
		byName := func(a, b postal.Place) int {
			return strings.Compare(a.Prefecture+"\x00"+a.City, b.Prefecture+"\x00"+b.City)
		}
		slices.SortFunc(places, byName)
		if err != nil || !reflect.DeepEqual(places, postal.Places(entries)) {
			t.Errorf("places: %+v %v, want %+v", places, err, postal.Places(entries))
		}
		area, err := db.PostalArea(ctx, postal.Place{Prefecture: "東京都", City: "渋谷区"})
		if err != nil || len(area) != 3 || area[0].Code != "1500001" || area[1].Town != "道玄坂" || area[2].Town != "道玄坂上" {
			t.Errorf("area 東京都渋谷区: %+v %v", area, err)
		}
		// A failed import leaves the previous dictionary whole.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := db.ReplacePostalCodes(cancelled, entries[:3]); err == nil {
			t.Fatal("import with a cancelled context succeeded")
		}
		if n, _ := db.PostalCodeCount(ctx); n != len(entries) {
			t.Errorf("after a failed import: %d entries, want %d", n, len(entries))
		}
		// A new import replaces, never adds.
		if err := db.ReplacePostalCodes(ctx, entries[:3]); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.PostalCodeCount(ctx); n != 3 {
			t.Errorf("after replacing: %d entries", n)
		}
		if got, _ := db.PostalCode(ctx, "9000000"); len(got) != 0 {
			t.Errorf("old entry survived: %+v", got)
		}
	})
}
