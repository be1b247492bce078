-- +goose Up
-- The scheduler's own state (package scheduler).
-- scheduler_lease: one row; the process whose holder id it names (until expires_at) runs scheduled work, so two
-- `todai serve` on one state file sync and post once. The holder renews it every minute; an expired lease is taken
-- over by the next process that asks.
CREATE TABLE scheduler_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- digest_slots: one row per team and scheduled digest time, claimed in the transaction that inserts it, then
-- posted and marked. slot_key is the slot's wall-clock time in the team's zone ('2006-01-02T15:04'), so the
-- repeated hour of a fall-back DST change is one slot. attempts counts posts tried (a claimed but unposted slot
-- is retried once).
CREATE TABLE digest_slots (
    team TEXT NOT NULL,
    slot_key TEXT NOT NULL,
    slot_time TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    late INTEGER NOT NULL DEFAULT 0,
    posted_at TEXT,
    channel TEXT,
    ts TEXT,
    last_error TEXT,
    PRIMARY KEY (team, slot_key)
) WITHOUT ROWID;
CREATE INDEX digest_slots_time ON digest_slots (team, slot_time);

-- scheduler_state: small keyed values, e.g. when the scheduler first ran a team's digests (slots before that were
-- never missed: Todai was not there to post them).
CREATE TABLE scheduler_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The daily digest's read of the week's run errors (queries.Digest): a small partial index instead of a
-- scan of every run of the week.
CREATE INDEX dbt_run_results_problems ON dbt_run_results (created_at, unique_id, status)
    WHERE status = 'error';

-- +goose Down
DROP INDEX dbt_run_results_problems;
DROP TABLE scheduler_state;
DROP TABLE digest_slots;
DROP TABLE scheduler_lease;
