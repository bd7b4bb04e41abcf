// Package importer reads the customer files retailers really have — CSV
// and TSV from Excel and old systems, in UTF-8 (with or without a BOM) or
// Shift_JIS/CP932 — maps their columns to Kizuna's fields by their Japanese
// or English headers, and turns each row into a source record for One ID.
// A bad row is reported with its line, column and reason and never stops
// the others.
package importer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kizuna-oss/kizuna/i18n"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// Fields are the targets a column can map to; "attr.NAME" maps to a custom
// attribute.
var Fields = []string{"family_name", "given_name", "family_name_kana", "given_name_kana", "full_name", "full_name_kana",
	"email", "phone", "postal_code", "prefecture", "city", "address1", "address2", "birth_date", "gender", "member_card", "external_id"}

// headerAliases are header spellings seen in Japanese retail files, after
// NameKey-style folding (width, case, spaces and punctuation removed).
var headerAliases = map[string]string{
	"姓": "family_name", "氏": "family_name", "苗字": "family_name", "名字": "family_name", "lastname": "family_name", "familyname": "family_name", "surname": "family_name",
	"名": "given_name", "名前": "given_name", "firstname": "given_name", "givenname": "given_name",
	"セイ": "family_name_kana", "せい": "family_name_kana", "姓カナ": "family_name_kana", "姓フリガナ": "family_name_kana", "姓ふりがな": "family_name_kana", "lastnamekana": "family_name_kana",
	"メイ": "given_name_kana", "めい": "given_name_kana", "名カナ": "given_name_kana", "名フリガナ": "given_name_kana", "名ふりがな": "given_name_kana", "firstnamekana": "given_name_kana",
	"氏名": "full_name", "お名前": "full_name", "顧客名": "full_name", "会員名": "full_name", "name": "full_name", "fullname": "full_name",
	"フリガナ": "full_name_kana", "ふりがな": "full_name_kana", "カナ": "full_name_kana", "氏名カナ": "full_name_kana", "氏名フリガナ": "full_name_kana", "kana": "full_name_kana",
	"メールアドレス": "email", "メール": "email", "eメール": "email", "email": "email", "mail": "email", "emailaddress": "email", "pcメール": "email", "携帯メール": "email",
	"電話番号": "phone", "電話": "phone", "tel": "phone", "携帯": "phone", "携帯電話": "phone", "携帯番号": "phone", "phone": "phone", "mobile": "phone", "自宅電話": "phone",
	"郵便番号": "postal_code", "〒": "postal_code", "zip": "postal_code", "zipcode": "postal_code", "postalcode": "postal_code", "postcode": "postal_code",
	"都道府県": "prefecture", "prefecture": "prefecture", "県": "prefecture",
	"市区町村": "city", "市町村": "city", "city": "city",
	"住所": "address1", "住所1": "address1", "番地": "address1", "address": "address1", "address1": "address1", "町名番地": "address1",
	"住所2": "address2", "建物名": "address2", "建物": "address2", "マンション名": "address2", "address2": "address2", "building": "address2",
	"生年月日": "birth_date", "誕生日": "birth_date", "birthday": "birth_date", "birthdate": "birth_date", "dateofbirth": "birth_date",
	"性別": "gender", "gender": "gender", "sex": "gender",
	"会員番号": "member_card", "会員no": "member_card", "会員id": "member_card", "カード番号": "member_card", "ポイントカード番号": "member_card", "membercard": "member_card", "cardnumber": "member_card",
	"顧客id": "external_id", "顧客番号": "external_id", "顧客コード": "external_id", "id": "external_id", "customerid": "external_id",
}

func headerKey(h string) string {
	h = normalize.Text(h)
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.', '・', '(', ')', '（', '）', ':', '：':
			return -1
		}
		return unicode.ToLower(r)
	}, h)
}

// Mapping maps column indexes to target fields.
type Mapping struct {
	Headers []string
	Fields  []string // per column: a target field, "attr.NAME", or "" (ignored)
}

// AutoMap maps headers by their aliases, then applies explicit overrides
// ("列名=field"). An override naming an unknown column or field is an error.
func AutoMap(headers []string, overrides map[string]string) (Mapping, error) {
	fields, err := autoMap(headers, overrides, headerAliases, Fields)
	return Mapping{Headers: headers, Fields: fields}, err
}

// listFields hold several values: a file's second phone or email column
// (電話番号 and 携帯, PCメール and 携帯メール) adds to the first.
var listFields = []string{"email", "phone", "member_card"}

