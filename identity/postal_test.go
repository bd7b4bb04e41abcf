package identity_test

import (
	"context"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/postal"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// With the Japan Post dictionary loaded, an address that leaves out its
// prefecture or city gets them from its postal code, and one without a
// postal code gets the one its town has; an address written whole in one
// column is split; what a record says is never overwritten.
func TestAddressesCompletedFromThePostalCode(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		if err := db.ReplacePostalCodes(ctx, []postal.Entry{
			{Code: "1500043", Prefecture: "東京都", City: "渋谷区", Town: "道玄坂"},
			{Code: "1500043", Prefecture: "東京都", City: "渋谷区", Town: "道玄坂上"},
			{Code: "4980000", Prefecture: "愛知県", City: "弥富市", Town: ""},
			{Code: "4980000", Prefecture: "三重県", City: "桑名郡木曽岬町", Town: ""},
		}); err != nil {
			t.Fatal(err)
		}
		svc := identity.New(db, db)
		withDemoChannels(t, svc)
		res := ingest(t, svc,
			in("store", "A-1", `{"family_name":"高橋","addresses":[{"postal_code":"150-0043","street":"渋谷区道玄坂1-2-3"}]}`),
			in("store", "A-2", `{"family_name":"佐藤","addresses":[{"street":"東京都渋谷区道玄坂二丁目1番"}]}`),
			in("store", "A-3", `{"family_name":"鈴木","addresses":[{"postal_code":"1500043","prefecture":"大阪府","street":"北区1-1"}]}`),
			in("store", "A-4", `{"family_name":"田中","addresses":[{"postal_code":"498-0000","street":"1-1"}]}`),
			in("store", "A-5", `{"family_name":"伊藤","addresses":[{"postal_code":"100-0001","street":"千代田1-1"}]}`))
		want := []customer.Address{
			{PostalCode: "1500043", Prefecture: "東京都", City: "渋谷区", Street: "道玄坂1-2-3"},
			{PostalCode: "1500043", Prefecture: "東京都", City: "渋谷区", Street: "道玄坂二丁目1番"}, // no code: found from the address
			{PostalCode: "1500043", Prefecture: "大阪府", Street: "北区1-1"},                 // disagrees with the code: left as sent
			{PostalCode: "4980000", Street: "1-1"},                                      // a code over two prefectures
			{PostalCode: "1000001", Street: "千代田1-1"},                                   // not in the dictionary
		}
		for i, r := range res {
			if r.Status != identity.ResultCreated {
				t.Fatalf("record %d: %+v", i, r)
			}
			c, err := svc.Get(ctx, r.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Profile.Addresses) != 1 || c.Profile.Addresses[0] != want[i] {
				t.Errorf("record %d: address %+v, want %+v", i, c.Profile.Addresses, want[i])
			}
		}
	})
}
