package console

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/loyalty"
)

// The till (レジ) screen: store staff on a tablet find the customer by card
// scan or phone, award points for a purchase, and hold and redeem points.
// Everything goes through the same order book and ledger as the API; the
// receipt number makes each action idempotent, so a double tap or a retry
// after a dropped connection does it once.

type tillData struct {
	Query   string
	Results []tillCustomer
	Stores  []customer.Location
	Store   string // the store chosen last (a cookie), so staff pick it once
	C       *tillCustomer
	Hold    *loyalty.Hold // the hold just made, to commit or release
	Sale    *tillSale     // the purchase just recorded
}

type tillCustomer struct {
	person
	Balance *loyalty.Balance
	Rank    *loyalty.RankStatus
}

type tillSale struct {
	Order  *commerce.Order
	Points int64 // pending, from the order's earn
}

const storeCookie = "kizuna_till_store"

func (s *Server) tillBase(ctx context.Context, rq *request, r *http.Request) (*tillData, error) {
	d := &tillData{}
	locs, err := s.Customers.Locations(ctx)
	if err != nil {
		return nil, err
	}
	chs := s.channelMap(ctx)
	for _, l := range locs {
		if k := chs[l.Channel].Kind; k == customer.KindStore {
			d.Stores = append(d.Stores, l)
		}
	}
	for _, l := range locs { // department-store counters after the own stores
		if chs[l.Channel].Kind == customer.KindDeptCounter {
			d.Stores = append(d.Stores, l)
		}
	}
	if c, err := r.Cookie(storeCookie); err == nil {
		d.Store = c.Value
	}
	return d, nil
}

func (s *Server) tillCustomer(ctx context.Context, rq *request, c *customer.Customer, chs map[string]customer.Channel) (*tillCustomer, error) {
	tc := &tillCustomer{person: personOf(rq, c, chs)}
	var err error
	if tc.Balance, err = s.Points.Balance(ctx, c.ID); err != nil {
		return nil, err
	}
	if prog, err := s.Points.Program(ctx); err == nil && len(prog.Ranks) > 0 {
		if tc.Rank, err = s.Points.RankOf(ctx, c.ID); err != nil {
			return nil, err
		}
	}
	return tc, nil
}

// till finds customers by what the counter has: a card scan, a phone
// number, a name.
func (s *Server) till(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	if s.Points == nil || s.Orders == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "points.unavailable"))
		return
	}
	d, err := s.tillBase(ctx, rq, r)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	d.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	if d.Query != "" {
		if utf8.RuneCountInString(d.Query) > 200 {
			s.fail(w, r, rq, http.StatusBadRequest, i18n.T(rq.Locale, "search.too_long"))
			return
		}
		res, err := s.Identity.Search(ctx, d.Query, 5)
		if err != nil {
			s.serverError(w, r, rq, err)
			return
		}
		chs := s.channelMap(ctx)
		var ids []string
		for _, x := range res {
			tc, err := s.tillCustomer(ctx, rq, &x.Customer, chs)
			if err != nil {
				s.serverError(w, r, rq, err)
				return
			}
			d.Results = append(d.Results, *tc)
			ids = append(ids, x.Customer.ID)
		}
		if len(d.Results) == 1 { // a card scan names one member: straight to them
			s.reads.Add(s.readEntry(rq, "customer.till.lookup", d.Results[0].ID, map[string]any{"results": 1}))
			s.redirect(w, r, "/till/"+d.Results[0].ID)
			return
		}
		s.reads.Add(s.readEntry(rq, "customer.till.lookup", "", map[string]any{"results": len(ids), "customer_ids": ids}))
	}
	s.render(w, r, "till", &view{Title: i18n.T(rq.Locale, "nav.till"), Section: "till", Data: d})
}

// tillMember is the till's view of one customer: points, rank, and the
// purchase and redemption forms.
func (s *Server) tillMember(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	if s.Points == nil || s.Orders == nil {
		s.fail(w, r, rq, http.StatusServiceUnavailable, i18n.T(rq.Locale, "points.unavailable"))
		return
	}
	c, err := s.Customers.GetCustomer(ctx, r.PathValue("id"))
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	if c.Status == customer.StatusMerged && c.MergedInto != "" {
		// A merged customer's points are the survivor's.
		s.redirect(w, r, "/till/"+c.MergedInto)
		return
	}
	d, err := s.tillBase(ctx, rq, r)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	if d.C, err = s.tillCustomer(ctx, rq, c, s.channelMap(ctx)); err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	if id := r.URL.Query().Get("hold"); id != "" {
		if h, err := s.Points.HoldByID(ctx, id); err == nil && h.CustomerID == c.ID {
			d.Hold = h
		}
	}
	if id := r.URL.Query().Get("order"); id != "" {
		if o, err := s.Orders.Order(ctx, id); err == nil && o.CustomerID == c.ID {
			d.Sale = &tillSale{Order: o}
			if prog, err := s.Points.Program(ctx); err == nil {
				// As the ledger settled it: at the rank held when the sale
				// was placed (the sale may have just raised it); a till
				// sale's one line has no category.
				rank := 1.0
				if d.C.Rank != nil {
					rank = prog.RankMultiplierAt(d.C.Rank.History, o.PlacedAt)
				}
				d.Sale.Points = prog.Earned(o, nil, rank)
			}
		}
	}
	s.reads.Add(s.readEntry(rq, "customer.till.view", c.ID, nil))
	s.render(w, r, "till", &view{Title: i18n.T(rq.Locale, "nav.till"), Section: "till", Data: d})
}

