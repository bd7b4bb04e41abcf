// Package importjob runs a customer file import: it opens the file (CSV,
// TSV or XLSX in any of the encodings the importer reads), maps its
// columns, sends the rows through One ID in batches, writes every rejected
// row to a reject file as it goes, and reports progress after each batch so
// that callers can show it (a progress bar, a job status page) and keep a
// checkpoint. A run can start after a line already imported: resuming
// after a crash skips what is stored, and since importing a row twice
// changes nothing, a resume that repeats a batch is harmless.
package importjob

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/kizuna-oss/kizuna/i18n"
	"hash/maphash"
	"io"
	"slices"
	"strings"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
	"github.com/kizuna-oss/kizuna/identity"
	"github.com/kizuna-oss/kizuna/importer"
)

// Options configure a run.
type Options struct {
	Channel  string
	Encoding string            // "" detects; not for workbooks
	Sheet    string            // XLSX: the sheet ("" the first)
	Map      map[string]string // column → field overrides
	Batch    int               // rows per transaction (default 1000)
	DryRun   bool
	// After skips rows up to and including this line (a checkpoint).
	After int
	// Samples is how many mapped rows a dry run shows (default 3).
	Samples int
	// Predict makes a dry run say what One ID would do with each batch
	// (created, joined, flagged), in transactions rolled back. Batches do
	// not see each other then: a person twice in the file counts twice.
	Predict bool
	// PredictFirst limits the prediction to the first valid rows (0: all),
	// so that a preview of a large file stays quick.
	PredictFirst int
	// RejectsWithoutJapanese writes rejects without the 理由 column, for a
	// reject file an earlier version began (a resumed import keeps the
	// columns of the file it appends to).
	RejectsWithoutJapanese bool
}

// Progress is where a run is, reported after every batch.
type Progress struct {
	Rows      int   `json:"rows" doc:"Rows read so far"`
	Line      int   `json:"line" doc:"Last line whose row is stored (or rejected): the checkpoint"`
	Bytes     int64 `json:"bytes" doc:"Bytes of the file read so far (CSV/TSV)"`
	Created   int   `json:"created"`
	Joined    int   `json:"joined"`
	Updated   int   `json:"updated"`
	Unchanged int   `json:"unchanged"`
	Rejected  int   `json:"rejected"`
	Skipped   int   `json:"skipped" doc:"Rows before the checkpoint, stored by an earlier run"`
	Flagged   int   `json:"flagged" doc:"Rows that made a possible duplicate for review"`
	Valid     int   `json:"valid" doc:"Rows sent (or, in a dry run, that would be sent) to One ID"`
}

// Importable is how many of the rows read were not rejected (in a
// preview: by the mapping, and by One ID for the rows it tried).
func (p Progress) Importable() int { return p.Rows - p.Rejected }

// Plan is what the file looks like: read before any row is imported.
type Plan struct {
	Encoding string   `json:"encoding"`
	Headers  []string `json:"headers"`
	Fields   []string `json:"fields" doc:"Per column: the field it fills, or empty when ignored"`
	Samples  []Sample `json:"samples,omitempty"`
	// Predicted is how many rows the dry run's created/joined/flagged
	// counts cover (all valid rows, or the first PredictFirst).
	Predicted int              `json:"predicted_rows,omitempty" doc:"Valid rows the preview's created, joined and flagged counts cover"`
	Total     int              `json:"total_rows,omitempty" doc:"Rows after the header by the workbook's own count (XLSX only), empty ones included"`
	Mapping   importer.Mapping `json:"-"`
	rows      func(func(importer.Row, *importer.Reject) bool)
	counter   *countingReader
}

// Sample is a row as it would be sent (dry runs).
type Sample struct {
	Line       int    `json:"line"`
	ExternalID string `json:"external_id"`
	Profile    string `json:"profile"`
}

// countingReader counts the bytes read since the last seek (the start of
// the file), for progress.
type countingReader struct {
	r io.ReadSeeker
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) Seek(offset int64, whence int) (int64, error) {
	pos, err := c.r.Seek(offset, whence)
	c.n = pos
	return pos, err
}

