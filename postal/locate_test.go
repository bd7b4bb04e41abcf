package postal

import (
	"context"
	"testing"
)

// A few cities as Japan Post lists them (real codes), with the cases that
// make finding a code hard: a town per range of 丁目, a town whose name
// begins another's, a town per 番地 list, the city's own code for
// unlisted towns, and one city name in two prefectures.
var cityEntries = []Entry{
	{Code: "0600000", Prefecture: "北海道", City: "札幌市中央区"},
	{Code: "0600042", Prefecture: "北海道", City: "札幌市中央区", Town: "大通西", TownNote: "1〜19丁目"},
	{Code: "0640820", Prefecture: "北海道", City: "札幌市中央区", Town: "大通西", TownNote: "20〜28丁目"},
	{Code: "1500043", Prefecture: "東京都", City: "渋谷区", Town: "道玄坂"},
	{Code: "1500000", Prefecture: "東京都", City: "渋谷区"},
	{Code: "1500044", Prefecture: "東京都", City: "渋谷区", Town: "円山町"},
	{Code: "1500045", Prefecture: "東京都", City: "渋谷区", Town: "神泉町"},
	{Code: "1600023", Prefecture: "東京都", City: "新宿区", Town: "西新宿", TownNote: "次のビルを除く"},
	{Code: "1636090", Prefecture: "東京都", City: "新宿区", Town: "西新宿新宿アイランドタワー", TownNote: "地階・階層不明"},
	{Code: "1830000", Prefecture: "東京都", City: "府中市"},
	{Code: "7260000", Prefecture: "広島県", City: "府中市"},
	{Code: "0050865", Prefecture: "北海道", City: "札幌市南区", Town: "常盤", TownNote: "1〜131番地"},
	{Code: "0050863", Prefecture: "北海道", City: "札幌市南区", Town: "常盤", TownNote: "その他"},
	{Code: "0030022", Prefecture: "北海道", City: "札幌市白石区", Town: "南郷通", TownNote: "南"},
	{Code: "0030023", Prefecture: "北海道", City: "札幌市白石区", Town: "南郷通", TownNote: "北"},
	{Code: "0741276", Prefecture: "北海道", City: "深川市", Town: "音江町", TownNote: "稲田"},
	{Code: "0741273", Prefecture: "北海道", City: "深川市", Town: "音江町", TownNote: "音江"},
	{Code: "2080032", Prefecture: "東京都", City: "武蔵村山市", Town: "三ツ木"},
	{Code: "1140000", Prefecture: "東京都", City: "北区"},
	{Code: "6030000", Prefecture: "京都府", City: "京都市北区"},
	{Code: "6038215", Prefecture: "京都府", City: "京都市北区", Town: "紫野門前町"},
}

// memory is a dictionary in memory, read the way the stores read theirs.
type memory []Entry

func (m memory) PostalCode(_ context.Context, code string) ([]Entry, error) {
	var out []Entry
	for _, e := range m {
		if e.Code == code {
			out = append(out, e)
		}
	}
	return out, nil
}
func (m memory) PostalPlaces(context.Context) ([]Place, error) { return Places(m), nil }
func (m memory) PostalArea(_ context.Context, p Place) ([]Entry, error) {
	var out []Entry
	for _, e := range m {
		if e.Prefecture == p.Prefecture && e.City == p.City {
			out = append(out, e)
		}
	}
	return out, nil
}

