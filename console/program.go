package console

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/loyalty"
)

// The points page: the program's rules as they are now and as they were
// (for head office and store managers asked why an order earned what it
// did), the administrator's form to change the main ones, and the
// customers whose points expire soon (for the marketers who remind them).

type pointsPageData struct {
	Program  loyalty.Program
	History  []loyalty.ProgramVersion // newest first
	Days     int
	Expiring []expiringRow
	Next     string // the customer after whom the next page starts
	Total    int64  // points on this page
}

type expiringRow struct {
	loyalty.Expiring
	Name, NameKana string
}

const (
	expiringPage = 100
	expiringDays = 30
)

func (s *Server) pointsPage(w http.ResponseWriter, r *http.Request, rq *request) {
	s.renderPoints(w, r, rq, "", http.StatusOK)
}

// renderPoints shows the points page, with msg as an error when status
// is not 200.
func (s *Server) renderPoints(w http.ResponseWriter, r *http.Request, rq *request, msg string, status int) {
	ctx := r.Context()
	if s.Points == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "points.unavailable"))
		return
	}
	q := r.URL.Query()
	days, err := expiringDaysOf(r, rq)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	d := pointsPageData{Days: days}
	if d.Program, err = s.Points.Program(ctx); err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	history, err := s.Points.ProgramHistory(ctx)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	// Newest first; a version set again for the same orders (the same
	// from) replaced the one before it, which is left out.
	for i := len(history) - 1; i >= 0; i-- {
		if n := len(d.History); n > 0 && d.History[n-1].From.Equal(history[i].From) {
			continue
		}
		d.History = append(d.History, history[i])
	}
	rows, err := s.Points.ExpiringWithin(ctx, d.Days, q.Get("after"), expiringPage+1)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	if len(rows) > expiringPage {
		rows = rows[:expiringPage]
		d.Next = rows[len(rows)-1].CustomerID
	}
	people, err := s.profilesOf(ctx, rows)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	ids := make([]string, 0, len(rows))
	for _, x := range rows {
		p := people[x.CustomerID]
		d.Expiring = append(d.Expiring, expiringRow{Expiring: x, Name: p.FullName(), NameKana: p.FullNameKana()})
		d.Total += x.Points
		ids = append(ids, x.CustomerID)
	}
	if len(ids) > 0 {
		s.reads.Add(s.readEntry(rq, "points.expiring", "", map[string]any{"days": d.Days, "customer_ids": ids}))
	}
	v := &view{request: rq, Title: i18n.T(rq.Locale, "nav.points"), Section: "points", Error: msg, Status: status, Data: d}
	if status == http.StatusOK && q.Get("saved") == "1" {
		v.Flash = i18n.T(rq.Locale, "program.saved")
	}
	s.render(w, r, "points", v)
}

// expiringDaysOf is the days the request asks about (30 when it does
// not say); ExpiringWithin checks the range.
func expiringDaysOf(r *http.Request, rq *request) (int, error) {
	v := strings.TrimSpace(r.URL.Query().Get("days"))
	if v == "" {
		return expiringDays, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, kizuna.FieldError("query.days", "%s", i18n.T(rq.Locale, "points.not_a_number"))
	}
	return n, nil
}

// profilesOf reads the profiles of the customers of rows, by ID (an
// unknown ID has none: the zero profile, with no name).
func (s *Server) profilesOf(ctx context.Context, rows []loyalty.Expiring) (map[string]customer.Profile, error) {
	ids := make([]string, len(rows))
	for i, x := range rows {
		ids[i] = x.CustomerID
	}
	cs, err := s.Customers.CustomersByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]customer.Profile, len(cs))
	for _, c := range cs {
		out[c.ID] = c.Profile
	}
	return out, nil
}