// Open reads the file's header and maps its columns. r must be seekable
// for workbooks (an XLSX is a zip).
func Open(r io.ReadSeeker, opts Options) (*Plan, error) {
	p := &Plan{counter: &countingReader{r: r}}
	t, err := importer.OpenTable(p.counter, opts.Encoding, opts.Sheet)
	p.Encoding, p.rows, p.Total = t.Encoding, t.Rows, t.Total
	header := t.Header
	switch {
	case errors.Is(err, importer.ErrEncoding):
		return nil, kizuna.FieldError("encoding", "%s", err)
	case err != nil:
		return nil, kizuna.FieldError("file", "%s", err)
	}
	if p.Encoding == importer.XLSX {
		p.counter = nil // a workbook is read whole: no progress by bytes
	}
	if p.Mapping, err = importer.AutoMap(header, opts.Map); err != nil {
		return nil, kizuna.FieldError("map", "%s", err)
	}
	p.Headers, p.Fields = header, p.Mapping.Fields
	return p, nil
}

// Ingester is what a run sends rows to (identity.Service): a batch is
// prepared (parsed, normalized) and then committed, so that the next batch
// can be prepared while this one is written.
type Ingester interface {
	PrepareBatch(ctx context.Context, allowed identity.AllowedChannels, items []customer.SourceProfileInput, preview bool) (*identity.Batch, error)
	CommitBatch(ctx context.Context, actor kizuna.Actor, b *identity.Batch) ([]identity.Result, error)
}

// chunk is one batch of rows read from the file: what the reader found
// and, unless it is a dry run without prediction, the batch prepared.
type chunk struct {
	batch   *identity.Batch
	items   int
	lines   []int
	rowsOf  [][]string
	rejects []importer.Reject // rows the mapping refused, in line order
	rows    int
	skipped int
	last    int   // last line read
	bytes   int64 // of the file read so far (CSV/TSV)
	err     error // reading or preparing stopped here
	final   bool  // the last chunk: the reader is done
}

// Run imports the rows. Rejected rows go to rejects (a CSV: line, column,
// reason, then the row as it was; nil to drop them), flushed before each
// progress report so a checkpoint never runs ahead of them. report is
// called after every batch; an error from it stops the run.
//
// The file is read, mapped and prepared one batch ahead of the batch being
// written, on another goroutine; everything a checkpoint depends on (the
// counts, the reject file, the reports) is done in order here.
func (p *Plan) Run(ctx context.Context, svc Ingester, actor kizuna.Actor, opts Options, rejects *csv.Writer, report func(Progress) error) (Progress, error) {
	if opts.Batch <= 0 {
		opts.Batch = 1000
	}
	if opts.Batch > identity.MaxBatch {
		return Progress{}, kizuna.FieldError("batch", "must be at most %d", identity.MaxBatch)
	}
	if opts.Samples == 0 {
		opts.Samples = 3
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, 1)
	go p.read(ctx, svc, opts, chunks)

	var pr Progress
	reject := func(r importer.Reject) error {
		pr.Rejected++
		if rejects == nil {
			return nil
		}
		rec := r.Record()
		if opts.RejectsWithoutJapanese {
			rec = slices.Delete(rec, 3, 4)
		}
		return rejects.Write(rec)
	}
	var runErr error
	finished := false
	for c := range chunks {
		if runErr = parent.Err(); runErr != nil {
			break
		}
		finished = c.final
		if runErr = p.apply(ctx, svc, actor, c, &pr, reject); runErr != nil {
			break
		}
		if rejects != nil {
			rejects.Flush()
			if err := rejects.Error(); err != nil {
				runErr = fmt.Errorf("write rejects: %w", err)
				break
			}
		}
		if report != nil {
			if runErr = report(pr); runErr != nil {
				break
			}
		}
	}
	cancel()
	for range chunks {
		// Let the reader see the cancellation and finish.
	}
	if runErr == nil && !finished {
		// The reader stopped before the end of the file without saying
		// why: it saw the caller's context end.
		runErr = cmp.Or(parent.Err(), context.Canceled)
	}
	if errors.Is(runErr, context.Canceled) {
		return pr, fmt.Errorf("import interrupted after line %d: %w", pr.Line, runErr)
	}
	return pr, runErr
}

