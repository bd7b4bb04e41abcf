package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/width"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/normalize"
	"github.com/kizuna-oss/kizuna/postal"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

func nationalPhone(e164 string) string {
	n, _ := phonenumbers.Parse(e164, "JP")
	return phonenumbers.Format(n, phonenumbers.NATIONAL)
}

func TestSearchFindsByEveryKindOfInput(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 60)
		c, _ := s.someCustomer(t)
		cl := s.client(t)
		cl.session("staff")
		p := &c.Profile
		queries := []string{
			p.FamilyName + " " + p.GivenName,      // kanji with a space
			p.FamilyName + p.GivenName,            // without
			p.FamilyName + p.GivenName + "様",      // with an honorific
			p.FamilyNameKana + p.GivenNameKana,    // katakana reading
			width.Narrow.String(p.FamilyNameKana), // half-width katakana
			hiragana(p.FamilyNameKana + " " + p.GivenNameKana),
			nationalPhone(p.Phones[0]), // 090-1234-5678
			strings.ReplaceAll(nationalPhone(p.Phones[0]), "-", ""),
			width.Widen.String(nationalPhone(p.Phones[0])), // full-width digits
			strings.ToUpper(p.Emails[0]),
		}
		if len(p.MemberCards) > 0 {
			queries = append(queries, p.MemberCards[0])
		}
		if len(p.Addresses) > 0 && p.Addresses[0].PostalCode != "" {
			pc := p.Addresses[0].PostalCode
			queries = append(queries, "〒"+pc[:3]+"-"+pc[3:])
		}
		for _, q := range queries {
			res := cl.get("/customers?q=" + url.QueryEscape(q))
			if res.Code != 200 || !strings.Contains(res.Body, `href="/customers/`+c.ID+`"`) {
				t.Errorf("search %q did not find %s (%s %s): %d", q, c.ID, p.FamilyName, p.GivenName, res.Code)
			}
		}
		// Romaji, when the reading is known: "Hanako Yamada" and "yamada hanako".
		romaji := strings.ToUpper(normalize.KanaToRomaji(p.GivenNameKana)) + " " + normalize.KanaToRomaji(p.FamilyNameKana)
		if res := cl.get("/customers?q=" + url.QueryEscape(romaji)); !strings.Contains(res.Body, `href="/customers/`+c.ID+`"`) {
			t.Errorf("romaji search %q did not find %s", romaji, c.ID)
		}
		// htmx asks for the results only.
		res := cl.do(http.MethodGet, "/customers?q="+url.QueryEscape(p.FamilyName), nil, "HX-Request", "true", "HX-Target", "results")
		if strings.Contains(res.Body, "<html") || !strings.Contains(res.Body, "table") {
			t.Errorf("htmx search answered a whole page or no table: %.200s", res.Body)
		}
		if res := cl.get("/customers?q=" + url.QueryEscape("存在しない名前ゼロ件")); !strings.Contains(res.Body, "見つかりませんでした") {
			t.Error("no empty-state message for a search without results")
		}
		// The trail keeps what was shown, never what was typed.
		if len(actionsOf(t, db, audit.Filter{Action: "customer.search"})) == 0 {
			t.Fatal("searches not audited")
		}
		es, _ := db.AuditEntries(context.Background(), audit.Filter{Action: "customer.search", Limit: 100})
		for _, e := range es {
			if strings.Contains(string(e.Detail), p.FamilyName) || strings.Contains(string(e.Detail), p.Phones[0]) {
				t.Errorf("search audit holds the query: %s", e.Detail)
			}
		}
	})
}

// shownName is a name as the console shows it; "森 結衣" in the family name
// field alone looks the same as 森 / 結衣 and is no choice to make.
func shownName(c *customer.Customer) string {
	return strings.TrimSpace(c.Profile.FamilyName + " " + c.Profile.GivenName)
}

func hiragana(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'ァ' && r <= 'ヶ' {
			return r - 0x60
		}
		return r
	}, s)
}

