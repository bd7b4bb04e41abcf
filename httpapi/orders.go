package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/commerce"
)

// OrderPage is one page of orders, newest first.
type OrderPage struct {
	Items      []commerce.Order `json:"items"`
	NextCursor string           `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

// OrderBatch is a batch upsert's answer: one result per order, in order.
type OrderBatch struct {
	Results []commerce.OrderResult `json:"results"`
}

// OrderOutput is one order.
type OrderOutput struct{ Body *commerce.Order }

// OrderWritten is one order after a write that answers 200 or 201.
type OrderWritten struct {
	Status int `json:"-"`
	Body   *commerce.Order
}

func (s *Server) registerOrders() {
	tags := []string{"Orders"}
	orders := func() (*commerce.Orders, error) {
		if s.Orders == nil {
			return nil, kizuna.Errorf(kizuna.EUNSUPPORTED, "orders are not available on this server")
		}
		return s.Orders, nil
	}
	huma.Register(s.api, huma.Operation{OperationID: "list-orders", Method: http.MethodGet, Path: "/api/v1/orders", Tags: tags,
		Summary: "List orders",
		Description: "Orders of every channel, newest first, with cursor pagination: a customer's orders (the order timeline), a channel's, " +
			"by status, or the guest orders still waiting for their customer. With channel and external_id, the one order with that natural key.",
		Metadata: perm(auth.PermOrderRead)},
		func(ctx context.Context, in *struct {
			Cursor     string `query:"cursor" doc:"next_cursor of the previous page"`
			Limit      int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
			CustomerID string `query:"customer_id"`
			Channel    string `query:"channel"`
			ExternalID string `query:"external_id" doc:"The channel's order number (with channel)"`
			Status     string `query:"status" enum:"placed,paid,shipped,delivered,cancelled,returned"`
			Guest      bool   `query:"guest" doc:"Only orders not matched to a customer"`
		}) (*struct{ Body OrderPage }, error) {
			book, err := orders()
			if err != nil {
				return nil, s.handlerError(err)
			}
			if in.ExternalID != "" {
				if in.Channel == "" {
					return nil, s.handlerError(kizuna.FieldError("query.channel", "is required with external_id: order numbers are the channel's own"))
				}
				o, err := book.OrderByRef(ctx, commerce.OrderRef{Channel: in.Channel, ExternalID: in.ExternalID})
				if kizuna.ErrorCode(err) == kizuna.ENOTFOUND {
					return &struct{ Body OrderPage }{Body: OrderPage{Items: []commerce.Order{}}}, nil
				}
				if err != nil {
					return nil, s.handlerError(err)
				}
				return &struct{ Body OrderPage }{Body: OrderPage{Items: []commerce.Order{*o}}}, nil
			}
			after, err := decodeCursor(in.Cursor)
			if err != nil {
				return nil, err
			}
			items, err := book.List(ctx, commerce.OrderQuery{CustomerID: in.CustomerID, Channel: in.Channel, Status: commerce.OrderStatus(in.Status),
				Guest: in.Guest, After: after, Limit: in.Limit + 1})
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &struct{ Body OrderPage }{}
			if len(items) > in.Limit {
				items = items[:in.Limit]
				out.Body.NextCursor = encodeCursor(items[len(items)-1].Cursor())
			}
			out.Body.Items = nonNil(items)
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-order", Method: http.MethodGet, Path: "/api/v1/orders/{id}", Tags: tags,
		Summary: "Get an order", Metadata: perm(auth.PermOrderRead)},
		func(ctx context.Context, in *struct {
			ID string `path:"id"`
		}) (*OrderOutput, error) {
			book, err := orders()
			if err != nil {
				return nil, s.handlerError(err)
			}
			o, err := book.Order(ctx, in.ID)
			return &OrderOutput{Body: o}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "upsert-order", Method: http.MethodPost, Path: "/api/v1/orders", Tags: tags,
		Summary: "Record an order",
		Description: "Creates or updates an order by its natural key, channel and external_id: sending it again updates it and never doubles it " +
			"(201 when created, 200 otherwise). Prices are tax-inclusive integer minor units (yen). The customer is found from the identifiers in " +
			"customer: Kizuna's ID, the channel's member ID, the member card, the email or the phone, strongest first; when none names exactly " +
			"one customer the order is a guest order, attached when its identity resolves later. A status change must go forward " +
			"(placed → paid → shipped → delivered; cancelled before shipping): a backward one answers 409 with current_state.",
		Metadata: perm(auth.PermOrderWrite), DefaultStatus: http.StatusOK},
		func(ctx context.Context, in *struct{ Body commerce.Order }) (*OrderWritten, error) {
			book, err := orders()
			if err != nil {
				return nil, s.handlerError(err)
			}
			res, err := book.Upsert(ctx, s.actor(ctx), s.allowedChannels(ctx), []commerce.Order{in.Body})
			if err != nil {
				return nil, s.handlerError(err)
			}
			r := res[0]
			if r.Status == commerce.OrderRejected {
				e := kizuna.FieldError(r.Field, "%s", r.Reason)
				switch {
				case r.CurrentStatus != "":
					e.Code, e.Current = kizuna.ECONFLICT, r.CurrentStatus
				case r.Code == kizuna.EFORBIDDEN:
					e.Code = kizuna.EFORBIDDEN
				}
				return nil, s.handlerError(e)
			}
			o, err := book.Order(ctx, r.OrderID)
			out := &OrderWritten{Status: http.StatusOK, Body: o}
			if r.Status == commerce.OrderCreated {
				out.Status = http.StatusCreated
			}
			return out, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "upsert-orders", Method: http.MethodPost, Path: "/api/v1/orders/batch", Tags: tags,
		Summary: "Record orders in bulk",
		Description: "Up to 10,000 orders in one transaction, each created or updated by its natural key as in POST /api/v1/orders. An order " +
			"that is invalid, or whose status would go backwards, is rejected with its index, field and reason (and current_status); the " +
			"others are stored. Re-sending a batch changes nothing (unchanged), so a retry is safe.",
		Metadata: perm(auth.PermOrderWrite), MaxBodyBytes: 64 << 20},
		func(ctx context.Context, in *struct {
			Body struct {
				Orders []commerce.Order `json:"orders" maxItems:"10000"`
			}
		}) (*struct{ Body OrderBatch }, error) {
			book, err := orders()
			if err != nil {
				return nil, s.handlerError(err)
			}
			res, err := book.Upsert(ctx, s.actor(ctx), s.allowedChannels(ctx), in.Body.Orders)
			return &struct{ Body OrderBatch }{Body: OrderBatch{Results: nonNil(res)}}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "set-order-status", Method: http.MethodPost, Path: "/api/v1/orders/{id}/status", Tags: tags,
		Summary: "Change an order's status",
		Description: "Moves the order forward (placed → paid → shipped → delivered) or cancels it before it ships. An invalid move answers 409 " +
			"with current_state; asking for the status it has changes nothing. Returned comes from returns. Audited.",
		Metadata: perm(auth.PermOrderWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Status commerce.OrderStatus `json:"status" enum:"placed,paid,shipped,delivered,cancelled"`
				Reason string               `json:"reason,omitempty" maxLength:"500" example:"顧客都合によるキャンセル"`
			}
		}) (*OrderOutput, error) {
			book, err := orders()
			if err != nil {
				return nil, s.handlerError(err)
			}
			o, err := book.SetStatus(ctx, s.actor(ctx), in.ID, in.Body.Status, in.Body.Reason)
			return &OrderOutput{Body: o}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "add-order-shipment", Method: http.MethodPost, Path: "/api/v1/orders/{id}/shipments", Tags: tags,
		Summary: "Record a shipment",
		Description: "A parcel with its carrier and tracking number; sending the same shipment ID again updates it (for example with " +
			"delivered_at). The order becomes shipped, or delivered. Audited.",
		Metadata: perm(auth.PermOrderWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body commerce.Shipment
		}) (*OrderOutput, error) {
			book, err := orders()
			if err != nil {
				return nil, s.handlerError(err)
			}
			o, err := book.AddShipment(ctx, s.actor(ctx), in.ID, in.Body)
			return &OrderOutput{Body: o}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "add-order-return", Method: http.MethodPost, Path: "/api/v1/orders/{id}/returns", Tags: tags,
		Summary: "Record a return",
		Description: "Units of one or more lines coming back, with your return ID: sent again, the return is not applied twice (200 instead of " +
			"201). Each line's refund is its amount in proportion to the units; when every unit is back the order is returned. Only shipped or " +
			"delivered orders take returns (409 with current_state otherwise). Audited.",
		Metadata: perm(auth.PermOrderWrite), DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body commerce.Return
		}) (*OrderWritten, error) {
			book, err := orders()
			if err != nil {
				return nil, s.handlerError(err)
			}
			o, repeated, err := book.AddReturn(ctx, s.actor(ctx), in.ID, in.Body)
			out := &OrderWritten{Status: http.StatusCreated, Body: o}
			if repeated {
				out.Status = http.StatusOK
			}
			return out, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "set-order-billing", Method: http.MethodPut, Path: "/api/v1/orders/{id}/billing", Tags: tags,
		Summary: "Record an order's invoice",
		Description: "For catalog and mail orders paid on invoice (請求): billed with a due date, then paid. A billed invoice past its due " +
			"date (Japan time) is reported as overdue in the order's billing.status. Audited.",
		Metadata: perm(auth.PermOrderWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body commerce.Billing
		}) (*OrderOutput, error) {
			book, err := orders()
			if err != nil {
				return nil, s.handlerError(err)
			}
			o, err := book.SetBilling(ctx, s.actor(ctx), in.ID, in.Body)
			return &OrderOutput{Body: o}, s.handlerError(err)
		})
}
