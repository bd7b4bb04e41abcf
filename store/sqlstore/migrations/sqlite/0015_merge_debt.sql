-- Kizuna schema v15: a merge moves a customer's point debt (points
-- reversed after they were spent) along with their lots. merge_out and
-- merge_in entries say how much debt they moved; an unmerge moves back
-- what is left of it. Entries before this version moved none.
ALTER TABLE points_entries ADD COLUMN debt BIGINT NOT NULL DEFAULT 0;
