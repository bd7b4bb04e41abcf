// Package console is the staff web console: server-rendered pages
// (html/template + htmx) for store staff, marketers, support agents,
// auditors and administrators, in Japanese first and English second.
//
// Every route is declared once in the route table (routes.go) with the
// permission it needs; one middleware signs the user in from the session
// cookie, checks CSRF on every state-changing request and enforces that
// permission. docs/access.md shows the table and tests walk every route
// with every role. Personal data is masked for roles without
// auth.PermPersonalData; every view of a customer is audited with the
// user, IP and terminal name.
package console

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/importjob"
	"github.com/kizuna-oss/kizuna/internal/clientip"
	"github.com/kizuna-oss/kizuna/loyalty"
)

//go:embed templates static
var files embed.FS

// Deps is what the console is built from.
type Deps struct {
	Customers  customer.Store
	Identity   *identity.Service
	Imports    *importjob.Manager // nil: the import pages say imports are unavailable
	ImportJobs importjob.Store
	Orders     *commerce.Orders // nil: the 360° view has no order timeline
	Points     *loyalty.Service // nil: no points panel
	Events     *event.Service   // nil: no recent events panel
	Catalog    *commerce.Catalog
	Inventory  *commerce.Inventory // with Catalog: the product and stock pages
	Auth       auth.Store
	Audit      audit.Log
	Logger     *slog.Logger
	Version    string
	// TrustProxy makes the client IP come from X-Forwarded-For.
	TrustProxy bool
	// IdleTimeout signs a session out after this long without a request;
	// MaxSessionAge regardless of activity.
	IdleTimeout   time.Duration
	MaxSessionAge time.Duration
	// SecureCookies forces the Secure flag (behind a TLS-terminating proxy);
	// it is set anyway on requests that arrive over TLS.
	SecureCookies bool
	Now           func() time.Time
}

// Login throttling: a user is locked for lockFor after lockAfter failures
// in a row; one address may try loginRate times a second, loginBurst at once.
const (
	lockAfter  = 5
	lockFor    = 15 * time.Minute
	loginRate  = 0.2
	loginBurst = 10
	// maxLimiters bounds the addresses remembered for sign-in throttling.
	maxLimiters = 100000
)

// Server serves the console.
type Server struct {
	Deps
	log          *slog.Logger
	mux          *http.ServeMux
	pages        *pages
	reads        *audit.Batcher
	limiters     sync.Map // client IP → *rate.Limiter, for sign-in attempts
	limiterCount atomic.Int64
	stats        statsCache
	// dummyHash is checked when a sign-in names no user, so the answer
	// takes as long as for a real one and does not reveal which names exist.
	dummyHash string
}

// New builds the console and registers every route of the route table.
func New(d Deps) (*Server, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = 30 * time.Minute
	}
	if d.MaxSessionAge <= 0 {
		d.MaxSessionAge = 12 * time.Hour
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, log: d.Logger, mux: http.NewServeMux(), pages: p}
	tok, _ := auth.NewToken()
	if s.dummyHash, err = auth.HashPassword(tok); err != nil {
		return nil, err
	}
	s.reads = audit.NewBatcher(d.Audit, d.Logger, 100*time.Millisecond)
	static, _ := fs.Sub(files, "static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler(static)))
	for _, rt := range s.routes() {
		s.mux.Handle(rt.Pattern, s.guard(rt))
	}
	s.mux.HandleFunc("/", s.notFound)
	// Count for the dashboard now, so its first visitor does not wait.
	go s.refreshStats(context.Background())
	return s, nil
}

// Close flushes queued audit entries.
func (s *Server) Close() { s.reads.Close() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	// No inline script or style anywhere: every script and stylesheet is a
	// file this binary serves. Chart.js sizes its canvas through the CSSOM,
	// which style-src does not govern.
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	if r.TLS != nil || s.SecureCookies {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// request is what a handler knows about the caller.
type request struct {
	User     *auth.User
	Session  *auth.Session
	Actor    kizuna.Actor
	Locale   i18n.Locale
	Terminal string
	Wareki   bool
}

type reqKey struct{}

func reqFrom(ctx context.Context) *request {
	rq, _ := ctx.Value(reqKey{}).(*request)
	return rq
}

// can reports whether the signed-in user's role grants perm.
func (rq *request) can(perm string) bool {
	return rq != nil && rq.User != nil && auth.RoleAllows(rq.User.Role, perm)
}

// clientIP is the caller's address (see clientip.Of).
func (s *Server) clientIP(r *http.Request) string { return clientip.Of(r, s.TrustProxy) }

func (s *Server) loginLimiter(ip string) *rate.Limiter {
	if l, ok := s.limiters.Load(ip); ok {
		return l.(*rate.Limiter)
	}
	// Addresses are forgotten in bulk once there are many, so that a flood
	// from many addresses cannot grow the map without bound; the
	// per-user lockout still counts across the reset.
	if s.limiterCount.Add(1) > maxLimiters {
		s.limiters.Clear()
		s.limiterCount.Store(1)
	}
	l, _ := s.limiters.LoadOrStore(ip, rate.NewLimiter(loginRate, loginBurst))
	return l.(*rate.Limiter)
}

func (s *Server) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// staticHandler serves embedded assets with long caching: they change only
// with the binary, and the pages link them with the version in the query.
func staticHandler(fsys fs.FS) http.Handler {
	fileServer := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || r.URL.Path == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fileServer.ServeHTTP(w, r)
	})
}