// apply writes one chunk and counts it into pr.
func (p *Plan) apply(ctx context.Context, svc Ingester, actor kizuna.Actor, c chunk, pr *Progress, reject func(importer.Reject) error) (ferr error) {
	pr.Rows += c.rows
	pr.Skipped += c.skipped
	pr.Valid += c.items
	// The reject file is in line order: the rows the mapping refused and
	// those One ID refused, merged.
	rejects := c.rejects
	defer func() {
		slices.SortStableFunc(rejects, func(a, b importer.Reject) int { return cmp.Compare(a.Line, b.Line) })
		for _, r := range rejects {
			if err := reject(r); err != nil && ferr == nil {
				ferr = err
			}
		}
	}()
	if c.batch != nil {
		res, err := svc.CommitBatch(ctx, actor, c.batch)
		if err != nil {
			return fmt.Errorf("import stopped at line %d: %w (rows before it are stored; run the import again to continue)", c.lines[0], err)
		}
		for i, x := range res {
			if len(x.Duplicates) > 0 {
				pr.Flagged++
			}
			switch x.Status {
			case identity.ResultCreated:
				pr.Created++
			case identity.ResultJoined:
				pr.Joined++
			case identity.ResultUpdated:
				pr.Updated++
			case identity.ResultUnchanged:
				pr.Unchanged++
			case identity.ResultRejected:
				rejects = append(rejects, rowReject(p.Mapping, c.lines[i], x, c.rowsOf[i]))
			}
		}
	}
	if c.err != nil {
		return c.err
	}
	if c.last > pr.Line {
		pr.Line = c.last
	}
	pr.Bytes = max(pr.Bytes, c.bytes)
	return nil
}

// rowReject is the reject of a row One ID refused, naming every problem
// it found, in the file's column order: "ＴＥＬ; メールアドレス" as the
// column and each reason after its column when there are several, so the
// row can be fixed in one go.
func rowReject(m importer.Mapping, line int, x identity.Result, values []string) importer.Reject {
	if len(x.Errors) < 2 {
		return importer.Reject{Line: line, Column: m.ColumnFor(x.Error.Field, values), Reason: x.Error.Reason, Values: values}
	}
	type problem struct{ col, reason string }
	var ps []problem
	for _, e := range x.Errors {
		ps = append(ps, problem{m.ColumnFor(e.Field, values), e.Reason})
	}
	at := func(col string) int { // a path no column maps to goes last
		if i := slices.Index(m.Headers, col); i >= 0 {
			return i
		}
		return len(m.Headers)
	}
	slices.SortStableFunc(ps, func(a, b problem) int { return cmp.Compare(at(a.col), at(b.col)) })
	var cols, reasons, ja []string
	for _, p := range ps {
		if !slices.Contains(cols, p.col) {
			cols = append(cols, p.col)
		}
		reasons = append(reasons, p.col+": "+p.reason)
		ja = append(ja, p.col+"："+i18n.Reason(p.reason))
	}
	return importer.Reject{Line: line, Column: strings.Join(cols, "; "), Reason: strings.Join(reasons, "; "), Japanese: strings.Join(ja, "／"), Values: values}
}

