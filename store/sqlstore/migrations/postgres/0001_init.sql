-- Kizuna schema v1 (PostgreSQL). Every customer-owned table carries customer_id so
-- the PostgreSQL twin of this schema can be distributed by customer (Citus).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE channels (
    code     TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    name_en  TEXT NOT NULL DEFAULT '',
    kind     TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 100
);

CREATE TABLE locations (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    channel    TEXT NOT NULL REFERENCES channels(code),
    prefecture TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL DEFAULT '',
    latitude   DOUBLE PRECISION NOT NULL DEFAULT 0,
    longitude  DOUBLE PRECISION NOT NULL DEFAULT 0
);

CREATE TABLE attribute_defs (
    name        TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE customers (
    id          TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    merged_into TEXT,
    suppressed  BOOLEAN NOT NULL DEFAULT false,
    profile     TEXT NOT NULL,
    lineage     TEXT NOT NULL,
    channels    TEXT NOT NULL,
    version     INTEGER NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX customers_updated ON customers(updated_at, id);
-- Erasure finds the records merged into a customer; few rows have one.
CREATE INDEX customers_merged_into ON customers(merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE customer_channels (
    customer_id TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    channel     TEXT NOT NULL,
    PRIMARY KEY (customer_id, channel)
);
CREATE INDEX customer_channels_channel ON customer_channels(channel, customer_id);

CREATE TABLE customer_tags (
    customer_id TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    tag         TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag ON customer_tags(tag, customer_id);

CREATE TABLE source_profiles (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    channel     TEXT NOT NULL REFERENCES channels(code),
    external_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    profile     TEXT NOT NULL,
    raw         TEXT NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    erased      BOOLEAN NOT NULL DEFAULT false,
    UNIQUE (channel, external_id)
);
CREATE INDEX source_profiles_customer ON source_profiles(customer_id);

CREATE TABLE source_profile_versions (
    customer_id TEXT NOT NULL,
    profile_id  TEXT NOT NULL REFERENCES source_profiles(id) DEFERRABLE INITIALLY DEFERRED,
    version     INTEGER NOT NULL,
    raw         TEXT NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (profile_id, version)
);

CREATE TABLE customer_keys (
    key         TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    profile_id  TEXT NOT NULL REFERENCES source_profiles(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (profile_id, key)
);
CREATE INDEX customer_keys_key ON customer_keys(key);

CREATE TABLE duplicates (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL,
    other_id          TEXT NOT NULL,
    reason            TEXT NOT NULL,
    source_profile_id TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX duplicates_customer ON duplicates(customer_id);
CREATE INDEX duplicates_other ON duplicates(other_id);
CREATE INDEX duplicates_status ON duplicates(status, id);

CREATE TABLE merges (
    id             TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL,
    merged_id      TEXT NOT NULL,
    moved_profiles TEXT NOT NULL,
    snapshot       TEXT NOT NULL,
    reason         TEXT NOT NULL DEFAULT '',
    actor_id       TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    undone_at      TIMESTAMPTZ
);
CREATE INDEX merges_customer ON merges(customer_id);
CREATE INDEX merges_merged ON merges(merged_id);

CREATE TABLE erased_identifiers (
    hash       TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    locale        TEXT NOT NULL DEFAULT 'ja',
    disabled      BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL UNIQUE,
    secret_hash  TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    channels     TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    revoked_at   TIMESTAMPTZ
);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    user_agent  TEXT NOT NULL DEFAULT '',
    terminal    TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    customer_id TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_customer ON audit_log(customer_id, seq);
CREATE INDEX audit_log_actor ON audit_log(actor_id, seq);

-- The chain head is kept apart from the log so that deleting the newest
-- entries is detected too.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE idempotency_keys (
    owner        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (owner, key)
);

-- A standard set of channels so a new installation accepts data at once;
-- rename or add through the API. "manual" holds staff and API edits and is
-- ranked first by survivorship.
INSERT INTO channels (code, name, name_en, kind, priority) VALUES
    ('manual',     'スタッフ入力',         'Staff entry',        'manual',       0),
    ('store',      '直営店',               'Own stores',         'store',        10),
    ('ec',         '公式オンラインストア', 'Official EC site',   'ec',           20),
    ('app',        '公式アプリ',           'Official app',       'app',          30),
    ('dept',       '百貨店カウンター',     'Department store counter', 'dept_counter', 40),
    ('catalog',    'カタログ通販',         'Catalog / mail order', 'catalog',    50),
    ('callcenter', 'コールセンター',       'Call center',        'call_center',  60),
    ('rakuten',    '楽天市場店',           'Rakuten Ichiba',     'marketplace',  70),
    ('yahoo',      'Yahoo!ショッピング店', 'Yahoo! Shopping',    'marketplace',  80),
    ('amazon',     'Amazon店',             'Amazon',             'marketplace',  90),
    ('other',      'その他',               'Other',              'other',        100);
