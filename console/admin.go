package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
)

type adminData struct {
	Tab          string
	Users        []auth.User
	Keys         []auth.APIKey
	Terminals    []auth.Terminal
	Channels     []customer.Channel
	Stores       []customer.Location
	Rules        customer.Survivorship
	Fields       []string
	RuleNames    []customer.Rule
	NewSecret    string // an API key's secret, shown once
	ThisTerminal string
	Kinds        []string
	Scopes       []string
}

var adminTabs = []string{"users", "apikeys", "terminals", "channels", "stores", "survivorship"}

func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, rq *request) {
	s.renderAdmin(w, r, rq, r.URL.Query().Get("tab"), "", "", 0, "")
}

func (s *Server) renderAdmin(w http.ResponseWriter, r *http.Request, rq *request, tab, flash, msg string, status int, secret string) {
	ctx := r.Context()
	if !slices.Contains(adminTabs, tab) {
		tab = "users"
	}
	d := adminData{Tab: tab, NewSecret: secret, ThisTerminal: rq.Terminal, Fields: customer.GoldenFields, RuleNames: customer.Rules,
		Kinds: customer.ChannelKinds, Scopes: auth.Scopes}
	var err error
	switch tab {
	case "users":
		d.Users, err = s.Auth.Users(ctx)
	case "apikeys":
		d.Keys, err = s.Auth.APIKeys(ctx)
	case "terminals":
		d.Terminals, err = s.Auth.Terminals(ctx)
	case "channels":
		d.Channels, err = s.Customers.Channels(ctx)
	case "stores":
		d.Stores, err = s.Customers.Locations(ctx)
		if err == nil {
			d.Channels, err = s.Customers.Channels(ctx)
		}
	case "survivorship":
		d.Rules, err = s.Customers.Survivorship(ctx)
	}
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	s.render(w, r, "admin", &view{Title: i18n.T(rq.Locale, "nav.admin"), Section: "admin", Flash: flash, Error: msg, Status: status, Data: d})
}