// read reads the file into chunks of opts.Batch mapped rows, prepares
// each and sends it; the last chunk carries the error that stopped it, if
// any. It closes out when done.
func (p *Plan) read(ctx context.Context, svc Ingester, opts Options, out chan<- chunk) {
	defer close(out)
	var c chunk
	var items []customer.SourceProfileInput
	predicted := 0
	send := func() bool {
		predict := opts.Predict && (opts.PredictFirst == 0 || predicted < opts.PredictFirst)
		if len(items) > 0 && c.err == nil && (!opts.DryRun || predict) {
			n := len(items)
			if opts.DryRun && opts.PredictFirst > 0 {
				n = min(n, opts.PredictFirst-predicted)
			}
			c.batch, c.err = svc.PrepareBatch(ctx, nil, items[:n], opts.DryRun)
			if opts.DryRun && c.err == nil {
				predicted += n
				p.Predicted = predicted
			}
		}
		c.items = len(items)
		if p.counter != nil {
			c.bytes = p.counter.n
		}
		select {
		case out <- c:
		case <-ctx.Done():
			return false
		}
		c, items = chunk{}, nil
		return true
	}
	// A customer ID column names each row's record: a second row with an
	// ID the file gave before is refused, not let overwrite the first.
	// IDs are remembered by a 64-bit hash: a million of them in some 40
	// MB, where the strings would keep their rows' memory alive.
	idCol := slices.Index(p.Mapping.Fields, "external_id")
	firstLine := map[uint64]int{}
	seed := maphash.MakeSeed()
	for row, rej := range p.rows {
		if err := ctx.Err(); err != nil {
			c.err = err
			break
		}
		line := row.Line
		if rej != nil {
			line = rej.Line
		}
		if line <= opts.After {
			// Stored by an earlier run: its ID still counts as given.
			if rej == nil && idCol >= 0 && idCol < len(row.Values) {
				if in, r := p.Mapping.ToSource(opts.Channel, row); r == nil {
					if h := maphash.String(seed, in.ExternalID); firstLine[h] == 0 {
						firstLine[h] = row.Line
					}
				}
			}
			c.skipped++
			continue
		}
		c.rows++
		c.last = line
		if rej == nil {
			in, r := p.Mapping.ToSource(opts.Channel, row)
			if r == nil && idCol >= 0 {
				h := maphash.String(seed, in.ExternalID)
				if first, ok := firstLine[h]; ok {
					r = &importer.Reject{Line: row.Line, Column: p.Headers[idCol], Values: row.Values,
						Reason: fmt.Sprintf("the ID %q is on line %d of this file already; a file gives each ID once, so this row was not imported", in.ExternalID, first)}
				} else {
					firstLine[h] = row.Line
				}
			}
			if r == nil {
				if opts.DryRun && len(p.Samples) < opts.Samples {
					p.Samples = append(p.Samples, Sample{Line: row.Line, ExternalID: in.ExternalID, Profile: string(in.Profile)})
				}
				items, c.lines, c.rowsOf = append(items, in), append(c.lines, row.Line), append(c.rowsOf, row.Values)
				if len(items) >= opts.Batch && !send() {
					return
				}
				continue
			}
			rej = r
		}
		c.rejects = append(c.rejects, *rej)
	}
	c.final = true
	send()
}

// CheckAttributes refuses a mapping that fills a custom attribute not
// declared: every row would be rejected, one by one, for the same reason.
func CheckAttributes(m importer.Mapping, declared []customer.AttributeDef) error {
	for i, f := range m.Fields {
		name, ok := strings.CutPrefix(f, "attr.")
		if ok && !slices.ContainsFunc(declared, func(a customer.AttributeDef) bool { return a.Name == name }) {
			return kizuna.FieldError("map", "column %s is mapped to attr.%s, which is not a declared attribute: declare it first (PUT /api/v1/attributes/%s with its type)", m.Headers[i], name, name)
		}
	}
	return nil
}

// RejectHeader is the header line of a reject file for a file's columns.
func RejectHeader(headers []string) []string { return importer.RejectHeader(headers) }

// OldRejectHeader reports whether a reject file's first line is that of an
// earlier version's file, without the 理由 column.
func OldRejectHeader(firstLine []byte) bool {
	line, _, _ := bytes.Cut(bytes.TrimPrefix(firstLine, []byte("\ufeff")), []byte("\n"))
	return bytes.HasPrefix(line, []byte("line,column,reason,")) && !bytes.HasPrefix(line, []byte("line,column,reason,理由"))
}
