package importer

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// IsZip reports whether data starts like a zip archive: an .xlsx workbook
// is one, and so are the zipped files Japan Post publishes.
func IsZip(head []byte) bool { return len(head) >= 4 && string(head[:4]) == "PK\x03\x04" }

// ReadXLSX reads one sheet of a workbook (the first when sheet is "") the
// way ReadRows reads a CSV: the first row is the header; Line is the
// spreadsheet's row number. Cells are read as displayed, so numbers arrive
// as the user sees them in Excel, and dates as Japanese Excel shows them,
// the short date format as yyyy-mm-dd. total is how many rows follow the
// header by the sheet's recorded dimension (empty rows included; 0 when
// the workbook records none), for a progress bar.
func ReadXLSX(r io.Reader, sheet string) (header []string, rows func(yield func(Row, *Reject) bool), total int, err error) {
	// Bounds on what a workbook may unpack to: a small upload must not
	// expand into gigabytes (a zip bomb) before a row is read.
	//
	// A date cell in Excel's short date format (built-in format 14) is
	// shown by the reader's locale; excelize's default, mm-dd-yy, loses
	// the century and reads as no date at all. It is shown as yyyy-mm-dd,
	// and the other built-in formats as Japanese Excel shows them (和暦
	// among them).
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: 2 << 30, UnzipXMLSizeLimit: 256 << 20,
		ShortDatePattern: "yyyy-mm-dd", CultureInfo: excelize.CultureNameJaJP})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("not a readable Excel workbook: %w", err)
	}
	sheets := f.GetSheetList()
	if sheet == "" && len(sheets) > 0 {
		sheet = sheets[0]
	}
	if !slices.Contains(sheets, sheet) {
		f.Close()
		return nil, nil, 0, fmt.Errorf("no sheet %q (sheets: %s)", sheet, strings.Join(sheets, ", "))
	}
	it, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, nil, 0, err
	}
	line := 0
	for it.Next() {
		line++
		cols, err := it.Columns()
		if err != nil {
			f.Close()
			return nil, nil, 0, fmt.Errorf("sheet %s row %d: %w", sheet, line, err)
		}
		if len(cols) > 0 {
			header = cols
			break
		}
	}
	if header == nil {
		f.Close()
		return nil, nil, 0, fmt.Errorf("sheet %s is empty", sheet)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	if dim, err := f.GetSheetDimension(sheet); err == nil {
		if _, last, ok := strings.Cut(dim, ":"); ok {
			if _, lastRow, err := excelize.CellNameToCoordinates(last); err == nil && lastRow > line {
				total = lastRow - line
			}
		}
	}
	rows = func(yield func(Row, *Reject) bool) {
		defer f.Close()
		defer it.Close()
		for it.Next() {
			line++
			cols, err := it.Columns()
			if err != nil {
				if !yield(Row{Line: line}, &Reject{Line: line, Reason: err.Error()}) {
					return
				}
				continue
			}
			if len(strings.Join(cols, "")) == 0 {
				continue // an empty row: Excel files are full of them
			}
			if len(cols) > len(header) {
				if !yield(Row{Line: line, Values: cols}, &Reject{Line: line, Reason: fmt.Sprintf("%d cells, the header has %d", len(cols), len(header)), Values: cols}) {
					return
				}
				continue
			}
			// Trailing empty cells are not stored in the file.
			for len(cols) < len(header) {
				cols = append(cols, "")
			}
			if !yield(Row{Line: line, Values: cols}, nil) {
				return
			}
		}
	}
	return header, rows, total, nil
}
