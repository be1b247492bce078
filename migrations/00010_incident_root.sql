-- +goose Up
-- One incident per root cause (package scheduler/escalation): an incident whose diagnosed cause is another open
-- incident of its team is grouped under it (parent_id) and has no notices of its own; the root's message lists it.
-- split marks an incident somebody split out of its root's incident with the Split button: it is never grouped
-- again.
ALTER TABLE incidents ADD COLUMN parent_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN split INTEGER NOT NULL DEFAULT 0;
CREATE INDEX incidents_parent ON incidents (parent_id) WHERE parent_id != 0;

-- +goose Down
DROP INDEX incidents_parent;
ALTER TABLE incidents DROP COLUMN split;
ALTER TABLE incidents DROP COLUMN parent_id;
