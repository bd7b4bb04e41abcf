package importer

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"github.com/xuri/excelize/v2"
)

const sample = "会員番号,氏名,フリガナ,〒,住所１,建物名,ＴＥＬ,メールアドレス,生年月日,好きな店\n" +
	"M001,山田 花子,ヤマダ ハナコ,150-0043,東京都渋谷区道玄坂1-2-3,マークシティ5F,090-1234-5678,hanako@example.jp,昭和45年3月1日,渋谷\n" +
	"M002,佐藤一郎,,\"160-0022\",東京都新宿区新宿3-1,,03-1111-2222,,1980/02/30,\n" +
	"M003,鈴木 美咲,スズキ ミサキ,,,,,,,\n" +
	"M004,too,few\n"

func read(t *testing.T, data []byte, force string) (string, Mapping, []Row, []Reject) {
	t.Helper()
	r, enc, err := Decode(bytes.NewReader(data), force)
	if err != nil {
		t.Fatal(err)
	}
	header, rows, err := ReadRows(r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := AutoMap(header, map[string]string{"好きな店": "attr.favorite_store"})
	if err != nil {
		t.Fatal(err)
	}
	var ok []Row
	var rejects []Reject
	for row, rej := range rows {
		if rej != nil {
			rejects = append(rejects, *rej)
		} else {
			ok = append(ok, row)
		}
	}
	return enc, m, ok, rejects
}

func TestReadsEveryEncodingAlike(t *testing.T) {
	sjis, _ := io.ReadAll(transform.NewReader(strings.NewReader(sample), japanese.ShiftJIS.NewEncoder()))
	tsv := strings.ReplaceAll(strings.ReplaceAll(sample, ",", "\t"), "\"", "")
	for _, tc := range []struct {
		name string
		data []byte
		enc  string
	}{
		{"utf-8", []byte(sample), UTF8},
		{"utf-8 with BOM", append([]byte("\xef\xbb\xbf"), sample...), UTF8BOM},
		{"cp932", sjis, CP932},
		{"tsv", []byte(tsv), UTF8},
	} {
		enc, m, rows, rejects := read(t, tc.data, "")
		if enc != tc.enc {
			t.Errorf("%s: detected %s", tc.name, enc)
		}
		want := []string{"member_card", "full_name", "full_name_kana", "postal_code", "address1", "address2", "phone", "email", "birth_date", "attr.favorite_store"}
		if strings.Join(m.Fields, ",") != strings.Join(want, ",") {
			t.Errorf("%s: mapping %q, want %q", tc.name, m.Fields, want)
		}
		if len(rows) != 3 || len(rejects) != 1 || rejects[0].Line != 5 || !strings.Contains(rejects[0].Reason, "3 fields, the header has 10") {
			t.Fatalf("%s: %d rows, rejects %+v", tc.name, len(rows), rejects)
		}
		in, rej := m.ToSource("store", rows[0])
		if rej != nil {
			t.Fatalf("%s: row 2 rejected: %+v", tc.name, rej)
		}
		var p map[string]any
		json.Unmarshal(in.Profile, &p)
		if p["family_name"] != "山田" || p["given_name"] != "花子" || p["family_name_kana"] != "ヤマダ" || p["birth_date"] != "1970-03-01" ||
			p["attributes"].(map[string]any)["favorite_store"] != "渋谷" || in.ExternalID == "" {
			t.Errorf("%s: row 2 became %s (%s)", tc.name, in.Profile, in.ExternalID)
		}
		if addr := p["addresses"].([]any)[0].(map[string]any); addr["postal_code"] != "150-0043" || addr["building"] != "マークシティ5F" {
			t.Errorf("%s: address %v", tc.name, addr)
		}
		// A date that is no date goes to One ID as written, which refuses
		// the row with all its problems (not the file).
		if in, rej := m.ToSource("store", rows[1]); rej != nil || !strings.Contains(string(in.Profile), `"birth_date":"1980/02/30"`) {
			t.Errorf("%s: row 3: %+v %s", tc.name, rej, in.Profile)
		}
		if in3, rej := m.ToSource("store", rows[2]); rej != nil || !strings.Contains(string(in3.Profile), "鈴木") {
			t.Errorf("%s: row 4: %+v %s", tc.name, rej, in3.Profile)
		}
	}
}

// Without an ID column the external ID is a hash of the row's values:
// the same row imported twice is the same record; a changed row is another.
func TestExternalIDIsStable(t *testing.T) {
	m, _ := AutoMap([]string{"氏名", "電話番号"}, nil)
	a, _ := m.ToSource("ec", Row{Line: 2, Values: []string{"山田 花子", "090-1234-5678"}})
	b, _ := m.ToSource("ec", Row{Line: 9, Values: []string{"山田 花子", "090-1234-5678"}})
	c, _ := m.ToSource("ec", Row{Line: 2, Values: []string{"山田 花子", "090-1234-5679"}})
	if a.ExternalID != b.ExternalID || a.ExternalID == c.ExternalID || !strings.HasPrefix(a.ExternalID, "row-") {
		t.Errorf("IDs %s %s %s", a.ExternalID, b.ExternalID, c.ExternalID)
	}
	m, _ = AutoMap([]string{"顧客ID", "氏名"}, nil)
	d, _ := m.ToSource("ec", Row{Line: 2, Values: []string{"C-77", "山田 花子"}})
	if d.ExternalID != "C-77" {
		t.Errorf("ID column ignored: %s", d.ExternalID)
	}
}

func TestAutoMapHeadersAndOverrides(t *testing.T) {
	m, err := AutoMap([]string{"Last Name", "First_Name", "E-Mail", "ZIP Code", "Sex", "セイ", "メイ", "備考"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"family_name", "given_name", "email", "postal_code", "gender", "family_name_kana", "given_name_kana", ""}
	if strings.Join(m.Fields, ",") != strings.Join(want, ",") {
		t.Errorf("mapping %q, want %q", m.Fields, want)
	}
	if _, err := AutoMap([]string{"氏名"}, map[string]string{"住所": "address1"}); err == nil || !strings.Contains(err.Error(), `no column "住所"`) {
		t.Errorf("override of a missing column: %v", err)
	}
	if _, err := AutoMap([]string{"氏名"}, map[string]string{"氏名": "nickname"}); err == nil || !strings.Contains(err.Error(), `unknown field "nickname"`) {
		t.Errorf("override to an unknown field: %v", err)
	}
	if _, _, err := Decode(strings.NewReader("x"), "latin1"); err == nil {
		t.Error("unknown encoding accepted")
	}
}

func TestSplitName(t *testing.T) {
	for in, want := range map[string][2]string{"山田 花子": {"山田", "花子"}, "山田　花子": {"山田", "花子"}, "山田花子": {"山田花子", ""}, " ヤマダ  ハナコ ": {"ヤマダ", "ハナコ"}} {
		if f, g := SplitName(in); f != want[0] || g != want[1] {
			t.Errorf("SplitName(%q) = %q, %q", in, f, g)
		}
	}
}

func FuzzImport(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("氏名\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, _, err := Decode(bytes.NewReader(b), "")
		if err != nil {
			return
		}
		header, rows, err := ReadRows(r)
		if err != nil {
			return
		}
		checkMapped(t, header, rows)
	})
}

// checkMapped maps fuzzed rows: every row that maps must be a valid
// source record.
func checkMapped(t *testing.T, header []string, rows func(func(Row, *Reject) bool)) {
	t.Helper()
	m, err := AutoMap(header, nil)
	if err != nil {
		t.Fatalf("AutoMap without overrides failed: %v", err)
	}
	for row, rej := range rows {
		if rej != nil {
			continue
		}
		if in, rej := m.ToSource("x", row); rej == nil && (in.ExternalID == "" || !json.Valid(in.Profile)) {
			t.Fatalf("bad source from %q: %+v", row.Values, in)
		}
	}
}

func TestColumnFor(t *testing.T) {
	m, _ := AutoMap([]string{"氏名", "メールアドレス", "〒", "建物名", "好きな店"}, map[string]string{"好きな店": "attr.store"})
	for path, want := range map[string]string{
		"profile.emails[1]": "メールアドレス", "profile.family_name": "氏名", "profile.given_name": "氏名",
		"profile.addresses[0].postal_code": "〒", "profile.addresses[0].building": "建物名", "profile.attributes.store": "好きな店",
		"profile.phones[0]": "profile.phones[0]", "external_id": "external_id",
	} {
		if got := m.ColumnFor(path, nil); got != want {
			t.Errorf("ColumnFor(%q) = %q, want %q", path, got, want)
		}
	}
	// Two phone columns, the first empty in this row: the row's only
	// phone (phones[0]) is the second column's.
	m, _ = AutoMap([]string{"氏名", "電話番号", "携帯"}, nil)
	row := []string{"山田 花子", " ", "090-12"}
	if got := m.ColumnFor("profile.phones[0]", row); got != "携帯" {
		t.Errorf("phones[0] with the first column empty = %q, want 携帯", got)
	}
	row = []string{"山田 花子", "03-1", "090-12"}
	if got := m.ColumnFor("profile.phones[1]", row); got != "携帯" {
		t.Errorf("phones[1] = %q, want 携帯", got)
	}
	if got := m.ColumnFor("profile.phones[0]", row); got != "電話番号" {
		t.Errorf("phones[0] = %q, want 電話番号", got)
	}
}

// FuzzXLSX feeds the workbook reader damaged and odd workbooks: it must
// return an error or rows, never panic, and every row it maps must be a
// valid source record.
func FuzzXLSX(f *testing.F) {
	wb := excelize.NewFile()
	wb.SetSheetRow("Sheet1", "A1", &[]any{"会員番号", "氏名", "電話番号", "生年月日"})
	wb.SetSheetRow("Sheet1", "A2", &[]any{"M1", "山田 花子", "090-1234-5678", 25569})
	wb.SetSheetRow("Sheet1", "A3", &[]any{"M2", "=1+1", nil, "昭和45年3月1日"})
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		header, rows, _, err := ReadXLSX(bytes.NewReader(b), "")
		if err != nil {
			return
		}
		checkMapped(t, header, rows)
	})
}