func (s *Server) addUser(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	name := strings.TrimSpace(strings.ToLower(r.PostFormValue("username")))
	role := r.PostFormValue("role")
	bad := func(err error) {
		s.renderAdmin(w, r, rq, "users", "", kizuna.ErrorMessage(err), http.StatusUnprocessableEntity, "")
	}
	if err := auth.ValidateUsername(name); err != nil {
		bad(err)
		return
	}
	if err := auth.ValidateRole(role); err != nil {
		bad(err)
		return
	}
	hash, err := auth.HashPassword(r.PostFormValue("password"))
	if err != nil {
		bad(err)
		return
	}
	now := s.now()
	u := &auth.User{ID: kizuna.NewID("usr"), Username: name, DisplayName: strings.TrimSpace(r.PostFormValue("display_name")), Role: role,
		Locale: "ja", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := s.Auth.CreateUser(ctx, u); err != nil {
		if kizuna.ErrorCode(err) == kizuna.ECONFLICT {
			bad(err)
			return
		}
		s.serverError(w, r, rq, err)
		return
	}
	s.audit(ctx, rq, "user.create", "user", u.ID, "", map[string]any{"username": u.Username, "role": u.Role})
	s.renderAdmin(w, r, rq, "users", i18n.T(rq.Locale, "admin.user_added", u.Username), "", 0, "")
}

// updateUser changes one thing about a user: role, password, enabled.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	users, err := s.Auth.Users(ctx)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	i := slices.IndexFunc(users, func(u auth.User) bool { return u.ID == r.PathValue("id") })
	if i < 0 {
		s.fail(w, r, rq, http.StatusNotFound, i18n.T(rq.Locale, "error.not_found"))
		return
	}
	u := users[i]
	if u.ID == rq.User.ID && r.PostFormValue("action") != "password" {
		// An admin cannot lock themselves out by mistake.
		s.renderAdmin(w, r, rq, "users", "", i18n.T(rq.Locale, "admin.not_self"), http.StatusUnprocessableEntity, "")
		return
	}
	detail := map[string]any{"username": u.Username}
	switch r.PostFormValue("action") {
	case "role":
		role := r.PostFormValue("role")
		if err := auth.ValidateRole(role); err != nil {
			s.renderAdmin(w, r, rq, "users", "", kizuna.ErrorMessage(err), http.StatusUnprocessableEntity, "")
			return
		}
		detail["role"] = [2]string{u.Role, role}
		u.Role = role
	case "password":
		hash, err := auth.HashPassword(r.PostFormValue("password"))
		if err != nil {
			s.renderAdmin(w, r, rq, "users", "", kizuna.ErrorMessage(err), http.StatusUnprocessableEntity, "")
			return
		}
		u.PasswordHash = hash
		u.FailedLogins, u.LockedUntil = 0, time.Time{} // and unlock
		detail["password"] = "reset"
	case "disable":
		u.Disabled = true
		detail["disabled"] = true
	case "enable":
		u.Disabled, u.FailedLogins, u.LockedUntil = false, 0, time.Time{}
		detail["disabled"] = false
	case "reset_totp":
		u.TOTPSecret = ""
		detail["totp"] = "removed"
	default:
		s.fail(w, r, rq, http.StatusBadRequest, i18n.T(rq.Locale, "error.invalid", "action"))
		return
	}
	u.UpdatedAt = s.now()
	if err := s.Auth.UpdateUser(ctx, &u); err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	if r.PostFormValue("action") != "role" {
		// A reset password, a disabled account or a removed second factor
		// ends the user's sessions.
		_ = s.Auth.DeleteUserSessions(ctx, u.ID)
	}
	s.audit(ctx, rq, "user.update", "user", u.ID, "", detail)
	s.renderAdmin(w, r, rq, "users", i18n.T(rq.Locale, "admin.saved"), "", 0, "")
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	_ = r.ParseForm()
	scopes := r.PostForm["scopes"]
	var channels []string
	for _, c := range strings.Split(r.PostFormValue("channels"), ",") {
		if c = strings.TrimSpace(c); c != "" {
			channels = append(channels, c)
		}
	}
	if len(channels) > 0 {
		known, err := s.Customers.Channels(ctx)
		if err != nil {
			s.serverError(w, r, rq, err)
			return
		}
		for _, c := range channels {
			if !slices.ContainsFunc(known, func(k customer.Channel) bool { return k.Code == c }) {
				s.renderAdmin(w, r, rq, "apikeys", "", i18n.T(rq.Locale, "admin.unknown_channel", c), http.StatusUnprocessableEntity, "")
				return
			}
		}
	}
	k, secret, err := auth.NewAPIKey(strings.TrimSpace(r.PostFormValue("name")), scopes, channels, rq.User.Username)
	if err != nil {
		s.renderAdmin(w, r, rq, "apikeys", "", kizuna.ErrorMessage(err), http.StatusUnprocessableEntity, "")
		return
	}
	if err := s.Auth.CreateAPIKey(ctx, k); err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	s.audit(ctx, rq, "apikey.create", "apikey", k.ID, "", map[string]any{"name": k.Name, "scopes": k.Scopes, "channels": k.Channels})
	s.renderAdmin(w, r, rq, "apikeys", i18n.T(rq.Locale, "admin.key_created", k.Name), "", 0, secret)
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	if err := s.Auth.RevokeAPIKey(r.Context(), id, s.now()); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.audit(r.Context(), rq, "apikey.revoke", "apikey", id, "", nil)
	s.renderAdmin(w, r, rq, "apikeys", i18n.T(rq.Locale, "admin.revoked"), "", 0, "")
}

