package httpapi

import (
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna/customer"
)

// routes registers every API operation. Each declares the permission it
// needs in its metadata; requirePermission enforces it.
func (s *Server) routes() {
	s.registerCustomers()
	s.registerSources()
	s.registerAdmin()
	s.documentRawBodies()
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
	if p := oa.Paths["/api/v1/customers/{id}"]; p != nil && p.Patch != nil {
		p.Patch.RequestBody = &huma.RequestBody{Required: true, Description: "Profile fields to set; null removes a staff-entered value", Content: map[string]*huma.MediaType{
			"application/merge-patch+json": {Schema: profile},
			"application/json":             {Schema: profile},
		}}
	}
}

func intPtr(i int) *int { return &i }
