package console

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
)

type duplicatesData struct {
	Items []dupPair
	Next  string
	Keys  bool // show the keyboard help (someone may decide)
	Bulk  []bulkOption
	Done  string // what the last bulk accept did
}

type dupPair struct {
	customer.Duplicate
	A, B     person
	Percent  string
	Evidence []evidenceRow
	Differs  map[string]bool
	Conflict bool
}

// evidenceRow is one field's evidence drawn as a bar: positive weights to
// the right in green, negative to the left in red.
type evidenceRow struct {
	Field, Level string
	Weight       float64
	Width        int // 0–100 in steps of 10: the bar's share of the widest weight
	Against      bool
}

// bulkOption is a threshold staff can accept every pair above, with how
// many open pairs it covers on this page.
type bulkOption struct {
	Value, Label string
	Count        int
}

// reviewPageSize is the pairs one page of the review queue shows.
const reviewPageSize = 30

func (s *Server) duplicates(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	after := r.URL.Query().Get("after")
	dups, err := s.Customers.Duplicates(ctx, customer.DuplicateOpen, reviewPageSize+1, after)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	d := duplicatesData{Keys: rq.can(auth.PermCustomerMerge), Done: r.URL.Query().Get("done")}
	if len(dups) > reviewPageSize {
		dups = dups[:reviewPageSize]
		d.Next = customer.DuplicateCursor(dups[reviewPageSize-1])
	}
	ids := make([]string, 0, 2*len(dups))
	for _, dp := range dups {
		ids = append(ids, dp.CustomerID, dp.OtherID)
	}
	cs, err := s.Customers.CustomersByID(ctx, ids)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	chs := s.channelMap(ctx)
	byID := map[string]person{}
	for i := range cs {
		byID[cs[i].ID] = personOf(rq, &cs[i], chs)
	}
	for _, dp := range dups {
		p := dupPair{Duplicate: dp, A: byID[dp.CustomerID], B: byID[dp.OtherID]}
		if dp.Probability > 0 {
			p.Percent = strconv.FormatFloat(dp.Probability*100, 'f', 1, 64) + "%"
		}
		widest := 0.0
		for _, e := range dp.Evidence {
			widest = max(widest, abs(e.Weight))
		}
		for _, e := range dp.Evidence {
			if e.Level == "missing" {
				continue
			}
			row := evidenceRow{Field: e.Field, Level: e.Level, Weight: e.Weight, Against: e.Weight < 0}
			if widest > 0 {
				row.Width = int(abs(e.Weight)/widest*10+0.5) * 10 // CSS classes w0…w100 (no inline styles under the CSP)
			}
			p.Evidence = append(p.Evidence, row)
		}
		p.Differs = map[string]bool{
			"name": p.A.Name != p.B.Name, "kana": p.A.NameKana != p.B.NameKana, "birth": p.A.BirthDate.Value != p.B.BirthDate.Value,
			"phones": fieldValues(p.A.Phones) != fieldValues(p.B.Phones), "emails": fieldValues(p.A.Emails) != fieldValues(p.B.Emails),
			"addresses": fieldValues(p.A.Addresses) != fieldValues(p.B.Addresses), "cards": fieldValues(p.A.Cards) != fieldValues(p.B.Cards),
		}
		d.Items = append(d.Items, p)
	}
	for _, th := range []float64{0.99, 0.95, 0.9, 0.8} {
		n := 0
		for _, dp := range dups {
			if dp.Probability >= th {
				n++
			}
		}
		d.Bulk = append(d.Bulk, bulkOption{Value: strconv.FormatFloat(th, 'f', 2, 64), Label: strconv.Itoa(int(th*100)) + "%", Count: n})
	}
	s.reads.Add(s.readEntry(rq, "duplicate.list", "", map[string]any{"count": len(dups)}))
	s.render(w, r, "duplicates", &view{Title: i18n.T(rq.Locale, "nav.duplicates"), Section: "duplicates", Data: d})
}