// tillForm reads the store and receipt number every till action needs.
func (s *Server) tillForm(w http.ResponseWriter, r *http.Request, rq *request) (store, receipt string, ok bool) {
	store, receipt = strings.TrimSpace(r.PostFormValue("store")), strings.TrimSpace(r.PostFormValue("receipt"))
	if store == "" || receipt == "" || len(receipt) > 60 {
		s.domainError(w, r, rq, kizuna.FieldError("receipt", "%s", i18n.T(rq.Locale, "till.need_receipt")))
		return "", "", false
	}
	http.SetCookie(w, &http.Cookie{Name: storeCookie, Value: store, Path: "/till", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secureCookie(r)})
	return store, receipt, true
}

// tillSale records a purchase at the counter as a POS order of the store,
// and settles its points at once. The receipt number is the order's
// number: the same receipt again is the same sale.
func (s *Server) tillSaleAction(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	id := r.PathValue("id")
	store, receipt, ok := s.tillForm(w, r, rq)
	if !ok {
		return
	}
	amount, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("amount")), ",", ""), 10, 64)
	if err != nil || amount < 1 || amount > 100_000_000 {
		s.domainError(w, r, rq, kizuna.FieldError("amount", "%s", i18n.T(rq.Locale, "till.bad_amount")))
		return
	}
	// The sale belongs to the location's channel: an own store's, or a
	// department-store counter's.
	channel := ""
	if locs, err := s.Customers.Locations(ctx); err == nil {
		for _, l := range locs {
			if l.Code == store {
				channel = l.Channel
			}
		}
	}
	if channel == "" {
		s.domainError(w, r, rq, kizuna.FieldError("store", "no store with code %s", store))
		return
	}
	tax := commerce.TaxStandard
	if r.PostFormValue("tax") == "8" {
		tax = commerce.TaxReduced // food and drink to take away (軽減税率)
	}
	key := tillKey(store, receipt, s.now())
	o := commerce.Order{Channel: channel, ExternalID: key, Store: store, Status: commerce.OrderDelivered, PlacedAt: s.now(),
		Customer: commerce.OrderCustomer{ID: id},
		Lines:    []commerce.OrderLine{{SKU: "POS", Name: i18n.T(rq.Locale, "till.sale_line"), Quantity: 1, UnitPrice: amount, TaxRate: tax}}}
	// Points redeemed for this receipt paid part of the sale: the order
	// says so, and earns nothing on that part (unless the program says
	// otherwise).
	if h, err := s.Points.HoldByRef(ctx, key); err != nil {
		s.serverError(w, r, rq, err)
		return
	} else if h != nil && h.Status == loyalty.HoldCommitted {
		o.PointsUsed = min(h.Points, amount)
	}
	res, err := s.Orders.Upsert(ctx, rq.Actor, nil, []commerce.Order{o})
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	if res[0].Status == commerce.OrderRejected {
		s.domainError(w, r, rq, kizuna.FieldError(res[0].Field, "%s", res[0].Reason))
		return
	}
	if err := s.Points.EarnForOrder(ctx, res[0].OrderID); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/till/"+id+"?order="+res[0].OrderID)
}

// tillKey is a till sale's key: the store, the business day in Japan and
// the receipt number. Registers number receipts afresh each day, so the
// number alone would make today's 0042 update yesterday's sale.
func tillKey(store, receipt string, now time.Time) string {
	return store + "-" + now.In(i18n.Tokyo).Format("20060102") + "-" + receipt
}

// tillHold sets points aside for the sale being rung up; the store, day
// and receipt number are the hold's key.
func (s *Server) tillHold(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	store, receipt, ok := s.tillForm(w, r, rq)
	if !ok {
		return
	}
	n, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue("points")), 10, 64)
	if err != nil || n < 1 {
		s.domainError(w, r, rq, kizuna.FieldError("points", "%s", i18n.T(rq.Locale, "points.not_a_number")))
		return
	}
	c, err := s.Identity.Get(r.Context(), id) // a page opened before a merge holds the survivor's points
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	key := tillKey(store, receipt, s.now())
	h, _, err := s.Points.Hold(r.Context(), rq.Actor, c.ID, n, key, key)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/till/"+c.ID+"?hold="+h.ID)
}

// tillSettle commits (the sale went through) or releases (it did not) a
// hold.
func (s *Server) tillSettle(w http.ResponseWriter, r *http.Request, rq *request) {
	hid := r.PathValue("hold")
	var h *loyalty.Hold
	var err error
	if strings.HasSuffix(r.URL.Path, "/commit") {
		h, err = s.Points.Commit(r.Context(), rq.Actor, hid, "till")
	} else {
		h, err = s.Points.Release(r.Context(), rq.Actor, hid, "till")
	}
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/till/"+h.CustomerID+"?hold="+h.ID)
}
