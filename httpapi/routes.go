package httpapi

import (
	"net/http"
	"reflect"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna/customer"
)

// routes registers every API operation. Each declares the permission it
// needs in its metadata; requirePermission enforces it.
func (s *Server) routes() {
	s.registerCustomers()
	s.registerSources()
	s.registerAdmin()
	s.registerImports()
	s.registerProducts()
	s.registerStock()
	s.registerOrders()
	s.registerPoints()
	s.registerEvents()
	s.registerPostal()
	s.documentRawBodies()
	s.documentOtherSuccess()
}

// documentOtherSuccess documents the second success status two operations
// answer with (same body and headers); huma documents only the default one.
func (s *Server) documentOtherSuccess() {
	oa := s.api.OpenAPI()
	add := func(op *huma.Operation, from, to int, desc string) {
		if op == nil || op.Responses[strconv.Itoa(from)] == nil {
			return
		}
		r := *op.Responses[strconv.Itoa(from)]
		r.Description = desc
		op.Responses[strconv.Itoa(to)] = &r
	}
	if p := oa.Paths["/api/v1/customers"]; p != nil {
		add(p.Post, http.StatusCreated, http.StatusOK, "The data identified an existing customer, which it joined")
	}
	if p := oa.Paths["/api/v1/source-profiles"]; p != nil {
		add(p.Post, http.StatusOK, http.StatusCreated, "A new customer was created for the record")
	}
	if p := oa.Paths["/api/v1/orders"]; p != nil {
		add(p.Post, http.StatusOK, http.StatusCreated, "The order was new")
	}
	if p := oa.Paths["/api/v1/points/holds"]; p != nil {
		add(p.Post, http.StatusCreated, http.StatusOK, "The ref made this hold before: the same hold")
	}
	if p := oa.Paths["/api/v1/orders/{id}/returns"]; p != nil {
		add(p.Post, http.StatusCreated, http.StatusOK, "The return was recorded before (same ID): nothing changed")
	}
}

// documentRawBodies gives the operations that read their body themselves
// (to accept NDJSON or merge patches) the schemas clients need.
func (s *Server) documentRawBodies() {
	oa := s.api.OpenAPI()
	reg := oa.Components.Schemas
	item := reg.Schema(reflect.TypeOf(customer.SourceProfileInput{}), true, "")
	profile := reg.Schema(reflect.TypeOf(customer.Profile{}), true, "")
	if p := oa.Paths["/api/v1/source-profiles/batch"]; p != nil && p.Post != nil {
		p.Post.RequestBody = &huma.RequestBody{Required: true, Description: "Up to 10,000 source profiles", Content: map[string]*huma.MediaType{
			"application/json":     {Schema: &huma.Schema{Type: "array", Items: item, MaxItems: intPtr(10000)}},
			"application/x-ndjson": {Schema: item},
		}}
	}
	if p := oa.Paths["/api/v1/imports"]; p != nil && p.Post != nil {
		file := &huma.Schema{Type: "string", Format: "binary"}
		p.Post.RequestBody = &huma.RequestBody{Required: true, Description: "The file, as it is", Content: map[string]*huma.MediaType{
			"text/csv": {Schema: file}, "text/tab-separated-values": {Schema: file},
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {Schema: file},
			"application/octet-stream": {Schema: file},
		}}
	}
	if p := oa.Paths["/api/v1/customers/{id}"]; p != nil && p.Patch != nil {
		p.Patch.RequestBody = &huma.RequestBody{Required: true, Description: "Profile fields to set; null removes a staff-entered value", Content: map[string]*huma.MediaType{
			"application/merge-patch+json": {Schema: profile},
			"application/json":             {Schema: profile},
		}}
	}
}

func intPtr(i int) *int { return &i }
