package commerce

import "github.com/kizuna-oss/kizuna"

// TaxRate is a consumption tax rate in percent.
type TaxRate int

// Tax rates in force since October 2019: 10 % standard, 8 % reduced (food
// and drink other than alcohol and eating in, newspapers by subscription),
// and 0 for what the tax does not cover (gift cards, stamps).
const (
	TaxStandard TaxRate = 10
	TaxReduced  TaxRate = 8
	TaxExempt   TaxRate = 0
)

// Valid reports whether r is a rate in force.
func (r TaxRate) Valid() bool { return r == TaxStandard || r == TaxReduced || r == TaxExempt }

// ValidateTaxRate checks a rate given by a caller.
func ValidateTaxRate(field string, r TaxRate) error {
	if !r.Valid() {
		return kizuna.FieldError(field, "tax rate %d%% is not in force: use 10 (standard), 8 (reduced) or 0 (not taxed)", r)
	}
	return nil
}

// SplitInclusive splits a tax-inclusive amount (税込) into the amount
// without tax and the tax in it, the tax rounded by rounding: tax =
// inclusive × rate / (100 + rate). ¥1,100 at 10 % is ¥1,000 and ¥100;
// ¥1,000 at 8 %, rounded down, is ¥926 and ¥74. A negative amount (a
// refund) splits as its absolute value, negated.
func SplitInclusive(inclusive int64, rate TaxRate, rounding Rounding) (excluded, tax int64) {
	sign := int64(1)
	if inclusive < 0 {
		sign, inclusive = -1, -inclusive
	}
	tax = rounding.Divide(inclusive*int64(rate), 100+int64(rate))
	return sign * (inclusive - tax), sign * tax
}
