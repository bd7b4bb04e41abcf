package console

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/loyalty"
)

// pointsPanel is a customer's points on the 360° view.
type pointsPanel struct {
	Balance *loyalty.Balance
	Recent  []loyalty.LedgerEntry // newest first
	Total   int64                 // entries in the ledger
	Limit   int64                 // the viewer's adjustment limit (0: none)
	Rank    *loyalty.RankStatus   // nil when the program has no ranks
}

// maxPointsShown is how many ledger entries the panel shows.
const maxPointsShown = 15

func (s *Server) pointsPanel(ctx context.Context, rq *request, id string) (*pointsPanel, error) {
	b, err := s.Points.Balance(ctx, id)
	if err != nil {
		return nil, err
	}
	p := &pointsPanel{Balance: b, Total: b.Entries}
	// The latest entries: the statement reads oldest first from a seq.
	latest, err := s.Points.Statement(ctx, id, max(0, b.Entries-maxPointsShown), maxPointsShown)
	if err != nil {
		return nil, err
	}
	for i := len(latest) - 1; i >= 0; i-- {
		p.Recent = append(p.Recent, latest[i])
	}
	if prog, err := s.Points.Program(ctx); err == nil && len(prog.Ranks) > 0 {
		if p.Rank, err = s.Points.RankOf(ctx, id); err != nil {
			return nil, err
		}
	}
	if rq.can(auth.PermPointsWrite) {
		if prog, err := s.Points.Program(ctx); err == nil {
			p.Limit = prog.AdjustLimits[rq.User.Role]
		}
	}
	return p, nil
}

// adjustPoints adds or takes points by hand, within the staff member's
// role's limit (audited by the ledger).
func (s *Server) adjustPoints(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	if s.Points == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "points.unavailable"))
		return
	}
	n, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("points")), 10, 64)
	if err != nil {
		s.domainError(w, r, rq, kizuna.FieldError("points", "%s", i18n.T(rq.Locale, "points.not_a_number")))
		return
	}
	// The form's one-time key makes a double-clicked submit one adjustment.
	if _, err := s.Points.Adjust(r.Context(), rq.Actor, rq.User.Role, id, n, r.PostFormValue("reason"), r.PostFormValue("key")); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/customers/"+id+"#points")
}

// pointsCSV downloads a customer's whole points statement (UTF-8 with a
// BOM, for Excel), audited.
func (s *Server) pointsCSV(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	id := r.PathValue("id")
	if s.Points == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "points.unavailable"))
		return
	}
	if _, err := s.Customers.GetCustomer(ctx, id); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.audit(ctx, rq, "points.statement.export", "customer", id, id, map[string]any{"format": "csv"})
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kizuna-points-`+id+`.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("\uFEFF"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "at", "kind", "points", "balance_after", "order_id", "hold_id", "reason", "actor_id", "available_at", "expires_at", "debt_moved"})
	var after, running int64
	for {
		page, err := s.Points.Statement(ctx, id, after, 1000)
		if err != nil {
			s.log.Error("points statement export stopped", "err", err)
			break
		}
		for _, e := range page {
			running += e.Points
			cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.In(i18n.Tokyo).Format(time.RFC3339), string(e.Kind), strconv.FormatInt(e.Points, 10),
				strconv.FormatInt(running, 10), e.OrderID, e.HoldID, e.Reason, e.ActorID, csvTime(e.AvailableAt), csvTime(e.ExpiresAt), strconv.FormatInt(e.Debt, 10)})
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Seq
	}
	cw.Flush()
}

func csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(i18n.Tokyo).Format(time.RFC3339)
}