// autoMap gives each column the field its header is an alias of (each
// field once, but for listFields), then applies the overrides.
func autoMap(headers []string, overrides, aliases map[string]string, valid []string) ([]string, error) {
	fields := make([]string, len(headers))
	used := map[string]bool{}
	for i, h := range headers {
		if f, ok := aliases[headerKey(h)]; ok && (!used[f] || slices.Contains(listFields, f)) {
			fields[i], used[f] = f, true
		}
	}
	for col, field := range overrides {
		i := slices.IndexFunc(headers, func(h string) bool { return h == col || headerKey(h) == headerKey(col) })
		if i < 0 {
			return fields, fmt.Errorf("--map %s=%s: no column %q (columns: %s)", col, field, col, strings.Join(headers, ", "))
		}
		if field != "" && !slices.Contains(valid, field) && !strings.HasPrefix(field, "attr.") {
			return fields, fmt.Errorf("--map %s=%s: unknown field %q (fields: %s, attr.NAME)", col, field, field, strings.Join(valid, ", "))
		}
		fields[i] = field
	}
	return fields, nil
}

// Encoding names what a file was read as.
const (
	UTF8    = "utf-8"
	UTF8BOM = "utf-8-bom"
	CP932   = "cp932"
)

// Decode detects the encoding (a UTF-8 BOM; valid UTF-8; else CP932)
// unless forced, and returns a UTF-8 reader.
func Decode(r io.Reader, force string) (io.Reader, string, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	peek, _ := br.Peek(64 << 10)
	enc := force
	if enc == "" {
		switch {
		case bytes.HasPrefix(peek, []byte("\xef\xbb\xbf")):
			enc = UTF8BOM
		case utf8.Valid(trimPartial(peek)):
			enc = UTF8
		default:
			enc = CP932
		}
	}
	switch strings.ToLower(enc) {
	case UTF8, "utf8":
		return br, UTF8, nil
	case UTF8BOM:
		if bytes.HasPrefix(peek, []byte("\xef\xbb\xbf")) {
			br.Discard(3)
		}
		return br, UTF8BOM, nil
	case CP932, "shift_jis", "sjis", "shift-jis", "windows-31j":
		return transform.NewReader(br, japanese.ShiftJIS.NewDecoder()), CP932, nil
	}
	return nil, "", fmt.Errorf("%w %q: use utf-8, utf-8-bom or cp932", ErrEncoding, force)
}

// ErrEncoding is the error for an encoding asked for that is not one of
// those Decode reads.
var ErrEncoding = errors.New("unknown encoding")

// XLSX is the encoding OpenTable reports for an Excel workbook.
const XLSX = "xlsx"

// Table is a file opened for import.
type Table struct {
	Encoding string // as read; XLSX for a workbook
	Header   []string
	Rows     func(yield func(Row, *Reject) bool)
	// Total is how many rows a workbook's sheet says follow the header (0
	// for CSV, whose progress is counted in bytes).
	Total int
}

// OpenTable reads the header of a CSV or TSV file (in the encoding given,
// or detected when "") or of an Excel workbook (the sheet given, or the
// first). r must be seekable: a workbook is a zip.
func OpenTable(r io.ReadSeeker, encoding, sheet string) (Table, error) {
	var t Table
	head := make([]byte, 4)
	n, _ := io.ReadFull(r, head)
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return t, err
	}
	var err error
	if IsZip(head[:n]) {
		t.Encoding = XLSX
		t.Header, t.Rows, t.Total, err = ReadXLSX(r, sheet)
		return t, err
	}
	dec, enc, err := Decode(r, encoding)
	if err != nil {
		return t, err
	}
	t.Encoding = enc
	t.Header, t.Rows, err = ReadRows(dec)
	return t, err
}

func trimPartial(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if r, size := utf8.DecodeLastRune(b); r != utf8.RuneError || size > 1 {
			return b
		}
		b = b[:len(b)-1]
	}
	return b
}

// Row is one data row as read.
type Row struct {
	Line   int // 1-based line in the file where the row starts
	Values []string
}

// Reject says why a row was not imported.
type Reject struct {
	Line   int
	Column string // header of the column at fault, or "" for the whole row
	Reason string
	// Japanese is Reason in Japanese, when the one who made the reject
	// has it; else the reject file translates Reason (i18n.Reason).
	Japanese string
	Values   []string
}

// RejectHeader is the header of a reject file for a file's header: the
// line, the column and the reason in English (as the API and logs give
// it) and Japanese (理由), then the file's own columns, neutralized as
// the rows are.
func RejectHeader(header []string) []string {
	out := []string{"line", "column", "reason", "理由"}
	for _, h := range header {
		out = append(out, neutralize(h))
	}
	return out
}

