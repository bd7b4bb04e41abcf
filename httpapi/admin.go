package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
)

// DuplicatePage is one page of possible duplicates.
type DuplicatePage struct {
	Items      []customer.Duplicate `json:"items"`
	NextCursor string               `json:"next_cursor,omitempty"`
}

// AuditPage is one page of audit entries, newest first.
type AuditPage struct {
	Items      []audit.Entry `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// AuditVerification is the result of walking the hash chain.
type AuditVerification struct {
	OK       bool               `json:"ok"`
	Entries  int64              `json:"entries_checked"`
	Problem  *AuditChainProblem `json:"problem,omitempty" doc:"The first entry where the chain breaks"`
	Verified time.Time          `json:"verified_at"`
}

// AuditChainProblem is audit.Problem under its own schema name: huma names
// schemas by Go type name, and "Problem" is already the RFC 9457 error body.
type AuditChainProblem audit.Problem

// ChannelInput is a channel's settings; the code comes from the path.
type ChannelInput struct {
	Name     string `json:"name" minLength:"1" doc:"Display name (Japanese)"`
	NameEn   string `json:"name_en,omitempty"`
	Kind     string `json:"kind" enum:"store,ec,marketplace,catalog,dept_counter,app,call_center,other"`
	Priority int    `json:"priority" doc:"Survivorship source priority; lower wins"`
}

// LocationInput is a location's settings; the code comes from the path.
type LocationInput struct {
	Name       string  `json:"name" minLength:"1"`
	Channel    string  `json:"channel" doc:"Channel code the location belongs to"`
	Prefecture string  `json:"prefecture,omitempty"`
	Address    string  `json:"address,omitempty"`
	Latitude   float64 `json:"latitude,omitempty"`
	Longitude  float64 `json:"longitude,omitempty"`
}

// AttributeInput declares a custom attribute; the name comes from the path.
type AttributeInput struct {
	Type        string `json:"type" enum:"string,integer,number,boolean,date"`
	Description string `json:"description,omitempty"`
}

func (s *Server) registerAdmin() {
	huma.Register(s.api, huma.Operation{OperationID: "get-stats", Method: http.MethodGet, Path: "/api/v1/stats", Tags: []string{"Customers"},
		Summary: "Customer counts", Description: "Active customers by channel and by number of channels, the overlap of every channel pair, new customers per week (12 weeks, Asia/Tokyo, weeks from Monday) and open possible duplicates: what the console's dashboard draws. Counted on each call; at a million customers this takes seconds.",
		Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, _ *struct{}) (*struct{ Body *customer.Stats }, error) {
			st, err := s.Customers.Stats(ctx, 12, time.Now())
			return &struct{ Body *customer.Stats }{Body: st}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-channels", Method: http.MethodGet, Path: "/api/v1/channels", Tags: []string{"Configuration"},
		Summary: "List channels", Description: "Most trusted first (survivorship source priority).", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []customer.Channel }, error) {
			l, err := s.Customers.Channels(ctx)
			return &struct{ Body []customer.Channel }{Body: nonNil(l)}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "put-channel", Method: http.MethodPut, Path: "/api/v1/channels/{code}", Tags: []string{"Configuration"},
		Summary: "Create or change a channel", Metadata: perm(auth.PermAdmin)},
		func(ctx context.Context, in *struct {
			Code string `path:"code"`
			Body ChannelInput
		}) (*struct{ Body customer.Channel }, error) {
			c := customer.Channel{Code: in.Code, Name: in.Body.Name, NameEn: in.Body.NameEn, Kind: in.Body.Kind, Priority: in.Body.Priority}
			if err := s.Identity.UpsertChannel(ctx, s.actor(ctx), c); err != nil {
				return nil, s.handlerError(err)
			}
			return &struct{ Body customer.Channel }{Body: c}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-stores", Method: http.MethodGet, Path: "/api/v1/stores", Tags: []string{"Configuration"},
		Summary: "List stores and other locations", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []customer.Location }, error) {
			l, err := s.Customers.Locations(ctx)
			return &struct{ Body []customer.Location }{Body: nonNil(l)}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "put-store", Method: http.MethodPut, Path: "/api/v1/stores/{code}", Tags: []string{"Configuration"},
		Summary: "Create or change a store or location", Metadata: perm(auth.PermAdmin)},
		func(ctx context.Context, in *struct {
			Code string `path:"code"`
			Body LocationInput
		}) (*struct{ Body customer.Location }, error) {
			b := in.Body
			l := customer.Location{Code: in.Code, Name: b.Name, Channel: b.Channel, Prefecture: b.Prefecture, Address: b.Address, Latitude: b.Latitude, Longitude: b.Longitude}
			if err := s.Identity.UpsertLocation(ctx, s.actor(ctx), l); err != nil {
				return nil, s.handlerError(err)
			}
			return &struct{ Body customer.Location }{Body: l}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-attributes", Method: http.MethodGet, Path: "/api/v1/attributes", Tags: []string{"Configuration"},
		Summary: "List custom attributes", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []customer.AttributeDef }, error) {
			l, err := s.Customers.Attributes(ctx)
			return &struct{ Body []customer.AttributeDef }{Body: nonNil(l)}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "put-attribute", Method: http.MethodPut, Path: "/api/v1/attributes/{name}", Tags: []string{"Configuration"},
		Summary: "Declare or change a custom attribute", Metadata: perm(auth.PermAdmin)},
		func(ctx context.Context, in *struct {
			Name string `path:"name"`
			Body AttributeInput
		}) (*struct{ Body customer.AttributeDef }, error) {
			a := customer.AttributeDef{Name: in.Name, Type: in.Body.Type, Description: in.Body.Description}
			if err := s.Identity.UpsertAttribute(ctx, s.actor(ctx), a); err != nil {
				return nil, s.handlerError(err)
			}
			return &struct{ Body customer.AttributeDef }{Body: a}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-survivorship", Method: http.MethodGet, Path: "/api/v1/survivorship", Tags: []string{"Configuration"},
		Summary: "Survivorship rules per golden field", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, _ *struct{}) (*struct{ Body customer.Survivorship }, error) {
			r, err := s.Customers.Survivorship(ctx)
			return &struct{ Body customer.Survivorship }{Body: r}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "put-survivorship", Method: http.MethodPut, Path: "/api/v1/survivorship", Tags: []string{"Configuration"},
		Summary: "Change survivorship rules", Description: "Rules: source_priority, most_recent, most_frequent. They apply to each customer the next time its records change.",
		Metadata: perm(auth.PermAdmin)},
		func(ctx context.Context, in *struct{ Body customer.Survivorship }) (*struct{ Body customer.Survivorship }, error) {
			if err := s.Identity.SetSurvivorship(ctx, s.actor(ctx), in.Body); err != nil {
				return nil, s.handlerError(err)
			}
			return &struct{ Body customer.Survivorship }{Body: in.Body}, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "list-duplicates", Method: http.MethodGet, Path: "/api/v1/duplicates", Tags: []string{"Customers"},
		Summary: "Possible duplicates (the review queue)", Description: "Pairs One ID did not join on its own, most probable first: the probabilistic matcher's doubtful pairs with their match probability and each field's evidence, and pairs the deterministic join flagged (phone only, disagreeing identifiers; probability 0) with the reason.", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, in *struct {
			Status string `query:"status" default:"open" enum:"open,merged,dismissed,cleared"`
			Limit  int    `query:"limit" default:"50" minimum:"1" maximum:"500"`
			Cursor string `query:"cursor"`
		}) (*struct{ Body DuplicatePage }, error) {
			l, err := s.Customers.Duplicates(ctx, in.Status, in.Limit+1, in.Cursor)
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &struct{ Body DuplicatePage }{}
			if len(l) > in.Limit {
				l = l[:in.Limit]
				out.Body.NextCursor = customer.DuplicateCursor(l[len(l)-1])
			}
			out.Body.Items = nonNil(l)
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "dismiss-duplicate", Method: http.MethodPost, Path: "/api/v1/duplicates/{id}/dismiss", Tags: []string{"Customers"},
		Summary: "Mark a possible duplicate as two different people", Metadata: perm(auth.PermCustomerMerge)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body *struct {
				Reason string `json:"reason,omitempty"`
			} // optional: a pointer body is not required
		}) (*StatusOutput, error) {
			reason := ""
			if in.Body != nil {
				reason = in.Body.Reason
			}
			if err := s.Identity.DismissDuplicate(ctx, s.actor(ctx), in.ID, reason); err != nil {
				return nil, s.handlerError(err)
			}
			out := &StatusOutput{}
			out.Body.Status, out.Body.ID = customer.DuplicateDismissed, in.ID
			return out, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "accept-duplicate", Method: http.MethodPost, Path: "/api/v1/duplicates/{id}/accept", Tags: []string{"Customers"},
		Summary: "Merge a possible duplicate", Description: "The newer customer is merged into the older. The decision is audited and can be undone with the merge.",
		Metadata: perm(auth.PermCustomerMerge)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body *struct {
				Reason string `json:"reason,omitempty"`
			}
		}) (*struct{ Body customer.Merge }, error) {
			reason := ""
			if in.Body != nil {
				reason = in.Body.Reason
			}
			m, err := s.Identity.AcceptDuplicate(ctx, s.actor(ctx), in.ID, reason)
			if err != nil {
				return nil, s.handlerError(err)
			}
			return &struct{ Body customer.Merge }{Body: *m}, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "accept-duplicates", Method: http.MethodPost, Path: "/api/v1/duplicates/accept", Tags: []string{"Customers"},
		Summary: "Merge every open possible duplicate at or above a probability", Description: "Bulk accept for the review queue: at most limit pairs, most probable first. Each merge is audited, and so is the bulk decision.",
		Metadata: perm(auth.PermCustomerMerge)},
		func(ctx context.Context, in *struct {
			Body struct {
				MinProbability float64 `json:"min_probability" minimum:"0.5" maximum:"1" doc:"Accept pairs at or above this match probability"`
				Limit          int     `json:"limit,omitempty" minimum:"1" maximum:"1000" default:"200"`
			}
		}) (*struct{ Body identity.BulkResult }, error) {
			res, err := s.Identity.AcceptDuplicatesAbove(ctx, s.actor(ctx), in.Body.MinProbability, max(in.Body.Limit, 1))
			if err != nil {
				return nil, s.handlerError(err)
			}
			return &struct{ Body identity.BulkResult }{Body: *res}, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "list-audit", Method: http.MethodGet, Path: "/api/v1/audit", Tags: []string{"Audit"},
		Summary: "Read the audit trail", Description: "Newest first. Reading the trail is itself audited.", Metadata: perm(auth.PermAuditRead)},
		func(ctx context.Context, in *struct {
			CustomerID string    `query:"customer_id"`
			ActorID    string    `query:"actor_id"`
			Action     string    `query:"action"`
			Since      time.Time `query:"since"`
			Until      time.Time `query:"until"`
			Limit      int       `query:"limit" default:"100" minimum:"1" maximum:"1000"`
			Cursor     string    `query:"cursor"`
		}) (*struct{ Body AuditPage }, error) {
			var before int64
			if in.Cursor != "" {
				n, err := strconv.ParseInt(in.Cursor, 10, 64)
				if err != nil || n <= 0 {
					return nil, s.handlerError(kizuna.FieldError("cursor", "is not one this API issued"))
				}
				before = n
			}
			l, err := s.Audit.AuditEntries(ctx, audit.Filter{CustomerID: in.CustomerID, ActorID: in.ActorID, Action: in.Action, Since: in.Since, Until: in.Until, BeforeSeq: before, Limit: in.Limit + 1})
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &struct{ Body AuditPage }{}
			if len(l) > in.Limit {
				l = l[:in.Limit]
				out.Body.NextCursor = strconv.FormatInt(l[len(l)-1].Seq, 10)
			}
			out.Body.Items = nonNil(l)
			s.reads.Add(s.entry(ctx, "audit.read", in.CustomerID, map[string]any{"count": len(l), "action": in.Action, "actor_id": in.ActorID}))
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "verify-audit", Method: http.MethodGet, Path: "/api/v1/audit/verify", Tags: []string{"Audit"},
		Summary: "Verify the audit hash chain", Description: "Walks every entry; names the first edited, deleted or reordered one.", Metadata: perm(auth.PermAuditRead)},
		func(ctx context.Context, _ *struct{}) (*struct{ Body AuditVerification }, error) {
			n, p, err := s.Audit.VerifyAudit(ctx)
			if err != nil {
				return nil, s.handlerError(err)
			}
			return &struct{ Body AuditVerification }{Body: AuditVerification{OK: p == nil, Entries: n, Problem: (*AuditChainProblem)(p), Verified: time.Now().UTC()}}, nil
		})
}

func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}
