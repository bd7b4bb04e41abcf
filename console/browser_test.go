package console_test

// Tests of the console in a real browser (Chromium, through
// internal/browsertest): what only a browser can show — that the pages'
// own scripts (htmx, Chart.js) work under the strict CSP, that escaping
// holds once the DOM is built, and that the forms work as a person uses
// them. Each test function starts one browser and walks several pages
// with it; screenshots of the main pages go to browsertest.OutputDir().

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/cli"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/internal/browsertest"
	"github.com/kizuna-oss/kizuna/resolve"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// brRun runs one chromedp action that returns a value.
func brRun[T any](b *browsertest.Browser, a chromedp.Action[T]) T { return browsertest.Run(b, a) }

// brEval evaluates a JavaScript expression in the page (awaiting a promise).
func brEval[T any](b *browsertest.Browser, expr string) T { return browsertest.Eval[T](b, expr) }

// brSubmit clicks an element that causes a navigation (a submit button or a
// link) and waits for the next page to load. It returns the response of
// the final document, after any redirect.
func brSubmit(t *testing.T, b *browsertest.Browser, selector string) *network.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), 20*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(selector)))
	if err != nil {
		browsertest.Screenshot(t, b.Context(), "failure")
		t.Fatalf("clicking %s and waiting for the next page: %v", selector, err)
	}
	return resp
}

// brJSON encodes v as most senders do, without escaping <, > and & as
// \u003c and so on (which Go's json.Marshal does).
func brJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

// brOpen navigates to a path of the site and returns the document's response.
func brOpen(b *browsertest.Browser, s *site, path string) *network.Response {
	return brRun(b, chromedp.NavigateResponse(s.srv.URL+path))
}

// brHere is the address of the page the tab shows.
func brHere(t *testing.T, b *browsertest.Browser) *url.URL {
	t.Helper()
	u, err := url.Parse(brRun(b, chromedp.Location()))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// brMainText is the text of the page's main area, as the DOM holds it.
func brMainText(b *browsertest.Browser) string {
	return brEval[string](b, `document.getElementById('main').textContent`)
}

// brFillSignIn fills the open sign-in form and submits it.
func brFillSignIn(t *testing.T, b *browsertest.Browser, user, password string) {
	t.Helper()
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
	)
	brSubmit(t, b, `form[action="/login"] button[type="submit"]`)
}

// brSignIn signs a demo user in through the form, as a person would.
func brSignIn(t *testing.T, b *browsertest.Browser, s *site, user string) {
	t.Helper()
	brOpen(b, s, "/login")
	brFillSignIn(t, b, user, cli.DemoAdminPassword)
	if u := brHere(t, b); u.Path != "/" {
		t.Fatalf("after signing in as %s the browser is at %s, want the dashboard /; page: %.300s", user, u, brMainText(b))
	}
}

func brSignOut(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	brSubmit(t, b, `form[action="/logout"] button[type="submit"]`)
	if u := brHere(t, b); u.Path != "/login" {
		t.Fatalf("after signing out the browser is at %s, want /login", u)
	}
}

// brErrors follows the errors a browser reported: a CSP violation by the
// console's own pages, a script error, a failed request. check fails on
// the errors reported since its last call, except those containing one of
// the expected strings (the refusals a test provokes on purpose).
type brErrors struct {
	b    *browsertest.Browser
	seen int
}

func (e *brErrors) check(t *testing.T, where string, expected ...string) {
	t.Helper()
	errs := e.b.ConsoleErrors()
	fresh := errs[e.seen:]
	e.seen = len(errs)
	var bad []string
	for _, msg := range fresh {
		if !slices.ContainsFunc(expected, func(x string) bool { return strings.Contains(msg, x) }) {
			bad = append(bad, msg)
		}
	}
	if len(bad) != 0 {
		t.Errorf("%s: the browser reported errors:\n%s", where, strings.Join(bad, "\n"))
	}
}

// brHalfWidth spells a katakana reading in half-width katakana, as old POS
// systems and some keyboards produce it (サトウ → ｻﾄｳ, ガ → ｶﾞ).
func brHalfWidth(s string) string {
	return width.Narrow.String(norm.NFD.String(s))
}

// brNationalPhone formats an E.164 number as Japanese staff type it: 090-1234-5678.
func brNationalPhone(t *testing.T, e164 string) string {
	t.Helper()
	n, err := phonenumbers.Parse(e164, "JP")
	if err != nil {
		t.Fatalf("phone %q: %v", e164, err)
	}
	return phonenumbers.Format(n, phonenumbers.NATIONAL)
}

