package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/cli"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func actionsOf(t *testing.T, db *sqlstore.DB, f audit.Filter) []string {
	t.Helper()
	time.Sleep(250 * time.Millisecond) // the read batcher writes every 100 ms
	f.Limit = 1000
	es, err := db.AuditEntries(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func TestLogin(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 5)
		c := s.client(t)
		p := c.get("/login")
		if p.Code != 200 || !strings.Contains(p.Body, "ログインID") {
			t.Fatalf("sign-in page: %d %.200s", p.Code, p.Body)
		}
		for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
			if p.Header.Get(h) == "" {
				t.Errorf("sign-in page lacks %s", h)
			}
		}
		if csp := p.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("CSP %q allows inline script", csp)
		}
		// Without the form's cookie the sign-in is refused (login CSRF).
		bare := s.client(t)
		if p := bare.do(http.MethodPost, "/login", url.Values{"csrf": {"x"}, "username": {"admin"}, "password": {cli.DemoAdminPassword}}); p.Code != http.StatusForbidden {
			t.Errorf("sign-in without the form's token: %d", p.Code)
		}
		if p := c.login("admin", "wrong password!"); p.Code != http.StatusUnauthorized || !strings.Contains(p.Body, "正しくありません") {
			t.Errorf("wrong password: %d", p.Code)
		}
		if p := c.login("nobody", "whatever-at-all"); p.Code != http.StatusUnauthorized || !strings.Contains(p.Body, "正しくありません") {
			t.Errorf("unknown user: %d (must look like a wrong password)", p.Code)
		}
		p = c.login("admin", cli.DemoAdminPassword)
		if p.Code != http.StatusSeeOther || p.Header.Get("Location") != "/" {
			t.Fatalf("sign-in: %d %q", p.Code, p.Header.Get("Location"))
		}
		var cookie string
		for _, sc := range p.Header.Values("Set-Cookie") {
			if strings.HasPrefix(sc, "kizuna_session=") {
				cookie = sc
			}
		}
		if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") || strings.Contains(cookie, "Max-Age") {
			t.Errorf("session cookie %q: want HttpOnly, SameSite=Lax, no expiry", cookie)
		}
		if p := c.get("/"); p.Code != 200 || !strings.Contains(p.Body, "ダッシュボード") {
			t.Fatalf("dashboard after sign-in: %d", p.Code)
		}
		// English by Accept-Language when the user has no preference... the
		// demo users prefer Japanese, which wins.
		if p := c.do(http.MethodGet, "/", nil, "Accept-Language", "en"); !strings.Contains(p.Body, "ダッシュボード") {
			t.Error("the user's language preference did not win over Accept-Language")
		}
		if p := c.post("/account/preferences", url.Values{"locale": {"en"}}); p.Code != http.StatusSeeOther {
			t.Fatalf("set English: %d", p.Code)
		}
		if p := c.get("/"); !strings.Contains(p.Body, "Dashboard") || !strings.Contains(p.Body, `lang="en"`) {
			t.Error("English preference not applied")
		}
		// A redirect after sign-in never leaves the site.
		for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
			c2 := s.client(t)
			lp := c2.get("/login")
			tok := csrfRE.FindStringSubmatch(lp.Body)[1]
			res := c2.do(http.MethodPost, "/login", url.Values{"csrf": {tok}, "username": {"staff"}, "password": {cli.DemoAdminPassword}, "next": {next}})
			if res.Header.Get("Location") != "/" {
				t.Errorf("next=%q redirected to %q", next, res.Header.Get("Location"))
			}
		}
		if p := c.post("/logout", nil); p.Code != http.StatusSeeOther {
			t.Fatalf("logout: %d", p.Code)
		}
		if p := c.get("/"); p.Code != http.StatusSeeOther {
			t.Errorf("after logout: %d, want the sign-in page", p.Code)
		}
		got := actionsOf(t, db, audit.Filter{})
		for _, want := range []string{"auth.login", "auth.login_failed", "auth.logout"} {
			if !slices.Contains(got, want) {
				t.Errorf("audit lacks %s: %v", want, got)
			}
		}
	})
}

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 3)
		for i := range 5 {
			// Each attempt from a fresh client: the lockout is per user,
			// not per browser.
			if p := s.client(t).login("support", "not the password"); p.Code != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, p.Code)
			}
		}
		p := s.client(t).login("support", cli.DemoAdminPassword)
		if p.Code != http.StatusUnauthorized || !strings.Contains(p.Body, "ロックされています") {
			t.Fatalf("locked account with the right password: %d %.300s", p.Code, p.Body)
		}
		if !slices.Contains(actionsOf(t, db, audit.Filter{Action: "auth.lockout"}), "auth.lockout") {
			t.Error("lockout not audited")
		}
		// After the lock expires the right password works again.
		s.setNow(time.Now().Add(16 * time.Minute))
		c := s.client(t)
		if p := c.login("support", cli.DemoAdminPassword); p.Code != http.StatusSeeOther {
			t.Fatalf("after the lock: %d", p.Code)
		}
		u, _ := db.UserByName(context.Background(), "support")
		if u.FailedLogins != 0 {
			t.Errorf("failure count %d after a good sign-in", u.FailedLogins)
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 3)
	c := s.client(t)
	if p := c.login("marketer", cli.DemoAdminPassword); p.Code != http.StatusSeeOther {
		t.Fatal(p.Code)
	}
	start := time.Now()
	s.setNow(start.Add(20 * time.Minute))
	if p := c.get("/"); p.Code != 200 {
		t.Fatalf("20 minutes idle: %d", p.Code)
	}
	s.setNow(start.Add(20*time.Minute + 31*time.Minute))
	if p := c.get("/"); p.Code != http.StatusSeeOther {
		t.Fatalf("31 minutes idle: %d, want signed out", p.Code)
	}
	// Absolute limit: active every 20 minutes, still out after 12 hours.
	c = s.client(t)
	s.setNow(time.Time{})
	c.login("marketer", cli.DemoAdminPassword)
	for m := 20; m < 12*60; m += 20 {
		s.setNow(time.Now().Add(time.Duration(m) * time.Minute))
		if p := c.get("/account"); p.Code != 200 {
			t.Fatalf("active session at %d min: %d", m, p.Code)
		}
	}
	s.setNow(time.Now().Add(12*time.Hour + time.Minute))
	if p := c.get("/account"); p.Code != http.StatusSeeOther {
		t.Fatalf("after 12 hours: %d, want signed out", p.Code)
	}
}

