package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// A marketer exports a list: personal columns come masked, the file is
// audited under her name; an admin gets the data; the form offers it.
func TestExportThroughTheConsole(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 30)
	c := s.client(t)
	c.session("marketer")
	if p := c.get("/export"); p.Code != 200 || !strings.Contains(p.Body, "伏せ字") || !strings.Contains(p.Body, `value="csv-sjis"`) {
		t.Fatalf("export page: %d %.400s", p.Code, p.Body)
	}
	p := c.post("/export", url.Values{"format": {"csv"}, "columns": {"customer_id", "family_name", "email", "prefecture"}})
	if p.Code != 200 || !strings.HasPrefix(p.Body, "\ufeff顧客ID,姓,メールアドレス,都道府県\r\n") || !strings.Contains(p.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export: %d %v %.300s", p.Code, p.Header, p.Body)
	}
	list, err := s.db.ListCustomers(context.Background(), customer.ListFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	emails := 0
	for _, cu := range list {
		for _, e := range cu.Profile.Emails {
			emails++
			if strings.Contains(p.Body, e) {
				t.Errorf("a marketer's export holds the e-mail address %s", e)
			}
		}
	}
	if emails == 0 || strings.Count(p.Body, "@") < emails/2 {
		t.Errorf("%d e-mail addresses, the export shows %d masked", emails, strings.Count(p.Body, "@"))
	}
	entries, err := s.db.AuditEntries(context.Background(), audit.Filter{Action: "customer.export"})
	if err != nil || len(entries) != 1 || entries[0].ActorType != "user" || !strings.Contains(string(entries[0].Detail), `"masked":true`) {
		t.Fatalf("export audit: %+v %v", entries, err)
	}
	if p := c.post("/export", url.Values{"format": {"csv"}}); p.Code != 422 {
		t.Errorf("no columns: %d", p.Code)
	}

	a := s.client(t)
	a.session("admin")
	p = a.post("/export", url.Values{"format": {"csv"}, "columns": {"email"}})
	if p.Code != 200 || strings.Contains(p.Body, "***") {
		t.Errorf("an admin's export is masked: %d %.300s", p.Code, p.Body)
	}
	st := s.client(t)
	st.session("staff")
	if p := st.get("/export"); p.Code != 403 {
		t.Errorf("store staff may open the export page: %d", p.Code)
	}
}