// brCanvasTextHook runs before every page's own scripts. For each canvas it
// keeps the texts of the last drawing (Chart.js clears the canvas before
// each) in the console's font, BIZ UDPGothic, with the characters that no
// loaded face of that font covered when they were drawn: those were drawn
// in a fallback font, or as empty boxes where the system has none.
const brCanvasTextHook = `window.__kzCanvasText = {};
(() => {
	const ranges = new WeakMap();
	const covers = (face, cp) => {
		if (!ranges.has(face)) {
			ranges.set(face, face.unicodeRange.split(',').map(r => {
				const [lo, hi] = r.trim().replace(/^U\+/i, '').split('-');
				return lo.includes('?')
					? [parseInt(lo.replace(/\?/g, '0'), 16), parseInt(lo.replace(/\?/g, 'F'), 16)]
					: [parseInt(lo, 16), parseInt(hi || lo, 16)];
			}));
		}
		return ranges.get(face).some(([lo, hi]) => cp >= lo && cp <= hi);
	};
	const missing = (font, s) => {
		if (!font.includes('BIZ UDPGothic')) return '';
		const weight = /\b(bold|[6-9]00)\b/.test(font) ? '700' : '400';
		const faces = [...document.fonts].filter(f => f.status === 'loaded' && f.family.replace(/["']/g, '') === 'BIZ UDPGothic' && String(f.weight) === weight);
		return [...s].filter(ch => ch.trim() !== '' && !faces.some(f => covers(f, ch.codePointAt(0)))).join('');
	};
	const clearRect = CanvasRenderingContext2D.prototype.clearRect;
	CanvasRenderingContext2D.prototype.clearRect = function (x, y, w, h) {
		if (x <= 0 && y <= 0 && w >= this.canvas.width && h >= this.canvas.height) {
			window.__kzCanvasText[this.canvas.id] = [];
		}
		return clearRect.call(this, x, y, w, h);
	};
	const fillText = CanvasRenderingContext2D.prototype.fillText;
	CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
		const s = String(text);
		(window.__kzCanvasText[this.canvas.id] ||= []).push({text: s, missing: missing(this.font, s)});
		return fillText.call(this, text, ...rest);
	};
})();`

// brFallbackCanvasText lists, per canvas, the texts now shown with
// characters drawn in a fallback font.
const brFallbackCanvasText = `Object.entries(window.__kzCanvasText).flatMap(([id, xs]) =>
	xs.filter(x => x.missing).map(x => id + ': ' + x.text + ' (' + x.missing + ')'))`