func abs(x float64) float64 { return max(x, -x) }

func (s *Server) dismissDuplicate(w http.ResponseWriter, r *http.Request, rq *request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if err := s.Identity.DismissDuplicate(r.Context(), rq.Actor, r.PathValue("id"), reason); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, safeNext(r.PostFormValue("back")))
}

// acceptDuplicate merges the pair (the newer customer into the older).
func (s *Server) acceptDuplicate(w http.ResponseWriter, r *http.Request, rq *request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if _, err := s.Identity.AcceptDuplicate(r.Context(), rq.Actor, r.PathValue("id"), reason); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, safeNext(r.PostFormValue("back")))
}

// acceptDuplicatesAbove merges every open pair at or above a probability.
func (s *Server) acceptDuplicatesAbove(w http.ResponseWriter, r *http.Request, rq *request) {
	th, err := strconv.ParseFloat(r.PostFormValue("min"), 64)
	if err != nil {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, i18n.T(rq.Locale, "duplicates.bulk_bad"))
		return
	}
	res, err := s.Identity.AcceptDuplicatesAbove(r.Context(), rq.Actor, th, 500)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/duplicates?done="+url.QueryEscape(i18n.T(rq.Locale, "duplicates.bulk_done", res.Accepted, res.Skipped)))
}

// A choice is one golden field group on which the two customers differ:
// staff pick which value the survivor keeps.
type choice struct {
	Field string
	A, B  string
}

type mergeData struct {
	A, B     person
	Choices  []choice
	Same     []choice // fields the two agree on, or only one has
	Survivor string
	DupID    string
	Differs  map[string]bool // list rows whose values differ (highlighted)
}

func fieldValues(fs []field) string {
	vs := make([]string, len(fs))
	for i, f := range fs {
		vs[i] = f.Value
	}
	slices.Sort(vs)
	return strings.Join(vs, "\n")
}

// scalar golden fields staff choose between; the lists (emails, phones,
// addresses, cards) are united by the merge.
func scalarFields(p *customer.Profile) []choice {
	return []choice{
		{Field: customer.FieldName, A: p.FullName()},
		{Field: customer.FieldNameKana, A: p.FullNameKana()},
		{Field: customer.FieldBirthDate, A: p.BirthDate},
		{Field: customer.FieldGender, A: p.Gender},
	}
}

func (s *Server) mergePage(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	q := r.URL.Query()
	a, b := strings.TrimSpace(q.Get("a")), strings.TrimSpace(q.Get("b"))
	if a == "" || b == "" || a == b {
		s.fail(w, r, rq, http.StatusBadRequest, i18n.T(rq.Locale, "merge.pick_two"))
		return
	}
	cs, err := s.Customers.CustomersByID(ctx, []string{a, b})
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	if len(cs) != 2 {
		s.fail(w, r, rq, http.StatusNotFound, i18n.T(rq.Locale, "merge.not_found"))
		return
	}
	for _, c := range cs {
		if c.Status != customer.StatusActive {
			s.fail(w, r, rq, http.StatusConflict, i18n.T(rq.Locale, "merge.not_active", c.ID, c.Status))
			return
		}
	}
	chs := s.channelMap(ctx)
	d := mergeData{A: personOf(rq, &cs[0], chs), B: personOf(rq, &cs[1], chs), DupID: q.Get("dup")}
	// The older customer survives by default: its ID is the one other
	// systems have held longest.
	d.Survivor = cs[0].ID
	if cs[1].CreatedAt.Before(cs[0].CreatedAt) {
		d.Survivor = cs[1].ID
	}
	d.Differs = map[string]bool{
		"phones": fieldValues(d.A.Phones) != fieldValues(d.B.Phones), "emails": fieldValues(d.A.Emails) != fieldValues(d.B.Emails),
		"addresses": fieldValues(d.A.Addresses) != fieldValues(d.B.Addresses), "cards": fieldValues(d.A.Cards) != fieldValues(d.B.Cards),
	}
	fa, fb := scalarFields(&cs[0].Profile), scalarFields(&cs[1].Profile)
	for i := range fa {
		c := choice{Field: fa[i].Field, A: fa[i].A, B: fb[i].A}
		if c.A != "" && c.B != "" && c.A != c.B {
			d.Choices = append(d.Choices, c)
		} else {
			d.Same = append(d.Same, c)
		}
	}
	s.reads.Add(s.readEntry(rq, "customer.compare", a, map[string]any{"other_customer_id": b}))
	s.render(w, r, "merge", &view{Title: i18n.T(rq.Locale, "merge.title"), Section: "duplicates", Data: d})
}

