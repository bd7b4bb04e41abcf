-- Kizuna schema v13: stock reservations for EC orders and back-in-stock
-- subscriptions. stock.reserved is the sum of the active reservations of
-- a level, kept in the same transaction as they change, so what is
-- available (on_hand - reserved) is one row's read. A subscription is
-- notified once, by a back_in_stock event written in the transaction that
-- brought the stock back.
ALTER TABLE stock ADD COLUMN reserved BIGINT NOT NULL DEFAULT 0;
CREATE TABLE stock_reservations (
    id         TEXT PRIMARY KEY,
    sku        TEXT NOT NULL,
    location   TEXT NOT NULL,
    quantity   BIGINT NOT NULL,
    order_ref  TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ
);
CREATE INDEX stock_reservations_due ON stock_reservations(expires_at) WHERE status = 'active';
CREATE TABLE stock_subscriptions (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    sku         TEXT NOT NULL,
    location    TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    notified_at TIMESTAMPTZ,
    UNIQUE (customer_id, sku, location)
);
CREATE INDEX stock_subscriptions_waiting ON stock_subscriptions(sku, location) WHERE notified_at IS NULL;
