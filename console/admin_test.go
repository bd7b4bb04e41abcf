package console_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/cli"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

var keyRE = regexp.MustCompile(`<code id="new-secret">(kz_[^<]+)</code>`)

func TestAdministration(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 5)
		ctx := context.Background()
		adm := s.client(t)
		adm.session("admin")

		// Users: add one, then sign in as them; change the role; disable.
		if p := adm.post("/admin/users", url.Values{"username": {"Bad Name"}, "role": {"support"}, "password": {"long-enough-pass"}}); p.Code != http.StatusUnprocessableEntity {
			t.Errorf("invalid username: %d", p.Code)
		}
		if p := adm.post("/admin/users", url.Values{"username": {"hanako.s"}, "display_name": {"佐藤 花子"}, "role": {"store_staff"}, "password": {"long-enough-pass"}}); p.Code != 200 || !strings.Contains(p.Body, "hanako.s") {
			t.Fatalf("add user: %d", p.Code)
		}
		if p := adm.post("/admin/users", url.Values{"username": {"hanako.s"}, "role": {"support"}, "password": {"long-enough-pass"}}); p.Code != http.StatusUnprocessableEntity {
			t.Errorf("duplicate username: %d", p.Code)
		}
		u, err := db.UserByName(ctx, "hanako.s")
		if err != nil || u.Role != auth.RoleStoreStaff {
			t.Fatalf("user not stored: %v", err)
		}
		hc := s.client(t)
		if p := hc.login("hanako.s", "long-enough-pass"); p.Code != http.StatusSeeOther {
			t.Fatalf("new user's sign-in: %d", p.Code)
		}
		if p := hc.get("/admin"); p.Code != http.StatusForbidden || !strings.Contains(p.Body, "権限がありません") {
			t.Errorf("store clerk on /admin: %d", p.Code)
		}
		if p := adm.post("/admin/users/"+u.ID, url.Values{"action": {"role"}, "role": {"auditor"}}); p.Code != 200 {
			t.Errorf("change role: %d", p.Code)
		}
		if p := hc.get("/audit"); p.Code != 200 {
			t.Errorf("the new role does not apply at once: %d", p.Code)
		}
		if p := adm.post("/admin/users/"+u.ID, url.Values{"action": {"disable"}}); p.Code != 200 {
			t.Errorf("disable: %d", p.Code)
		}
		if p := hc.get("/"); p.Code != http.StatusSeeOther {
			t.Errorf("disabled user still signed in: %d", p.Code)
		}
		me, _ := db.UserByName(ctx, "admin")
		if p := adm.post("/admin/users/"+me.ID, url.Values{"action": {"disable"}}); p.Code != http.StatusUnprocessableEntity {
			t.Errorf("an admin disabled themselves: %d", p.Code)
		}

		// API keys: the secret is shown once and works against the API.
		p := adm.post("/admin/apikeys", url.Values{"name": {"POS 渋谷店"}, "scopes": {"read", "write"}, "channels": {"store"}})
		m := keyRE.FindStringSubmatch(p.Body)
		if p.Code != 200 || m == nil {
			t.Fatalf("create key: %d %.300s", p.Code, p.Body)
		}
		req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/api/v1/channels", nil)
		req.Header.Set("Authorization", "Bearer "+m[1])
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("the new key does not work: %v %v", err, res)
		}
		res.Body.Close()
		if p := adm.get("/admin?tab=apikeys"); strings.Contains(p.Body, m[1]) {
			t.Error("the secret is shown a second time")
		}
		if p := adm.post("/admin/apikeys", url.Values{"name": {"x"}, "scopes": {"read"}, "channels": {"nosuch"}}); p.Code != http.StatusUnprocessableEntity {
			t.Errorf("key for an unknown channel: %d", p.Code)
		}
		keys, _ := db.APIKeys(ctx)
		if p := adm.post("/admin/apikeys/"+keys[0].ID+"/revoke", nil); p.Code != 200 {
			t.Errorf("revoke: %d", p.Code)
		}

		// Channels, stores with coordinates, survivorship.
		if p := adm.post("/admin/channels", url.Values{"code": {"zozo"}, "name": {"ZOZOTOWN店"}, "kind": {"marketplace"}, "priority": {"60"}}); p.Code != 200 {
			t.Errorf("save channel: %d %.300s", p.Code, p.Body)
		}
		if p := adm.post("/admin/stores", url.Values{"code": {"umeda"}, "name": {"梅田店"}, "channel": {"store"}, "prefecture": {"大阪府"}, "latitude": {"北緯"}, "longitude": {"135.5"}}); p.Code != http.StatusUnprocessableEntity {
			t.Errorf("store with bad coordinates: %d", p.Code)
		}
		if p := adm.post("/admin/stores", url.Values{"code": {"umeda"}, "name": {"梅田店"}, "channel": {"store"}, "prefecture": {"大阪府"}, "address": {"大阪市北区"}, "latitude": {"34.7025"}, "longitude": {"135.4959"}}); p.Code != 200 || !strings.Contains(p.Body, "34.70250, 135.49590") {
			t.Errorf("save store: %d", p.Code)
		}
		if p := adm.post("/admin/survivorship", url.Values{"default": {"most_recent"}, "rule_" + customer.FieldBirthDate: {"most_frequent"}}); p.Code != 200 {
			t.Errorf("survivorship: %d %.300s", p.Code, p.Body)
		}
		rules, _ := db.Survivorship(ctx)
		if rules.Default != customer.RuleMostRecent || rules.Fields[customer.FieldBirthDate] != customer.RuleMostFrequent {
			t.Errorf("rules not saved: %+v", rules)
		}
		if p := adm.post("/admin/survivorship", url.Values{"default": {"whatever"}}); p.Code != http.StatusUnprocessableEntity {
			t.Errorf("invalid rule: %d", p.Code)
		}
		for _, tab := range []string{"users", "apikeys", "terminals", "channels", "stores", "survivorship"} {
			if p := adm.get("/admin?tab=" + tab); p.Code != 200 {
				t.Errorf("tab %s: %d", tab, p.Code)
			}
		}
	})
}

