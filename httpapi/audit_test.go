package httpapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// personal is the personal data the audit test sends, in every spelling
// that could end up stored (as sent and normalized).
var personal = []string{
	"山田", "花子", "ヤマダ", "ハナコ", "Yamada", "Hanako",
	"hanako.yamada", "example.jp", "yamada.h",
	"090-1111-2222", "9011112222",
	"150-0001", "1500001", "神宮前", "渋谷区神宮前",
	"778899", "1985-07-07", "華",
}

func isReadAction(a string) bool {
	return strings.HasSuffix(a, ".read") || a == "customer.list" || a == "customer.lookup"
}

func TestAuditTrail(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		key, admin := h.adminKey(t)
		ctx := context.Background()
		hdr := []string{"User-Agent", "pos-sync/2.1", "X-Kizuna-Terminal", "shibuya-till-3"}

		// write performs one write and checks what it added to the trail.
		write := func(want int, action, method, path string, body any) resp {
			t.Helper()
			head := auditHead(t, db)
			r := h.must(t, want, method, path, admin, body, hdr...)
			var found bool
			for _, e := range auditSince(t, db, head) {
				if isReadAction(e.Action) {
					continue
				}
				if e.Action == action {
					found = true
				}
				if e.ActorType != "apikey" || e.ActorID != key.ID || e.ActorName != key.Name {
					t.Errorf("%s %s: entry %d %s has actor %s/%s/%s, want apikey/%s/%s", method, path, e.Seq, e.Action, e.ActorType, e.ActorID, e.ActorName, key.ID, key.Name)
				}
				if e.IP != testIP || e.UserAgent != "pos-sync/2.1" || e.Terminal != "shibuya-till-3" {
					t.Errorf("%s %s: entry %d %s has ip %q ua %q terminal %q", method, path, e.Seq, e.Action, e.IP, e.UserAgent, e.Terminal)
				}
			}
			if !found {
				t.Errorf("%s %s: no %s entry written", method, path, action)
			}
			return r
		}

		profile := map[string]any{
			"family_name": "山田", "given_name": "花子", "family_name_kana": "ヤマダ", "given_name_kana": "ハナコ",
			"family_name_romaji": "Yamada", "given_name_romaji": "Hanako",
			"emails": []string{"hanako.yamada@example.jp"}, "phones": []string{"090-1111-2222"},
			"addresses":    []map[string]any{{"postal_code": "150-0001", "prefecture": "東京都", "city": "渋谷区", "street": "神宮前1-2-3"}},
			"member_cards": []string{"778899"}, "birth_date": "1985-07-07",
		}
		r := write(201, "source_profile.create", "POST", "/api/v1/customers", profile)
		var created struct {
			Customer customer.Customer `json:"customer"`
		}
		r.json(t, &created)
		a := created.Customer.ID

		h.must(t, http.StatusOK, "GET", "/api/v1/customers/"+a, admin, nil)
		write(200, "customer.update", "PATCH", "/api/v1/customers/"+a, map[string]any{"given_name": "華", "emails": []string{"yamada.h@example.jp", "hanako.yamada@example.jp"}})
		write(201, "source_profile.create", "POST", "/api/v1/source-profiles",
			map[string]any{"channel": "ec", "external_id": "ec-yamada", "profile": map[string]any{"family_name": "山田", "phones": []string{"090-1111-2222"}}})
		write(200, "source_profile.update", "POST", "/api/v1/source-profiles",
			map[string]any{"channel": "ec", "external_id": "ec-yamada", "profile": map[string]any{"family_name": "山田", "given_name": "花子", "phones": []string{"090-1111-2222"}}})
		r = write(200, "source_profile.create", "POST", "/api/v1/source-profiles/batch",
			`[{"channel":"store","external_id":"pos-yamada","profile":{"given_name":"花子","phones":["09011112222"]}}]`)
		var batch batchResponse
		r.json(t, &batch)
		b := batch.Results[0].CustomerID // a phone alone never joins: a new customer and a possible duplicate
		if b == "" || b == a {
			t.Fatalf("batch: %s", r.Body)
		}
		r = h.must(t, http.StatusOK, "GET", "/api/v1/duplicates", admin, nil)
		var dups struct {
			Items []customer.Duplicate `json:"items"`
		}
		r.json(t, &dups)
		if len(dups.Items) == 0 {
			t.Fatalf("no possible duplicates: %s", r.Body)
		}
		r = write(200, "customer.merge", "POST", "/api/v1/customers/"+a+"/merge", map[string]any{"merged_id": b, "reason": "ticket 881"})
		var m struct {
			Merge customer.Merge `json:"merge"`
		}
		r.json(t, &m)
		write(200, "customer.unmerge", "POST", "/api/v1/merges/"+m.Merge.ID+"/unmerge", nil)
		write(200, "duplicate.dismiss", "POST", "/api/v1/duplicates/"+dups.Items[0].ID+"/dismiss", map[string]any{"reason": "family members"})
		write(200, "channel.upsert", "PUT", "/api/v1/channels/rakuten", map[string]any{"name": "楽天市場", "kind": "marketplace", "priority": 50})
		write(200, "location.upsert", "PUT", "/api/v1/stores/SHIBUYA01", map[string]any{"name": "渋谷店", "channel": "store", "prefecture": "東京都", "address": "", "latitude": 0, "longitude": 0})
		write(200, "attribute.upsert", "PUT", "/api/v1/attributes/rank", map[string]any{"type": "string"})
		write(200, "survivorship.update", "PUT", "/api/v1/survivorship", customer.DefaultSurvivorship())
		write(200, "customer.disclose", "GET", "/api/v1/customers/"+a+"/disclosure", nil)
		write(200, "customer.erase", "POST", "/api/v1/customers/"+b+"/erasure", map[string]any{"reason": "request 2024-17"})

		// A refused write leaves no trace.
		head := auditHead(t, db)
		h.do(t, "POST", "/api/v1/source-profiles", admin, `{"channel":"ec","external_id":"x","profile":{"emails":["bad"]}}`)
		h.do(t, "PATCH", "/api/v1/customers/"+a, admin, `{"given_name":"x"}`, "If-Match", `"v0"`)
		for _, e := range auditSince(t, db, head) {
			if !isReadAction(e.Action) {
				t.Errorf("a refused write was audited: %+v", e)
			}
		}

		// Reads are audited through the batcher: flush it by closing the server.
		h.must(t, http.StatusOK, "GET", "/api/v1/customers/"+a, admin, nil, hdr...)
		h.must(t, http.StatusOK, "GET", "/api/v1/customers/lookup?email=yamada.h@example.jp", admin, nil, hdr...)
		h.must(t, http.StatusOK, "GET", "/api/v1/customers?limit=5", admin, nil, hdr...)
		h.srv.Close()
		reads, err := db.AuditEntries(ctx, audit.Filter{CustomerID: a, Action: "customer.read", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(reads) < 2 {
			t.Fatalf("%d customer.read entries for %s, want one per GET (2)", len(reads), a)
		}
		e := reads[0]
		if e.ActorType != "apikey" || e.ActorID != key.ID || e.IP != testIP || e.UserAgent != "pos-sync/2.1" || e.Terminal != "shibuya-till-3" || e.ObjectID != a {
			t.Errorf("read entry %+v", e)
		}
		for _, action := range []string{"customer.lookup", "customer.list"} {
			l, err := db.AuditEntries(ctx, audit.Filter{ActorID: key.ID, Action: action, Limit: 10})
			if err != nil || len(l) == 0 {
				t.Errorf("no %s entry (%v)", action, err)
			}
		}

		// Personal data never appears in the trail; the chain verifies.
		all, err := db.AuditEntries(ctx, audit.Filter{Limit: 100000})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range all {
			actions[e.Action]++
			j, _ := json.Marshal(e)
			for _, p := range personal {
				if strings.Contains(string(j), p) {
					t.Errorf("entry %d (%s) contains personal data %q: %s", e.Seq, e.Action, p, e.Detail)
				}
			}
		}
		if actions["customer.update"] == 0 {
			t.Errorf("no customer.update entries among %v", actions)
		}
		// The changes are recorded by field, values redacted.
		upd, _ := db.AuditEntries(ctx, audit.Filter{CustomerID: a, Action: "customer.update", Limit: 100})
		var sawRedacted bool
		for _, e := range upd {
			var d struct {
				Changes []audit.Change `json:"changes"`
			}
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatalf("detail of %d: %v", e.Seq, err)
			}
			for _, c := range d.Changes {
				if c.Field == "given_name" && c.After == audit.Redacted {
					sawRedacted = true
				}
			}
		}
		if !sawRedacted {
			t.Errorf("no customer.update entry records given_name as changed and redacted")
		}
		n, p, err := db.VerifyAudit(ctx)
		if err != nil || p != nil || n != int64(len(all)) {
			t.Errorf("VerifyAudit: %d entries of %d, problem %v, err %v", n, len(all), p, err)
		}
		if !slices.ContainsFunc(all, func(e audit.Entry) bool { return e.Action == "customer.erase" && e.CustomerID == b }) {
			t.Error("the erasure is not in the trail")
		}
	})
}

