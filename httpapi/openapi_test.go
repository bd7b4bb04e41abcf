package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/store/sqlstore"
	"github.com/kizuna-oss/kizuna/store/sqlstore/sqltest"
)

// routes is every operation the handlers register (customers.go,
// sources.go, admin.go), written out by hand so that a route dropped from
// the code or from the document is noticed.
var routes = []string{
	"GET /api/v1/customers",
	"POST /api/v1/customers",
	"GET /api/v1/customers/lookup",
	"GET /api/v1/customers/export",
	"GET /api/v1/customers/{id}",
	"PATCH /api/v1/customers/{id}",
	"POST /api/v1/customers/{id}/merge",
	"GET /api/v1/customers/{id}/merges",
	"POST /api/v1/merges/{id}/unmerge",
	"POST /api/v1/customers/{id}/erasure",
	"GET /api/v1/customers/{id}/disclosure",
	"POST /api/v1/source-profiles",
	"POST /api/v1/source-profiles/batch",
	"GET /api/v1/customers/{id}/source-profiles",
	"GET /api/v1/source-profiles/{id}/versions",
	"GET /api/v1/stats",
	"GET /api/v1/channels",
	"PUT /api/v1/channels/{code}",
	"GET /api/v1/stores",
	"PUT /api/v1/stores/{code}",
	"GET /api/v1/attributes",
	"PUT /api/v1/attributes/{name}",
	"GET /api/v1/survivorship",
	"PUT /api/v1/survivorship",
	"GET /api/v1/duplicates",
	"GET /api/v1/events",
	"GET /api/v1/events/schemas",
	"POST /api/v1/imports",
	"GET /api/v1/imports",
	"GET /api/v1/imports/{id}",
	"POST /api/v1/imports/{id}/start",
	"GET /api/v1/imports/{id}/rejects",
	"GET /api/v1/products",
	"GET /api/v1/products/{sku}",
	"PUT /api/v1/products/{sku}",
	"POST /api/v1/products/batch",
	"GET /api/v1/products/{sku}/nearest",
	"GET /api/v1/products/{sku}/stock",
	"POST /api/v1/products/{sku}/subscriptions",
	"POST /api/v1/stock/changes",
	"POST /api/v1/stock/reservations",
	"POST /api/v1/stock/reservations/{id}/fulfil",
	"POST /api/v1/stock/reservations/{id}/release",
	"GET /api/v1/orders",
	"GET /api/v1/orders/{id}",
	"POST /api/v1/orders",
	"POST /api/v1/orders/batch",
	"POST /api/v1/orders/{id}/status",
	"POST /api/v1/orders/{id}/shipments",
	"POST /api/v1/orders/{id}/returns",
	"PUT /api/v1/orders/{id}/billing",
	"GET /api/v1/customers/{id}/points",
	"GET /api/v1/customers/{id}/points/entries",
	"GET /api/v1/customers/{id}/rank",
	"POST /api/v1/customers/{id}/points/adjustments",
	"POST /api/v1/points/holds",
	"POST /api/v1/points/holds/{id}/commit",
	"POST /api/v1/points/holds/{id}/release",
	"GET /api/v1/points/expiring",
	"GET /api/v1/points/program",
	"PUT /api/v1/points/program",
	"POST /api/v1/duplicates/{id}/accept",
	"POST /api/v1/duplicates/accept",
	"POST /api/v1/duplicates/{id}/dismiss",
	"POST /api/v1/events",
	"POST /api/v1/events/collect",
	"GET /api/v1/audit",
	"GET /api/v1/audit/verify",
	"GET /api/v1/postal-codes/{code}",
	"GET /api/v1/postal-codes",
}

