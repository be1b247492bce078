-- +goose Up
-- One warehouse read per sync across replicas (package mirror, feed.go). mirror_feed is the shared state's: the
-- replica that runs a sync tick appends what it read (a gob of each table's rows, gzipped; NULL when too large to
-- carry, and the others then read the warehouse themselves). An entry is written first (its body) and numbered
-- after (seq, and prev naming the entry before it, so that a gap in the chain is seen). feed_position is the
-- mirror's: the last entry this mirror holds (its number, and its read time, by which a feed made anew is told
-- apart). sync_runs.feed_seq marks a run that applied an entry instead of reading the warehouse, and
-- sync_runs.committed one whose transaction landed (with tables failed, it is not ok, but the others are read).
CREATE TABLE mirror_feed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER UNIQUE,
    prev INTEGER,
    read_at TEXT NOT NULL,
    published_at TEXT NOT NULL,
    holder TEXT NOT NULL,
    tables_read INTEGER NOT NULL,
    rows_read INTEGER NOT NULL,
    body BLOB
);
CREATE INDEX mirror_feed_published ON mirror_feed (published_at);
CREATE TABLE feed_position (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    read_at TEXT,
    at TEXT NOT NULL
);
ALTER TABLE sync_runs ADD COLUMN feed_seq INTEGER;
ALTER TABLE sync_runs ADD COLUMN committed INTEGER NOT NULL DEFAULT 0;
UPDATE sync_runs SET committed = ok;

-- +goose Down
ALTER TABLE sync_runs DROP COLUMN committed;
ALTER TABLE sync_runs DROP COLUMN feed_seq;
DROP TABLE feed_position;
DROP TABLE mirror_feed;
