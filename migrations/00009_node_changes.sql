-- +goose Up
-- Definition history (package queries): Todai is the only party that sees Elementary's artifact tables over time.
-- node_definitions holds each model's and snapshot's definition as last synced: its checksum (the SQL) and its
-- parents. node_changes records every change found at a sync, stamped with the new definition's generated_at (when
-- Elementary uploaded it, UTC).
CREATE TABLE node_definitions (
    unique_id TEXT PRIMARY KEY,
    checksum TEXT,
    parents TEXT NOT NULL DEFAULT '[]'
) WITHOUT ROWID;

CREATE TABLE node_changes (
    id INTEGER PRIMARY KEY,
    unique_id TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    what TEXT NOT NULL,       -- sql (the checksum changed), parents (a parent added or removed)
    old_value TEXT,
    new_value TEXT
);
CREATE INDEX node_changes_node ON node_changes (unique_id, changed_at);

-- +goose Down
DROP INDEX node_changes_node;
DROP TABLE node_changes;
DROP TABLE node_definitions;
