// Package event records what customers do between purchases: typed
// behaviour events from the web, the app, the stores and the messages Kizuna
// sends. Each event is kept once however often it is sent (its sender's ID
// is the key), checked against the schema of its type, and joined to the
// customer when an anonymous visitor signs in, earlier visits included.
// It has no storage or HTTP of its own.
package event

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
)

// Type names what happened.
type Type string

// Event types.
const (
	PageView        Type = "page_view"
	ProductView     Type = "product_view"
	Search          Type = "search"
	AddToCart       Type = "add_to_cart"
	RemoveFromCart  Type = "remove_from_cart"
	CheckoutStarted Type = "checkout_started"
	Purchase        Type = "purchase"
	AppOpen         Type = "app_open"
	StoreVisit      Type = "store_visit"
	EmailOpen       Type = "email_open"
	EmailClick      Type = "email_click"
	PushOpen        Type = "push_open"
	CouponRedeemed  Type = "coupon_redeemed"
	// BackInStock is Kizuna's own: a product a customer waited for is
	// available again (a back-in-stock subscription).
	BackInStock Type = "back_in_stock"
	// Identify ties an anonymous ID to a customer: the site's server sends
	// it when the visitor signs in, and the visitor's earlier anonymous
	// events become the customer's.
	Identify Type = "identify"
)

// Kind is a property's JSON type.
type Kind string

// Property kinds.
const (
	KindString  Kind = "string"
	KindInteger Kind = "integer"
	KindNumber  Kind = "number"
	KindBool    Kind = "boolean"
)

// Field is one property a type defines.
type Field struct {
	Name     string   `json:"name"`
	Kind     Kind     `json:"kind"`
	Required bool     `json:"required"`
	Enum     []string `json:"enum,omitempty"`
	Doc      string   `json:"doc"`
}

// Schema is what an event type carries in its properties. Properties the
// schema does not name are kept as sent (a site's own data), within the
// size limit.
type Schema struct {
	Type   Type    `json:"type"`
	Doc    string  `json:"doc"`
	Fields []Field `json:"fields"`
}

func str(name, doc string) Field     { return Field{Name: name, Kind: KindString, Doc: doc} }
func must(f Field) Field             { f.Required = true; return f }
func integer(name, doc string) Field { return Field{Name: name, Kind: KindInteger, Doc: doc} }

// Schemas are the event types Kizuna knows, with their properties.
var Schemas = []Schema{
	{PageView, "A page of the web shop was shown", []Field{must(str("url", "The page's address")), str("title", "The page's title"), str("referrer", "The page the visitor came from")}},
	{ProductView, "A product's page or card was shown", []Field{must(str("sku", "The product's SKU")), str("url", "The page's address"), integer("price", "Tax-inclusive price shown, in yen")}},
	{Search, "The visitor searched the shop", []Field{must(str("query", "What was typed")), integer("results", "How many products were found")}},
	{AddToCart, "A product was put in the cart", []Field{must(str("sku", "The product's SKU")), integer("quantity", "Units added (1 when omitted)"), integer("price", "Tax-inclusive unit price, in yen"), str("cart_id", "The cart, to follow it to checkout")}},
	{RemoveFromCart, "A product was taken out of the cart", []Field{must(str("sku", "The product's SKU")), integer("quantity", "Units removed (1 when omitted)"), str("cart_id", "The cart")}},
	{CheckoutStarted, "The visitor began to check out", []Field{str("cart_id", "The cart"), integer("value", "Tax-inclusive value of the cart, in yen"), integer("items", "Units in the cart")}},
	{Purchase, "An order was placed (the order itself comes through /api/v1/orders)", []Field{must(str("order_id", "The channel's order number")), integer("value", "Tax-inclusive total, in yen")}},
	{AppOpen, "The smartphone app was opened", []Field{str("app_version", "The app's version"), str("platform", "ios or android")}},
	{StoreVisit, "The customer was at a store: a beacon, a geofence or a check-in", []Field{must(str("store", "The store's location code")), {Name: "method", Kind: KindString, Required: true, Enum: []string{"beacon", "geofence", "checkin"}, Doc: "How the visit was seen"}}},
	{EmailOpen, "An email Kizuna sent was opened", []Field{must(str("message_id", "The message (campaign send) opened")), str("campaign_id", "The campaign")}},
	{EmailClick, "A link in an email was followed", []Field{must(str("message_id", "The message")), must(str("url", "The link followed")), str("campaign_id", "The campaign")}},
	{PushOpen, "A push notification was opened", []Field{must(str("message_id", "The notification")), str("campaign_id", "The campaign")}},
	{CouponRedeemed, "A coupon was used", []Field{must(str("coupon", "The coupon's code")), str("order_id", "The order it was used on"), integer("discount", "The discount it gave, in yen")}},
	{BackInStock, "A product the customer asked about is available again (written by Kizuna when stock returns)", []Field{must(str("sku", "The product's SKU")), str("location", "Where it is available"), integer("available", "How many")}},
	{Identify, "The visitor signed in or registered: anonymous_id is now the customer named by customer_id or identity", nil},
}

// SchemaOf returns the schema of t.
func SchemaOf(t Type) (Schema, bool) {
	i := slices.IndexFunc(Schemas, func(s Schema) bool { return s.Type == t })
	if i < 0 {
		return Schema{}, false
	}
	return Schemas[i], true
}

