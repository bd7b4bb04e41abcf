-- Kizuna schema v12: membership ranks. customer_ranks is each customer's
-- rank now, with the spend and visits it was evaluated on and, while they
-- are below it, since when (the grace period runs from there);
-- rank_history is every change, which also tells the rank a customer held
-- when an order was placed (its earn multiplier). Both are keyed by
-- customer for a distributed PostgreSQL.
CREATE TABLE customer_ranks (
    customer_id  TEXT PRIMARY KEY,
    rank         TEXT NOT NULL,
    since        TIMESTAMP NOT NULL,
    spend        BIGINT NOT NULL,
    visits       INTEGER NOT NULL,
    down_from    TIMESTAMP,
    evaluated_at TIMESTAMP NOT NULL
);
CREATE TABLE rank_history (
    customer_id TEXT NOT NULL,
    at          TIMESTAMP NOT NULL,
    from_rank   TEXT NOT NULL,
    to_rank     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    spend       BIGINT NOT NULL,
    visits      INTEGER NOT NULL,
    PRIMARY KEY (customer_id, at, to_rank)
);