// Record is the reject as a line of the reject file: line, column, reason
// and 理由, then the row. A value a spreadsheet would run as a formula (starting
// with =, +, -, @, tab or CR) gets a leading apostrophe, as exports do,
// since staff open the file in Excel to fix it; Unformula takes it off
// again when the fixed file is imported.
func (r Reject) Record() []string {
	ja := r.Japanese
	if ja == "" {
		ja = i18n.Reason(r.Reason)
	}
	out := make([]string, 0, 4+len(r.Values))
	out = append(out, strconv.Itoa(r.Line), neutralize(r.Column), neutralize(r.Reason), neutralize(ja))
	for _, v := range r.Values {
		out = append(out, neutralize(v))
	}
	return out
}

// neutralize is exporter.Neutralize (a package the importer does not
// depend on).
func neutralize(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// Unformula takes off the apostrophe that a reject file or an export put
// before a value starting with =, +, -, @, tab or CR.
func Unformula(v string) string {
	if len(v) > 1 && v[0] == '\'' && strings.IndexByte("=+-@\t\r", v[1]) >= 0 {
		return v[1:]
	}
	return v
}

// ReadRows reads a CSV or TSV (the delimiter is chosen from the header
// line) and returns the header and a function yielding rows. A row with
// the wrong number of fields is a reject, not an error. A quote that is
// never closed takes only its own line down: when the record it opens
// runs over several lines and does not fit the header, that first line is
// rejected and the lines after it are read again as rows of their own.
func ReadRows(r io.Reader) (header []string, rows func(yield func(Row, *Reject) bool), err error) {
	br := bufio.NewReader(r)
	first, err := br.Peek(4096)
	if len(first) == 0 && err != nil {
		return nil, nil, errors.New("the file is empty")
	}
	rr := &recordReader{br: br, comma: ','}
	line, _, _ := bytes.Cut(first, []byte("\n"))
	if bytes.Count(line, []byte("\t")) > bytes.Count(line, []byte(",")) {
		rr.comma = '\t'
	}
	rec, err := rr.read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the file has no header")
		}
		return nil, nil, fmt.Errorf("line 1: cannot read the header: %w", err)
	}
	header = slices.Clone(rec.fields)
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	rows = func(yield func(Row, *Reject) bool) {
		for {
			rec, err := rr.read()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(Row{Line: rr.next + 1}, &Reject{Line: rr.next + 1, Reason: fmt.Sprintf("cannot read the file past here: %v", err)})
				return
			}
			ln := rec.lines[0].n
			if len(rec.lines) > 1 && (rec.open || rec.stray || len(rec.fields) != len(header) || swallowsRows(rr, rec, len(header))) {
				// A quote opened on this line and not closed where the
				// row should end: reject the line alone, read on after it.
				rr.giveBack(rec.lines[1:])
				values := slices.Clone(rr.readAlone(rec.lines[0]))
				col := ""
				if rec.openedAt < len(header) {
					col = header[rec.openedAt]
				}
				reason := "a quote opened in this row is never closed; the lines after it are read as rows of their own"
				if !rec.open {
					reason = fmt.Sprintf("a quoted value opened here runs over %d lines and takes in what look like rows of their own; the lines after this one are read as rows", len(rec.lines))
				}
				if !yield(Row{Line: ln, Values: values}, &Reject{Line: ln, Column: col, Reason: reason, Values: values}) {
					return
				}
				continue
			}
			row := Row{Line: ln, Values: slices.Clone(rec.fields)}
			if len(rec.fields) != len(header) {
				if !yield(row, &Reject{Line: ln, Reason: fmt.Sprintf("%d fields, the header has %d", len(rec.fields), len(header)), Values: row.Values}) {
					return
				}
				continue
			}
			if !yield(row, nil) {
				return
			}
		}
	}
	return header, rows, nil
}

// swallowsRows says whether a record over several lines holds a line that
// is a row by itself (as many fields as the header): a value rightly
// spread over lines (a note, an address) rarely is, while a quote left
// open reads the rows after it into one value until some later quote
// happens to close it.
func swallowsRows(rr *recordReader, rec record, fields int) bool {
	for _, l := range rec.lines[1:] {
		if len(rr.readAlone(l)) == fields {
			return true
		}
	}
	return false
}

