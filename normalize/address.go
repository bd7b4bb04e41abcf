package normalize

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// AddressParts is a Japanese address split for comparison: the prefecture
// (official name; an address that names none is completed from the postal
// code elsewhere), the rest down to the block number in one canonical form,
// and the building and room.
type AddressParts struct {
	Prefecture string // "東京都"; "" when the address names none
	Locality   string // "渋谷区道玄坂1-2-3": city, town, 丁目-番-号 as digits and hyphens
	Building   string // "渋谷マークシティ5F", as written after the block number
}

// Key is the address as compared: prefecture, locality and building
// without spaces.
func (a AddressParts) Key() string {
	return a.Prefecture + a.Locality + strings.ReplaceAll(a.Building, " ", "")
}

var (
	// kanjiNumber is a number in kanji before a block unit: 一丁目, 二十三番.
	kanjiNumber = regexp.MustCompile(`([〇一二三四五六七八九十百千]+)(丁目|番地|番|号|の)`)
	// blockUnits are the units of a block number, written out or as
	// hyphens; after them another number follows.
	blockUnit = regexp.MustCompile(`(\d+)\s*(?:丁目|番地の?|番の?|号の?|の)\s*`)
	// blockNumber is the 丁目-番-号 run the building follows.
	blockNumber = regexp.MustCompile(`\d+(?:-\d+)*`)
)

// Address splits and canonicalizes a Japanese address: NFKC and width;
// every dash form between digits (1-2-3, １－２－３, 1‐2−3, 1ー2ー3) as "-";
// kanji numbers before 丁目/番/号 as digits (一丁目2番3号 → 1-2-3); 丁目,
// 番地, 番 and 号 as hyphens; 大字 and the 字 that follows a place name
// dropped; the prefecture detected ("東京" and "東京都" alike); the building
// and room split off after the block number.
func Address(s string) AddressParts {
	s = Text(s)
	var a AddressParts
	// Prefecture: the longest prefix that names one. A bare name ("東京",
	// "京都") counts unless a city or county suffix follows it: 京都市 is a
	// city.
	for n := min(utf8.RuneCountInString(s), 4); n >= 2; n-- {
		prefix := string([]rune(s)[:n])
		if prefix[0] < 0x80 || strings.IndexFunc(prefix, unicode.IsLetter) != 0 {
			continue
		}
		p := Prefecture(prefix)
		if p == "" {
			continue
		}
		rest := s[len(prefix):]
		if prefix != p && strings.ContainsAny(firstRune(rest), "市郡町村区") {
			continue
		}
		a.Prefecture, s = p, strings.TrimSpace(rest)
		break
	}
	s = kanjiBlockNumbers(s)
	s = dashesBetweenDigits(s)
	// 号 and 番 also name rooms and buildings (101号室, 3号棟, 2番館):
	// those are not block units.
	s = roomWords.Replace(ourMarkers.Replace(s)) // the markers must be ours
	s = lastUnit(s)
	s = blockUnit.ReplaceAllString(s, "$1-")
	s = roomWordsBack.Replace(s)
	s = strings.ReplaceAll(s, "大字", "")
	s = dropAzaPrefix(s)
	// The block number is the first run of digits and hyphens that is not
	// part of a town name (北3条, 西5線: a kanji follows those).
	end := -1
	for _, m := range blockNumber.FindAllStringIndex(s, -1) {
		next, _ := utf8.DecodeRuneInString(s[m[1]:])
		if m[1] == len(s) || !unicode.Is(unicode.Han, next) {
			end = m[1]
			break
		}
	}
	if end < 0 {
		a.Locality = strings.ReplaceAll(s, " ", "")
		return a
	}
	a.Locality = strings.ReplaceAll(s[:end], " ", "")
	a.Building = strings.TrimSpace(strings.TrimLeft(s[end:], "- "))
	return a
}

// goUnit is a number and 号, the last unit of a block number, and what
// follows it.
var goUnit = regexp.MustCompile(`(\d+)\s*号(\s*)`)

// roomAfterGo is a room number right after the 号 (3号301号室).
var roomAfterGo = regexp.MustCompile(`^\d+\x{e000}`)

