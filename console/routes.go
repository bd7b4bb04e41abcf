package console

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/importjob"
)

// Access levels of console routes besides auth's permissions.
const (
	// Public routes need no session (the sign-in page).
	Public = "public"
	// SecondFactor routes accept a session whose password was right but
	// whose TOTP code is still due.
	SecondFactor = "second-factor"
	// SignedIn routes need a complete session, whatever the role.
	SignedIn = "signed-in"
)

// Route is one console route and the access it requires: Public,
// SecondFactor, SignedIn or an auth permission. This table is the one
// place access is declared; docs/access.md is generated from it and tests
// request every route as every role.
type Route struct {
	Pattern string // method and path, as http.ServeMux takes it
	Access  string
	Title   string // what the route is for, for docs/access.md
	handler func(http.ResponseWriter, *http.Request, *request)
}

// Routes lists the console's routes (for documentation and tests).
func (s *Server) Routes() []Route { return s.routes() }

func (s *Server) routes() []Route {
	return []Route{
		{"GET /login", Public, "sign-in page", s.loginPage},
		{"POST /login", Public, "sign in", s.login},
		{"GET /login/totp", SecondFactor, "second-factor page", s.totpPage},
		{"POST /login/totp", SecondFactor, "check the second factor", s.totpCheck},
		{"POST /logout", SecondFactor, "sign out", s.logout},

		{"GET /{$}", SignedIn, "dashboard", s.dashboard},
		{"GET /dashboard/stats.json", auth.PermCustomerRead, "dashboard chart data", s.statsJSON},
		{"GET /account", SignedIn, "own account", s.accountPage},
		{"POST /account/password", SignedIn, "change own password", s.changePassword},
		{"POST /account/preferences", SignedIn, "language and date style", s.setPreferences},
		{"POST /account/totp", SignedIn, "enrol or remove a second factor", s.totpEnroll},

		{"GET /customers", auth.PermCustomerRead, "search customers", s.search},
		{"GET /customers/{id}", auth.PermCustomerRead, "customer 360° view", s.customerPage},
		{"GET /export", auth.PermCustomerExport, "choose what to export", s.exportPage},
		{"POST /export", auth.PermCustomerExport, "download customers as CSV or Excel (masked without customer.pii; audited with the file's hash)", s.export},
		{"GET /customers/{id}/print", auth.PermCustomerRead, "print view (audited as a print)", s.customerPrint},
		{"POST /customers/{id}/reveal", auth.PermPersonalReveal, "reveal a masked field, with a reason (audited)", s.reveal},
		{"POST /customers/{id}/notes", auth.PermCustomerWrite, "add a staff note", s.addNote},
		{"POST /customers/{id}/points/adjust", auth.PermPointsWrite, "adjust points by hand within the role's limit, with a reason (audited)", s.adjustPoints},
		{"GET /products", auth.PermCatalogRead, "products: list by SKU, by JAN (barcode) or category", s.products},
		{"GET /products/{sku}", auth.PermCatalogRead, "a product with its stock at every store and warehouse", s.product},
		{"GET /till", auth.PermPointsWrite, "till: find a member by card scan or phone", s.till},
		{"GET /till/{id}", auth.PermPointsWrite, "till: a member's points and rank, purchase and redemption forms", s.tillMember},
		{"POST /till/{id}/sale", auth.PermPointsWrite, "till: record a purchase by receipt number and award its points (idempotent by receipt)", s.tillSaleAction},
		{"POST /till/{id}/hold", auth.PermPointsWrite, "till: hold points for the sale being rung up (idempotent by receipt)", s.tillHold},
		{"POST /till/holds/{hold}/commit", auth.PermPointsWrite, "till: spend held points", s.tillSettle},
		{"POST /till/holds/{hold}/release", auth.PermPointsWrite, "till: give held points back", s.tillSettle},
		{"GET /customers/{id}/points.csv", auth.PermPointsRead, "download the points statement (audited)", s.pointsCSV},
		{"GET /points", auth.PermPointsRead, "points: the program's rules and their history, customers whose points expire soon (reads audited)", s.pointsPage},
		{"GET /points/expiring.csv", auth.PermCustomerExport, "download the customers whose points expire within N days (audited)", s.expiringCSV},
		{"POST /points/program", auth.PermAdmin, "change the points program's main rules, for orders from now on (audited)", s.saveProgram},
		{"GET /customers/{id}/versions/{profile}", auth.PermCustomerRead, "versions of one source record", s.versions},
		{"GET /duplicates", auth.PermCustomerRead, "review queue: possible duplicates, most probable first, with the evidence", s.duplicates},
		{"POST /duplicates/{id}/accept", auth.PermCustomerMerge, "merge a possible duplicate (audited)", s.acceptDuplicate},
		{"POST /duplicates/{id}/dismiss", auth.PermCustomerMerge, "keep two customers apart (audited; the resolver never joins them)", s.dismissDuplicate},
		{"POST /duplicates/accept", auth.PermCustomerMerge, "merge every open pair at or above a probability (audited)", s.acceptDuplicatesAbove},
		{"GET /merge", auth.PermCustomerMerge, "compare two customers before merging", s.mergePage},
		{"POST /merge", auth.PermCustomerMerge, "merge two customers", s.merge},
		{"POST /merges/{id}/unmerge", auth.PermCustomerMerge, "undo a merge", s.unmerge},
		{"POST /customers/{id}/erasure", auth.PermCustomerErase, "erase a customer's personal data", s.erase},
		{"POST /customers/{id}/disclosure", auth.PermCustomerDisclose, "download everything held about a customer (audited)", s.disclose},

		{"GET /audit", auth.PermAuditRead, "audit trail", s.auditPage},
		{"GET /audit/export.csv", auth.PermAuditRead, "export the filtered audit trail (audited)", s.auditExport},
		{"POST /audit/verify", auth.PermAuditRead, "verify the hash chain", s.auditVerify},

		{"GET /imports", auth.PermAdmin, "file imports: upload and recent jobs", s.importsPage},
		{"POST /imports", auth.PermAdmin, "upload a CSV, TSV or Excel file (preview first)", s.uploadImport},
		{"GET /imports/{id}", auth.PermAdmin, "an import: mapping preview, then progress and counts", s.importPage},
		{"POST /imports/{id}/mapping", auth.PermAdmin, "change a previewed import's column mapping", s.remapImport},
		{"POST /imports/{id}/start", auth.PermAdmin, "start a previewed import", s.startImport},
		{"GET /imports/{id}/rejects.csv", auth.PermAdmin, "download an import's rejected rows", s.importRejects},

		{"GET /admin", auth.PermAdmin, "administration", s.adminPage},
		{"POST /admin/users", auth.PermAdmin, "add a staff user", s.addUser},
		{"POST /admin/users/{id}", auth.PermAdmin, "change a user's role, password or status", s.updateUser},
		{"POST /admin/apikeys", auth.PermAdmin, "create an API key (secret shown once)", s.createAPIKey},
		{"POST /admin/apikeys/{id}/revoke", auth.PermAdmin, "revoke an API key", s.revokeAPIKey},
		{"POST /admin/terminals", auth.PermAdmin, "name this device as a terminal", s.createTerminal},
		{"POST /admin/terminals/{id}/revoke", auth.PermAdmin, "revoke a terminal", s.revokeTerminal},
		{"POST /admin/channels", auth.PermAdmin, "add or change a channel", s.saveChannel},
		{"POST /admin/stores", auth.PermAdmin, "add or change a store", s.saveStore},
		{"POST /admin/survivorship", auth.PermAdmin, "change survivorship rules", s.saveSurvivorship},
	}
}

