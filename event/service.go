package event

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/customer"
)

// Store is the storage events need.
type Store interface {
	// EventTx runs fn in one write transaction. The store may run fn with
	// other callers' functions in the same transaction, and again on its
	// own if the group failed, so fn must start from the same state each
	// time it runs.
	EventTx(ctx context.Context, fn func(Tx) error) error
	// Events lists events, newest first.
	Events(ctx context.Context, q Query) ([]Event, error)
	// Absorbed lists the customers merged into id, directly or through
	// others.
	Absorbed(ctx context.Context, id string) ([]string, error)
}

// Tx is what an ingest does inside its transaction.
type Tx interface {
	// Owners maps identity keys to the customers holding them.
	Owners(ctx context.Context, keys []string) (map[string][]string, error)
	// Survivors maps customer IDs to the active customer each is now.
	Survivors(ctx context.Context, ids []string) (map[string]string, error)
	KnownChannels(ctx context.Context, codes []string) (map[string]bool, error)
	KnownLocations(ctx context.Context, codes []string) (map[string]bool, error)
	// Links maps anonymous IDs to the customer each was last identified as.
	Links(ctx context.Context, anonymousIDs []string) (map[string]string, error)
	// Consented reports, of ids, the customers whose latest word on the
	// purpose is yes.
	Consented(ctx context.Context, ids []string, purpose string) (map[string]bool, error)
	// InsertEvents stores the rows whose IDs are new on their device and
	// reports how many it stored; an event already stored is skipped.
	InsertEvents(ctx context.Context, rows []Row) (int, error)
	// Link records that anonymousID is customerID from now on and gives the
	// customer the anonymous ID's events that have none; it returns how
	// many it gave.
	Link(ctx context.Context, anonymousID, customerID string, at time.Time) (int, error)
}

// Row is an event as stored: its properties already encoded.
type Row struct {
	*Event
	Props []byte
	// Device is the event's Device as it was sent, before its customer
	// was replaced by the one it was merged into.
	Device string
}

// Device names what an event's ID is unique within: the browser or app
// install (its anonymous ID), or, for a server that names only the
// customer, that customer. An ID sent again from the same device is the
// same event, stored once; two devices may use the same ID.
func (e *Event) Device() string {
	if e.AnonymousID != "" {
		return "a:" + e.AnonymousID
	}
	return "c:" + e.CustomerID
}

// Query selects events, newest first: a customer's or a device's by when
// they happened, and all of them (optionally by type) as they arrived, so
// that the feed of every event reads the newest rows of the table instead
// of sorting all of it.
type Query struct {
	CustomerIDs []string // any of these customers (one customer and those merged into it)
	AnonymousID string
	Types       []Type
	After       string // the previous page's last event's Cursor
	Limit       int
}

// ByArrival says whether q lists events in the order they arrived.
func (q *Query) ByArrival() bool { return len(q.CustomerIDs) == 0 && q.AnonymousID == "" }

// Cursor is the position after e in q's listing.
func (q *Query) Cursor(e *Event) string {
	if q.ByArrival() {
		return "#" + strconv.FormatInt(e.Seq, 10)
	}
	return kizuna.TimeCursor(e.At, e.ID)
}

// ParseArrivalCursor reads a Cursor of a ByArrival listing.
func ParseArrivalCursor(c string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimPrefix(c, "#"), 10, 64)
	if err != nil || !strings.HasPrefix(c, "#") || n < 0 {
		return 0, kizuna.FieldError("cursor", "is not a cursor of this listing")
	}
	return n, nil
}

// ConsentPurpose is the consent purpose that lets Kizuna tie behaviour to a
// person when consent is required.
const ConsentPurpose = "tracking"

// MaxBatch is the most events one ingest takes.
const MaxBatch = 10000

// Service ingests and lists events.
type Service struct {
	store Store
	now   func() time.Time
	// RequireConsent keeps behaviour anonymous unless the customer said
	// yes to ConsentPurpose: events of other customers are dropped, and
	// their sign-ins leave earlier anonymous events anonymous.
	RequireConsent bool
}

// NewService returns a service over store.
func NewService(store Store) *Service { return &Service{store: store, now: time.Now} }

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// Source says who sends a batch.
type Source int

// Sources.
const (
	// FromServer is an integration with an API key: it may say who the
	// customer is.
	FromServer Source = iota
	// FromBrowser is the tracking script with a publishable key: anyone can
	// send what it sends, so it may not name customers; the site's server
	// identifies the visitor after sign-in.
	FromBrowser
)

// Rejection is one event refused, by its place in the batch.
type Rejection struct {
	Index  int    `json:"index" doc:"The event's place in the batch, from 0 (its line, from 0, in NDJSON)"`
	ID     string `json:"id,omitempty"`
	Field  string `json:"field,omitempty" doc:"The JSON path of the field at fault"`
	Reason string `json:"reason"`
}

