package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
)

type ctxKey int

const principalKey ctxKey = iota

// Principal is the authenticated caller of one request.
type Principal struct {
	Key   *auth.APIKey
	Actor kizuna.Actor
}

// Allows reports whether the caller has a permission.
func (p *Principal) Allows(perm string) bool { return p != nil && p.Key != nil && p.Key.Allows(perm) }

func principalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey).(*Principal)
	return p
}

// maxBody is the largest request body outside the batch endpoint.
const maxBody = 1 << 20

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeProblem(w, r, &Problem{Status: http.StatusInternalServerError, Detail: "internal error"})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// secure sets headers every response should carry. API answers hold
// personal data: no cache may keep them, and no page may frame or run them.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		if strings.HasPrefix(r.URL.Path, "/api/v1/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	buf    *bytes.Buffer // when capturing for idempotency
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.buf != nil {
		w.buf.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs each request and records its duration by route pattern.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		d := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if i := strings.IndexByte(route, ' '); i >= 0 {
			route = route[i+1:]
		}
		st := rec.status
		if st == 0 {
			st = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(st)).Observe(d.Seconds())
		if st >= 500 || !strings.HasPrefix(r.URL.Path, "/metrics") && d > 500*time.Millisecond {
			s.log.Warn("slow or failed request", "method", r.Method, "path", r.URL.Path, "status", st, "duration_ms", d.Milliseconds())
		} else {
			s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", st, "duration_ms", d.Milliseconds())
		}
	})
}

// authenticate resolves the API key of /api/v1 requests and rate-limits it.
// The OpenAPI document, health and metrics endpoints are public.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		collect := r.URL.Path == collectPath
		if collect {
			// The tracking script posts from shops' pages, cross-origin.
			w.Header().Set("Access-Control-Allow-Origin", "*")
			if r.Method == http.MethodOptions {
				w.Header().Set("Access-Control-Allow-Methods", "POST")
				w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
				w.Header().Set("Access-Control-Max-Age", "86400")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		presented := r.Header.Get("X-API-Key")
		inURL := false
		if k := r.URL.Query().Get("key"); collect && presented == "" && k != "" {
			presented, inURL = k, true
		}
		if a := r.Header.Get("Authorization"); presented == "" && a != "" {
			scheme, token, _ := strings.Cut(a, " ")
			if strings.EqualFold(scheme, "Bearer") {
				presented = strings.TrimSpace(token)
			}
		}
		if presented == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kizuna"`)
			writeProblem(w, r, &Problem{Status: http.StatusUnauthorized, Detail: "an API key is required: send Authorization: Bearer kz_… (create one with `kizuna apikey create`)"})
			return
		}
		key, err := s.keys.authenticate(r.Context(), s.Auth, presented)
		if err != nil {
			p := problemFromError(err)
			if p.Status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="kizuna", error="invalid_token"`)
			}
			writeProblem(w, r, p)
			return
		}
		if inURL && !slices.Equal(key.Scopes, []string{auth.ScopeCollect}) {
			// A key in a page is public: it must not open anything else.
			writeProblem(w, r, &Problem{Status: http.StatusForbidden, Detail: fmt.Sprintf("API key %s has the scopes %s: a key in a web page is public, so it may have only the collect scope", key.Prefix, strings.Join(key.Scopes, ", "))})
			return
		}
		if !s.limiter(key.ID).Allow() {
			w.Header().Set("Retry-After", "1")
			writeProblem(w, r, &Problem{Status: http.StatusTooManyRequests, Detail: fmt.Sprintf("API key %s exceeded %.0f requests per second; retry after a second", key.Prefix, s.RatePerKey)})
			return
		}
		p := &Principal{Key: key, Actor: kizuna.Actor{Type: "apikey", ID: key.ID, Name: key.Name, IP: s.clientIP(r),
			UserAgent: r.UserAgent(), Terminal: r.Header.Get("X-Kizuna-Terminal")}}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
	})
}

// requirePermission enforces each operation's "perm" metadata: one table,
// declared next to the route, checked in one place.
func (s *Server) requirePermission(ctx huma.Context, next func(huma.Context)) {
	perm, _ := ctx.Operation().Metadata["perm"].(string)
	if perm == "" {
		next(ctx)
		return
	}
	p := principalFrom(ctx.Context())
	if p == nil {
		huma.WriteErr(s.api, ctx, http.StatusUnauthorized, "an API key is required")
		return
	}
	if !p.Allows(perm) {
		huma.WriteErr(s.api, ctx, http.StatusForbidden, fmt.Sprintf("API key %s lacks the permission %q for this operation (scopes: %s)", p.Key.Prefix, perm, strings.Join(p.Key.Scopes, ", ")))
		return
	}
	next(ctx)
}

// idempotent makes POST and PATCH with an Idempotency-Key safe to retry:
// the first answer is stored and replayed for the same key and body; the
// same key with another body is refused with 422.
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		p := principalFrom(r.Context())
		if key == "" || p == nil || (r.Method != http.MethodPost && r.Method != http.MethodPatch) {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			writeProblem(w, r, &Problem{Status: http.StatusBadRequest, Detail: "Idempotency-Key is longer than 255 characters", Errors: []ProblemField{{Location: "header.Idempotency-Key", Message: "too long"}}})
			return
		}
		limit := int64(maxBody)
		if strings.HasSuffix(r.URL.Path, "/batch") {
			limit = maxBatchBody
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			writeProblem(w, r, &Problem{Status: http.StatusBadRequest, Detail: "could not read the request body: " + err.Error()})
			return
		}
		if int64(len(body)) > limit {
			writeProblem(w, r, &Problem{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("request body exceeds %d bytes", limit)})
			return
		}
		h := sha256.New()
		fmt.Fprintf(h, "%s %s?%s\n%s\n", r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("If-Match"))
		h.Write(body)
		hash := hex.EncodeToString(h.Sum(nil))
		owner := p.Actor.Type + ":" + p.Actor.ID
		prev, fresh, err := s.Idempotency.Claim(r.Context(), owner, key, hash)
		if err != nil {
			s.log.Error("idempotency claim failed", "err", err)
			writeProblem(w, r, &Problem{Status: http.StatusInternalServerError, Detail: "internal error"})
			return
		}
		if !fresh {
			switch {
			case prev.RequestHash != hash:
				writeProblem(w, r, &Problem{Status: http.StatusUnprocessableEntity, Detail: "this Idempotency-Key was already used with a different request; use a new key for a new request", Errors: []ProblemField{{Location: "header.Idempotency-Key", Message: "reused with another body"}}})
			case prev.Status == 0:
				w.Header().Set("Retry-After", "1")
				writeProblem(w, r, &Problem{Status: http.StatusConflict, Detail: "a request with this Idempotency-Key is still being processed; retry shortly"})
			default:
				w.Header().Set("Content-Type", prev.ContentType)
				w.Header().Set("Idempotent-Replayed", "true")
				w.WriteHeader(prev.Status)
				w.Write(prev.Body)
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w, buf: &bytes.Buffer{}}
		// The outcome must be stored even if the client hangs up mid-request.
		defer func() {
			ctx := context.WithoutCancel(r.Context())
			if rec.status >= 500 || rec.status == 0 {
				if err := s.Idempotency.Release(ctx, owner, key); err != nil {
					s.log.Error("idempotency release failed", "err", err)
				}
				return
			}
			if err := s.Idempotency.Complete(ctx, owner, key, rec.status, rec.Header().Get("Content-Type"), rec.buf.Bytes()); err != nil {
				s.log.Error("idempotency completion failed", "err", err)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}
