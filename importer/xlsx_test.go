package importer

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
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
	f.NewSheet("メモ")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !IsZip(buf.Bytes()) {
		t.Fatal("an xlsx is not recognized")
	}
	if _, _, err := ReadXLSX(bytes.NewReader(buf.Bytes()), "顧客"); err == nil || !strings.Contains(err.Error(), "会員, メモ") {
		t.Errorf("unknown sheet: %v", err)
	}
	header, it, err := ReadXLSX(bytes.NewReader(buf.Bytes()), "")
	if err != nil {
		t.Fatal(err)
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
	if strings.Join(got, ",") != "山田,佐藤" {
		t.Errorf("rows %q", got)
	}
	if len(rejects) != 1 || rejects[0].Line != 5 || rejects[0].Column != "生年月日" {
		t.Errorf("rejects %+v", rejects)
	}
	if _, _, err := ReadXLSX(strings.NewReader("not a workbook"), ""); err == nil {
		t.Error("garbage read as a workbook")
	}
}
