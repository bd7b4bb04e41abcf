package i18n

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		accept, pref string
		want         Locale
	}{
		{"", "", Ja},
		{"en-US,en;q=0.9", "", En},
		{"en-GB", "", En},
		{"ja-JP,ja;q=0.9,en;q=0.8", "", Ja},
		{"en;q=0.5, ja", "", Ja},           // order in the header does not matter, q does
		{"fr, en;q=0.5, ja;q=0.8", "", Ja}, // unsupported first choice, best supported next
		{"fr, en;q=0.8, ja;q=0.5", "", En},
		{"fr", "", Ja}, // the matcher's "No" answer points at English
		{"zh-TW", "", Ja},
		{"en;q=0", "", Ja}, // q=0 means "not acceptable"
		{"en;q=0, ja;q=0.1", "", Ja},
		{"*", "", Ja},
		{"en-US,en;q=0.9,!!bad", "", Ja}, // malformed header
		{"en-US", "ja", Ja},              // saved preference beats the browser
		{"ja", "en", En},
		{"ja", " EN ", En},
		{"en", "fr", En}, // unusable preference is ignored
		{"", "english", Ja},
		{"de-DE,de;q=0.9,en-US;q=0.8", "", En},
		{"ko-KR,ko;q=0.9,ja;q=0.8,en;q=0.7", "", Ja},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.accept, tt.pref); got != tt.want {
			t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.accept, tt.pref, got, tt.want)
		}
	}
}

func TestTokyo(t *testing.T) {
	if Tokyo == nil {
		t.Fatal("Tokyo is nil")
	}
	for _, ts := range []time.Time{
		time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC), // no daylight saving time
	} {
		if _, off := ts.In(Tokyo).Zone(); off != 9*60*60 {
			t.Errorf("Tokyo offset at %v = %d, want +9h", ts, off)
		}
	}
}

func TestFormatDate(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, Tokyo) }
	tests := []struct {
		t      time.Time
		loc    Locale
		wareki bool
		want   string
	}{
		{day(2026, 11, 22), Ja, false, "2026年11月22日"},
		{day(2026, 11, 22), Ja, true, "令和8年11月22日"},
		{day(2026, 11, 22), En, false, "Nov 22, 2026"},
		{day(2026, 11, 22), En, true, "Nov 22, 2026"},
		{day(2026, 11, 22), "fr", false, "2026年11月22日"}, // unknown locale renders as Japanese
		{day(2026, 1, 5), Ja, false, "2026年1月5日"},       // no zero padding
		{day(2026, 1, 5), En, false, "Jan 5, 2026"},

		// Era boundaries.
		{day(2019, 5, 1), Ja, true, "令和元年5月1日"},
		{day(2019, 4, 30), Ja, true, "平成31年4月30日"},
		{day(2020, 1, 1), Ja, true, "令和2年1月1日"},
		{day(1989, 1, 8), Ja, true, "平成元年1月8日"},
		{day(1989, 1, 7), Ja, true, "昭和64年1月7日"},
		{day(1926, 12, 25), Ja, true, "昭和元年12月25日"},
		{day(1926, 12, 24), Ja, true, "大正15年12月24日"},
		{day(1912, 7, 30), Ja, true, "大正元年7月30日"},
		{day(1912, 7, 29), Ja, true, "明治45年7月29日"},
		{day(1868, 10, 23), Ja, true, "明治元年10月23日"},
		{day(1868, 10, 22), Ja, true, "1868年10月22日"}, // before Meiji: Western calendar
		{day(1600, 9, 15), Ja, true, "1600年9月15日"},
		{day(1980, 3, 15), Ja, true, "昭和55年3月15日"},

		// Instants are shown on the Tokyo calendar day.
		{time.Date(2026, 11, 22, 15, 30, 0, 0, time.UTC), Ja, false, "2026年11月23日"},
		{time.Date(2026, 11, 22, 15, 30, 0, 0, time.UTC), En, false, "Nov 23, 2026"},
		{time.Date(2026, 11, 22, 14, 59, 0, 0, time.UTC), Ja, false, "2026年11月22日"},
		{time.Date(2019, 4, 30, 15, 0, 0, 0, time.UTC), Ja, true, "令和元年5月1日"},
		{time.Date(2026, 11, 22, 23, 0, 0, 0, time.FixedZone("PST", -8*60*60)), Ja, false, "2026年11月23日"},

		{time.Time{}, Ja, false, ""},
	}
	for _, tt := range tests {
		if got := FormatDate(tt.t, tt.loc, tt.wareki); got != tt.want {
			t.Errorf("FormatDate(%v, %q, %v) = %q, want %q", tt.t, tt.loc, tt.wareki, got, tt.want)
		}
	}
}

