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

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Open reads the file's header and maps its columns. r must be seekable
// for workbooks (an XLSX is a zip).
func Open(r io.ReadSeeker, opts Options) (*Plan, error) {
	head := make([]byte, 4)
	n, _ := io.ReadFull(r, head)
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	p := &Plan{}
	var header []string
	var err error
	if importer.IsZip(head[:n]) {
		p.Encoding = "xlsx"
		header, p.rows, err = importer.ReadXLSX(r, opts.Sheet)
	} else {
		p.counter = &countingReader{r: r}
		var dec io.Reader
		if dec, p.Encoding, err = importer.Decode(p.counter, opts.Encoding); err != nil {
			return nil, kizuna.FieldError("encoding", "%s", err)
		}
		header, p.rows, err = importer.ReadRows(dec)
	}
	if err != nil {
		return nil, kizuna.FieldError("file", "%s", err)
	}
	if p.Mapping, err = importer.AutoMap(header, opts.Map); err != nil {
		return nil, kizuna.FieldError("map", "%s", err)
	}
	p.Headers, p.Fields = header, p.Mapping.Fields
	return p, nil
}

// Ingester is what a run sends rows to (identity.Service).
type Ingester interface {
	Ingest(ctx context.Context, actor kizuna.Actor, allowed identity.AllowedChannels, items []customer.SourceProfileInput) ([]identity.Result, error)
	IngestPreview(ctx context.Context, actor kizuna.Actor, items []customer.SourceProfileInput) ([]identity.Result, error)
}

// Run imports the rows. Rejected rows go to rejects (a CSV: line, column,
// reason, then the row as it was; nil to drop them), flushed before each
// progress report so a checkpoint never runs ahead of them. report is
// called after every batch; an error from it stops the run.
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
	var pr Progress
	var items []customer.SourceProfileInput
	var lines []int
	var rowsOf [][]string
	reject := func(r importer.Reject) error {
		pr.Rejected++
		if rejects == nil {
			return nil
		}
		return rejects.Write(append([]string{strconv.Itoa(r.Line), r.Column, r.Reason}, r.Values...))
	}
	flush := func(last int) error {
		if len(items) > 0 && (!opts.DryRun || opts.Predict) {
			var res []identity.Result
			var err error
			if opts.DryRun {
				res, err = svc.IngestPreview(ctx, actor, items)
			} else {
				res, err = svc.Ingest(ctx, actor, nil, items)
			}
			if err != nil {
				return fmt.Errorf("import stopped at line %d: %w (rows before it are stored; run the import again to continue)", lines[0], err)
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
					if err := reject(importer.Reject{Line: lines[i], Column: p.Mapping.ColumnFor(x.Error.Field), Reason: x.Error.Reason, Values: rowsOf[i]}); err != nil {
						return err
					}
				}
			}
		}
		items, lines, rowsOf = items[:0], lines[:0], rowsOf[:0]
		if last > pr.Line {
			pr.Line = last
		}
		if p.counter != nil {
			pr.Bytes = p.counter.n
		}
		if rejects != nil {
			rejects.Flush()
			if err := rejects.Error(); err != nil {
				return fmt.Errorf("write rejects: %w", err)
			}
		}
		if report != nil {
			return report(pr)
		}
		return nil
	}
	var runErr error
	last := 0
	for row, rej := range p.rows {
		if err := ctx.Err(); err != nil {
			runErr = err
			break
		}
		line := row.Line
		if rej != nil {
			line = rej.Line
		}
		if line <= opts.After {
			pr.Skipped++
			continue
		}
		pr.Rows++
		last = line
		if rej == nil {
			in, r := p.Mapping.ToSource(opts.Channel, row)
			if r == nil {
				if opts.DryRun && len(p.Samples) < opts.Samples {
					p.Samples = append(p.Samples, Sample{Line: row.Line, ExternalID: in.ExternalID, Profile: string(in.Profile)})
				}
				items, lines, rowsOf = append(items, in), append(lines, row.Line), append(rowsOf, row.Values)
				pr.Valid++
				if len(items) >= opts.Batch {
					if runErr = flush(line); runErr != nil {
						break
					}
				}
				continue
			}
			rej = r
		}
		if runErr = reject(*rej); runErr != nil {
			break
		}
	}
	if runErr == nil {
		runErr = flush(last)
	}
	if errors.Is(runErr, context.Canceled) {
		return pr, fmt.Errorf("import interrupted after line %d: %w", pr.Line, runErr)
	}
	return pr, runErr
}

// RejectHeader is the header line of a reject file for a file's columns.
func RejectHeader(headers []string) []string {
	return append([]string{"line", "column", "reason"}, headers...)
}
