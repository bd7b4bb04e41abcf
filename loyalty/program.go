// Package loyalty is the one points ledger: points earned on orders in
// any channel and spent in any other, held at the till and then committed
// or released, reversed by returns, expired first-in first-out, moved by
// merges. The ledger is append-only; balances, lots and holds are
// projections of it, kept in the same transaction as each entry and
// checked against a full replay by Verify. It has no storage or HTTP of
// its own.
package loyalty

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
)

// Program is the points program's rules, set by an administrator.
type Program struct {
	// Rate is the points earned per 100 yen (1 = 1 %).
	Rate float64 `json:"rate" doc:"Points per 100 yen of the base" example:"1"`
	// TaxExcluded earns on the amount without consumption tax (税抜).
	TaxExcluded bool              `json:"tax_excluded" doc:"Earn on the tax-excluded amount (税抜); otherwise tax-inclusive"`
	Rounding    commerce.Rounding `json:"rounding" doc:"How a fraction of a point is settled: down (切り捨て), half_up or up" example:"down"`
	// ChannelRates override Rate in a channel (a marketplace that earns
	// less, an app that earns more).
	ChannelRates map[string]float64 `json:"channel_rates,omitempty" doc:"Points per 100 yen by channel code, overriding rate"`
	// CategoryMultipliers multiply the points of lines under a category
	// path ("食品/日本茶"); the longest matching path wins.
	CategoryMultipliers map[string]float64 `json:"category_multipliers,omitempty" doc:"By category path, levels separated by '/'; the longest matching path applies" example:"{\"食品/日本茶\":2}"`
	// Campaigns multiply the points of orders placed in a period.
	Campaigns []Campaign `json:"campaigns,omitempty"`
	// PendingDays is how long earned points wait before they can be spent
	// (the return window).
	PendingDays int `json:"pending_days" doc:"Days after the order (or its delivery, see pending_from) before its points can be spent (the return window)" example:"14"`
	// PendingFrom is when the return window starts: at the order (a till
	// sale, the default) or at delivery (mail order and EC, where goods
	// may arrive late): an order earns nothing until it is delivered.
	PendingFrom string `json:"pending_from,omitempty" enum:"order,delivery" doc:"When the return window starts: order (the default) or delivery; with delivery an order earns its points once delivered"`
	// ValidityMonths is how long points stay valid; with ExtendOnActivity
	// every purchase that earns points restarts the clock for all of a
	// customer's points still valid (the earn entry says so: Extends).
	ValidityMonths   int  `json:"validity_months" doc:"Months points stay valid after they were earned" example:"12"`
	ExtendOnActivity bool `json:"extend_on_activity" doc:"Every purchase that earns points extends the validity of all the customer's points still valid to validity_months from that purchase (otherwise each earn expires on its own)"`
	// EarnOnPointsPaid earns on the part of an order paid with points too.
	EarnOnPointsPaid bool `json:"earn_on_points_paid" doc:"Earn on the part paid with points as well"`
	// DebtPolicy says what happens to points a return takes back after
	// they were spent (the debt): recovered from later earnings only (the
	// default), first from the points the customer can spend now, or
	// written off.
	DebtPolicy string `json:"debt_policy,omitempty" enum:"earnings,balance,write_off" doc:"Points a return takes back after they were spent: earnings (the default) recovers them from later earnings; balance takes them from the points available now first, the rest from later earnings; write_off forgives them"`
	// PointsRefund says how the points paid for an order come back when
	// some of its goods are returned: in proportion to the refund (the
	// default), points first or cash first. A cancelled order gives all
	// of them back.
	PointsRefund string `json:"points_refund,omitempty" enum:"proportional,points_first,cash_first" doc:"How points spent on an order come back on a partial return: proportional (the default) to the refund's share of the total; points_first up to the refund; cash_first only for the part of the refund beyond what was paid in cash"`
	// HoldMinutes is how long a till's hold lasts before it is released.
	HoldMinutes int `json:"hold_minutes" doc:"Minutes before an uncommitted hold is released" example:"15"`
	// AdjustLimits caps a staff adjustment by role (points, either way);
	// a role without a limit may not adjust.
	AdjustLimits map[string]int64 `json:"adjust_limits,omitempty" doc:"Largest staff adjustment per role, in points" example:"{\"store_staff\":500,\"support\":3000,\"admin\":100000}"`
	// Ranks, lowest first; none means the program has no ranks. A
	// customer's rank multiplies what their orders earn from the time
	// they reached it.
	Ranks         []Rank `json:"ranks,omitempty" doc:"Membership ranks, lowest first; the first is where everyone starts"`
	RankMonths    int    `json:"rank_months,omitempty" doc:"The rolling window of spend and visits, in months" example:"12"`
	RankRule      string `json:"rank_rule,omitempty" enum:"either,both" doc:"Whether either threshold (spend or visits) reaches a rank, or both are needed"`
	RankGraceDays int    `json:"rank_grace_days,omitempty" doc:"Days a customer keeps a rank after falling below it, before the rank-down" example:"60"`
}