// TestBrowserAdminWalk signs in through the form as an administrator and
// walks the console: the dashboard's charts, search by reading (typed, live
// through htmx), by half-width reading and by a phone number typed with
// hyphens, the 360° view and its htmx version panel, refusal of a fetch
// without the CSRF token, the other main pages, and signing out. It
// screenshots every main page.
func TestBrowserAdminWalk(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 40)
	c, _ := s.someCustomer(t)
	b := browsertest.New(t)
	errs := &brErrors{b: b}
	ctx := context.Background()

	// The sign-in page, then the dashboard and its charts. Every text a
	// canvas draws is recorded with the characters whose font was not
	// loaded at that moment (a canvas does not wait for a web font).
	if _, err := chromedp.Call(b.Context(), cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: brCanvasTextHook}); err != nil {
		t.Fatal(err)
	}
	brOpen(b, s, "/login")
	browsertest.Screenshot(t, b.Context(), "login")
	brFillSignIn(t, b, "admin", cli.DemoAdminPassword)
	if u := brHere(t, b); u.Path != "/" {
		t.Fatalf("after signing in the browser is at %s, want the dashboard /", u)
	}
	ok := brRun(b, chromedp.Poll[bool](`(() => {
		if (typeof Chart === 'undefined') return false;
		return ['channels', 'overlap', 'channel_count', 'weeks'].every(id => {
			const el = document.getElementById('chart-' + id);
			const ch = el && Chart.getChart(el);
			return !!ch && el.width > 0 && el.height > 0 && ch.data.labels.length > 0;
		});
	})()`, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(50*time.Millisecond)))
	if !ok {
		t.Fatal("the dashboard charts were not drawn")
	}
	if failed := brEval[bool](b, `document.getElementById('charts').classList.contains('failed')`); failed {
		t.Error("#charts is marked failed: /dashboard/stats.json was not loaded")
	}
	browsertest.Screenshot(t, b.Context(), "dashboard")
	// The charts' titles and labels are drawn in the console's own font
	// (dashboard.js sets Chart.defaults.font.family to it). Its Japanese
	// glyphs come in unicode-range subsets that load only when something
	// uses them; a canvas does not wait for them, so text drawn before
	// they are loaded shows in a fallback font, or as empty boxes where
	// the system has no Japanese font (as in CI).
	if early := brEval[[]string](b, brFallbackCanvasText); len(early) != 0 {
		t.Errorf("the dashboard charts drew %d texts before the console's font for them was loaded, in a fallback font (empty boxes without Japanese system fonts): %q", len(early), early)
	}
	errs.check(t, "sign-in and dashboard")

	// Search. The kana reading typed into the search box: htmx fetches
	// the results as one types.
	kana := c.Profile.FamilyNameKana
	link := fmt.Sprintf(`table.results a.name[href="/customers/%s"]`, c.ID)
	brOpen(b, s, "/customers")
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#q"), kana),
		chromedp.WaitVisible(chromedp.CSS(link)),
	)
	// hx-push-url puts the query in the address, for the back button.
	pushed := fmt.Sprintf(`new URLSearchParams(location.search).get('q') === %s`, brJSON(t, kana))
	if !brRun(b, chromedp.Poll[bool](pushed, chromedp.WithPollingTimeout(5*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))) {
		t.Errorf("after the live search the address is %s, want ?q=%s (hx-push-url)", brHere(t, b), kana)
	}
	browsertest.Screenshot(t, b.Context(), "search")

	// The same reading in half-width katakana, by address.
	narrow := brHalfWidth(kana)
	if narrow == kana {
		t.Fatalf("half-width form of %q is the same string", kana)
	}
	brOpen(b, s, "/customers?q="+url.QueryEscape(narrow))
	b.Do(chromedp.WaitVisible(chromedp.CSS(link)))
	if v := brRun(b, chromedp.Value(chromedp.CSS("#q"))); v != narrow {
		t.Errorf("search box shows %q, want the query %q", v, narrow)
	}

	// A phone number typed with hyphens into the dashboard's search form.
	phone := brNationalPhone(t, c.Profile.Phones[0])
	if !strings.Contains(phone, "-") {
		t.Fatalf("national format %q has no hyphens", phone)
	}
	brOpen(b, s, "/")
	b.Do(chromedp.SendKeys(chromedp.CSS(`form.search input[name="q"]`), phone))
	brSubmit(t, b, `form.search button[type="submit"]`)
	if u := brHere(t, b); u.Path != "/customers" || u.Query().Get("q") != phone {
		t.Errorf("dashboard search went to %s, want /customers?q=%s", u, phone)
	}
	b.Do(chromedp.WaitVisible(chromedp.CSS(link)))

	// The 360° view, opened from the results.
	brSubmit(t, b, link)
	if u := brHere(t, b); u.Path != "/customers/"+c.ID {
		t.Fatalf("the result link went to %s, want /customers/%s", u, c.ID)
	}
	for _, id := range []string{"golden", "identifiers", "notes", "sources", "duplicates", "merges", "trail"} {
		if n := brEval[int](b, `document.querySelectorAll('main section#`+id+`').length`); n != 1 {
			t.Errorf("customer page: %d sections #%s, want 1", n, id)
		}
	}
	if h1 := b.Text("main h1"); !strings.Contains(h1, c.Profile.FamilyName) {
		t.Errorf("customer page heading %q lacks the family name %q", h1, c.Profile.FamilyName)
	}
	if ids := b.Text("#identifiers"); !strings.Contains(ids, phone) {
		t.Errorf("an administrator sees the phone unmasked; #identifiers = %q, want %q in it", ids, phone)
	}
	// The version history of a source record comes in through htmx.
	b.Do(
		chromedp.Click(chromedp.CSS(`#sources a[hx-get*="/versions/"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#versions table`)),
	)
	// The first source record need not carry the name in kanji (an app
	// record may hold only the reading or the email).
	raw := b.Text("#versions")
	shows := strings.Contains(raw, "v1")
	found := false
	for _, v := range append([]string{c.Profile.FamilyName, c.Profile.FamilyNameKana}, c.Profile.Emails...) {
		found = found || (v != "" && strings.Contains(raw, v))
	}
	if !shows || !found {
		t.Errorf("the version panel lacks the raw record (v1 with the name, its reading or an email): %.300s", raw)
	}
	browsertest.Screenshot(t, b.Context(), "customer")
	errs.check(t, "search and customer page")

	// A state-changing request without the CSRF token is refused, even
	// from the console's own page with the session cookie; the same
	// request with the token goes through (so the refusal is the token's).
	notes := func() []string {
		ns, err := s.db.Notes(ctx, []string{c.ID})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.Body)
		}
		return out
	}
	post := func(extra string) string {
		return fmt.Sprintf(`fetch('/customers/%s/notes', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'%s}, body: 'body=x'}).then(r => r.status)`, c.ID, extra)
	}
	if st := brEval[int](b, post("")); st != 403 {
		t.Errorf("POST /customers/{id}/notes without a CSRF token: %d, want 403", st)
	}
	if st := brEval[int](b, post(`, 'X-CSRF-Token': 'not-the-token'`)); st != 403 {
		t.Errorf("POST /customers/{id}/notes with a wrong X-CSRF-Token: %d, want 403", st)
	}
	if ns := notes(); slices.Contains(ns, "x") {
		t.Errorf("a refused request added a note: %q", ns)
	}
	st := brEval[int](b, `fetch('/customers/`+c.ID+`/notes', {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'},
		body: new URLSearchParams({csrf: document.querySelector('#notes input[name="csrf"]').value, body: 'ブラウザからのメモ'})}).then(r => r.status)`)
	if st != 200 || !slices.Contains(notes(), "ブラウザからのメモ") {
		t.Errorf("POST /customers/{id}/notes with the page's token: %d, notes %q; want 200 (after the redirect) and the note stored", st, notes())
	}
	errs.check(t, "CSRF", "status of 403 (Forbidden) ("+s.srv.URL+"/customers/"+c.ID+"/notes)")

	// The other main pages.
	for _, p := range []struct{ path, name, want string }{
		{"/duplicates", "duplicates", "#main h1"},
		{"/audit", "audit", "table.audit"},
		{"/admin", "admin", "#main table.data"},
		{"/account", "account", "#main form"},
		{"/points?days=366", "points", "#expiring"},
	} {
		if res := brOpen(b, s, p.path); res.Status != 200 {
			t.Errorf("GET %s: %d", p.path, res.Status)
		}
		b.Do(chromedp.WaitVisible(chromedp.CSS(p.want)))
		browsertest.Screenshot(t, b.Context(), p.name)
	}
	// The points program's form opens on the points page.
	b.Do(chromedp.Click(chromedp.CSS(`details.edit summary`)), chromedp.WaitVisible(chromedp.CSS(`form[action="/points/program"] select[name="debt_policy"]`)))
	browsertest.Screenshot(t, b.Context(), "points-program")
	errs.check(t, "duplicates, audit, admin, account and points pages")
	if d := b.Dialogs(); len(d) != 0 {
		t.Errorf("dialogs opened: %q", d)
	}

	// Signing out ends the session: the console sends the browser back to
	// the sign-in page.
	brSignOut(t, b)
	brOpen(b, s, "/customers/"+c.ID)
	if u := brHere(t, b); u.Path != "/login" {
		t.Errorf("after signing out, /customers/{id} shows %s, want the sign-in page", u)
	}
}

