-- Kizuna schema v19: a JAN code names one product, as a till that scans it
-- needs. Should products share a JAN, the migration stops before this
-- statement and names them (uniqueJANs), so that staff can fix the catalog.
DROP INDEX products_jan;
CREATE UNIQUE INDEX products_jan ON products(jan) WHERE jan <> '';