// TestAuditClientIP: X-Forwarded-For is believed only behind a trusted proxy.
func TestAuditClientIP(t *testing.T) {
	db := sqltest.Open(t, sqlstore.SQLite)
	for _, trust := range []bool{false, true} {
		h := newHarness(t, db, func(d *httpapi.Deps) { d.TrustProxy = trust })
		key, secret := h.adminKey(t)
		h.must(t, http.StatusCreated, "POST", "/api/v1/customers", secret, `{"tags":["vip"]}`, "X-Forwarded-For", "203.0.113.7, 10.0.0.1")
		l, err := db.AuditEntries(context.Background(), audit.Filter{ActorID: key.ID, Limit: 10})
		if err != nil || len(l) == 0 {
			t.Fatalf("no entries (%v)", err)
		}
		want := testIP
		if trust {
			want = "203.0.113.7"
		}
		if l[0].IP != want {
			t.Errorf("TrustProxy=%v: IP %q, want %q", trust, l[0].IP, want)
		}
	}
}

// TestAuditVerifyEndpoint: the API reports a broken chain with the entry.
func TestAuditVerifyEndpoint(t *testing.T) {
	dsn := sqltest.DSN(t, sqlstore.SQLite)
	db, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, db)
	_, raw := fetchSpec(t, h)
	v := newSpecValidator(t, raw)
	_, admin := h.adminKey(t)
	for i := range 3 {
		h.must(t, http.StatusCreated, "POST", "/api/v1/customers", admin, map[string]any{"tags": []string{fmt.Sprint("t", i)}})
	}
	type verification struct {
		OK      bool  `json:"ok"`
		Entries int64 `json:"entries_checked"`
		Problem *struct {
			Seq    int64  `json:"seq"`
			Reason string `json:"reason"`
		} `json:"problem"`
	}
	r := h.must(t, http.StatusOK, "GET", "/api/v1/audit/verify", admin, nil)
	var got verification
	r.json(t, &got)
	if !got.OK || got.Entries < 3 || got.Problem != nil {
		t.Fatalf("intact chain: %s", r.Body)
	}
	plain, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Exec(`UPDATE audit_log SET detail = '{}' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	r = h.must(t, http.StatusOK, "GET", "/api/v1/audit/verify", admin, nil)
	if err := v.check("GET", "/api/v1/audit/verify", r); err != nil {
		t.Error(err)
	}
	got = verification{}
	r.json(t, &got)
	if got.OK || got.Problem == nil || got.Problem.Seq != 2 || got.Problem.Reason == "" {
		t.Errorf("tampered chain: %s", r.Body)
	}
}