// TestBrowserStoreClerk signs in as a store clerk, who sees contact data
// masked (in search results and on the 360° view, with nothing unmasked in
// the page source) and is refused the administration pages.
func TestBrowserStoreClerk(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 40)
	c, _ := s.someCustomer(t)
	phone := brNationalPhone(t, c.Profile.Phones[0])
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phone)
	last4 := digits[len(digits)-4:]
	maskedRE := regexp.MustCompile(`^0\d*-\*+-` + last4 + `$`)
	unmasked := []string{phone, digits}
	for _, p := range c.Profile.Phones {
		unmasked = append(unmasked, p, strings.TrimPrefix(p, "+81"), brNationalPhone(t, p))
	}
	unmasked = append(unmasked, c.Profile.Emails...)
	b := browsertest.New(t)
	errs := &brErrors{b: b}
	brSignIn(t, b, s, "staff")
	if n := brEval[int](b, `document.querySelectorAll('header a[href="/admin"], header a[href="/audit"]').length`); n != 0 {
		t.Error("a store clerk's navigation links to /admin or /audit")
	}

	// The phone number still finds the customer; the result shows it masked.
	brOpen(b, s, "/customers?q="+url.QueryEscape(phone))
	row := fmt.Sprintf(`table.results tr:has(a.name[href="/customers/%s"])`, c.ID)
	b.Do(chromedp.WaitVisible(chromedp.CSS(row)))
	if cell := b.Text(row + " td:nth-child(2) span"); !maskedRE.MatchString(strings.TrimSpace(cell)) {
		t.Errorf("a store clerk's search result shows the phone as %q, want it masked like 090-****-%s", cell, last4)
	}
	html := brRun(b, chromedp.OuterHTML(chromedp.CSS("html")))
	for _, full := range unmasked {
		// The query itself is the typed number: only the results count.
		if strings.Contains(strings.ReplaceAll(html, `value="`+phone+`"`, ""), full) {
			t.Errorf("a store clerk's search results hold the unmasked %q", full)
		}
	}

	brOpen(b, s, "/customers/"+c.ID)
	masked := b.Text("#identifiers dl.facts dd:first-of-type .masked")
	if !strings.Contains(masked, "****") || !maskedRE.MatchString(masked) {
		t.Errorf("a store clerk sees the phone as %q, want it masked like 090-****-%s", masked, last4)
	}
	html = brRun(b, chromedp.OuterHTML(chromedp.CSS("html")))
	for _, full := range unmasked {
		if strings.Contains(html, full) {
			t.Errorf("a store clerk's customer page holds the unmasked %q", full)
		}
	}
	browsertest.Screenshot(t, b.Context(), "customer-masked")

	// The till, at a tablet's size: the clerk finds the member by phone
	// (one match opens them; several are listed), records a purchase, and
	// sees it confirmed.
	if _, err := chromedp.Call(b.Context(), emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 1024, Height: 768, DeviceScaleFactor: 1}); err != nil {
		t.Fatal(err)
	}
	brOpen(b, s, "/till")
	b.Do(chromedp.SendKeys(chromedp.CSS(`.till-find input[name="q"]`), phone))
	brSubmit(t, b, `.till-find button[type="submit"]`)
	if u := brHere(t, b); u.Path == "/till" { // the number names several: pick from the list
		brSubmit(t, b, fmt.Sprintf(`ul.till-results a[href="/till/%s"]`, c.ID))
	}
	if u := brHere(t, b); u.Path != "/till/"+c.ID {
		t.Fatalf("the till's phone lookup went to %s, want /till/%s", u, c.ID)
	}
	b.Do(
		chromedp.SendKeys(chromedp.CSS(`#sale-form input[name="receipt"]`), "7001"),
		chromedp.SendKeys(chromedp.CSS(`#sale-form input[name="amount"]`), "3240"),
	)
	brSubmit(t, b, `#sale-form button[type="submit"]`)
	if flash := b.Text("p.flash"); !strings.Contains(flash, "7001") || !strings.Contains(flash, "¥3,240") {
		t.Errorf("after the till's sale the page says %q", flash)
	}
	if w := brEval[int](b, `document.querySelector('#sale-form button').getBoundingClientRect().height`); w < 44 {
		t.Errorf("the till's buttons are %dpx high: too small to tap", w)
	}
	browsertest.Screenshot(t, b.Context(), "till")
	if _, err := chromedp.Call(b.Context(), emulation.ClearDeviceMetricsOverride, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}

	res := brOpen(b, s, "/admin")
	if res.Status != 403 {
		t.Errorf("GET /admin as a store clerk: %d, want 403", res.Status)
	}
	if txt := brMainText(b); !strings.Contains(txt, "権限がありません") {
		t.Errorf("the 403 page says %q, want it to say 権限がありません", txt)
	}
	browsertest.Screenshot(t, b.Context(), "admin-forbidden")
	errs.check(t, "store clerk", "status of 403 (Forbidden) ("+s.srv.URL+"/admin)")
	if d := b.Dialogs(); len(d) != 0 {
		t.Errorf("dialogs opened: %q", d)
	}
}

