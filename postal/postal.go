// Package postal reads Japan Post's postal code data (郵便番号データ) and
// answers postal code ↔ address questions: which prefecture, city and town
// a code belongs to, so an address given with only a postal code can be
// completed and two spellings of one address compared.
//
// Japan Post publishes KEN_ALL.CSV (CP932, half-width katakana, a long town
// name split over several consecutive lines, placeholder towns such as
// 「以下に掲載がない場合」) and utf_ken_all.csv (UTF-8, full-width katakana,
// lines merged), each also zipped. Read takes any of the four.
package postal

import (
	"context"
	"strings"
)

// Entry is one postal code's address. Town is "" where the code covers a
// whole city (the placeholder lines); TownNote keeps the parenthesized
// remark Japan Post gives ("１～１９丁目", "次のビルを除く").
type Entry struct {
	Code           string `json:"code"` // 7 digits
	Prefecture     string `json:"prefecture"`
	City           string `json:"city"`
	Town           string `json:"town"`
	TownNote       string `json:"town_note,omitempty"`
	PrefectureKana string `json:"prefecture_kana"`
	CityKana       string `json:"city_kana"`
	TownKana       string `json:"town_kana"`
}

// Address is the entry written as an address prefix (東京都渋谷区道玄坂).
func (e Entry) Address() string { return e.Prefecture + e.City + e.Town }

// Reader reads the dictionary.
type Reader interface {
	// PostalCode returns the entries of a 7-digit code, in Japan Post's
	// order.
	PostalCode(ctx context.Context, code string) ([]Entry, error)
	// PostalPlaces lists every prefecture and city.
	PostalPlaces(ctx context.Context) ([]Place, error)
	// PostalArea returns the entries of one city.
	PostalArea(ctx context.Context, p Place) ([]Entry, error)
}

// Store keeps the dictionary.
type Store interface {
	Reader
	// ReplacePostalCodes swaps the whole dictionary for entries in one
	// transaction: a failed import leaves the previous one in place.
	ReplacePostalCodes(ctx context.Context, entries []Entry) error
	PostalCodeCount(ctx context.Context) (int, error)
}

// placeholderTowns stand for "the rest of the city" rather than a town.
var placeholderTowns = []string{"以下に掲載がない場合"}

// placeholderSuffixes end town fields that are notes, not towns:
// 「渋谷区の次に番地がくる場合」, 「大島町一円」.
var placeholderSuffixes = []string{"の次に番地がくる場合", "一円"}

// splitTown separates a town from its parenthesized remark and empties
// placeholders.
func splitTown(town string) (name, note string) {
	if i := strings.Index(town, "（"); i >= 0 {
		name, note = town[:i], strings.TrimSuffix(town[i+len("（"):], "）")
	} else {
		name = town
	}
	for _, p := range placeholderTowns {
		if name == p {
			return "", ""
		}
	}
	for _, s := range placeholderSuffixes {
		if strings.HasSuffix(name, s) && name != s {
			return "", ""
		}
	}
	return name, note
}
