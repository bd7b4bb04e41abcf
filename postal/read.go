package postal

import (
	"archive/zip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kizuna-oss/kizuna/importer"
	"github.com/kizuna-oss/kizuna/normalize"
)

// ReadFile reads a Japan Post file (KEN_ALL.CSV, utf_ken_all.csv, or
// either zipped) and calls fn for each postal code entry, merged and
// normalized. Errors name the file and line.
func ReadFile(path string, fn func(Entry) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if importer.IsZip(head[:n]) {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		zr, err := zip.NewReader(f, st.Size())
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, zf := range zr.File {
			if strings.HasSuffix(strings.ToLower(zf.Name), ".csv") {
				rc, err := zf.Open()
				if err != nil {
					return fmt.Errorf("%s: %s: %w", path, zf.Name, err)
				}
				defer rc.Close()
				return Read(rc, path+":"+zf.Name, fn)
			}
		}
		return fmt.Errorf("%s: no .csv file in the archive", path)
	}
	return Read(f, path, fn)
}

// Read parses Japan Post's 15-column format from r (name is used in
// errors). The encoding is detected: UTF-8 (utf_ken_all), else CP932.
func Read(r io.Reader, name string, fn func(Entry) error) error {
	src, _, err := importer.Decode(r, "")
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	cr := csv.NewReader(src)
	cr.FieldsPerRecord = 15
	cr.ReuseRecord = true
	var pending *Entry // a town still open: its "（" not yet closed
	var pendingLine int
	flush := func() error {
		if pending == nil {
			return nil
		}
		e := *pending
		pending = nil
		e.Town, e.TownNote = splitTown(e.Town)
		kanaTown, _ := splitTown(e.TownKana)
		if e.Town == "" {
			kanaTown = ""
		}
		e.TownKana = kanaTown
		return fn(e)
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err) // csv's errors give the line and column
		}
		line, _ := cr.FieldPos(0)
		code := strings.TrimSpace(rec[2])
		if len(code) != 7 || strings.Trim(code, "0123456789") != "" {
			return fmt.Errorf("%s line %d, column 3: postal code %q is not 7 digits", name, line, rec[2])
		}
		e := Entry{Code: code, Prefecture: rec[6], City: rec[7], Town: normalizeTown(rec[8]),
			PrefectureKana: normalize.Kana(rec[3]), CityKana: normalize.Kana(rec[4]), TownKana: parens.Replace(normalize.Kana(rec[5]))}
		// KEN_ALL splits a long town over lines with the same code; the
		// first line's parenthesis is left open until the last.
		if pending != nil && pending.Code == e.Code && strings.Count(pending.Town, "（") > strings.Count(pending.Town, "）") {
			pending.Town += e.Town
			if pending.TownKana != e.TownKana { // the kana is repeated whole on some split lines
				pending.TownKana += e.TownKana
			}
			continue
		}
		if pending != nil && strings.Count(pending.Town, "（") > strings.Count(pending.Town, "）") {
			return fmt.Errorf("%s line %d: the town %q opened on this line is never closed", name, pendingLine, pending.Town)
		}
		if err := flush(); err != nil {
			return err
		}
		pending, pendingLine = &e, line
	}
	return flush()
}

// parens writes the remark parentheses full-width after NFKC made them
// ASCII, so one form marks Japan Post's remarks in kanji and kana alike.
// The two files also write ranges differently (KEN_ALL ～ and －, which
// NFKC makes ~ and -; utf_ken_all 〜 and −): one form for both.
var parens = strings.NewReplacer("(", "（", ")", "）", "〜", "~", "−", "-", "‐", "-", "–", "-", "—", "-")

// normalizeTown folds widths the way addresses are compared.
func normalizeTown(s string) string { return parens.Replace(normalize.Text(s)) }
