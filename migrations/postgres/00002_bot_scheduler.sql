-- +goose Up
-- The bot's and the scheduler's own state on PostgreSQL, as the SQLite state file holds them after its migrations
-- 4, 5, 13 and 17: envelope dedupe and what Todai's messages are about (package bot); the lease, digest slots and
-- small keyed values (package scheduler); the notices of episodes (heads-ups, health alerts).
CREATE TABLE bot_seen (
    key TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
);
CREATE INDEX bot_seen_at ON bot_seen (seen_at);

CREATE TABLE bot_messages (
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    intent TEXT NOT NULL,
    node TEXT NOT NULL,
    lang TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (channel, ts)
);

CREATE TABLE scheduler_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

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
);
CREATE INDEX digest_slots_time ON digest_slots (team, slot_time);

CREATE TABLE scheduler_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE episode_notices (
    subject TEXT NOT NULL,
    episode INTEGER NOT NULL,
    kind TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    posted_at TEXT,
    channel TEXT,
    ts TEXT,
    PRIMARY KEY (subject, episode, kind)
);

-- +goose Down
DROP TABLE episode_notices;
DROP TABLE scheduler_state;
DROP TABLE digest_slots;
DROP TABLE scheduler_lease;
DROP TABLE bot_messages;
DROP TABLE bot_seen;
