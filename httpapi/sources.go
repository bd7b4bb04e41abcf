package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
)

// maxBatchBody bounds a batch request: 10,000 records of ~6 KB.
const maxBatchBody = 64 << 20

type upsertInput struct {
	Body customer.SourceProfileInput
}

// UpsertOutput is the outcome of one source-profile upsert.
type UpsertOutput struct {
	Status int
	Body   identity.Result
}

type batchInput struct {
	ContentType string `header:"Content-Type"`
	RawBody     []byte
}

// BatchSummary counts a batch's outcomes.
type BatchSummary struct {
	Received  int `json:"received"`
	Created   int `json:"created"`
	Joined    int `json:"joined"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
}

// BatchOutput has one result per item, in request order.
type BatchOutput struct {
	Body struct {
		Summary BatchSummary      `json:"summary"`
		Results []identity.Result `json:"results"`
	}
}

func (s *Server) registerSources() {
	tags := []string{"Source profiles"}
	huma.Register(s.api, huma.Operation{OperationID: "upsert-source-profile", Method: http.MethodPost, Path: "/api/v1/source-profiles", Tags: tags,
		Summary: "Send one customer record from a channel", Description: "Creates or updates the record (channel + external_id is its key; a change appends a version) and joins it to a customer by One ID rules.",
		Metadata: perm(auth.PermCustomerWrite)},
		func(ctx context.Context, in *upsertInput) (*UpsertOutput, error) {
			res, err := s.Identity.Ingest(ctx, s.actor(ctx), s.allowedChannels(ctx), []customer.SourceProfileInput{in.Body})
			if err != nil {
				return nil, s.handlerError(err)
			}
			r := res[0]
			s.countIngest(res)
			if r.Status == identity.ResultRejected {
				st := http.StatusBadRequest
				if strings.Contains(r.Error.Reason, "may not write for channel") {
					st = http.StatusForbidden
				}
				return nil, &Problem{Status: st, Title: http.StatusText(st), Detail: r.Error.Field + ": " + r.Error.Reason,
					Errors: []ProblemField{{Location: "body." + r.Error.Field, Message: r.Error.Reason}}}
			}
			out := &UpsertOutput{Status: http.StatusOK, Body: r}
			if r.Status == identity.ResultCreated {
				out.Status = http.StatusCreated
			}
			return out, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "batch-upsert-source-profiles", Method: http.MethodPost, Path: "/api/v1/source-profiles/batch", Tags: tags,
		Summary:      "Send up to 10,000 records at once",
		Description:  "A JSON array or NDJSON (Content-Type: application/x-ndjson) of source profiles. Every item gets a result with its index; a bad item is rejected with its field path and reason and never stops the good ones. The whole batch commits in one transaction: when the answer arrives, every accepted item is durable.",
		MaxBodyBytes: maxBatchBody, Metadata: perm(auth.PermCustomerWrite)},
		func(ctx context.Context, in *batchInput) (*BatchOutput, error) {
			items, parseErrs, err := decodeBatch(in.ContentType, in.RawBody)
			if err != nil {
				return nil, s.handlerError(err)
			}
			res, err := s.Identity.Ingest(ctx, s.actor(ctx), s.allowedChannels(ctx), items)
			if err != nil {
				return nil, s.handlerError(err)
			}
			// Items that were not even JSON objects were replaced by
			// placeholders; report their own error.
			for i, pe := range parseErrs {
				if pe != nil {
					res[i] = identity.Result{Index: i, Status: identity.ResultRejected, Error: pe}
				}
			}
			s.countIngest(res)
			out := &BatchOutput{}
			out.Body.Results = res
			out.Body.Summary = summarize(res)
			return out, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "list-customer-source-profiles", Method: http.MethodGet, Path: "/api/v1/customers/{id}/source-profiles", Tags: tags,
		Summary: "A customer's source records, current versions", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, in *customerPath) (*struct{ Body []customer.SourceProfile }, error) {
			l, err := s.Customers.SourcesOfCustomer(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			if l == nil {
				l = []customer.SourceProfile{}
			}
			s.auditRead(ctx, "customer.sources.read", in.ID, map[string]any{"count": len(l)})
			return &struct{ Body []customer.SourceProfile }{Body: l}, nil
		})

	huma.Register(s.api, huma.Operation{OperationID: "list-source-profile-versions", Method: http.MethodGet, Path: "/api/v1/source-profiles/{id}/versions", Tags: tags,
		Summary: "Every version of a source record, as sent", Metadata: perm(auth.PermCustomerRead)},
		func(ctx context.Context, in *struct {
			ID string `path:"id"`
		}) (*struct{ Body []customer.SourceVersion }, error) {
			l, err := s.Customers.SourceVersions(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			if len(l) == 0 {
				return nil, s.handlerError(kizuna.Errorf(kizuna.ENOTFOUND, "source profile %s not found", in.ID))
			}
			s.auditRead(ctx, "source_profile.versions.read", "", map[string]any{"source_profile_id": in.ID})
			return &struct{ Body []customer.SourceVersion }{Body: l}, nil
		})
}

func (s *Server) allowedChannels(ctx context.Context) identity.AllowedChannels {
	if p := principalFrom(ctx); p != nil && p.Key != nil && len(p.Key.Channels) > 0 {
		return p.Key.Channels
	}
	return nil
}

func (s *Server) countIngest(res []identity.Result) {
	for _, r := range res {
		s.metrics.ingested.WithLabelValues(r.Status).Inc()
	}
}

func summarize(res []identity.Result) BatchSummary {
	sum := BatchSummary{Received: len(res)}
	for _, r := range res {
		switch r.Status {
		case identity.ResultCreated:
			sum.Created++
		case identity.ResultJoined:
			sum.Joined++
		case identity.ResultUpdated:
			sum.Updated++
		case identity.ResultUnchanged:
			sum.Unchanged++
		case identity.ResultRejected:
			sum.Rejected++
		}
	}
	return sum
}

// decodeBatch reads a JSON array or NDJSON. An item that is not a valid
// object gets a per-item error (and an empty placeholder that the service
// rejects); only a body that cannot be split into items fails as a whole.
// Blank NDJSON lines are skipped.
func decodeBatch(contentType string, body []byte) ([]customer.SourceProfileInput, []*identity.ItemError, error) {
	all, err := splitBatch(contentType, body, "source profiles")
	if err != nil {
		return nil, nil, err
	}
	raws := all[:0:0]
	for _, r := range all {
		if len(r) > 0 {
			raws = append(raws, r)
		}
	}
	if len(raws) > identity.MaxBatch {
		return nil, nil, kizuna.Errorf(kizuna.ETOOLARGE, "a batch holds at most %d source profiles, got %d", identity.MaxBatch, len(raws))
	}
	items := make([]customer.SourceProfileInput, len(raws))
	errs := make([]*identity.ItemError, len(raws))
	for i, raw := range raws {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&items[i]); err != nil {
			field, reason := itemError(err, "item")
			errs[i] = &identity.ItemError{Field: field, Reason: reason}
			items[i] = customer.SourceProfileInput{}
		}
	}
	return items, errs, nil
}

// splitBatch splits a batch body into its items: the lines of NDJSON
// (slices of the body; a blank line is an empty item, so that indexes are
// line numbers from 0; trailing blank lines are dropped) or the elements
// of a JSON array. what names the items in errors.
func splitBatch(contentType string, body []byte, what string) ([][]byte, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	var raws [][]byte
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/jsonlines":
		for line := range bytes.SplitSeq(body, []byte("\n")) {
			raws = append(raws, bytes.TrimSpace(line))
		}
		for len(raws) > 0 && len(raws[len(raws)-1]) == 0 {
			raws = raws[:len(raws)-1]
		}
	case "application/json", "":
		var items []json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return nil, kizuna.FieldError("body", "malformed JSON at byte offset %d: %v", se.Offset, err)
			}
			return nil, kizuna.FieldError("body", "must be a JSON array of %s (or NDJSON with Content-Type: application/x-ndjson): %v", what, err)
		}
		for _, it := range items {
			raws = append(raws, it)
		}
	default:
		return nil, &kizuna.Error{Code: kizuna.EINVALID, Field: "header.Content-Type", Message: fmt.Sprintf("unsupported content type %q: use application/json (an array) or application/x-ndjson", contentType)}
	}
	return raws, nil
}

// itemError says which field of one batch item did not decode, and why;
// what names the item ("item", "event") in the reason.
func itemError(err error, what string) (field, reason string) {
	reason = err.Error()
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		reason = fmt.Sprintf("malformed JSON at byte offset %d of the %s: %v", se.Offset, what, err)
	case errors.As(err, &te):
		field, reason = te.Field, fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value)
	case strings.HasPrefix(reason, "json: unknown field "):
		field, reason = strings.Trim(strings.TrimPrefix(reason, "json: unknown field "), `"`), "unknown field"
	}
	return field, reason
}
