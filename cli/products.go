package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/importer"
)

func runProducts(ctx context.Context, e *Env, args []string) error {
	cfg := config.Defaults()
	fs := flags(e, "products", "import FILE [--map COLUMN=FIELD …] [--encoding E] [--sheet S] [--dry-run] [flags]",
		"import loads a product master (商品マスタ) from a CSV or TSV file (UTF-8, UTF-8 with BOM or Shift_JIS, detected) or an\n"+
			"Excel workbook (.xlsx). Columns are mapped from Japanese or English headers (商品コード/SKU, JANコード, 商品名,\n"+
			"カテゴリ (levels with / or >), ブランド, 税込価格, 税率 (10, 8 or 軽減, 0), 消耗品, 購入周期); --map COLUMN=FIELD overrides,\n"+
			"COLUMN=attr.NAME keeps a column as an attribute. Fields: sku, jan, name, category, brand, price, currency, tax_rate,\n"+
			"consumable, repurchase_days. A product that cannot be read or fails its rules (a JAN check digit, say) is written to\n"+
			"FILE.rejects.csv (line, column, reason, the row) and never stops the others. Loading the same file again changes nothing.")
	cfg.BindDB(fs, e.Getenv)
	encoding := fs.String("encoding", "", "utf-8, utf-8-bom or cp932 (default: detected; not for Excel files)")
	sheet := fs.String("sheet", "", "Excel (.xlsx): the sheet to read (default: the first)")
	dry := fs.Bool("dry-run", false, "read and check every row; store nothing")
	maps := mapFlags{}
	fs.Var(maps, "map", "COLUMN=FIELD, repeatable")
	if _, err := subcommand(fs, args, "import"); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("kizuna products import: name the file: %w", errUsage)
	}
	path := fs.Arg(0)
	if err := parse(fs, fs.Args()[1:]); err != nil { // flags may follow the file
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	t, err := importer.OpenTable(f, *encoding, *sheet)
	header, rows := t.Header, t.Rows
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	m, err := importer.AutoMapProducts(header, maps)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", path, err, errUsage)
	}
	db, err := validOpen(ctx, &cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	catalog := commerce.NewCatalog(db)

	rejectPath := path + ".rejects.csv"
	var rejected []importer.Reject
	start := time.Now()
	counts := map[string]int{}
	var batch []commerce.Product
	var batchRows []importer.Row
	reject := func(r importer.Reject) {
		counts[commerce.ProductRejected]++
		rejected = append(rejected, r)
	}
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		var res []commerce.ProductResult
		if *dry {
			res = commerce.CheckProducts(batch)
		} else if res, err = catalog.PutProducts(ctx, kizuna.System("products-import"), batch); err != nil {
			return fmt.Errorf("stopped at line %d: %w (rows before it are stored; run the import again to continue)", batchRows[0].Line, err)
		}
		for i, r := range res {
			switch r.Status {
			case commerce.ProductRejected:
				// The catalog names another item of the load by its index;
				// in a file it is a line.
				reason := loadIndex.ReplaceAllStringFunc(r.Reason, func(x string) string {
					n, _ := strconv.Atoi(loadIndex.FindStringSubmatch(x)[1])
					if n < 0 || n >= len(batchRows) {
						return x
					}
					return fmt.Sprintf("on line %d of this file", batchRows[n].Line)
				})
				reject(importer.Reject{Line: batchRows[i].Line, Column: m.ColumnFor(r.Field), Reason: reason, Values: batchRows[i].Values})
			case "": // checked in a dry run, not stored
				counts["valid"]++
			default:
				counts[r.Status]++
			}
		}
		batch, batchRows = batch[:0], batchRows[:0]
		return nil
	}
	var runErr error
	for row, rej := range rows {
		if rej != nil {
			reject(*rej)
			continue
		}
		p, rej := m.ToProduct(row)
		if rej != nil {
			reject(*rej)
			continue
		}
		batch, batchRows = append(batch, p), append(batchRows, row)
		if len(batch) == 1000 {
			if runErr = flush(); runErr != nil {
				break
			}
		}
	}
	if runErr == nil {
		runErr = flush()
	}
	if len(rejected) > 0 {
		// In file order: the catalog's rejections come back a batch after
		// the rows that could not be read at all.
		slices.SortStableFunc(rejected, func(a, b importer.Reject) int { return cmp.Compare(a.Line, b.Line) })
		var buf bytes.Buffer
		buf.WriteString("\uFEFF") // so that Excel reads it as UTF-8
		rw := csv.NewWriter(&buf)
		rw.Write(importer.RejectHeader(header))
		for _, r := range rejected {
			rw.Write(r.Record())
		}
		rw.Flush()
		if err := os.WriteFile(rejectPath, buf.Bytes(), 0o600); err != nil {
			return fmt.Errorf("write rejects: %w", err)
		}
	}
	verb := "loaded"
	if *dry {
		verb = "checked (dry run, nothing stored)"
	}
	fmt.Fprintf(e.Stdout, "products %s in %s: %d created, %d updated, %d unchanged, %d valid, %d rejected\n", verb, time.Since(start).Round(time.Millisecond),
		counts[commerce.ProductCreated], counts[commerce.ProductUpdated], counts[commerce.ProductUnchanged], counts["valid"], counts[commerce.ProductRejected])
	if counts[commerce.ProductRejected] > 0 {
		fmt.Fprintf(e.Stdout, "rejected rows (line, column, reason): %s\n", rejectPath)
	}
	return runErr
}

// loadIndex is how the catalog names another item of a load.
var loadIndex = regexp.MustCompile(`at index (\d+) of this load`)
