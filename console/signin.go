package console

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strings"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/i18n"
)

// audit writes one entry now, in its own transaction: sign-ins and
// administrative changes must be on record before the answer is sent.
func (s *Server) audit(ctx context.Context, rq *request, action, objType, objID, customerID string, detail any) {
	a := rq.Actor
	if a.ID == "" {
		a.Type, a.ID = "anonymous", "-"
	}
	e := audit.New(a, s.now(), action, objType, objID, customerID, detail)
	if err := s.Audit.AppendAudit(ctx, e); err != nil {
		s.log.Error("audit entry not written", "action", action, "err", err)
	}
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}

func (s *Server) secureCookie(r *http.Request) bool { return r.TLS != nil || s.SecureCookies }

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secureCookie(r),
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

type loginData struct {
	Next     string
	Username string
	Token    string
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, rq *request) {
	next := safeNext(r.URL.Query().Get("next"))
	if rq.Session != nil && !rq.Session.MFAPending {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, rq, next, "", "", 0)
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, rq *request, next, username, msg string, status int) {
	token, _ := auth.NewToken()
	s.setCookie(w, r, loginCookie, token, 3600)
	s.render(w, r, "login", &view{Title: i18n.T(rq.Locale, "login.title"), Error: msg, Status: status,
		Data: loginData{Next: next, Username: username, Token: token}})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	next := safeNext(r.PostFormValue("next"))
	username := strings.TrimSpace(strings.ToLower(r.PostFormValue("username")))
	// The sign-in form has no session yet: its CSRF token is the
	// double-submitted cookie.
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.renderLogin(w, r, rq, next, username, i18n.T(rq.Locale, "login.expired"), http.StatusForbidden)
		return
	}
	if !s.loginLimiter(rq.Actor.IP).Allow() {
		w.Header().Set("Retry-After", "5")
		s.audit(ctx, rq, "auth.login_throttled", "user", username, "", nil)
		s.renderLogin(w, r, rq, next, username, i18n.T(rq.Locale, "login.throttled"), http.StatusTooManyRequests)
		return
	}
	bad := i18n.T(rq.Locale, "login.failed")
	u, err := s.Auth.UserByName(ctx, username)
	if err != nil {
		// Spend the time a password check takes, so response times do not
		// tell which usernames exist.
		auth.CheckPassword(s.dummyHash, r.PostFormValue("password"))
		s.audit(ctx, rq, "auth.login_failed", "user", username, "", map[string]any{"reason": "unknown user"})
		s.renderLogin(w, r, rq, next, username, bad, http.StatusUnauthorized)
		return
	}
	now := s.now()
	rq.Actor.ID, rq.Actor.Name = u.ID, u.Username
	if u.Disabled {
		s.audit(ctx, rq, "auth.login_failed", "user", u.ID, "", map[string]any{"reason": "disabled"})
		s.renderLogin(w, r, rq, next, username, bad, http.StatusUnauthorized)
		return
	}
	if now.Before(u.LockedUntil) {
		s.audit(ctx, rq, "auth.login_failed", "user", u.ID, "", map[string]any{"reason": "locked"})
		s.renderLogin(w, r, rq, next, username, i18n.T(rq.Locale, "login.locked", i18n.FormatDateTime(u.LockedUntil, rq.Locale, false)), http.StatusUnauthorized)
		return
	}
	if !auth.CheckPassword(u.PasswordHash, r.PostFormValue("password")) {
		s.loginFailed(ctx, w, r, rq, u, "password", next, bad)
		return
	}
	if _, err := s.Auth.RecordLogin(ctx, u.ID, true, lockAfter, lockFor, now); err != nil {
		s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
		return
	}
	token, hash := auth.NewToken()
	csrf, _ := auth.NewToken()
	sess := &auth.Session{TokenHash: hash, UserID: u.ID, CSRFToken: csrf, MFAPending: u.TOTPSecret != "", IP: rq.Actor.IP,
		UserAgent: r.UserAgent(), CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.MaxSessionAge)}
	if err := s.Auth.CreateSession(ctx, sess); err != nil {
		s.log.Error("create session", "err", err)
		s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
		return
	}
	// A session cookie (no expiry): closing the browser of a shared
	// terminal signs the user out.
	s.setCookie(w, r, sessionCookie, token, 0)
	s.setCookie(w, r, loginCookie, "", -1)
	if sess.MFAPending {
		s.audit(ctx, rq, "auth.password_ok", "user", u.ID, "", map[string]any{"second_factor": "due"})
		http.Redirect(w, r, "/login/totp?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	s.audit(ctx, rq, "auth.login", "user", u.ID, "", nil)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) loginFailed(ctx context.Context, w http.ResponseWriter, r *http.Request, rq *request, u *auth.User, what, next, msg string) {
	after, err := s.Auth.RecordLogin(ctx, u.ID, false, lockAfter, lockFor, s.now())
	if err != nil {
		s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
		return
	}
	s.audit(ctx, rq, "auth.login_failed", "user", u.ID, "", map[string]any{"reason": what, "failures": after.FailedLogins})
	// Every failure from the fifth on locks (again) for lockFor.
	if after.FailedLogins >= lockAfter {
		s.audit(ctx, rq, "auth.lockout", "user", u.ID, "", map[string]any{"until": after.LockedUntil})
	}
	if what == "totp" {
		s.render(w, r, "totp", &view{Title: i18n.T(rq.Locale, "totp.title"), Error: msg, Status: http.StatusUnauthorized, Data: loginData{Next: next}})
		return
	}
	s.renderLogin(w, r, rq, next, u.Username, msg, http.StatusUnauthorized)
}

func (s *Server) totpPage(w http.ResponseWriter, r *http.Request, rq *request) {
	if !rq.Session.MFAPending {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, "totp", &view{Title: i18n.T(rq.Locale, "totp.title"), Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

func (s *Server) totpCheck(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	next := safeNext(r.PostFormValue("next"))
	if !rq.Session.MFAPending {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if s.now().Before(rq.User.LockedUntil) {
		s.render(w, r, "totp", &view{Title: i18n.T(rq.Locale, "totp.title"), Status: http.StatusUnauthorized,
			Error: i18n.T(rq.Locale, "login.locked", i18n.FormatDateTime(rq.User.LockedUntil, rq.Locale, false)), Data: loginData{Next: next}})
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	if !totp.Validate(code, rq.User.TOTPSecret) {
		s.loginFailed(ctx, w, r, rq, rq.User, "totp", next, i18n.T(rq.Locale, "totp.failed"))
		return
	}
	rq.Session.MFAPending = false
	rq.Session.LastSeenAt = s.now()
	if err := s.Auth.UpdateSession(ctx, rq.Session); err != nil {
		s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
		return
	}
	_, _ = s.Auth.RecordLogin(ctx, rq.User.ID, true, lockAfter, lockFor, s.now())
	s.audit(ctx, rq, "auth.login", "user", rq.User.ID, "", map[string]any{"second_factor": "totp"})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, rq *request) {
	_ = s.Auth.DeleteSession(r.Context(), rq.Session.TokenHash)
	s.audit(r.Context(), rq, "auth.logout", "user", rq.User.ID, "", nil)
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type accountData struct {
	TOTPEnrolled bool
	NewSecret    string
	QR           template.URL // a PNG as a data: URL (img-src allows data:)
	Wareki       bool
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, rq *request) {
	s.renderAccount(w, r, rq, "", "", 0, nil)
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, rq *request, flash, msg string, status int, d *accountData) {
	if d == nil {
		d = &accountData{}
	}
	d.TOTPEnrolled = rq.User.TOTPSecret != ""
	d.Wareki = rq.Wareki
	s.render(w, r, "account", &view{Title: i18n.T(rq.Locale, "account.title"), Section: "account", Flash: flash, Error: msg, Status: status, Data: d})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	if !auth.CheckPassword(rq.User.PasswordHash, r.PostFormValue("current")) {
		s.audit(ctx, rq, "user.password_change_failed", "user", rq.User.ID, "", nil)
		s.renderAccount(w, r, rq, "", i18n.T(rq.Locale, "account.wrong_password"), http.StatusUnprocessableEntity, nil)
		return
	}
	pw := r.PostFormValue("new")
	if pw != r.PostFormValue("confirm") {
		s.renderAccount(w, r, rq, "", i18n.T(rq.Locale, "account.mismatch"), http.StatusUnprocessableEntity, nil)
		return
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		s.renderAccount(w, r, rq, "", i18n.T(rq.Locale, "account.too_short", auth.MinPasswordLength), http.StatusUnprocessableEntity, nil)
		return
	}
	u := *rq.User
	u.PasswordHash, u.UpdatedAt = hash, s.now()
	if err := s.Auth.UpdateUser(ctx, &u); err != nil {
		s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
		return
	}
	// Every other session of this user ends; this one goes on.
	if err := s.Auth.DeleteUserSessions(ctx, u.ID); err == nil {
		_ = s.Auth.CreateSession(ctx, rq.Session)
	}
	rq.User = &u
	s.audit(ctx, rq, "user.password_change", "user", u.ID, "", nil)
	s.renderAccount(w, r, rq, i18n.T(rq.Locale, "account.password_changed"), "", 0, nil)
}

func (s *Server) setPreferences(w http.ResponseWriter, r *http.Request, rq *request) {
	loc := r.PostFormValue("locale")
	if loc != "ja" && loc != "en" {
		s.renderAccount(w, r, rq, "", i18n.T(rq.Locale, "error.invalid", "locale"), http.StatusUnprocessableEntity, nil)
		return
	}
	if r.PostFormValue("wareki") == "on" {
		loc += "+wareki"
	}
	u := *rq.User
	u.Locale, u.UpdatedAt = loc, s.now()
	if err := s.Auth.UpdateUser(r.Context(), &u); err != nil {
		s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// totpEnroll starts enrolment (a new secret and its QR code), confirms it
// with a code from the authenticator app, or removes the second factor
// (asking for the password).
func (s *Server) totpEnroll(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	switch r.PostFormValue("action") {
	case "start":
		key, err := totp.Generate(totp.GenerateOpts{Issuer: "Kizuna", AccountName: rq.User.Username, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
			return
		}
		img, err := key.Image(200, 200)
		var buf bytes.Buffer
		if err == nil {
			err = png.Encode(&buf, img)
		}
		if err != nil {
			s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
			return
		}
		s.renderAccount(w, r, rq, "", "", 0, &accountData{NewSecret: key.Secret(), QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))})
	case "confirm":
		secret := r.PostFormValue("secret")
		if secret == "" || !totp.Validate(strings.TrimSpace(r.PostFormValue("code")), secret) {
			s.renderAccount(w, r, rq, "", i18n.T(rq.Locale, "totp.failed"), http.StatusUnprocessableEntity, &accountData{NewSecret: secret})
			return
		}
		u := *rq.User
		u.TOTPSecret, u.UpdatedAt = secret, s.now()
		if err := s.Auth.UpdateUser(ctx, &u); err != nil {
			s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
			return
		}
		rq.User = &u
		s.audit(ctx, rq, "user.totp_enrol", "user", u.ID, "", nil)
		s.renderAccount(w, r, rq, i18n.T(rq.Locale, "totp.enrolled"), "", 0, nil)
	case "remove":
		if !auth.CheckPassword(rq.User.PasswordHash, r.PostFormValue("current")) {
			s.renderAccount(w, r, rq, "", i18n.T(rq.Locale, "account.wrong_password"), http.StatusUnprocessableEntity, nil)
			return
		}
		u := *rq.User
		u.TOTPSecret, u.UpdatedAt = "", s.now()
		if err := s.Auth.UpdateUser(ctx, &u); err != nil {
			s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
			return
		}
		rq.User = &u
		s.audit(ctx, rq, "user.totp_remove", "user", u.ID, "", nil)
		s.renderAccount(w, r, rq, i18n.T(rq.Locale, "totp.removed"), "", 0, nil)
	default:
		s.fail(w, r, rq, http.StatusBadRequest, i18n.T(rq.Locale, "error.invalid", "action"))
	}
}
