package console_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/i18n"
	"github.com/kizuna-oss/kizuna/loyalty"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// The points page shows the program and who has points about to expire;
// an administrator changes the rules there, a marketer cannot, and the
// expiring list downloads for a campaign.
func TestPointsPage(t *testing.T) {
	s := newSite(t, sqltest.Open(t, sqlstore.SQLite), 40)
	ctx := context.Background()
	// A day before the demo's first points expire, and the customers
	// whose points expire within 30 days of it.
	next, err := s.points.ExpiringWithin(ctx, 366, "", 1000)
	if err != nil || len(next) == 0 {
		t.Fatalf("the demo has no points that expire: %v", err)
	}
	cl := s.client(t)
	cl.session("marketer")
	page := cl.get("/points?days=366")
	if page.Code != http.StatusOK {
		t.Fatalf("points page: %d", page.Code)
	}
	for _, want := range []string{"ポイントプログラム", "付与率（100円あたり）", "1ポイント", "次回以降の付与ポイントから差し引く", `id="expiring"`, "/customers/" + next[0].CustomerID + "#points", "CSVでダウンロード"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the points page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, `action="/points/program"`) {
		t.Error("a marketer is offered the program form")
	}
	if r := cl.post("/points/program", url.Values{"rate": {"5"}}); r.Code != http.StatusForbidden {
		t.Errorf("a marketer changed the program: %d", r.Code)
	}
	csv := cl.get("/points/expiring.csv?days=366")
	if csv.Code != http.StatusOK || !strings.HasPrefix(csv.Body, "\uFEFFcustomer_id,") || strings.Count(csv.Body, "\n") != len(next)+1 {
		t.Errorf("expiring CSV (%d): %d lines for %d customers", csv.Code, strings.Count(csv.Body, "\n"), len(next))
	}
	sum := sha256.Sum256([]byte(csv.Body))
	entries, err := s.db.AuditEntries(ctx, audit.Filter{Action: "points.expiring.export"})
	if err != nil || len(entries) != 1 || !strings.Contains(string(entries[0].Detail), hex.EncodeToString(sum[:])) {
		t.Errorf("the download's audit entry does not keep the file's hash: %+v %v", entries, err)
	}
	if r := cl.get("/points?days=0"); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("days=0: %d", r.Code)
	}

	admin := s.client(t)
	admin.session("admin")
	form := url.Values{"rate": {"2"}, "rounding": {"down"}, "pending_days": {"7"}, "pending_from": {"order"}, "validity_months": {"24"},
		"hold_minutes": {"15"}, "debt_policy": {"balance"}, "points_refund": {"points_first"}, "extend_on_activity": {"on"}}
	if r := admin.post("/points/program", form); r.Code != http.StatusSeeOther {
		t.Fatalf("save the program: %d %.500s", r.Code, r.Body)
	}
	p, err := loyalty.New(s.db).Program(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Rate != 2 || p.PendingDays != 7 || p.ValidityMonths != 24 || !p.ExtendOnActivity || p.DebtPolicy != loyalty.DebtFromBalance || p.PointsRefund != loyalty.RefundPointsFirst || len(p.Ranks) == 0 {
		t.Errorf("stored program: %+v (the demo's ranks must stay)", p)
	}
	after := admin.get("/points?saved=1")
	for _, want := range []string{"ポイントプログラムを変更しました", "これまでのルール", "保有ポイントから差し引き"} {
		if !strings.Contains(after.Body, want) {
			t.Errorf("after saving, the page lacks %q", want)
		}
	}
	form.Set("validity_months", "0")
	if r := admin.post("/points/program", form); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "validity_months") {
		t.Errorf("a bad validity: %d", r.Code)
	}
	form.Set("validity_months", "12")
	form.Set("rate", "NaN")
	if r := admin.post("/points/program", form); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "rate") {
		t.Errorf("a rate of NaN: %d", r.Code)
	}
	form.Set("rate", "たくさん")
	if r := admin.post("/points/program", form); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "数値を入力") {
		t.Errorf("a rate that is no number: %d", r.Code)
	}
}

// Every message a template names literally is in the catalog: a missing
// one shows its key to staff.
func TestTemplatesUseKnownMessages(t *testing.T) {
	key := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	n := 0
	err := filepath.WalkDir("templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			n++
			for _, loc := range []i18n.Locale{i18n.Ja, i18n.En} {
				if i18n.T(loc, m[1]) == m[1] {
					t.Errorf("%s: message %q has no %s text", path, m[1], loc)
				}
			}
		}
		return nil
	})
	if err != nil || n < 100 {
		t.Fatalf("read %d message keys: %v", n, err)
	}
}
