package demo

import (
	_ "embed"
	"fmt"
	"strings"
)

// postalTSV is a sample of real Japanese postal codes: code, prefecture,
// city, town, has-丁目. See the header of postal.tsv for its source (Japan
// Post, data date 2026-05-29).
//
//go:embed postal.tsv
var postalTSV string

// postalRow is one town of the embedded table.
type postalRow struct {
	code  string // 7 digits
	pref  string
	city  string
	town  string
	chome bool // the town is divided into 丁目
	urban bool // a ward of a big city or Tokyo: more flats
}

// prefecture holds what the generator needs per prefecture: its population
// (thousands, 2020 census) to weight addresses, and telephone area codes.
type prefecture struct {
	name string
	pop  int
	area string            // area code of the capital region
	city map[string]string // city name prefix → area code
}

var prefectures = []prefecture{
	{"北海道", 5225, "0143", map[string]string{"札幌市": "011", "旭川市": "0166", "函館市": "0138"}},
	{"青森県", 1238, "017", nil}, {"岩手県", 1211, "019", nil}, {"宮城県", 2302, "022", nil},
	{"秋田県", 960, "018", nil}, {"山形県", 1068, "023", nil}, {"福島県", 1833, "024", nil},
	{"茨城県", 2867, "029", nil}, {"栃木県", 1933, "028", nil}, {"群馬県", 1939, "027", nil},
	{"埼玉県", 7345, "048", map[string]string{"川越市": "049", "所沢市": "04"}},
	{"千葉県", 6284, "043", map[string]string{"船橋市": "047", "市川市": "047", "松戸市": "047", "柏市": "04"}},
	{"東京都", 14048, "042", nil}, // 23 wards: 03, see areaCode
	{"神奈川県", 9237, "0466", map[string]string{"横浜市": "045", "川崎市": "044", "相模原市": "042", "横須賀市": "046"}},
	{"新潟県", 2201, "025", nil}, {"富山県", 1035, "076", nil}, {"石川県", 1133, "076", nil},
	{"福井県", 767, "0776", nil}, {"山梨県", 810, "055", nil}, {"長野県", 2048, "026", nil},
	{"岐阜県", 1979, "058", nil},
	{"静岡県", 3633, "055", map[string]string{"静岡市": "054", "浜松市": "053"}},
	{"愛知県", 7542, "0566", map[string]string{"名古屋市": "052", "豊田市": "0565", "岡崎市": "0564", "豊橋市": "0532"}},
	{"三重県", 1770, "059", nil}, {"滋賀県", 1414, "077", nil},
	{"京都府", 2578, "0774", map[string]string{"京都市": "075"}},
	{"大阪府", 8838, "072", map[string]string{"大阪市": "06", "豊中市": "06", "吹田市": "06", "東大阪市": "06", "守口市": "06", "門真市": "06"}},
	{"兵庫県", 5465, "079", map[string]string{"神戸市": "078", "尼崎市": "06", "西宮市": "0798", "芦屋市": "0797"}},
	{"奈良県", 1324, "0742", nil}, {"和歌山県", 923, "073", nil}, {"鳥取県", 553, "0857", nil},
	{"島根県", 671, "0852", nil}, {"岡山県", 1888, "086", nil},
	{"広島県", 2800, "082", map[string]string{"福山市": "084"}},
	{"山口県", 1342, "083", nil}, {"徳島県", 720, "088", nil}, {"香川県", 950, "087", nil},
	{"愛媛県", 1335, "089", nil}, {"高知県", 692, "088", nil},
	{"福岡県", 5135, "092", map[string]string{"北九州市": "093", "久留米市": "0942"}},
	{"佐賀県", 811, "0952", nil}, {"長崎県", 1312, "095", nil}, {"熊本県", 1738, "096", nil},
	{"大分県", 1124, "097", nil}, {"宮崎県", 1070, "0985", nil}, {"鹿児島県", 1588, "099", nil},
	{"沖縄県", 1467, "098", nil},
}

