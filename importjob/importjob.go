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
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"

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

// Plan is what the file looks like: read before any row is imported.
type Plan struct {
	Encoding string           `json:"encoding"`
	Headers  []string         `json:"headers"`
	Fields   []string         `json:"fields" doc:"Per column: the field it fills, or empty when ignored"`
	Samples  []Sample         `json:"samples,omitempty"`
	Mapping  importer.Mapping `json:"-"`
	rows     func(func(importer.Row, *importer.Reject) bool)
	counter  *countingReader
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
	var header []string
	var err error
	p.Encoding, header, p.rows, err = importer.OpenTable(p.counter, opts.Encoding, opts.Sheet)
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
		return rejects.Write(append([]string{strconv.Itoa(r.Line), r.Column, r.Reason}, r.Values...))
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
func (p *Plan) apply(ctx context.Context, svc Ingester, actor kizuna.Actor, c chunk, pr *Progress, reject func(importer.Reject) error) error {
	pr.Rows += c.rows
	pr.Skipped += c.skipped
	pr.Valid += c.items
	for _, r := range c.rejects {
		if err := reject(r); err != nil {
			return err
		}
	}
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
				if err := reject(importer.Reject{Line: c.lines[i], Column: p.Mapping.ColumnFor(x.Error.Field), Reason: x.Error.Reason, Values: c.rowsOf[i]}); err != nil {
					return err
				}
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

// read reads the file into chunks of opts.Batch mapped rows, prepares
// each and sends it; the last chunk carries the error that stopped it, if
// any. It closes out when done.
func (p *Plan) read(ctx context.Context, svc Ingester, opts Options, out chan<- chunk) {
	defer close(out)
	var c chunk
	var items []customer.SourceProfileInput
	send := func() bool {
		if len(items) > 0 && c.err == nil && (!opts.DryRun || opts.Predict) {
			c.batch, c.err = svc.PrepareBatch(ctx, nil, items, opts.DryRun)
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
			c.skipped++
			continue
		}
		c.rows++
		c.last = line
		if rej == nil {
			in, r := p.Mapping.ToSource(opts.Channel, row)
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

// RejectHeader is the header line of a reject file for a file's columns.
func RejectHeader(headers []string) []string {
	return append([]string{"line", "column", "reason"}, headers...)
}
