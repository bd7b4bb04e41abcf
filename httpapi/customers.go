package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/exporter"
	"github.com/kizuna-oss/kizuna/identity"
)

// jst names export files by the date in Japan.
var jst = time.FixedZone("JST", 9*60*60)

type customerPath struct {
	ID string `path:"id" doc:"Customer ID (a merged customer's ID reaches its survivor)"`
}

// CustomerOutput is one customer with its ETag.
type CustomerOutput struct {
	ETag string `header:"ETag" doc:"Send back in If-Match when patching"`
	Body *customer.Customer
}

// CustomerPage is one page of customers.
type CustomerPage struct {
	Items      []customer.Customer `json:"items"`
	NextCursor string              `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

type listCustomersInput struct {
	Limit        int       `query:"limit" default:"50" minimum:"1" maximum:"500"`
	Cursor       string    `query:"cursor" doc:"next_cursor of the previous page"`
	Channel      string    `query:"channel" doc:"Only customers with records in this channel"`
	Tag          string    `query:"tag"`
	Status       string    `query:"status" default:"active" enum:"active,merged,erased,any"`
	UpdatedSince time.Time `query:"updated_since" doc:"RFC 3339; only customers changed since then"`
}

type lookupInput struct {
	Email      string `query:"email"`
	Phone      string `query:"phone" doc:"Any format: 090-1234-5678, +81 90…, full-width digits"`
	Card       string `query:"card" doc:"Member card number"`
	Channel    string `query:"channel" doc:"With external_id: a channel's own customer ID"`
	ExternalID string `query:"external_id"`
}

type customerCreateInput struct {
	Body customer.Profile
}

// CreateOutput answers a create: 201 for a new customer, 200 when the data
// identified an existing one.
type CreateOutput struct {
	Status   int
	Location string `header:"Location"`
	ETag     string `header:"ETag"`
	Body     struct {
		Result   identity.Result    `json:"result"`
		Customer *customer.Customer `json:"customer"`
	}
}

type patchInput struct {
	ID      string `path:"id" doc:"Customer ID"` // not an embedded customerPath: huma skips unexported embedded structs, leaving ID empty
	IfMatch string `header:"If-Match" doc:"The ETag you last read; a mismatch answers 412"`
	RawBody []byte `contentType:"application/merge-patch+json"`
}

type mergeInput struct {
	ID   string `path:"id" doc:"Customer ID"`
	Body struct {
		MergedID string `json:"merged_id" minLength:"1" doc:"The customer folded into this one"`
		Reason   string `json:"reason,omitempty"`
	}
}

// MergeOutput is a merge record and the survivor after it.
type MergeOutput struct {
	Body struct {
		Merge    *customer.Merge    `json:"merge"`
		Customer *customer.Customer `json:"customer"`
	}
}

type erasureInput struct {
	ID   string `path:"id" doc:"Customer ID"`
	Body struct {
		Reason string `json:"reason" minLength:"1" doc:"Why, e.g. the deletion request's reference"`
	}
}

// StatusOutput is a plain acknowledgement.
type StatusOutput struct {
	Body struct {
		Status string `json:"status"`
		ID     string `json:"id"`
	}
}

func (s *Server) registerCustomers() {
	tags := []string{"Customers"}
	s.registerExport(tags)
	huma.Register(s.api, huma.Operation{OperationID: "list-customers", Method: http.MethodGet, Path: "/api/v1/customers", Tags: tags,
		Summary: "List customers", Description: "Customers in ID order, filtered, with cursor pagination.", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, in *listCustomersInput) (*struct{ Body CustomerPage }, error) {
			after, err := decodeCursor(in.Cursor)
			if err != nil {
				return nil, err
			}
			items, err := s.Customers.ListCustomers(ctx, customer.ListFilter{Channel: in.Channel, Tag: in.Tag, Status: in.Status, UpdatedSince: in.UpdatedSince, Limit: in.Limit + 1, After: after})
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &struct{ Body CustomerPage }{}
			if len(items) > in.Limit {
				items = items[:in.Limit]
				out.Body.NextCursor = encodeCursor(items[len(items)-1].ID)
			}
			if items == nil {
				items = []customer.Customer{}
			}
			out.Body.Items = items
			ids := make([]string, len(items))
			for i := range items {
				ids[i] = items[i].ID
			}
			s.auditRead(ctx, "customer.list", "", map[string]any{"count": len(items), "customer_ids": ids})
			return out, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "lookup-customers", Method: http.MethodGet, Path: "/api/v1/customers/lookup", Tags: tags,
		Summary: "Find customers by an identifier", Description: "Exactly one of email, phone, card, or channel + external_id. Values are normalized as on ingest.",
		Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, in *lookupInput) (*struct{ Body CustomerPage }, error) {
			kind, value, n := "", "", 0
			for _, c := range []struct{ k, v string }{{customer.KeyEmail, in.Email}, {customer.KeyPhone, in.Phone}, {customer.KeyCard, in.Card}} {
				if c.v != "" {
					kind, value, n = c.k, c.v, n+1
				}
			}
			if in.Channel != "" || in.ExternalID != "" {
				if in.Channel == "" || in.ExternalID == "" {
					return nil, s.handlerError(kizuna.FieldError("channel", "channel and external_id go together"))
				}
				kind, value, n = customer.KeyExternal, in.Channel+":"+in.ExternalID, n+1
			}
			if n != 1 {
				return nil, s.handlerError(kizuna.FieldError("email", "give exactly one identifier: email, phone, card, or channel with external_id"))
			}
			items, err := s.Identity.Lookup(ctx, kind, value)
			if err != nil {
				return nil, s.handlerError(err)
			}
			for _, c := range items {
				s.auditRead(ctx, "customer.lookup", c.ID, map[string]any{"by": kind})
			}
			return &struct{ Body CustomerPage }{Body: CustomerPage{Items: items}}, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "get-customer", Method: http.MethodGet, Path: "/api/v1/customers/{id}", Tags: tags,
		Summary: "Get a customer", Description: "The golden record with lineage. A merged customer's ID answers with the survivor.", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, in *customerPath) (*CustomerOutput, error) {
			c, err := s.Identity.Get(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			s.auditRead(ctx, "customer.read", c.ID, nil)
			return &CustomerOutput{ETag: identity.ETag(c), Body: c}, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "create-customer", Method: http.MethodPost, Path: "/api/v1/customers", Tags: tags, DefaultStatus: http.StatusCreated,
		Summary: "Create a customer", Description: "Entered as a staff/API record (channel \"manual\") and resolved like any source record: if the identifiers name an existing customer the data joins it and the answer is 200 instead of 201.",
		Metadata: perm(auth.PermCustomerWrite)},
		func(ctx context.Context, in *customerCreateInput) (*CreateOutput, error) {
			raw, err := json.Marshal(in.Body)
			if err != nil {
				return nil, s.handlerError(err)
			}
			res, err := s.Identity.Create(ctx, s.actor(ctx), raw)
			if err != nil {
				return nil, s.handlerError(err)
			}
			c, err := s.Identity.Get(ctx, res.CustomerID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &CreateOutput{Status: http.StatusCreated, Location: "/api/v1/customers/" + c.ID, ETag: identity.ETag(c)}
			if res.Status != identity.ResultCreated {
				out.Status = http.StatusOK
			}
			out.Body.Result, out.Body.Customer = res, c
			return out, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "patch-customer", Method: http.MethodPatch, Path: "/api/v1/customers/{id}", Tags: tags,
		Summary: "Edit a customer", Description: "A JSON merge patch (RFC 7396) of profile fields; null removes a staff-entered value. Kept as the customer's staff record, so channel data is never overwritten. Send If-Match with the ETag you read.",
		MaxBodyBytes: maxBody, // huma applies its 1 MiB default only to Body inputs, not RawBody
		Metadata:     perm(auth.PermCustomerWrite)},
		func(ctx context.Context, in *patchInput) (*CustomerOutput, error) {
			c, err := s.Identity.Patch(ctx, s.actor(ctx), in.ID, in.IfMatch, in.RawBody)
			if err != nil {
				return nil, s.handlerError(err)
			}
			return &CustomerOutput{ETag: identity.ETag(c), Body: c}, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "merge-customers", Method: http.MethodPost, Path: "/api/v1/customers/{id}/merge", Tags: tags,
		Summary: "Merge another customer into this one", Description: "Every source record of merged_id moves here; the merged customer is kept as status merged and can be restored with unmerge.",
		Metadata: perm(auth.PermCustomerMerge)},
		func(ctx context.Context, in *mergeInput) (*MergeOutput, error) {
			m, err := s.Identity.Merge(ctx, s.actor(ctx), in.ID, in.Body.MergedID, in.Body.Reason)
			if err != nil {
				return nil, s.handlerError(err)
			}
			c, err := s.Identity.Get(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &MergeOutput{}
			out.Body.Merge, out.Body.Customer = m, c
			return out, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "list-customer-merges", Method: http.MethodGet, Path: "/api/v1/customers/{id}/merges", Tags: tags,
		Summary: "Merge history of a customer", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, in *customerPath) (*struct{ Body []customer.Merge }, error) {
			ms, err := s.Customers.MergesOf(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			if ms == nil {
				ms = []customer.Merge{}
			}
			return &struct{ Body []customer.Merge }{Body: ms}, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "unmerge", Method: http.MethodPost, Path: "/api/v1/merges/{id}/unmerge", Tags: tags,
		Summary: "Undo a merge", Description: "Restores the merged customer exactly as it was and moves its source records back.", Metadata: perm(auth.PermCustomerMerge)},
		func(ctx context.Context, in *struct {
			ID string `path:"id" doc:"Merge ID"`
		}) (*MergeOutput, error) {
			m, err := s.Identity.Unmerge(ctx, s.actor(ctx), in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			c, err := s.Identity.Get(ctx, m.MergedID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &MergeOutput{}
			out.Body.Merge, out.Body.Customer = m, c
			return out, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "erase-customer", Method: http.MethodPost, Path: "/api/v1/customers/{id}/erasure", Tags: tags,
		Summary: "Erase a customer's personal data (deletion request)", Description: "Removes personal data from the golden record, every source record and version and merge history; identifiers are kept only as salted hashes so a later import is kept out of marketing. Cannot be undone.",
		Metadata: perm(auth.PermCustomerErase)},
		func(ctx context.Context, in *erasureInput) (*StatusOutput, error) {
			if err := s.Identity.Erase(ctx, s.actor(ctx), in.ID, in.Body.Reason); err != nil {
				return nil, s.handlerError(err)
			}
			out := &StatusOutput{}
			out.Body.Status, out.Body.ID = "erased", in.ID
			return out, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "disclose-customer", Method: http.MethodGet, Path: "/api/v1/customers/{id}/disclosure", Tags: tags,
		Summary: "Everything held about a customer (disclosure request)", Description: "One JSON document: golden record, every source record with all versions, possible duplicates, merges and the customer's audit trail. The export itself is audited.",
		Metadata: perm(auth.PermCustomerDisclose)},
		func(ctx context.Context, in *customerPath) (*struct{ Body *identity.Disclosure }, error) {
			d, err := s.Identity.Disclose(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			// An export is recorded before the data leaves, synchronously.
			if err := s.Audit.AppendAudit(ctx, s.entry(ctx, "customer.disclose", in.ID, map[string]any{"source_profiles": len(d.SourceProfiles)})); err != nil {
				return nil, s.handlerError(err)
			}
			return &struct{ Body *identity.Disclosure }{Body: d}, nil
		})
}

func (s *Server) registerExport(tags []string) {
	huma.Register(s.api, huma.Operation{OperationID: "export-customers", Method: http.MethodGet, Path: "/api/v1/customers/export", Tags: tags,
		Summary: "Export customers to CSV or Excel",
		Description: "Active customers as a file staff open in Excel: csv (UTF-8 with BOM), csv-sjis (Shift_JIS) or xlsx, with the chosen columns " +
			"(" + strings.Join(exporter.ColumnKeys(), ", ") + "). Cells starting with = + - @ tab or CR are neutralized with a leading apostrophe. " +
			"Personal columns are masked unless the key may read personal data. Every export is audited with the columns, the number of rows and the file's SHA-256.",
		Metadata: perm(auth.PermCustomerExport)},
		func(ctx context.Context, in *struct {
			Format  string `query:"format" default:"csv" enum:"csv,csv-sjis,xlsx"`
			Columns string `query:"columns" doc:"Comma-separated column keys; empty for the default set"`
			Channel string `query:"channel"`
			Tag     string `query:"tag"`
		}) (*huma.StreamResponse, error) {
			f, err := exporter.ParseFormat(in.Format)
			if err != nil {
				return nil, s.handlerError(kizuna.FieldError("query.format", "%s", err))
			}
			var cols []string
			if strings.TrimSpace(in.Columns) != "" {
				cols = strings.Split(in.Columns, ",")
			}
			if _, err := exporter.Columns(cols); err != nil {
				return nil, s.handlerError(kizuna.FieldError("query.columns", "%s", err))
			}
			req := identity.ExportRequest{Format: f, Columns: cols, Channel: in.Channel, Tag: in.Tag, Masked: !principalFrom(ctx).Allows(auth.PermPersonalData)}
			actor := s.actor(ctx)
			return &huma.StreamResponse{Body: func(hc huma.Context) {
				hc.SetHeader("Content-Type", f.ContentType())
				hc.SetHeader("Content-Disposition", `attachment; filename="customers-`+time.Now().In(jst).Format("20060102-1504")+f.Extension()+`"`)
				hc.SetHeader("Cache-Control", "no-store")
				if _, err := s.Identity.Export(hc.Context(), actor, hc.BodyWriter(), req); err != nil {
					s.log.Error("export failed after the response started", "err", err)
				}
			}}, nil
		})
}

func perm(p string) map[string]any { return map[string]any{"perm": p} }

func (s *Server) actor(ctx context.Context) kizuna.Actor {
	if p := principalFrom(ctx); p != nil {
		return p.Actor
	}
	return kizuna.System("anonymous")
}

func (s *Server) entry(ctx context.Context, action, customerID string, detail any) audit.Entry {
	return audit.New(s.actor(ctx), time.Now(), action, "customer", customerID, customerID, detail)
}

// auditRead records a read of personal data through the batcher.
func (s *Server) auditRead(ctx context.Context, action, customerID string, detail any) {
	s.reads.Add(s.entry(ctx, action, customerID, detail))
}
