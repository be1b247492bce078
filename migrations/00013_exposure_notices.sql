-- +goose Up
-- Heads-ups to an exposure's audience (package scheduler): each unsafe episode of an exposure is announced once when
-- it begins (kind unsafe) and once when it ends (kind usable), claimed here before the post so that a restart or a
-- second process never repeats one.
CREATE TABLE exposure_notices (
    exposure_id TEXT NOT NULL,
    episode INTEGER NOT NULL,
    kind TEXT NOT NULL,              -- unsafe, usable
    claimed_at TEXT NOT NULL,
    claimed_by TEXT NOT NULL,
    posted_at TEXT,
    channel TEXT,
    ts TEXT,
    PRIMARY KEY (exposure_id, episode, kind)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE exposure_notices;
