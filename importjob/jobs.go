package importjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/customer"
)

// Job statuses.
const (
	StatusPreview = "preview" // uploaded; mapping shown, not started
	StatusQueued  = "queued"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// MaxUpload is the largest file a job takes (a million-row CSV is about
// 150 MB).
const MaxUpload = 512 << 20

// Job is one uploaded file and its import.
type Job struct {
	ID         string     `json:"id"`
	Channel    string     `json:"channel"`
	FileName   string     `json:"file_name"`
	Size       int64      `json:"size"`
	Status     string     `json:"status" enum:"preview,queued,running,done,failed"`
	Options    JobOptions `json:"options"`
	Plan       *Plan      `json:"plan,omitempty" doc:"Encoding, column mapping and sample rows, read on upload"`
	Progress   Progress   `json:"progress"`
	Error      string     `json:"error,omitempty"`
	CreatedBy  string     `json:"created_by"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// JobOptions are the Options a job keeps.
type JobOptions struct {
	Encoding string            `json:"encoding,omitempty"`
	Sheet    string            `json:"sheet,omitempty"`
	Map      map[string]string `json:"map,omitempty"`
}

// Store keeps jobs (sqlstore implements it).
type Store interface {
	CreateImportJob(ctx context.Context, j *Job, content []byte) error
	ImportJob(ctx context.Context, id string) (*Job, error)
	ImportJobs(ctx context.Context, limit int) ([]Job, error)
	ImportContent(ctx context.Context, id string) ([]byte, error)
	ImportRejects(ctx context.Context, id string) ([]byte, error)
	// UpdateImportJob saves status, options, plan, progress, error and
	// times; rejects, when not empty, are appended.
	UpdateImportJob(ctx context.Context, j *Job, rejects []byte) error
	// ClaimImportJob returns the oldest queued or running job (running ones
	// were interrupted by a restart) and marks it running; nil if none.
	ClaimImportJob(ctx context.Context, now time.Time) (*Job, error)
	// Attributes are the declared custom attributes a column may fill.
	Attributes(ctx context.Context) ([]customer.AttributeDef, error)
}

// Manager uploads, previews and runs jobs, one at a time, in the
// background of the server.
type Manager struct {
	store Store
	svc   Ingester
	log   *slog.Logger
	now   func() time.Time
	wake  chan struct{}
	stop  chan struct{}
	done  sync.WaitGroup
}

// NewManager returns a manager; Start runs it.
func NewManager(store Store, svc Ingester, log *slog.Logger) *Manager {
	return &Manager{store: store, svc: svc, log: log, now: time.Now, wake: make(chan struct{}, 1), stop: make(chan struct{})}
}

// Upload stores a file as a job in preview: its header is read and mapped
// now, and a dry run over its first rows gives samples, so that mistakes
// show before anything is imported.
func (m *Manager) Upload(ctx context.Context, actor kizuna.Actor, channel, fileName string, content []byte, opts JobOptions) (*Job, error) {
	if strings.TrimSpace(channel) == "" {
		return nil, kizuna.FieldError("channel", "is required")
	}
	if len(content) == 0 {
		return nil, kizuna.FieldError("file", "is empty")
	}
	if len(content) > MaxUpload {
		return nil, kizuna.FieldError("file", "is %d MB; at most %d MB", len(content)>>20, MaxUpload>>20)
	}
	now := m.now().UTC()
	j := &Job{ID: kizuna.NewID("imp"), Channel: channel, FileName: fileName, Size: int64(len(content)), Status: StatusPreview,
		Options: opts, CreatedBy: actor.ID, CreatedAt: now}
	if err := m.preview(ctx, j, content); err != nil {
		return nil, err
	}
	if err := m.store.CreateImportJob(ctx, j, content); err != nil {
		return nil, err
	}
	return j, nil
}

// preview reads the mapping and samples (a dry run of the first rows).
func (m *Manager) preview(ctx context.Context, j *Job, content []byte) error {
	opts := Options{Channel: j.Channel, Encoding: j.Options.Encoding, Sheet: j.Options.Sheet, Map: j.Options.Map, DryRun: true, Samples: 5,
		Predict: true, PredictFirst: previewPredictRows}
	plan, err := Open(bytes.NewReader(content), opts)
	if err != nil {
		return err
	}
	attrs, err := m.store.Attributes(ctx)
	if err != nil {
		return err
	}
	if err := CheckAttributes(plan.Mapping, attrs); err != nil {
		return err
	}
	// Count every row (cheap without One ID) and keep a few samples.
	pr, err := plan.Run(ctx, m.svc, kizuna.Actor{}, opts, nil, nil)
	if err != nil {
		return err
	}
	j.Plan, j.Progress = plan, pr
	return nil
}

// previewPredictRows is how many rows of an upload a preview runs through
// One ID (rolled back) to say how many would be new customers, joined to
// one, or flagged: enough to see a mistake, quick for a large file.
const previewPredictRows = 1000

// Remap changes a previewed job's options (column mapping, encoding, sheet).
func (m *Manager) Remap(ctx context.Context, id string, opts JobOptions) (*Job, error) {
	j, err := m.store.ImportJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.Status != StatusPreview {
		return nil, kizuna.Errorf(kizuna.ECONFLICT, "import %s is %s; only a preview can be changed", id, j.Status)
	}
	content, err := m.store.ImportContent(ctx, id)
	if err != nil {
		return nil, err
	}
	j.Options = opts
	if err := m.preview(ctx, j, content); err != nil {
		return nil, err
	}
	return j, m.store.UpdateImportJob(ctx, j, nil)
}

// Queue starts a previewed job.
func (m *Manager) Queue(ctx context.Context, id string) (*Job, error) {
	j, err := m.store.ImportJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.Status != StatusPreview {
		return nil, kizuna.Errorf(kizuna.ECONFLICT, "import %s is %s already", id, j.Status)
	}
	j.Status, j.Progress = StatusQueued, Progress{}
	if err := m.store.UpdateImportJob(ctx, j, nil); err != nil {
		return nil, err
	}
	select {
	case m.wake <- struct{}{}:
	default:
	}
	return j, nil
}

// Start runs queued jobs in the background until Close, beginning with
// any a restart interrupted.
func (m *Manager) Start() {
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		for {
			for m.runNext() {
			}
			select {
			case <-m.stop:
				return
			case <-m.wake:
			case <-time.After(5 * time.Second):
			}
		}
	}()
}

// Close stops the worker after the current batch.
func (m *Manager) Close() {
	close(m.stop)
	m.done.Wait()
}

// runNext runs one job; false when there was none (or the store failed).
func (m *Manager) runNext() bool {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-m.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	j, err := m.store.ClaimImportJob(ctx, m.now().UTC())
	if err != nil {
		m.log.Error("import jobs: claim", "err", err)
		return false
	}
	if j == nil {
		return false
	}
	err = m.run(ctx, j)
	if ctx.Err() != nil {
		return false // shutting down: the job stays running and resumes on start
	}
	at := m.now().UTC()
	j.FinishedAt = &at
	j.Status = StatusDone
	if err != nil {
		j.Status, j.Error = StatusFailed, err.Error()
		m.log.Error("import job failed", "job", j.ID, "err", err)
	}
	if err := m.store.UpdateImportJob(context.Background(), j, nil); err != nil {
		m.log.Error("import jobs: save", "job", j.ID, "err", err)
	}
	return true
}

func (m *Manager) run(ctx context.Context, j *Job) error {
	content, err := m.store.ImportContent(ctx, j.ID)
	if err != nil {
		return err
	}
	opts := Options{Channel: j.Channel, Encoding: j.Options.Encoding, Sheet: j.Options.Sheet, Map: j.Options.Map, After: j.Progress.Line}
	plan, err := Open(bytes.NewReader(content), opts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	rw := csv.NewWriter(&buf)
	if j.Progress.Line == 0 {
		buf.WriteString("\ufeff")
		rw.Write(RejectHeader(plan.Headers))
	} else if before, err := m.store.ImportRejects(ctx, j.ID); err == nil && OldRejectHeader(before) {
		opts.RejectsWithoutJapanese = true // resumed after an upgrade
	}
	actor := kizuna.System("import")
	actor.Name = fmt.Sprintf("import job %s (%s, by %s)", j.ID, j.FileName, j.CreatedBy)
	base := j.Progress
	_, err = plan.Run(ctx, m.svc, actor, opts, rw, func(p Progress) error {
		// Counts add up over resumed runs; the checkpoint is the line.
		j.Progress = Progress{Rows: base.Rows + p.Rows, Line: p.Line, Bytes: p.Bytes, Valid: base.Valid + p.Valid,
			Created: base.Created + p.Created, Joined: base.Joined + p.Joined, Updated: base.Updated + p.Updated,
			Unchanged: base.Unchanged + p.Unchanged, Rejected: base.Rejected + p.Rejected, Skipped: p.Skipped}
		rejects := append([]byte(nil), buf.Bytes()...)
		buf.Reset()
		return m.store.UpdateImportJob(context.WithoutCancel(ctx), j, rejects)
	})
	return err
}
