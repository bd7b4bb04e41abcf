package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/event"
)

// trackingScript is served at /t.js for web shops to include.
//
//go:embed track.js
var trackingScript []byte

// EventPage is one page of events, newest first.
type EventPage struct {
	Items      []event.Event `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

// collectPath takes the tracking script's events; its key comes in the
// query string, since a beacon cannot send headers.
const collectPath = "/api/v1/events/collect"

func (s *Server) registerEvents() {
	tags := []string{"Events"}
	events := func() (*event.Service, error) {
		if s.Events == nil {
			return nil, kizuna.Errorf(kizuna.EUNSUPPORTED, "events are not available on this server")
		}
		return s.Events, nil
	}
	ingest := func(ctx context.Context, source event.Source, in *batchInput) (*struct{ Body *event.IngestResult }, error) {
		es, err := events()
		if err != nil {
			return nil, s.handlerError(err)
		}
		batch, bad, err := decodeEvents(in.ContentType, in.RawBody, source == event.FromBrowser)
		if err != nil {
			return nil, s.handlerError(err)
		}
		// The service sees the events that parsed; its indexes are mapped
		// back to the places in the body.
		parsed := make([]event.Event, 0, len(batch))
		at := make([]int, 0, len(batch))
		for i := range batch {
			if _, isBad := bad[i]; !isBad {
				parsed = append(parsed, batch[i])
				at = append(at, i)
			}
		}
		res, err := es.Ingest(ctx, source, parsed)
		if err != nil {
			return nil, s.handlerError(err)
		}
		for i := range res.Rejected {
			res.Rejected[i].Index = at[res.Rejected[i].Index]
		}
		for i, r := range bad {
			r.Index = i
			res.Rejected = append(res.Rejected, r)
		}
		res.Received = len(batch)
		if len(bad) > 0 {
			event.SortRejections(res.Rejected)
		}
		s.metrics.events.WithLabelValues("stored").Add(float64(res.Stored))
		s.metrics.events.WithLabelValues("duplicate").Add(float64(res.Duplicates))
		s.metrics.events.WithLabelValues("rejected").Add(float64(len(res.Rejected)))
		s.metrics.events.WithLabelValues("dropped").Add(float64(res.Dropped))
		return &struct{ Body *event.IngestResult }{Body: res}, nil
	}
	huma.Register(s.api, huma.Operation{OperationID: "ingest-events", Method: http.MethodPost, Path: "/api/v1/events", Tags: tags,
		Summary: "Send behaviour events",
		Description: "Up to 10,000 events as NDJSON (Content-Type: application/x-ndjson, one event a line) or a JSON array. " +
			"Each event is checked against its type's schema (GET /api/v1/events/schemas); a bad one is rejected with its index, field and reason, and the others are stored. " +
			"An event is stored once under its id and device (its anonymous_id, or its customer_id when it has none), so a batch can be sent again after a lost answer. " +
			"identify (or any event naming both anonymous_id and customer_id) ties a browser or device to the customer, and its earlier anonymous events become the customer's. " +
			"When the answer arrives, every stored event is durable.",
		MaxBodyBytes: maxBatchBody, Metadata: perm(auth.PermEventWrite)},
		func(ctx context.Context, in *batchInput) (*struct{ Body *event.IngestResult }, error) {
			return ingest(ctx, event.FromServer, in)
		})
	huma.Register(s.api, huma.Operation{OperationID: "collect-events", Method: http.MethodPost, Path: collectPath, Tags: tags,
		Summary: "Events from the tracking script",
		Description: "What /t.js sends from web pages: NDJSON as text/plain, with a key of the collect scope in the key query parameter (a beacon cannot set headers). " +
			"Events are anonymous: naming a customer is refused here, and the shop's server sends identify instead. Cross-origin requests are allowed.",
		MaxBodyBytes: 1 << 20, Metadata: perm(auth.PermEventCollect),
		Security: []map[string][]string{{"collectKey": {}}}},
		func(ctx context.Context, in *struct {
			Key         string `query:"key" doc:"A key with only the collect scope"`
			ContentType string `header:"Content-Type"`
			RawBody     []byte `contentType:"text/plain"`
		}) (*struct{ Body *event.IngestResult }, error) {
			return ingest(ctx, event.FromBrowser, &batchInput{ContentType: "application/x-ndjson", RawBody: in.RawBody})
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-events", Method: http.MethodGet, Path: "/api/v1/events", Tags: tags,
		Summary: "List behaviour events",
		Description: "Newest first, with cursor pagination. A customer's events (those of customers merged into them included) or a browser's or device's are in the order they happened; " +
			"without customer_id or anonymous_id, every event (or every event of the types asked for) is listed in the order it arrived, latest first.",
		Metadata: perm(auth.PermEventRead)},
		func(ctx context.Context, in *struct {
			Cursor      string   `query:"cursor" doc:"next_cursor of the previous page"`
			Limit       int      `query:"limit" minimum:"1" maximum:"1000" default:"100"`
			CustomerID  string   `query:"customer_id"`
			AnonymousID string   `query:"anonymous_id"`
			Type        []string `query:"type,explode" doc:"Only these types"`
		}) (*struct{ Body EventPage }, error) {
			es, err := events()
			if err != nil {
				return nil, s.handlerError(err)
			}
			after, err := decodeCursor(in.Cursor)
			if err != nil {
				return nil, err
			}
			q := event.Query{AnonymousID: in.AnonymousID, After: after, Limit: in.Limit + 1}
			if in.CustomerID != "" {
				if _, err := s.Customers.GetCustomer(ctx, in.CustomerID); err != nil {
					return nil, s.handlerError(err)
				}
				q.CustomerIDs = []string{in.CustomerID}
			}
			for _, t := range in.Type {
				for _, one := range strings.Split(t, ",") {
					if one = strings.TrimSpace(one); one != "" {
						q.Types = append(q.Types, event.Type(one))
					}
				}
			}
			l, err := es.List(ctx, q)
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &struct{ Body EventPage }{}
			if len(l) > in.Limit {
				l = l[:in.Limit]
				out.Body.NextCursor = encodeCursor(q.Cursor(&l[len(l)-1]))
			}
			out.Body.Items = nonNil(l)
			if in.CustomerID != "" {
				s.auditRead(ctx, "customer.events.read", in.CustomerID, map[string]any{"count": len(l)})
			}
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-event-schemas", Method: http.MethodGet, Path: "/api/v1/events/schemas", Tags: tags,
		Summary:     "The event types and their properties",
		Description: "Each type with the properties it defines, their JSON kinds and which are required. Other properties are kept as sent, up to 8 KB an event."},
		func(ctx context.Context, _ *struct{}) (*struct{ Body []event.Schema }, error) {
			return &struct{ Body []event.Schema }{Body: event.Schemas}, nil
		})

	s.mux.HandleFunc("GET /t.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cross-Origin-Resource-Policy", "cross-origin")
		w.Write(trackingScript)
	})
}

// decodeEvents reads NDJSON or a JSON array of events. An item that is not
// a valid event is rejected by its place; only a body that cannot be split
// into items fails as a whole. lenient accepts unknown fields at the top
// level (a newer script sending to an older server).
func decodeEvents(contentType string, body []byte, lenient bool) ([]event.Event, map[int]event.Rejection, error) {
	raws, err := splitBatch(contentType, body, "events")
	if err != nil {
		return nil, nil, err
	}
	if len(raws) > event.MaxBatch {
		return nil, nil, kizuna.Errorf(kizuna.ETOOLARGE, "a batch holds at most %d events, got %d", event.MaxBatch, len(raws))
	}
	out := make([]event.Event, len(raws))
	bad := map[int]event.Rejection{}
	for i, raw := range raws {
		if len(raw) == 0 {
			bad[i] = event.Rejection{Reason: "empty line"}
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		if !lenient {
			dec.DisallowUnknownFields()
		}
		if err := dec.Decode(&out[i]); err != nil {
			field, reason := itemError(err, "event")
			bad[i] = event.Rejection{Field: field, Reason: reason}
		}
	}
	return out, bad, nil
}