func TestAuditViewerExportAndVerify(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 30)
		c, _ := s.someCustomer(t)
		aud := s.client(t)
		aud.login("auditor", cli.DemoAdminPassword)
		adm := s.client(t)
		adm.session("admin")
		adm.get("/customers/" + c.ID)
		actionsOf(t, db, audit.Filter{}) // let the batcher write
		p := aud.get("/audit?customer=" + c.ID)
		if p.Code != 200 || !strings.Contains(p.Body, "customer.view") {
			t.Fatalf("audit filtered by customer: %d", p.Code)
		}
		if p := aud.get("/audit?actor=admin&action=customer.view"); !strings.Contains(p.Body, c.ID) {
			t.Error("filter by username and action does not find the view")
		}
		if p := aud.get("/audit?from=2020-13-45"); p.Code != http.StatusBadRequest {
			t.Errorf("bad date: %d", p.Code)
		}
		ex := aud.get("/audit/export.csv?customer=" + c.ID)
		if ex.Code != 200 || !strings.HasPrefix(ex.Body, "\uFEFFseq,at,") || !strings.Contains(ex.Body, "customer.view") {
			t.Fatalf("export: %d %.200s", ex.Code, ex.Body)
		}
		v := aud.do(http.MethodPost, "/audit/verify", url.Values{"csrf": {aud.csrf}}, "HX-Request", "true", "HX-Target", "verify")
		if v.Code != 200 || !strings.Contains(v.Body, "改ざんは見つかりませんでした") || strings.Contains(v.Body, "<html") {
			t.Fatalf("verify: %d %.300s", v.Code, v.Body)
		}
		got := actionsOf(t, db, audit.Filter{})
		for _, want := range []string{"audit.export", "audit.verify", "audit.read"} {
			if !slices.Contains(got, want) {
				t.Errorf("trail lacks %s", want)
			}
		}
	})
}

