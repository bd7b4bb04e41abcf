package i18n

import "strconv"

// Yen renders an amount of Japanese yen: "¥12,345", "-¥1,200". Both locales
// use the same form so that amounts match across screens, exports and
// receipts; loc is accepted so that a Japanese "12,345円" style can be
// introduced later without touching every caller.
func Yen(amount int64, loc Locale) string {
	if amount < 0 {
		return "-¥" + group(uint64(-amount))
	}
	return "¥" + group(uint64(amount))
}

// Number renders an integer with thousands separators ("1,234,567"), the
// grouping used in both Japanese and English business writing.
func Number(n int64) string {
	if n < 0 {
		return "-" + group(uint64(-n))
	}
	return group(uint64(n))
}

// group takes the magnitude as uint64 because the magnitude of
// math.MinInt64 does not fit in an int64: negating it wraps back to
// math.MinInt64, whose uint64 conversion is exactly 1<<63.
func group(u uint64) string {
	s := strconv.FormatUint(u, 10)
	if len(s) <= 3 {
		return s
	}
	b := make([]byte, 0, len(s)+(len(s)-1)/3)
	first := len(s) % 3
	if first == 0 {
		first = 3
	}
	b = append(b, s[:first]...)
	for i := first; i < len(s); i += 3 {
		b = append(b, ',')
		b = append(b, s[i:i+3]...)
	}
	return string(b)
}
