package postal

import (
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kizuna-oss/kizuna/normalize"
)

// Place is a prefecture and city of the dictionary.
type Place struct {
	Prefecture string `json:"prefecture"`
	City       string `json:"city"`
}

// SplitCity finds the city an address (after its prefecture) begins with,
// among places; prefecture narrows the search when known. The longest
// city wins (札幌市中央区 over a city named 札幌市), and a city that two
// prefectures share (府中市) is found only when the prefecture says which.
// ok is false when no city, or more than one, fits.
func SplitCity(places []Place, prefecture, address string) (p Place, rest string, ok bool) {
	address = compact(address)
	best, n := -1, 0
	for i, pl := range places {
		if prefecture != "" && pl.Prefecture != prefecture {
			continue
		}
		if pl.City == "" || !strings.HasPrefix(address, pl.City) {
			continue
		}
		switch {
		case best < 0 || len(pl.City) > len(places[best].City):
			best, n = i, 1
		case len(pl.City) == len(places[best].City) && pl != places[best]:
			n++
		}
	}
	if best < 0 || n > 1 {
		return Place{}, "", false
	}
	return places[best], strings.TrimPrefix(address, places[best].City), true
}

// Locate finds the postal code of an address within one city, from the
// city's entries and the address after the city (道玄坂2-10-7). The town
// the address begins with decides (the longest, so 道玄坂上 is not taken
// for 道玄坂); where a town has one code per range of 丁目 (札幌市中央区
// 大通西 1〜19丁目 and 20〜28丁目) the 丁目 number picks one; an address in
// no listed town gets the city's own code (「以下に掲載がない場合」).
// It answers "" when the address fits no code or more than one; town says
// whether a town of the dictionary begins the address (the city's own code
// is also what a misspelt town gets).
func Locate(entries []Entry, rest string) (code string, town bool) {
	rest = strings.TrimPrefix(strings.TrimPrefix(compact(rest), "大字"), "字")
	var matched []Entry
	for _, e := range entries {
		if e.Town == "" || !strings.HasPrefix(rest, e.Town) {
			continue
		}
		if len(matched) > 0 && len(e.Town) < len(matched[0].Town) {
			continue
		}
		if len(matched) > 0 && len(e.Town) > len(matched[0].Town) {
			matched = matched[:0]
		}
		matched = append(matched, e)
	}
	if len(matched) == 0 {
		for _, e := range entries {
			if e.Town == "" {
				matched = append(matched, e)
			}
		}
		return oneCode(matched), false
	}
	if code := oneCode(matched); code != "" {
		return code, true
	}
	// One town, several codes: a sub-area named after it, or else the 丁目
	// or 番地 number, chooses.
	if code := subArea(matched, strings.TrimPrefix(rest, matched[0].Town)); code != "" {
		return code, true
	}
	after := normalize.Address(strings.TrimPrefix(rest, matched[0].Town)).Locality
	num := leadingNumber.FindString(after)
	if num == "" {
		return "", true
	}
	chome, _ := strconv.Atoi(num)
	var covering, others []Entry
	for _, e := range matched {
		switch covers, ranged := chomeNote(e.TownNote, chome); {
		case covers:
			covering = append(covering, e)
		case !ranged:
			others = append(others, e)
		}
	}
	if len(covering) > 0 {
		return oneCode(covering), true
	}
	// No range names the 丁目: the town's other code (「その他」), if it
	// has just one.
	return oneCode(others), true
}

// subArea picks, among one town's entries, those whose note is a sub-area
// the address names, right after the town (音江町稲田 for 音江町（稲田）)
// or after its 丁目 or 条 number, as Sapporo writes them (南郷通1丁目南 for
// 南郷通（南）), and answers their one code, or "".
func subArea(entries []Entry, after string) string {
	bare := leadingBlock.ReplaceAllString(after, "")
	var named []Entry
	for _, e := range entries {
		note := normalize.Text(e.TownNote)
		if note == "" || note == "その他" {
			continue
		}
		if _, ranged := chomeNote(note, 0); ranged {
			continue
		}
		if strings.HasPrefix(after, note) || strings.HasPrefix(bare, note) {
			named = append(named, e)
		}
	}
	return oneCode(named)
}

// oneCode is the code all entries share, or "".
func oneCode(entries []Entry) string {
	if len(entries) == 0 {
		return ""
	}
	for _, e := range entries[1:] {
		if e.Code != entries[0].Code {
			return ""
		}
	}
	return entries[0].Code
}

var (
	leadingNumber = regexp.MustCompile(`^\d+`)
	// leadingBlock is a 丁目 or 条 number at the start of what follows a
	// town: 1丁目, 一丁目, 3条, 1- (the sub-area comes after it).
	leadingBlock = regexp.MustCompile(`^[\d〇一二三四五六七八九十]+(?:丁目|条|-)?`)
	// chomeList is a note naming 丁目 or 番地 numbers and ranges:
	// 1〜19丁目, 1・2丁目, 3、5〜7丁目, 400、400-2番地 (after NFKC: ～ is
	// ~, 〜 stays). A hyphen is a branch number (400-2 is in 400), never a
	// range.
	chomeList = regexp.MustCompile(`^([\d・、,~〜\-]+)(?:丁目|番地)$`)
	chomeItem = regexp.MustCompile(`(\d+)(?:-\d+)*(?:[~〜](\d+)(?:-\d+)*)?`)
)

// chomeNote reports whether a town note names 丁目 or 番地 numbers
// (ranged) and whether n is among them.
func chomeNote(note string, n int) (covers, ranged bool) {
	m := chomeList.FindStringSubmatch(normalize.Text(note))
	if m == nil {
		return false, false
	}
	for _, it := range chomeItem.FindAllStringSubmatch(m[1], -1) {
		lo, _ := strconv.Atoi(it[1])
		hi := lo
		if it[2] != "" {
			hi, _ = strconv.Atoi(it[2])
		}
		if lo <= n && n <= hi {
			return true, true
		}
	}
	return false, true
}

// compact is an address as the dictionary writes it: NFKC, no spaces.
func compact(s string) string {
	return strings.Join(strings.Fields(normalize.Text(s)), "")
}

// Places lists the distinct prefectures and cities of entries, in order.
func Places(entries []Entry) []Place {
	seen := map[Place]bool{}
	var out []Place
	for _, e := range entries {
		p := Place{e.Prefecture, e.City}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Place) int {
		return strings.Compare(a.Prefecture+"\x00"+a.City, b.Prefecture+"\x00"+b.City)
	})
	return out
}
