package commerce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/audit"
)

// OrderStore is the storage orders need.
type OrderStore interface {
	// OrderTx runs fn in one write transaction.
	OrderTx(ctx context.Context, fn func(OrderTx) error) error
	// Order is one order by ID (ENOTFOUND when there is none).
	Order(ctx context.Context, id string) (*Order, error)
	// OrderByRef is one order by its channel's order number.
	OrderByRef(ctx context.Context, ref OrderRef) (*Order, error)
	// Orders lists orders, newest first.
	Orders(ctx context.Context, q OrderQuery) ([]Order, error)
	// HasGuestOrders reports whether any order waits for its customer.
	HasGuestOrders(ctx context.Context) (bool, error)
}

// OrderTx is what an order change does inside its transaction.
type OrderTx interface {
	// OrdersByRef returns the stored orders among refs.
	OrdersByRef(ctx context.Context, refs []OrderRef) (map[OrderRef]*Order, error)
	// LockOrder reads an order for update (ENOTFOUND when there is none).
	LockOrder(ctx context.Context, id string) (*Order, error)
	// Owners maps identity keys to the customers holding them.
	Owners(ctx context.Context, keys []string) (map[string][]string, error)
	// Survivors maps customer IDs to the active customer each is now:
	// itself, or the customer it was merged into. Unknown and erased
	// customers are missing.
	Survivors(ctx context.Context, ids []string) (map[string]string, error)
	// KnownChannels reports which codes are channels.
	KnownChannels(ctx context.Context, codes []string) (map[string]bool, error)
	// KnownLocations reports which codes are stores or warehouses.
	KnownLocations(ctx context.Context, codes []string) (map[string]bool, error)
	// InsertOrders stores new orders with their lines; a guest order's
	// identity keys are kept so it can be attached later.
	InsertOrders(ctx context.Context, orders []*Order, guestKeys map[string][]string) error
	// UpdateOrders replaces orders; the lines of those in lines are
	// rewritten, and the guest keys of those in keys replaced (an empty
	// list removes them: the order found its customer).
	UpdateOrders(ctx context.Context, orders []*Order, lines map[string]bool, keys map[string][]string) error
	// GuestOrdersByKeys returns the guest orders holding any of keys, each
	// with all its keys.
	GuestOrdersByKeys(ctx context.Context, keys []string) (map[string][]string, error)
	// AllGuestKeys returns every guest order with its keys.
	AllGuestKeys(ctx context.Context) (map[string][]string, error)
	// AttachOrder gives a guest order its customer and forgets its keys.
	AttachOrder(ctx context.Context, orderID, customerID string) error
	Audit(ctx context.Context, entries ...audit.Entry) error
}

// OrderQuery selects orders, newest first.
type OrderQuery struct {
	CustomerID string
	Channel    string
	Status     OrderStatus
	Guest      bool   // only orders without a customer
	After      string // the last order's Cursor on the previous page
	Limit      int
}

// Cursor is the position after o in the newest-first order listing.
func (o *Order) Cursor() string { return kizuna.TimeCursor(o.PlacedAt, o.ID) }

// MaxOrderBatch is the most orders one call may send.
const MaxOrderBatch = 10000

// Order results in a batch's answer.
const (
	OrderCreated   = "created"
	OrderUpdated   = "updated"
	OrderUnchanged = "unchanged"
	OrderRejected  = "rejected"
)

// OrderResult says what became of one order of a batch.
type OrderResult struct {
	Index         int    `json:"index"`
	Status        string `json:"status" enum:"created,updated,unchanged,rejected"`
	OrderID       string `json:"order_id,omitempty"`
	CustomerID    string `json:"customer_id,omitempty" doc:"Absent for a guest order: no identifier named exactly one customer"`
	OrderStatus   string `json:"order_status,omitempty" doc:"The order's status after the call"`
	Field         string `json:"field,omitempty" doc:"For a rejected order: the field at fault"`
	Reason        string `json:"reason,omitempty"`
	CurrentStatus string `json:"current_status,omitempty" doc:"For an order rejected by an invalid status change: its status now"`
	Code          string `json:"-"` // the rejection's error code
}