func TestFormatDateTime(t *testing.T) {
	tests := []struct {
		t      time.Time
		loc    Locale
		wareki bool
		want   string
	}{
		{time.Date(2026, 11, 22, 5, 5, 0, 0, time.UTC), Ja, false, "2026年11月22日 14:05"},
		{time.Date(2026, 11, 22, 5, 5, 59, 0, time.UTC), En, false, "Nov 22, 2026 14:05"},
		{time.Date(2026, 11, 22, 5, 5, 0, 0, time.UTC), Ja, true, "令和8年11月22日 14:05"},
		{time.Date(2026, 11, 22, 15, 30, 0, 0, time.UTC), Ja, false, "2026年11月23日 00:30"},
		{time.Date(2026, 11, 22, 15, 30, 0, 0, time.UTC), En, false, "Nov 23, 2026 00:30"},
		{time.Time{}, En, false, ""},
	}
	for _, tt := range tests {
		if got := FormatDateTime(tt.t, tt.loc, tt.wareki); got != tt.want {
			t.Errorf("FormatDateTime(%v, %q, %v) = %q, want %q", tt.t, tt.loc, tt.wareki, got, tt.want)
		}
	}
}

func TestFormatISODate(t *testing.T) {
	tests := []struct {
		in     string
		loc    Locale
		wareki bool
		want   string
	}{
		{"1980-03-15", Ja, false, "1980年3月15日"},
		{"1980-03-15", Ja, true, "昭和55年3月15日"},
		{"1980-03-15", En, true, "Mar 15, 1980"},
		{"1989-01-07", Ja, true, "昭和64年1月7日"},
		{"1989-01-08", Ja, true, "平成元年1月8日"},
		{"2019-04-30", Ja, true, "平成31年4月30日"},
		{"2019-05-01", Ja, true, "令和元年5月1日"},
		{"2000-02-29", Ja, true, "平成12年2月29日"},
		{"1850-01-01", Ja, true, "1850年1月1日"},

		// Whatever cannot be read is shown as stored.
		{"", Ja, false, ""},
		{"1980/03/15", Ja, false, "1980/03/15"},
		{"1980-3-15", Ja, false, "1980-3-15"},
		{"2001-02-29", Ja, true, "2001-02-29"},
		{"1980-03-15T00:00:00Z", Ja, false, "1980-03-15T00:00:00Z"},
		{" 1980-03-15", Ja, false, " 1980-03-15"},
		{"不明", En, false, "不明"},
	}
	for _, tt := range tests {
		if got := FormatISODate(tt.in, tt.loc, tt.wareki); got != tt.want {
			t.Errorf("FormatISODate(%q, %q, %v) = %q, want %q", tt.in, tt.loc, tt.wareki, got, tt.want)
		}
	}
}