// lastUnit ends the block number at its 号 when a building, floor or room
// follows (2番3号 301号室, 3号 2階, 3号301号室): 号 is the last unit, so
// what comes after it is not another number of the block. A number right
// after 号 that is not a room stays part of it (3号の2 is rare, 3号2 is
// read as 3-2).
func lastUnit(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range goUnit.FindAllStringSubmatchIndex(s, -1) {
		rest := s[m[1]:]
		next, _ := utf8.DecodeRuneInString(rest)
		b.WriteString(s[last:m[0]])
		b.WriteString(s[m[2]:m[3]])
		switch {
		case rest == "":
		case m[5] > m[4] || roomAfterGo.MatchString(rest) || !unicode.IsDigit(next):
			b.WriteString(" ")
		default:
			b.WriteString("-")
		}
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// kanjiBlockNumbers writes kanji numbers before 丁目, 番, 番地, 号 and の
// as digits (一丁目二十三番 → 1丁目23番), except where the number and 番
// are a town's name: 三番町, 一番町 (番 and then 町), 麻布十番 (番 and then
// the block number in digits, 麻布十番1-2-3).
func kanjiBlockNumbers(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range kanjiNumber.FindAllStringSubmatchIndex(s, -1) {
		num, unit, rest := s[m[2]:m[3]], s[m[4]:m[5]], s[m[1]:]
		n, ok := kanjiToInt(num)
		if !ok || (unit == "番" && (strings.HasPrefix(rest, "町") || townBanThenBlock.MatchString(rest))) {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(strconv.Itoa(n) + unit)
		last = m[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// townBanThenBlock is a block number in digits right after a town's 番
// (麻布十番1-2-3, 十番2丁目): a block's own 番 is followed by the 号's
// number alone (二十三番4号, 二十三番4).
var townBanThenBlock = regexp.MustCompile(`^\s*\d+\s*(?:[-‐‑‒–—―−ー－]\s*\d+|丁目)`)

var (
	roomWords     = strings.NewReplacer("号室", "\ue000室", "号棟", "\ue000棟", "号館", "\ue000館", "番館", "\ue001館")
	roomWordsBack = strings.NewReplacer("\ue000", "号", "\ue001", "番")
	// ourMarkers removes the private-use characters roomWords marks with,
	// should the input hold any.
	ourMarkers = strings.NewReplacer("\ue000", "", "\ue001", "")
)

// dashesBetweenDigits writes every dash, minus, long-vowel mark or
// "の" between two digits as "-" (the 'ー' of katakana names is left alone).
func dashesBetweenDigits(s string) string {
	rs := []rune(s)
	for i := 1; i+1 < len(rs); i++ {
		if (isDash(rs[i]) || rs[i] == '-' || rs[i] == '~' || rs[i] == '〜') && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]) {
			rs[i] = '-'
		}
	}
	return string(rs)
}

// dropAzaPrefix removes 字 when it introduces a small locality after a
// place name (…町字西原 → …町西原); a 字 inside a name is kept.
func dropAzaPrefix(s string) string {
	rs := []rune(s)
	out := rs[:0:0]
	for i, r := range rs {
		if r == '字' && i > 0 && strings.ContainsRune("市区町村郡", rs[i-1]) && i+1 < len(rs) && unicode.Is(unicode.Han, rs[i+1]) {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

var kanjiDigits = map[rune]int{'〇': 0, '一': 1, '二': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}

// kanjiToInt reads 一, 十二, 二十三, 百五, 一〇五 (digit by digit) up to 9999.
func kanjiToInt(s string) (int, bool) {
	rs := []rune(s)
	if !strings.ContainsAny(s, "十百千") { // positional: 一〇五
		n := 0
		for _, r := range rs {
			d, ok := kanjiDigits[r]
			if !ok {
				return 0, false
			}
			n = n*10 + d
		}
		return n, len(rs) > 0
	}
	total, cur := 0, 0
	for _, r := range rs {
		if d, ok := kanjiDigits[r]; ok {
			cur = d
			continue
		}
		unit := map[rune]int{'十': 10, '百': 100, '千': 1000}[r]
		if unit == 0 {
			return 0, false
		}
		if cur == 0 {
			cur = 1
		}
		total += cur * unit
		cur = 0
	}
	return total + cur, true
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}