func TestMaskingAndReveal(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 40)
		c, _ := s.someCustomer(t)
		phone := nationalPhone(c.Profile.Phones[0])
		email := c.Profile.Emails[0]

		clerk := s.client(t)
		clerk.session("staff")
		p := clerk.get("/customers/" + c.ID)
		if p.Code != 200 {
			t.Fatalf("clerk view: %d", p.Code)
		}
		if strings.Contains(p.Body, phone) || strings.Contains(p.Body, email) {
			t.Fatalf("store clerk sees %s / %s unmasked", phone, email)
		}
		if !strings.Contains(p.Body, phone[:strings.IndexByte(phone, '-')]+"-****-"+phone[len(phone)-4:]) {
			t.Errorf("masked phone like 090-****-5678 not shown for %s", phone)
		}
		if !strings.Contains(p.Body, email[:1]+"***@") {
			t.Errorf("masked email not shown")
		}
		if !strings.Contains(p.Body, c.Profile.FamilyName) {
			t.Error("the clerk cannot see the customer's name")
		}
		// Revealing asks for a reason.
		if r := clerk.post("/customers/"+c.ID+"/reveal", url.Values{"field": {"phones.0"}}); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("reveal without a reason: %d", r.Code)
		}
		r := clerk.post("/customers/"+c.ID+"/reveal", url.Values{"field": {"phones.0"}, "reason": {"ご本人確認"}})
		if r.Code != 200 || !strings.Contains(r.Body, phone) {
			t.Fatalf("reveal: %d %.200s", r.Code, r.Body)
		}
		// htmx swaps the answer into the field (hx-target="closest .reveal"
		// sends no HX-Target): the value alone, not a page.
		hx := clerk.do(http.MethodPost, "/customers/"+c.ID+"/reveal", url.Values{"field": {"emails.0"}, "reason": {"ご本人確認"}, "csrf": {clerk.csrf}}, "HX-Request", "true")
		if hx.Code != 200 || strings.Contains(hx.Body, "<html") || !strings.Contains(hx.Body, `class="revealed"`) || !strings.Contains(hx.Body, email) {
			t.Errorf("htmx reveal: %d %.300s", hx.Code, hx.Body)
		}
		es, _ := db.AuditEntries(context.Background(), audit.Filter{CustomerID: c.ID, Action: "customer.reveal", Limit: 10})
		if len(es) != 2 || !strings.Contains(string(es[0].Detail)+string(es[1].Detail), "phones.0") || !strings.Contains(string(es[0].Detail)+string(es[1].Detail), "emails.0") ||
			!strings.Contains(string(es[1].Detail), "ご本人確認") || es[1].ActorName != "staff" || es[0].ActorName != "staff" {
			t.Errorf("reveal audit: %+v", es)
		}
		// A marketer sees masked data and cannot reveal.
		mk := s.client(t)
		mk.session("marketer")
		if p := mk.get("/customers/" + c.ID); strings.Contains(p.Body, phone) || strings.Contains(p.Body, "reveal") && strings.Contains(p.Body, `name="field"`) {
			t.Error("marketer sees the phone or a reveal form")
		}
		// Support sees everything.
		sp := s.client(t)
		sp.session("support")
		if p := sp.get("/customers/" + c.ID); !strings.Contains(p.Body, phone) || !strings.Contains(p.Body, email) {
			t.Error("support does not see contact data")
		}
	})
}

func TestViewsAreAuditedWithTerminal(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 20)
		c, profile := s.someCustomer(t)
		adm := s.client(t)
		adm.session("admin")
		// Name this device; its cookie then names it in the trail.
		if p := adm.post("/admin/terminals", url.Values{"name": {"渋谷店 レジ2"}}); p.Code != 200 || !strings.Contains(p.Body, "渋谷店 レジ2") {
			t.Fatalf("name terminal: %d", p.Code)
		}
		adm.get("/customers/" + c.ID)
		adm.get("/customers/" + c.ID + "/versions/" + profile)
		if p := adm.get("/customers/" + c.ID + "/print"); p.Code != 200 || !strings.Contains(p.Body, "社外秘") {
			t.Errorf("print view: %d", p.Code)
		}
		actions := actionsOf(t, db, audit.Filter{CustomerID: c.ID})
		for _, want := range []string{"customer.view", "customer.print", "source_profile.versions"} {
			if !slices.Contains(actions, want) {
				t.Errorf("no %s in the customer's trail: %v", want, actions)
			}
		}
		es, _ := db.AuditEntries(context.Background(), audit.Filter{CustomerID: c.ID, Action: "customer.view", Limit: 5})
		if len(es) == 0 || es[0].Terminal != "渋谷店 レジ2" || es[0].ActorName != "admin" || es[0].IP == "" {
			t.Errorf("view entry lacks user, IP or terminal: %+v", es)
		}
		// A revoked terminal no longer names the device.
		ts, _ := db.Terminals(context.Background())
		if p := adm.post("/admin/terminals/"+ts[0].ID+"/revoke", nil); p.Code != 200 {
			t.Fatalf("revoke terminal: %d", p.Code)
		}
		if p := adm.get("/admin?tab=terminals"); strings.Contains(p.Body, "この端末は「渋谷店 レジ2」") {
			t.Error("revoked terminal still names the device")
		}
	})
}