func TestDashboardData(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 60)
	c := s.client(t)
	c.session("marketer")
	p := c.get("/")
	if p.Code != 200 || !strings.Contains(p.Body, `id="chart-overlap"`) || !strings.Contains(p.Body, "/static/vendor/chart.umd.min.js") {
		t.Fatalf("dashboard: %d", p.Code)
	}
	j := c.get("/dashboard/stats.json")
	var d struct {
		Channels struct {
			Labels []string `json:"labels"`
			Counts []int    `json:"counts"`
		} `json:"channels"`
		Overlap struct {
			Labels []string `json:"labels"`
			Counts []int    `json:"counts"`
		} `json:"overlap"`
		Weeks struct {
			Labels []string `json:"labels"`
		} `json:"weeks"`
	}
	if err := json.Unmarshal([]byte(j.Body), &d); err != nil {
		t.Fatalf("stats: %v %.200s", err, j.Body)
	}
	st, err := s.db.Stats(context.Background(), 12, s.clock())
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range d.Channels.Counts {
		total += n
	}
	want := 0
	for _, n := range st.ByChannel {
		want += n
	}
	if total != want || len(d.Channels.Labels) != len(st.ByChannel) || len(d.Overlap.Labels) == 0 || len(d.Weeks.Labels) < 12 {
		t.Errorf("chart data %+v does not match the counts %+v", d, st)
	}
	// Overlap counts agree with a count from the customers themselves.
	cs, _ := s.db.ListCustomers(context.Background(), customer.ListFilter{Limit: 10000})
	pairs := map[[2]string]int{}
	multi := 0
	for _, c := range cs {
		if len(c.Channels) >= 2 {
			multi++
		}
		for i, a := range c.Channels {
			for _, b := range c.Channels[i+1:] {
				if a > b {
					a, b = b, a
				}
				pairs[[2]string{a, b}]++
			}
		}
	}
	for _, p := range st.Overlap {
		if pairs[[2]string{p.A, p.B}] != p.Count {
			t.Errorf("overlap %s×%s = %d, counted %d", p.A, p.B, p.Count, pairs[[2]string{p.A, p.B}])
		}
	}
	if !strings.Contains(p.Body, numberJa(multi)) {
		t.Errorf("dashboard does not show %d customers in 2+ channels", multi)
	}
}

func TestStaticAssetsAndErrors(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 2)
	c := s.client(t)
	for path, ctype := range map[string]string{
		"/static/vendor/htmx.min.js": "javascript", "/static/vendor/chart.umd.min.js": "javascript", "/static/app.css": "text/css",
		"/static/vendor/fonts/400.css": "text/css", "/static/app.js": "javascript",
	} {
		p := c.get(path)
		if p.Code != 200 || !strings.Contains(p.Header.Get("Content-Type"), ctype) {
			t.Errorf("%s: %d %s", path, p.Code, p.Header.Get("Content-Type"))
		}
	}
	if p := c.get("/static/"); p.Code != http.StatusNotFound {
		t.Errorf("directory listing: %d", p.Code)
	}
	c.session("staff")
	if p := c.get("/no/such/page"); p.Code != http.StatusNotFound || !strings.Contains(p.Body, "見つかりませんでした") {
		t.Errorf("404 page: %d", p.Code)
	}
	if p := c.get("/customers/cus_nosuch"); p.Code != http.StatusNotFound || !strings.Contains(p.Body, "cus_nosuch") {
		t.Errorf("unknown customer: %d", p.Code)
	}
	// The API is still the API.
	if p := c.get("/api/v1/customers"); p.Code != http.StatusUnauthorized || !strings.Contains(p.Header.Get("Content-Type"), "problem+json") {
		t.Errorf("API without key: %d %s", p.Code, p.Header.Get("Content-Type"))
	}
}

// The verify button names a tampered entry (SQLite: a second, plain
// connection edits the trail behind the store's back).
func TestAuditVerifyShowsTampering(t *testing.T) {
	dsn := sqltest.DSN(t, sqlstore.SQLite)
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, db, 3)
	raw, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE audit_log SET action = 'customer.tampered' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	c := s.client(t)
	c.session("auditor")
	v := c.post("/audit/verify", nil)
	if !strings.Contains(v.Body, "改ざん・欠落を検出しました") || !strings.Contains(v.Body, "entry 3") {
		t.Errorf("tampering not reported: %.400s", v.Body)
	}
}