// A civil date must not shift when the process runs in a zone west of UTC.
func TestFormatISODateIgnoresLocalZone(t *testing.T) {
	saved := time.Local
	t.Cleanup(func() { time.Local = saved })
	time.Local = time.FixedZone("HST", -10*60*60)
	if got := FormatISODate("1980-03-15", Ja, false); got != "1980年3月15日" {
		t.Errorf("FormatISODate under HST = %q", got)
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0"},
		{7, "7"},
		{999, "999"},
		{1000, "1,000"},
		{12345, "12,345"},
		{123456, "123,456"},
		{1234567, "1,234,567"},
		{-1, "-1"},
		{-1200, "-1,200"},
		{-123456, "-123,456"},
		{math.MaxInt64, "9,223,372,036,854,775,807"},
		{math.MinInt64, "-9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		if got := Number(tt.in); got != tt.want {
			t.Errorf("Number(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestYen(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "¥0"},
		{500, "¥500"},
		{12345, "¥12,345"},
		{-1200, "-¥1,200"},
		{math.MinInt64, "-¥9,223,372,036,854,775,808"},
	}
	for _, tt := range tests {
		for _, loc := range []Locale{Ja, En} {
			if got := Yen(tt.in, loc); got != tt.want {
				t.Errorf("Yen(%d, %q) = %q, want %q", tt.in, loc, got, tt.want)
			}
		}
	}
}

func TestT(t *testing.T) {
	if got := T(Ja, "nav.search"); got != "顧客検索" {
		t.Errorf("T(Ja, nav.search) = %q", got)
	}
	if got := T(En, "nav.search"); got != "Customer search" {
		t.Errorf("T(En, nav.search) = %q", got)
	}
	if got := T("", "nav.search"); got != "顧客検索" {
		t.Errorf("T(\"\", nav.search) = %q, want Japanese", got)
	}
	if got := T(Ja, "merge.not_active", "cus_1", "merged"); got != "顧客ID cus_1 は「merged」のため統合できません。" {
		t.Errorf("T(Ja, merge.not_active, ...) = %q", got)
	}
	if got := T(En, "search.result_count", Number(1234)); got != "Results: 1,234" {
		t.Errorf("T(En, search.result_count, ...) = %q", got)
	}
	if got := T(En, "no.such.key"); got != "no.such.key" {
		t.Errorf("T(En, missing) = %q, want the key", got)
	}
	if got := T(Ja, "no.such.key", 1); got != "no.such.key" {
		t.Errorf("T(Ja, missing, 1) = %q, want the key", got)
	}

	ja["test.ja_only"] = "日本語のみ"
	ja["test.percent"] = "100%完了"
	t.Cleanup(func() {
		delete(ja, "test.ja_only")
		delete(ja, "test.percent")
	})
	if got := T(En, "test.ja_only"); got != "日本語のみ" {
		t.Errorf("T(En, ja-only key) = %q, want the Japanese text", got)
	}
	if got := T(Ja, "test.percent"); got != "100%完了" {
		t.Errorf("T without args = %q, want the text as written", got)
	}
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

func verbs(s string) []string {
	v := verbRE.FindAllString(s, -1)
	slices.Sort(v)
	return v
}

// TestCatalogComplete keeps the two languages in step: the console must
// never fall back to Japanese for an English user because a translation
// was forgotten, and both texts must consume the same arguments.
func TestCatalogComplete(t *testing.T) {
	keyRE := regexp.MustCompile(`^[a-z]+(\.[a-z0-9][a-z0-9_]*)+$`)
	for key, msg := range ja {
		if _, ok := en[key]; !ok {
			t.Errorf("key %q has no English text", key)
		}
		if !keyRE.MatchString(key) {
			t.Errorf("key %q is not area.name in lower case", key)
		}
		if strings.TrimSpace(msg) == "" || strings.TrimSpace(msg) != msg {
			t.Errorf("ja[%q] = %q is empty or has surrounding space", key, msg)
		}
	}
	for key, msg := range en {
		jmsg, ok := ja[key]
		if !ok {
			t.Errorf("key %q has no Japanese text", key)
			continue
		}
		if strings.TrimSpace(msg) == "" || strings.TrimSpace(msg) != msg {
			t.Errorf("en[%q] = %q is empty or has surrounding space", key, msg)
		}
		if jv, ev := verbs(jmsg), verbs(msg); !slices.Equal(jv, ev) {
			t.Errorf("key %q: Japanese uses %v, English uses %v", key, jv, ev)
		}
		for _, v := range verbs(msg) {
			if !strings.HasPrefix(v, "%[") {
				t.Errorf("key %q: %q should name its argument (%%[1]s) so translations can reorder", key, v)
			}
		}
	}
	for _, key := range []string{
		"nav.dashboard", "nav.search", "nav.duplicates", "nav.audit", "nav.admin",
		"action.login", "action.logout", "action.search", "action.unmerge",
		"action.save", "action.cancel", "error.generic", "empty.search",
	} {
		if _, ok := ja[key]; !ok {
			t.Errorf("catalog lacks %q", key)
		}
	}
}
