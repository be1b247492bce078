-- +goose Up
-- The sync's own bookkeeping beyond sync_state: whether the read model's derived tables (nodes, lineage …) must be
-- rebuilt. A definition table's write sets dirty in the same transaction; the derive transaction clears it. So a
-- failed or interrupted derive is retried by the next sync, with every definition table marked changed.
CREATE TABLE sync_derived (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    dirty INTEGER NOT NULL DEFAULT 0,
    refreshed_at TEXT,
    last_error TEXT,
    last_error_at TEXT
);
INSERT INTO sync_derived (id, dirty) VALUES (1, 0);

-- +goose Down
DROP TABLE sync_derived;
