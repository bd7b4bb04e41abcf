package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kizuna-oss/kizuna"
	"github.com/kizuna-oss/kizuna/importjob"
)

var _ importjob.Store = (*DB)(nil)

const importJobCols = `id, channel, file_name, status, options, plan, progress, error, size, created_by, created_at, started_at, finished_at`

func scanImportJob(sc interface{ Scan(...any) error }) (*importjob.Job, error) {
	var j importjob.Job
	var opts, plan, prog string
	var started, finished sql.NullTime
	if err := sc.Scan(&j.ID, &j.Channel, &j.FileName, &j.Status, &opts, &plan, &prog, &j.Error, &j.Size, &j.CreatedBy, &j.CreatedAt, &started, &finished); err != nil {
		return nil, err
	}
	j.CreatedAt = j.CreatedAt.UTC()
	if started.Valid {
		t := started.Time.UTC()
		j.StartedAt = &t
	}
	if finished.Valid {
		t := finished.Time.UTC()
		j.FinishedAt = &t
	}
	if err := json.Unmarshal([]byte(opts), &j.Options); err != nil {
		return nil, fmt.Errorf("import job %s: options: %w", j.ID, err)
	}
	if plan != "" {
		j.Plan = &importjob.Plan{}
		if err := json.Unmarshal([]byte(plan), j.Plan); err != nil {
			return nil, fmt.Errorf("import job %s: plan: %w", j.ID, err)
		}
	}
	if prog != "" {
		if err := json.Unmarshal([]byte(prog), &j.Progress); err != nil {
			return nil, fmt.Errorf("import job %s: progress: %w", j.ID, err)
		}
	}
	return &j, nil
}

func importJobJSON(j *importjob.Job) (opts, plan, prog string, err error) {
	b, err := json.Marshal(j.Options)
	if err != nil {
		return
	}
	opts = string(b)
	if j.Plan != nil {
		if b, err = json.Marshal(j.Plan); err != nil {
			return
		}
		plan = string(b)
	}
	b, err = json.Marshal(j.Progress)
	prog = string(b)
	return
}

// CreateImportJob stores a job with its file.
func (db *DB) CreateImportJob(ctx context.Context, j *importjob.Job, content []byte) error {
	opts, plan, prog, err := importJobJSON(j)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO import_jobs (`+importJobCols+`, content, rejects) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`),
			j.ID, j.Channel, j.FileName, j.Status, opts, plan, prog, j.Error, j.Size, j.CreatedBy, j.CreatedAt, nullTimePtr(j.StartedAt), nullTimePtr(j.FinishedAt), content)
		return err
	})
}

// ImportJob reads a job.
func (db *DB) ImportJob(ctx context.Context, id string) (*importjob.Job, error) {
	j, err := scanImportJob(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+importJobCols+` FROM import_jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "import %s not found", id)
	}
	return j, err
}

// ImportJobs lists the newest jobs.
func (db *DB) ImportJobs(ctx context.Context, limit int) ([]importjob.Job, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT `+importJobCols+` FROM import_jobs ORDER BY created_at DESC, id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("list import jobs: %w", err)
	}
	defer rows.Close()
	var out []importjob.Job
	for rows.Next() {
		j, err := scanImportJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

func (db *DB) importColumn(ctx context.Context, col, id string) ([]byte, error) {
	var b []byte
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT `+col+` FROM import_jobs WHERE id = ?`), id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, kizuna.Errorf(kizuna.ENOTFOUND, "import %s not found", id)
	}
	return b, err
}

// ImportContent is the uploaded file.
func (db *DB) ImportContent(ctx context.Context, id string) ([]byte, error) {
	return db.importColumn(ctx, "content", id)
}

// ImportRejects is the reject file so far.
func (db *DB) ImportRejects(ctx context.Context, id string) ([]byte, error) {
	return db.importColumn(ctx, "rejects", id)
}

// UpdateImportJob saves a job's state and appends rejects.
func (db *DB) UpdateImportJob(ctx context.Context, j *importjob.Job, rejects []byte) error {
	opts, plan, prog, err := importJobJSON(j)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(`UPDATE import_jobs SET status = ?, options = ?, plan = ?, progress = ?, error = ?, started_at = ?, finished_at = ?,
			rejects = rejects || ? WHERE id = ?`), j.Status, opts, plan, prog, j.Error, nullTimePtr(j.StartedAt), nullTimePtr(j.FinishedAt), string(rejects), j.ID)
		return err
	})
}

// ClaimImportJob takes the oldest queued or interrupted job.
func (db *DB) ClaimImportJob(ctx context.Context, now time.Time) (*importjob.Job, error) {
	var j *importjob.Job
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		j, err = scanImportJob(tx.QueryRowContext(ctx, db.rebind(`SELECT `+importJobCols+` FROM import_jobs WHERE status IN (?, ?) ORDER BY created_at, id LIMIT 1`),
			importjob.StatusRunning, importjob.StatusQueued))
		if errors.Is(err, sql.ErrNoRows) {
			j = nil
			return nil
		}
		if err != nil {
			return err
		}
		if j.StartedAt == nil {
			t := now.UTC()
			j.StartedAt = &t
		}
		j.Status = importjob.StatusRunning
		_, err = tx.ExecContext(ctx, db.rebind(`UPDATE import_jobs SET status = ?, started_at = ? WHERE id = ?`), j.Status, *j.StartedAt, j.ID)
		return err
	})
	return j, err
}
