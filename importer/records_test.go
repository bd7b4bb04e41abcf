package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// A quote left open takes down its own line only: the good rows after it
// are imported, and a quoted value that rightly runs over two lines is
// still one value.
func TestUnclosedQuoteRejectsOnlyItsLine(t *testing.T) {
	in := "会員番号,氏名,住所\n" +
		"A001,山田 花子,東京都\n" +
		"A002,\"伊藤 健,大阪府\n" + // never closed
		"A003,佐藤 一郎,京都府\n" +
		"A004,\"鈴木\n次郎\",\"北海道\"\n" + // a value over two lines
		"\n" +
		"A005,高橋 美咲,\"福岡県 \"\"博多\"\"\"\n"
	header, rows, err := ReadRows(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(header, []string{"会員番号", "氏名", "住所"}) {
		t.Fatalf("header %q", header)
	}
	var got []string
	var rejects []Reject
	for row, rej := range rows {
		if rej != nil {
			rejects = append(rejects, *rej)
			continue
		}
		got = append(got, strings.Join(append([]string{string(rune('0' + row.Line))}, row.Values...), "|"))
	}
	want := []string{"2|A001|山田 花子|東京都", "4|A003|佐藤 一郎|京都府", "5|A004|鈴木\n次郎|北海道", "8|A005|高橋 美咲|福岡県 \"博多\""}
	if !slices.Equal(got, want) {
		t.Errorf("rows\n got %q\nwant %q", got, want)
	}
	if len(rejects) != 1 || rejects[0].Line != 3 || rejects[0].Column != "氏名" || !strings.Contains(rejects[0].Reason, "quoted value opened here") ||
		!slices.Equal(rejects[0].Values, []string{"A002", "伊藤 健,大阪府"}) {
		t.Errorf("rejects %+v", rejects)
	}
}

// A quote opened in one row and closed by a quote in a later one makes a
// record that fits the header by chance: the first line is rejected and
// the rest read again, the next line as the good row it is.
func TestQuoteClosedRowsLaterRejectsTheFirstLine(t *testing.T) {
	in := "id,name\n1,\"abc\n2,\"def\"\n3,ghi\n"
	_, rows, err := ReadRows(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	var rejected []int
	for row, rej := range rows {
		if rej != nil {
			rejected = append(rejected, rej.Line)
			continue
		}
		lines = append(lines, row.Line)
	}
	if !slices.Equal(rejected, []int{2}) || !slices.Equal(lines, []int{3, 4}) {
		t.Errorf("rejected lines %v, imported %v; want [2] and [3 4]", rejected, lines)
	}
}

// On what encoding/csv reads without complaint (strictly: no stray or
// unclosed quotes), the record reader must read the same records.
func FuzzRecordsMatchEncodingCSV(f *testing.F) {
	f.Add([]byte("a,b,c\n1,\"2\n3\",4\r\n\n\"x\"\"y\",,\r"), true)
	f.Add([]byte("a\tb\n\"1\t2\"\t3\n"), false)
	f.Add([]byte(sample), true)
	f.Fuzz(func(t *testing.T, b []byte, commaSep bool) {
		comma := byte('\t')
		if commaSep {
			comma = ','
		}
		cr := csv.NewReader(bytes.NewReader(b))
		cr.Comma = rune(comma)
		cr.FieldsPerRecord = -1
		want, err := cr.ReadAll()
		if err != nil {
			return
		}
		rr := &recordReader{br: bufio.NewReader(bytes.NewReader(b)), comma: comma}
		var got [][]string
		for {
			rec, err := rr.read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.open {
				t.Fatalf("record %q left open where encoding/csv read %q", rec.fields, want)
			}
			got = append(got, slices.Clone(rec.fields))
		}
		if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
			t.Fatalf("input %q\n got %q\nwant %q", b, got, want)
		}
	})
}

// A quote that nothing closes before the end of the file: its line is
// rejected as never closed, and the rows after it are kept.
func TestQuoteNeverClosedToTheEnd(t *testing.T) {
	_, rows, err := ReadRows(strings.NewReader("id,name\n1,\"abc\n2,def\n3,ghi"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	var rejects []Reject
	for row, rej := range rows {
		if rej != nil {
			rejects = append(rejects, *rej)
			continue
		}
		lines = append(lines, row.Line)
	}
	if len(rejects) != 1 || rejects[0].Line != 2 || rejects[0].Column != "name" || !strings.Contains(rejects[0].Reason, "never closed") || !slices.Equal(lines, []int{3, 4}) {
		t.Errorf("rejects %+v, imported lines %v", rejects, lines)
	}
}
