package commerce

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// OrderStatus is where an order is in its life.
type OrderStatus string

// Order statuses. The main line runs placed → paid → shipped → delivered;
// a step may be skipped (a till sale is delivered when it is paid, a
// catalog order paid on invoice is delivered before it is paid, which its
// billing records). An order is cancelled before it ships and returned
// after; both end its life.
const (
	OrderPlaced    OrderStatus = "placed"
	OrderPaid      OrderStatus = "paid"
	OrderShipped   OrderStatus = "shipped"
	OrderDelivered OrderStatus = "delivered"
	OrderCancelled OrderStatus = "cancelled"
	OrderReturned  OrderStatus = "returned"
)

// OrderStatuses lists the statuses in lifecycle order.
var OrderStatuses = []OrderStatus{OrderPlaced, OrderPaid, OrderShipped, OrderDelivered, OrderCancelled, OrderReturned}

func (s OrderStatus) step() int {
	switch s {
	case OrderPlaced:
		return 0
	case OrderPaid:
		return 1
	case OrderShipped:
		return 2
	case OrderDelivered:
		return 3
	}
	return -1
}

// Valid reports whether s is a status.
func (s OrderStatus) Valid() bool { return slices.Contains(OrderStatuses, s) }

// Final reports whether nothing can follow s.
func (s OrderStatus) Final() bool { return s == OrderCancelled || s == OrderReturned }

// CanBecome reports whether an order in status s may move to next. Staying
// put is allowed (a resent order). The main line only moves forward; an
// order can be cancelled until it ships and returned once it has.
func (s OrderStatus) CanBecome(next OrderStatus) bool {
	switch {
	case s == next:
		return true
	case s.Final():
		return false
	case next == OrderCancelled:
		return s.step() < OrderShipped.step()
	case next == OrderReturned:
		return s.step() >= OrderShipped.step()
	}
	return next.step() > s.step()
}

// Transition is an invalid move's error: a conflict that says the state
// the order is in.
func transitionError(id string, from, to OrderStatus) error {
	e := kizuna.Errorf(kizuna.ECONFLICT, "order %s is %s and cannot become %s", id, from, to)
	e.Field, e.Current = "status", string(from)
	return e
}

// OrderCustomer is who placed an order, as the channel knows them. Kizuna
// finds the customer from these: its own ID when the channel has it, else
// the channel's member ID, the member card, the email or the phone.
type OrderCustomer struct {
	ID         string `json:"id,omitempty" doc:"Kizuna's customer ID, when the channel knows it"`
	AccountID  string `json:"account_id,omitempty" doc:"The channel's own member ID (the source record's external_id)"`
	MemberCard string `json:"member_card,omitempty"`
	Email      string `json:"email,omitempty"`
	Phone      string `json:"phone,omitempty"`
}

// OrderLine is one product on an order. Prices are tax-inclusive (税込),
// in the order's currency's minor units.
type OrderLine struct {
	Line      int     `json:"line" required:"false" doc:"The line's number on the order, from 1; given or numbered in order"`
	SKU       string  `json:"sku"`
	Name      string  `json:"name,omitempty" doc:"As printed on the receipt; the catalog's name when omitted"`
	Quantity  int64   `json:"quantity"`
	UnitPrice int64   `json:"unit_price" doc:"Tax-inclusive price of one unit"`
	Discount  int64   `json:"discount,omitempty" doc:"Tax-inclusive discount on the line (a coupon, a markdown)"`
	TaxRate   TaxRate `json:"tax_rate" doc:"Percent: 10, 8 or 0"`
	Amount    int64   `json:"amount" readOnly:"true" required:"false" doc:"quantity × unit_price − discount"`
	Tax       int64   `json:"tax" readOnly:"true" required:"false" doc:"The consumption tax in amount, rounded down: for the line's own display; the order's tax is counted per rate (tax_by_rate)"`
	Returned  int64   `json:"returned_quantity" readOnly:"true" required:"false" doc:"Units returned so far"`
}

// Payment is how part of an order was paid.
type Payment struct {
	Method string `json:"method" doc:"cash, credit_card, debit_card, e_money, qr, convenience_store, bank_transfer, cash_on_delivery, invoice, gift_card, other" example:"credit_card"`
	Amount int64  `json:"amount"`
}

