package httpapi_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/postal"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestPostalCodes(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, key := h.apiKey(t, "pos", []string{auth.ScopeRead})

		// Before `kizuna postal import`, the answer says so.
		pr := wantProblem(t, h.do(t, "GET", "/api/v1/postal-codes/150-0043", key, nil), 404)
		if !strings.Contains(pr.Detail, "kizuna postal import") {
			t.Errorf("empty dictionary: %q", pr.Detail)
		}
		if err := db.ReplacePostalCodes(context.Background(), []postal.Entry{
			{Code: "1500043", Prefecture: "東京都", City: "渋谷区", Town: "道玄坂", TownKana: "ドウゲンザカ"},
			{Code: "1500043", Prefecture: "東京都", City: "渋谷区", Town: "道玄坂上"},
			{Code: "1500000", Prefecture: "東京都", City: "渋谷区"},
			{Code: "1830000", Prefecture: "東京都", City: "府中市"},
			{Code: "7260000", Prefecture: "広島県", City: "府中市"},
		}); err != nil {
			t.Fatal(err)
		}
		// A fresh server: the directory read the empty dictionary above.
		h = newHarness(t, db)

		var pc struct {
			Code    string
			Entries []postal.Entry
		}
		h.must(t, 200, "GET", "/api/v1/postal-codes/"+url.PathEscape("〒１５０－００４３"), key, nil).json(t, &pc)
		if pc.Code != "1500043" || len(pc.Entries) != 2 || pc.Entries[0].Town != "道玄坂" || pc.Entries[0].TownKana != "ドウゲンザカ" {
			t.Errorf("lookup: %+v", pc)
		}
		wantProblem(t, h.do(t, "GET", "/api/v1/postal-codes/1000001", key, nil), 404)
		pr = wantProblem(t, h.do(t, "GET", "/api/v1/postal-codes/12-34", key, nil), 400)
		if len(pr.Errors) == 0 || pr.Errors[0].Location != "path.code" {
			t.Errorf("bad code: %+v", pr)
		}

		var f struct {
			Code, Prefecture, City, Street string
			Town                           bool
			Entries                        []postal.Entry
		}
		h.must(t, 200, "GET", "/api/v1/postal-codes?address="+url.QueryEscape("東京都渋谷区道玄坂２丁目10-7"), key, nil).json(t, &f)
		if f.Code != "1500043" || !f.Town || f.City != "渋谷区" || f.Street != "道玄坂2丁目10-7" || len(f.Entries) != 2 {
			t.Errorf("find: %+v", f)
		}
		h.must(t, 200, "GET", "/api/v1/postal-codes?prefecture="+url.QueryEscape("広島県")+"&address="+url.QueryEscape("府中市府川町1"), key, nil).json(t, &f)
		if f.Code != "7260000" || f.Prefecture != "広島県" {
			t.Errorf("find with prefecture: %+v", f)
		}
		// 府中市 alone could be in Tokyo or Hiroshima.
		pr = wantProblem(t, h.do(t, "GET", "/api/v1/postal-codes?address="+url.QueryEscape("府中市宮町1"), key, nil), 404)
		if !strings.Contains(pr.Detail, "prefecture") {
			t.Errorf("ambiguous city: %q", pr.Detail)
		}
		wantProblem(t, h.do(t, "GET", "/api/v1/postal-codes?address=", key, nil), 422)
		wantProblem(t, h.do(t, "GET", "/api/v1/postal-codes/1500043", "", nil), 401)
	})
}
