package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/exporter"
	"github.com/kizuna-oss/kizuna/identity"
)

func runExport(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "export", "--out FILE [--format csv|csv-sjis|xlsx] [--columns a,b,…] [--channel C] [--tag T] [--masked]",
		"Writes active customers to a file for Excel: csv is UTF-8 with a byte-order mark, csv-sjis is Shift_JIS (characters\n"+
			"it cannot hold become 〓), xlsx is an Excel workbook. Cells starting with = + - @ tab or CR get a leading apostrophe so\n"+
			"a spreadsheet never runs them. The export is audited (columns, rows, the file's SHA-256).\n\n"+
			"Columns: "+strings.Join(exporter.ColumnKeys(), ", "))
	cfg.BindDB(fs, e.Getenv)
	out := fs.String("out", "", "file to write (the format follows its extension unless --format is given)")
	format := fs.String("format", "", "csv, csv-sjis or xlsx")
	columns := fs.String("columns", "", "comma-separated column keys (default: "+strings.Join(exporter.DefaultColumns, ",")+")")
	channel := fs.String("channel", "", "only customers with a record in this channel")
	tag := fs.String("tag", "", "only customers with this tag")
	masked := fs.Bool("masked", false, "mask personal columns (for files that leave the back office)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return fmt.Errorf("kizuna export: give --out FILE: %w", errUsage)
	}
	name := *format
	if name == "" {
		name = "csv"
		if strings.EqualFold(filepath.Ext(*out), ".xlsx") {
			name = "xlsx"
		}
	}
	f, err := exporter.ParseFormat(name)
	if err != nil {
		return fmt.Errorf("%v: %w", err, errUsage)
	}
	var cols []string
	if strings.TrimSpace(*columns) != "" {
		cols = strings.Split(*columns, ",")
	}
	if _, err := exporter.Columns(cols); err != nil {
		return fmt.Errorf("--columns: %v: %w", err, errUsage)
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	// Write beside the target and rename: a failed export never leaves a
	// half file under the name someone will open.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".kizuna-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	sum, err := identity.New(db, db).Export(ctx, kizuna.System("cli"), tmp, identity.ExportRequest{
		Format: f, Columns: cols, Channel: *channel, Tag: *tag, Masked: *masked})
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return err
	}
	fmt.Fprintf(e.Stdout, "%s: %d customers, %d bytes, SHA-256 %s\n", *out, sum.Rows, sum.Bytes, sum.SHA256)
	if sum.Replaced > 0 {
		fmt.Fprintf(e.Stdout, "%d characters Shift_JIS cannot hold were written as 〓; use --format csv or xlsx to keep them\n", sum.Replaced)
	}
	return nil
}
