package browsertest_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kizuna-oss/kizuna/internal/browsertest"
)

// The page mimics the console's setup: a strict CSP, behaviour only in an
// external script, and an inline script standing in for an injected payload.
const cspPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>csp</title></head>
<body>
<h1>Strict CSP</h1>
<button id="go" type="button">Go</button>
<p id="out">before</p>
<script>alert(1)</script>
<script src="/app.js"></script>
</body></html>`

const appJS = `document.getElementById("go").addEventListener("click", function () {
	document.getElementById("out").textContent = "clicked";
});`

// Without a CSP the same kind of inline script runs; the text after the alert
// proves the dialog was dismissed and did not stall the page.
const noCSPPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>no csp</title></head>
<body>
<p id="after">waiting</p>
<script>alert("detector works"); document.getElementById("after").textContent = "continued";</script>
</body></html>`

func newServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(cspPage))
	})
	mux.HandleFunc("GET /app.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write([]byte(appJS))
	})
	mux.HandleFunc("GET /nocsp", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(noCSPPage))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestCSPBlocksInlineScriptButNotAppScript(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	b := browsertest.New(t)

	b.Do(chromedp.Navigate(srv.URL + "/"))
	if got := b.Text("#out"); got != "before" {
		t.Fatalf("#out before the click = %q, want %q", got, "before")
	}
	b.Do(chromedp.Click(chromedp.CSS("#go")))
	if got := b.Text("#out"); got != "clicked" {
		t.Fatalf("#out after the click = %q, want %q: the external script did not run", got, "clicked")
	}

	if d := b.Dialogs(); len(d) != 0 {
		t.Errorf("dialogs = %q, want none: the inline script ran despite the CSP", d)
	}
	errs := b.ConsoleErrors()
	if !slices.ContainsFunc(errs, func(s string) bool { return strings.Contains(s, "Content Security Policy") }) {
		t.Errorf("console errors = %q, want a Content Security Policy violation for the inline script", errs)
	}

	file := browsertest.Screenshot(t, b.Context(), "csp-page")
	png, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s is not a PNG (%d bytes)", file, len(png))
	}
}

// The detector must be able to fail, or the empty Dialogs above proves nothing.
func TestDialogsRecordsAlertWithoutCSP(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	b := browsertest.New(t)

	b.Do(chromedp.Navigate(srv.URL + "/nocsp"))
	if got := b.Text("#after"); got != "continued" {
		t.Fatalf("#after = %q, want %q: the alert was not dismissed", got, "continued")
	}
	want := []string{"alert: detector works"}
	if got := b.Dialogs(); !slices.Equal(got, want) {
		t.Fatalf("dialogs = %q, want %q", got, want)
	}
}