// addressTables are the address tables derived from postal.tsv and
// prefectures; see lookupTables.
type addressTables struct {
	postalRows  []postalRow
	prefRows    [][2]int // per prefecture: [first, end) in postalRows
	prefCum     []int    // cumulative population
	areaCodes   []string // every distinct area code, indexed by areaIndex
	rowArea     []int    // per postal row: index into areaCodes
	postalIndex map[string]int
}

// buildAddressTables parses the embedded postal table. It panics if the
// table is malformed (a build-time defect, caught by the tests).
func buildAddressTables() addressTables {
	var t addressTables
	prefIdx := make(map[string]int, len(prefectures))
	total := 0
	for i, p := range prefectures {
		prefIdx[p.name] = i
		total += p.pop
		t.prefCum = append(t.prefCum, total)
	}
	t.prefRows = make([][2]int, len(prefectures))
	for i := range t.prefRows {
		t.prefRows[i] = [2]int{-1, -1}
	}
	areaIdx := map[string]int{}
	t.postalIndex = map[string]int{}
	for line := range strings.SplitSeq(postalTSV, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 || len(f[0]) != 7 {
			panic(fmt.Sprintf("demo: bad postal.tsv line %q", line))
		}
		p, ok := prefIdx[f[1]]
		if !ok {
			panic(fmt.Sprintf("demo: unknown prefecture in postal.tsv: %q", f[1]))
		}
		i := len(t.postalRows)
		if t.prefRows[p][0] < 0 {
			t.prefRows[p][0] = i
		} else if t.prefRows[p][1] != i {
			panic("demo: postal.tsv is not grouped by prefecture")
		}
		t.prefRows[p][1] = i + 1
		row := postalRow{code: f[0], pref: f[1], city: f[2], town: f[3], chome: f[4] == "1"}
		row.urban = strings.HasSuffix(row.city, "区")
		t.postalRows = append(t.postalRows, row)
		t.postalIndex[row.code] = i
		ac := areaCode(prefectures[p], row.city)
		a, ok := areaIdx[ac]
		if !ok {
			a = len(t.areaCodes)
			areaIdx[ac] = a
			t.areaCodes = append(t.areaCodes, ac)
		}
		t.rowArea = append(t.rowArea, a)
	}
	for i, r := range t.prefRows {
		if r[0] < 0 {
			panic("demo: postal.tsv has no row for " + prefectures[i].name)
		}
	}
	return t
}

// prefOf returns the prefecture of a postal row.
func (t *addressTables) prefOf(row int) int {
	for i, r := range t.prefRows {
		if row >= r[0] && row < r[1] {
			return i
		}
	}
	return 0
}

// areaCode returns a plausible landline area code for a city.
func areaCode(p prefecture, city string) string {
	if p.name == "東京都" && strings.HasSuffix(city, "区") {
		return "03"
	}
	best, bestLen := "", 0
	for prefix, code := range p.city { // longest match: independent of map order
		if strings.HasPrefix(city, prefix) && len(prefix) > bestLen {
			best, bestLen = code, len(prefix)
		}
	}
	if best != "" {
		return best
	}
	return p.area
}

// Building names: most Japanese flats are named "<style word><place word>"
// or "<place word><style word>".
var (
	buildingPre  = []string{"メゾン", "コーポ", "グランドメゾン", "パークハウス", "レジデンス", "サンライズ", "ヴィラ", "アーバン", "ロイヤル", "エスポワール", "ルミエール", "カーサ"}
	buildingPost = []string{"ハイツ", "マンション", "コーポ", "レジデンス", "ハイム", "荘", "パレス", "ヒルズ", "タワー", "コート"}
	buildingWord = []string{"青葉", "桜", "若葉", "緑", "富士見", "光", "松風", "白鷺", "朝日", "旭", "泉", "清風", "翠", "花水木", "ひまわり", "つつじ", "欅", "楓", "椿", "藤", "梅", "さくら", "ひかり", "第一", "第二", "サンシャイン", "グリーン", "ブルー"}
)
