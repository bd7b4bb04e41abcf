package console_test

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/console"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

var update = flag.Bool("update", false, "rewrite docs/access.md from the route table")

// concrete fills a route pattern's path parameters with real IDs.
func concrete(pattern, customerID, profileID string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.NewReplacer("{$}", "", "{id}", customerID, "{profile}", profileID).Replace(path)
	if strings.HasPrefix(path, "/merges/") || strings.HasPrefix(path, "/duplicates/") || strings.HasPrefix(path, "/admin/") {
		// IDs of other kinds: an unknown one is fine, the access check
		// comes first.
		path = strings.Replace(path, customerID, "x_unknown", 1)
	}
	if path == "/merge" && method == http.MethodGet {
		path = "/merge?a=" + customerID + "&b=x_unknown"
	}
	return method, path
}

// allowed is what the route table says a role may do.
func allowed(rt console.Route, role string) bool {
	switch rt.Access {
	case console.Public, console.SignedIn, console.SecondFactor:
		return true
	}
	return auth.RoleAllows(role, rt.Access)
}

// TestEveryRouteEveryRole requests every console route as every role (and
// as nobody) and checks the answer against the route table: a role without
// the permission gets 403; a role with it gets past the check (the request
// carries no form data, so state-changing routes stop at validation); no
// session means the sign-in page.
func TestEveryRouteEveryRole(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 40)
		c, profile := s.someCustomer(t)
		routes := s.con.Routes()
		if len(routes) < 30 {
			t.Fatalf("only %d routes", len(routes))
		}
		for _, rt := range routes {
			method, path := concrete(rt.Pattern, c.ID, profile)
			if rt.Access == console.Public && method != http.MethodGet {
				continue // the sign-in form has its own CSRF cookie; TestLogin covers it
			}
			for _, role := range auth.Roles {
				cl := s.client(t)
				cl.session(demoUsers[role])
				var p page
				if method == http.MethodGet {
					p = cl.get(path)
				} else {
					p = cl.post(path, nil)
				}
				if p.Code >= 500 {
					t.Errorf("%s as %s: %d %.300s", rt.Pattern, role, p.Code, p.Body)
				}
				loc := p.Header.Get("Location")
				switch {
				case allowed(rt, role) && (p.Code == http.StatusForbidden || p.Code == http.StatusUnauthorized || strings.HasPrefix(loc, "/login?")):
					t.Errorf("%s as %s: %d (Location %q), want access", rt.Pattern, role, p.Code, loc)
				case !allowed(rt, role) && p.Code != http.StatusForbidden:
					t.Errorf("%s as %s: %d, want 403", rt.Pattern, role, p.Code)
				}
			}
			if rt.Access == console.Public {
				continue
			}
			// Nobody signed in: the sign-in page, with the way back for GETs.
			anon := s.client(t)
			var p page
			if method == http.MethodGet {
				p = anon.get(path)
			} else {
				p = anon.post(path, nil)
			}
			if p.Code != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/login?next=") {
				t.Errorf("%s without a session: %d %q, want 303 to /login", rt.Pattern, p.Code, p.Header.Get("Location"))
			}
			if method == http.MethodGet {
				continue
			}
			// A state-changing request without the CSRF token, or from
			// another site, is refused even for an administrator.
			adm := s.client(t)
			adm.session("admin")
			if p := adm.do(http.MethodPost, path, nil); p.Code != http.StatusForbidden || !strings.Contains(p.Body, "再読み込み") {
				t.Errorf("%s without CSRF token: %d, want 403 saying to reload", rt.Pattern, p.Code)
			}
			form := map[string][]string{"csrf": {adm.csrf}}
			if p := adm.do(http.MethodPost, path, form, "Origin", "https://evil.example"); p.Code != http.StatusForbidden {
				t.Errorf("%s from another origin: %d, want 403", rt.Pattern, p.Code)
			}
		}
	})
}

// TestAccessDocument keeps docs/access.md equal to the route table and
// the role table (go test ./console -run AccessDocument -update rewrites it).
func TestAccessDocument(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 5)
	var b strings.Builder
	b.WriteString("# Who may do what\n\n")
	b.WriteString("Generated from the code by `go test ./console -run AccessDocument -update`; a test fails when this file and the code disagree.\n\n")
	b.WriteString("## Roles and permissions\n\n| permission | " + strings.Join(auth.Roles, " | ") + " |\n|---|" + strings.Repeat("---|", len(auth.Roles)) + "\n")
	var perms []string
	for _, r := range auth.Roles {
		for _, p := range auth.RolePermissions(r) {
			if !slices.Contains(perms, p) {
				perms = append(perms, p)
			}
		}
	}
	for _, p := range perms {
		b.WriteString("| `" + p + "` |")
		for _, r := range auth.Roles {
			if auth.RoleAllows(r, p) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\nWithout `" + auth.PermPersonalData + "`, contact data, card numbers, street addresses and birth days are masked (090-****-5678, t***@example.jp); `" +
		auth.PermPersonalReveal + "` unmasks one field at a time after the user gives a reason, which the audit trail records.\n")
	b.WriteString("\n## Console routes\n\n`public`: no sign-in. `second-factor`: signed in with the password, TOTP code still due. `signed-in`: any role.\n\n")
	b.WriteString("| route | what it is for | access | " + strings.Join(auth.Roles, " | ") + " |\n|---|---|---|" + strings.Repeat("---|", len(auth.Roles)) + "\n")
	for _, rt := range s.con.Routes() {
		fmt.Fprintf(&b, "| `%s` | %s | `%s` |", rt.Pattern, rt.Title, rt.Access)
		for _, r := range auth.Roles {
			if allowed(rt, r) {
				b.WriteString(" ✓ |")
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("\nAPI keys have scopes instead of roles: `read`, `write`, `admin`, and `collect` for the tracking script's key, which a web page publishes and which may only send anonymous events (see `auth/auth.go`); each REST operation declares the permission it needs next to its route in `httpapi`.\n")
	const file = "../docs/access.md"
	if *update {
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil || string(got) != b.String() {
		t.Fatalf("docs/access.md is out of date (%v); run go test ./console -run AccessDocument -update", err)
	}
}
