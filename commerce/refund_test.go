package commerce

import (
	"math/rand/v2"
	"testing"
)

// A return refunds what the goods were paid: the order's discount is
// shared by the lines, and the shipping fee stays.
func TestReturnsShareTheOrderDiscount(t *testing.T) {
	o := &Order{Status: OrderDelivered, Discount: 1000, ShippingFee: 550, Lines: []OrderLine{
		{Line: 1, Quantity: 3, Amount: 6000},
		{Line: 2, Quantity: 1, Amount: 4000},
	}}
	// Line 1's share is 600: 5,400 for three units, 1,800 each.
	r := &Return{Lines: []ReturnLine{{Line: 1, Quantity: 1}}}
	if err := o.applyReturn(r); err != nil || r.Refund != 1800 {
		t.Fatalf("one unit: refund %d, %v", r.Refund, err)
	}
	r = &Return{Lines: []ReturnLine{{Line: 1, Quantity: 2}, {Line: 2, Quantity: 1}}}
	if err := o.applyReturn(r); err != nil || r.Refund != 3600+3600 {
		t.Fatalf("the rest: refund %d, %v", r.Refund, err)
	}
	var refunded int64
	for _, r := range o.Returns {
		refunded += r.Refund
	}
	if refunded != 10000-1000 {
		t.Fatalf("refunded %d in all, want the 9,000 the goods were paid", refunded)
	}
}

// However the discount divides, the lines' shares add up to it exactly
// and none is negative or more than its line.
func TestDiscountSharesAddUp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		o := &Order{}
		var lines int64
		for i := range 1 + rng.IntN(6) {
			a := rng.Int64N(20000)
			if rng.IntN(5) == 0 {
				a = rng.Int64N(3)
			}
			o.Lines = append(o.Lines, OrderLine{Line: i + 1, Quantity: 1, Amount: a})
			lines += a
		}
		o.Discount = rng.Int64N(lines + 1)
		var shares int64
		for _, l := range o.Lines {
			share := l.Amount - o.netAmounts()[l.Line]
			if share < 0 || share > l.Amount {
				t.Fatalf("%+v: line %d's share is %d", o, l.Line, share)
			}
			shares += share
		}
		if shares != o.Discount {
			t.Fatalf("%+v: shares add up to %d", o, shares)
		}
	}
	// Amounts near the int64 limit do not overflow.
	big := &Order{Discount: 1 << 61, Lines: []OrderLine{{Line: 1, Amount: 1 << 61}, {Line: 2, Amount: 1 << 61}}}
	if n := big.netAmounts(); n[1]+n[2] != 1<<61 {
		t.Fatalf("large amounts: %v", n)
	}
}
