-- +goose Up
-- The Slack bot's own state. bot_seen dedupes redelivered envelopes (events_api by event_id, others by
-- envelope_id) across restarts; rows older than an hour are pruned. bot_messages says what each of Todai's posted
-- messages was about, so a mention in its thread ("@todai why?") knows the node.
CREATE TABLE bot_seen (
    key TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX bot_seen_at ON bot_seen (seen_at);

CREATE TABLE bot_messages (
    channel TEXT NOT NULL,
    ts TEXT NOT NULL,
    intent TEXT NOT NULL,
    node TEXT NOT NULL,
    lang TEXT NOT NULL,
    posted_at TEXT NOT NULL,
    PRIMARY KEY (channel, ts)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE bot_messages;
DROP TABLE bot_seen;