const (
	sessionCookie  = "kizuna_session"
	terminalCookie = "kizuna_terminal"
	loginCookie    = "kizuna_login" // CSRF token of the sign-in form, before any session exists
)

// guard signs the caller in from the session cookie, refuses cross-site
// and token-less writes, and enforces the route's access.
func (s *Server) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{Locale: i18n.Negotiate(r.Header.Get("Accept-Language"), "")}
		rq.Actor = kizuna.Actor{Type: "user", IP: s.clientIP(r), UserAgent: r.UserAgent()}
		if c, err := r.Cookie(terminalCookie); err == nil && c.Value != "" {
			if t, err := s.Auth.TerminalByToken(r.Context(), auth.HashToken(c.Value)); err == nil && t.RevokedAt == nil {
				rq.Terminal = t.Name
				rq.Actor.Terminal = t.Name
			}
		}
		s.loadSession(w, r, rq)
		ctx := r.Context()
		r = r.WithContext(contextWith(ctx, rq))
		write := r.Method != http.MethodGet && r.Method != http.MethodHead

		if write && !sameOrigin(r) {
			s.fail(w, r, rq, http.StatusForbidden, i18n.T(rq.Locale, "error.cross_site"))
			return
		}
		if rt.Access == Public {
			rt.handler(w, r, rq)
			return
		}
		if rq.Session == nil {
			s.toLogin(w, r)
			return
		}
		if rq.Session.MFAPending && rt.Access != SecondFactor {
			s.redirect(w, r, "/login/totp")
			return
		}
		if write {
			// No console form is bigger than a file upload.
			r.Body = http.MaxBytesReader(w, r.Body, importjob.MaxUpload+1<<20)
			token := r.Header.Get("X-CSRF-Token")
			if token == "" {
				token = r.PostFormValue("csrf")
			}
			if subtle.ConstantTimeCompare([]byte(token), []byte(rq.Session.CSRFToken)) != 1 {
				s.fail(w, r, rq, http.StatusForbidden, i18n.T(rq.Locale, "error.csrf"))
				return
			}
		}
		if rt.Access != SignedIn && rt.Access != SecondFactor && !rq.can(rt.Access) {
			s.fail(w, r, rq, http.StatusForbidden, i18n.T(rq.Locale, "error.forbidden"))
			return
		}
		rt.handler(w, r, rq)
	})
}

