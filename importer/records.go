package importer

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// recordReader splits CSV or TSV text into records the way encoding/csv
// does with LazyQuotes (a quote opens a field only at its start, "" is a
// quote inside one, a stray quote elsewhere is kept), but keeps the
// physical lines each record came from. encoding/csv cannot go back: a
// quote left open in one row swallowed every row after it into one bad
// record, and good rows were lost with it. Here ReadRows can reject the
// line that opened the quote and read the lines after it again.
type recordReader struct {
	br    *bufio.Reader
	comma byte
	next  int      // the file's line number of the next line read from br
	back  []pline  // lines given back, read before br's
	err   error    // br's error once it has none left
	buf   []string // a record's fields, reused
}

// pline is one physical line, its newline normalised to "\n" (one is
// added to a last line without it).
type pline struct {
	n    int
	text []byte
}

// maxRecordLines bounds how many lines one quoted field may span before
// the quote counts as never closed.
const maxRecordLines = 1000

// maxRecordBytes bounds a record's size likewise.
const maxRecordBytes = 1 << 20

// record is one record read: its fields, its lines, and whether a quoted
// field was still open at its end (end of file or the bounds above).
type record struct {
	fields   []string
	lines    []pline
	open     bool
	openedAt int  // the field whose quoted value first ran past a line's end
	stray    bool // a quoted field held a quote that neither closed it nor was doubled
}

func (r *recordReader) line() (pline, bool) {
	if n := len(r.back); n > 0 {
		l := r.back[0]
		r.back = r.back[1:]
		return l, true
	}
	if r.err != nil {
		return pline{}, false
	}
	b, err := r.br.ReadBytes('\n')
	if err != nil {
		r.err = err
		if len(b) == 0 {
			return pline{}, false
		}
	}
	switch {
	case bytes.HasSuffix(b, []byte("\r\n")):
		b = append(b[:len(b)-2], '\n')
	case b[len(b)-1] != '\n':
		// The last line, without a newline; a \r there is dropped, as
		// encoding/csv does.
		b = append(bytes.TrimSuffix(b, []byte("\r")), '\n')
	}
	r.next++
	return pline{n: r.next, text: b}, true
}

// giveBack puts lines back to be read again, before any other.
func (r *recordReader) giveBack(lines []pline) {
	r.back = append(append([]pline(nil), lines...), r.back...)
}

// read returns the next record; io.EOF when none is left, or the error
// reading the input. Empty lines between records are skipped, as
// encoding/csv does.
func (r *recordReader) read() (record, error) {
	var first pline
	for {
		l, ok := r.line()
		if !ok {
			if r.err != nil && !errors.Is(r.err, io.EOF) {
				return record{}, r.err
			}
			return record{}, io.EOF
		}
		if len(l.text) > 1 {
			first = l
			break
		}
	}
	rec := record{lines: []pline{first}}
	fields := r.buf[:0]
	var field []byte
	line := first.text
	size := len(line)
	for {
		// At the start of a field.
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, r.comma)
			if i < 0 {
				fields = append(fields, string(line[:len(line)-1]))
				break
			}
			fields = append(fields, string(line[:i]))
			line = line[i+1:]
			continue
		}
		// A quoted field.
		field = field[:0]
		line = line[1:]
		ended := false
		for !ended {
			i := bytes.IndexByte(line, '"')
			if i < 0 {
				// The field goes on past the end of the line.
				field = append(field, line...)
				l, ok := r.line()
				if !ok || len(rec.lines) >= maxRecordLines || size+len(l.text) > maxRecordBytes {
					if ok {
						r.giveBack([]pline{l})
					}
					rec.open = true
					if len(rec.lines) == 1 {
						rec.openedAt = len(fields)
					}
					fields = append(fields, string(bytes.TrimSuffix(field, []byte("\n"))))
					rec.fields = fields
					r.buf = fields
					return rec, nil
				}
				if len(rec.lines) == 1 {
					rec.openedAt = len(fields)
				}
				rec.lines = append(rec.lines, l)
				size += len(l.text)
				line = l.text
				continue
			}
			field = append(field, line[:i]...)
			line = line[i+1:]
			switch {
			case len(line) > 0 && line[0] == '"': // "" is a quote
				field = append(field, '"')
				line = line[1:]
			case len(line) > 0 && line[0] == r.comma: // the field ends
				line = line[1:]
				ended = true
			case len(line) == 1: // the record ends (line holds only "\n")
				line = line[:0]
				ended = true
			default: // a stray quote, kept
				field = append(field, '"')
				rec.stray = true
			}
		}
		fields = append(fields, string(field))
		if len(line) == 0 {
			break
		}
	}
	rec.fields = fields
	r.buf = fields
	return rec, nil
}

// readAlone reads one line as a record of its own, a quote left open
// running to the line's end.
func (r *recordReader) readAlone(l pline) []string {
	sub := &recordReader{br: bufio.NewReader(bytes.NewReader(l.text)), comma: r.comma, next: l.n - 1}
	rec, err := sub.read()
	if err != nil {
		return nil
	}
	return rec.fields
}
