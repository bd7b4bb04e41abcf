package event_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

var now = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

func people(t *testing.T, ids *identity.Service, records ...[3]string) []string {
	t.Helper()
	var in []customer.SourceProfileInput
	for _, r := range records {
		in = append(in, customer.SourceProfileInput{Channel: r[0], ExternalID: r[1], Profile: json.RawMessage(r[2])})
	}
	res, err := ids.Ingest(context.Background(), kizuna.System("test"), nil, in)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(res))
	for i, r := range res {
		if r.Status == identity.ResultRejected {
			t.Fatalf("record %d rejected: %+v", i, r.Error)
		}
		out[i] = r.CustomerID
	}
	return out
}

func newService(db *sqlstore.DB) *event.Service {
	s := event.NewService(db)
	s.SetClock(func() time.Time { return now })
	return s
}

func ingest(t *testing.T, s *event.Service, src event.Source, evs ...event.Event) *event.IngestResult {
	t.Helper()
	res, err := s.Ingest(context.Background(), src, evs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func view(id, anon, sku string, at time.Time) event.Event {
	return event.Event{ID: id, Type: event.ProductView, At: at, Channel: "ec", AnonymousID: anon, Properties: map[string]any{"sku": sku}}
}

func list(t *testing.T, s *event.Service, q event.Query) []event.Event {
	t.Helper()
	l, err := s.List(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func ids(l []event.Event) string {
	var s []string
	for _, e := range l {
		s = append(s, e.ID)
	}
	return strings.Join(s, ",")
}

func TestBadEventsAreRejectedAndTheOthersKept(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newService(db)
		who := people(t, identity.New(db, db), [3]string{"ec", "E-1", `{"family_name":"佐藤","emails":["hanako@example.jp"]}`})[0]
		batch := []event.Event{
			view("ok-1", "anon-1", "TEA-100", now.Add(-time.Hour)),
			{ID: "bad-type", Type: "teleport", AnonymousID: "anon-1"},
			{ID: "bad-sku", Type: event.ProductView, AnonymousID: "anon-1", Properties: map[string]any{"sku": 42.0}},
			{ID: "no-sku", Type: event.AddToCart, AnonymousID: "anon-1", Properties: map[string]any{"quantity": 1.0}},
			{ID: "bad-qty", Type: event.AddToCart, AnonymousID: "anon-1", Properties: map[string]any{"sku": "TEA-100", "quantity": 1.5}},
			{ID: "", Type: event.AppOpen, AnonymousID: "anon-1"},
			{ID: "nobody", Type: event.AppOpen},
			{ID: "future", Type: event.AppOpen, AnonymousID: "anon-1", At: now.Add(time.Hour)},
			{ID: "bad-channel", Type: event.AppOpen, AnonymousID: "anon-1", Channel: "teleshop"},
			{ID: "bad-store", Type: event.StoreVisit, CustomerID: who, Properties: map[string]any{"store": "atlantis", "method": "beacon"}},
			{ID: "bad-method", Type: event.StoreVisit, CustomerID: who, Properties: map[string]any{"store": "shibuya", "method": "telepathy"}},
			{ID: "bad-customer", Type: event.AppOpen, CustomerID: "cus_nobody"},
			{ID: "ok-2", Type: event.Search, CustomerID: who, Properties: map[string]any{"query": "緑茶", "results": 12.0, "page_type": "sp"}},
		}
		res := ingest(t, s, event.FromServer, batch...)
		want := map[int]string{1: "type", 2: "properties.sku", 3: "properties.sku", 4: "properties.quantity", 5: "id", 6: "anonymous_id", 7: "at",
			8: "channel", 9: "properties.store", 10: "properties.method", 11: "customer_id"}
		if res.Stored != 2 || len(res.Rejected) != len(want) {
			t.Fatalf("stored %d, rejected %+v", res.Stored, res.Rejected)
		}
		for _, r := range res.Rejected {
			if want[r.Index] != r.Field || r.Reason == "" {
				t.Errorf("event %d rejected on %q (%s), want field %q", r.Index, r.Field, r.Reason, want[r.Index])
			}
		}
		got := list(t, s, event.Query{CustomerIDs: []string{who}})
		if ids(got) != "ok-2" || got[0].Properties["page_type"] != "sp" || !got[0].At.Equal(now) || !got[0].ReceivedAt.Equal(now) {
			t.Fatalf("customer's events %+v", got)
		}
	})
}

func TestRetriedEventsNeverDouble(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newService(db)
		batch := func() []event.Event {
			var b []event.Event
			for i := range 300 {
				b = append(b, view(fmt.Sprintf("ev-%03d", i), fmt.Sprintf("anon-%d", i%7), "TEA-100", now.Add(-time.Duration(i)*time.Second)))
			}
			return b
		}
		// Four senders retry the same batch at once, and one sends an event
		// twice in its batch.
		var wg sync.WaitGroup
		results := make([]*event.IngestResult, 4)
		errs := make([]error, 4)
		for i := range 4 {
			wg.Go(func() {
				b := batch()
				if i == 0 {
					b = append(b, b[5])
				}
				results[i], errs[i] = s.Ingest(context.Background(), event.FromBrowser, b)
			})
		}
		wg.Wait()
		stored, dups := 0, 0
		for i, r := range results {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			stored += r.Stored
			dups += r.Duplicates
		}
		if stored != 300 || dups != 4*300-300+1 {
			t.Fatalf("stored %d, duplicates %d", stored, dups)
		}
		all := list(t, s, event.Query{Limit: 1000})
		if len(all) != 300 {
			t.Fatalf("%d events stored", len(all))
		}
		// Newest first, a page at a time.
		page := list(t, s, event.Query{AnonymousID: "anon-3", Limit: 10})
		more := list(t, s, event.Query{AnonymousID: "anon-3", Limit: 100, After: (&event.Query{AnonymousID: "anon-3"}).Cursor(&page[9])})
		if len(page)+len(more) != 43 || page[0].ID != "ev-003" || more[0].ID != "ev-073" {
			t.Fatalf("pages %s | %s", ids(page), ids(more))
		}
		// Every event as it arrived, latest first, a page at a time: an
		// app's event queued offline for two days arrives last and leads
		// the feed, while its device's own listing puts it in its place.
		late := view("ev-late", "anon-3", "TEA-100", now.Add(-48*time.Hour))
		if r := ingest(t, s, event.FromServer, late); r.Stored != 1 {
			t.Fatalf("late event: %+v", r)
		}
		feed := event.Query{Limit: 120}
		first := list(t, s, feed)
		feed.After, feed.Limit = feed.Cursor(&first[len(first)-1]), 1000
		rest := list(t, s, feed)
		if len(first) != 120 || len(rest) != 181 || first[0].ID != "ev-late" {
			t.Fatalf("feed: %d + %d events, first %s", len(first), len(rest), first[0].ID)
		}
		feedAll := append(first, rest...)
		for i := 1; i < len(feedAll); i++ {
			if feedAll[i].Seq >= feedAll[i-1].Seq {
				t.Fatalf("feed: %s (seq %d) after seq %d", feedAll[i].ID, feedAll[i].Seq, feedAll[i-1].Seq)
			}
		}
		if dev := list(t, s, event.Query{AnonymousID: "anon-3", Limit: 100}); dev[len(dev)-1].ID != "ev-late" {
			t.Fatalf("device listing ends with %s, want the late event", dev[len(dev)-1].ID)
		}
		if _, err := s.List(context.Background(), event.Query{After: page[9].At.String()}); kizuna.ErrorCode(err) != kizuna.EINVALID {
			t.Fatalf("a time cursor for the feed: %v", err)
		}
		// IDs are the sender's, unique per device: another browser that
		// happens to use ev-000 sends a new event, and so does a server
		// naming a customer; each of them sent again is a duplicate.
		c := people(t, identity.New(db, db), [3]string{"ec", "M1", `{"family_name":"佐藤","emails":["sato@example.jp"]}`})[0]
		other := view("ev-000", "anon-other", "TEA-100", now)
		server := event.Event{ID: "ev-000", Type: event.AppOpen, At: now, Channel: "app", CustomerID: c}
		for round, want := range []int{2, 0} {
			r := ingest(t, s, event.FromServer, other, server, batch()[0])
			if r.Stored != want || r.Duplicates != 3-want {
				t.Fatalf("round %d: stored %d, duplicates %d; want %d stored", round, r.Stored, r.Duplicates, want)
			}
		}
	})
}