// createTerminal names the device the admin is using and gives it a
// long-lived cookie: from then on the audit trail records that name for
// whoever signs in on it.
func (s *Server) createTerminal(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	name := strings.TrimSpace(r.PostFormValue("name"))
	if name == "" || len([]rune(name)) > 60 {
		s.renderAdmin(w, r, rq, "terminals", "", i18n.T(rq.Locale, "admin.terminal_name"), http.StatusUnprocessableEntity, "")
		return
	}
	token, hash := auth.NewToken()
	t := &auth.Terminal{ID: kizuna.NewID("trm"), Name: name, TokenHash: hash, CreatedBy: rq.User.Username, CreatedAt: s.now()}
	if err := s.Auth.CreateTerminal(ctx, t); err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	s.setCookie(w, r, terminalCookie, token, 5*365*24*3600)
	rq.Terminal, rq.Actor.Terminal = name, name
	s.audit(ctx, rq, "terminal.create", "terminal", t.ID, "", map[string]any{"name": name})
	s.renderAdmin(w, r, rq, "terminals", i18n.T(rq.Locale, "admin.terminal_created", name), "", 0, "")
}

func (s *Server) revokeTerminal(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	if err := s.Auth.RevokeTerminal(r.Context(), id, s.now()); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.audit(r.Context(), rq, "terminal.revoke", "terminal", id, "", nil)
	s.renderAdmin(w, r, rq, "terminals", i18n.T(rq.Locale, "admin.revoked"), "", 0, "")
}

func (s *Server) saveChannel(w http.ResponseWriter, r *http.Request, rq *request) {
	prio, err := strconv.Atoi(r.PostFormValue("priority"))
	if err != nil {
		s.renderAdmin(w, r, rq, "channels", "", i18n.T(rq.Locale, "error.invalid", "priority"), http.StatusUnprocessableEntity, "")
		return
	}
	c := customer.Channel{Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		NameEn: strings.TrimSpace(r.PostFormValue("name_en")), Kind: r.PostFormValue("kind"), Priority: prio}
	if err := s.Identity.UpsertChannel(r.Context(), rq.Actor, c); err != nil {
		s.renderAdmin(w, r, rq, "channels", "", kizuna.ErrorMessage(err), http.StatusUnprocessableEntity, "")
		return
	}
	s.renderAdmin(w, r, rq, "channels", i18n.T(rq.Locale, "admin.saved"), "", 0, "")
}

func (s *Server) saveStore(w http.ResponseWriter, r *http.Request, rq *request) {
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("latitude")), 64)
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("longitude")), 64)
	if err1 != nil || err2 != nil {
		s.renderAdmin(w, r, rq, "stores", "", i18n.T(rq.Locale, "admin.coordinates"), http.StatusUnprocessableEntity, "")
		return
	}
	l := customer.Location{Code: strings.TrimSpace(r.PostFormValue("code")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Channel: r.PostFormValue("channel"), Prefecture: strings.TrimSpace(r.PostFormValue("prefecture")),
		Address: strings.TrimSpace(r.PostFormValue("address")), Latitude: lat, Longitude: lng}
	if err := s.Identity.UpsertLocation(r.Context(), rq.Actor, l); err != nil {
		s.renderAdmin(w, r, rq, "stores", "", kizuna.ErrorMessage(err), http.StatusUnprocessableEntity, "")
		return
	}
	s.renderAdmin(w, r, rq, "stores", i18n.T(rq.Locale, "admin.saved"), "", 0, "")
}

func (s *Server) saveSurvivorship(w http.ResponseWriter, r *http.Request, rq *request) {
	rules := customer.Survivorship{Default: customer.Rule(r.PostFormValue("default")), Fields: map[string]customer.Rule{}}
	for _, f := range customer.GoldenFields {
		if v := r.PostFormValue("rule_" + f); v != "" {
			rules.Fields[f] = customer.Rule(v)
		}
	}
	if err := s.Identity.SetSurvivorship(r.Context(), rq.Actor, rules); err != nil {
		s.renderAdmin(w, r, rq, "survivorship", "", kizuna.ErrorMessage(err), http.StatusUnprocessableEntity, "")
		return
	}
	s.renderAdmin(w, r, rq, "survivorship", i18n.T(rq.Locale, "admin.saved"), "", 0, "")
}