// Orders keeps the orders of every channel.
type Orders struct {
	store   OrderStore
	now     func() time.Time
	changed func() // told after orders were created or changed
}

// OnChanged registers fn to be called after a call created or changed
// orders (the points ledger settles them). fn must return at once.
func (os *Orders) OnChanged(fn func()) { os.changed = fn }

func (os *Orders) notify() {
	if os.changed != nil {
		os.changed()
	}
}

// NewOrders returns the order book on store.
func NewOrders(store OrderStore) *Orders { return &Orders{store: store, now: time.Now} }

// SetClock replaces the clock (tests, demo data written in the past).
func (os *Orders) SetClock(now func() time.Time) { os.now = now }

// Upsert creates or updates orders by their natural key, channel and the
// channel's order number, in one transaction: re-sending an order updates
// it and never doubles it, and sending it unchanged changes nothing. The
// customer is found from the identifiers on the order; when none names
// exactly one customer the order is kept as a guest order, attached when
// its identity resolves later (AttachGuests). An order that is invalid,
// or moves its status backwards, is rejected with the reason, and the
// others are stored.
//
// allowed limits the channels the caller may write for (an API key bound
// to channels); nil allows all.
func (os *Orders) Upsert(ctx context.Context, actor kizuna.Actor, allowed []string, orders []Order) ([]OrderResult, error) {
	if len(orders) > MaxOrderBatch {
		return nil, kizuna.Errorf(kizuna.ETOOLARGE, "a call sends at most %d orders, got %d", MaxOrderBatch, len(orders))
	}
	now := os.now().UTC().Truncate(time.Microsecond)
	results := make([]OrderResult, len(orders))
	reject := func(i int, err error) {
		results[i] = OrderResult{Index: i, Status: OrderRejected, Field: kizuna.ErrorField(err), Reason: kizuna.ErrorMessage(err), CurrentStatus: kizuna.ErrorCurrent(err), Code: kizuna.ErrorCode(err)}
	}
	var refs []OrderRef
	var keys, ids, stores, channels []string
	for i := range orders {
		o := &orders[i]
		results[i] = OrderResult{Index: i}
		if err := o.normalize(now); err != nil {
			reject(i, err)
			continue
		}
		if allowed != nil && !slices.Contains(allowed, o.Channel) {
			reject(i, &kizuna.Error{Code: kizuna.EFORBIDDEN, Field: "channel", Message: fmt.Sprintf("this API key may not write for channel %q", o.Channel)})
			continue
		}
		channels = append(channels, o.Channel)
		refs = append(refs, o.Ref())
		keys = append(keys, o.Customer.Keys(o.Channel)...)
		if o.Customer.ID != "" {
			ids = append(ids, o.Customer.ID)
		}
		if o.Store != "" {
			stores = append(stores, o.Store)
		}
	}
	if len(refs) == 0 {
		return results, nil
	}
	counts := map[string]int{}
	checked := slices.Clone(results)
	attempt := func(tx OrderTx) error {
		// A retry starts again from the checked input.
		copy(results, checked)
		clear(counts)
		stored, err := tx.OrdersByRef(ctx, refs)
		if err != nil {
			return err
		}
		owners, err := tx.Owners(ctx, uniq(keys))
		if err != nil {
			return err
		}
		survivors, err := tx.Survivors(ctx, uniq(ids))
		if err != nil {
			return err
		}
		places, err := tx.KnownLocations(ctx, uniq(stores))
		if err != nil {
			return err
		}
		known, err := tx.KnownChannels(ctx, uniq(channels))
		if err != nil {
			return err
		}
		var fresh, updated []*Order
		guestKeys := map[string][]string{} // guest orders' keys, new or replaced
		linesChanged := map[string]bool{}  // updated orders whose lines are rewritten
		writing := map[string]bool{}       // orders already to be inserted or updated
		for i := range orders {
			o, r := &orders[i], &results[i]
			if r.Status == OrderRejected {
				continue
			}
			if !known[o.Channel] {
				reject(i, kizuna.FieldError("channel", "unknown channel %q; GET /api/v1/channels lists them", o.Channel))
				continue
			}
			if o.Store != "" && !places[o.Store] {
				reject(i, kizuna.FieldError("store", "no store or warehouse with code %q (GET /api/v1/stores)", o.Store))
				continue
			}
			if o.Customer.ID != "" && survivors[o.Customer.ID] == "" {
				reject(i, kizuna.FieldError("customer.id", "no customer %s", o.Customer.ID))
				continue
			}
			if old := stored[o.Ref()]; old != nil {
				wasGuest := old.CustomerID == ""
				changed, lines, err := os.update(actor, old, o, survivors, owners, now)
				if err != nil {
					reject(i, err)
					continue
				}
				r.Status = OrderUnchanged
				if changed {
					r.Status = OrderUpdated
				}
				r.OrderID, r.CustomerID, r.OrderStatus = old.ID, old.CustomerID, string(old.Status)
				if !changed {
					counts[r.Status]++
					continue
				}
				if wasGuest {
					guestKeys[old.ID] = nil
					if old.CustomerID == "" {
						guestKeys[old.ID] = old.Customer.Keys(old.Channel)
					}
				}
				// An order sent earlier in this batch is inserted as it is now.
				if !writing[old.ID] {
					writing[old.ID] = true
					updated = append(updated, old)
				}
				linesChanged[old.ID] = linesChanged[old.ID] || lines
				counts[r.Status]++
				continue
			}
			o.ID, o.Version, o.CreatedAt, o.UpdatedAt = kizuna.NewID("ord"), 1, now, now
			o.History = []StatusChange{{Status: o.Status, At: now, ActorID: actor.ID}}
			o.Returns = nil
			for j := range o.Lines {
				o.Lines[j].Returned = 0
			}
			o.CustomerID = survivors[o.Customer.ID]
			if o.CustomerID == "" {
				o.CustomerID = PickCustomer(o.Customer.Keys(o.Channel), func(k string) []string { return owners[k] })
			}
			if o.CustomerID == "" {
				if ks := o.Customer.Keys(o.Channel); len(ks) > 0 {
					guestKeys[o.ID] = ks
				}
			}
			fresh = append(fresh, o)
			writing[o.ID] = true
			stored[o.Ref()] = o // the same order twice in a batch: the second updates the first
			*r = OrderResult{Index: i, Status: OrderCreated, OrderID: o.ID, CustomerID: o.CustomerID, OrderStatus: string(o.Status)}
			counts[OrderCreated]++
		}
		if err := tx.InsertOrders(ctx, fresh, guestKeys); err != nil {
			return err
		}
		if err := tx.UpdateOrders(ctx, updated, linesChanged, guestKeys); err != nil {
			return err
		}
		if counts[OrderCreated]+counts[OrderUpdated] == 0 {
			return nil
		}
		// Channels send thousands of orders a minute: the batch is
		// audited, not each order (status changes by staff are).
		return tx.Audit(ctx, audit.New(actor, now, "order.batch", "order", "", "", map[string]any{
			"created": counts[OrderCreated], "updated": counts[OrderUpdated], "unchanged": counts[OrderUnchanged]}))
	}
	var err error
	for try := 0; try < 5; try++ {
		// Two writers sending the same new order at once: one stores it,
		// the other fails on the natural key and, retried, updates it.
		if err = os.store.OrderTx(ctx, attempt); !errors.Is(err, ErrOrderRace) {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	if counts[OrderCreated]+counts[OrderUpdated] > 0 {
		os.notify()
	}
	return results, nil
}

// ErrOrderRace is a store's answer when another transaction stored one of
// a batch's new orders first; the batch is then tried again.
var ErrOrderRace = errors.New("another writer stored one of the orders meanwhile")

// update applies a resent order to the stored one (in memory) and reports
// whether anything changed, and whether its lines did. An error is the
// order's rejection.
func (os *Orders) update(actor kizuna.Actor, old, in *Order, survivors map[string]string, owners map[string][]string, now time.Time) (changed, lines bool, err error) {
	if !old.Status.CanBecome(in.Status) {
		return false, false, transitionError(old.ID, old.Status, in.Status)
	}
	next := *old
	next.Customer, next.Store, next.PlacedAt, next.Currency = in.Customer, in.Store, in.PlacedAt, in.Currency
	next.Discount, next.ShippingFee, next.Total, next.Tax, next.TaxByRate, next.PointsUsed, next.Payments = in.Discount, in.ShippingFee, in.Total, in.Tax, in.TaxByRate, in.PointsUsed, in.Payments
	next.Status = in.Status
	returned := map[int]OrderLine{}
	for _, l := range old.Lines {
		if l.Returned > 0 {
			returned[l.Line] = l
		}
	}
	next.Lines = slices.Clone(in.Lines)
	for i := range next.Lines {
		l := &next.Lines[i]
		l.Returned = 0
		if r, ok := returned[l.Line]; ok {
			if r.SKU != l.SKU || l.Quantity < r.Returned {
				return false, false, kizuna.FieldError(fmt.Sprintf("lines[%d]", i), "%d units of line %d (%s) were returned: the line cannot become %d of %s", r.Returned, r.Line, r.SKU, l.Quantity, l.SKU)
			}
			l.Returned = r.Returned
			delete(returned, l.Line)
		}
	}
	for _, r := range returned {
		return false, false, kizuna.FieldError("lines", "%d units of line %d (%s) were returned: the line cannot be dropped", r.Returned, r.Line, r.SKU)
	}
	next.Shipments = slices.Clone(old.Shipments)
	for _, s := range in.Shipments {
		if j := slices.IndexFunc(next.Shipments, func(x Shipment) bool { return x.ID == s.ID }); j >= 0 {
			next.Shipments[j] = s
		} else {
			next.Shipments = append(next.Shipments, s)
		}
	}
	if in.Billing != nil {
		next.Billing = in.Billing
	}
	if next.CustomerID == "" {
		next.CustomerID = survivors[in.Customer.ID]
		if next.CustomerID == "" {
			next.CustomerID = PickCustomer(in.Customer.Keys(in.Channel), func(k string) []string { return owners[k] })
		}
	}
	if sameOrder(old, &next) {
		return false, false, nil
	}
	// Lines carry the customer ID too (analytics reads them alone).
	lines = next.CustomerID != old.CustomerID || !sameJSON(next.Lines, old.Lines)
	if next.Status != old.Status {
		next.History = append(slices.Clone(old.History), StatusChange{Status: next.Status, At: now, ActorID: actor.ID})
	}
	next.Version++
	next.UpdatedAt = now
	*old = next
	return true, lines, nil
}

// sameOrder reports whether two versions of an order say the same.
func sameOrder(a, b *Order) bool {
	// The tax is worked out from the lines, the discount and the shipping
	// fee, which are compared; an order stored before the tax was counted
	// per rate, sent again as it was, is unchanged.
	strip := func(o Order) Order {
		o.Version, o.UpdatedAt, o.History = 0, time.Time{}, nil
		o.Tax, o.TaxByRate = 0, nil
		return o
	}
	return sameJSON(strip(*a), strip(*b))
}

func uniq(s []string) []string { return slices.Compact(slices.Sorted(slices.Values(s))) }

// Order is one order by ID.
func (os *Orders) Order(ctx context.Context, id string) (*Order, error) {
	o, err := os.store.Order(ctx, id)
	return os.present(o), err
}

// OrderByRef is one order by its channel's order number.
func (os *Orders) OrderByRef(ctx context.Context, ref OrderRef) (*Order, error) {
	o, err := os.store.OrderByRef(ctx, ref)
	return os.present(o), err
}

// present fills in what is derived when an order is read: an invoice past
// its due date is overdue.
func (os *Orders) present(o *Order) *Order {
	if o != nil && o.Billing != nil {
		o.Billing.Status = o.Billing.Effective(os.now())
	}
	return o
}

// List lists orders, newest first.
func (os *Orders) List(ctx context.Context, q OrderQuery) ([]Order, error) {
	if q.Limit <= 0 || q.Limit > 1001 {
		q.Limit = 100
	}
	if q.Status != "" && !q.Status.Valid() {
		return nil, kizuna.FieldError("query.status", "unknown status %q", q.Status)
	}
	list, err := os.store.Orders(ctx, q)
	for i := range list {
		os.present(&list[i])
	}
	return list, err
}

// change locks an order, lets fn change it, and saves and audits it when
// fn reports a change.
func (os *Orders) change(ctx context.Context, actor kizuna.Actor, id, action string, fn func(o *Order, now time.Time) (changed bool, detail map[string]any, err error)) (*Order, error) {
	now := os.now().UTC().Truncate(time.Microsecond)
	var out *Order
	err := os.store.OrderTx(ctx, func(tx OrderTx) error {
		o, err := tx.LockOrder(ctx, id)
		if err != nil {
			return err
		}
		before := o.Status
		changed, detail, err := fn(o, now)
		if err != nil || !changed {
			out = o
			return err
		}
		if o.Status != before {
			reason, _ := detail["reason"].(string)
			o.History = append(o.History, StatusChange{Status: o.Status, At: now, ActorID: actor.ID, Reason: reason})
			detail["from"], detail["to"] = before, o.Status
		}
		o.Version++
		o.UpdatedAt = now
		if err := tx.UpdateOrders(ctx, []*Order{o}, map[string]bool{o.ID: true}, nil); err != nil {
			return err
		}
		out = o
		return tx.Audit(ctx, audit.New(actor, now, action, "order", o.ID, o.CustomerID, detail))
	})
	if err != nil {
		return nil, err
	}
	os.notify()
	return os.present(out), nil
}

// SetStatus moves an order to status. An invalid move is a conflict that
// says the order's current status; moving to the status it has changes
// nothing.
func (os *Orders) SetStatus(ctx context.Context, actor kizuna.Actor, id string, status OrderStatus, reason string) (*Order, error) {
	if !status.Valid() {
		return nil, kizuna.FieldError("status", "unknown status %q: one of placed, paid, shipped, delivered, cancelled, returned", status)
	}
	if status == OrderReturned {
		return nil, kizuna.FieldError("status", "an order becomes returned by its returns: POST /api/v1/orders/{id}/returns")
	}
	return os.change(ctx, actor, id, "order.status", func(o *Order, now time.Time) (bool, map[string]any, error) {
		if !o.Status.CanBecome(status) {
			return false, nil, transitionError(o.ID, o.Status, status)
		}
		if o.Status == status {
			return false, nil, nil
		}
		o.Status = status
		return true, map[string]any{"reason": strings.TrimSpace(reason)}, nil
	})
}

// AddShipment records a parcel (or updates it, by its ID). The order
// becomes shipped, or delivered when the parcel was.
func (os *Orders) AddShipment(ctx context.Context, actor kizuna.Actor, id string, s Shipment) (*Order, error) {
	if err := s.normalize(""); err != nil {
		return nil, err
	}
	return os.change(ctx, actor, id, "order.shipment", func(o *Order, now time.Time) (bool, map[string]any, error) {
		if o.Status == OrderCancelled {
			e := kizuna.Errorf(kizuna.ECONFLICT, "order %s was cancelled: nothing ships", o.ID)
			e.Current = string(o.Status)
			return false, nil, e
		}
		j := slices.IndexFunc(o.Shipments, func(x Shipment) bool { return x.ID == s.ID })
		if j >= 0 && sameJSON(o.Shipments[j], s) {
			return false, nil, nil
		}
		if j >= 0 {
			o.Shipments[j] = s
		} else {
			o.Shipments = append(o.Shipments, s)
		}
		next := OrderShipped
		if s.DeliveredAt != nil {
			next = OrderDelivered
		}
		if !o.Status.Final() && o.Status.step() < next.step() {
			o.Status = next
		}
		return true, map[string]any{"shipment_id": s.ID, "carrier": s.Carrier, "tracking_number": s.TrackingNumber}, nil
	})
}

// AddReturn takes back units of an order's lines. A return's ID makes it
// idempotent: sent again, it is not applied twice (repeated is true). When
// every unit has come back the order is returned.
func (os *Orders) AddReturn(ctx context.Context, actor kizuna.Actor, id string, r Return) (o *Order, repeated bool, err error) {
	r.ID, r.Reason = strings.TrimSpace(r.ID), strings.TrimSpace(r.Reason)
	switch {
	case r.ID == "":
		return nil, false, kizuna.FieldError("id", "is required: a return ID of yours, so that a retry is not applied twice")
	case len(r.Lines) == 0:
		return nil, false, kizuna.FieldError("lines", "name at least one line")
	}
	o, err = os.change(ctx, actor, id, "order.return", func(o *Order, now time.Time) (bool, map[string]any, error) {
		if slices.ContainsFunc(o.Returns, func(x Return) bool { return x.ID == r.ID }) {
			repeated = true
			return false, nil, nil
		}
		if r.At.IsZero() {
			r.At = now
		}
		r.At = r.At.UTC().Truncate(time.Microsecond)
		if err := o.applyReturn(&r); err != nil {
			return false, nil, err
		}
		if bought, back := o.Units(); back == bought {
			o.Status = OrderReturned
		}
		return true, map[string]any{"return_id": r.ID, "refund": r.Refund, "reason": r.Reason}, nil
	})
	return o, repeated, err
}

// SetBilling records an order's invoice (catalog and mail order).
func (os *Orders) SetBilling(ctx context.Context, actor kizuna.Actor, id string, b Billing) (*Order, error) {
	if err := b.normalize(""); err != nil {
		return nil, err
	}
	return os.change(ctx, actor, id, "order.billing", func(o *Order, now time.Time) (bool, map[string]any, error) {
		if o.Billing != nil && sameJSON(*o.Billing, b) {
			return false, nil, nil
		}
		o.Billing = &b
		return true, map[string]any{"billing_status": b.Status, "amount": b.Amount, "due_date": b.DueDate}, nil
	})
}

// AttachGuests gives guest orders holding any of keys their customer,
// when an identifier now names exactly one (after an import or a new
// source record). With no keys, every guest order is tried. It returns
// how many orders were attached.
func (os *Orders) AttachGuests(ctx context.Context, actor kizuna.Actor, keys []string) (int, error) {
	waiting, err := os.store.HasGuestOrders(ctx)
	if err != nil || !waiting {
		return 0, err
	}
	now := os.now().UTC().Truncate(time.Microsecond)
	attached := 0
	err = os.store.OrderTx(ctx, func(tx OrderTx) error {
		var guests map[string][]string
		var err error
		if keys == nil {
			guests, err = tx.AllGuestKeys(ctx)
		} else {
			guests, err = tx.GuestOrdersByKeys(ctx, uniq(keys))
		}
		if err != nil || len(guests) == 0 {
			return err
		}
		var all []string
		for _, ks := range guests {
			all = append(all, ks...)
		}
		owners, err := tx.Owners(ctx, uniq(all))
		if err != nil {
			return err
		}
		ids := make([]string, 0, len(guests))
		for id := range guests {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			cust := PickCustomer(guests[id], func(k string) []string { return owners[k] })
			if cust == "" {
				continue
			}
			if err := tx.AttachOrder(ctx, id, cust); err != nil {
				return err
			}
			attached++
			if err := tx.Audit(ctx, audit.New(actor, now, "order.attach", "order", id, cust, map[string]any{"customer_id": cust})); err != nil {
				return err
			}
		}
		return nil
	})
	return attached, err
}

func sameJSON(a, b any) bool {
	x, errA := json.Marshal(a)
	y, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(x) == string(y)
}
