package audit

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Batcher records read events (who looked at whose personal data) in the
// background, many per transaction, so that a lookup at the till does not
// wait for a disk write. Writes are audited in their own transaction
// instead, never through the Batcher. On a crash, reads from the last flush
// interval may be missing; Close flushes everything still queued.
type Batcher struct {
	log      Log
	logger   *slog.Logger
	in       chan Entry
	interval time.Duration
	done     chan struct{}
	once     sync.Once
}

// NewBatcher starts a batcher that flushes every interval or 1,000 entries.
func NewBatcher(log Log, logger *slog.Logger, interval time.Duration) *Batcher {
	b := &Batcher{log: log, logger: logger, in: make(chan Entry, 10000), interval: interval, done: make(chan struct{})}
	go b.run()
	return b
}

// Add queues an entry. It blocks only when 10,000 entries are waiting,
// which slows readers rather than losing their trail.
func (b *Batcher) Add(e Entry) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	b.in <- e
}

func (b *Batcher) run() {
	defer close(b.done)
	t := time.NewTicker(b.interval)
	defer t.Stop()
	var buf []Entry
	flush := func() {
		if len(buf) == 0 {
			return
		}
		// A background context: the entries must be written even while the
		// server is shutting down.
		if err := b.log.AppendAudit(context.Background(), buf...); err != nil {
			b.logger.Error("audit: could not record read entries; retrying", "entries", len(buf), "err", err)
			return
		}
		buf = buf[:0]
	}
	for {
		select {
		case e, ok := <-b.in:
			if !ok {
				flush()
				return
			}
			buf = append(buf, e)
			if len(buf) >= 1000 {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// Close flushes queued entries and stops the batcher.
func (b *Batcher) Close() {
	b.once.Do(func() { close(b.in) })
	<-b.done
}
