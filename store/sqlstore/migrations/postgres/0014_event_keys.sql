-- Kizuna schema v14: an event is told apart by the device that sent it and
-- the sender's ID for it, kept as two 64-bit keys (FNV-1a of the strings,
-- computed by kizuna; the migration's Go step fills them in for the events
-- already stored and then creates the unique index events_device). One
-- small index on (device_key, id_key) now serves both deduplication and a
-- sign-in's search for the device's earlier events, where the text ID and
-- the anonymous ID had an index each (docs/benchmarks.md).
--
-- Distribution: device_key is the natural distribution column for a
-- distributed PostgreSQL (Citus): a sign-in stitches within one shard.
ALTER TABLE events ADD COLUMN device_key BIGINT NOT NULL DEFAULT 0,
                   ADD COLUMN id_key BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events DROP CONSTRAINT events_id_key;
DROP INDEX events_anonymous;
