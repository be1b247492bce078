-- +goose Up
-- The escalation engine's state (package scheduler/escalation). Times are UTC text in the mirror's layout.
-- incidents: one row per problem from opening to resolution; at most one unresolved incident per key.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,                    -- like alert_class_id: test <unique_id>.<column|None>.<sub_type|None>, else the node
    team TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,                   -- test, model, freshness
    node_id TEXT NOT NULL,
    test_id TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL DEFAULT 'ERROR',
    status TEXT NOT NULL DEFAULT 'open',  -- open, acked, resolved
    invocation_id TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    owners TEXT NOT NULL DEFAULT '[]',    -- JSON list
    tags TEXT NOT NULL DEFAULT '[]',      -- JSON list
    opened_at TEXT NOT NULL,
    notified_level INTEGER NOT NULL DEFAULT 0,
    notified_loop INTEGER NOT NULL DEFAULT 0,
    notified_at TEXT,
    acked_by TEXT NOT NULL DEFAULT '',
    acked_at TEXT,
    resolved_at TEXT,
    resolve_announced INTEGER NOT NULL DEFAULT 0,
    silenced_by INTEGER NOT NULL DEFAULT 0,
    inhibited_by TEXT NOT NULL DEFAULT '',
    elementary_alert_id TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    ts TEXT NOT NULL DEFAULT '',
    CHECK (status IN ('open', 'acked', 'resolved')),
    CHECK (kind IN ('test', 'model', 'freshness'))
);
CREATE UNIQUE INDEX incidents_unresolved_key ON incidents (key) WHERE status <> 'resolved';
-- The sweep reads the incidents still to act on: unresolved, or resolved with the resolution not yet announced.
CREATE INDEX incidents_pending ON incidents (status, resolve_announced);

-- Every transition, with its actor: opened, notified (level, loop), acked, snoozed, silenced, unsilenced,
-- inhibited, uninhibited, resolved, resolve_announced.
CREATE TABLE incident_events (
    id INTEGER PRIMARY KEY,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    level INTEGER,
    loop INTEGER,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);

-- Silences and snoozes. They expire (ends_at moves to the expiry) and are never deleted.
CREATE TABLE silences (
    id INTEGER PRIMARY KEY,
    matchers TEXT NOT NULL,               -- JSON list of {field, value, glob}
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expired_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX silences_ends ON silences (ends_at);

-- The idempotency key of every send: (incident, level, loop); level 0 is the resolution notice. A send is recorded
-- here before or as it goes out; a second record of the same key is refused, across restarts too.
CREATE TABLE sends (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    level INTEGER NOT NULL,
    loop INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT '',
    ts TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, level, loop)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE sends;
DROP TABLE silences;
DROP TABLE incident_events;
DROP TABLE incidents;
