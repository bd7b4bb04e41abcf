package console

import (
	"context"
	"fmt"
	"time"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/event"
	"github.com/kizuna-oss/kizuna/i18n"
)

// maxEventsShown is how many recent events the 360° view shows.
const maxEventsShown = 20

// eventView is one line of the recent events panel.
type eventView struct {
	At          time.Time
	Type        event.Type
	ChannelName string
	Detail      string // what the event was about: the product, the query, the page
}

// recentEvents reads the customer's latest behaviour, those of customers
// merged into them included.
func (s *Server) recentEvents(ctx context.Context, rq *request, id string, chs map[string]customer.Channel) ([]eventView, error) {
	l, err := s.Events.List(ctx, event.Query{CustomerIDs: []string{id}, Limit: maxEventsShown})
	if err != nil {
		return nil, err
	}
	out := make([]eventView, len(l))
	for i, e := range l {
		out[i] = eventView{At: e.At, Type: e.Type, Detail: eventDetail(rq, &e)}
		if e.Channel != "" {
			out[i].ChannelName = channelLabel(rq, chs, e.Channel)
		}
	}
	return out, nil
}

// eventDetail says in a few words what an event was about, from the
// properties its type defines.
func eventDetail(rq *request, e *event.Event) string {
	p := func(name string) string {
		switch v := e.Properties[name].(type) {
		case string:
			return v
		case float64:
			return fmt.Sprintf("%.0f", v)
		}
		return ""
	}
	switch e.Type {
	case event.PageView:
		if t := p("title"); t != "" {
			return t
		}
		return p("url")
	case event.ProductView, event.RemoveFromCart, event.BackInStock:
		return p("sku")
	case event.AddToCart:
		if q := p("quantity"); q != "" && q != "1" {
			return i18n.T(rq.Locale, "event.detail.units", p("sku"), q)
		}
		return p("sku")
	case event.Search:
		return i18n.T(rq.Locale, "event.detail.query", p("query"))
	case event.CheckoutStarted:
		if v := p("value"); v != "" {
			return i18n.T(rq.Locale, "event.detail.value", v)
		}
	case event.Purchase:
		return p("order_id")
	case event.StoreVisit:
		return p("store") + " · " + i18n.T(rq.Locale, "event.method."+p("method"))
	case event.EmailOpen, event.PushOpen:
		return p("campaign_id")
	case event.EmailClick:
		return p("url")
	case event.CouponRedeemed:
		return p("coupon")
	case event.AppOpen:
		return p("platform")
	}
	return ""
}
