-- Kizuna schema v16: points whose validity every purchase extends
-- (extend_on_activity). An earn entry that extends says so; the replay
-- (and the live ledger, with the same code) then moves the expiry of
-- every lot still valid to the entry's own. Entries before this version
-- extended nothing.
ALTER TABLE points_entries ADD COLUMN extends_lots BOOLEAN NOT NULL DEFAULT FALSE;
