package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/cli"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/console"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/demo"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/importjob"
	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// site is the console and API wired as cli/serve.go wires them, on a test
// database with a small demo data set and the demo staff (one per role,
// all with cli.DemoAdminPassword).
type site struct {
	db  *sqlstore.DB
	con *console.Server
	srv *httptest.Server
	ids *identity.Service

	orders *commerce.Orders
	points *loyalty.Service
	events *event.Service

	imports *importjob.Manager

	mu  sync.Mutex
	now time.Time // the console's clock; zero means real time
}

func newSite(t testing.TB, db *sqlstore.DB, people int) *site {
	t.Helper()
	ctx := context.Background()
	if _, err := cli.LoadDemo(ctx, db, demo.Options{People: people, Seed: 7}, 500, "", nil); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	if _, err := cli.LoadDemoOrders(ctx, db, demo.Options{People: people, Seed: 7}); err != nil {
		t.Fatalf("demo orders: %v", err)
	}
	if _, err := cli.LoadDemoEvents(ctx, db, demo.Options{People: people, Seed: 7}); err != nil {
		t.Fatalf("demo events: %v", err)
	}
	s := &site{db: db, ids: identity.New(db, db), orders: commerce.NewOrders(db), points: loyalty.New(db), events: event.NewService(db)}
	s.imports = importjob.NewManager(db, s.ids, slog.New(slog.DiscardHandler))
	s.imports.Start()
	t.Cleanup(s.imports.Close)
	con, err := console.New(console.Deps{Customers: db, Identity: s.ids, Imports: s.imports, ImportJobs: db, Orders: s.orders, Points: s.points, Events: s.events, Catalog: commerce.NewCatalog(db), Inventory: commerce.NewInventory(db), Auth: db, Audit: db, Version: "test", Now: s.clock})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(httpapi.Deps{Customers: db, Identity: s.ids, Auth: db, Audit: db, Idempotency: db.Idempotency(), Version: "test", Console: con,
		Imports: s.imports, ImportJobs: db, Orders: s.orders, Events: s.events})
	s.con = con
	s.srv = httptest.NewServer(api)
	t.Cleanup(func() {
		s.srv.Close()
		api.Close()
		con.Close()
	})
	return s
}

func (s *site) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.now.IsZero() {
		return time.Now()
	}
	return s.now
}

func (s *site) setNow(t time.Time) {
	s.mu.Lock()
	s.now = t
	s.mu.Unlock()
}

// client is one browser: a cookie jar, no automatic redirects.
type client struct {
	t    testing.TB
	site *site
	http *http.Client
	csrf string // the session's token, once signed in
}

func (s *site) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, site: s, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	Code   int
	Header http.Header
	Body   string
}

func (c *client) do(method, path string, form url.Values, hdr ...string) page {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.site.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Origin", c.site.srv.URL)
	req.Header.Set("Accept-Language", "ja")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{Code: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (c *client) get(path string) page { c.t.Helper(); return c.do(http.MethodGet, path, nil) }

// post sends a form with the session's CSRF token.
func (c *client) post(path string, form url.Values) page {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", c.csrf)
	}
	return c.do(http.MethodPost, path, form)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login signs in through the form, as a person would.
func (c *client) login(user, password string) page {
	c.t.Helper()
	p := c.get("/login")
	m := csrfRE.FindStringSubmatch(p.Body)
	if m == nil {
		c.t.Fatalf("no CSRF token on the sign-in page: %.300s", p.Body)
	}
	res := c.do(http.MethodPost, "/login", url.Values{"csrf": {m[1]}, "username": {user}, "password": {password}, "next": {"/"}})
	if res.Code == http.StatusSeeOther {
		c.refreshCSRF()
	}
	return res
}

func (c *client) refreshCSRF() {
	c.t.Helper()
	p := c.get("/account")
	if m := csrfRE.FindStringSubmatch(p.Body); m != nil {
		c.csrf = m[1]
	}
}

// session signs a user in directly through the store (no password hash to
// compute): for tests that need hundreds of sessions.
func (c *client) session(username string) {
	c.t.Helper()
	ctx := context.Background()
	u, err := c.site.db.UserByName(ctx, username)
	if err != nil {
		c.t.Fatal(err)
	}
	token, hash := auth.NewToken()
	csrf, _ := auth.NewToken()
	now := time.Now().UTC()
	if err := c.site.db.CreateSession(ctx, &auth.Session{TokenHash: hash, UserID: u.ID, CSRFToken: csrf, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		c.t.Fatal(err)
	}
	su, _ := url.Parse(c.site.srv.URL)
	c.http.Jar.SetCookies(su, []*http.Cookie{{Name: "kizuna_session", Value: token, Path: "/"}})
	c.csrf = csrf
}

// demoUsers maps each role to its demo login.
var demoUsers = map[string]string{
	auth.RoleAdmin: "admin", auth.RoleMarketer: "marketer", auth.RoleStoreStaff: "staff", auth.RoleSupport: "support", auth.RoleAuditor: "auditor",
}

// someCustomer returns an active customer with a phone, an email and at
// least two source records, and one of its source profile IDs.
func (s *site) someCustomer(t testing.TB) (*customer.Customer, string) {
	t.Helper()
	ctx := context.Background()
	cs, err := s.db.ListCustomers(ctx, customer.ListFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i := range cs {
		c := &cs[i]
		if len(c.Profile.Phones) > 0 && len(c.Profile.Emails) > 0 && c.Profile.FamilyNameKana != "" && len(c.Channels) >= 2 {
			srcs, err := s.db.SourcesOfCustomer(ctx, c.ID)
			if err != nil || len(srcs) == 0 {
				t.Fatal("no sources", err)
			}
			return c, srcs[0].ID
		}
	}
	t.Fatal("no suitable demo customer")
	return nil, ""
}

// numberJa writes n with thousands separators, as the console shows counts.
func numberJa(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
