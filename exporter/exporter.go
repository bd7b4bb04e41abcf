// Package exporter writes customers to the files staff open in Excel: CSV
// in UTF-8 with a byte-order mark (Excel reads UTF-8 only with it), CSV in
// Shift_JIS (CP932) for older Excel and back-office tools, and XLSX. CSV
// cells that a spreadsheet would run as a formula are neutralized (a
// workbook's cells are text, never formulas), and personal
// fields are masked for readers who may not see them. Who may export, and
// the audit of each export, belong to the callers.
package exporter

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"

	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/mask"
)

// Format is an export file format.
type Format string

// Formats.
const (
	CSV     Format = "csv"      // UTF-8 with BOM, CRLF line ends
	CSVSJIS Format = "csv-sjis" // Shift_JIS (CP932), CRLF
	XLSX    Format = "xlsx"
)

// Formats lists the formats.
var Formats = []Format{CSV, CSVSJIS, XLSX}

// ContentType and Extension of a format, for downloads.
func (f Format) ContentType() string {
	switch f {
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case CSVSJIS:
		return "text/csv; charset=Shift_JIS"
	}
	return "text/csv; charset=utf-8"
}

// Extension is the file name extension.
func (f Format) Extension() string {
	if f == XLSX {
		return ".xlsx"
	}
	return ".csv"
}

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	if f := Format(s); slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("unknown export format %q: use csv (UTF-8 with BOM), csv-sjis (Shift_JIS) or xlsx", s)
}

// Column is one exported column.
type Column struct {
	Key      string // as named in --columns and the API
	Label    string // the Japanese header
	Personal bool   // masked for readers without access to personal data
	value    func(c *customer.Customer) string
	masked   func(v string) string
}

var tokyo = time.FixedZone("JST", 9*60*60)

func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

func firstAddress(c *customer.Customer) customer.Address {
	if len(c.Profile.Addresses) == 0 {
		return customer.Address{}
	}
	return c.Profile.Addresses[0]
}

// displayPostal writes a postal code as 150-0001: the hyphen also keeps
// Excel from reading it as a number and dropping a leading zero.
func displayPostal(p string) string {
	if len(p) == 7 {
		return p[:3] + "-" + p[3:]
	}
	return p
}

