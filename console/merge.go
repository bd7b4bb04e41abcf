package console

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
)

type duplicatesData struct {
	Items []dupPair
	Next  string
}

type dupPair struct {
	customer.Duplicate
	A, B person
}

func (s *Server) duplicates(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	after := r.URL.Query().Get("after")
	dups, err := s.Customers.Duplicates(ctx, customer.DuplicateOpen, 51, after)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	d := duplicatesData{}
	if len(dups) > 50 {
		dups = dups[:50]
		d.Next = dups[49].ID
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
		d.Items = append(d.Items, dupPair{Duplicate: dp, A: byID[dp.CustomerID], B: byID[dp.OtherID]})
	}
	s.reads.Add(s.readEntry(rq, "duplicate.list", "", map[string]any{"count": len(dups)}))
	s.render(w, r, "duplicates", &view{Title: i18n.T(rq.Locale, "nav.duplicates"), Section: "duplicates", Data: d})
}

func (s *Server) dismissDuplicate(w http.ResponseWriter, r *http.Request, rq *request) {
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if err := s.Identity.DismissDuplicate(r.Context(), rq.Actor, r.PathValue("id"), reason); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	back := r.PostFormValue("back")
	s.redirect(w, r, safeNext(back))
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
		{Field: customer.FieldName, A: strings.TrimSpace(p.FamilyName + " " + p.GivenName)},
		{Field: customer.FieldNameKana, A: strings.TrimSpace(p.FamilyNameKana + " " + p.GivenNameKana)},
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
