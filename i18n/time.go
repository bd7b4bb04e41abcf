package i18n

import (
	"fmt"
	"time"

	// Embedded so that Tokyo time is right even on hosts without a zoneinfo
	// database (scratch containers, Windows).
	_ "time/tzdata"
)

// Tokyo is the zone every date and time in the console is shown in,
// whatever the server's own zone: staff and customers live by Japanese
// calendar days, and a purchase at 08:30 JST must not appear under the
// previous day.
var Tokyo = loadTokyo()

func loadTokyo() *time.Location {
	if loc, err := time.LoadLocation("Asia/Tokyo"); err == nil {
		return loc
	}
	// Japan has not observed daylight saving time since 1951, so a fixed
	// offset is exact for every date the console realistically shows.
	return time.FixedZone("JST", 9*60*60)
}

// era is a Japanese imperial era (元号) and the Gregorian date it began.
type era struct {
	name string
	// start is year*10000 + month*100 + day, so that civil dates compare
	// as integers without involving any time zone.
	start int
}

// eras is ordered newest first so the first era that started on or before
// a date is the one it belongs to.
//
// Meiji starts at its proclamation date. Japan only adopted the Gregorian
// calendar on Meiji 6-01-01 (1873), so an era date for 1868–1872 pairs the
// era year with a Gregorian month and day; for a CRM, whose oldest dates are
// customers' birth dates, that never matters.
var eras = []era{
	{"令和", 20190501},
	{"平成", 19890108},
	{"昭和", 19261225},
	{"大正", 19120730},
	{"明治", 18681023},
}

// FormatDate renders the calendar day of t in Tokyo: "2026年11月22日", or
// with wareki "令和8年11月22日", which many customers and official forms
// still expect. English is always "Nov 22, 2026": an era name means nothing
// to someone who reads the English console, so wareki is ignored there.
// Dates before Meiji are shown in the Western calendar because no era in
// the table covers them. The zero time renders as "" because it only ever
// means "not set".
func FormatDate(t time.Time, loc Locale, wareki bool) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(Tokyo)
	return formatDay(t.Year(), t.Month(), t.Day(), loc, wareki)
}

// FormatDateTime is FormatDate followed by the Tokyo wall-clock time
// ("2026年11月22日 14:05", "Nov 22, 2026 14:05"). Both locales use the
// 24-hour clock, as Japanese business documents do, so an English and a
// Japanese screenshot of the same record show the same time.
func FormatDateTime(t time.Time, loc Locale, wareki bool) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(Tokyo)
	return formatDay(t.Year(), t.Month(), t.Day(), loc, wareki) + t.Format(" 15:04")
}

// FormatISODate renders a "YYYY-MM-DD" calendar date such as a stored birth
// date. It is a civil date, not an instant, so no time zone is applied:
// converting it would move birthdays by a day for anyone reading the code
// as midnight UTC. Input that is not a valid date is returned unchanged, so
// that whatever a source system sent stays visible to staff.
func FormatISODate(s string, loc Locale, wareki bool) string {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return s
	}
	return formatDay(d.Year(), d.Month(), d.Day(), loc, wareki)
}

func formatDay(y int, m time.Month, d int, loc Locale, wareki bool) string {
	if loc.norm() == En {
		return fmt.Sprintf("%s %d, %d", m.String()[:3], d, y)
	}
	if wareki {
		ymd := y*10000 + int(m)*100 + d
		for _, e := range eras {
			if ymd < e.start {
				continue
			}
			n := y - e.start/10000 + 1
			year := fmt.Sprint(n)
			if n == 1 {
				year = "元" // the first year of an era is written 元年, never 1年
			}
			return fmt.Sprintf("%s%s年%d月%d日", e.name, year, int(m), d)
		}
	}
	return fmt.Sprintf("%d年%d月%d日", y, int(m), d)
}