// displayPhone writes a Japanese number as staff write it (090-1234-5678)
// and any other in international form.
func displayPhone(e164 string) string {
	n, err := phonenumbers.Parse(e164, "JP")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return e164
	}
	if n.GetCountryCode() == 81 {
		return phonenumbers.Format(n, phonenumbers.NATIONAL)
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

func hideAll(v string) string {
	if v == "" {
		return ""
	}
	return "***"
}

// columns are every column there is, in the default order.
var columns = []Column{
	{Key: "customer_id", Label: "顧客ID", value: func(c *customer.Customer) string { return c.ID }},
	{Key: "family_name", Label: "姓", Personal: true, value: func(c *customer.Customer) string { return c.Profile.FamilyName }, masked: mask.Name},
	{Key: "given_name", Label: "名", Personal: true, value: func(c *customer.Customer) string { return c.Profile.GivenName }, masked: mask.Name},
	{Key: "family_name_kana", Label: "セイ", Personal: true, value: func(c *customer.Customer) string { return c.Profile.FamilyNameKana }, masked: mask.Name},
	{Key: "given_name_kana", Label: "メイ", Personal: true, value: func(c *customer.Customer) string { return c.Profile.GivenNameKana }, masked: mask.Name},
	{Key: "email", Label: "メールアドレス", Personal: true, value: func(c *customer.Customer) string { return first(c.Profile.Emails) }, masked: mask.Email},
	{Key: "phone", Label: "電話番号", Personal: true, value: func(c *customer.Customer) string { return displayPhone(first(c.Profile.Phones)) }, masked: mask.Phone},
	{Key: "postal_code", Label: "郵便番号", Personal: true, value: func(c *customer.Customer) string { return displayPostal(firstAddress(c).PostalCode) }, masked: mask.PostalCode},
	{Key: "prefecture", Label: "都道府県", value: func(c *customer.Customer) string { return firstAddress(c).Prefecture }},
	{Key: "city", Label: "市区町村", value: func(c *customer.Customer) string { return firstAddress(c).City }},
	{Key: "address1", Label: "住所1", Personal: true, value: func(c *customer.Customer) string { return firstAddress(c).Street }, masked: mask.Address},
	{Key: "address2", Label: "住所2", Personal: true, value: func(c *customer.Customer) string { return firstAddress(c).Building }, masked: hideAll},
	{Key: "birth_date", Label: "生年月日", Personal: true, value: func(c *customer.Customer) string { return c.Profile.BirthDate }, masked: mask.BirthDate},
	{Key: "gender", Label: "性別", value: func(c *customer.Customer) string { return c.Profile.Gender }},
	{Key: "member_card", Label: "会員番号", Personal: true, value: func(c *customer.Customer) string { return first(c.Profile.MemberCards) }, masked: mask.Card},
	{Key: "channels", Label: "チャネル", value: func(c *customer.Customer) string { return strings.Join(c.Channels, " ") }},
	{Key: "tags", Label: "タグ", value: func(c *customer.Customer) string { return strings.Join(c.Profile.Tags, " ") }},
	{Key: "created_at", Label: "登録日時", value: func(c *customer.Customer) string { return c.CreatedAt.In(tokyo).Format("2006-01-02 15:04:05") }},
	{Key: "updated_at", Label: "更新日時", value: func(c *customer.Customer) string { return c.UpdatedAt.In(tokyo).Format("2006-01-02 15:04:05") }},
}

// DefaultColumns are exported when none are chosen.
var DefaultColumns = []string{"customer_id", "family_name", "given_name", "family_name_kana", "given_name_kana", "email", "phone",
	"postal_code", "prefecture", "city", "address1", "address2", "birth_date", "gender", "member_card", "channels"}

// ColumnKeys lists every column key (attributes come as attr.NAME).
func ColumnKeys() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c.Key
	}
	return append(out, "attr.NAME")
}

// Columns resolves column keys; attr.NAME exports a custom attribute.
// Custom attributes count as personal: their content is unknown here.
func Columns(keys []string) ([]Column, error) {
	if len(keys) == 0 {
		keys = DefaultColumns
	}
	var out []Column
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if name, ok := strings.CutPrefix(k, "attr."); ok && name != "" {
			out = append(out, Column{Key: k, Label: name, Personal: true, masked: hideAll, value: func(c *customer.Customer) string {
				v, ok := c.Profile.Attributes[name]
				if !ok || v == nil {
					return ""
				}
				return fmt.Sprint(v)
			}})
			continue
		}
		i := slices.IndexFunc(columns, func(c Column) bool { return c.Key == k })
		if i < 0 {
			return nil, fmt.Errorf("unknown column %q: choose from %s", k, strings.Join(ColumnKeys(), ", "))
		}
		out = append(out, columns[i])
	}
	return out, nil
}

