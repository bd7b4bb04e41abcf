package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func TestTillFindsAwardsAndRedeems(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 60)
	ctx := context.Background()
	// A member with a card and some points to spend.
	var member *customer.Customer
	cs, err := s.db.ListCustomers(ctx, customer.ListFilter{Status: customer.StatusActive, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		if len(cs[i].Profile.MemberCards) > 0 {
			if b, err := s.points.Balance(ctx, cs[i].ID); err == nil && b.Available >= 10 {
				member = &cs[i]
				break
			}
		}
	}
	if member == nil {
		t.Fatal("no demo member with a card and points")
	}
	cl := s.client(t)
	cl.session("staff")
	// The card scan names one member: straight to their till page.
	p := cl.get("/till?q=" + url.QueryEscape(member.Profile.MemberCards[0]))
	if p.Code != http.StatusSeeOther || p.Header.Get("Location") != "/till/"+member.ID {
		t.Fatalf("card scan: %d → %q", p.Code, p.Header.Get("Location"))
	}
	p = cl.get("/till/" + member.ID)
	for _, want := range []string{`id="sale-form"`, `id="hold-form"`, "利用可能", "渋谷"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("till page lacks %q", want)
		}
	}
	before, _ := s.points.Balance(ctx, member.ID)
	// "Today" is yesterday, so that tomorrow's sale is not in the future
	// for the order service, which keeps real time.
	today := time.Now().Add(-24 * time.Hour)
	s.setNow(today)
	key := func(day time.Time, receipt string) string {
		return "S001-" + day.In(i18n.Tokyo).Format("20060102") + "-" + receipt
	}
	// A purchase of ¥5,400: recorded once however often it is sent.
	sale := url.Values{"store": {"S001"}, "receipt": {"0042"}, "amount": {"5,400"}}
	var where string
	for range 2 {
		r := cl.post("/till/"+member.ID+"/sale", sale)
		if r.Code != http.StatusSeeOther {
			t.Fatalf("sale: %d %.300s", r.Code, r.Body)
		}
		if where != "" && r.Header.Get("Location") != where {
			t.Fatalf("the same receipt made another order: %s, %s", where, r.Header.Get("Location"))
		}
		where = r.Header.Get("Location")
	}
	if p := cl.get(where); !strings.Contains(p.Body, key(today, "0042")) || !strings.Contains(p.Body, "付与予定 54 ポイント") {
		t.Errorf("after the sale: %.2000s", p.Body)
	}
	o, err := s.orders.OrderByRef(ctx, commerce.OrderRef{Channel: "store", ExternalID: key(today, "0042")})
	if err != nil || o.CustomerID != member.ID || o.Total != 5400 || o.Store != "S001" {
		t.Fatalf("the till's order: %+v %v", o, err)
	}
	if b, _ := s.points.Balance(ctx, member.ID); b.Pending != before.Pending+54 {
		t.Fatalf("pending %d → %d, want +54", before.Pending, b.Pending)
	}
	// Redeem 10 points: hold, then commit.
	r := cl.post("/till/"+member.ID+"/hold", url.Values{"store": {"S001"}, "receipt": {"0043"}, "points": {"10"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("hold: %d %.300s", r.Code, r.Body)
	}
	hold := strings.TrimPrefix(r.Header.Get("Location"), "/till/"+member.ID+"?hold=")
	if p := cl.get(r.Header.Get("Location")); !strings.Contains(p.Body, "/till/holds/"+hold+"/commit") {
		t.Fatal("the hold offers no commit")
	}
	if r := cl.post("/till/holds/"+hold+"/commit", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("commit: %d %.300s", r.Code, r.Body)
	}
	if b, _ := s.points.Balance(ctx, member.ID); b.Available != before.Available-10 || b.Held != 0 {
		t.Fatalf("available %d → %d (held %d), want −10", before.Available, b.Available, b.Held)
	}
	// The sale those points paid for, food at the reduced rate: the order
	// records the points used and earns nothing on them (¥990 → 9 points).
	if r := cl.post("/till/"+member.ID+"/sale", url.Values{"store": {"S001"}, "receipt": {"0043"}, "amount": {"1000"}, "tax": {"8"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("sale paid in part with points: %d %.300s", r.Code, r.Body)
	}
	paid, err := s.orders.OrderByRef(ctx, commerce.OrderRef{Channel: "store", ExternalID: key(today, "0043")})
	if err != nil || paid.PointsUsed != 10 || paid.Lines[0].TaxRate != commerce.TaxReduced {
		t.Fatalf("the sale paid with points: %+v %v", paid, err)
	}
	if b, _ := s.points.Balance(ctx, member.ID); b.Pending != before.Pending+54+9 {
		t.Fatalf("pending %d → %d, want +54 +9", before.Pending, b.Pending)
	}
	// A customer merged into the member: their till page is the member's,
	// and a hold from a page opened before the merge takes the member's points.
	var other string
	for i := range cs {
		if cs[i].ID != member.ID {
			other = cs[i].ID
			break
		}
	}
	if _, err := s.ids.Merge(ctx, kizuna.Actor{Type: "user", ID: "usr_test"}, member.ID, other, "same person"); err != nil {
		t.Fatal(err)
	}
	if p := cl.get("/till/" + other); p.Code != http.StatusSeeOther || p.Header.Get("Location") != "/till/"+member.ID {
		t.Fatalf("a merged customer's till page: %d → %q", p.Code, p.Header.Get("Location"))
	}
	r = cl.post("/till/"+other+"/hold", url.Values{"store": {"S001"}, "receipt": {"0044"}, "points": {"5"}})
	if !strings.HasPrefix(r.Header.Get("Location"), "/till/"+member.ID+"?hold=") {
		t.Fatalf("a hold by a merged customer's page: %d → %q", r.Code, r.Header.Get("Location"))
	}
	if b, _ := s.points.Balance(ctx, member.ID); b.Held != 5 {
		t.Fatalf("the member holds %d points, want 5", b.Held)
	}
	if r := cl.post("/till/"+member.ID+"/sale", url.Values{"store": {"S001"}, "receipt": {""}, "amount": {"100"}}); r.Code < 400 {
		t.Errorf("a sale without receipt number answered %d", r.Code)
	}
	// The next day the register numbers its receipts from the start again:
	// receipt 0042 is a new sale, and 0043 a new hold, not yesterday's.
	tomorrow := today.Add(24 * time.Hour)
	s.setNow(tomorrow)
	if r := cl.post("/till/"+member.ID+"/sale", url.Values{"store": {"S001"}, "receipt": {"0042"}, "amount": {"1,000"}}); r.Code != http.StatusSeeOther || r.Header.Get("Location") == where {
		t.Fatalf("tomorrow's receipt 0042: %d → %q (today's sale was %q)", r.Code, r.Header.Get("Location"), where)
	}
	if o, err := s.orders.OrderByRef(ctx, commerce.OrderRef{Channel: "store", ExternalID: key(today, "0042")}); err != nil || o.Total != 5400 {
		t.Fatalf("today's sale after tomorrow's: %+v %v", o, err)
	}
	if o, err := s.orders.OrderByRef(ctx, commerce.OrderRef{Channel: "store", ExternalID: key(tomorrow, "0042")}); err != nil || o.Total != 1000 {
		t.Fatalf("tomorrow's sale: %+v %v", o, err)
	}
	r = cl.post("/till/"+member.ID+"/hold", url.Values{"store": {"S001"}, "receipt": {"0043"}, "points": {"1"}})
	if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/till/"+member.ID+"?hold=") || strings.HasSuffix(loc, "="+hold) {
		t.Fatalf("tomorrow's hold on receipt 0043: %d → %q (today's hold %s)", r.Code, loc, hold)
	}
	// A marketer has no till.
	cl = s.client(t)
	cl.session("marketer")
	if p := cl.get("/till"); p.Code != http.StatusForbidden {
		t.Errorf("marketer at the till: %d", p.Code)
	}
}
