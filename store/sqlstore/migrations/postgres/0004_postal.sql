-- Kizuna schema v4: Japan Post's postal code dictionary (kizuna postal
-- import). Not customer data: a reference table, replaced whole on import.
-- One code can name several towns; seq keeps Japan Post's order.
CREATE TABLE postal_codes (
    code            TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    prefecture      TEXT NOT NULL,
    city            TEXT NOT NULL,
    town            TEXT NOT NULL,
    town_note       TEXT NOT NULL,
    prefecture_kana TEXT NOT NULL,
    city_kana       TEXT NOT NULL,
    town_kana       TEXT NOT NULL,
    PRIMARY KEY (code, seq)
);