// TestBrowserMergeUnmerge merges an open possible duplicate from the
// duplicates list and undoes it from the survivor's page.
func TestBrowserMergeUnmerge(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 40)
	ctx := context.Background()
	dups, err := s.db.Duplicates(ctx, customer.DuplicateOpen, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(dups) == 0 {
		t.Fatal("the demo data has no open possible duplicate")
	}
	d := dups[0]
	b := browsertest.New(t)
	brSignIn(t, b, s, "admin")

	brOpen(b, s, "/duplicates")
	compare := fmt.Sprintf(`a.button[href^="/merge?"][href$="dup=%s"]`, d.ID)
	b.Do(chromedp.WaitVisible(chromedp.CSS(compare)))
	browsertest.Screenshot(t, b.Context(), "duplicates")
	brSubmit(t, b, compare)
	if u := brHere(t, b); u.Path != "/merge" {
		t.Fatalf("比較して統合 went to %s, want /merge", u)
	}
	b.Do(chromedp.WaitVisible(chromedp.CSS("#confirm-merge")))
	browsertest.Screenshot(t, b.Context(), "merge")
	survivor := brEval[string](b, `document.querySelector('input[name="survivor"]:checked').value`)
	merged := d.CustomerID
	if survivor == merged {
		merged = d.OtherID
	} else if survivor != d.OtherID {
		t.Fatalf("the preselected survivor %s is neither %s nor %s", survivor, d.CustomerID, d.OtherID)
	}

	if res := brSubmit(t, b, "#confirm-merge"); res != nil && res.Status != 200 {
		t.Errorf("merge answered %d", res.Status)
	}
	if u := brHere(t, b); u.Path != "/customers/"+survivor {
		t.Fatalf("after the merge the browser is at %s, want /customers/%s; page: %.300s", u, survivor, brMainText(b))
	}
	if mc, err := s.db.GetCustomer(ctx, merged); err != nil || mc.Status != customer.StatusMerged || mc.MergedInto != survivor {
		t.Fatalf("after the merge %s = %+v (%v), want merged into %s", merged, mc, err, survivor)
	}
	if txt := b.Text("#merges"); !strings.Contains(txt, merged) {
		t.Errorf("#merges does not mention the absorbed %s: %q", merged, txt)
	}

	brSubmit(t, b, "#merges button.unmerge")
	if u := brHere(t, b); u.Path != "/customers/"+survivor {
		t.Fatalf("after the unmerge the browser is at %s, want /customers/%s; page: %.300s", u, survivor, brMainText(b))
	}
	for _, id := range []string{survivor, merged} {
		if c, err := s.db.GetCustomer(ctx, id); err != nil || c.Status != customer.StatusActive {
			t.Errorf("after the unmerge %s: %+v (%v), want active", id, c, err)
		}
	}
	if n := brEval[int](b, `document.querySelectorAll('#merges button.unmerge').length`); n != 0 {
		t.Errorf("%d unmerge buttons left after the unmerge, want 0", n)
	}
	(&brErrors{b: b}).check(t, "merge and unmerge")
	if dl := b.Dialogs(); len(dl) != 0 {
		t.Errorf("dialogs opened: %q", dl)
	}
}

