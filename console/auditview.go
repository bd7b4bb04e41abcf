package console

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
)

type auditData struct {
	Filter  auditFilter
	Entries []audit.Entry
	Next    string // query string of the next (older) page
	Export  string // query string for the CSV export
	Verify  *verifyResult
}

type auditFilter struct {
	Actor, Action, Customer, From, To string
}

type verifyResult struct {
	OK      bool
	Checked int64
	Problem string
}

const auditPageSize = 100

// auditQuery reads the viewer's filter. Dates are days in Asia/Tokyo;
// "to" includes the whole day.
func auditQuery(r *http.Request) (auditFilter, audit.Filter, bool) {
	q := r.URL.Query()
	f := auditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Customer: strings.TrimSpace(q.Get("customer")), From: q.Get("from"), To: q.Get("to")}
	af := audit.Filter{ActorID: f.Actor, Action: f.Action, CustomerID: f.Customer, Limit: auditPageSize}
	if f.From != "" {
		t, err := time.ParseInLocation(time.DateOnly, f.From, i18n.Tokyo)
		if err != nil {
			return f, af, false
		}
		af.Since = t.UTC()
	}
	if f.To != "" {
		t, err := time.ParseInLocation(time.DateOnly, f.To, i18n.Tokyo)
		if err != nil {
			return f, af, false
		}
		af.Until = t.AddDate(0, 0, 1).UTC()
	}
	if b, err := strconv.ParseInt(q.Get("before"), 10, 64); err == nil {
		af.BeforeSeq = b
	}
	return f, af, true
}

func (f auditFilter) query() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": f.Actor, "action": f.Action, "customer": f.Customer, "from": f.From, "to": f.To} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// resolveActor lets the viewer filter by username: the trail stores IDs.
func (s *Server) resolveActor(ctx context.Context, af *audit.Filter) {
	if af.ActorID == "" {
		return
	}
	if u, err := s.Auth.UserByName(ctx, strings.ToLower(af.ActorID)); err == nil {
		af.ActorID = u.ID
	}
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, rq *request) {
	f, af, ok := auditQuery(r)
	if !ok {
		s.fail(w, r, rq, http.StatusBadRequest, i18n.T(rq.Locale, "audit.bad_date"))
		return
	}
	s.resolveActor(r.Context(), &af)
	entries, err := s.Audit.AuditEntries(r.Context(), af)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	d := auditData{Filter: f, Entries: entries, Export: f.query().Encode()}
	if len(entries) == auditPageSize {
		q := f.query()
		q.Set("before", strconv.FormatInt(entries[len(entries)-1].Seq, 10))
		d.Next = q.Encode()
	}
	s.reads.Add(s.readEntry(rq, "audit.read", f.Customer, map[string]any{"count": len(entries), "filter": f.query().Encode()}))
	s.render(w, r, "audit", &view{Title: i18n.T(rq.Locale, "nav.audit"), Section: "audit", Data: d})
}

// auditExport writes the filtered trail as CSV (UTF-8 with a BOM, so Excel
// opens Japanese text correctly), audited before the first byte.
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	f, af, ok := auditQuery(r)
	if !ok {
		s.fail(w, r, rq, http.StatusBadRequest, i18n.T(rq.Locale, "audit.bad_date"))
		return
	}
	s.resolveActor(ctx, &af)
	s.audit(ctx, rq, "audit.export", "audit", "", f.Customer, map[string]any{"filter": f.query().Encode(), "format": "csv"})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kizuna-audit-`+time.Now().In(i18n.Tokyo).Format("20060102-150405")+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "at", "actor_type", "actor_id", "actor_name", "ip", "terminal", "action", "object_type", "object_id", "customer_id", "detail", "hash"})
	af.Limit = 1000
	for {
		entries, err := s.Audit.AuditEntries(ctx, af)
		if err != nil {
			s.log.Error("audit export stopped", "err", err)
			break
		}
		for _, e := range entries {
			cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.In(i18n.Tokyo).Format(time.RFC3339), e.ActorType, e.ActorID, e.ActorName, e.IP, e.Terminal,
				e.Action, e.ObjectType, e.ObjectID, e.CustomerID, string(e.Detail), e.Hash})
		}
		if len(entries) < af.Limit {
			break
		}
		af.BeforeSeq = entries[len(entries)-1].Seq
	}
	cw.Flush()
}

func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request, rq *request) {
	n, problem, err := s.Audit.VerifyAudit(r.Context())
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	res := &verifyResult{OK: problem == nil, Checked: n}
	if problem != nil {
		res.Problem = problem.Error()
	}
	s.audit(r.Context(), rq, "audit.verify", "audit", "", "", map[string]any{"ok": res.OK, "checked": n})
	s.render(w, r, "verify", &view{Title: i18n.T(rq.Locale, "audit.verify"), Section: "audit", Data: res})
}

// statsCache keeps the dashboard's counts: the channel overlap is a
// self-join of the channel index, seconds at a million customers. A stale
// value is served while one refresh runs in the background, so no page
// waits for the counts once they exist.
type statsCache struct {
	counting   sync.Mutex // one count at a time; a page waiting for the first one joins it
	mu         sync.Mutex
	at         time.Time
	val        *customer.Stats
	refreshing bool
	took       time.Duration
}

// ttl is how long counts are served before a background recount:
// a minute, or twenty times what the last count took, so that a large
// database is not counting all the time.
func (c *statsCache) ttl() time.Duration { return max(time.Minute, 20*c.took) }

func (s *Server) statsNow(ctx context.Context) (*customer.Stats, error) {
	s.stats.mu.Lock()
	val, fresh := s.stats.val, time.Since(s.stats.at) < s.stats.ttl()
	if val != nil && !fresh && !s.stats.refreshing {
		s.stats.refreshing = true
		go s.refreshStats(context.WithoutCancel(ctx))
	}
	s.stats.mu.Unlock()
	if val != nil {
		return val, nil
	}
	return s.refreshStats(ctx)
}

func (s *Server) refreshStats(ctx context.Context) (*customer.Stats, error) {
	s.stats.counting.Lock()
	defer s.stats.counting.Unlock()
	s.stats.mu.Lock()
	if s.stats.val != nil && time.Since(s.stats.at) < s.stats.ttl() {
		val := s.stats.val // counted while this call waited
		s.stats.refreshing = false
		s.stats.mu.Unlock()
		return val, nil
	}
	s.stats.mu.Unlock()
	start := time.Now()
	st, err := s.Customers.Stats(ctx, 12, s.now())
	s.stats.mu.Lock()
	s.stats.took = time.Since(start)
	defer s.stats.mu.Unlock()
	s.stats.refreshing = false
	if err != nil {
		s.log.Warn("dashboard counts", "err", err)
		return nil, err
	}
	s.stats.val, s.stats.at = st, time.Now()
	return st, nil
}
