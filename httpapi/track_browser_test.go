package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/internal/browsertest"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// TestTrackingScriptInABrowser loads /t.js into a shop's page on another
// origin, in Chromium, and checks what reaches the database: the automatic
// page view, a tracked event, events queued while Kizuna is unreachable
// and sent when it is back, and nothing after the visitor says no.
func TestTrackingScriptInABrowser(t *testing.T) {
	// The script is what is tested here; the storage is tested on both
	// databases elsewhere.
	db := sqltest.Open(t, sqlstore.SQLite)
	{
		b := browsertest.New(t)
		events := event.NewService(db)
		h := newHarness(t, db, func(d *httpapi.Deps) { d.Events = events })
		_, key := h.apiKey(t, "web-tag", []string{auth.ScopeCollect})
		var down atomic.Bool
		kizuna := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() && r.URL.Path == "/api/v1/events/collect" {
				w.Header().Set("Access-Control-Allow-Origin", "*")
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return
			}
			h.srv.ServeHTTP(w, r)
		}))
		defer kizuna.Close()
		shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html><head><title>緑茶 | お茶の絆屋</title>
<script>window.kizuna=window.kizuna||function(){(kizuna.q=kizuna.q||[]).push(arguments)};</script>
<script src="%s/t.js" data-key="%s" data-channel="ec" async></script></head>
<body><script>kizuna('track', 'product_view', {sku: 'TEA-100', price: 1080});</script></body></html>`, kizuna.URL, key)
		}))
		defer shop.Close()

		stored := func(anon string, want int) []event.Event {
			t.Helper()
			deadline := time.Now().Add(15 * time.Second)
			for {
				l, err := events.List(context.Background(), event.Query{AnonymousID: anon, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if len(l) >= want || time.Now().After(deadline) {
					return l
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		b.Do(chromedp.Navigate(shop.URL + "/products/TEA-100"))
		anon := browsertest.Run(b, chromedp.Poll[string](`window.kizuna && window.__kizuna && kizuna('anonymousId')`, chromedp.WithPollingTimeout(10*time.Second)))
		got := stored(anon, 2)
		if len(got) != 2 {
			t.Fatalf("stored %+v, want a page view and a product view; queue %s; console %v", got,
				browsertest.Eval[string](b, `localStorage.getItem('kizuna_queue') || ''`), b.ConsoleErrors())
		}
		byType := map[event.Type]event.Event{}
		for _, e := range got {
			byType[e.Type] = e
		}
		pv, view := byType[event.PageView], byType[event.ProductView]
		if pv.Properties["title"] != "緑茶 | お茶の絆屋" || pv.Channel != "ec" || view.Properties["sku"] != "TEA-100" || view.SessionID == "" || view.SessionID != pv.SessionID {
			t.Fatalf("page view %+v, product view %+v", pv, view)
		}

		// Kizuna unreachable: the event waits in the page's storage, and
		// goes when Kizuna is back. (First the answers to the two above
		// empty the queue: on a busy machine they come a moment after the
		// events are stored.)
		if !browsertest.Run(b, chromedp.Poll[bool](`JSON.parse(localStorage.getItem('kizuna_queue') || '[]').length === 0`, chromedp.WithPollingTimeout(5*time.Second))) {
			t.Fatal("the queue kept the stored events")
		}
		down.Store(true)
		browsertest.Eval[any](b, `kizuna('track', 'add_to_cart', {sku: 'TEA-100', quantity: 2})`)
		queued := browsertest.Run(b, chromedp.Poll[int](`(() => { const q = JSON.parse(localStorage.getItem('kizuna_queue') || '[]'); return q.length > 0 && q.length })()`, chromedp.WithPollingTimeout(5*time.Second)))
		time.Sleep(500 * time.Millisecond) // the first attempt has failed by now
		if n := len(stored(anon, 0)); queued != 1 || n != 2 {
			t.Fatalf("while down: %d queued, %d stored", queued, n)
		}
		down.Store(false)
		browsertest.Eval[any](b, `kizuna('flush')`)
		if got := stored(anon, 3); len(got) != 3 || got[0].Type != event.AddToCart {
			t.Fatalf("after Kizuna came back: %+v", got)
		}
		// The answer empties the queue a moment after the server stored them.
		if !browsertest.Run(b, chromedp.Poll[bool](`JSON.parse(localStorage.getItem('kizuna_queue')).length === 0`, chromedp.WithPollingTimeout(5*time.Second))) {
			t.Fatalf("%d events still queued after they were stored", browsertest.Eval[int](b, `JSON.parse(localStorage.getItem('kizuna_queue')).length`))
		}

		// The visitor says no: nothing more is sent, from this page or the next.
		browsertest.Eval[any](b, `kizuna('consent', false)`)
		browsertest.Eval[any](b, `kizuna('track', 'search', {query: '抹茶'})`)
		b.Do(chromedp.Navigate(shop.URL + "/products/TEA-200"))
		browsertest.Run(b, chromedp.Poll[bool](`!!window.__kizuna`, chromedp.WithPollingTimeout(10*time.Second)))
		time.Sleep(time.Second)
		if got := stored(anon, 0); len(got) != 3 {
			t.Fatalf("after refusal %d events stored", len(got))
		}
		for _, e := range b.ConsoleErrors() {
			if !strings.Contains(e, "503") { // the failed sends while Kizuna was down
				t.Errorf("console error: %s", e)
			}
		}
	}
}
