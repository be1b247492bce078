-- +goose Up
-- One warehouse read per sync across replicas, as in the SQLite state file's migration 22 (package mirror, feed.go):
-- the replica that runs a sync tick appends what it read (a gob of each table's rows, gzipped; NULL when too large
-- to carry, and the others then read the warehouse themselves), each entry naming the one before it, so that a gap
-- in the chain is seen. An entry is written first (its body, without the writer's lock, which every state write
-- takes) and numbered after (seq and prev, under it). Each replica's position stays in its own mirror.
CREATE TABLE mirror_feed (
    id BIGSERIAL PRIMARY KEY,
    seq BIGINT UNIQUE,
    prev BIGINT,
    read_at TEXT NOT NULL,
    published_at TEXT NOT NULL,
    holder TEXT NOT NULL,
    tables_read INTEGER NOT NULL,
    rows_read BIGINT NOT NULL,
    body BYTEA
);
CREATE INDEX mirror_feed_published ON mirror_feed (published_at);

-- +goose Down
DROP TABLE mirror_feed;
