-- Kizuna schema v11: behaviour events. An event is stored once under its
-- sender's ID however often it is sent; seq is the order of arrival.
-- customer_id is empty while the visitor is anonymous; a sign-in
-- (event_links) gives the anonymous ID's events their customer. Events
-- keep the customer they were given: a merge is followed at read time
-- (customers merged into the one read), so unmerging needs no rewrite.
--
-- Distribution: events would be keyed by anonymous ID for a distributed
-- PostgreSQL (Citus), so that a sign-in stitches within one shard; the
-- unique sender ID then includes it.
CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    type         TEXT NOT NULL,
    at           TIMESTAMP NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    channel      TEXT NOT NULL DEFAULT '',
    customer_id  TEXT NOT NULL DEFAULT '',
    anonymous_id TEXT NOT NULL DEFAULT '',
    session_id   TEXT NOT NULL DEFAULT '',
    props        TEXT
);
CREATE INDEX events_customer ON events(customer_id, at) WHERE customer_id <> '';
CREATE INDEX events_anonymous ON events(anonymous_id, at) WHERE anonymous_id <> '';
CREATE TABLE event_links (
    anonymous_id TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    linked_at    TIMESTAMP NOT NULL
) WITHOUT ROWID;
CREATE INDEX event_links_customer ON event_links(customer_id);
