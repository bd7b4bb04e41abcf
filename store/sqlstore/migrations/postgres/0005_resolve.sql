-- Kizuna schema v5: probabilistic identity resolution.
--
-- match_models keeps every trained Fellegi–Sunter model (kizuna resolve
-- --train); the highest version is the one in use, older ones stay for
-- audit and comparison.
CREATE TABLE match_models (
    version    INTEGER PRIMARY KEY,
    model      TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Possible duplicates become the review queue: the match probability, each
-- field's evidence (JSON), the other side's source record, and who decided
-- and when. A dismissed pair is a staff decision to keep two customers
-- apart: the resolver never joins them.
ALTER TABLE duplicates ADD COLUMN probability DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE duplicates ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
ALTER TABLE duplicates ADD COLUMN other_profile_id TEXT NOT NULL DEFAULT '';
ALTER TABLE duplicates ADD COLUMN decided_by TEXT NOT NULL DEFAULT '';
ALTER TABLE duplicates ADD COLUMN decided_at TIMESTAMPTZ;
CREATE INDEX duplicates_review ON duplicates(status, probability, id);