func TestNotes(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 20)
	c, _ := s.someCustomer(t)
	cl := s.client(t)
	cl.session("staff")
	if p := cl.post("/customers/"+c.ID+"/notes", url.Values{"body": {"  "}}); p.Code != http.StatusUnprocessableEntity {
		t.Errorf("empty note: %d", p.Code)
	}
	if p := cl.post("/customers/"+c.ID+"/notes", url.Values{"body": {"ギフト包装をご希望 <b>"}}); p.Code != http.StatusSeeOther {
		t.Fatalf("note: %d %.200s", p.Code, p.Body)
	}
	p := cl.get("/customers/" + c.ID)
	if !strings.Contains(p.Body, "ギフト包装をご希望 &lt;b&gt;") {
		t.Error("note not shown, or not escaped")
	}
	es, _ := s.db.AuditEntries(context.Background(), audit.Filter{Action: "customer.note", Limit: 5})
	if len(es) != 1 || strings.Contains(string(es[0].Detail), "ギフト") {
		t.Errorf("note audit missing or holds the text: %+v", es)
	}
}

var mergeIDRE = regexp.MustCompile(`merged=(mrg_[a-z0-9]+)`)

func TestMergeAndUnmergeThroughTheConsole(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 80)
		ctx := context.Background()
		dups, err := db.Duplicates(ctx, customer.DuplicateOpen, 200, "")
		if err != nil || len(dups) < 2 {
			t.Fatalf("no possible duplicates in the demo data: %v", err)
		}
		// A pair whose names differ, so the choice of name matters.
		d := dups[0]
		for _, x := range dups {
			a, _ := db.GetCustomer(ctx, x.CustomerID)
			b, _ := db.GetCustomer(ctx, x.OtherID)
			if a.Profile.FamilyName != "" && b.Profile.FamilyName != "" && shownName(a) != shownName(b) {
				d = x
				break
			}
		}
		sup := s.client(t)
		sup.session("support")
		list := sup.get("/duplicates")
		for _, en := range []string{"only", "held by several", "signals disagree"} {
			if strings.Contains(list.Body, en) {
				t.Errorf("a duplicate reason is shown untranslated (%q)", en)
			}
		}
		if !strings.Contains(list.Body, "/merge?a="+d.CustomerID+"&amp;b="+d.OtherID) {
			t.Fatalf("duplicates page lacks the compare link for %s", d.ID)
		}
		cmp := sup.get("/merge?a=" + d.CustomerID + "&b=" + d.OtherID)
		if cmp.Code != 200 || !strings.Contains(cmp.Body, `name="survivor"`) {
			t.Fatalf("compare page: %d", cmp.Code)
		}
		a, _ := db.GetCustomer(ctx, d.CustomerID)
		b, _ := db.GetCustomer(ctx, d.OtherID)
		form := url.Values{"a": {a.ID}, "b": {b.ID}, "survivor": {b.ID}, "reason": {"電話で本人確認済み"}}
		// Keep the merged customer's name where they differ.
		form.Set("choice_"+customer.FieldName, a.ID)
		res := sup.post("/merge", form)
		if res.Code != http.StatusSeeOther {
			t.Fatalf("merge: %d %.300s", res.Code, res.Body)
		}
		m := mergeIDRE.FindStringSubmatch(res.Header.Get("Location"))
		if m == nil || !strings.HasPrefix(res.Header.Get("Location"), "/customers/"+b.ID) {
			t.Fatalf("merge redirected to %q", res.Header.Get("Location"))
		}
		after, _ := db.GetCustomer(ctx, b.ID)
		if a.Profile.FamilyName == "" || shownName(a) == shownName(b) {
			t.Fatalf("no pair with two different names among %d possible duplicates", len(dups))
		}
		if !strings.Contains(cmp.Body, `class="differs"`) {
			t.Error("the compare page highlights no difference")
		}
		if !strings.Contains(cmp.Body, `name="choice_name"`) {
			t.Errorf("the compare page offers no choice of name for %q/%q vs %q/%q", a.Profile.FamilyName, a.Profile.GivenName, b.Profile.FamilyName, b.Profile.GivenName)
		}
		if after.Profile.FamilyName != a.Profile.FamilyName || after.Profile.GivenName != a.Profile.GivenName {
			t.Errorf("chosen name %s %s not kept: %s %s", a.Profile.FamilyName, a.Profile.GivenName, after.Profile.FamilyName, after.Profile.GivenName)
		}
		gone, _ := db.GetCustomer(ctx, a.ID)
		if gone.Status != customer.StatusMerged {
			t.Errorf("merged customer is %s", gone.Status)
		}
		// The merged ID leads to the survivor.
		if p := sup.get("/customers/" + a.ID); p.Code != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/customers/"+b.ID) {
			t.Errorf("merged ID: %d %q", p.Code, p.Header.Get("Location"))
		}
		page := sup.get("/customers/" + b.ID)
		if !strings.Contains(page.Body, "/merges/"+m[1]+"/unmerge") {
			t.Fatal("no unmerge button on the survivor")
		}
		if p := sup.post("/merges/"+m[1]+"/unmerge", nil); p.Code != http.StatusSeeOther {
			t.Fatalf("unmerge: %d %.300s", p.Code, p.Body)
		}
		for _, id := range []string{a.ID, b.ID} {
			c, _ := db.GetCustomer(ctx, id)
			if c.Status != customer.StatusActive {
				t.Errorf("%s is %s after unmerge", id, c.Status)
			}
		}
		// A second unmerge is a conflict with a message, not a crash.
		if p := sup.post("/merges/"+m[1]+"/unmerge", nil); p.Code != http.StatusConflict {
			t.Errorf("second unmerge: %d", p.Code)
		}
		// Dismissing keeps two customers apart.
		other := dups[0]
		if other.ID == d.ID {
			other = dups[1]
		}
		if p := sup.post("/duplicates/"+other.ID+"/dismiss", url.Values{"back": {"/duplicates"}}); p.Code != http.StatusSeeOther {
			t.Errorf("dismiss: %d %.200s", p.Code, p.Body)
		}
		if x, _ := db.DuplicatesOf(ctx, other.CustomerID); !slices.ContainsFunc(x, func(y customer.Duplicate) bool { return y.ID == other.ID && y.Status == customer.DuplicateDismissed }) {
			t.Error("dismissed duplicate not marked")
		}
	})
}

