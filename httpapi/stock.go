package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
)

// ReservationOutput is a reservation, 201 when made and 200 when it was
// made before.
type ReservationOutput struct {
	Status int `json:"-"`
	Body   *commerce.Reservation
}

func (s *Server) registerStock() {
	tags := []string{"Products and stock"}
	inventory := func() (*commerce.Inventory, error) {
		if s.Inventory == nil || s.Catalog == nil {
			return nil, kizuna.Errorf(kizuna.EUNSUPPORTED, "stock is not available on this server")
		}
		return s.Inventory, nil
	}
	huma.Register(s.api, huma.Operation{OperationID: "reserve-stock", Method: http.MethodPost, Path: "/api/v1/stock/reservations", Tags: tags,
		Summary: "Reserve stock for an order",
		Description: "Sets goods aside at a warehouse or store for an EC order: they are no longer available to others until the reservation " +
			"is fulfilled (they ship: taken out of stock), released (given back) or expires (given back; 30 minutes unless minutes says otherwise). " +
			"Your ID makes it idempotent: the same ID answers the same reservation (200). More than is available is a conflict (409) saying how many are.",
		Metadata: perm(auth.PermOrderWrite), DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct{ Body commerce.Reservation }) (*ReservationOutput, error) {
			inv, err := inventory()
			if err != nil {
				return nil, s.handlerError(err)
			}
			r, repeated, err := inv.Reserve(ctx, s.actor(ctx), in.Body)
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &ReservationOutput{Status: http.StatusCreated, Body: r}
			if repeated {
				out.Status = http.StatusOK
			}
			return out, nil
		})
	for _, op := range []struct {
		id, path, summary string
		fn                func(*commerce.Inventory, context.Context, kizuna.Actor, string) (*commerce.Reservation, error)
	}{
		{"fulfil-reservation", "/api/v1/stock/reservations/{id}/fulfil", "Ship reserved goods (out of stock)", (*commerce.Inventory).Fulfil},
		{"release-reservation", "/api/v1/stock/reservations/{id}/release", "Give reserved goods back", (*commerce.Inventory).Release},
	} {
		huma.Register(s.api, huma.Operation{OperationID: op.id, Method: http.MethodPost, Path: op.path, Tags: tags, Summary: op.summary,
			Description: "Idempotent: doing it again answers the reservation as it is. Fulfilling a released or expired reservation, or " +
				"releasing a fulfilled one, is a conflict (409) with current_state.",
			Metadata: perm(auth.PermOrderWrite)},
			func(ctx context.Context, in *struct {
				ID string `path:"id"`
			}) (*struct{ Body *commerce.Reservation }, error) {
				inv, err := inventory()
				if err != nil {
					return nil, s.handlerError(err)
				}
				r, err := op.fn(inv, ctx, s.actor(ctx), in.ID)
				return &struct{ Body *commerce.Reservation }{Body: r}, s.handlerError(err)
			})
	}
	huma.Register(s.api, huma.Operation{OperationID: "nearest-stock", Method: http.MethodGet, Path: "/api/v1/products/{sku}/nearest", Tags: tags,
		Summary: "The nearest stores with the product in stock",
		Description: "Stores (own stores and department-store counters) with at least quantity available, nearest first: from latitude and " +
			"longitude when given; otherwise from the customer's address (customer_id) or prefecture, measured from the prefecture's office. " +
			"Stores without coordinates come after, those in the same prefecture first.",
		Metadata: perm(auth.PermCatalogRead)},
		func(ctx context.Context, in *struct {
			SKU        string  `path:"sku"`
			Quantity   int64   `query:"quantity" minimum:"1" default:"1"`
			Latitude   float64 `query:"latitude" minimum:"-90" maximum:"90"`
			Longitude  float64 `query:"longitude" minimum:"-180" maximum:"180"`
			Prefecture string  `query:"prefecture" example:"東京都"`
			CustomerID string  `query:"customer_id"`
			Limit      int     `query:"limit" minimum:"1" maximum:"100" default:"10"`
		}) (*struct{ Body []commerce.StockPlace }, error) {
			inv, err := inventory()
			if err != nil {
				return nil, s.handlerError(err)
			}
			if _, err := s.Catalog.Product(ctx, in.SKU); err != nil {
				return nil, s.handlerError(err)
			}
			q := commerce.NearestQuery{SKU: in.SKU, Quantity: in.Quantity, Prefecture: in.Prefecture, Limit: in.Limit}
			if in.Latitude != 0 || in.Longitude != 0 {
				q.From = &commerce.Position{Lat: in.Latitude, Lng: in.Longitude}
			}
			if in.CustomerID != "" {
				c, err := s.Customers.GetCustomer(ctx, in.CustomerID)
				if err != nil {
					return nil, s.handlerError(err)
				}
				if q.Prefecture == "" && len(c.Profile.Addresses) > 0 {
					q.Prefecture = c.Profile.Addresses[0].Prefecture
				}
			}
			l, err := inv.Nearest(ctx, q)
			return &struct{ Body []commerce.StockPlace }{Body: nonNil(l)}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "subscribe-back-in-stock", Method: http.MethodPost, Path: "/api/v1/products/{sku}/subscriptions", Tags: tags,
		Summary: "Tell a customer when a product is back in stock",
		Description: "When the product becomes available again (at location, or anywhere when it is omitted), a back_in_stock event of the " +
			"customer is written in the same transaction as the stock change, once; campaigns act on it. Asking again changes nothing.",
		Metadata: perm(auth.PermCustomerWrite), DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *struct {
			SKU  string `path:"sku"`
			Body struct {
				CustomerID string `json:"customer_id"`
				Location   string `json:"location,omitempty"`
			}
		}) (*struct{}, error) {
			inv, err := inventory()
			if err != nil {
				return nil, s.handlerError(err)
			}
			if _, err := s.Catalog.Product(ctx, in.SKU); err != nil {
				return nil, s.handlerError(err)
			}
			if _, err := s.Customers.GetCustomer(ctx, in.Body.CustomerID); err != nil {
				return nil, s.handlerError(err)
			}
			return nil, s.handlerError(inv.Subscribe(ctx, in.Body.CustomerID, in.SKU, in.Body.Location))
		})
}
