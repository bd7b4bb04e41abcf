package postal

import (
	"archive/zip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readAll(t *testing.T, path string) []Entry {
	t.Helper()
	var out []Entry
	if err := ReadFile(path, func(e Entry) error { out = append(out, e); return nil }); err != nil {
		t.Fatalf("ReadFile(%s): %v", path, err)
	}
	return out
}

var wantSample = []Entry{
	{Code: "0600000", Prefecture: "北海道", City: "札幌市中央区", PrefectureKana: "ホッカイドウ", CityKana: "サッポロシチュウオウク"},
	{Code: "0600042", Prefecture: "北海道", City: "札幌市中央区", Town: "大通西", TownNote: "1~19丁目", PrefectureKana: "ホッカイドウ", CityKana: "サッポロシチュウオウク", TownKana: "オオドオリニシ"},
	{Code: "0660005", Prefecture: "北海道", City: "千歳市", Town: "協和", TownNote: "88-2、271-10、343-2、404-1、427-3、431-12、443-6、608-2、641-8、814、842-5、1137-3、1392、1657、1752番地",
		PrefectureKana: "ホッカイドウ", CityKana: "チトセシ", TownKana: "キョウワ"},
	{Code: "1500043", Prefecture: "東京都", City: "渋谷区", Town: "道玄坂", PrefectureKana: "トウキョウト", CityKana: "シブヤク", TownKana: "ドウゲンザカ"},
	{Code: "1500001", Prefecture: "東京都", City: "渋谷区", Town: "神宮前", PrefectureKana: "トウキョウト", CityKana: "シブヤク", TownKana: "ジングウマエ"},
	{Code: "1000101", Prefecture: "東京都", City: "大島町", PrefectureKana: "トウキョウト", CityKana: "オオシママチ"},
	{Code: "6048006", Prefecture: "京都府", City: "京都市中京区", Town: "河原町通三条上る恵比須町", PrefectureKana: "キョウトフ", CityKana: "キョウトシナカギョウク", TownKana: "カワラマチドオリサンジョウアガルエビスチョウ"},
}

// Both of Japan Post's formats give the same entries: the CP932 file's
// half-width kana made full-width, its split town merged, placeholders
// («以下に掲載がない場合», «…一円») emptied.
func TestReadBothFormats(t *testing.T) {
	for _, f := range []string{"testdata/KEN_ALL_sample.CSV", "testdata/utf_ken_all_sample.csv"} {
		got := readAll(t, f)
		if len(got) != len(wantSample) {
			t.Fatalf("%s: %d entries, want %d: %+v", f, len(got), len(wantSample), got)
		}
		for i := range got {
			g, w := got[i], wantSample[i]
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s entry %d:\n got %+v\nwant %+v", f, i, g, w)
			}
		}
	}
}

func TestReadZipped(t *testing.T) {
	dir := t.TempDir()
	zpath := filepath.Join(dir, "ken_all.zip")
	zf, _ := os.Create(zpath)
	zw := zip.NewWriter(zf)
	w, _ := zw.Create("KEN_ALL.CSV")
	b, _ := os.ReadFile("testdata/KEN_ALL_sample.CSV")
	w.Write(b)
	zw.Close()
	zf.Close()
	if got := readAll(t, zpath); len(got) != len(wantSample) || got[2].Town != "協和" {
		t.Errorf("zipped: %d entries: %+v", len(got), got)
	}
}

func TestReadErrorsSayWhere(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ body, want string }{
		"short row": {"13113,\"150  \",\"1500043\",\"ﾄｳｷｮｳﾄ\"\n", "line 1"},
		"bad code":  {"13113,\"150  \",\"15000\",\"ﾄｳｷｮｳﾄ\",\"ｼﾌﾞﾔｸ\",\"ﾄﾞｳｹﾞﾝｻﾞｶ\",\"東京都\",\"渋谷区\",\"道玄坂\",0,0,1,0,0,0\n", "line 1, column 3: postal code \"15000\" is not 7 digits"},
		"never closed": {"01224,\"066  \",\"0660005\",\"ﾎｯｶｲﾄﾞｳ\",\"ﾁﾄｾｼ\",\"ｷｮｳﾜ(88\",\"北海道\",\"千歳市\",\"協和（８８\",1,0,0,0,0,0\n" +
			"13113,\"150  \",\"1500043\",\"ﾄｳｷｮｳﾄ\",\"ｼﾌﾞﾔｸ\",\"ﾄﾞｳｹﾞﾝｻﾞｶ\",\"東京都\",\"渋谷区\",\"道玄坂\",0,0,1,0,0,0\n", "line 1: the town \"協和（88\" opened on this line is never closed"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".csv")
		os.WriteFile(p, []byte(tc.body), 0o644)
		err := ReadFile(p, func(Entry) error { return nil })
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming the file and %q", name, err, tc.want)
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, p := range []string{"testdata/KEN_ALL_sample.CSV", "testdata/utf_ken_all_sample.csv"} {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = Read(strings.NewReader(string(b)), "fuzz", func(e Entry) error {
			if len(e.Code) != 7 {
				t.Fatalf("entry with code %q", e.Code)
			}
			return nil
		})
	})
}