func TestErasureAndDisclosure(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 20)
	ctx := context.Background()
	c, _ := s.someCustomer(t)
	adm := s.client(t)
	adm.session("admin")
	if p := adm.post("/customers/"+c.ID+"/disclosure", nil); p.Code != http.StatusUnprocessableEntity {
		t.Errorf("disclosure without a reason: %d", p.Code)
	}
	p := adm.post("/customers/"+c.ID+"/disclosure", url.Values{"reason": {"本人からの開示請求 #123"}})
	if p.Code != 200 || !strings.Contains(p.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("disclosure: %d", p.Code)
	}
	var doc struct {
		Customer customer.Customer `json:"customer"`
	}
	if err := json.Unmarshal([]byte(p.Body), &doc); err != nil || doc.Customer.ID != c.ID {
		t.Fatalf("disclosure document: %v", err)
	}
	if p := adm.post("/customers/"+c.ID+"/erasure", url.Values{"reason": {"削除請求"}, "confirm": {"wrong"}}); p.Code != http.StatusUnprocessableEntity {
		t.Errorf("erasure with a wrong confirmation: %d", p.Code)
	}
	if p := adm.post("/customers/"+c.ID+"/erasure", url.Values{"reason": {"削除請求"}, "confirm": {c.ID}}); p.Code != http.StatusSeeOther {
		t.Fatalf("erasure: %d %.300s", p.Code, p.Body)
	}
	e, _ := s.db.GetCustomer(ctx, c.ID)
	if e.Status != customer.StatusErased || e.Profile.FamilyName != "" {
		t.Errorf("after erasure: %s %q", e.Status, e.Profile.FamilyName)
	}
	if p := adm.get("/customers/" + c.ID); !strings.Contains(p.Body, "削除されました") {
		t.Error("erased customer page does not say so")
	}
	actions := actionsOf(t, s.db, audit.Filter{CustomerID: c.ID})
	for _, want := range []string{"customer.disclose", "customer.erase"} {
		if !slices.Contains(actions, want) {
			t.Errorf("trail lacks %s: %v", want, actions)
		}
	}
}

