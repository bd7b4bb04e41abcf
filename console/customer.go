package console

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/mask"
	"github.com/kizuna-oss/kizuna/normalize"
	"github.com/kizuna-oss/kizuna/postal"
)

// field is one shown value: masked for roles that may not see personal
// data, with the reference a reveal request names.
type field struct {
	Value  string
	Masked bool
	Ref    string // e.g. "phones.0"
}

// person is a golden record as one viewer may see it.
type person struct {
	ID, Status, MergedInto string
	Suppressed             bool
	Name, NameKana         string
	NameRomaji             string
	BirthDate              field
	Gender                 string
	Emails, Phones, Cards  []field
	Addresses              []field
	Channels               []string
	Tags                   []string
	Consents               []customer.Consent
	Attributes             []kv
	Lineage                []lineageRow
	Version                int
	CreatedAt, UpdatedAt   time.Time
	Match                  string
}

type kv struct{ Key, Value string }

type lineageRow struct {
	Field   string
	Channel string
	Rule    string
	Version int
	At      time.Time
}

// displayPhone shows an E.164 number the way Japanese staff write it.
func displayPhone(e164 string) string {
	n, err := phonenumbers.Parse(e164, "JP")
	if err != nil {
		return e164
	}
	if n.GetCountryCode() == 81 {
		return phonenumbers.Format(n, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

func displayPostal(pc string) string {
	if len(pc) == 7 {
		return pc[:3] + "-" + pc[3:]
	}
	return pc
}

// fullAddress is an address as written on an envelope.
func fullAddress(a customer.Address) string {
	var b strings.Builder
	if a.PostalCode != "" {
		b.WriteString("〒" + displayPostal(a.PostalCode) + " ")
	}
	b.WriteString(a.Prefecture + a.City + a.Street)
	if a.Building != "" {
		b.WriteString(" " + a.Building)
	}
	return strings.TrimSpace(b.String())
}

// revealValue is the unmasked text of a field reference, or false.
func revealValue(c *customer.Customer, ref string) (string, bool) {
	kind, idx, ok := strings.Cut(ref, ".")
	i, err := strconv.Atoi(idx)
	if kind == "birth_date" {
		return c.Profile.BirthDate, c.Profile.BirthDate != ""
	}
	if !ok || err != nil || i < 0 {
		return "", false
	}
	p := &c.Profile
	switch {
	case kind == "emails" && i < len(p.Emails):
		return p.Emails[i], true
	case kind == "phones" && i < len(p.Phones):
		return displayPhone(p.Phones[i]), true
	case kind == "cards" && i < len(p.MemberCards):
		return p.MemberCards[i], true
	case kind == "addresses" && i < len(p.Addresses):
		return fullAddress(p.Addresses[i]), true
	}
	return "", false
}

// personOf builds what the viewer may see of a customer. Names stay
// visible (staff greet the customer by name); contact data, card numbers,
// the street address and the birth day are masked without
// auth.PermPersonalData.
func personOf(rq *request, c *customer.Customer, channels map[string]customer.Channel) person {
	full := rq.can(auth.PermPersonalData)
	p := &c.Profile
	v := person{ID: c.ID, Status: c.Status, MergedInto: c.MergedInto, Suppressed: c.Suppressed,
		Name:     p.FullName(),
		NameKana: p.FullNameKana(), NameRomaji: strings.TrimSpace(p.GivenNameRomaji + " " + p.FamilyNameRomaji),
		Gender: p.Gender, Tags: p.Tags, Consents: p.Consents, Version: c.Version, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	mk := func(ref, shown, masked string) field {
		if full {
			return field{Value: shown, Ref: ref}
		}
		return field{Value: masked, Masked: true, Ref: ref}
	}
	for i, e := range p.Emails {
		v.Emails = append(v.Emails, mk(fmt.Sprintf("emails.%d", i), e, mask.Email(e)))
	}
	for i, ph := range p.Phones {
		v.Phones = append(v.Phones, mk(fmt.Sprintf("phones.%d", i), displayPhone(ph), mask.Phone(ph)))
	}
	for i, cd := range p.MemberCards {
		v.Cards = append(v.Cards, mk(fmt.Sprintf("cards.%d", i), cd, mask.Card(cd)))
	}
	for i, a := range p.Addresses {
		masked := strings.TrimSpace(mask.PostalCode(a.PostalCode) + " " + a.Prefecture + a.City + " " + mask.Address(a.Street+a.Building))
		if a.PostalCode != "" {
			masked = "〒" + masked
		}
		v.Addresses = append(v.Addresses, mk(fmt.Sprintf("addresses.%d", i), fullAddress(a), masked))
	}
	if p.BirthDate != "" {
		v.BirthDate = mk("birth_date", p.BirthDate, mask.BirthDate(p.BirthDate))
	}
	for _, ch := range c.Channels {
		v.Channels = append(v.Channels, channelLabel(rq, channels, ch))
	}
	keys := make([]string, 0, len(p.Attributes))
	for k := range p.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v.Attributes = append(v.Attributes, kv{k, fmt.Sprint(p.Attributes[k])})
	}
	for _, f := range customer.GoldenFields {
		if l, ok := c.Lineage[f]; ok {
			v.Lineage = append(v.Lineage, lineageRow{Field: f, Channel: channelLabel(rq, channels, l.Channel), Rule: string(l.Rule), Version: l.Version, At: l.ObservedAt})
		}
	}
	return v
}

func channelLabel(rq *request, channels map[string]customer.Channel, code string) string {
	ch, ok := channels[code]
	switch {
	case !ok:
		return code
	case rq.Locale == i18n.En && ch.NameEn != "":
		return ch.NameEn
	case ch.Name != "":
		return ch.Name
	}
	return code
}

func (s *Server) channelMap(ctx context.Context) map[string]customer.Channel {
	chs, err := s.Customers.Channels(ctx)
	m := make(map[string]customer.Channel, len(chs))
	if err != nil {
		s.log.Warn("read channels", "err", err)
		return m
	}
	for _, c := range chs {
		m[c.Code] = c
	}
	return m
}

// readEntry is an audit entry for a read, written by the batcher.
func (s *Server) readEntry(rq *request, action, customerID string, detail any) audit.Entry {
	return audit.New(rq.Actor, s.now(), action, "customer", customerID, customerID, detail)
}

type searchData struct {
	Query   string
	Results []person
	Limit   int
	Took    time.Duration
	Postal  *postalHint // the postal code typed, or found for the address typed
}

// postalHint is what the Japan Post dictionary says about a search: the
// address of the postal code typed, or the postal code of the address
// typed (then the results are the customers with that code).
type postalHint struct {
	Code        string   // 7 digits
	Addresses   []string // 東京都渋谷区道玄坂
	FromAddress bool
}

// Display is the code as staff write it: 150-0043.
func (h postalHint) Display() string { return displayPostal(h.Code) }

// postalSearch reads the search box as a postal code or an address, when
// the dictionary is loaded. An address found to one postal code is
// searched for as that code.
func (s *Server) postalSearch(ctx context.Context, q string) (hint *postalHint, search string) {
	dir := s.Identity.Postal()
	if dir == nil {
		return nil, q
	}
	if pc, err := normalize.PostalCode(q); err == nil && len(strings.Map(keepDigit, q)) == 7 {
		if es, err := dir.Lookup(ctx, pc); err == nil && len(es) > 0 {
			return &postalHint{Code: pc, Addresses: postalAddresses(es)}, q
		}
		return nil, q
	}
	// A name (佐藤) could begin a town: only what has a number or begins
	// with a prefecture is read as an address.
	if pref, _ := normalize.SplitPrefecture(q); pref == "" && strings.IndexFunc(q, unicode.IsDigit) < 0 {
		return nil, q
	}
	f, ok, err := dir.Find(ctx, "", q)
	if err != nil || !ok || f.Code == "" || !f.Town {
		// A city alone (東京都渋谷区) or a town the dictionary does not
		// know: its code would list the wrong customers.
		return nil, q
	}
	return &postalHint{Code: f.Code, Addresses: postalAddresses(f.Entries), FromAddress: true}, f.Code
}

func keepDigit(r rune) rune {
	if unicode.IsDigit(r) {
		return r
	}
	return -1
}

// postalAddresses are the distinct addresses of a code's entries.
func postalAddresses(es []postal.Entry) []string {
	var out []string
	for _, e := range es {
		if a := e.Address(); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

const searchLimit = 50

func (s *Server) search(w http.ResponseWriter, r *http.Request, rq *request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := searchData{Query: q, Limit: searchLimit}
	if q != "" {
		if utf8.RuneCountInString(q) > 200 {
			s.fail(w, r, rq, http.StatusBadRequest, i18n.T(rq.Locale, "search.too_long"))
			return
		}
		start := time.Now()
		hint, search := s.postalSearch(r.Context(), q)
		d.Postal = hint
		res, err := s.Identity.Search(r.Context(), search, searchLimit)
		if err != nil {
			s.serverError(w, r, rq, err)
			return
		}
		d.Took = time.Since(start)
		chs := s.channelMap(r.Context())
		ids := make([]string, 0, len(res))
		for _, x := range res {
			p := personOf(rq, &x.Customer, chs)
			p.Match = x.Match
			d.Results = append(d.Results, p)
			ids = append(ids, x.Customer.ID)
		}
		// The query itself may be personal data: the trail keeps what was
		// shown, not what was typed.
		s.reads.Add(s.readEntry(rq, "customer.search", "", map[string]any{"results": len(ids), "customer_ids": ids}))
	}
	s.render(w, r, "search", &view{Title: i18n.T(rq.Locale, "nav.search"), Section: "search", Data: d})
}

type sourceView struct {
	customer.SourceProfile
	ChannelName string
	Person      person
}

type customerData struct {
	P          person
	Sources    []sourceView
	Duplicates []dupView
	Merges     []customer.Merge
	Notes      []customer.Note
	Audit      []audit.Entry
	Orders     *orderTimeline
	Points     *pointsPanel
	Events     []eventView // the latest maxEventsShown, newest first
	AdjustKey  string      // a fresh key for the adjustment form (a double submit adjusts once)
	Panels     []string    // templates of the panels, in page order
}

// orderTimeline is a customer's purchases across channels, newest first.
type orderTimeline struct {
	Recent   []orderView // the latest maxTimeline
	Count    int         // all orders read (up to maxOrdersRead)
	More     bool        // more than maxOrdersRead: the figures cover the latest only
	Spend    int64       // net of refunds, cancelled orders excluded
	Channels []string    // channel names, most orders first
	First    time.Time
	Last     time.Time
}

type orderView struct {
	commerce.Order
	ChannelName string
	Items       string // the first product and how many more
	Units       int64
	Returned    int64
}

// Refunded is what the order's returns gave back.
func (v orderView) Refunded() int64 { return v.Total - v.NetTotal() }

const (
	maxTimeline   = 20
	maxOrdersRead = 1000
)

func (s *Server) orderTimeline(ctx context.Context, rq *request, id string, chs map[string]customer.Channel) (*orderTimeline, error) {
	orders, err := s.Orders.List(ctx, commerce.OrderQuery{CustomerID: id, Limit: maxOrdersRead + 1})
	if err != nil {
		return nil, err
	}
	tl := &orderTimeline{More: len(orders) > maxOrdersRead}
	if tl.More {
		orders = orders[:maxOrdersRead]
	}
	tl.Count = len(orders)
	perChannel := map[string]int{}
	for i, o := range orders {
		if o.Status != commerce.OrderCancelled {
			tl.Spend += o.NetTotal()
		}
		perChannel[o.Channel]++
		if i == 0 {
			tl.Last = o.PlacedAt
		}
		tl.First = o.PlacedAt
		if i >= maxTimeline {
			continue
		}
		v := orderView{Order: o, ChannelName: channelLabel(rq, chs, o.Channel)}
		v.Units, v.Returned = o.Units()
		if len(o.Lines) > 0 {
			v.Items = o.Lines[0].Name
			if v.Items == "" {
				v.Items = o.Lines[0].SKU
			}
			if len(o.Lines) > 1 {
				v.Items = i18n.T(rq.Locale, "order.more_items", v.Items, len(o.Lines)-1)
			}
		}
		tl.Recent = append(tl.Recent, v)
	}
	codes := make([]string, 0, len(perChannel))
	for c := range perChannel {
		codes = append(codes, c)
	}
	sort.Slice(codes, func(i, j int) bool {
		if perChannel[codes[i]] != perChannel[codes[j]] {
			return perChannel[codes[i]] > perChannel[codes[j]]
		}
		return codes[i] < codes[j]
	})
	for _, c := range codes {
		tl.Channels = append(tl.Channels, channelLabel(rq, chs, c))
	}
	return tl, nil
}

type dupView struct {
	customer.Duplicate
	Other     string // the other customer's ID
	OtherName string
}

func (s *Server) loadCustomer(w http.ResponseWriter, r *http.Request, rq *request) (*customer.Customer, bool) {
	id := r.PathValue("id")
	c, err := s.Customers.GetCustomer(r.Context(), id)
	if err != nil {
		if kizuna.ErrorCode(err) == kizuna.ENOTFOUND {
			s.fail(w, r, rq, http.StatusNotFound, i18n.T(rq.Locale, "customer.not_found", id))
		} else {
			s.serverError(w, r, rq, err)
		}
		return nil, false
	}
	if c.Status == customer.StatusMerged && c.MergedInto != "" && r.Method == http.MethodGet {
		// A merged ID still reaches the person.
		http.Redirect(w, r, "/customers/"+c.MergedInto+"?merged_from="+c.ID, http.StatusSeeOther)
		return nil, false
	}
	return c, true
}

// loadCustomerData is loadCustomer plus everything the 360° view shows.
func (s *Server) loadCustomerData(w http.ResponseWriter, r *http.Request, rq *request) (*customer.Customer, *customerData, bool) {
	c, ok := s.loadCustomer(w, r, rq)
	if !ok {
		return nil, nil, false
	}
	d, err := s.customerData(r.Context(), rq, c)
	if err != nil {
		s.serverError(w, r, rq, err)
		return nil, nil, false
	}
	return c, d, true
}

func (s *Server) customerPage(w http.ResponseWriter, r *http.Request, rq *request) {
	c, d, ok := s.loadCustomerData(w, r, rq)
	if !ok {
		return
	}
	s.reads.Add(s.readEntry(rq, "customer.view", c.ID, map[string]any{"page": "360", "masked": !rq.can(auth.PermPersonalData)}))
	title := d.P.Name
	if title == "" {
		title = c.ID
	}
	v := &view{Title: title, Section: "search", Data: d}
	if from := r.URL.Query().Get("merged_from"); from != "" {
		v.Flash = i18n.T(rq.Locale, "customer.merged_redirect", from)
	}
	s.render(w, r, "customer", v)
}

func (s *Server) customerData(ctx context.Context, rq *request, c *customer.Customer) (*customerData, error) {
	chs := s.channelMap(ctx)
	d := &customerData{P: personOf(rq, c, chs)}
	srcs, err := s.Customers.SourcesOfCustomer(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].Channel < srcs[j].Channel })
	for _, sp := range srcs {
		sc := customer.Customer{ID: sp.ID, Profile: sp.Profile}
		d.Sources = append(d.Sources, sourceView{SourceProfile: sp, ChannelName: channelLabel(rq, chs, sp.Channel), Person: personOf(rq, &sc, chs)})
	}
	dups, err := s.Customers.DuplicatesOf(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, dp := range dups {
		if dp.Status != customer.DuplicateOpen {
			continue
		}
		other := dp.OtherID
		if other == c.ID {
			other = dp.CustomerID
		}
		dv := dupView{Duplicate: dp, Other: other}
		if oc, err := s.Customers.GetCustomer(ctx, other); err == nil {
			dv.OtherName = oc.Profile.FullName()
		}
		d.Duplicates = append(d.Duplicates, dv)
	}
	if d.Merges, err = s.Customers.MergesOf(ctx, c.ID); err != nil {
		return nil, err
	}
	noteIDs := []string{c.ID}
	for _, m := range d.Merges {
		if m.SurvivorID == c.ID && m.UndoneAt == nil {
			noteIDs = append(noteIDs, m.MergedID)
		}
	}
	if d.Notes, err = s.Customers.Notes(ctx, noteIDs); err != nil {
		return nil, err
	}
	if rq.can(auth.PermAuditRead) {
		if d.Audit, err = s.Audit.AuditEntries(ctx, audit.Filter{CustomerID: c.ID, Limit: 50}); err != nil {
			return nil, err
		}
	}
	// Later issues add panels (contacts, complaints) here.
	d.Panels = []string{"panel-golden", "panel-identifiers", "panel-notes"}
	if s.Orders != nil && rq.can(auth.PermOrderRead) {
		if d.Orders, err = s.orderTimeline(ctx, rq, c.ID, chs); err != nil {
			return nil, err
		}
		d.Panels = append(d.Panels, "panel-orders")
	}
	if s.Points != nil && rq.can(auth.PermPointsRead) {
		if d.Points, err = s.pointsPanel(ctx, rq, c.ID); err != nil {
			return nil, err
		}
		d.AdjustKey = kizuna.NewID("adj")
		d.Panels = append(d.Panels, "panel-points")
	}
	if s.Events != nil && rq.can(auth.PermEventRead) {
		if d.Events, err = s.recentEvents(ctx, rq, c.ID, chs); err != nil {
			return nil, err
		}
		d.Panels = append(d.Panels, "panel-events")
	}
	d.Panels = append(d.Panels, "panel-sources", "panel-duplicates", "panel-merges")
	if rq.can(auth.PermAuditRead) {
		d.Panels = append(d.Panels, "panel-audit")
	}
	return d, nil
}

func (s *Server) customerPrint(w http.ResponseWriter, r *http.Request, rq *request) {
	c, d, ok := s.loadCustomerData(w, r, rq)
	if !ok {
		return
	}
	// A print leaves the building: it is audited at once, not batched.
	s.audit(r.Context(), rq, "customer.print", "customer", c.ID, c.ID, map[string]any{"masked": !rq.can(auth.PermPersonalData)})
	s.render(w, r, "print", &view{Title: d.P.Name, Data: d})
}

// reveal shows one masked field to a viewer who gives a reason; the reason
// and the field go to the audit trail before the value is sent.
func (s *Server) reveal(w http.ResponseWriter, r *http.Request, rq *request) {
	c, ok := s.loadCustomer(w, r, rq)
	if !ok {
		return
	}
	ref := r.PostFormValue("field")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, i18n.T(rq.Locale, "reveal.reason_required"))
		return
	}
	if utf8.RuneCountInString(reason) > 200 {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, i18n.T(rq.Locale, "reveal.reason_too_long"))
		return
	}
	val, ok := revealValue(c, ref)
	if !ok {
		s.fail(w, r, rq, http.StatusNotFound, i18n.T(rq.Locale, "reveal.no_field", ref))
		return
	}
	s.audit(r.Context(), rq, "customer.reveal", "customer", c.ID, c.ID, map[string]any{"field": ref, "reason": reason})
	s.render(w, r, "revealed", &view{Data: val})
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	if _, err := s.Identity.AddNote(r.Context(), rq.Actor, id, r.PostFormValue("body")); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/customers/"+id+"#notes")
}

type versionsData struct {
	Profile  customer.SourceProfile
	Versions []customer.SourceVersion
	Raw      []string
}

// versions lists every version of one source record, as sent. The raw
// records hold personal data: only viewers who may see it get them.
func (s *Server) versions(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	id, pid := r.PathValue("id"), r.PathValue("profile")
	srcs, err := s.Customers.SourcesOfCustomer(ctx, id)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	i := slices.IndexFunc(srcs, func(sp customer.SourceProfile) bool { return sp.ID == pid })
	if i < 0 {
		s.fail(w, r, rq, http.StatusNotFound, i18n.T(rq.Locale, "error.not_found"))
		return
	}
	vs, err := s.Customers.SourceVersions(ctx, pid)
	if err != nil {
		s.serverError(w, r, rq, err)
		return
	}
	d := versionsData{Profile: srcs[i], Versions: vs}
	if rq.can(auth.PermPersonalData) {
		for _, v := range vs {
			// Indented as stored: the record exactly as received, keys in
			// their order, nothing re-encoded.
			var pretty bytes.Buffer
			if json.Indent(&pretty, v.Raw, "", "  ") != nil {
				pretty.Reset()
				pretty.Write(v.Raw)
			}
			d.Raw = append(d.Raw, pretty.String())
		}
	}
	s.reads.Add(s.readEntry(rq, "source_profile.versions", id, map[string]any{"source_profile_id": pid, "raw": len(d.Raw) > 0}))
	s.render(w, r, "versions", &view{Title: i18n.T(rq.Locale, "customer.versions"), Data: d})
}

func (s *Server) erase(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" || r.PostFormValue("confirm") != id {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, i18n.T(rq.Locale, "erase.confirm_required"))
		return
	}
	if err := s.Identity.Erase(r.Context(), rq.Actor, id, reason); err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.redirect(w, r, "/customers/"+id+"?erased=1")
}

