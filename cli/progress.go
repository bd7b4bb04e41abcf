package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"
)

// progress reports a long job's stages to a person: on a terminal one line
// redrawn in place with a bar, the rate and the time left; elsewhere (logs,
// CI) a plain line per stage and every ten seconds, so logs stay short.
type progress struct {
	w      io.Writer
	tty    bool
	now    func() time.Time
	stage  string
	start  time.Time
	last   time.Time
	drawn  bool
	unit   string
	silent bool
	count  int // rows beside a byte count (UpdateBytes); -1 when not
}

func newProgress(w io.Writer, unit string) *progress {
	return &progress{w: w, tty: isTerminal(w), now: time.Now, unit: unit, count: -1}
}

// UpdateBytes reports progress through a file: the bar, rate and time
// left follow the bytes read; count (rows) is shown beside them.
func (p *progress) UpdateBytes(stage string, count int, read, size int64) {
	p.count = count
	p.Update(stage, int(read), int(size))
	p.count = -1
}

// Update reports done of total in stage; total 0 means unknown.
func (p *progress) Update(stage string, done, total int) {
	if p.silent {
		return
	}
	now := p.now()
	if stage != p.stage {
		p.finishLine()
		p.stage, p.start, p.last = stage, now, time.Time{}
	}
	final := total > 0 && done >= total
	if p.tty {
		if !final && now.Sub(p.last) < 100*time.Millisecond {
			return
		}
	} else if !final && !p.last.IsZero() && now.Sub(p.last) < 10*time.Second {
		return
	}
	p.last = now
	line := p.format(done, total, now)
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.drawn = true
		if final {
			p.finishLine()
		}
		return
	}
	fmt.Fprintln(p.w, line)
}

func (p *progress) format(done, total int, now time.Time) string {
	elapsed := now.Sub(p.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(done) / s
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-20s", p.stage)
	if total > 0 {
		frac := min(float64(done)/float64(total), 1)
		if p.tty {
			const width = 24
			full := int(frac * width)
			b.WriteString(" ▕" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + "▏")
		}
		if p.count >= 0 {
			fmt.Fprintf(&b, " %3.0f%% %d %s", frac*100, p.count, p.unit)
		} else {
			fmt.Fprintf(&b, " %3.0f%% %d/%d", frac*100, done, total)
		}
	} else {
		fmt.Fprintf(&b, " %d", done)
	}
	switch {
	case p.count >= 0 && elapsed > 0 && p.unit != "":
		fmt.Fprintf(&b, " %.0f %s/s", float64(p.count)/elapsed.Seconds(), p.unit)
	case rate > 0 && p.unit != "":
		fmt.Fprintf(&b, " %.0f %s/s", rate, p.unit)
	}
	if total > 0 && done > 0 && done < total && rate > 0 {
		left := time.Duration(float64(total-done) / rate * float64(time.Second))
		fmt.Fprintf(&b, " ETA %s", left.Round(time.Second))
	}
	if total > 0 && done >= total {
		fmt.Fprintf(&b, " in %s", elapsed.Round(time.Millisecond))
	}
	return b.String()
}

func (p *progress) finishLine() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// Done ends the current line.
func (p *progress) Done() { p.finishLine() }

// startCPUProfile profiles the command into path ("" does nothing); the
// returned function stops it.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