var secretRE = regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`)

func TestTOTPSecondFactor(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 3)
		c := s.client(t)
		c.login("admin", cli.DemoAdminPassword)
		p := c.post("/account/totp", url.Values{"action": {"start"}})
		m := secretRE.FindStringSubmatch(p.Body)
		if m == nil || !strings.Contains(p.Body, "data:image/png;base64,") {
			t.Fatalf("enrolment page without secret or QR code: %.400s", p.Body)
		}
		secret := m[1]
		if p := c.post("/account/totp", url.Values{"action": {"confirm"}, "secret": {secret}, "code": {"000000"}}); p.Code != http.StatusUnprocessableEntity {
			t.Fatalf("wrong code accepted: %d", p.Code)
		}
		code, _ := totp.GenerateCode(secret, time.Now())
		if p := c.post("/account/totp", url.Values{"action": {"confirm"}, "secret": {secret}, "code": {code}}); p.Code != 200 || !strings.Contains(p.Body, "二要素認証を設定しました") {
			t.Fatalf("enrol: %d", p.Code)
		}
		// Next sign-in: the password alone reaches only the code page.
		c2 := s.client(t)
		p = c2.login("admin", cli.DemoAdminPassword)
		if p.Code != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/login/totp") {
			t.Fatalf("password step: %d %q", p.Code, p.Header.Get("Location"))
		}
		if p := c2.get("/customers"); p.Code != http.StatusSeeOther || p.Header.Get("Location") != "/login/totp" {
			t.Fatalf("a page before the second factor: %d %q", p.Code, p.Header.Get("Location"))
		}
		tp := c2.get("/login/totp")
		c2.csrf = csrfRE.FindStringSubmatch(tp.Body)[1]
		if p := c2.post("/login/totp", url.Values{"code": {"123456"}}); p.Code != http.StatusUnauthorized {
			t.Fatalf("wrong code: %d", p.Code)
		}
		code, _ = totp.GenerateCode(secret, time.Now())
		if p := c2.post("/login/totp", url.Values{"code": {code}, "next": {"/customers"}}); p.Code != http.StatusSeeOther || p.Header.Get("Location") != "/customers" {
			t.Fatalf("right code: %d %q", p.Code, p.Header.Get("Location"))
		}
		if p := c2.get("/customers"); p.Code != 200 {
			t.Fatalf("after the second factor: %d", p.Code)
		}
		got := actionsOf(t, db, audit.Filter{})
		for _, want := range []string{"user.totp_enrol", "auth.password_ok", "auth.login_failed"} {
			if !slices.Contains(got, want) {
				t.Errorf("audit lacks %s", want)
			}
		}
	})
}

func TestPasswordChange(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 3)
	other := s.client(t)
	other.login("auditor", cli.DemoAdminPassword)
	c := s.client(t)
	c.login("auditor", cli.DemoAdminPassword)
	if p := c.post("/account/password", url.Values{"current": {"nope"}, "new": {"a-new-password-1"}, "confirm": {"a-new-password-1"}}); p.Code != http.StatusUnprocessableEntity {
		t.Fatalf("wrong current password: %d", p.Code)
	}
	if p := c.post("/account/password", url.Values{"current": {cli.DemoAdminPassword}, "new": {"short"}, "confirm": {"short"}}); p.Code != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "10文字以上") {
		t.Fatalf("short password: %d", p.Code)
	}
	if p := c.post("/account/password", url.Values{"current": {cli.DemoAdminPassword}, "new": {"a-new-password-1"}, "confirm": {"a-new-password-1"}}); p.Code != 200 {
		t.Fatalf("change: %d", p.Code)
	}
	if p := c.get("/account"); p.Code != 200 {
		t.Errorf("this session ended with the change: %d", p.Code)
	}
	if p := other.get("/account"); p.Code != http.StatusSeeOther {
		t.Errorf("the other session survived the password change: %d", p.Code)
	}
	if p := s.client(t).login("auditor", "a-new-password-1"); p.Code != http.StatusSeeOther {
		t.Errorf("new password: %d", p.Code)
	}
}

// One address may try ten times in a burst, then one sign-in every five
// seconds, whatever the usernames: guessing across many accounts is slowed
// too.
func TestSignInThrottledPerAddress(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 2)
	c := s.client(t)
	var last page
	for i := range 11 {
		last = c.login(fmt.Sprintf("guess%d", i), "wrong-password")
	}
	if last.Code != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || !strings.Contains(last.Body, "試行が多すぎます") {
		t.Fatalf("11th attempt: %d %q", last.Code, last.Header.Get("Retry-After"))
	}
	if !slices.Contains(actionsOf(t, s.db, audit.Filter{Action: "auth.login_throttled"}), "auth.login_throttled") {
		t.Error("throttling not audited")
	}
}