// IngestResult is what an ingest did.
type IngestResult struct {
	Received   int         `json:"received" doc:"Events in the batch"`
	Stored     int         `json:"stored" doc:"New events stored"`
	Duplicates int         `json:"duplicates" doc:"Events already stored under their ID from the same device (a retry): nothing changed"`
	Dropped    int         `json:"dropped" doc:"Events of customers who have not consented to tracking, when consent is required: not stored"`
	Stitched   int         `json:"stitched" doc:"Earlier anonymous events that sign-ins in this batch gave their customer"`
	Rejected   []Rejection `json:"rejected" doc:"Events refused, with the reason; the others are stored"`
}

// Ingest checks and stores a batch. A bad event is rejected with its
// index and reason and the others are stored; an event whose ID is stored
// already from the same device (Event.Device) is counted as a duplicate
// and changes nothing, so a batch may be sent again after a lost answer. Only a storage failure fails the batch,
// and then nothing of it is stored.
func (s *Service) Ingest(ctx context.Context, source Source, events []Event) (*IngestResult, error) {
	if len(events) > MaxBatch {
		return nil, kizuna.Errorf(kizuna.EINVALID, "a batch holds at most %d events, got %d", MaxBatch, len(events))
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	res := &IngestResult{Received: len(events), Rejected: []Rejection{}}
	reject := func(i int, err error) {
		r := Rejection{Index: i, ID: events[i].ID, Reason: err.Error()}
		var ke *kizuna.Error
		if errors.As(err, &ke) && ke.Field != "" {
			r.Field, r.Reason = ke.Field, ke.Message
		}
		res.Rejected = append(res.Rejected, r)
	}
	type pending struct {
		i      int
		props  []byte
		device string
	}
	var good []pending
	seen := make(map[string]bool, len(events))
	for i := range events {
		e := &events[i]
		err := e.normalize(now)
		if err == nil && source == FromBrowser && (e.CustomerID != "" || e.Type == Identify) {
			err = kizuna.FieldError("customer_id", "the tracking script may not say who the visitor is: send identify from your server with an API key")
		}
		if err != nil {
			reject(i, err)
			continue
		}
		device := e.Device()
		if seen[device+"\x00"+e.ID] {
			res.Duplicates++
			continue
		}
		seen[device+"\x00"+e.ID] = true
		var props []byte
		if len(e.Properties) > 0 {
			props, err = json.Marshal(e.Properties)
			if err != nil {
				reject(i, kizuna.FieldError("properties", "%v", err))
				continue
			}
			if len(props) > maxPropsLen {
				reject(i, kizuna.FieldError("properties", "are %d bytes encoded; at most %d", len(props), maxPropsLen))
				continue
			}
		}
		e.ReceivedAt = now
		good = append(good, pending{i, props, device})
	}
	if len(good) == 0 {
		SortRejections(res.Rejected)
		return res, nil
	}
	// The transaction may run more than once (Store.EventTx): each run
	// starts from the batch as it was checked.
	sent := make([]string, len(good))
	for k, p := range good {
		sent[k] = events[p.i].CustomerID
	}
	checked, dups := len(res.Rejected), res.Duplicates
	err := s.store.EventTx(ctx, func(tx Tx) error {
		for k, p := range good {
			events[p.i].CustomerID = sent[k]
		}
		res.Rejected, res.Duplicates = res.Rejected[:checked], dups
		res.Stored, res.Dropped, res.Stitched = 0, 0, 0
		var channels, stores, ids, anon []string
		var keys []string
		for _, p := range good {
			e := &events[p.i]
			if e.Channel != "" {
				channels = append(channels, e.Channel)
			}
			if e.Type == StoreVisit {
				if code, ok := e.Properties["store"].(string); ok {
					stores = append(stores, code)
				}
			}
			if e.CustomerID != "" {
				ids = append(ids, e.CustomerID)
			}
			if e.AnonymousID != "" {
				anon = append(anon, e.AnonymousID)
			}
			if e.Identity != nil {
				keys = append(keys, e.Identity.Keys(e.Channel)...)
			}
		}
		knownChannels, err := tx.KnownChannels(ctx, uniq(channels))
		if err != nil {
			return err
		}
		knownStores, err := tx.KnownLocations(ctx, uniq(stores))
		if err != nil {
			return err
		}
		owners, err := tx.Owners(ctx, uniq(keys))
		if err != nil {
			return err
		}
		links, err := tx.Links(ctx, uniq(anon))
		if err != nil {
			return err
		}
		for _, c := range links {
			ids = append(ids, c)
		}
		for _, cs := range owners {
			ids = append(ids, cs...)
		}
		survivors, err := tx.Survivors(ctx, uniq(ids))
		if err != nil {
			return err
		}
		// Who each event is, first the sign-ins: a sign-in anywhere in the
		// batch names the anonymous ID's events before and after it.
		newLinks := map[string]string{}
		var keep []pending
		for _, p := range good {
			e := &events[p.i]
			if e.Channel != "" && !knownChannels[e.Channel] {
				reject(p.i, kizuna.FieldError("channel", "unknown channel %q", e.Channel))
				continue
			}
			if e.Type == StoreVisit && !knownStores[e.Properties["store"].(string)] {
				reject(p.i, kizuna.FieldError("properties.store", "unknown store %q", e.Properties["store"]))
				continue
			}
			if e.CustomerID != "" {
				id, ok := survivors[e.CustomerID]
				if !ok {
					reject(p.i, kizuna.FieldError("customer_id", "unknown customer %s", e.CustomerID))
					continue
				}
				e.CustomerID = id
			}
			if e.Identity != nil {
				named := commerce.PickCustomer(e.Identity.Keys(e.Channel), func(k string) []string { return owners[k] })
				named = survivors[named]
				switch {
				case named == "":
					reject(p.i, kizuna.FieldError("identity", "names no single customer yet: send the customer first, then identify again"))
					continue
				case e.CustomerID != "" && named != e.CustomerID:
					reject(p.i, kizuna.FieldError("identity", "names customer %s, not customer_id %s", named, e.CustomerID))
					continue
				}
				e.CustomerID = named
			}
			if e.CustomerID != "" && e.AnonymousID != "" {
				newLinks[e.AnonymousID] = e.CustomerID
			}
			keep = append(keep, p)
		}
		for _, p := range keep {
			e := &events[p.i]
			if e.CustomerID == "" && e.AnonymousID != "" {
				if c := newLinks[e.AnonymousID]; c != "" {
					e.CustomerID = c
				} else if c := survivors[links[e.AnonymousID]]; c != "" {
					e.CustomerID = c
				}
			}
		}
		consented := map[string]bool{}
		if s.RequireConsent {
			var who []string
			for _, p := range keep {
				if c := events[p.i].CustomerID; c != "" {
					who = append(who, c)
				}
			}
			if consented, err = tx.Consented(ctx, uniq(who), ConsentPurpose); err != nil {
				return err
			}
		}
		rows := make([]Row, 0, len(keep))
		for _, p := range keep {
			e := &events[p.i]
			if s.RequireConsent && e.CustomerID != "" && !consented[e.CustomerID] {
				if e.AnonymousID != "" && e.Type != Identify && newLinks[e.AnonymousID] == "" && links[e.AnonymousID] != "" {
					// Known only through an earlier sign-in: without
					// consent the event stays anonymous.
					e.CustomerID = ""
				} else {
					res.Dropped++
					delete(newLinks, e.AnonymousID)
					continue
				}
			}
			rows = append(rows, Row{Event: e, Props: p.props, Device: p.device})
		}
		n, err := tx.InsertEvents(ctx, rows)
		if err != nil {
			return err
		}
		res.Stored = n
		res.Duplicates += len(rows) - n
		for _, a := range slices.Sorted(maps.Keys(newLinks)) {
			if s.RequireConsent && !consented[newLinks[a]] {
				continue
			}
			if survivors[links[a]] == newLinks[a] {
				continue // known already: its events were given the customer as they came
			}
			k, err := tx.Link(ctx, a, newLinks[a], now)
			if err != nil {
				return err
			}
			res.Stitched += k
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store events: %w", err)
	}
	SortRejections(res.Rejected)
	return res, nil
}

// List returns events, newest first. Events of a customer include those of
// the customers merged into it.
func (s *Service) List(ctx context.Context, q Query) ([]Event, error) {
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 100
	}
	if len(q.CustomerIDs) == 1 {
		merged, err := s.store.Absorbed(ctx, q.CustomerIDs[0])
		if err != nil {
			return nil, err
		}
		q.CustomerIDs = append(q.CustomerIDs, merged...)
	}
	for _, t := range q.Types {
		if _, ok := SchemaOf(t); !ok {
			return nil, kizuna.FieldError("type", "unknown event type %q", t)
		}
	}
	return s.store.Events(ctx, q)
}

// SortRejections orders rejections by their place in the batch.
func SortRejections(r []Rejection) {
	slices.SortFunc(r, func(a, b Rejection) int { return a.Index - b.Index })
}

func uniq(s []string) []string { return slices.Compact(slices.Sorted(slices.Values(s))) }

// ConsentedTo reports whether the customer's latest word on purpose, on
// any channel, is yes.
func ConsentedTo(c *customer.Customer, purpose string) bool {
	if c.Status != customer.StatusActive {
		return false
	}
	var latest *customer.Consent
	for i, k := range c.Profile.Consents {
		if k.Purpose == purpose && (latest == nil || k.At.After(latest.At)) {
			latest = &c.Profile.Consents[i]
		}
	}
	return latest != nil && latest.Granted
}