// Campaign is a period with a points multiplier (ポイント○倍).
type Campaign struct {
	Name       string    `json:"name" example:"歳末ポイント3倍"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Multiplier float64   `json:"multiplier" example:"3"`
	Channels   []string  `json:"channels,omitempty" doc:"Only these channels; all when empty"`
}

// Debt policies (Program.DebtPolicy); "" is DebtFromEarnings.
const (
	DebtFromEarnings = "earnings"
	DebtFromBalance  = "balance"
	DebtWriteOff     = "write_off"
)

// How points spent on an order come back on a return (Program.PointsRefund);
// "" is RefundProportional.
const (
	RefundProportional = "proportional"
	RefundPointsFirst  = "points_first"
	RefundCashFirst    = "cash_first"
)

// PointsBack is how many of the points spent on an order come back to
// the customer as it stands: all of them when it was cancelled, else a
// part of them by the program's rule for the refunds of its returns. The
// rule works on the order's points_used (what the customer paid in points,
// and so in cash); paid caps the answer at the points the customer's
// committed holds for the order actually took.
func (p *Program) PointsBack(o *commerce.Order, paid int64) int64 {
	used := o.PointsUsed
	if paid <= 0 || used <= 0 {
		return 0
	}
	if o.Status == commerce.OrderCancelled {
		return min(used, paid)
	}
	var refund int64
	for _, r := range o.Returns {
		refund += r.Refund
	}
	if refund <= 0 || o.Total <= 0 {
		return 0
	}
	var back int64
	switch p.PointsRefund {
	case RefundPointsFirst:
		back = refund
	case RefundCashFirst:
		back = refund - (o.Total - used) // what the refund leaves after the cash paid
	default:
		// The refund's share of the total, rounded down: the customer
		// gets the rest of the refund in cash.
		back = used
		if refund < o.Total {
			hi, lo := bits.Mul64(uint64(used), uint64(refund))
			q, _ := bits.Div64(hi, lo, uint64(o.Total)) // hi < Total, as refund < Total
			back = int64(q)
		}
	}
	return max(0, min(back, used, paid))
}

// APIRole is the role AdjustLimits knows API keys by.
const APIRole = "api"

// DefaultProgram is the program until an administrator sets one: 1 point
// per 100 yen, tax included, rounded down, spendable after 14 days, valid
// 12 months from each earn.
func DefaultProgram() Program {
	return Program{Rate: 1, Rounding: commerce.RoundDown, PendingDays: 14, ValidityMonths: 12, HoldMinutes: 15,
		AdjustLimits: map[string]int64{"store_staff": 500, "support": 3000, "admin": 100000, APIRole: 1000}}
}

// Validate checks a program's settings.
func (p *Program) Validate() error {
	// NaN passes every comparison below; nothing here may be one.
	bad := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	switch {
	case bad(p.Rate) || p.Rate < 0 || p.Rate > 100:
		return kizuna.FieldError("rate", "must be between 0 and 100 points per 100 yen")
	case !p.Rounding.Valid():
		return kizuna.FieldError("rounding", "must be down, half_up or up")
	case p.PendingDays < 0 || p.PendingDays > 365:
		return kizuna.FieldError("pending_days", "must be 0 to 365")
	case p.PendingFrom != "" && p.PendingFrom != PendingFromOrder && p.PendingFrom != PendingFromDelivery:
		return kizuna.FieldError("pending_from", "must be order or delivery")
	case p.ValidityMonths < 1 || p.ValidityMonths > 120:
		return kizuna.FieldError("validity_months", "must be 1 to 120")
	case p.HoldMinutes < 1 || p.HoldMinutes > 24*60:
		return kizuna.FieldError("hold_minutes", "must be 1 to 1440")
	case !slices.Contains([]string{"", DebtFromEarnings, DebtFromBalance, DebtWriteOff}, p.DebtPolicy):
		return kizuna.FieldError("debt_policy", "must be earnings, balance or write_off")
	case !slices.Contains([]string{"", RefundProportional, RefundPointsFirst, RefundCashFirst}, p.PointsRefund):
		return kizuna.FieldError("points_refund", "must be proportional, points_first or cash_first")
	}
	for ch, r := range p.ChannelRates {
		if bad(r) || r < 0 || r > 100 {
			return kizuna.FieldError("channel_rates."+ch, "must be between 0 and 100")
		}
	}
	for c, m := range p.CategoryMultipliers {
		if bad(m) || m < 0 || m > 100 {
			return kizuna.FieldError("category_multipliers."+c, "must be between 0 and 100")
		}
	}
	for i, c := range p.Campaigns {
		f := fmt.Sprintf("campaigns[%d].", i)
		switch {
		case strings.TrimSpace(c.Name) == "":
			return kizuna.FieldError(f+"name", "is required")
		case !c.To.After(c.From):
			return kizuna.FieldError(f+"to", "must be after from")
		case bad(c.Multiplier) || c.Multiplier < 0 || c.Multiplier > 100:
			return kizuna.FieldError(f+"multiplier", "must be between 0 and 100")
		}
	}
	for role, l := range p.AdjustLimits {
		if l < 0 {
			return kizuna.FieldError("adjust_limits."+role, "cannot be negative")
		}
	}
	return p.validateRanks()
}

// Earned is the points an order earns as it stands now: its lines net of
// returns, less the order's discount and (unless the program says so) the
// points spent on it, at the channel's rate, times the categories' and
// the period's multipliers, times the customer's rank multiplier when the
// order was placed. A cancelled order earns nothing. categories gives a
// SKU's category path ("" when unknown).
func (p *Program) Earned(o *commerce.Order, categories map[string]string, rank float64) int64 {
	if o.Status == commerce.OrderCancelled {
		return 0
	}
	rate := p.Rate
	if r, ok := p.ChannelRates[o.Channel]; ok {
		rate = r
	}
	var gross, weighted float64 // yen, and yen × multiplier
	for _, l := range o.Lines {
		amount := l.Amount - refundOf(l)
		if p.TaxExcluded {
			amount, _ = commerce.SplitInclusive(amount, l.TaxRate, commerce.RoundDown)
		}
		gross += float64(amount)
		weighted += float64(amount) * p.categoryMultiplier(categories[l.SKU])
	}
	if gross <= 0 {
		return 0
	}
	// The order's discount and the points spent reduce every line alike.
	var lines int64
	for _, l := range o.Lines {
		lines += l.Amount
	}
	less := o.Discount
	if !p.EarnOnPointsPaid {
		less += o.PointsUsed
	}
	if lines > 0 {
		weighted *= max(0, 1-float64(less)/float64(lines))
	}
	points := weighted * rate / 100 * p.campaignMultiplier(o.Channel, o.PlacedAt) * rank
	// Settle the fraction by the program's rule on a value rounded to a
	// millionth, so that float error never turns 100.0 into 99.
	micro := int64(math.Round(points * 1e6))
	return p.Rounding.Divide(micro, 1e6)
}

func refundOf(l commerce.OrderLine) int64 {
	if l.Returned >= l.Quantity {
		return l.Amount
	}
	return l.Amount * l.Returned / l.Quantity
}

func (p *Program) categoryMultiplier(path string) float64 {
	best, m := -1, 1.0
	for c, x := range p.CategoryMultipliers {
		if (path == c || strings.HasPrefix(path, c+"/")) && len(c) > best {
			best, m = len(c), x
		}
	}
	return m
}

func (p *Program) campaignMultiplier(channel string, at time.Time) float64 {
	m := 1.0
	for _, c := range p.Campaigns {
		if !at.Before(c.From) && at.Before(c.To) && (len(c.Channels) == 0 || slices.Contains(c.Channels, channel)) {
			m = max(m, c.Multiplier)
		}
	}
	return m
}

// expiry is when points earned at t expire.
// When the return window starts (Program.PendingFrom).
const (
	PendingFromOrder    = "order"
	PendingFromDelivery = "delivery"
)

// availableFrom is when an order's points start their wait (PendingDays),
// and false while the program waits for a delivery not yet made.
func (p *Program) availableFrom(o *commerce.Order) (time.Time, bool) {
	if p.PendingFrom != PendingFromDelivery {
		return o.PlacedAt, true
	}
	var at time.Time
	for _, s := range o.Shipments {
		if s.DeliveredAt != nil && s.DeliveredAt.After(at) {
			at = *s.DeliveredAt
		}
	}
	if at.IsZero() {
		for _, h := range o.History {
			if h.Status == commerce.OrderDelivered {
				at = h.At
				break
			}
		}
	}
	switch {
	case !at.IsZero():
		return at, true
	case o.Status == commerce.OrderDelivered || o.Status == commerce.OrderReturned:
		return o.PlacedAt, true // handed over at the counter: a till sale
	}
	return time.Time{}, false
}

func (p *Program) expiry(t time.Time) time.Time {
	return t.In(kizuna.Tokyo).AddDate(0, p.ValidityMonths, 0).UTC()
}