// loadSession fills rq from a valid session cookie. An expired session is
// deleted; a disabled user is signed out.
func (s *Server) loadSession(w http.ResponseWriter, r *http.Request, rq *request) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return
	}
	ctx := r.Context()
	hash := auth.HashToken(c.Value)
	sess, err := s.Auth.Session(ctx, hash)
	if err != nil {
		return
	}
	now := s.now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.IdleTimeout {
		_ = s.Auth.DeleteSession(ctx, hash)
		return
	}
	u, err := s.Auth.UserByID(ctx, sess.UserID)
	if err != nil || u.Disabled {
		_ = s.Auth.DeleteSession(ctx, hash)
		return
	}
	// Activity is written at most once a minute: a page load must not
	// always wait for the single SQLite writer.
	if now.Sub(sess.LastSeenAt) > time.Minute {
		sess.LastSeenAt = now
		if err := s.Auth.UpdateSession(ctx, sess); err != nil {
			s.log.Warn("session activity not saved", "err", err)
		}
	}
	rq.Session, rq.User = sess, u
	pref, _, _ := strings.Cut(u.Locale, "+")
	rq.Locale = i18n.Negotiate(r.Header.Get("Accept-Language"), pref)
	rq.Wareki = strings.Contains(u.Locale, "+wareki")
	rq.Actor.ID, rq.Actor.Name = u.ID, u.Username
}

// sameOrigin refuses writes whose Origin (or, without one, Referer) names
// another site: a second line of defence behind the CSRF token.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" || o == "null" && r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	return u.Host == r.Host
}

func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet || r.Header.Get("HX-Request") != "" {
		next = "/"
	}
	target := "/login?next=" + url.QueryEscape(next)
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// redirect answers a plain request with 303 and an htmx one with HX-Redirect.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get("HX-Request") != "" {
		w.Header().Set("HX-Redirect", to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	rq := &request{Locale: i18n.Negotiate(r.Header.Get("Accept-Language"), "")}
	s.loadSession(w, r, rq)
	s.fail(w, r, rq, http.StatusNotFound, i18n.T(rq.Locale, "error.not_found"))
}
