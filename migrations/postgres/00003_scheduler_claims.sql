-- +goose Up
-- The scheduler's claims replace its lease, as the SQLite state file's migration 20 does: a row per job and tick,
-- inserted by the replica that runs that tick, renewed while it runs and marked done after; a claim left running
-- past its expiry (a replica killed mid-job) is taken over. Kept a day.
CREATE TABLE scheduler_claims (
    job TEXT NOT NULL,
    tick TEXT NOT NULL,
    holder TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    done_at TEXT,
    PRIMARY KEY (job, tick)
);
CREATE INDEX scheduler_claims_running ON scheduler_claims (job, expires_at) WHERE done_at IS NULL;
DROP TABLE scheduler_lease;

-- +goose Down
DROP TABLE scheduler_claims;
CREATE TABLE scheduler_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
