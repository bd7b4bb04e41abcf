package console

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/i18n"
)

func contextWith(ctx context.Context, rq *request) context.Context {
	return context.WithValue(ctx, reqKey{}, rq)
}

// pages holds one template set per page: the layout plus the page's own
// file, so pages may define blocks of the same name.
type pages struct {
	byName map[string]*template.Template
}

var funcs = template.FuncMap{
	"join": strings.Join,
	"list": func(v ...string) []string { return v },
	// panel is replaced per page set (see loadPages): it renders a named
	// panel template, so pages list their panels as data.
	"panel": func(name string, data any) (template.HTML, error) { return "", fmt.Errorf("panel %s: not bound", name) },
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

func loadPages() (*pages, error) {
	p := &pages{byName: map[string]*template.Template{}}
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	names, err := fs.Glob(files, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		t, err := template.Must(layout.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", n, err)
		}
		t.Funcs(template.FuncMap{"panel": func(name string, data any) (template.HTML, error) {
			if !strings.HasPrefix(name, "panel-") || t.Lookup(name) == nil {
				return "", fmt.Errorf("no panel template %q", name)
			}
			var b bytes.Buffer
			err := t.ExecuteTemplate(&b, name, data)
			return template.HTML(b.String()), err // #nosec: the panel is itself an escaped template
		}})
		p.byName[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	return p, nil
}

// view is what every page template receives.
type view struct {
	*request
	Title   string
	Section string // highlighted in the navigation
	Flash   string
	Error   string
	Status  int
	Version string
	Data    any
}

// T translates a message key in the viewer's language.
func (v *view) T(key string, args ...any) string { return i18n.T(v.Locale, key, args...) }

// Date shows a time as a date in Asia/Tokyo, Japanese style for ja.
func (v *view) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return i18n.FormatDate(t, v.Locale, v.Wareki)
}

// DateTime shows a time with minutes in Asia/Tokyo.
func (v *view) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return i18n.FormatDateTime(t, v.Locale, v.Wareki)
}

// PDateTime is DateTime for optional times.
func (v *view) PDateTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return v.DateTime(*t)
}

// PDate is Date for optional times.
func (v *view) PDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return v.Date(*t)
}

// ISODate shows a stored YYYY-MM-DD date.
func (v *view) ISODate(s string) string {
	if s == "" {
		return "—"
	}
	return i18n.FormatISODate(s, v.Locale, v.Wareki)
}

// Num shows an integer with separators.
func (v *view) Num(n int) string { return i18n.Number(int64(n)) }

// Honorific follows a customer's name: 様 in Japanese, nothing in English.
func (v *view) Honorific() string {
	if v.Locale == i18n.Ja {
		return "様"
	}
	return ""
}

// Yen formats an amount of yen: ¥1,980.
func (v *view) Yen(n int64) string { return commerce.Yen(n).String() }

// Num64 is Num for int64.
func (v *view) Num64(n int64) string { return i18n.Number(n) }

// Bytes shows a file size.
func (v *view) Bytes(n int64) string {
	switch {
	case n >= 10<<20:
		return i18n.Number(n>>20) + " MB"
	case n >= 10<<10:
		return i18n.Number(n>>10) + " KB"
	}
	return i18n.Number(n) + " B"
}

// Can reports whether the viewer holds a permission (to show or hide
// controls; the server enforces it again on the request).
func (v *view) Can(perm string) bool { return v.request.can(perm) }

// CSRF is the token forms and htmx send back.
func (v *view) CSRF() string {
	if v.Session == nil {
		return ""
	}
	return v.Session.CSRFToken
}

// RoleName is a role in the viewer's language.
func (v *view) RoleName(role string) string { return v.T("role." + role) }

// Roles lists the roles for forms.
func (v *view) Roles() []string { return auth.Roles }

// render writes a full page, or only its "content" block for htmx
// requests that target the main area.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, v *view) {
	t := s.pages.byName[name]
	if t == nil {
		s.log.Error("no such console page", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v.request = reqFrom(r.Context())
	if v.request == nil {
		v.request = &request{Locale: i18n.Ja}
	}
	v.Version = s.Version
	block := "layout.html"
	// htmx requests swap a part of the page: pages that define a
	// "partial" block (search results, a revealed value, the chain check)
	// answer with it alone.
	if r.Header.Get("HX-Request") != "" && r.Header.Get("HX-Boosted") == "" && t.Lookup("partial") != nil {
		block = "partial"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, v); err != nil {
		s.log.Error("render console page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "HX-Request")
	if v.Status != 0 {
		w.WriteHeader(v.Status)
	}
	buf.WriteTo(w)
}

// fail shows an error page that says what to do next.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, rq *request, status int, msg string) {
	if rq == nil {
		rq = &request{Locale: i18n.Ja}
	}
	r = r.WithContext(contextWith(r.Context(), rq))
	if r.Header.Get("HX-Request") != "" {
		// htmx swaps only 2xx answers by default; the error goes into the
		// page's message area instead (see static/app.js).
		w.Header().Set("HX-Retarget", "#messages")
		w.Header().Set("HX-Reswap", "innerHTML")
		s.render(w, r, "error", &view{Title: rq.title(status), Error: msg, Status: status})
		return
	}
	s.render(w, r, "error", &view{Title: rq.title(status), Error: msg, Status: status})
}

func (rq *request) title(status int) string {
	return i18n.T(rq.Locale, fmt.Sprintf("http.%d", status))
}

// duplicateReasons translates the reasons the deterministic matcher gives
// (identity/matcher.go); reasons from elsewhere are shown as they are.
var duplicateReasons = map[string]string{
	"same phone number only":                                                       "reason.phone_only",
	"member card number is held by several customers":                              "reason.card_shared",
	"email address is held by several customers":                                   "reason.email_shared",
	"an updated source record shares a member card or email with another customer": "reason.updated_shares",
}

// Reason shows why two customers are possible duplicates, in the viewer's
// language.
// MatchField names a compared field; a custom attribute keeps its name.
func (v *view) MatchField(name string) string {
	if k := "match.field." + name; v.T(k) != k {
		return v.T(k)
	}
	return name
}

// MatchLevel names a comparison level.
func (v *view) MatchLevel(level string) string {
	if k := "match.level." + level; v.T(k) != k {
		return v.T(k)
	}
	return level
}

func (v *view) Reason(r string) string {
	if k, ok := duplicateReasons[r]; ok {
		return v.T(k)
	}
	if rest, ok := strings.CutPrefix(r, "signals disagree: member card matches "); ok {
		if card, email, ok := strings.Cut(rest, ", email matches "); ok {
			return v.T("reason.signals_disagree", card, email)
		}
	}
	return r
}