func TestSignInStitchesEarlierAnonymousEvents(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newService(db)
		idn := identity.New(db, db)
		cs := people(t, idn,
			[3]string{"ec", "E-1", `{"family_name":"佐藤","emails":["hanako@example.jp"],"member_cards":["2100-0000-0001"]}`},
			[3]string{"ec", "E-2", `{"family_name":"鈴木","emails":["ichiro@example.jp"]}`})
		hanako, ichiro := cs[0], cs[1]
		// A browser's visits before sign-in, sent by the tracking script.
		if r := ingest(t, s, event.FromBrowser,
			view("b-1", "browser-1", "TEA-100", now.Add(-3*time.Hour)),
			view("b-2", "browser-1", "CUP-1", now.Add(-2*time.Hour)),
			view("b-3", "browser-2", "CUP-1", now.Add(-2*time.Hour))); r.Stored != 3 {
			t.Fatalf("%+v", r)
		}
		// The script may not say who the visitor is.
		r := ingest(t, s, event.FromBrowser, event.Event{ID: "spoof", Type: event.Identify, AnonymousID: "browser-2", CustomerID: hanako})
		if r.Stored != 0 || len(r.Rejected) != 1 || r.Rejected[0].Field != "customer_id" {
			t.Fatalf("browser identify: %+v", r)
		}
		// The site's server identifies the visitor by email after sign-in.
		r = ingest(t, s, event.FromServer, event.Event{ID: "login-1", Type: event.Identify, Channel: "ec", AnonymousID: "browser-1",
			Identity: &commerce.OrderCustomer{Email: " Hanako@Example.JP "}, At: now.Add(-time.Hour)})
		if r.Stored != 1 || r.Stitched != 2 {
			t.Fatalf("identify: %+v", r)
		}
		// Later anonymous events of that browser are hers as they arrive.
		ingest(t, s, event.FromBrowser, view("b-4", "browser-1", "TEA-200", now.Add(-30*time.Minute)))
		if got := ids(list(t, s, event.Query{CustomerIDs: []string{hanako}})); got != "b-4,login-1,b-2,b-1" {
			t.Fatalf("hanako's events %s", got)
		}
		if got := ids(list(t, s, event.Query{CustomerIDs: []string{hanako}, Types: []event.Type{event.Identify}})); got != "login-1" {
			t.Fatalf("by type %s", got)
		}
		// An identity naming nobody, or someone else than customer_id, is refused.
		r = ingest(t, s, event.FromServer,
			event.Event{ID: "login-x", Type: event.Identify, AnonymousID: "browser-2", Identity: &commerce.OrderCustomer{Email: "stranger@example.jp"}},
			event.Event{ID: "login-y", Type: event.Identify, AnonymousID: "browser-2", CustomerID: ichiro, Identity: &commerce.OrderCustomer{MemberCard: "2100 0000 0001"}})
		if r.Stored != 0 || len(r.Rejected) != 2 || r.Rejected[0].Field != "identity" || r.Rejected[1].Field != "identity" {
			t.Fatalf("bad identities: %+v", r)
		}
		// A merge: Ichiro's events show under Hanako, and again under
		// Ichiro after the unmerge.
		ingest(t, s, event.FromServer, event.Event{ID: "app-1", Type: event.AppOpen, CustomerID: ichiro, Channel: "app", At: now.Add(-10 * time.Minute)})
		m, err := idn.Merge(context.Background(), kizuna.System("test"), hanako, ichiro, "same person")
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(list(t, s, event.Query{CustomerIDs: []string{hanako}})); got != "app-1,b-4,login-1,b-2,b-1" {
			t.Fatalf("after merge %s", got)
		}
		// An event sent for the merged ID goes to the survivor.
		ingest(t, s, event.FromServer, event.Event{ID: "app-2", Type: event.AppOpen, CustomerID: ichiro, Channel: "app", At: now.Add(-5 * time.Minute)})
		if got := list(t, s, event.Query{Limit: 1}); got[0].CustomerID != hanako {
			t.Fatalf("event for a merged customer stored under %s", got[0].CustomerID)
		}
		if _, err := idn.Unmerge(context.Background(), kizuna.System("test"), m.ID); err != nil {
			t.Fatal(err)
		}
		if got := ids(list(t, s, event.Query{CustomerIDs: []string{ichiro}})); got != "app-1" {
			t.Fatalf("after unmerge %s", got)
		}
		// Erasure deletes her events, anonymous ones of her browser included.
		ingest(t, s, event.FromBrowser, view("b-5", "browser-1", "TEA-300", now))
		if err := idn.Erase(context.Background(), kizuna.System("test"), hanako, "request"); err != nil {
			t.Fatal(err)
		}
		if got := ids(list(t, s, event.Query{Limit: 100})); got != "app-1,b-3" {
			t.Fatalf("after erasure %s", got)
		}
	})
}