// PaymentMethods are the accepted payment methods.
var PaymentMethods = []string{"cash", "credit_card", "debit_card", "e_money", "qr", "convenience_store", "bank_transfer", "cash_on_delivery", "invoice", "gift_card", "other"}

// Shipment is a parcel sent for an order.
type Shipment struct {
	ID             string     `json:"id" doc:"The caller's shipment ID; sending it again updates it"`
	Carrier        string     `json:"carrier,omitempty" example:"yamato"`
	TrackingNumber string     `json:"tracking_number,omitempty"`
	ShippedAt      time.Time  `json:"shipped_at"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
}

// Billing statuses (請求) for orders paid on invoice: catalog and mail
// order. Overdue is not stored: a billed invoice past its due date is
// overdue.
const (
	BillingBilled  = "billed"
	BillingPaid    = "paid"
	BillingOverdue = "overdue"
)

// Billing is an order's invoice.
type Billing struct {
	Status   string     `json:"status" doc:"overdue is reported, not set: a billed invoice past its due date"`
	Amount   int64      `json:"amount"`
	BilledAt time.Time  `json:"billed_at"`
	DueDate  string     `json:"due_date" doc:"YYYY-MM-DD, Japan time" example:"2026-12-31"`
	PaidAt   *time.Time `json:"paid_at,omitempty"`
}

// Effective is the billing status at now: billed turns overdue after the
// due date (Japan time).
func (b Billing) Effective(now time.Time) string {
	if b.Status == BillingBilled && b.DueDate < now.In(kizuna.Tokyo).Format(time.DateOnly) {
		return BillingOverdue
	}
	return b.Status
}

// Return is goods coming back: some units of some lines.
type Return struct {
	ID     string       `json:"id" doc:"The caller's return ID; a retry with the same ID is not applied again"`
	Lines  []ReturnLine `json:"lines"`
	Reason string       `json:"reason,omitempty" example:"サイズ違い"`
	At     time.Time    `json:"at" required:"false" doc:"Now when omitted"`
	Refund int64        `json:"refund" readOnly:"true" required:"false" doc:"What the units returned were paid: their part of their lines' amounts, less their share of the order's discount (spread over the lines in proportion to their amounts). The shipping fee is not refunded."`
}

// ReturnLine is units of one order line returned.
type ReturnLine struct {
	Line     int   `json:"line"`
	Quantity int64 `json:"quantity"`
	Refund   int64 `json:"refund" readOnly:"true" required:"false"`
}

// StatusChange is one step of an order's history.
type StatusChange struct {
	Status  OrderStatus `json:"status"`
	At      time.Time   `json:"at"`
	ActorID string      `json:"actor_id"`
	Reason  string      `json:"reason,omitempty"`
}

// Order is a purchase in any channel: an EC order, a till receipt, a
// marketplace order, a catalog order. Its fields carry no schema limits:
// the domain checks each order of a batch, so that one bad order is
// rejected alone instead of the whole batch.
type Order struct {
	ID          string         `json:"id" readOnly:"true" required:"false"`
	Channel     string         `json:"channel"`
	ExternalID  string         `json:"external_id" doc:"The channel's order number; with channel, the order's natural key"`
	CustomerID  string         `json:"customer_id,omitempty" readOnly:"true" required:"false" doc:"Empty for a guest order not (yet) matched to a customer"`
	Customer    OrderCustomer  `json:"customer" required:"false"`
	Store       string         `json:"store,omitempty" doc:"Location code of the store, for a till sale"`
	Status      OrderStatus    `json:"status" required:"false" doc:"placed (when omitted), paid, shipped, delivered, cancelled; returned comes from returns"`
	PlacedAt    time.Time      `json:"placed_at"`
	Currency    string         `json:"currency" required:"false" doc:"JPY when omitted" example:"JPY"`
	Lines       []OrderLine    `json:"lines"`
	Discount    int64          `json:"discount,omitempty" doc:"Tax-inclusive discount on the whole order"`
	ShippingFee int64          `json:"shipping_fee,omitempty"`
	Total       int64          `json:"total" readOnly:"true" required:"false" doc:"Lines − discount + shipping fee"`
	Tax         int64          `json:"tax" readOnly:"true" required:"false" doc:"Consumption tax of the order: the sum of tax_by_rate's, each rounded down once per rate, as a qualified invoice (適格請求書) gives it"`
	TaxByRate   []RateTax      `json:"tax_by_rate,omitempty" readOnly:"true" required:"false" doc:"The order's amount and consumption tax per rate (10 %, 8 %, 0), after its discount, the shipping fee at the standard rate"`
	PointsUsed  int64          `json:"points_used,omitempty" doc:"Points spent on the order (1 point = 1 yen)"`
	Payments    []Payment      `json:"payments,omitempty" doc:"When given, they and points_used add up to total"`
	Shipments   []Shipment     `json:"shipments,omitempty"`
	Billing     *Billing       `json:"billing,omitempty"`
	Returns     []Return       `json:"returns,omitempty" readOnly:"true" required:"false"`
	History     []StatusChange `json:"history,omitempty" readOnly:"true" required:"false"`
	Version     int            `json:"version" readOnly:"true" required:"false"`
	CreatedAt   time.Time      `json:"created_at" readOnly:"true" required:"false"`
	UpdatedAt   time.Time      `json:"updated_at" readOnly:"true" required:"false"`
}

// Ref is the order's natural key.
func (o *Order) Ref() OrderRef { return OrderRef{Channel: o.Channel, ExternalID: o.ExternalID} }

// OrderRef names an order by its channel's order number.
type OrderRef struct {
	Channel    string
	ExternalID string
}

// Units is how many units the order holds, and how many were returned.
func (o *Order) Units() (bought, returned int64) {
	for _, l := range o.Lines {
		bought += l.Quantity
		returned += l.Returned
	}
	return bought, returned
}

// NetTotal is the total less refunds.
func (o *Order) NetTotal() int64 {
	t := o.Total
	for _, r := range o.Returns {
		t -= r.Refund
	}
	return t
}

// normalize trims and checks an order as a channel sent it and computes
// its amounts. Field names in errors are the JSON paths.
func (o *Order) normalize(now time.Time) error {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&o.Channel, &o.ExternalID, &o.Store, &o.Currency} {
		trim(s)
	}
	switch {
	case o.Channel == "":
		return kizuna.FieldError("channel", "is required")
	case o.ExternalID == "":
		return kizuna.FieldError("external_id", "is required: the channel's order number")
	case len(o.ExternalID) > 200:
		return kizuna.FieldError("external_id", "is longer than 200 bytes")
	}
	if o.Currency == "" {
		o.Currency = "JPY"
	}
	if len(o.Currency) != 3 || strings.ToUpper(o.Currency) != o.Currency {
		return kizuna.FieldError("currency", "%q is not an ISO 4217 code such as JPY", o.Currency)
	}
	if o.Status == "" {
		o.Status = OrderPlaced
	}
	if !o.Status.Valid() {
		return kizuna.FieldError("status", "unknown status %q: one of placed, paid, shipped, delivered, cancelled, returned", o.Status)
	}
	if o.Status == OrderReturned {
		return kizuna.FieldError("status", "an order becomes returned by its returns: POST /api/v1/orders/{id}/returns")
	}
	if o.PlacedAt.IsZero() {
		return kizuna.FieldError("placed_at", "is required")
	}
	o.PlacedAt = o.PlacedAt.UTC().Truncate(time.Microsecond)
	if o.PlacedAt.After(now.Add(24 * time.Hour)) {
		return kizuna.FieldError("placed_at", "is in the future")
	}
	if err := o.Customer.Normalize("customer."); err != nil {
		return err
	}
	if len(o.Lines) == 0 {
		return kizuna.FieldError("lines", "an order needs at least one line")
	}
	if len(o.Lines) > 1000 {
		return kizuna.FieldError("lines", "an order holds at most 1,000 lines, got %d", len(o.Lines))
	}
	o.Total, o.Tax = 0, 0
	seen := map[int]bool{}
	for i := range o.Lines {
		l := &o.Lines[i]
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		l.SKU, l.Name = strings.TrimSpace(l.SKU), strings.TrimSpace(l.Name)
		if l.Line == 0 {
			l.Line = i + 1
		}
		switch {
		case l.Line < 0:
			return kizuna.FieldError(f("line"), "must be 1 or more")
		case seen[l.Line]:
			return kizuna.FieldError(f("line"), "line %d appears twice", l.Line)
		case l.SKU == "":
			return kizuna.FieldError(f("sku"), "is required")
		case l.Quantity < 1:
			return kizuna.FieldError(f("quantity"), "must be 1 or more (a return is POST /api/v1/orders/{id}/returns)")
		case l.Quantity > 1_000_000:
			return kizuna.FieldError(f("quantity"), "is more than 1,000,000")
		case l.UnitPrice < 0:
			return kizuna.FieldError(f("unit_price"), "cannot be negative")
		case l.UnitPrice > 1_000_000_000:
			return kizuna.FieldError(f("unit_price"), "is more than 1,000,000,000")
		case l.Discount < 0:
			return kizuna.FieldError(f("discount"), "cannot be negative")
		case l.Discount > l.Quantity*l.UnitPrice:
			return kizuna.FieldError(f("discount"), "%d is more than the line's %d", l.Discount, l.Quantity*l.UnitPrice)
		}
		if err := ValidateTaxRate(f("tax_rate"), l.TaxRate); err != nil {
			return err
		}
		seen[l.Line] = true
		l.Amount = l.Quantity*l.UnitPrice - l.Discount
		_, l.Tax = SplitInclusive(l.Amount, l.TaxRate, RoundDown)
		o.Total += l.Amount
		o.Tax += l.Tax
	}
	slices.SortFunc(o.Lines, func(a, b OrderLine) int { return a.Line - b.Line })
	switch {
	case o.Discount < 0:
		return kizuna.FieldError("discount", "cannot be negative")
	case o.Discount > o.Total:
		return kizuna.FieldError("discount", "%d is more than the lines' %d", o.Discount, o.Total)
	case o.ShippingFee < 0:
		return kizuna.FieldError("shipping_fee", "cannot be negative")
	case o.PointsUsed < 0:
		return kizuna.FieldError("points_used", "cannot be negative")
	}
	o.Total += o.ShippingFee - o.Discount
	o.TaxByRate = o.taxByRate()
	o.Tax = 0
	for _, r := range o.TaxByRate {
		o.Tax += r.Tax
	}
	if o.PointsUsed > o.Total {
		return kizuna.FieldError("points_used", "%d points is more than the total %d", o.PointsUsed, o.Total)
	}
	if len(o.Payments) > 0 {
		paid := o.PointsUsed
		for i := range o.Payments {
			p := &o.Payments[i]
			p.Method = strings.TrimSpace(p.Method)
			if !slices.Contains(PaymentMethods, p.Method) {
				return kizuna.FieldError(fmt.Sprintf("payments[%d].method", i), "unknown method %q: one of %s", p.Method, strings.Join(PaymentMethods, ", "))
			}
			if p.Amount < 0 {
				return kizuna.FieldError(fmt.Sprintf("payments[%d].amount", i), "cannot be negative")
			}
			paid += p.Amount
		}
		if paid != o.Total {
			return kizuna.FieldError("payments", "payments and points come to %d, the total is %d", paid, o.Total)
		}
	}
	for i := range o.Shipments {
		if err := o.Shipments[i].normalize(fmt.Sprintf("shipments[%d].", i)); err != nil {
			return err
		}
	}
	if o.Billing != nil {
		if err := o.Billing.normalize("billing."); err != nil {
			return err
		}
	}
	return nil
}

func (s *Shipment) normalize(prefix string) error {
	s.ID, s.Carrier, s.TrackingNumber = strings.TrimSpace(s.ID), strings.TrimSpace(s.Carrier), strings.TrimSpace(s.TrackingNumber)
	switch {
	case s.ID == "":
		return kizuna.FieldError(prefix+"id", "is required: the shipment's ID (a tracking number will do)")
	case s.ShippedAt.IsZero():
		return kizuna.FieldError(prefix+"shipped_at", "is required")
	case s.DeliveredAt != nil && s.DeliveredAt.Before(s.ShippedAt):
		return kizuna.FieldError(prefix+"delivered_at", "is before shipped_at")
	}
	s.ShippedAt = s.ShippedAt.UTC().Truncate(time.Microsecond)
	if s.DeliveredAt != nil {
		d := s.DeliveredAt.UTC().Truncate(time.Microsecond)
		s.DeliveredAt = &d
	}
	return nil
}

func (b *Billing) normalize(prefix string) error {
	b.Status, b.DueDate = strings.TrimSpace(b.Status), strings.TrimSpace(b.DueDate)
	switch b.Status {
	case BillingBilled, BillingPaid:
	case BillingOverdue:
		return kizuna.FieldError(prefix+"status", "overdue is not set but reported: send billed with the due date")
	default:
		return kizuna.FieldError(prefix+"status", "unknown billing status %q: billed or paid", b.Status)
	}
	if _, err := time.Parse(time.DateOnly, b.DueDate); err != nil {
		return kizuna.FieldError(prefix+"due_date", "%q is not a date YYYY-MM-DD", b.DueDate)
	}
	if b.Amount < 0 {
		return kizuna.FieldError(prefix+"amount", "cannot be negative")
	}
	if b.BilledAt.IsZero() {
		return kizuna.FieldError(prefix+"billed_at", "is required")
	}
	b.BilledAt = b.BilledAt.UTC().Truncate(time.Microsecond)
	if b.Status == BillingPaid && b.PaidAt == nil {
		return kizuna.FieldError(prefix+"paid_at", "is required for a paid invoice")
	}
	if b.PaidAt != nil {
		p := b.PaidAt.UTC().Truncate(time.Microsecond)
		b.PaidAt = &p
	}
	return nil
}

// Normalize trims the identifiers and puts them in the form One ID files
// them under; prefix starts the field names of its errors.
func (c *OrderCustomer) Normalize(prefix string) error {
	for _, s := range []*string{&c.ID, &c.AccountID, &c.MemberCard, &c.Email, &c.Phone} {
		*s = strings.TrimSpace(*s)
	}
	if c.Email != "" {
		e, err := normalize.Email(c.Email)
		if err != nil {
			return kizuna.FieldError(prefix+"email", "%v", err)
		}
		c.Email = e
	}
	if c.Phone != "" {
		p, _, err := normalize.Phone(c.Phone)
		if err != nil {
			return kizuna.FieldError(prefix+"phone", "%v", err)
		}
		c.Phone = p
	}
	if c.MemberCard != "" {
		c.MemberCard = normalize.MemberCard(c.MemberCard)
	}
	return nil
}

// IsZero reports whether no identifier is given.
func (c OrderCustomer) IsZero() bool { return c == OrderCustomer{} }

// identifierKinds orders the ways an order names its customer, strongest
// first: a channel's member ID beats a card, a card beats an email (shared
// by a family), an email beats a phone (a household's landline).
var identifierKinds = []string{customer.KeyExternal, customer.KeyCard, customer.KeyEmail, customer.KeyPhone}

// Keys are the identity keys the order names its customer by (the same
// keys One ID files source records under), strongest first.
func (c OrderCustomer) Keys(channel string) []string {
	var keys []string
	if c.AccountID != "" {
		keys = append(keys, customer.ExternalKey(channel, c.AccountID))
	}
	if c.MemberCard != "" {
		keys = append(keys, customer.Key(customer.KeyCard, c.MemberCard))
	}
	if c.Email != "" {
		keys = append(keys, customer.Key(customer.KeyEmail, c.Email))
	}
	if c.Phone != "" {
		keys = append(keys, customer.Key(customer.KeyPhone, c.Phone))
	}
	return keys
}

// PickCustomer chooses the customer keys point at: the strongest kind of
// identifier that names anyone decides, and only if it names one person.
// An identifier shared by two customers (a family's email) decides
// nothing, and the order stays a guest's until someone resolves it.
func PickCustomer(keys []string, owners func(key string) []string) string {
	for _, kind := range identifierKinds {
		var found []string
		for _, k := range keys {
			if strings.HasPrefix(k, kind+":") {
				for _, id := range owners(k) {
					if !slices.Contains(found, id) {
						found = append(found, id)
					}
				}
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0]
		}
		return ""
	}
	return ""
}

// applyReturn checks a return against the order and records it, with the
// refund each line's units stand for: what the line cost after its share
// of the order's discount (netAmounts), in proportion, rounded down, with
// the remainder on the last unit so that a line returned in full refunds
// exactly that. The shipping fee is not refunded.
func (o *Order) applyReturn(r *Return) error {
	if o.Status != OrderShipped && o.Status != OrderDelivered {
		e := kizuna.Errorf(kizuna.ECONFLICT, "order %s is %s: only shipped or delivered goods can be returned", o.ID, o.Status)
		e.Current = string(o.Status)
		return e
	}
	lines := map[int]*OrderLine{}
	for i := range o.Lines {
		lines[o.Lines[i].Line] = &o.Lines[i]
	}
	want := map[int]int64{}
	for i, rl := range r.Lines {
		l := lines[rl.Line]
		switch {
		case l == nil:
			return kizuna.FieldError(fmt.Sprintf("lines[%d].line", i), "order %s has no line %d", o.ID, rl.Line)
		case rl.Quantity < 1:
			return kizuna.FieldError(fmt.Sprintf("lines[%d].quantity", i), "must be 1 or more")
		}
		want[rl.Line] += rl.Quantity
		if l.Returned+want[rl.Line] > l.Quantity {
			return kizuna.FieldError(fmt.Sprintf("lines[%d].quantity", i), "line %d has %d units, %d returned already: %d more cannot come back", l.Line, l.Quantity, l.Returned, want[rl.Line])
		}
	}
	net := o.netAmounts()
	r.Refund = 0
	for i := range r.Lines {
		rl := &r.Lines[i]
		l := lines[rl.Line]
		before := refundFor(net[l.Line], l, l.Returned)
		l.Returned += rl.Quantity
		rl.Refund = refundFor(net[l.Line], l, l.Returned) - before
		r.Refund += rl.Refund
	}
	o.Returns = append(o.Returns, *r)
	return nil
}

// RateTax is one tax rate's part of an order, as a qualified invoice
// (適格請求書, the invoice system since October 2023) states it: the
// tax-inclusive amount at the rate and the tax in it, rounded once for the
// whole order rather than line by line.
type RateTax struct {
	Rate   TaxRate `json:"rate"`
	Amount int64   `json:"amount" doc:"Tax-inclusive amount at this rate, after the order's discount"`
	Tax    int64   `json:"tax" doc:"The consumption tax in amount, rounded down"`
}

// taxByRate sums the order's lines per rate, net of the order's discount
// (shared by the lines in proportion to their amounts, as refunds share
// it), the shipping fee at the standard rate; highest rate first.
func (o *Order) taxByRate() []RateTax {
	net := o.netAmounts()
	sums := map[TaxRate]int64{}
	for _, l := range o.Lines {
		sums[l.TaxRate] += net[l.Line]
	}
	if o.ShippingFee > 0 {
		sums[TaxStandard] += o.ShippingFee
	}
	out := make([]RateTax, 0, len(sums))
	for _, rate := range []TaxRate{TaxStandard, TaxReduced, TaxExempt} {
		if amount, ok := sums[rate]; ok {
			_, tax := SplitInclusive(amount, rate, RoundDown)
			out = append(out, RateTax{Rate: rate, Amount: amount, Tax: tax})
		}
	}
	return out
}

// netAmounts is what each line's goods cost once the order's discount is
// spread over the lines in proportion to their amounts. Shares are cut at
// the rounded-down running total, so that they add up to exactly the
// discount and none is more than its line's amount.
func (o *Order) netAmounts() map[int]int64 {
	var lines int64
	for _, l := range o.Lines {
		lines += l.Amount
	}
	net := make(map[int]int64, len(o.Lines))
	var cum, cut int64
	for _, l := range o.Lines {
		cum += l.Amount
		next := int64(0)
		if lines > 0 {
			next = mulDiv(o.Discount, cum, lines)
		}
		net[l.Line] = l.Amount - (next - cut)
		cut = next
	}
	return net
}

// mulDiv is a×b/c rounded down, for 0 ≤ a, b ≤ c, without overflow.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

// refundFor is what n returned units of a line whose goods cost net are
// worth: pro rata, rounded down, so that all units refund net.
func refundFor(net int64, l *OrderLine, n int64) int64 {
	if n >= l.Quantity {
		return net
	}
	return mulDiv(net, n, l.Quantity)
}