func TestOrderTimelineOnThe360View(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 60)
	ctx := context.Background()
	latest, err := s.orders.List(ctx, commerce.OrderQuery{Limit: 1})
	if err != nil || len(latest) != 1 || latest[0].CustomerID == "" {
		t.Fatalf("the demo has no attached order: %v %+v", err, latest)
	}
	o := latest[0]
	all, err := s.orders.List(ctx, commerce.OrderQuery{CustomerID: o.CustomerID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	cl := s.client(t)
	cl.session("marketer")
	p := cl.get("/customers/" + o.CustomerID)
	if p.Code != http.StatusOK {
		t.Fatalf("customer page: %d", p.Code)
	}
	for _, want := range []string{`id="orders"`, "購入履歴（全チャネル）", o.ExternalID, commerce.Yen(o.Total).String(), fmt.Sprintf("%d件のご注文", len(all))} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the order timeline lacks %q", want)
		}
	}
	// The auditor may not see orders.
	cl = s.client(t)
	cl.session("auditor")
	if p := cl.get("/customers/" + o.CustomerID); p.Code != http.StatusOK || strings.Contains(p.Body, `id="orders"`) {
		t.Errorf("the auditor's page (%d) shows the order timeline", p.Code)
	}
}

func TestRecentEventsOnThe360View(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 60)
	ctx := context.Background()
	var who string
	for cursor := ""; who == ""; {
		q := event.Query{Types: []event.Type{event.Search}, Limit: 100, After: cursor}
		page, err := s.events.List(ctx, q)
		if err != nil || len(page) == 0 {
			t.Fatalf("no demo search tied to a customer: %v", err)
		}
		for _, e := range page {
			if e.CustomerID != "" {
				who = e.CustomerID
				break
			}
		}
		cursor = q.Cursor(&page[len(page)-1])
	}
	mine, err := s.events.List(ctx, event.Query{CustomerIDs: []string{who}, Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	cl := s.client(t)
	cl.session("staff")
	p := cl.get("/customers/" + who)
	want := []string{`id="events"`, "最近の行動", "を検索"}
	for _, e := range mine {
		want = append(want, map[event.Type]string{event.Search: "検索", event.ProductView: "商品閲覧", event.Identify: "ログイン", event.PageView: "ページ閲覧",
			event.AddToCart: "カート追加", event.AppOpen: "アプリ起動", event.Purchase: "購入", event.CheckoutStarted: "購入手続き開始", event.StoreVisit: "来店"}[e.Type])
		if sku, ok := e.Properties["sku"].(string); ok {
			want = append(want, sku)
		}
	}
	for _, w := range want {
		if !strings.Contains(p.Body, w) {
			t.Errorf("the recent events panel lacks %q", w)
		}
	}
	cl = s.client(t)
	cl.session("auditor")
	if p := cl.get("/customers/" + who); strings.Contains(p.Body, `id="events"`) {
		t.Error("the auditor sees behaviour events")
	}
}

func TestPointsOnThe360View(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 60)
	ctx := context.Background()
	holders, err := s.points.ExpiringWithin(ctx, 366, "", 1)
	if err != nil || len(holders) != 1 {
		t.Fatalf("no demo customer holds points: %v %+v", err, holders)
	}
	id := holders[0].CustomerID
	before, err := s.points.Balance(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	cl := s.client(t)
	cl.session("staff")
	p := cl.get("/customers/" + id)
	for _, want := range []string{`id="points"`, "利用可能", "ポイント明細", `action="/customers/` + id + `/points/adjust"`, "1回の上限 500 ポイント"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the points panel lacks %q", want)
		}
	}
	key := regexp.MustCompile(`name="key" value="(adj_[a-z0-9]+)"`).FindStringSubmatch(p.Body)
	if key == nil {
		t.Fatal("the adjustment form has no one-time key")
	}
	form := url.Values{"points": {"100"}, "reason": {"お詫び（問合せ 1124-01）"}, "key": {key[1]}}
	for range 2 { // a double-clicked submit adjusts once
		if r := cl.post("/customers/"+id+"/points/adjust", form); r.Code != http.StatusSeeOther {
			t.Fatalf("adjust: %d %.300s", r.Code, r.Body)
		}
	}
	after, err := s.points.Balance(ctx, id)
	if err != nil || after.Available != before.Available+100 {
		t.Fatalf("available %d → %d (%v), want +100 once", before.Available, after.Available, err)
	}
	if r := cl.post("/customers/"+id+"/points/adjust", url.Values{"points": {"600"}, "reason": {"x"}}); r.Code != http.StatusForbidden {
		t.Errorf("an adjustment over the staff limit answered %d", r.Code)
	}
	csvPage := cl.get("/customers/" + id + "/points.csv")
	if !strings.HasPrefix(csvPage.Body, "\uFEFFseq,at,kind,points,balance_after,order_id,hold_id,reason,actor_id,available_at,expires_at,debt_moved\n") || !strings.Contains(csvPage.Body, "お詫び（問合せ 1124-01）") {
		t.Errorf("statement CSV: %.300s", csvPage.Body)
	}
	// A marketer sees the points but may not adjust; the auditor sees none.
	cl = s.client(t)
	cl.session("marketer")
	if p := cl.get("/customers/" + id); !strings.Contains(p.Body, `id="points"`) || strings.Contains(p.Body, "/points/adjust") {
		t.Error("the marketer's page: points panel missing or an adjustment form shown")
	}
	cl = s.client(t)
	cl.session("auditor")
	if p := cl.get("/customers/" + id); strings.Contains(p.Body, `id="points"`) {
		t.Error("the auditor sees points")
	}
}