func TestFind(t *testing.T) {
	d := NewDirectory(memory(cityEntries))
	for _, c := range []struct {
		pref, addr string
		ok         bool
		code, city string
	}{
		{"", "東京都渋谷区道玄坂2-10-7", true, "1500043", "渋谷区"},
		{"東京都", "渋谷区 道玄坂 ２丁目１０番７号", true, "1500043", "渋谷区"},
		{"", "東京都渋谷区宇田川町1-1", true, "1500000", "渋谷区"},       // no listed town: the city's code
		{"", "北海道札幌市中央区大通西3丁目", true, "0600042", "札幌市中央区"},  // 丁目 3 in 1〜19
		{"", "北海道札幌市中央区大通西２０－１", true, "0640820", "札幌市中央区"}, // 20 in 20〜28
		{"", "北海道札幌市中央区大通西二十丁目", true, "0640820", "札幌市中央区"}, // kanji numerals
		{"", "北海道札幌市中央区大通西", true, "", "札幌市中央区"},            // no 丁目: either
		{"", "京都府京都市北区紫野門前町1", true, "6038215", "京都市北区"},
		{"", "北区紫野門前町1", true, "1140000", "北区"},                // Tokyo's 北区 by name alone: Find answers the city's code, Complete does not take it
		{"", "北海道札幌市中央区大通西30丁目", true, "", "札幌市中央区"},           // in no range
		{"", "北海道札幌市南区常盤100番地", true, "0050865", "札幌市南区"},      // 番地 in the list
		{"", "北海道札幌市南区常盤200番地", true, "0050863", "札幌市南区"},      // the rest: その他
		{"", "北海道札幌市白石区南郷通1丁目南2-3", true, "0030022", "札幌市白石区"}, // the sub-area after the 丁目
		{"", "北海道札幌市白石区南郷通二丁目北", true, "0030023", "札幌市白石区"},
		{"", "北海道札幌市白石区南郷通", true, "", "札幌市白石区"},       // 南 or 北: either
		{"", "北海道深川市音江町稲田123", true, "0741276", "深川市"}, // the sub-area right after the town
		{"", "北海道深川市音江町広里1", true, "", "深川市"},          // a sub-area the dictionary does not list
		{"", "東京都新宿区西新宿2-8-1", true, "1600023", "新宿区"},
		{"", "東京都武蔵村山市大字三ツ木1-1", true, "2080032", "武蔵村山市"}, // 大字 as written in old addresses
		{"", "府中市宮町1-1", false, "", ""},                    // two prefectures have a 府中市
		{"広島県", "府中市府川町1", true, "7260000", "府中市"},
		{"", "東京府中市宮町1-1", false, "", ""}, // 東京府 is no prefecture
		{"大阪府", "東京都渋谷区道玄坂1", false, "", ""},
		{"", "", false, "", ""},
	} {
		f, ok, err := d.Find(context.Background(), c.pref, c.addr)
		if err != nil {
			t.Fatal(err)
		}
		if ok != c.ok || f.Code != c.code || f.City != c.city {
			t.Errorf("Find(%q, %q) = %+v, %v; want code %q city %q ok %v", c.pref, c.addr, f, ok, c.code, c.city, c.ok)
		}
		if f.Code != "" && (len(f.Entries) == 0 || f.Entries[0].Code != f.Code) {
			t.Errorf("Find(%q): entries %+v for code %s", c.addr, f.Entries, f.Code)
		}
	}
}

// Complete fills in only what the address left out.
func TestComplete(t *testing.T) {
	d := NewDirectory(memory(cityEntries))
	for _, c := range []struct{ in, want Address }{
		{Address{PostalCode: "1500043", Street: "渋谷区道玄坂1-2-3"}, Address{"1500043", "東京都", "渋谷区", "道玄坂1-2-3"}},
		{Address{Prefecture: "東京都", Street: "渋谷区道玄坂1-2-3"}, Address{"1500043", "東京都", "渋谷区", "道玄坂1-2-3"}},
		{Address{Prefecture: "東京都", City: "渋谷区", Street: "道玄坂1-2-3"}, Address{"1500043", "東京都", "渋谷区", "道玄坂1-2-3"}},
		{Address{Street: "北海道札幌市中央区大通西3丁目"}, Address{"0600042", "北海道", "札幌市中央区", "大通西3丁目"}},
		// What the address says stays, even where the dictionary disagrees.
		{Address{PostalCode: "1500043", Prefecture: "大阪府", Street: "北区1-1"}, Address{"1500043", "大阪府", "", "北区1-1"}},
		{Address{Prefecture: "大阪府", Street: "渋谷区道玄坂1"}, Address{"", "大阪府", "", "渋谷区道玄坂1"}},
		// A street that repeats the city.
		{Address{City: "渋谷区", Street: "渋谷区道玄坂1-2-3"}, Address{"1500043", "東京都", "渋谷区", "渋谷区道玄坂1-2-3"}},
		// Not enough to decide: left as it is.
		{Address{Street: "府中市宮町1-1"}, Address{"", "", "", "府中市宮町1-1"}},
		// Kyoto's 北区 written without 京都市: Tokyo's 北区 has no such
		// town, so nothing is filled in (the city's own code would be wrong).
		{Address{Street: "北区紫野門前町1"}, Address{"", "", "", "北区紫野門前町1"}},
		// A misspelt town (道元坂): the city's own code would be a guess.
		{Address{Prefecture: "東京都", Street: "渋谷区道元坂1-2-3"}, Address{"", "東京都", "", "渋谷区道元坂1-2-3"}},
		{Address{Prefecture: "北海道", Street: "札幌市中央区大通西"}, Address{"", "北海道", "札幌市中央区", "大通西"}},
		{Address{PostalCode: "9999999", Street: "どこか1-1"}, Address{"9999999", "", "", "どこか1-1"}},
	} {
		got := c.in
		if err := d.Complete(context.Background(), &got); err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("Complete(%+v) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestLookup(t *testing.T) {
	d := NewDirectory(memory(cityEntries))
	es, err := d.Lookup(context.Background(), "〒１５０－００４３")
	if err != nil || len(es) != 1 || es[0].Town != "道玄坂" {
		t.Fatalf("Lookup: %+v %v", es, err)
	}
	if _, err := d.Lookup(context.Background(), "15-43"); err == nil {
		t.Error("Lookup of no postal code: no error")
	}
}
