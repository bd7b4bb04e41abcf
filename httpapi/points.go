package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/auth"
	"github.com/kizuna-oss/kizuna/loyalty"
)

// PointsStatement is a page of a customer's ledger, oldest first.
type PointsStatement struct {
	Items     []loyalty.LedgerEntry `json:"items"`
	NextAfter int64                 `json:"next_after,omitempty" doc:"Pass as after for the next page; absent on the last page"`
}

// ExpiringPage is a page of customers whose points expire soon.
type ExpiringPage struct {
	Items      []loyalty.Expiring `json:"items"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// HoldOutput is a hold.
type HoldOutput struct {
	Status int `json:"-"`
	Body   *loyalty.Hold
}

func (s *Server) registerPoints() {
	tags := []string{"Points"}
	points := func() (*loyalty.Service, error) {
		if s.Points == nil {
			return nil, kizuna.Errorf(kizuna.EUNSUPPORTED, "points are not available on this server")
		}
		return s.Points, nil
	}
	huma.Register(s.api, huma.Operation{OperationID: "get-points", Method: http.MethodGet, Path: "/api/v1/customers/{id}/points", Tags: tags,
		Summary: "A customer's points",
		Description: "Available (spendable now, in any channel), pending (earned, spendable after the return window), held at a till, " +
			"the debt left by returns of spent points, what expires within 30 days, and the lots behind them. A merged customer's ID answers with the survivor's points.",
		Metadata: perm(auth.PermPointsRead)},
		func(ctx context.Context, in *struct {
			ID string `path:"id"`
		}) (*struct{ Body *loyalty.Balance }, error) {
			ps, err := points()
			if err != nil {
				return nil, s.handlerError(err)
			}
			// A merged customer's points are the survivor's (One ID).
			c, err := s.Identity.Get(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			b, err := ps.Balance(ctx, c.ID)
			return &struct{ Body *loyalty.Balance }{Body: b}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-rank", Method: http.MethodGet, Path: "/api/v1/customers/{id}/rank", Tags: tags,
		Summary: "A customer's membership rank",
		Description: "The rank (by the program's ranks: spend and visits over a rolling window), the spend and visits it rests on, what the next " +
			"rank needs, a pending rank-down (kept until the grace period ends), and the history of changes. Ranks are evaluated as orders " +
			"come in and every night; for a customer never evaluated, the rank their orders reach now (recorded by the next evaluation). 404 when the program has no ranks.",
		Metadata: perm(auth.PermPointsRead)},
		func(ctx context.Context, in *struct {
			ID string `path:"id"`
		}) (*struct{ Body *loyalty.RankStatus }, error) {
			ps, err := points()
			if err != nil {
				return nil, s.handlerError(err)
			}
			c, err := s.Identity.Get(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			st, err := ps.RankOf(ctx, c.ID)
			return &struct{ Body *loyalty.RankStatus }{Body: st}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-points-statement", Method: http.MethodGet, Path: "/api/v1/customers/{id}/points/entries", Tags: tags,
		Summary: "A customer's points statement",
		Description: "The ledger, oldest first: every earn, hold, commit, release, expiry, adjustment, reversal and merge move, with its " +
			"reason, order and actor. Entries are never changed; balances are derived from them.",
		Metadata: perm(auth.PermPointsRead)},
		func(ctx context.Context, in *struct {
			ID    string `path:"id"`
			After int64  `query:"after" doc:"The seq of the last entry of the previous page"`
			Limit int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
		}) (*struct{ Body PointsStatement }, error) {
			ps, err := points()
			if err != nil {
				return nil, s.handlerError(err)
			}
			es, err := ps.Statement(ctx, in.ID, in.After, in.Limit+1)
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &struct{ Body PointsStatement }{}
			if len(es) > in.Limit {
				es = es[:in.Limit]
				out.Body.NextAfter = es[len(es)-1].Seq
			}
			out.Body.Items = nonNil(es)
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "hold-points", Method: http.MethodPost, Path: "/api/v1/points/holds", Tags: tags,
		Summary: "Hold points at a till",
		Description: "Sets points aside for a sale until it is committed or released (or times out, per the program). Your ref makes it " +
			"idempotent: the same ref answers the same hold (200 instead of 201). More than the available points is a conflict (409); " +
			"concurrent holds on one balance are serialized and never overdraw it. A merged customer's ID holds the points of the customer it was merged into.",
		Metadata: perm(auth.PermPointsWrite), DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct {
			Body struct {
				CustomerID string `json:"customer_id"`
				Points     int64  `json:"points" minimum:"1"`
				Ref        string `json:"ref" doc:"Your key for this hold (the till's transaction number)" example:"S001-POS2-20261124-0042"`
				OrderRef   string `json:"order_ref,omitempty" doc:"The sale it pays for"`
			}
		}) (*HoldOutput, error) {
			ps, err := points()
			if err != nil {
				return nil, s.handlerError(err)
			}
			// A card or ID of a merged customer spends the survivor's points.
			c, err := s.Identity.Get(ctx, in.Body.CustomerID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			h, repeated, err := ps.Hold(ctx, s.actor(ctx), c.ID, in.Body.Points, in.Body.Ref, in.Body.OrderRef)
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &HoldOutput{Status: http.StatusCreated, Body: h}
			if repeated {
				out.Status = http.StatusOK
			}
			return out, nil
		})
	for _, op := range []struct {
		id, path, summary string
		fn                func(*loyalty.Service, context.Context, kizuna.Actor, string, string) (*loyalty.Hold, error)
	}{
		{"commit-points-hold", "/api/v1/points/holds/{id}/commit", "Spend held points", (*loyalty.Service).Commit},
		{"release-points-hold", "/api/v1/points/holds/{id}/release", "Give held points back", (*loyalty.Service).Release},
	} {
		huma.Register(s.api, huma.Operation{OperationID: op.id, Method: http.MethodPost, Path: op.path, Tags: tags, Summary: op.summary,
			Description: "Idempotent: doing it again answers the hold as it is. Committing a released hold, or releasing a committed one, is a " +
				"conflict (409) with current_state.",
			Metadata: perm(auth.PermPointsWrite)},
			func(ctx context.Context, in *struct {
				ID   string `path:"id"`
				Body *struct {
					Reason string `json:"reason,omitempty" maxLength:"500" example:"お客様都合で取消"`
				}
			}) (*struct{ Body *loyalty.Hold }, error) {
				ps, err := points()
				if err != nil {
					return nil, s.handlerError(err)
				}
				reason := ""
				if in.Body != nil {
					reason = in.Body.Reason
				}
				h, err := op.fn(ps, ctx, s.actor(ctx), in.ID, reason)
				return &struct{ Body *loyalty.Hold }{Body: h}, s.handlerError(err)
			})
	}
	huma.Register(s.api, huma.Operation{OperationID: "adjust-points", Method: http.MethodPost, Path: "/api/v1/customers/{id}/points/adjustments", Tags: tags,
		Summary: "Adjust a customer's points",
		Description: "Adds or takes points by hand, with a reason, within the program's limit for API keys (adjust_limits.api). Audited. " +
			"A ref makes it idempotent. Points given to a merged customer's ID go to the survivor.",
		Metadata: perm(auth.PermPointsWrite), DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *struct {
			ID   string `path:"id"`
			Body struct {
				Points int64  `json:"points" doc:"Positive to add, negative to take"`
				Reason string `json:"reason" example:"お詫びポイント（問合せ 2026-1124-003）"`
				Ref    string `json:"ref,omitempty"`
			}
		}) (*struct{ Body *loyalty.LedgerEntry }, error) {
			ps, err := points()
			if err != nil {
				return nil, s.handlerError(err)
			}
			// Points given to a merged customer's ID go to the survivor:
			// the merged account's lots have moved, and nothing would
			// move points added to it later.
			c, err := s.Identity.Get(ctx, in.ID)
			if err != nil {
				return nil, s.handlerError(err)
			}
			e, err := ps.Adjust(ctx, s.actor(ctx), loyalty.APIRole, c.ID, in.Body.Points, in.Body.Reason, in.Body.Ref)
			return &struct{ Body *loyalty.LedgerEntry }{Body: e}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "list-expiring-points", Method: http.MethodGet, Path: "/api/v1/points/expiring", Tags: tags,
		Summary: "Customers whose points expire soon",
		Description: "Customers with valid points that expire within the given days, with how many and when the first go: for a " +
			"\"your points expire soon\" campaign. In customer ID order, with a cursor.",
		Metadata: perm(auth.PermPointsRead)},
		func(ctx context.Context, in *struct {
			Days   int    `query:"days" minimum:"1" maximum:"366" default:"30"`
			Cursor string `query:"cursor"`
			Limit  int    `query:"limit" minimum:"1" maximum:"10000" default:"1000"`
		}) (*struct{ Body ExpiringPage }, error) {
			ps, err := points()
			if err != nil {
				return nil, s.handlerError(err)
			}
			after, err := decodeCursor(in.Cursor)
			if err != nil {
				return nil, err
			}
			items, err := ps.ExpiringWithin(ctx, in.Days, after, in.Limit+1)
			if err != nil {
				return nil, s.handlerError(err)
			}
			out := &struct{ Body ExpiringPage }{}
			if len(items) > in.Limit {
				items = items[:in.Limit]
				out.Body.NextCursor = encodeCursor(items[len(items)-1].CustomerID)
			}
			out.Body.Items = nonNil(items)
			return out, nil
		})
	huma.Register(s.api, huma.Operation{OperationID: "get-points-program", Method: http.MethodGet, Path: "/api/v1/points/program", Tags: tags,
		Summary: "The points program", Metadata: perm(auth.PermPointsRead)},
		func(ctx context.Context, _ *struct{}) (*struct{ Body loyalty.Program }, error) {
			ps, err := points()
			if err != nil {
				return nil, s.handlerError(err)
			}
			p, err := ps.Program(ctx)
			return &struct{ Body loyalty.Program }{Body: p}, s.handlerError(err)
		})
	huma.Register(s.api, huma.Operation{OperationID: "put-points-program", Method: http.MethodPut, Path: "/api/v1/points/program", Tags: tags,
		Summary: "Set the points program",
		Description: "Earn rate, tax base, rounding, channel rates, category and campaign multipliers, the return window, validity, hold " +
			"timeout and adjustment limits. Orders settled later earn by the new rules; points already earned stay. Audited.",
		Metadata: perm(auth.PermAdmin)},
		func(ctx context.Context, in *struct{ Body loyalty.Program }) (*struct{ Body loyalty.Program }, error) {
			ps, err := points()
			if err != nil {
				return nil, s.handlerError(err)
			}
			p, err := ps.SetProgram(ctx, s.actor(ctx), in.Body)
			return &struct{ Body loyalty.Program }{Body: p}, s.handlerError(err)
		})
}