func TestConsentKeepsBehaviourAnonymous(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		s := newService(db)
		s.RequireConsent = true
		cs := people(t, identity.New(db, db),
			[3]string{"ec", "E-1", `{"family_name":"佐藤","emails":["yes@example.jp"],"consents":[{"purpose":"tracking","channel":"web","granted":true}]}`},
			[3]string{"ec", "E-2", `{"family_name":"鈴木","emails":["no@example.jp"],"consents":[{"purpose":"tracking","channel":"web","granted":false}]}`},
			[3]string{"ec", "E-3", `{"family_name":"高橋","emails":["unasked@example.jp"]}`})
		yes, no, unasked := cs[0], cs[1], cs[2]
		ingest(t, s, event.FromBrowser, view("y-1", "dev-yes", "A", now.Add(-time.Hour)), view("n-1", "dev-no", "A", now.Add(-time.Hour)))
		r := ingest(t, s, event.FromServer,
			event.Event{ID: "login-yes", Type: event.Identify, AnonymousID: "dev-yes", CustomerID: yes},
			event.Event{ID: "login-no", Type: event.Identify, AnonymousID: "dev-no", CustomerID: no},
			event.Event{ID: "app-unasked", Type: event.AppOpen, CustomerID: unasked})
		if r.Stored != 1 || r.Dropped != 2 || r.Stitched != 1 {
			t.Fatalf("%+v", r)
		}
		if got := ids(list(t, s, event.Query{CustomerIDs: []string{yes}})); got != "login-yes,y-1" {
			t.Fatalf("consenting customer's events %s", got)
		}
		for _, c := range []string{no, unasked} {
			if got := list(t, s, event.Query{CustomerIDs: []string{c}}); len(got) != 0 {
				t.Fatalf("events of %s without consent: %s", c, ids(got))
			}
		}
		// The refusing customer's device stays anonymous.
		ingest(t, s, event.FromBrowser, view("n-2", "dev-no", "B", now))
		if got := list(t, s, event.Query{AnonymousID: "dev-no"}); ids(got) != "n-2,n-1" || got[0].CustomerID != "" {
			t.Fatalf("refusing device %+v", got)
		}
	})
}