// Event is one thing a customer or visitor did.
type Event struct {
	ID          string                  `json:"id" doc:"The sender's unique ID for the event, such as a UUID: an event sent again with the same ID from the same device (anonymous_id, or customer_id when there is none) is stored once" example:"0f8e5a52-3c1b-4d7e-9a61-2b7c7d1f4e10"`
	Type        Type                    `json:"type" doc:"page_view, product_view, search, add_to_cart, remove_from_cart, checkout_started, purchase, app_open, store_visit, email_open, email_click, push_open, coupon_redeemed or identify" example:"product_view"`
	At          time.Time               `json:"at" required:"false" doc:"When it happened; the time it arrived when omitted"`
	Channel     string                  `json:"channel,omitempty" doc:"The channel it happened in (ec, app, store, …)"`
	AnonymousID string                  `json:"anonymous_id,omitempty" doc:"The browser's or device's ID before sign-in"`
	CustomerID  string                  `json:"customer_id,omitempty" doc:"Kizuna's customer ID, when the sender knows who it is"`
	Identity    *commerce.OrderCustomer `json:"identity,omitempty" doc:"identify only: identifiers naming the customer, when the sender does not know Kizuna's ID"`
	SessionID   string                  `json:"session_id,omitempty"`
	Properties  map[string]any          `json:"properties,omitempty" doc:"What the type's schema defines (GET /api/v1/events/schemas), and any other data of the sender's"`
	ReceivedAt  time.Time               `json:"received_at" readOnly:"true" required:"false"`
	Seq         int64                   `json:"-"` // the order of arrival, as stored
}

// Limits on what one event may carry.
const (
	maxIDLen    = 128
	maxPropsLen = 8 << 10
	maxAge      = 400 * 24 * time.Hour // a queued app event may be weeks old; older is a mistake
	maxAhead    = 10 * time.Minute     // a device's clock runs ahead
)

// normalize checks an event as it was sent. Field names in errors are the
// JSON paths.
func (e *Event) normalize(now time.Time) error {
	for _, s := range []*string{&e.ID, &e.Channel, &e.AnonymousID, &e.CustomerID, &e.SessionID} {
		*s = strings.TrimSpace(*s)
	}
	switch {
	case e.ID == "":
		return kizuna.FieldError("id", "is required: a unique ID from the sender, so a retry is stored once")
	case len(e.ID) > maxIDLen:
		return kizuna.FieldError("id", "is longer than %d bytes", maxIDLen)
	case len(e.AnonymousID) > maxIDLen:
		return kizuna.FieldError("anonymous_id", "is longer than %d bytes", maxIDLen)
	case len(e.SessionID) > maxIDLen:
		return kizuna.FieldError("session_id", "is longer than %d bytes", maxIDLen)
	case e.Type == "":
		return kizuna.FieldError("type", "is required")
	}
	schema, ok := SchemaOf(e.Type)
	if !ok {
		return kizuna.FieldError("type", "unknown event type %q (GET /api/v1/events/schemas lists them)", e.Type)
	}
	if e.At.IsZero() {
		e.At = now
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	switch {
	case e.At.After(now.Add(maxAhead)):
		return kizuna.FieldError("at", "%s is in the future", e.At.Format(time.RFC3339))
	case e.At.Before(now.Add(-maxAge)):
		return kizuna.FieldError("at", "%s is more than 400 days ago", e.At.Format(time.RFC3339))
	}
	if e.Identity != nil {
		if e.Type != Identify {
			return kizuna.FieldError("identity", "is only for identify events")
		}
		if err := e.Identity.Normalize("identity."); err != nil {
			return err
		}
		if e.Identity.ID != "" && e.CustomerID == "" {
			e.CustomerID = e.Identity.ID
		}
		if e.Identity.IsZero() || e.Identity.ID == e.CustomerID && e.Identity.AccountID == "" && e.Identity.MemberCard == "" && e.Identity.Email == "" && e.Identity.Phone == "" {
			e.Identity = nil
		}
	}
	if e.Type == Identify {
		if e.AnonymousID == "" {
			return kizuna.FieldError("anonymous_id", "is required on identify: it is what becomes the customer's")
		}
		if e.CustomerID == "" && e.Identity == nil {
			return kizuna.FieldError("customer_id", "identify needs customer_id or identity")
		}
		if e.Identity != nil && e.Identity.AccountID != "" && e.Channel == "" {
			return kizuna.FieldError("channel", "is required with identity.account_id: a member ID is the channel's own")
		}
	}
	if e.AnonymousID == "" && e.CustomerID == "" {
		return kizuna.FieldError("anonymous_id", "an event needs anonymous_id or customer_id")
	}
	for _, f := range schema.Fields {
		v, ok := e.Properties[f.Name]
		if !ok || v == nil {
			if f.Required {
				return kizuna.FieldError("properties."+f.Name, "is required on %s", e.Type)
			}
			continue
		}
		if err := f.check(v); err != nil {
			return kizuna.FieldError("properties."+f.Name, "%v", err)
		}
	}
	return nil
}

// check tests one property's value as encoding/json decoded it.
func (f Field) check(v any) error {
	switch f.Kind {
	case KindString:
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("must be a string, not %s", jsonKind(v))
		}
		if !utf8.ValidString(s) {
			return fmt.Errorf("is not valid UTF-8")
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(f.Enum, ", "))
		}
	case KindInteger:
		n, ok := number(v)
		if !ok {
			return fmt.Errorf("must be a whole number, not %s", jsonKind(v))
		}
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return fmt.Errorf("must be a whole number, not %v", n)
		}
	case KindNumber:
		if _, ok := number(v); !ok {
			return fmt.Errorf("must be a number, not %s", jsonKind(v))
		}
	case KindBool:
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("must be true or false, not %s", jsonKind(v))
		}
	}
	return nil
}

// number reads a numeric property: a float64 or json.Number as decoded
// from JSON, or a Go integer when a caller in Go built the event.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	}
	return 0, false
}

func jsonKind(v any) string {
	if _, ok := number(v); ok {
		return "a number"
	}
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "true or false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "null"
}
