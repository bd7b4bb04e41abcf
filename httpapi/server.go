// Package httpapi serves Kizuna's REST API under /api/v1 and its OpenAPI 3.1
// description at /api/openapi.json, plus /healthz, /readyz and /metrics.
// Handlers are thin: they decode, call a domain service, and encode; domain
// errors become RFC 9457 problems in one place (errors.go).
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/idempotency"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/importjob"
	"github.com/kizuna-oss/kizuna/internal/clientip"
	"github.com/kizuna-oss/kizuna/loyalty"
)

// Deps is what the server is built from.
type Deps struct {
	Customers   customer.Store
	Identity    *identity.Service
	Auth        auth.Store
	Audit       audit.Log
	Idempotency idempotency.Store
	Ready       func(context.Context) error
	Logger      *slog.Logger
	Version     string
	// RatePerKey is each API key's sustained request rate per second;
	// bursts of twice that are allowed.
	RatePerKey float64
	// TrustProxy makes the client IP come from X-Forwarded-For.
	TrustProxy bool
	// Console, when set, serves every path the API does not (the staff
	// console), inside the same logging, metrics and panic recovery.
	Console http.Handler
	// Imports runs file imports (nil: the import endpoints answer 503).
	Imports *importjob.Manager
	// ImportJobs reads them.
	ImportJobs importjob.Store
	// Catalog keeps the products (nil: the product endpoints answer 503).
	Catalog *commerce.Catalog
	// Inventory keeps stock levels (nil: the stock endpoints answer 503).
	Inventory *commerce.Inventory
	// Orders keeps the orders (nil: the order endpoints answer 503).
	Orders *commerce.Orders
	// Points keeps the points ledger (nil: the points endpoints answer 503).
	Points *loyalty.Service
	// Events keeps behaviour events (nil: the event endpoints answer 503).
	Events *event.Service
}

// Server is the HTTP API.
type Server struct {
	Deps
	log      *slog.Logger
	api      huma.API
	mux      *http.ServeMux
	handler  http.Handler
	reads    *audit.Batcher
	metrics  *metrics
	limiters sync.Map // API key ID → *rate.Limiter
	keys     keyCache
}

// New builds the server and registers every route.
func New(d Deps) *Server {
	installHumaErrors()
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.RatePerKey <= 0 {
		d.RatePerKey = 1000
	}
	s := &Server{Deps: d, log: d.Logger, mux: http.NewServeMux()}
	s.reads = audit.NewBatcher(d.Audit, d.Logger, 100*time.Millisecond)
	s.metrics = newMetrics()

	cfg := huma.DefaultConfig("Kizuna API", d.Version)
	cfg.Info.Description = "Kizuna (絆): one customer ID across every channel. Authenticate with an API key: `Authorization: Bearer kz_…`. " +
		"Errors are RFC 9457 problem documents. POST and PATCH accept an `Idempotency-Key` header: the same key with the same body returns the first answer; with another body, 422."
	cfg.OpenAPIPath = "/api/openapi"
	cfg.DocsPath = "" // the docs renderer loads scripts from a CDN; the console will serve its own
	cfg.SchemasPath = "/api/schemas"
	cfg.CreateHooks = nil // no "$schema" links in bodies: clients should not have to ignore fields
	cfg.Formats = map[string]huma.Format{"application/json": strictJSON(), "json": strictJSON()}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"apiKey":     {Type: "http", Scheme: "bearer", Description: "An API key from `kizuna apikey create`, as `Authorization: Bearer kz_…` (or the X-API-Key header)."},
		"collectKey": {Type: "apiKey", In: "query", Name: "key", Description: "A key with only the collect scope, for the tracking script's events."},
	}
	cfg.Security = []map[string][]string{{"apiKey": {}}}
	s.api = humago.New(s.mux, cfg)
	s.api.UseMiddleware(s.requirePermission)
	s.routes()

	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	if d.Console != nil {
		s.mux.Handle("/", d.Console)
	} else {
		s.mux.HandleFunc("GET /{$}", s.index)
	}

	s.handler = s.recoverer(s.observe(secure(s.authenticate(s.idempotent(s.mux)))))
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// API exposes the huma API (tests check the OpenAPI document against it).
func (s *Server) API() huma.API { return s.api }

// Close flushes queued audit entries.
func (s *Server) Close() { s.reads.Close() }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if s.Ready != nil {
		if err := s.Ready(ctx); err != nil {
			writeProblem(w, r, &Problem{Status: http.StatusServiceUnavailable, Detail: "not ready: " + err.Error()})
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ready\n"))
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(`<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>Kizuna 絆</title></head><body>
<h1>Kizuna 絆</h1><p>顧客統合プラットフォーム — one customer ID across every channel.</p>
<ul><li><a href="/api/openapi.json">API description (OpenAPI 3.1)</a></li><li><a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a> · <a href="/metrics">/metrics</a></li></ul>
<p>このサーバーはREST APIのみを提供しています。This server serves the REST API only.</p></body></html>`))
}

// clientIP is the caller's address (see clientip.Of).
func (s *Server) clientIP(r *http.Request) string { return clientip.Of(r, s.TrustProxy) }

func (s *Server) limiter(keyID string) *rate.Limiter {
	if l, ok := s.limiters.Load(keyID); ok {
		return l.(*rate.Limiter)
	}
	burst := int(min(max(2*s.RatePerKey, 1), 1e6)) // at least one request; no overflow for huge rates
	l, _ := s.limiters.LoadOrStore(keyID, rate.NewLimiter(rate.Limit(s.RatePerKey), burst))
	return l.(*rate.Limiter)
}

type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.HistogramVec
	ingested *prometheus.CounterVec
	events   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.requests = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kizuna_http_request_duration_seconds", Help: "HTTP requests by route pattern, method and status.",
		Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"route", "method", "status"})
	m.ingested = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kizuna_source_profiles_total", Help: "Source profiles received, by outcome.",
	}, []string{"status"})
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kizuna_events_total", Help: "Behaviour events received, by outcome (stored, duplicate, rejected, dropped for want of consent).",
	}, []string{"outcome"})
	m.reg.MustRegister(m.requests, m.ingested, m.events)
	return m
}
