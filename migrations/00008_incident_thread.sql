-- +goose Up
-- Linking to edr monitor's alerts (package scheduler/escalation).
-- thread_ts: when an incident's first notice replied under Elementary's own alert message, that message's ts; its
-- later notices and its resolution go in that thread ('' means ts is a top-level message of Todai's).
-- detected_at: when the failure the incident opened for was detected (the failing result's time), so that only an
-- alert edr monitor sent for this occurrence, not an older one, is linked.
ALTER TABLE incidents ADD COLUMN thread_ts TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN detected_at TEXT;

-- +goose Down
ALTER TABLE incidents DROP COLUMN detected_at;
ALTER TABLE incidents DROP COLUMN thread_ts;