// With the Japan Post dictionary loaded, a postal code typed in the search
// box shows its address, and an address typed finds its postal code and
// the customers who have it.
func TestSearchByPostalCodeAndAddress(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newSite(t, db, 30)
		c, _ := s.someCustomer(t)
		if len(c.Profile.Addresses) == 0 || c.Profile.Addresses[0].PostalCode == "" {
			t.Fatalf("demo customer %s has no postal code", c.ID)
		}
		a := c.Profile.Addresses[0]
		town := a.Street[:strings.IndexFunc(a.Street, func(r rune) bool { return r >= '0' && r <= '9' })]
		if err := db.ReplacePostalCodes(context.Background(), []postal.Entry{
			{Code: a.PostalCode, Prefecture: a.Prefecture, City: a.City, Town: town},
			{Code: "9999999", Prefecture: a.Prefecture, City: a.City}, // the rest of the city
		}); err != nil {
			t.Fatal(err)
		}
		cl := s.client(t)
		cl.session("staff")
		shown := a.PostalCode[:3] + "-" + a.PostalCode[3:]
		res := cl.get("/customers?q=" + url.QueryEscape("〒"+shown))
		if want := "〒" + shown + " の住所：" + a.Prefecture + a.City + town; !strings.Contains(res.Body, want) {
			t.Errorf("postal code search: no %q in %.2000s", want, res.Body)
		}
		res = cl.get("/customers?q=" + url.QueryEscape(a.Prefecture+a.City+town+"１－１"))
		if want := "この住所の郵便番号は 〒" + shown; !strings.Contains(res.Body, want) || !strings.Contains(res.Body, `href="/customers/`+c.ID+`"`) {
			t.Errorf("address search: no %q or no %s in %.3000s", want, c.ID, res.Body)
		}
		// A name is not read as an address.
		res = cl.get("/customers?q=" + url.QueryEscape(c.Profile.FamilyName))
		if strings.Contains(res.Body, "postal-hint") {
			t.Errorf("name search %q shows a postal hint", c.Profile.FamilyName)
		}
	})
}