// brXSSPayloads are classic cross-site scripting probes, stored as customer
// names and shown back by every page that lists customers.
var brXSSPayloads = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<svg onload=alert(1)>`,
	`"><script>alert(1)</script>`,
	`javascript:alert(1)`,
	`<iframe src=javascript:alert(1)>`,
	`<body onload=alert(1)>`,
	`'-alert(1)-'`,
	`</script><script>alert(1)</script>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<details open ontoggle=alert(1)>`,
	`<math><mi xlink:href=javascript:alert(1)>`,
	`{{7*7}}`,
	`<input autofocus onfocus=alert(1)>`,
	`<marquee onstart=alert(1)>`,
	`<video><source onerror=alert(1)>`,
	`<object data=javascript:alert(1)>`,
	`<base href=//evil.example/>`,
	`<style>@import'//evil.example'</style>`,
	`<div hx-get="/logout" hx-trigger="load">x</div>`,
	`<div hx-post="/logout" hx-trigger="load">x</div>`,
	`data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==`,
	`" onmouseover="alert(1)`,
	`' autofocus onfocus='alert(1)`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	`<svg><animate onbegin=alert(1) attributeName=x dur=1s>`,
	`<scr<script>ipt>alert(1)</scr</script>ipt>`,
	`&lt;script&gt;alert(1)&lt;/script&gt;`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<form action="javascript:alert(1)"><button>x</button></form>`,
}

// brXSSActor names the feed that ingests the payloads: its name reaches the
// audit trail, which the console shows too.
var brXSSActor = kizuna.Actor{Type: "system", ID: "xss-feed", Name: `<img src=x onerror=alert('actor')>`}

// brInjected counts what a payload would have created had it been parsed as
// markup: elements with event-handler attributes anywhere, and the probes'
// elements inside main (where the pages themselves have none of them).
const brInjected = `(() => {
	let n = document.querySelectorAll('main img[src="x"], main svg, main iframe, main object, main embed, main video, main marquee, main math, main style, main script, main noscript, main meta, main base, main body, main details[ontoggle], main div[hx-get="/logout"], main div[hx-post="/logout"], main a[href^="javascript:"], main form[action^="javascript:"], base, input[autofocus][onfocus]').length;
	for (const el of document.querySelectorAll('*')) {
		for (const a of el.attributes) {
			if (a.name.startsWith('on')) n++;
		}
	}
	return n;
})()`

// TestBrowserXSS stores XSS payloads as names (and tags, addresses, a feed
// name, a sign-in name) and opens every page that shows them: nothing may
// run, nothing may turn into markup, and each payload must read literally.
func TestBrowserXSS(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 10)
	ctx := context.Background()

	// One customer per payload, with its own email and member card; then
	// for each neighbouring pair a record whose card names one and whose
	// email names the other: a new customer and two possible duplicates,
	// so the duplicates list and the merge page show payloads as well.
	profile := func(name string, fields map[string]any) json.RawMessage {
		p := map[string]any{"family_name": name, "given_name": "テスト", "family_name_kana": "テスト"}
		for k, v := range fields {
			p[k] = v
		}
		return brJSON(t, p)
	}
	email := func(i int) string { return fmt.Sprintf("xss%d@example.jp", i) }
	card := func(i int) string { return fmt.Sprintf("99000000%04d", i) }
	var items []customer.SourceProfileInput
	for i, p := range brXSSPayloads {
		items = append(items, customer.SourceProfileInput{Channel: "ec", ExternalID: fmt.Sprintf("xss-%d", i), Profile: profile(p, map[string]any{
			"emails": []string{email(i)}, "member_cards": []string{card(i)}, "tags": []string{p},
			"addresses": []map[string]string{{"postal_code": "150-0041", "prefecture": "東京都", "city": "渋谷区", "street": p}},
		})})
	}
	ingest := func(items []customer.SourceProfileInput) []string {
		res, err := s.ids.Ingest(ctx, brXSSActor, nil, items)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range res {
			if r.Status == "rejected" || r.CustomerID == "" {
				t.Fatalf("payload %d rejected: %+v", r.Index, r.Error)
			}
			ids = append(ids, r.CustomerID)
		}
		return ids
	}
	ids := ingest(items)
	if distinct := slices.Compact(slices.Sorted(slices.Values(ids))); len(distinct) != len(brXSSPayloads) {
		t.Fatalf("the %d payloads made %d distinct customers", len(brXSSPayloads), len(distinct))
	}
	items = nil
	const pairs = 6
	for i := range pairs {
		items = append(items, customer.SourceProfileInput{Channel: "app", ExternalID: fmt.Sprintf("xss-pair-%d", i),
			Profile: profile(brXSSPayloads[len(brXSSPayloads)-1-i], map[string]any{"member_cards": []string{card(i)}, "emails": []string{email(i + 1)}})})
	}
	ingest(items)

	b := browsertest.New(t)
	// The sign-in form shows a failed name back.
	badName := `"><img src=x onerror=alert('login')>`
	brOpen(b, s, "/login")
	brFillSignIn(t, b, badName, "not the password")
	if v := brRun(b, chromedp.Value(chromedp.CSS("#username"))); v != badName {
		t.Errorf("after a failed sign-in the name field holds %q, want %q", v, badName)
	}
	errs := &brErrors{b: b}
	check := func(where string, want ...string) {
		t.Helper()
		errs.check(t, where, "status of 401 (Unauthorized) ("+s.srv.URL+"/login)")
		if n := brEval[int](b, brInjected); n != 0 {
			html := brRun(b, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Errorf("%s: %d elements or handlers were made from payloads; main: %.2000s", where, n, html)
		}
		txt := brMainText(b)
		for _, w := range want {
			if !strings.Contains(txt, w) {
				t.Errorf("%s: the text of the page lacks %q, shown literally", where, w)
			}
		}
		if d := b.Dialogs(); len(d) != 0 {
			t.Fatalf("%s: dialogs opened: %q", where, d)
		}
	}
	check("sign-in page after a failed attempt")

	brSignIn(t, b, s, "admin")
	// The search query is shown back in the search box.
	for _, p := range brXSSPayloads[:4] {
		brOpen(b, s, "/customers?q="+url.QueryEscape(p))
		if v := brRun(b, chromedp.Value(chromedp.CSS("#q"))); v != p {
			t.Errorf("search box holds %q, want the query %q", v, p)
		}
		check("search for " + p)
	}

	brOpen(b, s, "/customers?q="+url.QueryEscape("テスト"))
	b.Do(chromedp.WaitVisible(chromedp.CSS("table.results")))
	check("search results for テスト", brXSSPayloads...)
	browsertest.Screenshot(t, b.Context(), "search")

	for i, id := range ids {
		brOpen(b, s, "/customers/"+id)
		check(fmt.Sprintf("customer %d (%s)", i, id), brXSSPayloads[i], brXSSActor.Name)
		if i == 0 {
			browsertest.Screenshot(t, b.Context(), "customer")
			// The raw record, fetched and swapped in by htmx.
			b.Do(
				chromedp.Click(chromedp.CSS(`#sources a[hx-get*="/versions/"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#versions pre.raw`)),
			)
			check("version panel of customer 0")
			// The panel shows the record "exactly as sent". The store holds
			// it so (checked first, so a failure below is the console's).
			want := `"family_name": ` + string(brJSON(t, brXSSPayloads[0]))
			srcs, err := s.db.SourcesOfCustomer(ctx, id)
			if err != nil || len(srcs) != 1 {
				t.Fatalf("sources of customer 0: %v %v", srcs, err)
			}
			vs, err := s.db.SourceVersions(ctx, srcs[0].ID)
			if err != nil || len(vs) != 1 || !bytes.Contains(vs[0].Raw, []byte(brXSSPayloads[0])) {
				t.Fatalf("the stored raw record of customer 0 lacks %s: %v %+v", brXSSPayloads[0], err, vs)
			}
			if raw := brEval[string](b, `document.querySelector('#versions pre.raw').textContent`); !strings.Contains(raw, want) {
				t.Errorf("the raw record of customer 0 does not show the name as sent: want %s in\n%s", want, raw)
			}
		}
	}
	brOpen(b, s, "/customers/"+ids[0]+"/print")
	check("print view", brXSSPayloads[0])

	var dupNames []string
	for i := range pairs {
		dupNames = append(dupNames, brXSSPayloads[i], brXSSPayloads[i+1], brXSSPayloads[len(brXSSPayloads)-1-i])
	}
	brOpen(b, s, "/duplicates")
	check("duplicates", dupNames...)

	brOpen(b, s, "/merge?a="+ids[0]+"&b="+ids[1])
	b.Do(chromedp.WaitVisible(chromedp.CSS("#confirm-merge")))
	check("merge page", brXSSPayloads[0], brXSSPayloads[1])
	browsertest.Screenshot(t, b.Context(), "merge")

	brOpen(b, s, "/audit?actor="+url.QueryEscape(brXSSActor.ID))
	check("audit trail of the feed", brXSSActor.Name)
	brOpen(b, s, "/audit?action=auth.login_failed")
	check("audit trail of failed sign-ins", badName)
	// The filter is shown back in its field.
	brOpen(b, s, "/audit?actor="+url.QueryEscape(brXSSPayloads[3]))
	if v := brRun(b, chromedp.Value(chromedp.CSS(`input[name="actor"]`))); v != brXSSPayloads[3] {
		t.Errorf("the audit filter field holds %q, want %q", v, brXSSPayloads[3])
	}
	check("audit trail filtered by a payload")

	// The hx-post="/logout" payload would have signed the viewer out.
	if res := brOpen(b, s, "/account"); brHere(t, b).Path != "/account" {
		t.Errorf("the administrator was signed out during the walk (GET /account: %d, at %s)", res.Status, brHere(t, b))
	}
	check("account page")
}