// Neutralize keeps a spreadsheet from running a cell as a formula: a value
// starting with =, +, -, @, tab or carriage return gets a leading
// apostrophe (OWASP's advice for CSV injection). Japanese phone numbers
// are written in national form, so they need none.
func Neutralize(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// Summary is what an export wrote.
type Summary struct {
	Rows     int    `json:"rows"`
	Bytes    int64  `json:"bytes"`
	SHA256   string `json:"sha256"`
	Replaced int    `json:"replaced_characters" doc:"Characters Shift_JIS cannot hold, written as 〓"`
}

// Writer writes one export file.
type Writer struct {
	format  Format
	cols    []Column
	masked  bool
	out     *countingHash
	csv     *csv.Writer
	buf     *bufio.Writer
	sjis    *encoding.Encoder
	xlsx    *excelize.File
	stream  *excelize.StreamWriter
	row     []string
	sum     Summary
	started bool
}

type countingHash struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// New starts an export to w. With masked, personal columns are masked.
func New(w io.Writer, f Format, cols []Column, masked bool) (*Writer, error) {
	ew := &Writer{format: f, cols: cols, masked: masked, out: &countingHash{w: w, h: sha256.New()}, row: make([]string, len(cols))}
	switch f {
	case CSV, CSVSJIS:
		ew.buf = bufio.NewWriterSize(ew.out, 64<<10)
		ew.csv = csv.NewWriter(ew.buf)
		ew.csv.UseCRLF = true // what Excel writes and expects
		if f == CSV {
			ew.buf.WriteString("\ufeff")
		} else {
			ew.sjis = japanese.ShiftJIS.NewEncoder()
		}
	case XLSX:
		ew.xlsx = excelize.NewFile()
		sw, err := ew.xlsx.NewStreamWriter("Sheet1")
		if err != nil {
			return nil, err
		}
		ew.stream = sw
	default:
		return nil, fmt.Errorf("unknown export format %q", f)
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Label
	}
	if err := ew.write(header); err != nil {
		return nil, err
	}
	return ew, nil
}

// Write adds one customer.
func (ew *Writer) Write(c *customer.Customer) error {
	for i, col := range ew.cols {
		v := col.value(c)
		if ew.masked && col.Personal && col.masked != nil {
			v = col.masked(v)
		}
		ew.row[i] = v
	}
	ew.sum.Rows++
	return ew.write(ew.row)
}

// write writes a row. CSV cells are neutralized, since a spreadsheet
// decides what a CSV cell is; a workbook's cells are written as text,
// which Excel never runs, so they are left as they are (an apostrophe
// would show).
func (ew *Writer) write(row []string) error {
	switch ew.format {
	case CSV:
		enc := make([]string, len(row))
		for i, v := range row {
			enc[i] = Neutralize(v)
		}
		return ew.csv.Write(enc)
	case CSVSJIS:
		enc := make([]string, len(row))
		for i, v := range row {
			enc[i] = ew.toSJIS(Neutralize(v))
		}
		return ew.csv.Write(enc)
	}
	cells := make([]any, len(row))
	for i, v := range row {
		cells[i] = v
	}
	cell, err := excelize.CoordinatesToCellName(1, ew.sum.Rows+1)
	if err != nil {
		return err
	}
	return ew.stream.SetRow(cell, cells)
}

// cp932Forms maps the characters that Unicode text (macOS, the web) writes
// with code points Shift_JIS's table lacks to the ones Windows (CP932) has
// for the same glyphs: 〜 (wave dash) as ～, − (minus) as －, — (em dash)
// as ―, ‖ as ∥, and ¢ £ ¬ in their full-width forms. Without it an address
// such as 道玄坂1−2−3 was exported as 道玄坂1〓2〓3.
var cp932Forms = strings.NewReplacer("〜", "～", "−", "－", "—", "―", "‖", "∥", "¢", "￠", "£", "￡", "¬", "￢")

// toSJIS encodes s in Shift_JIS, with 〓 (the geta mark Japanese systems
// use for it) for every character Shift_JIS cannot hold. The CSV writer
// then sees bytes as a Go string; its quoting bytes (" , CR LF) never occur
// as Shift_JIS trail bytes, so quoting stays correct.
func (ew *Writer) toSJIS(s string) string {
	s = cp932Forms.Replace(s)
	if out, err := ew.sjis.String(s); err == nil {
		return out
	}
	var b strings.Builder
	for _, r := range s {
		enc, err := ew.sjis.String(string(r))
		if err != nil || r == utf8.RuneError {
			enc, _ = ew.sjis.String("〓")
			ew.sum.Replaced++
		}
		b.WriteString(enc)
	}
	return b.String()
}

// Close finishes the file and returns what was written.
func (ew *Writer) Close() (Summary, error) {
	switch ew.format {
	case CSV, CSVSJIS:
		ew.csv.Flush()
		if err := ew.csv.Error(); err != nil {
			return ew.sum, err
		}
		if err := ew.buf.Flush(); err != nil {
			return ew.sum, err
		}
	case XLSX:
		if err := ew.stream.Flush(); err != nil {
			return ew.sum, err
		}
		if err := ew.xlsx.Write(ew.out); err != nil {
			return ew.sum, err
		}
		ew.xlsx.Close()
	}
	ew.sum.Bytes = ew.out.n
	ew.sum.SHA256 = hex.EncodeToString(ew.out.h.Sum(nil))
	return ew.sum, nil
}
