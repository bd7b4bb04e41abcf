package normalize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestAddress(t *testing.T) {
	tests := []struct {
		in   string
		want AddressParts
	}{
		{"東京都渋谷区道玄坂1-2-3", AddressParts{"東京都", "渋谷区道玄坂1-2-3", ""}},
		{"東京都渋谷区道玄坂一丁目2番3号", AddressParts{"東京都", "渋谷区道玄坂1-2-3", ""}},
		{"東京都渋谷区道玄坂１－２－３", AddressParts{"東京都", "渋谷区道玄坂1-2-3", ""}},
		{"東京都渋谷区道玄坂1‐2−3", AddressParts{"東京都", "渋谷区道玄坂1-2-3", ""}},
		{"東京都渋谷区道玄坂1—2ー3", AddressParts{"東京都", "渋谷区道玄坂1-2-3", ""}},
		{"東京渋谷区道玄坂1丁目2番地3 渋谷マークシティ 5F", AddressParts{"東京都", "渋谷区道玄坂1-2-3", "渋谷マークシティ 5F"}},
		{"大阪府大阪市北区梅田二丁目4番9号 ブリーゼタワー1203号室", AddressParts{"大阪府", "大阪市北区梅田2-4-9", "ブリーゼタワー1203号室"}},
		{"京都市中京区河原町通三条上る恵比須町427", AddressParts{"", "京都市中京区河原町通三条上る恵比須町427", ""}},
		{"埼玉県川口市大字安行領家123番地", AddressParts{"埼玉県", "川口市安行領家123", ""}},
		{"沖縄県国頭郡恩納村字恩納6091", AddressParts{"沖縄県", "国頭郡恩納村恩納6091", ""}},
		{"北海道札幌市中央区北一条西二丁目1", AddressParts{"北海道", "札幌市中央区北一条西2-1", ""}},
		{"神奈川県横浜市西区みなとみらい2-3-1 クイーンズタワーA 10階", AddressParts{"神奈川県", "横浜市西区みなとみらい2-3-1", "クイーンズタワーA 10階"}},
		{"愛知県名古屋市中村区名駅四丁目7番1号", AddressParts{"愛知県", "名古屋市中村区名駅4-7-1", ""}},
		{"三重県四日市市諏訪町2の5", AddressParts{"三重県", "四日市市諏訪町2-5", ""}},
		{"福岡県福岡市博多区博多駅前二十三番", AddressParts{"福岡県", "福岡市博多区博多駅前23", ""}},
		// A room or floor after the 号 is the building part.
		{"東京都渋谷区道玄坂1丁目2番3号 301号室", AddressParts{"東京都", "渋谷区道玄坂1-2-3", "301号室"}},
		{"東京都渋谷区道玄坂一丁目2番3号 2階", AddressParts{"東京都", "渋谷区道玄坂1-2-3", "2階"}},
		{"東京都渋谷区道玄坂1丁目2番3号301号室", AddressParts{"東京都", "渋谷区道玄坂1-2-3", "301号室"}},
		{"東京都渋谷区道玄坂1丁目2番3号サンハイツ201", AddressParts{"東京都", "渋谷区道玄坂1-2-3", "サンハイツ201"}},
		// Towns named with a number and 番 keep their names.
		{"東京都千代田区三番町6-1", AddressParts{"東京都", "千代田区三番町6-1", ""}},
		{"東京都港区麻布十番1-2-3", AddressParts{"東京都", "港区麻布十番1-2-3", ""}},
		{"宮城県仙台市青葉区一番町4丁目1-25", AddressParts{"宮城県", "仙台市青葉区一番町4-1-25", ""}},
		{"宮城県仙台市青葉区一番町1-1-30", AddressParts{"宮城県", "仙台市青葉区一番町1-1-30", ""}},
		{"福岡県福岡市博多区博多駅前二十三番4号", AddressParts{"福岡県", "福岡市博多区博多駅前23-4", ""}},
		{"", AddressParts{}},
	}
	for _, tt := range tests {
		if got := Address(tt.in); got != tt.want {
			t.Errorf("Address(%q) = %+v\n want %+v", tt.in, got, tt.want)
		}
	}
	// Every written form of one address has one key.
	key := Address("東京都渋谷区道玄坂1-2-3").Key()
	for _, s := range []string{"東京都渋谷区道玄坂一丁目二番三号", "東京 渋谷区 道玄坂 １－２－３", "東京都渋谷区道玄坂1丁目2-3"} {
		if Address(s).Key() != key {
			t.Errorf("Address(%q).Key() = %q, want %q", s, Address(s).Key(), key)
		}
	}
}

func TestKanjiToInt(t *testing.T) {
	for s, want := range map[string]int{"一": 1, "十": 10, "十二": 12, "二十三": 23, "百五": 105, "一〇五": 105, "千二百三十四": 1234, "三百": 300} {
		if got, ok := kanjiToInt(s); !ok || got != want {
			t.Errorf("kanjiToInt(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
}

func FuzzAddress(f *testing.F) {
	for _, s := range []string{"東京都渋谷区道玄坂一丁目2番3号 マンション101", "京都市", "１－２－３", "大字字", "", "\xff", "北海道"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := Address(s)
		for _, v := range []string{a.Prefecture, a.Locality, a.Building} {
			if !utf8.ValidString(v) {
				t.Fatalf("Address(%q) = %+v: invalid UTF-8", s, a)
			}
		}
		if a.Prefecture != "" && Prefecture(a.Prefecture) != a.Prefecture {
			t.Fatalf("Address(%q): prefecture %q is not official", s, a.Prefecture)
		}
		if strings.Contains(a.Locality, " ") {
			t.Fatalf("Address(%q): locality %q has a space", s, a.Locality)
		}
	})
}
