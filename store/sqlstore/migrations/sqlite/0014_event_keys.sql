-- Kizuna schema v14: an event is told apart by the device that sent it and
-- the sender's ID for it, kept as two 64-bit keys (FNV-1a of the strings,
-- computed by kizuna; the migration's Go step fills them in for the events
-- already stored and then creates the unique index events_device). One
-- small index on (device_key, id_key) now serves both deduplication and a
-- sign-in's search for the device's earlier events, where the text ID and
-- the anonymous ID had an index each: every event inserted touched a page
-- of each, and writing those pages was most of an ingest
-- (docs/benchmarks.md). SQLite cannot drop a UNIQUE constraint, so the
-- table is rebuilt.
CREATE TABLE events_v14 (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL,
    device_key   INTEGER NOT NULL DEFAULT 0,
    id_key       INTEGER NOT NULL DEFAULT 0,
    type         TEXT NOT NULL,
    at           TIMESTAMP NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    channel      TEXT NOT NULL DEFAULT '',
    customer_id  TEXT NOT NULL DEFAULT '',
    anonymous_id TEXT NOT NULL DEFAULT '',
    session_id   TEXT NOT NULL DEFAULT '',
    props        TEXT
);
INSERT INTO events_v14 (seq, id, type, at, received_at, channel, customer_id, anonymous_id, session_id, props)
    SELECT seq, id, type, at, received_at, channel, customer_id, anonymous_id, session_id, props FROM events;
DROP TABLE events;
ALTER TABLE events_v14 RENAME TO events;
CREATE INDEX events_customer ON events(customer_id, at) WHERE customer_id <> '';