func (s *Server) disclose(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx := r.Context()
	id := r.PathValue("id")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		s.fail(w, r, rq, http.StatusUnprocessableEntity, i18n.T(rq.Locale, "disclose.reason_required"))
		return
	}
	doc, err := s.Identity.Disclose(ctx, id)
	if err != nil {
		s.domainError(w, r, rq, err)
		return
	}
	s.audit(ctx, rq, "customer.disclose", "customer", id, id, map[string]any{"reason": reason, "format": "json"})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kizuna-disclosure-`+id+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc)
}

// domainError shows a domain error with the status the API would give.
func (s *Server) domainError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	switch kizuna.ErrorCode(err) {
	case kizuna.ENOTFOUND:
		s.fail(w, r, rq, http.StatusNotFound, kizuna.ErrorMessage(err))
	case kizuna.EINVALID:
		s.fail(w, r, rq, http.StatusUnprocessableEntity, kizuna.ErrorMessage(err))
	case kizuna.ECONFLICT:
		s.fail(w, r, rq, http.StatusConflict, kizuna.ErrorMessage(err))
	case kizuna.EFORBIDDEN:
		s.fail(w, r, rq, http.StatusForbidden, kizuna.ErrorMessage(err))
	default:
		s.serverError(w, r, rq, err)
	}
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	s.log.Error("console request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.fail(w, r, rq, http.StatusInternalServerError, i18n.T(rq.Locale, "error.generic"))
}
