-- Kizuna schema v7: the product catalog. Products are few next to
-- customers and every order line refers to one, so on a distributed
-- PostgreSQL (Citus) this is a reference table, copied to every node.
-- Prices are tax-inclusive integer minor units with their currency; the
-- category path and attributes are JSON.
CREATE TABLE products (
    sku             TEXT PRIMARY KEY,
    jan             TEXT NOT NULL DEFAULT '',
    name            TEXT NOT NULL,
    category        TEXT NOT NULL DEFAULT '[]',
    brand           TEXT NOT NULL DEFAULT '',
    price           BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    tax_rate        INTEGER NOT NULL,
    consumable      BOOLEAN NOT NULL DEFAULT FALSE,
    repurchase_days INTEGER NOT NULL DEFAULT 0,
    attributes      TEXT NOT NULL DEFAULT '{}',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
-- The till scans barcodes: find a product by its JAN.
CREATE INDEX products_jan ON products(jan) WHERE jan <> '';