// TestBrowserReviewQueue works the review queue from the keyboard: the
// matcher's doubtful pairs come most probable first with their evidence,
// S skips, A merges the pair in focus, R keeps one apart; every decision
// is stored with who made it.
func TestBrowserReviewQueue(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 600)
	ctx := context.Background()
	// A low review threshold, so that 600 people give a queue to work.
	if _, err := s.ids.Resolve(ctx, kizuna.System(identity.ResolverActor), identity.ResolveOptions{Apply: true, Match: resolve.Options{Review: 0.05}}); err != nil {
		t.Fatal(err)
	}
	open := func() []customer.Duplicate {
		t.Helper()
		dups, err := s.db.Duplicates(ctx, customer.DuplicateOpen, 100, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []customer.Duplicate
		for _, d := range dups {
			if d.Probability > 0 {
				out = append(out, d)
			}
		}
		return out
	}
	queue := open()
	if len(queue) < 3 {
		t.Fatalf("identity resolution queued %d pairs for review; the test needs 3", len(queue))
	}
	b := browsertest.New(t)
	brSignIn(t, b, s, "admin")
	brOpen(b, s, "/duplicates")
	b.Do(chromedp.WaitVisible(chromedp.CSS("section.review.focused")))
	if id := brEval[string](b, `document.querySelector("section.review.focused").id`); id != queue[0].ID {
		t.Errorf("focused pair %s, want the most probable %s", id, queue[0].ID)
	}
	head := b.Text("section.review.focused .prob")
	if !strings.Contains(head, "一致確率") || !strings.Contains(head, "%") {
		t.Errorf("the pair's heading says %q, want its match probability", head)
	}
	if n := brEval[int](b, `document.querySelectorAll("section.review.focused table.evidence-bars tr").length`); n < 2 {
		t.Errorf("%d evidence rows, want one per compared field", n)
	}
	browsertest.Screenshot(t, b.Context(), "review-queue")

	// S: the next pair; A: merge it.
	b.Do(chromedp.KeyEvent("s"))
	if id := brEval[string](b, `document.querySelector("section.review.focused").id`); id != queue[1].ID {
		t.Fatalf("after S the focus is on %s, want %s", id, queue[1].ID)
	}
	b.Do(chromedp.KeyEvent("a"))
	decided := func(id, status string) customer.Duplicate {
		t.Helper()
		for range 50 {
			d, err := duplicateByID(ctx, s.db, id)
			if err == nil && d.Status == status {
				return d
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("pair %s never became %s", id, status)
		return customer.Duplicate{}
	}
	d := decided(queue[1].ID, customer.DuplicateMerged)
	if d.DecidedBy == "" || d.DecidedAt == nil {
		t.Errorf("merged pair without who decided: %+v", d)
	}
	b.Do(chromedp.WaitVisible(chromedp.CSS("section.review.focused")))
	// The page came back without the merged pair; R keeps the first apart.
	if id := brEval[string](b, `document.querySelector("section.review.focused").id`); id != queue[0].ID {
		t.Fatalf("after the merge the focus is on %s, want %s", id, queue[0].ID)
	}
	b.Do(chromedp.KeyEvent("r"))
	decided(queue[0].ID, customer.DuplicateDismissed)
	entries, err := s.db.AuditEntries(ctx, audit.Filter{Action: "duplicate.dismiss"})
	if err != nil || len(entries) == 0 || entries[0].ActorType != "user" {
		t.Errorf("the keep-apart decision is not audited as the user's: %+v %v", entries, err)
	}
}

func duplicateByID(ctx context.Context, db *sqlstore.DB, id string) (customer.Duplicate, error) {
	var out customer.Duplicate
	err := db.WithTx(ctx, func(tx customer.Tx) error {
		d, err := tx.Duplicate(ctx, id)
		if err == nil {
			out = *d
		}
		return err
	})
	return out, err
}

// TestBrowserImport uploads a Shift_JIS member list, checks the mapping
// preview, starts the import and watches it finish, with the rejected row
// to download.
func TestBrowserImport(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 20)
	body := "会員番号,氏名,フリガナ,電話番号,生年月日\r\n" +
		"W1,山田 花子,ヤマダ ハナコ,090-1111-2222,1970-03-01\r\n" +
		"W2,佐藤 一郎,サトウ イチロウ,03-1111-2222,1980/02/30\r\n" +
		"W3,鈴木 美咲,スズキ ミサキ,,昭和60年5月5日\r\n"
	sjis, err := japanese.ShiftJIS.NewEncoder().String(body)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "会員名簿.csv")
	os.WriteFile(file, []byte(sjis), 0o644)

	b := browsertest.New(t)
	brSignIn(t, b, s, "admin")
	brOpen(b, s, "/imports")
	b.Do(chromedp.SetUploadFiles(`input[type="file"]`, []string{file}))
	b.Do(chromedp.SetValue(`select[name="channel"]`, "store"))
	brSubmit(t, b, "#upload")
	u := brHere(t, b)
	if !strings.HasPrefix(u.Path, "/imports/imp_") {
		t.Fatalf("after the upload the browser is at %s: %.300s", u, brMainText(b))
	}
	if v := brEval[string](b, `document.querySelector('select[name="field_4"]').value`); v != "birth_date" {
		t.Errorf("生年月日 is mapped to %q, want birth_date", v)
	}
	if txt := brMainText(b); !strings.Contains(txt, "3行のうち2行を取り込めます") {
		t.Errorf("the preview does not count the rows: %.400s", txt)
	}
	// What One ID would do with the rows, tried and rolled back: it
	// refuses the row with 2月30日 (counted above), the others are new.
	if got := b.Text("#predicted"); !strings.Contains(got, "最初の3行を試すと：新規のお客様 2件") {
		t.Errorf("the preview's prediction: %q", got)
	}
	browsertest.Screenshot(t, b.Context(), "import-preview")
	brSubmit(t, b, "#start-import")
	b.Do(chromedp.WaitVisible(chromedp.CSS("#rejects")))
	if got := b.Text("#count-created"); got != "2" {
		t.Errorf("created %q, want 2", got)
	}
	browsertest.Screenshot(t, b.Context(), "import-done")
	found, err := s.ids.Lookup(context.Background(), "phone", "090-1111-2222")
	if err != nil || len(found) != 1 || found[0].Profile.FamilyName != "山田" {
		t.Errorf("the imported customer: %+v %v", found, err)
	}
}
