-- +goose Up
-- Incidents as a workflow (package scheduler/escalation). assignee: who took it or was given it (a Slack user ID).
-- priority: the severity a person set (critical, high, normal, low; '' while Todai's, computed from the urgency, is
-- shown) and priority_by who set it. An incident ends with resolved_by (a person, or todai when its problem cleared),
-- its resolution (fixed, expected, no_action_needed, false_positive set by a person; cleared when a run cleared it),
-- an optional note, and cleared_by, the dbt invocation whose result cleared it. reopens: the incident of the same key
-- that was resolved as fixed less than a day before this one opened.
ALTER TABLE incidents ADD COLUMN assignee TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN priority TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN priority_by TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN resolution_note TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN cleared_by TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN reopens INTEGER NOT NULL DEFAULT 0;
-- Every incident resolved before this release was resolved by Todai when its problem cleared.
UPDATE incidents SET resolved_by = 'todai', resolution = 'cleared' WHERE status = 'resolved';
-- A key's latest ended incident (a person's resolution holds for its occurrence; a fix that did not hold reopens),
-- and the ends of the last 30 days (how a test's incidents end; the team's figures).
CREATE INDEX incidents_ended ON incidents (key, id) WHERE status = 'resolved';
CREATE INDEX incidents_resolved_at ON incidents (resolved_at) WHERE status = 'resolved';

-- +goose Down
DROP INDEX incidents_resolved_at;
DROP INDEX incidents_ended;
ALTER TABLE incidents DROP COLUMN reopens;
ALTER TABLE incidents DROP COLUMN cleared_by;
ALTER TABLE incidents DROP COLUMN resolution_note;
ALTER TABLE incidents DROP COLUMN resolution;
ALTER TABLE incidents DROP COLUMN resolved_by;
ALTER TABLE incidents DROP COLUMN priority_by;
ALTER TABLE incidents DROP COLUMN priority;
ALTER TABLE incidents DROP COLUMN assignee;
