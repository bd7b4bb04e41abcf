package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/width"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/console"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/normalize"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
)

// consoleBench is the console served in-process on loopback, with an
// administrator signed in.
type consoleBench struct {
	srv    *httptest.Server
	client *http.Client
	ids    *identity.Service
	close  func()
}

func newConsoleBench(ctx context.Context, db *sqlstore.DB) (*consoleBench, error) {
	ids := identity.New(db, db)
	con, err := console.New(console.Deps{Customers: db, Identity: ids, Auth: db, Audit: db, Logger: discardLogger(), Version: Version})
	if err != nil {
		return nil, err
	}
	api := httpapi.New(httpapi.Deps{Customers: db, Identity: ids, Auth: db, Audit: db, Idempotency: db.Idempotency(), Logger: discardLogger(), Version: Version, Console: con})
	srv := httptest.NewServer(api)
	users, err := db.Users(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(users, func(u auth.User) bool { return u.Role == auth.RoleAdmin && !u.Disabled })
	if i < 0 {
		return nil, fmt.Errorf("bench needs an administrator in the database (kizuna user add --role admin, or load the demo)")
	}
	token, hash := auth.NewToken()
	csrf, _ := auth.NewToken()
	now := time.Now().UTC()
	if err := db.CreateSession(ctx, &auth.Session{TokenHash: hash, UserID: users[i].ID, CSRFToken: csrf, IP: "127.0.0.1", UserAgent: "kizuna bench",
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(2 * time.Hour)}); err != nil {
		return nil, err
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: "kizuna_session", Value: token, Path: "/"}})
	b := &consoleBench{srv: srv, ids: ids, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.close = func() {
		srv.Close()
		api.Close()
		con.Close()
		_ = db.DeleteSession(context.Background(), hash)
	}
	return b, nil
}

// get requests one page and returns how long the whole answer took.
func (b *consoleBench) get(ctx context.Context, path string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.srv.URL+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept-Language", "ja")
	t0 := time.Now()
	res, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	d := time.Since(t0)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return d, err
}

// sampleCustomers returns up to n active customers with a name reading,
// spread over the table.
func sampleCustomers(ctx context.Context, db *sqlstore.DB, n int) ([]customer.Customer, error) {
	var out []customer.Customer
	after := ""
	for len(out) < n {
		page, err := db.ListCustomers(ctx, customer.ListFilter{Limit: 1000, After: after})
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for i := 0; i < len(page) && len(out) < n; i += 10 {
			if page[i].Profile.FamilyNameKana != "" && page[i].Profile.FamilyName != "" {
				out = append(out, page[i])
			}
		}
		after = page[len(page)-1].ID
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no customers with names to search for: load demo data first (kizuna demo)")
	}
	return out, nil
}

// searchQueries are what staff type for one customer: every kind the
// search box takes.
func searchQueries(c customer.Customer) map[string]string {
	p := c.Profile
	q := map[string]string{
		"family name (kanji)":         p.FamilyName,
		"full name (kanji, space)":    p.FamilyName + " " + p.GivenName,
		"reading (katakana)":          p.FamilyNameKana + p.GivenNameKana,
		"family reading (half-width)": width.Narrow.String(p.FamilyNameKana),
		"romaji":                      normalize.KanaToRomaji(p.GivenNameKana) + " " + normalize.KanaToRomaji(p.FamilyNameKana),
	}
	if len(p.Phones) > 0 {
		if n, err := phonenumbers.Parse(p.Phones[0], "JP"); err == nil {
			q["phone (with hyphens)"] = phonenumbers.Format(n, phonenumbers.NATIONAL)
		}
	}
	if len(p.Emails) > 0 {
		q["email"] = strings.ToUpper(p.Emails[0])
	}
	if len(p.Addresses) > 0 && len(p.Addresses[0].PostalCode) == 7 {
		q["postal code"] = p.Addresses[0].PostalCode[:3] + "-" + p.Addresses[0].PostalCode[3:]
	}
	return q
}

// benchSearch measures the console's search box end to end (parse, index,
// golden records, page) for every kind of query, on the database as it is.
func benchSearch(ctx context.Context, e *Env, db *sqlstore.DB, rounds int) error {
	cs, err := sampleCustomers(ctx, db, rounds)
	if err != nil {
		return err
	}
	b, err := newConsoleBench(ctx, db)
	if err != nil {
		return err
	}
	defer b.close()
	counts, err := db.CountCustomers(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "  %d active customers; %d sampled customers, each searched by every kind of query\n", counts[customer.StatusActive], len(cs))
	byKind := map[string][]time.Duration{}
	var all []time.Duration
	for _, c := range cs {
		for kind, q := range searchQueries(c) {
			d, err := b.get(ctx, "/customers?q="+url.QueryEscape(q))
			if err != nil {
				return err
			}
			byKind[kind] = append(byKind[kind], d)
			all = append(all, d)
		}
	}
	report := func(name string, l []time.Duration) {
		slices.Sort(l)
		fmt.Fprintf(e.Stdout, "  %-30s n=%-5d p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", name, len(l),
			ms(pct(l, 50)), ms(pct(l, 95)), ms(pct(l, 99)), ms(l[len(l)-1]))
	}
	kinds := make([]string, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		report(k, byKind[k])
	}
	report("all searches", all)
	return nil
}

// benchConsole measures each main console page's answer time.
func benchConsole(ctx context.Context, e *Env, db *sqlstore.DB, rounds int) error {
	cs, err := sampleCustomers(ctx, db, 50)
	if err != nil {
		return err
	}
	b, err := newConsoleBench(ctx, db)
	if err != nil {
		return err
	}
	defer b.close()
	dups, err := db.Duplicates(ctx, customer.DuplicateOpen, 50, "")
	if err != nil {
		return err
	}
	pages := []struct {
		name string
		path func(i int) string
	}{
		{"dashboard", func(int) string { return "/" }},
		{"search (family name)", func(i int) string { return "/customers?q=" + url.QueryEscape(cs[i%len(cs)].Profile.FamilyName) }},
		{"customer 360°", func(i int) string { return "/customers/" + cs[i%len(cs)].ID }},
		{"customer print", func(i int) string { return "/customers/" + cs[i%len(cs)].ID + "/print" }},
		{"possible duplicates", func(int) string { return "/duplicates" }},
		{"audit trail", func(int) string { return "/audit" }},
		{"audit of a customer", func(i int) string { return "/audit?customer=" + cs[i%len(cs)].ID }},
		{"admin: users", func(int) string { return "/admin" }},
		{"admin: stores", func(int) string { return "/admin?tab=stores" }},
		{"account", func(int) string { return "/account" }},
	}
	if len(dups) > 0 {
		pages = append(pages, struct {
			name string
			path func(i int) string
		}{"merge comparison", func(i int) string {
			d := dups[i%len(dups)]
			return "/merge?a=" + d.CustomerID + "&b=" + d.OtherID
		}})
	}
	// The dashboard's counts are cached for a minute; the first request
	// pays for them and is reported apart.
	first, err := b.get(ctx, "/")
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "  dashboard, first request (counts computed): %.1f ms\n", ms(first))
	for _, p := range pages {
		var l []time.Duration
		for i := range rounds {
			d, err := b.get(ctx, p.path(i))
			if err != nil {
				return err
			}
			l = append(l, d)
		}
		slices.Sort(l)
		fmt.Fprintf(e.Stdout, "  %-24s n=%-4d p50 %6.2f ms  p95 %6.2f ms  max %6.2f ms\n", p.name, len(l), ms(pct(l, 50)), ms(pct(l, 95)), ms(l[len(l)-1]))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
