-- +goose Up
-- The bot's delivery keys become a journal (package bot, state.go): the envelope's type and payload are kept until
-- it is answered, under a claim that the answering process renews, so that when a process dies after acking an
-- envelope and before answering it, another process (a replica sharing the state) answers it instead. The payload
-- is cleared once answered.
ALTER TABLE bot_seen ADD COLUMN envelope_type TEXT;
ALTER TABLE bot_seen ADD COLUMN payload TEXT;
ALTER TABLE bot_seen ADD COLUMN holder TEXT;
ALTER TABLE bot_seen ADD COLUMN expires_at TEXT;
ALTER TABLE bot_seen ADD COLUMN answered_at TEXT;
CREATE INDEX bot_seen_unanswered ON bot_seen (expires_at) WHERE answered_at IS NULL AND payload IS NOT NULL;

-- +goose Down
DROP INDEX bot_seen_unanswered;
ALTER TABLE bot_seen DROP COLUMN answered_at;
ALTER TABLE bot_seen DROP COLUMN expires_at;
ALTER TABLE bot_seen DROP COLUMN holder;
ALTER TABLE bot_seen DROP COLUMN payload;
ALTER TABLE bot_seen DROP COLUMN envelope_type;
