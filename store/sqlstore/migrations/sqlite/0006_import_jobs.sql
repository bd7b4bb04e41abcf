-- Kizuna schema v6: import jobs (file uploads through the API and the
-- console). The file is kept with the job so that a job interrupted by a
-- restart resumes from its checkpoint (progress.line); rejected rows
-- accumulate as CSV text. Files are removed when the job is deleted.
CREATE TABLE import_jobs (
    id          TEXT PRIMARY KEY,
    channel     TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    status      TEXT NOT NULL,
    options     TEXT NOT NULL,
    plan        TEXT NOT NULL DEFAULT '',
    progress    TEXT NOT NULL DEFAULT '',
    rejects     TEXT NOT NULL DEFAULT '',
    error       TEXT NOT NULL DEFAULT '',
    content     BLOB NOT NULL,
    size        BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    started_at  TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX import_jobs_status ON import_jobs(status, created_at);
