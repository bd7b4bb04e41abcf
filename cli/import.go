package cli

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/importer"
)

// mapFlags collects repeated --map col=field.
type mapFlags map[string]string

func (m mapFlags) String() string { return "" }
func (m mapFlags) Set(v string) error {
	col, field, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(col) == "" {
		return fmt.Errorf("want COLUMN=FIELD (FIELD empty to ignore the column), got %q", v)
	}
	m[strings.TrimSpace(col)] = strings.TrimSpace(field)
	return nil
}

func runImport(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "import", "FILE --channel C [--map COLUMN=FIELD …] [--encoding E] [--sheet S] [--dry-run] [flags]",
		"Import customers from a CSV or TSV file (UTF-8, UTF-8 with BOM, or Shift_JIS/CP932, detected) or an\n"+
			"Excel workbook (.xlsx, one sheet) as source\n"+
			"records of one channel, through One ID. Columns are mapped from their Japanese or English headers\n"+
			"(氏名, フリガナ, 〒, 住所1, 電話番号, メールアドレス, 生年月日, 会員番号, …); --map overrides.\n"+
			"Fields: "+strings.Join(importer.Fields, ", ")+", attr.NAME.\n"+
			"A bad row is written to FILE.rejects.csv (line, column, reason, the row) and never stops the\n"+
			"others. Importing the same file again changes nothing, so after a crash, run it again.")
	cfg.BindDB(fs, e.Getenv)
	channel := fs.String("channel", "", "channel code the records come from (required)")
	encoding := fs.String("encoding", "", "utf-8, utf-8-bom or cp932 (default: detected; not for Excel files)")
	sheet := fs.String("sheet", "", "Excel (.xlsx): the sheet to read (default: the first)")
	dry := fs.Bool("dry-run", false, "show the mapping, sample rows and counts; change nothing")
	batch := fs.Int("batch", 1000, "records per transaction")
	maps := mapFlags{}
	fs.Var(maps, "map", "COLUMN=FIELD, repeatable")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if err := parse(fs, args); err != nil {
			return err
		}
		fs.Usage()
		return fmt.Errorf("kizuna import: name the file: %w", errUsage)
	}
	path := args[0]
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *channel == "" {
		return fmt.Errorf("kizuna import: --channel is required (the channel code the file comes from): %w", errUsage)
	}
	if *batch < 1 || *batch > identity.MaxBatch {
		return fmt.Errorf("--batch must be 1..%d: %w", identity.MaxBatch, errUsage)
	}
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
	var header []string
	var rows func(func(importer.Row, *importer.Reject) bool)
	enc := "xlsx"
	if importer.IsZip(head[:n]) {
		header, rows, err = importer.ReadXLSX(f, *sheet)
		if *sheet != "" {
			enc += ", sheet " + *sheet
		}
	} else {
		var r io.Reader
		if r, enc, err = importer.Decode(f, *encoding); err != nil {
			return err
		}
		header, rows, err = importer.ReadRows(r)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	m, err := importer.AutoMap(header, maps)
	if err != nil {
		return err
	}
	out := e.Stdout
	fmt.Fprintf(out, "%s: %s, %d columns\n", path, enc, len(header))
	for i, h := range header {
		to := m.Fields[i]
		if to == "" {
			to = "(ignored)"
		}
		fmt.Fprintf(out, "  %-20s → %s\n", h, to)
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	known, err := db.Channels(ctx)
	if err != nil {
		return err
	}
	found := false
	for _, c := range known {
		found = found || c.Code == *channel
	}
	if !found {
		return fmt.Errorf("no channel %q: create it first (console 管理 › チャネル, or PUT /api/v1/channels/%s)", *channel, *channel)
	}
	svc := identity.New(db, db)
	actor := kizuna.System("import")
	actor.Name = "import " + path
	var rejects []importer.Reject
	counts := map[string]int{}
	var items []customer.SourceProfileInput
	var lines []int
	var rowsOf [][]string
	start := time.Now()
	total := 0
	flush := func() error {
		if len(items) == 0 || *dry {
			items, lines, rowsOf = items[:0], lines[:0], rowsOf[:0]
			return nil
		}
		res, err := svc.Ingest(ctx, actor, nil, items)
		if err != nil {
			return fmt.Errorf("import stopped at line %d: %w (rows before it are stored; run the import again to continue)", lines[0], err)
		}
		for i, x := range res {
			counts[x.Status]++
			if x.Error != nil {
				rejects = append(rejects, importer.Reject{Line: lines[i], Column: m.ColumnFor(x.Error.Field), Reason: x.Error.Reason, Values: rowsOf[i]})
			}
		}
		items, lines, rowsOf = items[:0], lines[:0], rowsOf[:0]
		fmt.Fprintf(e.Stderr, "  %d rows, %.0f rows/s\n", total, float64(total)/time.Since(start).Seconds())
		return nil
	}
	shown := 0
	for row, rej := range rows {
		total++
		if rej == nil {
			in, r := m.ToSource(*channel, row)
			if r != nil {
				rej = r
			} else {
				if *dry && shown < 3 {
					fmt.Fprintf(out, "line %d → %s %s\n", row.Line, in.ExternalID, in.Profile)
					shown++
				}
				items, lines, rowsOf = append(items, in), append(lines, row.Line), append(rowsOf, row.Values)
				counts["valid"]++
				if len(items) == *batch {
					if err := flush(); err != nil {
						return err
					}
				}
				continue
			}
		}
		rejects = append(rejects, *rej)
	}
	if err := flush(); err != nil {
		return err
	}
	if len(rejects) > 0 {
		rp := path + ".rejects.csv"
		if err := writeRejects(rp, header, rejects); err != nil {
			return err
		}
		fmt.Fprintf(out, "%d rows rejected: see %s\n", len(rejects), rp)
	}
	if *dry {
		fmt.Fprintf(out, "dry run: %d rows, %d would be sent to One ID, %d rejected; nothing changed\n", total, counts["valid"], len(rejects))
		return nil
	}
	fmt.Fprintf(out, "imported %d rows in %s: %d created, %d joined, %d updated, %d unchanged, %d rejected\n", total, time.Since(start).Round(time.Millisecond),
		counts[identity.ResultCreated], counts[identity.ResultJoined], counts[identity.ResultUpdated], counts[identity.ResultUnchanged], len(rejects))
	return nil
}

func writeRejects(path string, header []string, rejects []importer.Reject) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	f.WriteString("\uFEFF") // Excel opens UTF-8 with a BOM correctly
	w := csv.NewWriter(f)
	w.Write(append([]string{"line", "column", "reason"}, header...))
	for _, r := range rejects {
		w.Write(append([]string{strconv.Itoa(r.Line), r.Column, r.Reason}, r.Values...))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