// merge folds one customer into the other, then pins the values staff
// chose where the two differed (as a staff-entered source record, which
// survivorship ranks first and lineage shows).
func (s *Server) merge(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	a, b := r.PostFormValue("a"), r.PostFormValue("b")
	survivor := r.PostFormValue("survivor")
	if survivor != a && survivor != b {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, i18n.T(rq.Locale, "merge.pick_survivor"))
		return
	}
	merged := a
	if survivor == a {
		merged = b
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		reason = "staff decision in the console"
	}
	cs, err := s.Customers.CustomersByID(ctx, []string{a, b})
	if err != nil || len(cs) != 2 {
		s.fail(w, r, rq, http.StatusNotFound, i18n.T(rq.Locale, "merge.not_found"))
		return
	}
	pick := map[string]*customer.Profile{a: &cs[0].Profile, b: &cs[1].Profile}
	if cs[0].ID != a {
		pick[a], pick[b] = &cs[1].Profile, &cs[0].Profile
	}
	m, err := s.Identity.Merge(ctx, rq.Actor, survivor, merged, reason)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	after, err := s.Customers.GetCustomer(ctx, survivor)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	patch := map[string]any{}
	for _, f := range []string{customer.FieldName, customer.FieldNameKana, customer.FieldBirthDate, customer.FieldGender} {
		from := r.PostFormValue("choice_" + f)
		p := pick[from]
		if p == nil {
			continue
		}
		ap := &after.Profile
		switch f {
		// An empty value is never chosen: the page offers a choice only
		// where both customers have one.
		case customer.FieldName:
			if p.FamilyName+p.GivenName != "" && (p.FamilyName != ap.FamilyName || p.GivenName != ap.GivenName) {
				patch["family_name"], patch["given_name"] = p.FamilyName, p.GivenName
			}
		case customer.FieldNameKana:
			if p.FamilyNameKana+p.GivenNameKana != "" && (p.FamilyNameKana != ap.FamilyNameKana || p.GivenNameKana != ap.GivenNameKana) {
				patch["family_name_kana"], patch["given_name_kana"] = p.FamilyNameKana, p.GivenNameKana
			}
		case customer.FieldBirthDate:
			if p.BirthDate != "" && p.BirthDate != ap.BirthDate {
				patch["birth_date"] = p.BirthDate
			}
		case customer.FieldGender:
			if p.Gender != "" && p.Gender != ap.Gender {
				patch["gender"] = p.Gender
			}
		}
	}
	if len(patch) > 0 {
		body, _ := json.Marshal(patch)
		if _, err := s.Identity.Patch(ctx, rq.Actor, survivor, "", body); err != nil {
			s.log.Error("merge: chosen values not applied", "merge", m.ID, "err", err)
			s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "merge.choices_failed", m.ID))
			return
		}
	}
	s.redirect(w, r, "/customers/"+survivor+"?merged="+m.ID)
}

func (s *Server) unmerge(w http.ResponseWriter, r *http.Request, rq *request) {
	m, err := s.Identity.Unmerge(r.Context(), rq.Actor, r.PathValue("id"))
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/customers/"+m.SurvivorID+"?unmerged="+m.MergedID)
}