// ToSource turns a row into a source record of channel. The record's
// external ID is the mapped ID column, or else a hash of the row's mapped
// values: importing the same file twice then changes nothing.
func (m Mapping) ToSource(channel string, row Row) (customer.SourceProfileInput, *Reject) {
	p := map[string]any{}
	var addr map[string]string
	attrs := map[string]any{}
	ext := ""
	for i, f := range m.Fields {
		v := strings.TrimSpace(Unformula(row.Values[i]))
		if f == "" || v == "" {
			continue
		}
		switch f {
		case "full_name", "full_name_kana":
			fam, giv := SplitName(v)
			suffix := ""
			if f == "full_name_kana" {
				suffix = "_kana"
			}
			if _, set := p["family_name"+suffix]; !set {
				p["family_name"+suffix] = fam
				if giv != "" {
					p["given_name"+suffix] = giv
				}
			}
		case "email":
			p["emails"] = append(asList(p["emails"]), v)
		case "phone":
			p["phones"] = append(asList(p["phones"]), v)
		case "member_card":
			p["member_cards"] = append(asList(p["member_cards"]), v)
		case "birth_date":
			// A date that does not parse goes to One ID as written, which
			// refuses the row there, with the row's other problems.
			if d, err := normalize.Date(v); err == nil {
				v = d
			}
			p["birth_date"] = v
		case "postal_code", "prefecture", "city", "address1", "address2":
			if addr == nil {
				addr = map[string]string{}
			}
			key := map[string]string{"postal_code": "postal_code", "prefecture": "prefecture", "city": "city", "address1": "street", "address2": "building"}[f]
			addr[key] = v
		case "external_id":
			ext = v
		default:
			if name, ok := strings.CutPrefix(f, "attr."); ok {
				attrs[name] = v
			} else {
				p[f] = v
			}
		}
	}
	if addr != nil {
		p["addresses"] = []map[string]string{addr}
	}
	if len(attrs) > 0 {
		p["attributes"] = attrs
	}
	if len(p) == 0 {
		return customer.SourceProfileInput{}, &Reject{Line: row.Line, Reason: "no mapped column has a value", Values: row.Values}
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return customer.SourceProfileInput{}, &Reject{Line: row.Line, Reason: err.Error(), Values: row.Values}
	}
	if ext == "" {
		h := sha256.Sum256(raw)
		ext = "row-" + hex.EncodeToString(h[:12])
	}
	return customer.SourceProfileInput{Channel: channel, ExternalID: ext, Profile: raw}, nil
}

func asList(v any) []string {
	l, _ := v.([]string)
	return l
}

// SplitName splits a full name into family and given at the first space
// (any width); without a space the whole name is the family name, since a
// guess would be wrong as often as right for kanji names.
func SplitName(full string) (family, given string) {
	s := normalize.Text(full)
	fam, giv, ok := strings.Cut(s, " ")
	if !ok {
		return s, ""
	}
	return fam, strings.TrimSpace(giv)
}

// ColumnFor names the file's column behind a field path that One ID
// reported ("profile.emails[0]" → "メールアドレス") for a row with values,
// so a reject points at the cell to fix; the path itself when no column
// maps there. emails[1] is the second email column that has a value in
// the row, as ToSource built the list.
func (m Mapping) ColumnFor(path string, values []string) string {
	p := strings.TrimPrefix(path, "profile.")
	base, rest, _ := strings.Cut(p, "[")
	field := map[string]string{"emails": "email", "phones": "phone", "member_cards": "member_card"}[base]
	switch {
	case field != "":
	case base == "addresses":
		_, sub, _ := strings.Cut(rest, ".")
		field = map[string]string{"street": "address1", "building": "address2"}[sub]
		if field == "" {
			field = sub
		}
	case strings.HasPrefix(p, "attributes."):
		field = "attr." + strings.TrimPrefix(p, "attributes.")
	default:
		field = p
	}
	candidates := []string{field}
	switch field { // a full-name column feeds both halves
	case "family_name", "given_name":
		candidates = append(candidates, "full_name")
	case "family_name_kana", "given_name_kana":
		candidates = append(candidates, "full_name_kana")
	}
	// emails[1] is the second email column, when the file has two.
	nth := 0
	if n, err := strconv.Atoi(strings.TrimSuffix(strings.SplitN(rest, "]", 2)[0], "]")); err == nil && slices.Contains(listFields, field) {
		nth = n
	}
	for _, c := range candidates {
		seen := 0
		first := -1
		for i, f := range m.Fields {
			if f != c {
				continue
			}
			if first < 0 {
				first = i
			}
			if i < len(values) && strings.TrimSpace(Unformula(values[i])) == "" {
				continue
			}
			if seen == nth {
				return m.Headers[i]
			}
			seen++
		}
		if first >= 0 {
			return m.Headers[first]
		}
	}
	return path
}
