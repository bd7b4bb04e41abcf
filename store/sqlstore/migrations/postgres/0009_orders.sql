-- Kizuna schema v9: orders from every channel. An order's natural key is
-- its channel and the channel's order number; Kizuna's own ID is opaque.
-- Lines are rows (analytics reads them by SKU and customer); payments,
-- shipments, billing, returns and history travel in doc, read with the
-- order. customer_id is empty for a guest order, whose identity keys wait
-- in order_keys until an identifier names one customer.
--
-- Distribution: orders and order_lines are keyed by customer for a
-- distributed PostgreSQL (Citus); the natural-key lookup (channel,
-- external_id) would then move to a small reference table of its own.
CREATE TABLE orders (
    id           TEXT PRIMARY KEY,
    channel      TEXT NOT NULL REFERENCES channels(code),
    external_id  TEXT NOT NULL,
    customer_id  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    store        TEXT NOT NULL DEFAULT '',
    placed_at    TIMESTAMPTZ NOT NULL,
    currency     TEXT NOT NULL,
    total        BIGINT NOT NULL,
    tax          BIGINT NOT NULL,
    discount     BIGINT NOT NULL,
    shipping_fee BIGINT NOT NULL,
    points_used  BIGINT NOT NULL,
    refunded     BIGINT NOT NULL,
    doc          TEXT NOT NULL,
    version      INTEGER NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (channel, external_id)
);
CREATE INDEX orders_customer ON orders(customer_id, placed_at);
CREATE INDEX orders_placed ON orders(placed_at);
CREATE TABLE order_lines (
    order_id    TEXT NOT NULL REFERENCES orders(id),
    line        INTEGER NOT NULL,
    customer_id TEXT NOT NULL DEFAULT '',
    sku         TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    quantity    BIGINT NOT NULL,
    unit_price  BIGINT NOT NULL,
    discount    BIGINT NOT NULL,
    tax_rate    INTEGER NOT NULL,
    amount      BIGINT NOT NULL,
    tax         BIGINT NOT NULL,
    returned    BIGINT NOT NULL,
    PRIMARY KEY (order_id, line)
);
CREATE INDEX order_lines_sku ON order_lines(sku);
CREATE INDEX order_lines_customer ON order_lines(customer_id);
CREATE TABLE order_keys (
    key      TEXT NOT NULL,
    order_id TEXT NOT NULL REFERENCES orders(id),
    PRIMARY KEY (key, order_id)
);
CREATE INDEX order_keys_order ON order_keys(order_id);
