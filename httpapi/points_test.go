package httpapi_test

import (
	"testing"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestPointsAPI(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db, func(d *httpapi.Deps) { d.Points = loyalty.New(db) })
		_, till := h.apiKey(t, "pos", []string{auth.ScopeRead, auth.ScopeWrite})
		_, reader := h.apiKey(t, "bi", []string{auth.ScopeRead})
		_, admin := h.adminKey(t)
		var src struct {
			CustomerID string `json:"customer_id"`
		}
		h.must(t, 201, "POST", "/api/v1/source-profiles", till, map[string]any{"channel": "store", "external_id": "M-1",
			"profile": map[string]any{"family_name": "中村", "member_cards": []string{"2100-0000-0100"}}}).json(t, &src)
		base := "/api/v1/customers/" + src.CustomerID + "/points"

		// An apology from customer service: within the API's limit, audited; beyond it, refused.
		var e loyalty.LedgerEntry
		h.must(t, 201, "POST", base+"/adjustments", till, map[string]any{"points": 500, "reason": "お詫びポイント", "ref": "cs-1"}).json(t, &e)
		if e.Points != 500 || e.Kind != loyalty.KindAdjust {
			t.Fatalf("adjustment: %+v", e)
		}
		wantProblem(t, h.do(t, "POST", base+"/adjustments", till, map[string]any{"points": 5000, "reason": "x"}), 403)
		wantProblem(t, h.do(t, "POST", base+"/adjustments", reader, map[string]any{"points": 5, "reason": "x"}), 403)

		// The till holds 300, a retry answers the same hold, more than is left is a conflict.
		hold := map[string]any{"customer_id": src.CustomerID, "points": 300, "ref": "S001-POS2-0042", "order_ref": "R-0042"}
		var hd loyalty.Hold
		h.must(t, 201, "POST", "/api/v1/points/holds", till, hold).json(t, &hd)
		var again loyalty.Hold
		h.must(t, 200, "POST", "/api/v1/points/holds", till, hold).json(t, &again)
		if again.ID != hd.ID {
			t.Fatalf("a retried hold made another: %s, %s", hd.ID, again.ID)
		}
		wantProblem(t, h.do(t, "POST", "/api/v1/points/holds", till, map[string]any{"customer_id": src.CustomerID, "points": 201, "ref": "S001-POS2-0043"}), 409)
		var b loyalty.Balance
		h.must(t, 200, "GET", base, reader, nil).json(t, &b)
		if b.Available != 200 || b.Held != 300 {
			t.Fatalf("balance while held: %+v", b)
		}
		h.must(t, 200, "POST", "/api/v1/points/holds/"+hd.ID+"/commit", till, nil).json(t, &hd)
		pr := wantProblem(t, h.do(t, "POST", "/api/v1/points/holds/"+hd.ID+"/release", till, nil), 409)
		if pr.Current != "committed" {
			t.Errorf("release after commit: %+v", pr)
		}
		wantProblem(t, h.do(t, "POST", "/api/v1/points/holds/hld_nope/commit", till, nil), 404)

		var st struct {
			Items     []loyalty.LedgerEntry
			NextAfter int64 `json:"next_after"`
		}
		h.must(t, 200, "GET", base+"/entries?limit=2", reader, nil).json(t, &st)
		if len(st.Items) != 2 || st.NextAfter != 2 || st.Items[0].Kind != "adjust" || st.Items[1].Kind != "hold" {
			t.Fatalf("statement page 1: %+v", st)
		}
		st.Items, st.NextAfter = nil, 0
		h.must(t, 200, "GET", base+"/entries?after=2", reader, nil).json(t, &st)
		if len(st.Items) != 1 || st.Items[0].Kind != "commit" || st.NextAfter != 0 {
			t.Fatalf("statement page 2: %+v", st)
		}
		var exp struct{ Items []loyalty.Expiring }
		h.must(t, 200, "GET", "/api/v1/points/expiring?days=366", reader, nil).json(t, &exp)
		if len(exp.Items) != 1 || exp.Items[0].Points != 200 {
			t.Fatalf("expiring: %+v", exp)
		}

		// A till that scans the card of a customer since merged into this
		// one holds this one's points.
		var other struct {
			CustomerID string `json:"customer_id"`
		}
		h.must(t, 201, "POST", "/api/v1/source-profiles", till, map[string]any{"channel": "ec", "external_id": "E-7",
			"profile": map[string]any{"family_name": "中村", "emails": []string{"nakamura@example.jp"}}}).json(t, &other)
		h.must(t, 200, "POST", "/api/v1/customers/"+src.CustomerID+"/merge", admin, map[string]string{"merged_id": other.CustomerID, "reason": "same person"})
		h.must(t, 201, "POST", "/api/v1/points/holds", till, map[string]any{"customer_id": other.CustomerID, "points": 50, "ref": "S001-POS2-0044"}).json(t, &hd)
		if hd.CustomerID != src.CustomerID {
			t.Fatalf("a hold by the merged customer's ID is on %s, want the survivor %s", hd.CustomerID, src.CustomerID)
		}
		h.must(t, 200, "POST", "/api/v1/points/holds/"+hd.ID+"/release", till, nil)
		// So does an adjustment, and the merged ID's balance is the survivor's.
		var adj loyalty.LedgerEntry
		h.must(t, 201, "POST", "/api/v1/customers/"+other.CustomerID+"/points/adjustments", till, map[string]any{"points": 30, "reason": "お詫び", "ref": "cs-merged"}).json(t, &adj)
		if adj.CustomerID != src.CustomerID {
			t.Fatalf("an adjustment by the merged customer's ID went to %s, want the survivor %s", adj.CustomerID, src.CustomerID)
		}
		var viaMerged, viaSurvivor loyalty.Balance
		h.must(t, 200, "GET", "/api/v1/customers/"+other.CustomerID+"/points", reader, nil).json(t, &viaMerged)
		h.must(t, 200, "GET", "/api/v1/customers/"+src.CustomerID+"/points", reader, nil).json(t, &viaSurvivor)
		if viaMerged.CustomerID != src.CustomerID || viaMerged.Available != viaSurvivor.Available {
			t.Fatalf("the merged ID's balance %+v, the survivor's %+v", viaMerged, viaSurvivor)
		}

		// The program: anyone may read it, only an administrator change it.
		var p loyalty.Program
		h.must(t, 200, "GET", "/api/v1/points/program", reader, nil).json(t, &p)
		p.Rate = 2
		wantProblem(t, h.do(t, "PUT", "/api/v1/points/program", till, p), 403)
		h.must(t, 200, "PUT", "/api/v1/points/program", admin, p).json(t, &p)
		p.Rate = -1
		pr = wantProblem(t, h.do(t, "PUT", "/api/v1/points/program", admin, p), 400)
		if len(pr.Errors) == 0 || pr.Errors[0].Location != "body.rate" {
			t.Errorf("a negative rate: %+v", pr)
		}
		h.must(t, 200, "GET", "/api/v1/points/program", reader, nil).json(t, &p)
		if p.Rate != 2 {
			t.Fatalf("program after PUT: %+v", p)
		}
	})
}
