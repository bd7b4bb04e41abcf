-- Kizuna schema v2: less written per ingested record (measured in
-- docs/benchmarks.md).
--
-- source_profile_versions now holds the superseded versions only; the
-- current version lives in source_profiles, and an update moves it here
-- before overwriting it. Every version is still kept exactly as sent; the raw
-- record is just no longer stored twice.
DELETE FROM source_profile_versions
 WHERE EXISTS (SELECT 1 FROM source_profiles sp
                WHERE sp.id = source_profile_versions.profile_id
                  AND sp.version = source_profile_versions.version);

-- "ext:<channel>:<external_id>" keys repeated source_profiles' own unique
-- (channel, external_id) index; lookups by channel ID read that index now.
DELETE FROM customer_keys WHERE key LIKE 'ext:%';

-- A lookup by identifier reads the customer from the index alone, already
-- in (key, customer_id) order: no table probe, no temporary B-tree for
-- DISTINCT.
DROP INDEX customer_keys_key;
CREATE INDEX customer_keys_key ON customer_keys(key, customer_id);
