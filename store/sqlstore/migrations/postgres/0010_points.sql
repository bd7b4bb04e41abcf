-- Kizuna schema v10: the points ledger. points_entries is append-only:
-- every earn, hold, commit, release, expiry, adjustment, reversal and
-- merge move, numbered per customer. Accounts, lots and holds are its
-- projection, written in the same transaction as each entry; kizuna
-- loyalty verify replays the entries and checks them. All tables are
-- keyed by customer for a distributed PostgreSQL.
ALTER TABLE orders ADD COLUMN points_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX orders_points_due ON orders(id) WHERE points_version < version AND customer_id <> '';
CREATE TABLE points_accounts (
    customer_id TEXT PRIMARY KEY,
    seq         BIGINT NOT NULL,
    points      BIGINT NOT NULL,
    held        BIGINT NOT NULL,
    debt        BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE TABLE points_entries (
    customer_id  TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    id           TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    points       BIGINT NOT NULL,
    lot          TEXT NOT NULL DEFAULT '',
    hold_id      TEXT NOT NULL DEFAULT '',
    order_id     TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',
    ref          TEXT,
    actor_id     TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    available_at TIMESTAMPTZ,
    expires_at   TIMESTAMPTZ,
    moved        TEXT,
    PRIMARY KEY (customer_id, seq)
);
CREATE UNIQUE INDEX points_entries_ref ON points_entries(ref) WHERE ref IS NOT NULL;
CREATE INDEX points_entries_order ON points_entries(order_id) WHERE order_id <> '';
CREATE TABLE points_lots (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    order_id     TEXT NOT NULL DEFAULT '',
    original     BIGINT NOT NULL,
    remaining    BIGINT NOT NULL,
    available_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX points_lots_customer ON points_lots(customer_id);
CREATE INDEX points_lots_expiry ON points_lots(expires_at) WHERE remaining > 0;
CREATE TABLE points_holds (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    points      BIGINT NOT NULL,
    status      TEXT NOT NULL,
    ref         TEXT NOT NULL UNIQUE,
    order_ref   TEXT NOT NULL DEFAULT '',
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    alloc       TEXT NOT NULL
);
CREATE INDEX points_holds_active ON points_holds(customer_id) WHERE status = 'held';
CREATE INDEX points_holds_due ON points_holds(expires_at) WHERE status = 'held';
