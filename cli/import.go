package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/commerce"
	"github.com/kizuna-oss/kizuna/config"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/importer"
	"github.com/kizuna-oss/kizuna/importjob"
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
			"A bad row is written to FILE.rejects.csv (line, column, every reason in English and in Japanese,\n"+
			"then the row) and never stops the others. After each batch a checkpoint (FILE.kizuna-checkpoint)\n"+
			"records how far it got: run the same command again after a crash and it resumes there. Importing\n"+
			"the same file twice changes nothing.")
	cfg.BindDB(fs, e.Getenv)
	channel := fs.String("channel", "", "channel code the records come from (required)")
	encoding := fs.String("encoding", "", "utf-8, utf-8-bom or cp932 (default: detected; not for Excel files)")
	sheet := fs.String("sheet", "", "Excel (.xlsx): the sheet to read (default: the first)")
	dry := fs.Bool("dry-run", false, "show the mapping, sample rows and counts; change nothing")
	// Large transactions: a bulk load rewrites fewer index pages per row
	// (1M rows: 4:14 with 1,000, 3:02 with 10,000; docs/benchmarks.md). A
	// job in the running server keeps 1,000 so that it never holds the
	// writer for long.
	batch := fs.Int("batch", identity.MaxBatch, "records per transaction")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file (for tuning)")
	restart := fs.Bool("restart", false, "ignore a checkpoint left by an interrupted import and read the file from the start")
	maps := mapFlags{}
	fs.Var(maps, "map", "COLUMN=FIELD, repeatable")
	idColumn := fs.String("id-column", "", "the column holding each record's ID in the channel (the same as --map COLUMN=external_id)")
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
	if col := strings.TrimSpace(*idColumn); col != "" {
		if f, ok := maps[col]; ok && f != "external_id" {
			return fmt.Errorf("kizuna import: --id-column %s and --map %s=%s disagree: %w", col, col, f, errUsage)
		}
		maps[col] = "external_id"
	}
	if *batch < 1 || *batch > identity.MaxBatch {
		return fmt.Errorf("--batch must be 1..%d: %w", identity.MaxBatch, errUsage)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	opts := importjob.Options{Channel: *channel, Encoding: *encoding, Sheet: *sheet, Map: maps, Batch: *batch, DryRun: *dry, Predict: *dry}
	plan, err := importjob.Open(f, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	out := e.Stdout
	enc := plan.Encoding
	if enc == importer.XLSX && *sheet != "" {
		enc += ", sheet " + *sheet
	}
	fmt.Fprintf(out, "%s: %s, %d columns\n", path, enc, len(plan.Headers))
	for i, h := range plan.Headers {
		to := plan.Fields[i]
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
	db.SetBulk(true) // nothing else waits on this process's commits
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
	// A column mapped to an attribute that is not declared would reject
	// every row, one by one: say so once, before reading any.
	attrs, err := db.Attributes(ctx)
	if err != nil {
		return err
	}
	if err := importjob.CheckAttributes(plan.Mapping, attrs); err != nil {
		return fmt.Errorf("%s: %w", kizuna.ErrorMessage(err), errUsage)
	}
	// A checkpoint beside the file says how far an interrupted import got.
	cpPath := path + ".kizuna-checkpoint"
	cp := checkpoint{File: filepath.Base(path), Size: st.Size(), Channel: *channel, Database: displayDSN(cfg.DB)}
	if !*dry {
		// The content decides whether a checkpoint is this file's: a file
		// edited to the same size under the same name is another file.
		if cp.SHA256, err = fileHash(path); err != nil {
			return err
		}
	}
	rejectPath := path + ".rejects.csv"
	resume := false
	if !*dry && !*restart {
		// Only an import of the same file into the same database resumes:
		// the rows before the checkpoint must be in this database.
		if old, ok := readCheckpoint(cpPath); ok {
			if old.SHA256 == cp.SHA256 && old.Channel == cp.Channel && old.Database == cp.Database {
				opts.After, resume = old.Line, true
				fmt.Fprintf(out, "resuming after line %d (checkpoint of %s; --restart to start over)\n", old.Line, old.At.In(tokyoTime).Format("2006-01-02 15:04"))
			} else {
				fmt.Fprintf(out, "a checkpoint of another import of this name (%s) is set aside: the file, channel or database differs; reading from the start\n", old.At.In(tokyoTime).Format("2006-01-02 15:04"))
			}
		}
	}
	var rw *csv.Writer
	var dryRejects bytes.Buffer // a dry run lists the first rejects
	if *dry {
		rw = csv.NewWriter(&dryRejects)
	} else {
		flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if resume {
			flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		rf, err := os.OpenFile(rejectPath, flag, 0o644)
		if err != nil {
			return err
		}
		defer rf.Close()
		rw = csv.NewWriter(rf)
		if fi, _ := rf.Stat(); fi != nil && fi.Size() == 0 {
			rf.WriteString("\uFEFF") // Excel opens UTF-8 with a BOM correctly
			rw.Write(importjob.RejectHeader(plan.Headers))
		} else if first, err := readFirstLine(rejectPath); err == nil && importjob.OldRejectHeader(first) {
			opts.RejectsWithoutJapanese = true // resumed after an upgrade: keep the file's columns
		}
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	svc := identity.New(db, db)
	actor := kizuna.System("import")
	actor.Name = "import " + path
	pr := newProgress(e.Stderr, "rows")
	start := time.Now()
	res, err := plan.Run(ctx, svc, actor, opts, rw, func(p importjob.Progress) error {
		if plan.Encoding == importer.XLSX {
			pr.Update("importing", p.Rows, plan.Total)
		} else {
			pr.UpdateBytes("importing", p.Rows, p.Bytes, st.Size())
		}
		if *dry {
			return nil
		}
		cp.Line, cp.At = p.Line, time.Now().UTC()
		return writeCheckpoint(cpPath, cp)
	})
	pr.Done()
	if err != nil {
		return err
	}
	for _, s := range plan.Samples {
		fmt.Fprintf(out, "line %d → %s %s\n", s.Line, s.ExternalID, s.Profile)
	}
	if *dry {
		rr := csv.NewReader(&dryRejects)
		rr.FieldsPerRecord = -1
		shown := 0
		for rec, err := rr.Read(); err == nil; rec, err = rr.Read() {
			if shown++; shown > maxDryRejects {
				fmt.Fprintf(out, "… %d more rejected rows\n", res.Rejected-maxDryRejects)
				break
			}
			where := "line " + rec[0]
			if rec[1] != "" {
				where += ", " + rec[1]
			}
			fmt.Fprintf(out, "rejected: %s: %s\n", where, rec[2])
		}
		fmt.Fprintf(out, "dry run: %d rows, %d would be sent to One ID: %d new customers, %d joined to a customer, %d updated, %d unchanged, %d flagged as possible duplicates; %d rejected; nothing changed\n",
			res.Rows, res.Valid, res.Created, res.Joined, res.Updated, res.Unchanged, res.Flagged, res.Rejected)
		return nil
	}
	os.Remove(cpPath)
	if res.Rejected > 0 {
		fmt.Fprintf(out, "%d rows rejected: see %s\n", res.Rejected, rejectPath)
	} else if !resume {
		os.Remove(rejectPath)
	}
	fmt.Fprintf(out, "imported %d rows in %s: %d created, %d joined, %d updated, %d unchanged, %d rejected\n", res.Rows, time.Since(start).Round(time.Millisecond),
		res.Created, res.Joined, res.Updated, res.Unchanged, res.Rejected)
	// The new records may name the customers of guest orders.
	if n, err := commerce.NewOrders(db).AttachGuests(ctx, actor, nil); err != nil {
		return fmt.Errorf("attach guest orders: %w", err)
	} else if n > 0 {
		fmt.Fprintf(out, "%d guest orders attached to their customers\n", n)
	}
	return nil
}

var tokyoTime = time.FixedZone("JST", 9*60*60)

// maxDryRejects is how many rejected rows a dry run lists.
const maxDryRejects = 20

// fileHash is the SHA-256 of a file's content, in hex.
func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkpoint is how far an import of one file got.
type checkpoint struct {
	File     string    `json:"file"`
	Size     int64     `json:"size"`
	SHA256   string    `json:"sha256"` // of the file's content
	Channel  string    `json:"channel"`
	Database string    `json:"database"` // where the rows before Line are
	Line     int       `json:"line"`
	At       time.Time `json:"at"`
}

func readCheckpoint(path string) (checkpoint, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return checkpoint{}, false
	}
	var c checkpoint
	return c, json.Unmarshal(b, &c) == nil && c.Line > 0
}

// writeCheckpoint replaces the checkpoint atomically (write, sync, rename).
func writeCheckpoint(path string, c checkpoint) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readFirstLine reads a file's first line (up to 64 KiB).
func readFirstLine(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, 64<<10)
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	line, _, _ := bytes.Cut(b[:n], []byte("\n"))
	return line, nil
}
