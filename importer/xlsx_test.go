package importer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kizuna-oss/kizuna/normalize"
)

func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "会員")
	rows := [][]any{
		{"会員番号", "氏名", "フリガナ", "電話番号", "生年月日"},
		{"M001", "山田 花子", "ヤマダ ハナコ", "090-1234-5678", "1990/04/01"},
		{},
		{"M002", "佐藤 一郎"}, // trailing cells missing
		{"M003", "鈴木 美咲", "スズキ ミサキ", "", "平成2年13月1日"},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("会員", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	// Excel records the range a sheet uses (excelize leaves A1).
	if err := f.SetSheetDimension("会員", "A1:E5"); err != nil {
		t.Fatal(err)
	}
	f.NewSheet("メモ")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !IsZip(buf.Bytes()) {
		t.Fatal("an xlsx is not recognized")
	}
	if _, _, _, err := ReadXLSX(bytes.NewReader(buf.Bytes()), "顧客"); err == nil || !strings.Contains(err.Error(), "会員, メモ") {
		t.Errorf("unknown sheet: %v", err)
	}
	header, it, total, err := ReadXLSX(bytes.NewReader(buf.Bytes()), "")
	if err != nil {
		t.Fatal(err)
	}
	if total != len(rows)-1 { // the sheet's dimension, for the progress bar
		t.Errorf("total %d rows after the header, want %d", total, len(rows)-1)
	}
	m, _ := AutoMap(header, nil)
	var got []string
	var rejects []Reject
	for row, rej := range it {
		if rej != nil {
			rejects = append(rejects, *rej)
			continue
		}
		in, rej := m.ToSource("store", row)
		if rej != nil {
			rejects = append(rejects, *rej)
			continue
		}
		var p map[string]any
		json.Unmarshal(in.Profile, &p)
		got = append(got, p["family_name"].(string))
	}
	// The row with a date that is no date (13月) maps, as written: One ID
	// refuses it with the row's other problems.
	if strings.Join(got, ",") != "山田,佐藤,鈴木" || len(rejects) != 0 {
		t.Errorf("rows %q, rejects %+v", got, rejects)
	}
	if _, _, _, err := ReadXLSX(strings.NewReader("not a workbook"), ""); err == nil {
		t.Error("garbage read as a workbook")
	}
}

// Member lists keep birth dates as real date cells and postal codes typed
// as numbers: the short date format (built-in 14), a Japanese-era format
// and a bare serial come through as dates, and the postal code gets its
// leading zero back.
func TestReadXLSXDateCells(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"会員番号", "氏名", "郵便番号", "生年月日"})
	short, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	era, err := f.NewStyle(&excelize.Style{NumFmt: 30})
	if err != nil {
		t.Fatal(err)
	}
	// 25628 is 1970-03-01 in Excel's 1900 date system.
	for i, style := range []int{short, era} {
		row := i + 2
		cell, _ := excelize.CoordinatesToCellName(1, row)
		f.SetSheetRow("Sheet1", cell, &[]any{"M" + string(rune('1'+i)), "山田 花子", 600042, 25628})
		d, _ := excelize.CoordinatesToCellName(4, row)
		f.SetCellStyle("Sheet1", d, d, style)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	header, it, _, err := ReadXLSX(bytes.NewReader(buf.Bytes()), "")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := AutoMap(header, nil)
	n := 0
	for row, rej := range it {
		if rej != nil {
			t.Fatalf("line %d rejected: %+v", row.Line, rej)
		}
		in, rej := m.ToSource("store", row)
		if rej != nil {
			t.Fatalf("line %d (%q) rejected: %+v", row.Line, row.Values, rej)
		}
		var p struct {
			BirthDate string `json:"birth_date"`
			Addresses []struct {
				PostalCode string `json:"postal_code"`
			} `json:"addresses"`
		}
		json.Unmarshal(in.Profile, &p)
		if len(p.Addresses) != 1 {
			t.Fatalf("line %d: addresses %+v", row.Line, p.Addresses)
		}
		// One ID normalizes what the row says (identity.ParseProfile).
		if pc, err := normalize.PostalCode(p.Addresses[0].PostalCode); p.BirthDate != "1970-03-01" || pc != "0600042" || err != nil {
			t.Errorf("line %d (%q): %+v", row.Line, row.Values, p)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d rows read, want 2", n)
	}
}