var httpMethods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// registeredRoutes walks the huma API's own description.
func registeredRoutes(oa *huma.OpenAPI) []string {
	var out []string
	for path, item := range oa.Paths {
		for _, m := range []struct {
			name string
			op   *huma.Operation
		}{{"GET", item.Get}, {"PUT", item.Put}, {"POST", item.Post}, {"DELETE", item.Delete}, {"OPTIONS", item.Options},
			{"HEAD", item.Head}, {"PATCH", item.Patch}, {"TRACE", item.Trace}} {
			if m.op != nil {
				out = append(out, m.name+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

// fetchSpec gets the served OpenAPI document.
func fetchSpec(t *testing.T, h *harness) (map[string]any, []byte) {
	t.Helper()
	r := h.must(t, http.StatusOK, "GET", "/api/openapi.json", "", nil)
	if ct := r.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
		t.Fatalf("OpenAPI document served as %q", ct)
	}
	var doc map[string]any
	r.json(t, &doc)
	return doc, r.Body
}

func documentedRoutes(doc map[string]any) []string {
	var out []string
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		ops, _ := item.(map[string]any)
		for m := range ops {
			if slices.Contains(httpMethods, strings.ToUpper(m)) {
				out = append(out, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestOpenAPIDocumentCoversEveryRoute(t *testing.T) {
	db := sqltest.Open(t, sqlstore.SQLite)
	h := newHarness(t, db)
	doc, _ := fetchSpec(t, h)

	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}

	want := slices.Sorted(slices.Values(routes))
	registered := registeredRoutes(h.srv.API().OpenAPI())
	documented := documentedRoutes(doc)
	if !slices.Equal(registered, want) {
		t.Errorf("registered routes differ from the list in this test:\n got  %q\n want %q", registered, want)
	}
	if !slices.Equal(documented, registered) {
		t.Errorf("document at /api/openapi.json differs from the registered routes:\n doc %q\n reg %q", documented, registered)
	}

	paths := doc["paths"].(map[string]any)
	ids := map[string]string{}
	for _, rt := range want {
		method, path, _ := strings.Cut(rt, " ")
		op, _ := paths[path].(map[string]any)[strings.ToLower(method)].(map[string]any)
		if op == nil {
			t.Errorf("%s: not in the document", rt)
			continue
		}
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", rt)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("operationId %q used by %s and %s", id, prev, rt)
		}
		ids[id] = rt
		responses, _ := op["responses"].(map[string]any)
		hasSuccess := false
		for code := range responses {
			if strings.HasPrefix(code, "2") {
				hasSuccess = true
			}
		}
		if !hasSuccess {
			t.Errorf("%s: no success response documented", rt)
		}
		def, _ := responses["default"].(map[string]any)
		if _, ok := def["content"].(map[string]any)["application/problem+json"]; !ok {
			t.Errorf("%s: errors are not documented as application/problem+json: %v", rt, def)
		}
		if strings.Contains(path, "{") {
			params, _ := op["parameters"].([]any)
			if len(params) == 0 {
				t.Errorf("%s: path parameters not documented", rt)
			}
		}
		bodiless := map[string]bool{"POST /api/v1/merges/{id}/unmerge": true, "POST /api/v1/stock/reservations/{id}/fulfil": true, "POST /api/v1/stock/reservations/{id}/release": true}
		if (method == "POST" || method == "PUT" || method == "PATCH") && !bodiless[rt] { // these act on the resource named in the path
			if rb, _ := op["requestBody"].(map[string]any); len(rb) == 0 {
				t.Errorf("%s: no request body documented", rt)
			}
		}
	}

	// Every route in the list is served by the server (not the mux's own
	// 404 or 405): an admin call with made-up IDs reaches a handler.
	_, secret := h.adminKey(t)
	for _, rt := range want {
		method, path, _ := strings.Cut(rt, " ")
		p := strings.NewReplacer("{id}", "zz_nonexistent", "{code}", "zz_code", "{name}", "zz_name").Replace(path)
		var body any
		if method != "GET" {
			body = "{}"
		}
		r := h.do(t, method, p, secret, body)
		if r.Code == http.StatusNotFound && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") ||
			r.Code == http.StatusMethodNotAllowed {
			t.Errorf("%s (%s): not routed: %d %s", rt, p, r.Code, r.Body)
		}
	}
}

// specValidator validates response bodies against the served document,
// resolving $refs against components.schemas.
type specValidator struct {
	doc   map[string]any
	c     *jsonschema.Compiler
	cache map[string]*jsonschema.Schema
}

const specURL = "https://kizuna.test/openapi.json"

func newSpecValidator(t *testing.T, raw []byte) *specValidator {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020) // OpenAPI 3.1's schema dialect
	c.AssertFormat()
	if err := c.AddResource(specURL, inst); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return &specValidator{doc: doc, c: c, cache: map[string]*jsonschema.Schema{}}
}

func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// check validates a response to method+path (the documented template)
// against the schema for its status code (or default) and content type.
func (v *specValidator) check(method, path string, r resp) error {
	item, _ := v.doc["paths"].(map[string]any)[path].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	if op == nil {
		return fmt.Errorf("%s %s is not in the document", method, path)
	}
	responses, _ := op["responses"].(map[string]any)
	code := strconv.Itoa(r.Code)
	if _, ok := responses[code]; !ok {
		if r.Code < 400 {
			return fmt.Errorf("%s %s answered %d, which the document does not list (it lists %v)", method, path, r.Code, keys(responses))
		}
		code = "default"
	}
	res, _ := responses[code].(map[string]any)
	if res == nil {
		return fmt.Errorf("%s %s: no response %s documented", method, path, code)
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return fmt.Errorf("%s %s: response Content-Type %q: %v", method, path, r.Header.Get("Content-Type"), err)
	}
	content, _ := res["content"].(map[string]any)
	if _, ok := content[ct]; !ok {
		return fmt.Errorf("%s %s: response %s is %s, documented as %v", method, path, code, ct, keys(content))
	}
	ptr := "#/paths/" + pointerEscape(path) + "/" + strings.ToLower(method) + "/responses/" + code + "/content/" + pointerEscape(ct) + "/schema"
	sch, ok := v.cache[ptr]
	if !ok {
		if sch, err = v.c.Compile(specURL + ptr); err != nil {
			return fmt.Errorf("compile %s: %v", ptr, err)
		}
		v.cache[ptr] = sch
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Body))
	if err != nil {
		return fmt.Errorf("%s %s: body is not JSON: %v: %.300s", method, path, err, r.Body)
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("%s %s → %d does not match its schema: %v\nbody: %.800s", method, path, r.Code, err, r.Body)
	}
	return nil
}

func keys(m map[string]any) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// TestSpecValidatorRejects proves the validator can fail: a wrong object,
// a wrong content type and an undocumented success status are all refused.
func TestSpecValidatorRejects(t *testing.T) {
	db := sqltest.Open(t, sqlstore.SQLite)
	h := newHarness(t, db)
	_, raw := fetchSpec(t, h)
	v := newSpecValidator(t, raw)
	jsonHdr := http.Header{"Content-Type": {"application/json"}}
	good := `{"id":"cus_1","status":"active","suppressed":false,"profile":{},"lineage":{},"channels":[],"version":1,` +
		`"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}`
	if err := v.check("GET", "/api/v1/customers/{id}", resp{Code: 200, Header: jsonHdr, Body: []byte(good)}); err != nil {
		t.Fatalf("a well-formed customer was rejected: %v", err)
	}
	for name, body := range map[string]string{
		"bad enum":        strings.Replace(good, `"active"`, `"sleeping"`, 1),
		"missing id":      strings.Replace(good, `"id":"cus_1",`, ``, 1),
		"unknown field":   strings.Replace(good, `{"id"`, `{"nickname":"x","id"`, 1),
		"wrong type":      strings.Replace(good, `"version":1`, `"version":"1"`, 1),
		"bad date-time":   strings.Replace(good, `"2024-01-01T00:00:00Z"`, `"yesterday"`, 1),
		"bad nested $ref": strings.Replace(good, `"profile":{}`, `"profile":{"emails":"a@example.jp"}`, 1),
		"not an object":   `[1,2,3]`,
	} {
		if err := v.check("GET", "/api/v1/customers/{id}", resp{Code: 200, Header: jsonHdr, Body: []byte(body)}); err == nil {
			t.Errorf("%s: a wrong customer was accepted: %s", name, body)
		}
	}
	problemHdr := http.Header{"Content-Type": {"application/problem+json"}}
	if err := v.check("GET", "/api/v1/customers/{id}", resp{Code: 404, Header: problemHdr, Body: []byte(`{"title":"Not Found","status":404}`)}); err != nil {
		t.Errorf("a minimal problem was rejected: %v", err)
	}
	if err := v.check("GET", "/api/v1/customers/{id}", resp{Code: 404, Header: problemHdr, Body: []byte(`{"title":"Not Found","status":"404"}`)}); err == nil {
		t.Error("a problem with a string status was accepted")
	}
	if err := v.check("GET", "/api/v1/customers/{id}", resp{Code: 200, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(good)}); err == nil {
		t.Error("an undocumented content type was accepted")
	}
	if err := v.check("GET", "/api/v1/customers/{id}", resp{Code: 204, Header: jsonHdr, Body: []byte(good)}); err == nil {
		t.Error("an undocumented success status was accepted")
	}
	if err := v.check("GET", "/api/v1/nowhere", resp{Code: 200, Header: jsonHdr, Body: []byte(good)}); err == nil {
		t.Error("an undocumented path was accepted")
	}
}

// TestResponsesMatchOpenAPI drives every kind of call through the API and
// validates each answer against the document's schema for that operation
// and status code.
func TestResponsesMatchOpenAPI(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		h := newHarness(t, db)
		_, raw := fetchSpec(t, h)
		v := newSpecValidator(t, raw)
		_, admin := h.adminKey(t)
		_, reader := h.apiKey(t, "reader", []string{"read"})

		call := func(want int, method, tmpl, path, secret string, body any, hdr ...string) resp {
			t.Helper()
			r := h.do(t, method, path, secret, body, hdr...)
			if r.Code != want {
				t.Fatalf("%s %s: status %d, want %d: %.600s", method, path, r.Code, want, r.Body)
			}
			if err := v.check(method, tmpl, r); err != nil {
				t.Error(err)
			}
			return r
		}

		// Configuration.
		call(200, "GET", "/api/v1/channels", "/api/v1/channels", reader, nil)
		call(200, "PUT", "/api/v1/channels/{code}", "/api/v1/channels/rakuten", admin,
			map[string]any{"name": "楽天市場", "name_en": "Rakuten", "kind": "marketplace", "priority": 50})
		call(200, "PUT", "/api/v1/stores/{code}", "/api/v1/stores/shibuya", admin,
			map[string]any{"name": "渋谷店", "channel": "store", "prefecture": "東京都", "address": "渋谷区", "latitude": 35.66, "longitude": 139.7})
		call(200, "GET", "/api/v1/stores", "/api/v1/stores", reader, nil)
		call(200, "PUT", "/api/v1/attributes/{name}", "/api/v1/attributes/favorite_store", admin,
			map[string]any{"type": "string", "description": "Store the customer visits most"})
		call(200, "GET", "/api/v1/attributes", "/api/v1/attributes", reader, nil)
		r := call(200, "GET", "/api/v1/survivorship", "/api/v1/survivorship", reader, nil)
		var rules customer.Survivorship
		r.json(t, &rules)
		call(200, "PUT", "/api/v1/survivorship", "/api/v1/survivorship", admin, rules)

		// Customers: create (201), then the same email again joins (200).
		r = call(201, "POST", "/api/v1/customers", "/api/v1/customers", admin,
			map[string]any{"family_name": "山田", "given_name": "花子", "emails": []string{"hanako@example.jp"},
				"consents": []map[string]any{{"purpose": "marketing", "channel": "email", "granted": true}}})
		var created struct {
			Customer customer.Customer `json:"customer"`
		}
		r.json(t, &created)
		a := created.Customer.ID
		call(200, "POST", "/api/v1/customers", "/api/v1/customers", admin,
			map[string]any{"given_name_kana": "ハナコ", "emails": []string{"HANAKO@example.jp"}})

		r = call(200, "GET", "/api/v1/customers/{id}", "/api/v1/customers/"+a, reader, nil)
		etag := r.Header.Get("ETag")
		call(200, "GET", "/api/v1/customers", "/api/v1/customers?limit=1", reader, nil)
		call(200, "GET", "/api/v1/customers", "/api/v1/customers?status=any&channel=manual", reader, nil)
		call(200, "GET", "/api/v1/customers/lookup", "/api/v1/customers/lookup?email=hanako@example.jp", reader, nil)
		r = call(200, "GET", "/api/v1/stats", "/api/v1/stats", reader, nil)
		var st customer.Stats
		r.json(t, &st)
		if st.Active != 1 || st.ByChannel["manual"] != 1 || len(st.NewByWeek) < 12 || st.NewByWeek[len(st.NewByWeek)-1].Count != 1 {
			t.Errorf("stats: %+v", st)
		}
		call(200, "PATCH", "/api/v1/customers/{id}", "/api/v1/customers/"+a, admin,
			`{"birth_date":"1990-04-01","attributes":{"favorite_store":"shibuya"}}`, "If-Match", etag, "Content-Type", "application/merge-patch+json")

		// Source profiles: a new record (201), a changed one (200), a batch.
		call(201, "POST", "/api/v1/source-profiles", "/api/v1/source-profiles", admin,
			map[string]any{"channel": "ec", "external_id": "ec-1", "profile": map[string]any{"family_name": "佐藤", "phones": []string{"090-1234-5678"}, "emails": []string{"sato@example.jp"}}})
		r = call(200, "POST", "/api/v1/source-profiles", "/api/v1/source-profiles", admin,
			map[string]any{"channel": "ec", "external_id": "ec-1", "profile": map[string]any{"family_name": "佐藤", "given_name": "一郎", "phones": []string{"090-1234-5678"}, "emails": []string{"sato@example.jp"}}})
		var up struct {
			CustomerID      string `json:"customer_id"`
			SourceProfileID string `json:"source_profile_id"`
		}
		r.json(t, &up)
		b := up.CustomerID
		r = call(200, "POST", "/api/v1/source-profiles/batch", "/api/v1/source-profiles/batch", admin,
			`[{"channel":"store","external_id":"pos-1","profile":{"family_name":"佐藤","phones":["09012345678"],"emails":["ichiro@example.jp"]}},`+
				`{"channel":"nowhere","external_id":"x","profile":{}}]`)
		var batch struct {
			Results []struct {
				CustomerID string   `json:"customer_id"`
				Dups       []string `json:"possible_duplicates"`
			} `json:"results"`
		}
		r.json(t, &batch)
		c := batch.Results[0].CustomerID
		if len(batch.Results[0].Dups) == 0 {
			t.Fatalf("a shared phone should make a possible duplicate: %s", r.Body)
		}
		call(200, "GET", "/api/v1/customers/{id}/source-profiles", "/api/v1/customers/"+b+"/source-profiles", reader, nil)
		call(200, "GET", "/api/v1/source-profiles/{id}/versions", "/api/v1/source-profiles/"+up.SourceProfileID+"/versions", reader, nil)
		r = call(200, "GET", "/api/v1/duplicates", "/api/v1/duplicates", reader, nil)
		var dups struct {
			Items []customer.Duplicate `json:"items"`
		}
		r.json(t, &dups)
		if len(dups.Items) == 0 {
			t.Fatalf("no open duplicates listed: %s", r.Body)
		}

		// Merge, history, unmerge, dismiss, disclose, erase.
		r = call(200, "POST", "/api/v1/customers/{id}/merge", "/api/v1/customers/"+b+"/merge", admin, map[string]any{"merged_id": c, "reason": "same person per phone call"})
		var merged struct {
			Merge customer.Merge `json:"merge"`
		}
		r.json(t, &merged)
		call(200, "GET", "/api/v1/customers/{id}/merges", "/api/v1/customers/"+b+"/merges", reader, nil)
		call(200, "POST", "/api/v1/merges/{id}/unmerge", "/api/v1/merges/"+merged.Merge.ID+"/unmerge", admin, "{}")
		call(200, "POST", "/api/v1/duplicates/{id}/dismiss", "/api/v1/duplicates/"+dups.Items[0].ID+"/dismiss", admin, map[string]any{"reason": "different people"})
		call(200, "POST", "/api/v1/duplicates/accept", "/api/v1/duplicates/accept", admin, map[string]any{"min_probability": 0.9})
		call(409, "POST", "/api/v1/duplicates/{id}/accept", "/api/v1/duplicates/"+dups.Items[0].ID+"/accept", admin, nil)
		call(200, "GET", "/api/v1/customers/{id}/disclosure", "/api/v1/customers/"+a+"/disclosure", admin, nil)
		call(200, "POST", "/api/v1/customers/{id}/erasure", "/api/v1/customers/"+c+"/erasure", admin, map[string]any{"reason": "request #42"})
		call(200, "GET", "/api/v1/customers/{id}", "/api/v1/customers/"+c, reader, nil) // erased
		call(200, "GET", "/api/v1/customers/{id}/disclosure", "/api/v1/customers/"+c+"/disclosure", admin, nil)

		// Audit.
		call(200, "GET", "/api/v1/audit", "/api/v1/audit?limit=5", admin, nil)
		call(200, "GET", "/api/v1/audit", "/api/v1/audit?customer_id="+url.QueryEscape(a), admin, nil)
		r = call(200, "GET", "/api/v1/audit/verify", "/api/v1/audit/verify", admin, nil)
		var ver struct {
			OK bool `json:"ok"`
		}
		r.json(t, &ver)
		if !ver.OK {
			t.Errorf("audit chain does not verify: %s", r.Body)
		}

		// Errors are documented problems too.
		call(404, "GET", "/api/v1/customers/{id}", "/api/v1/customers/cus_nobody", reader, nil)
		call(400, "POST", "/api/v1/customers", "/api/v1/customers", admin, `{"family_name":`)
		call(400, "POST", "/api/v1/customers", "/api/v1/customers", admin, `{"nickname":"x"}`)
		call(422, "GET", "/api/v1/customers", "/api/v1/customers?limit=0", reader, nil)
		call(400, "GET", "/api/v1/customers/lookup", "/api/v1/customers/lookup", reader, nil)
		call(401, "GET", "/api/v1/customers/{id}", "/api/v1/customers/"+a, "", nil)
		call(401, "GET", "/api/v1/customers/{id}", "/api/v1/customers/"+a, "kz_nope_nope", nil)
		call(403, "POST", "/api/v1/customers", "/api/v1/customers", reader, `{}`)
		call(409, "POST", "/api/v1/merges/{id}/unmerge", "/api/v1/merges/"+merged.Merge.ID+"/unmerge", admin, "{}")
		call(412, "PATCH", "/api/v1/customers/{id}", "/api/v1/customers/"+a, admin, `{"gender":"female"}`, "If-Match", `"v0"`)
		call(413, "POST", "/api/v1/customers", "/api/v1/customers", admin, `{"family_name":"`+strings.Repeat("x", 1<<20)+`"}`)
		call(201, "POST", "/api/v1/customers", "/api/v1/customers", admin, `{"family_name":"鈴木"}`, "Idempotency-Key", "k-1")
		call(422, "POST", "/api/v1/customers", "/api/v1/customers", admin, `{"family_name":"田中"}`, "Idempotency-Key", "k-1")
	})
}
