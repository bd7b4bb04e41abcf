-- Kizuna schema v8: stock per product per location (stores, the EC
-- warehouse). Levels change by movements, each with the caller's ID, so a
-- retried update is recognised and never applied twice. Like products,
-- these are reference data for a distributed PostgreSQL.
CREATE TABLE stock (
    sku        TEXT NOT NULL REFERENCES products(sku),
    location   TEXT NOT NULL REFERENCES locations(code),
    on_hand    BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sku, location)
);
CREATE TABLE stock_movements (
    id         TEXT PRIMARY KEY,
    sku        TEXT NOT NULL,
    location   TEXT NOT NULL,
    kind       TEXT NOT NULL,
    quantity   BIGINT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    actor_id   TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX stock_movements_item ON stock_movements(sku, location, at);
