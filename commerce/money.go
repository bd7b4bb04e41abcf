package commerce

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kizuna-oss/kizuna"
)

// Money is an amount in a currency's minor units. The yen has none, so
// ¥1,980 is {1980, "JPY"}. Amounts are never floating point.
type Money struct {
	Amount   int64  `json:"amount" doc:"In the currency's minor units (yen: whole yen)"`
	Currency string `json:"currency" doc:"ISO 4217 code" example:"JPY"`
}

// Yen is an amount of Japanese yen.
func Yen(amount int64) Money { return Money{Amount: amount, Currency: "JPY"} }

// Add is m+o; adding different currencies is an error, never a conversion.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency {
		return Money{}, kizuna.Errorf(kizuna.EINVALID, "cannot add %s to %s", o.Currency, m.Currency)
	}
	return Money{Amount: m.Amount + o.Amount, Currency: m.Currency}, nil
}

// String formats yen as ¥1,980 and other currencies as "1980 USD" (their
// minor units, unformatted).
func (m Money) String() string {
	if m.Currency != "JPY" {
		return fmt.Sprintf("%d %s", m.Amount, m.Currency)
	}
	s := strconv.FormatInt(m.Amount, 10)
	sign := ""
	if m.Amount < 0 {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + "¥" + b.String()
}

// Rounding is how a fraction of a minor unit (or of a point) is settled.
type Rounding string

// Roundings. Retailers in Japan mostly round tax and points down
// (切り捨て).
const (
	RoundDown   Rounding = "down"    // 切り捨て
	RoundHalfUp Rounding = "half_up" // 四捨五入
	RoundUp     Rounding = "up"      // 切り上げ
)

// Valid reports whether r is one of the roundings.
func (r Rounding) Valid() bool { return r == RoundDown || r == RoundHalfUp || r == RoundUp }

// Divide is n/d rounded by r, for n ≥ 0 and d > 0 (amounts and points are
// settled on their absolute value; the caller keeps the sign).
func (r Rounding) Divide(n, d int64) int64 {
	q, rem := n/d, n%d
	switch {
	case rem == 0:
		return q
	case r == RoundUp:
		return q + 1
	case r == RoundHalfUp && 2*rem >= d:
		return q + 1
	}
	return q
}
