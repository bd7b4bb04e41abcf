package exporter

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/japanese"

	"github.com/kizuna-oss/kizuna/customer"
)

func sample() []customer.Customer {
	at := time.Date(2026, 4, 1, 0, 30, 0, 0, time.UTC)
	return []customer.Customer{
		{ID: "cus_1", CreatedAt: at, UpdatedAt: at, Channels: []string{"ec", "store"}, Profile: customer.Profile{
			FamilyName: "髙橋", GivenName: "美咲", FamilyNameKana: "タカハシ", GivenNameKana: "ミサキ",
			Emails: []string{"misaki@example.jp"}, Phones: []string{"+819012345678"}, BirthDate: "1990-04-01",
			Addresses:   []customer.Address{{PostalCode: "0600001", Prefecture: "北海道", City: "札幌市中央区", Street: "北一条西1-2-3", Building: "札幌ビル 5F"}},
			MemberCards: []string{"2900000000013"}, Attributes: map[string]any{"rank": "gold"}}},
		{ID: "cus_2", CreatedAt: at, UpdatedAt: at, Profile: customer.Profile{
			FamilyName: "=HYPERLINK(\"http://evil.example\")", GivenName: "@SUM(1+1)", FamilyNameKana: "-2+3",
			Emails: []string{"+cmd@example.jp"}, Tags: []string{"\tTAB"}}},
		{ID: "cus_3", CreatedAt: at, UpdatedAt: at, Profile: customer.Profile{FamilyName: "𠮷田", GivenName: "一郎"}},
	}
}

func export(t *testing.T, f Format, keys []string, masked bool) ([]byte, Summary) {
	t.Helper()
	cols, err := Columns(keys)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := New(&buf, f, cols, masked)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range sample() {
		if err := w.Write(&c); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(buf.Bytes())
	if sum.Rows != 3 || sum.Bytes != int64(buf.Len()) || sum.SHA256 != hex.EncodeToString(h[:]) {
		t.Fatalf("%s summary %+v for %d bytes", f, sum, buf.Len())
	}
	return buf.Bytes(), sum
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(b))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestCSVWithBOM(t *testing.T) {
	b, _ := export(t, CSV, []string{"customer_id", "family_name", "given_name", "family_name_kana", "email", "phone", "postal_code", "address2", "member_card", "channels", "tags", "created_at", "attr.rank"}, false)
	if !bytes.HasPrefix(b, []byte("\ufeff")) || !bytes.Contains(b, []byte("\r\n")) {
		t.Fatalf("want a BOM and CRLF: %q", b[:40])
	}
	rows := readCSV(t, bytes.TrimPrefix(b, []byte("\ufeff")))
	want := [][]string{
		{"顧客ID", "姓", "名", "セイ", "メールアドレス", "電話番号", "郵便番号", "住所2", "会員番号", "チャネル", "タグ", "登録日時", "rank"},
		{"cus_1", "髙橋", "美咲", "タカハシ", "misaki@example.jp", "090-1234-5678", "060-0001", "札幌ビル 5F", "2900000000013", "ec store", "", "2026-04-01 09:30:00", "gold"},
		{"cus_2", `'=HYPERLINK("http://evil.example")`, "'@SUM(1+1)", "'-2+3", "'+cmd@example.jp", "", "", "", "", "", "'\tTAB", "2026-04-01 09:30:00", ""},
		{"cus_3", "𠮷田", "一郎", "", "", "", "", "", "", "", "", "2026-04-01 09:30:00", ""},
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d:\n got %q\nwant %q", i, rows[i], want[i])
		}
	}
}

func TestShiftJIS(t *testing.T) {
	b, sum := export(t, CSVSJIS, []string{"family_name", "given_name"}, false)
	if sum.Replaced != 1 {
		t.Errorf("%d characters replaced, want 1 (𠮷)", sum.Replaced)
	}
	utf, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, utf)
	if rows[0][0] != "姓" || rows[1][0] != "髙橋" || rows[3][0] != "〓田" || rows[2][0] != `'=HYPERLINK("http://evil.example")` {
		t.Errorf("Shift_JIS rows: %q", rows)
	}
}

func TestXLSX(t *testing.T) {
	b, _ := export(t, XLSX, []string{"customer_id", "family_name", "member_card", "postal_code"}, false)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	// A value that looks like a formula is shown as it is, with no
	// apostrophe: the cell is text, never a formula.
	if len(rows) != 4 || rows[1][2] != "2900000000013" || rows[1][3] != "060-0001" || rows[2][1] != `=HYPERLINK("http://evil.example")` || rows[3][1] != "𠮷田" {
		t.Errorf("workbook rows: %q", rows)
	}
	if formula, _ := f.GetCellFormula("Sheet1", "B3"); formula != "" {
		t.Errorf("B3 holds a formula: %q", formula)
	}
	if typ, err := f.GetCellType("Sheet1", "B3"); err != nil || (typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString) {
		t.Errorf("B3 is of type %v (%v), want text", typ, err)
	}
}

func TestMasked(t *testing.T) {
	b, _ := export(t, CSV, []string{"customer_id", "family_name", "email", "phone", "postal_code", "prefecture", "address1", "birth_date", "member_card", "attr.rank"}, true)
	text := string(b)
	for _, secret := range []string{"髙橋", "misaki@example.jp", "1234-5678", "060-0001", "北一条西1-2-3", "1990-04-01", "2900000000013", "gold"} {
		if strings.Contains(text, secret) {
			t.Errorf("a masked export holds %q:\n%s", secret, text)
		}
	}
	if !strings.Contains(text, "北海道") || !strings.Contains(text, "cus_1") {
		t.Errorf("a masked export lost what is not personal:\n%s", text)
	}
}

func TestColumnsAndFormats(t *testing.T) {
	if _, err := Columns([]string{"customer_id", "shoe_size"}); err == nil || !strings.Contains(err.Error(), `"shoe_size"`) {
		t.Errorf("unknown column: %v", err)
	}
	if cols, err := Columns(nil); err != nil || len(cols) != len(DefaultColumns) {
		t.Errorf("default columns: %d %v", len(cols), err)
	}
	if _, err := ParseFormat("pdf"); err == nil {
		t.Error("pdf accepted")
	}
	for _, s := range []string{"=1", "+1", "-1", "@a", "\tx", "\rx"} {
		if Neutralize(s) != "'"+s {
			t.Errorf("Neutralize(%q) = %q", s, Neutralize(s))
		}
	}
	for _, s := range []string{"", "a=1", "090-1234-5678", "'quoted"} {
		if Neutralize(s) != s {
			t.Errorf("Neutralize(%q) = %q", s, Neutralize(s))
		}
	}
}

// Characters Unicode text writes with code points Shift_JIS's table lacks
// go out as the CP932 characters Excel shows the same, not as 〓.
func TestShiftJISWindowsForms(t *testing.T) {
	var ew Writer
	ew.sjis = japanese.ShiftJIS.NewEncoder()
	in := "道玄坂1−2−3 〜 A—B ‖ ¢£¬"
	out, err := japanese.ShiftJIS.NewDecoder().String(ew.toSJIS(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := "道玄坂1－2－3 ～ A―B ∥ ￠￡￢"; out != want || ew.sum.Replaced != 0 {
		t.Errorf("toSJIS(%q) reads back %q (%d replaced), want %q", in, out, ew.sum.Replaced, want)
	}
}
