package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/japanese"

	"github.com/kizuna-oss/kizuna/httpapi"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/importjob"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// An import job: upload a Shift_JIS file, see the mapping and samples,
// start it, follow it to the end, download the rejected rows; a second
// upload of the same file changes nothing.
func TestImportJob(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ids := identity.New(db, db)
		m := importjob.NewManager(db, ids, slog.New(slog.DiscardHandler))
		m.Start()
		t.Cleanup(m.Close)
		h := newHarness(t, db, func(d *httpapi.Deps) { d.Identity, d.Imports, d.ImportJobs = ids, m, db })
		_, admin := h.adminKey(t)
		body := "会員番号,氏名,フリガナ,電話番号,生年月日\r\n" +
			"M1,山田 花子,ヤマダ ハナコ,090-1111-2222,1970-03-01\r\n" +
			"M2,佐藤 一郎,サトウ イチロウ,03-1111-2222,1980/02/30\r\n" +
			"M3,鈴木 美咲,スズキ ミサキ,,昭和60年5月5日\r\n"
		sjis, err := japanese.ShiftJIS.NewEncoder().String(body)
		if err != nil {
			t.Fatal(err)
		}
		upload := func() importjob.Job {
			t.Helper()
			r := h.must(t, 201, "POST", "/api/v1/imports?channel=store&file_name=members.csv", admin, []byte(sjis), "Content-Type", "text/csv")
			var j importjob.Job
			r.json(t, &j)
			return j
		}
		j := upload()
		if j.Status != importjob.StatusPreview || j.Plan == nil || j.Plan.Encoding != "cp932" || j.Progress.Rows != 3 || j.Progress.Rejected != 1 {
			t.Fatalf("preview: %+v %+v", j, j.Plan)
		}
		if strings.Join(j.Plan.Fields, ",") != "member_card,full_name,full_name_kana,phone,birth_date" || len(j.Plan.Samples) != 3 {
			t.Errorf("mapping %v, samples %+v", j.Plan.Fields, j.Plan.Samples)
		}
		// The preview tried the rows on One ID (rolled back), which
		// refused the one with 2月30日.
		if j.Plan.Predicted != 3 || j.Progress.Created != 2 {
			t.Errorf("prediction: %d rows, %+v", j.Plan.Predicted, j.Progress)
		}
		if n, _ := db.CountCustomers(context.Background()); n["active"] != 0 {
			t.Errorf("the preview stored customers: %v", n)
		}
		// A column mapped to an attribute nobody declared is refused at
		// once, not row by row.
		pr := wantProblem(t, h.do(t, "POST", "/api/v1/imports?channel=store&map="+url.QueryEscape("生年月日=attr.rank"), admin, []byte(sjis), "Content-Type", "text/csv"), 400)
		if !strings.Contains(pr.Detail, "attr.rank, which is not a declared attribute") {
			t.Errorf("undeclared attribute: %+v", pr)
		}
		wantProblem(t, h.do(t, "POST", "/api/v1/imports?channel=nowhere", admin, []byte(sjis), "Content-Type", "text/csv"), 400)

		h.must(t, 200, "POST", "/api/v1/imports/"+j.ID+"/start", admin, nil)
		wantProblem(t, h.do(t, "POST", "/api/v1/imports/"+j.ID+"/start", admin, nil), 409)
		done := func(id string) importjob.Job {
			t.Helper()
			for range 100 {
				var got importjob.Job
				h.must(t, 200, "GET", "/api/v1/imports/"+id, admin, nil).json(t, &got)
				if got.Status == importjob.StatusDone || got.Status == importjob.StatusFailed {
					return got
				}
				time.Sleep(50 * time.Millisecond)
			}
			t.Fatalf("import %s did not finish", id)
			return importjob.Job{}
		}
		j = done(j.ID)
		if j.Status != importjob.StatusDone || j.Progress.Created != 2 || j.Progress.Rejected != 1 || j.FinishedAt == nil {
			t.Fatalf("finished job: %+v", j)
		}
		rej := h.must(t, 200, "GET", "/api/v1/imports/"+j.ID+"/rejects", admin, nil)
		if !bytes.HasPrefix(rej.Body, []byte("\ufeffline,column,reason,理由,会員番号")) || !strings.Contains(string(rej.Body), "3,生年月日,not a valid date: no such calendar date,日付が正しくありません（存在しない日付です）,M2,") {
			t.Errorf("rejects: %q", rej.Body)
		}
		// The same file again: nothing new.
		j2 := upload()
		h.must(t, 200, "POST", "/api/v1/imports/"+j2.ID+"/start", admin, nil)
		if j2 = done(j2.ID); j2.Progress.Created != 0 || j2.Progress.Unchanged != 2 {
			t.Errorf("re-import: %+v", j2.Progress)
		}
		var list []importjob.Job
		h.must(t, 200, "GET", "/api/v1/imports", admin, nil).json(t, &list)
		if len(list) != 2 {
			t.Errorf("%d imports listed", len(list))
		}
	})
}