// expiringCSV downloads every customer whose points expire within the
// days asked (UTF-8 with a BOM, for Excel): a list for a reminder
// campaign, audited as an export.
func (s *Server) expiringCSV(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	if s.Points == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "points.unavailable"))
		return
	}
	days, err := expiringDaysOf(r, rq)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	first, err := s.Points.ExpiringWithin(ctx, days, "", 1000)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kizuna-points-expiring-`+strconv.Itoa(days)+`d.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	// The audit entry keeps the file's hash, as a customer export's does,
	// so that a copy found later can be traced to this download.
	h := sha256.New()
	out := io.MultiWriter(w, h)
	out.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(out)
	cw.Write([]string{"customer_id", "family_name_given_name", "kana", "points", "first_expiry"})
	var rows int
	for page := first; len(page) > 0; {
		people, err := s.profilesOf(ctx, page)
		if err != nil {
			s.log.Error("expiring points export stopped", "err", err)
			break
		}
		for _, x := range page {
			p := people[x.CustomerID]
			cw.Write([]string{x.CustomerID, neutralizeCell(p.FullName()), neutralizeCell(p.FullNameKana()), strconv.FormatInt(x.Points, 10), x.FirstAt.In(i18n.Tokyo).Format("2006-01-02")})
			rows++
		}
		if len(page) < 1000 {
			break
		}
		if page, err = s.Points.ExpiringWithin(ctx, days, page[len(page)-1].CustomerID, 1000); err != nil {
			s.log.Error("expiring points export stopped", "err", err)
			break
		}
	}
	cw.Flush()
	s.audit(ctx, rq, "points.expiring.export", "points", "expiring", "", map[string]any{"days": days, "rows": rows, "format": "csv", "sha256": hex.EncodeToString(h.Sum(nil))})
}

// neutralizeCell keeps a name from running as a formula in Excel.
func neutralizeCell(v string) string {
	if v != "" && strings.IndexByte("=+-@\t\r", v[0]) >= 0 {
		return "'" + v
	}
	return v
}

// saveProgram changes the program's main rules from the administrator's
// form; the rest (channel rates, multipliers, campaigns, ranks, limits)
// is kept as it is, and set through the API. Orders placed from now on
// earn by the new rules.
func (s *Server) saveProgram(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	if s.Points == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "points.unavailable"))
		return
	}
	p, err := s.Points.CurrentProgram(ctx)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	bad := func(field string) {
		s.renderPoints(w, r, rq, i18n.T(rq.Locale, "program.bad_number", i18n.T(rq.Locale, "program."+field)), http.StatusUnprocessableEntity)
	}
	number := func(field string, dst *int) bool {
		n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue(field)))
		if err != nil {
			bad(field)
			return false
		}
		*dst = n
		return true
	}
	rate, err := strconv.ParseFloat(strings.TrimSpace(r.PostFormValue("rate")), 64)
	if err != nil {
		bad("rate")
		return
	}
	p.Rate = rate
	if !number("pending_days", &p.PendingDays) || !number("validity_months", &p.ValidityMonths) || !number("hold_minutes", &p.HoldMinutes) {
		return
	}
	p.TaxExcluded = r.PostFormValue("tax_excluded") == "on"
	p.ExtendOnActivity = r.PostFormValue("extend_on_activity") == "on"
	p.EarnOnPointsPaid = r.PostFormValue("earn_on_points_paid") == "on"
	p.Rounding = commerce.Rounding(r.PostFormValue("rounding"))
	p.PendingFrom = r.PostFormValue("pending_from")
	p.DebtPolicy = r.PostFormValue("debt_policy")
	p.PointsRefund = r.PostFormValue("points_refund")
	if _, err := s.Points.SetProgram(ctx, rq.Actor, p); err != nil {
		if kizuna.ErrorCode(err) == kizuna.EINVALID {
			s.renderPoints(w, r, rq, kizuna.ErrorField(err)+": "+kizuna.ErrorMessage(err), http.StatusUnprocessableEntity)
			return
		}
		s.serverError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/points?saved=1")
}
