package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// batchCase is one item of a mixed batch and what its result must say.
type batchCase struct {
	item        string // the item's JSON (one NDJSON line)
	externalID  string // the record's key, when it should be stored
	status      string // created, joined, rejected…
	field       string // for a rejection: the field path
	reasonMatch string // for a rejection: a part of the reason
}

func mixedBatch(prefix string, ndjson bool) []batchCase {
	cs := []batchCase{
		{item: `{"channel":"ec","external_id":"` + prefix + `-good-1","profile":{"family_name":"山田","emails":["` + prefix + `.yamada@example.jp"]}}`,
			externalID: prefix + "-good-1", status: "created"},
		{item: `{"channel":"ec","external_id":"` + prefix + `-unknown","profile":{"family_name":"佐藤"},"loyalty_rank":"gold"}`,
			status: "rejected", field: "loyalty_rank", reasonMatch: "unknown field"},
		{item: `{"channel":"ec","external_id":"` + prefix + `-nested","profile":{"family_name":"佐藤","nickname":"sato"}}`,
			status: "rejected", field: "profile.nickname", reasonMatch: "unknown field"},
		{item: `{"channel":"ec","external_id":"` + prefix + `-email","profile":{"emails":["ok@example.jp","not-an-email"]}}`,
			status: "rejected", field: "profile.emails[1]", reasonMatch: "email"},
		{item: `{"channel":"nowhere","external_id":"` + prefix + `-chan","profile":{"family_name":"鈴木"}}`,
			status: "rejected", field: "channel", reasonMatch: "unknown channel"},
		{item: `{"channel":"store","external_id":"` + prefix + `-good-2","profile":{"family_name":"山田","emails":["` + prefix + `.yamada@example.jp"]}}`,
			externalID: prefix + "-good-2", status: "joined"}, // same email as the first good item: the same person
		{item: `{"channel":"ec","external_id":"` + prefix + `-type","profile":{"emails":"one@example.jp"}}`,
			status: "rejected", field: "profile.emails", reasonMatch: "expected"},
		{item: `{"channel":"ec","profile":{"family_name":"高橋"}}`,
			status: "rejected", field: "external_id", reasonMatch: "required"},
		{item: `{"channel":"app","external_id":"` + prefix + `-good-3","profile":{"family_name":"高橋"}}`,
			externalID: prefix + "-good-3", status: "created"},
	}
	if ndjson {
		// A line that is not JSON at all fails alone.
		cs = append(cs[:2], append([]batchCase{{item: `{"channel":"ec","external_id":` + prefix + `-broken"`, status: "rejected", reasonMatch: "malformed JSON"}}, cs[2:]...)...)
	} else {
		// In an array every item is JSON, but it may not be an object.
		cs = append(cs[:2], append([]batchCase{{item: `["not","an","object"]`, status: "rejected", reasonMatch: "expected"}}, cs[2:]...)...)
	}
	return cs
}

func TestBatchUpsertMixed(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, admin := h.adminKey(t)
		for _, format := range []string{"json", "ndjson"} {
			t.Run(format, func(t *testing.T) {
				cases := mixedBatch(format, format == "ndjson")
				lines := make([]string, len(cases))
				for i, c := range cases {
					lines[i] = c.item
				}
				var r resp
				if format == "ndjson" {
					// Blank lines are skipped and do not count as items.
					r = h.must(t, http.StatusOK, "POST", "/api/v1/source-profiles/batch", admin, strings.Join(lines, "\n")+"\n\n", "Content-Type", "application/x-ndjson")
				} else {
					r = h.must(t, http.StatusOK, "POST", "/api/v1/source-profiles/batch", admin, "[\n"+strings.Join(lines, ",\n")+"\n]")
				}
				var out batchResponse
				r.json(t, &out)
				if len(out.Results) != len(cases) {
					t.Fatalf("%d results for %d items: %s", len(out.Results), len(cases), r.Body)
				}
				var stored string
				wantCreated, wantJoined, wantRejected := 0, 0, 0
				for i, c := range cases {
					res := out.Results[i]
					if res.Index != i {
						t.Errorf("result %d has index %d", i, res.Index)
					}
					if res.Status != c.status {
						t.Errorf("item %d (%s): status %q, want %q; error %+v", i, c.item, res.Status, c.status, res.Error)
						continue
					}
					switch c.status {
					case "created":
						wantCreated++
					case "joined":
						wantJoined++
					case "rejected":
						wantRejected++
						if res.Error == nil {
							t.Errorf("item %d: rejected without an error", i)
							continue
						}
						if res.Error.Field != c.field {
							t.Errorf("item %d: field %q, want %q (reason %q)", i, res.Error.Field, c.field, res.Error.Reason)
						}
						if !strings.Contains(res.Error.Reason, c.reasonMatch) {
							t.Errorf("item %d: reason %q does not mention %q", i, res.Error.Reason, c.reasonMatch)
						}
						if res.CustomerID != "" {
							t.Errorf("item %d: rejected but has customer %s", i, res.CustomerID)
						}
					}
					if c.externalID != "" {
						ch := strings.SplitN(strings.SplitN(c.item, `"channel":"`, 2)[1], `"`, 2)[0]
						ids := holders(t, db, customer.ExternalKey(ch, c.externalID))
						if len(ids) != 1 || ids[0] != res.CustomerID {
							t.Errorf("item %d: stored for %v, answer says %s", i, ids, res.CustomerID)
						}
						if c.status == "joined" && res.CustomerID != stored {
							t.Errorf("item %d joined %s, want %s", i, res.CustomerID, stored)
						}
						if stored == "" {
							stored = res.CustomerID
						}
					}
				}
				s := out.Summary
				if s.Received != len(cases) || s.Created != wantCreated || s.Joined != wantJoined || s.Rejected != wantRejected {
					t.Errorf("summary %+v, want received %d created %d joined %d rejected %d", s, len(cases), wantCreated, wantJoined, wantRejected)
				}
				// Nothing of a rejected item was stored.
				for _, id := range []string{"-unknown", "-nested", "-email", "-type"} {
					if ids := holders(t, db, customer.ExternalKey("ec", format+id)); len(ids) != 0 {
						t.Errorf("rejected record %s was stored for %v", format+id, ids)
					}
				}
				if ids := holders(t, db, customer.ExternalKey("nowhere", format+"-chan")); len(ids) != 0 {
					t.Errorf("record of an unknown channel stored for %v", ids)
				}

				// Sending the same batch again changes nothing.
				if format == "json" {
					r = h.must(t, http.StatusOK, "POST", "/api/v1/source-profiles/batch", admin, "["+strings.Join(lines, ",")+"]")
					r.json(t, &out)
					if out.Summary.Unchanged != wantCreated+wantJoined || out.Summary.Rejected != wantRejected {
						t.Errorf("resend summary %+v", out.Summary)
					}
				}
			})
		}

		t.Run("body errors", func(t *testing.T) {
			p := wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles/batch", admin, `{"channel":"ec"}`), http.StatusBadRequest)
			if !strings.Contains(p.Detail, "array") {
				t.Errorf("an object instead of an array: %q", p.Detail)
			}
			wantProblem(t, h.do(t, "POST", "/api/v1/source-profiles/batch", admin, `a,b`, "Content-Type", "text/csv"), http.StatusBadRequest)
			r := h.must(t, http.StatusOK, "POST", "/api/v1/source-profiles/batch", admin, `[]`)
			var out batchResponse
			r.json(t, &out)
			if out.Summary.Received != 0 || len(out.Results) != 0 {
				t.Errorf("empty batch: %s", r.Body)
			}
		})
	})
}
