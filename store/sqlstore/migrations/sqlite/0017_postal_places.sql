-- Kizuna schema v17: the postal dictionary read by place as well as by
-- code, to find the postal code of an address that came without one
-- (postal.Directory.Find).
CREATE INDEX postal_codes_place ON postal_codes (prefecture, city);
