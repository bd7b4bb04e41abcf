-- Kizuna schema v3: what the staff console needs.

-- Staff sign-in: a second factor for admins, and lockout after repeated
-- failures (counted in the database so every server process agrees).
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;

-- Console sessions. The cookie holds a random token; only its SHA-256 is
-- stored, so a copy of the database cannot be used to sign in.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    csrf_token   TEXT NOT NULL,
    mfa_pending  BOOLEAN NOT NULL DEFAULT false,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Named staff terminals ("渋谷店 レジ2"): an admin names a device once; its
-- cookie carries a token whose hash is kept here, and the audit trail
-- records the name.
CREATE TABLE terminals (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

-- Staff notes on a customer, shown in the 360° view.
CREATE TABLE customer_notes (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    author_id   TEXT NOT NULL,
    author_name TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX customer_notes_customer ON customer_notes(customer_id, created_at);

-- Search terms of active customers' golden records: "n:" full name,
-- "k:" reading in katakana, "r:" romaji key, "z:" postal code. Searched by
-- prefix with a range scan; the byte order ("C" collation) makes the range
-- exact for any script. Kept in step with the golden record by the store,
-- which deletes a changed term by its key: no index by customer is needed.
CREATE TABLE customer_search (
    term        TEXT COLLATE "C" NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers(id) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (term, customer_id)
);
