package escalation

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// TestIncidentsSurviveTheUpgrade writes incidents, their timelines, sends and silences as the previous release
// (migration 17) kept them, migrates, and reads every one back through the store: nothing recorded is lost, and the
// incidents resolved before the upgrade read as cleared by Todai.
func TestIncidentsSurviveTheUpgrade(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	old := localdbtest.AtVersion(t, path, 17)
	for _, q := range []string{
		`INSERT INTO incidents (id, key, team, kind, node_id, test_id, status, invocation_id, summary, owners, opened_at,
			notified_level, notified_at, acked_by, acked_at, channel, ts, thread_ts, detected_at)
			VALUES (1, 'test.shop.a.id.None', 'core', 'test', 'model.shop.orders', 'test.shop.a', 'acked', 'inv-1',
			'got 3 results', '["ana@x.io"]', '2026-03-10T09:00:00.000000Z', 1, '2026-03-10T09:00:00.000000Z', 'U_ANA',
			'2026-03-10T09:30:00.000000Z', 'C1', '1.1', '', '2026-03-10T08:55:00.000000Z')`,
		`INSERT INTO incidents (id, key, team, kind, node_id, status, opened_at, resolved_at, resolve_announced, channel, ts)
			VALUES (2, 'model.shop.stg', 'core', 'model', 'model.shop.stg', 'resolved', '2026-03-10T09:00:00.000000Z',
			'2026-03-10T10:00:00.000000Z', 1, 'C1', '1.2')`,
		`INSERT INTO incidents (id, key, team, kind, node_id, status, opened_at, parent_id)
			VALUES (3, 'model.shop.child', 'core', 'model', 'model.shop.child', 'open', '2026-03-10T09:00:00.000000Z', 2)`,
		`INSERT INTO incident_events (incident_id, at, event, actor, level, loop, detail) VALUES
			(1, '2026-03-10T09:00:00.000000Z', 'opened', 'todai', NULL, NULL, ''),
			(1, '2026-03-10T09:00:00.000000Z', 'notified', 'todai', 1, 0, ''),
			(1, '2026-03-10T09:30:00.000000Z', 'acked', 'U_ANA', NULL, NULL, ''),
			(2, '2026-03-10T10:00:00.000000Z', 'resolved', 'todai', NULL, NULL, 'no longer failing in the mirror')`,
		`INSERT INTO sends (incident_id, level, loop, sent_at, channel, ts) VALUES
			(1, 1, 0, '2026-03-10T09:00:00.000000Z', 'C1', '1.1'), (2, 1, 0, '2026-03-10T09:00:00.000000Z', 'C1', '1.2'),
			(2, 0, 0, '2026-03-10T10:00:00.000000Z', 'C1', '1.2')`,
		`INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, created_at) VALUES
			(1, '[{"field":"node","value":"model.shop.orders"}]', '2026-03-10T09:00:00.000000Z',
			'2026-03-20T09:00:00.000000Z', 'U_ANA', 'backfill', '2026-03-10T09:00:00.000000Z')`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := localdb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store := NewStore(db)

	acked, err := store.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if acked.Status != StatusAcked || acked.AckedBy != "U_ANA" || acked.Summary != "got 3 results" ||
		acked.Message.TS != "1.1" || acked.Owners[0] != "ana@x.io" || acked.Resolution != "" || acked.Assignee != "" {
		t.Errorf("incident 1 after the upgrade: %+v", acked)
	}
	resolved, err := store.Get(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if resolved.Status != StatusResolved || resolved.Resolution != ResolutionCleared || resolved.ResolvedBy != "todai" ||
		!resolved.ResolveAnnounced {
		t.Errorf("incident 2 after the upgrade: %+v", resolved)
	}
	if child, err := store.Get(ctx, 3); err != nil || child.ParentID != 2 || child.Status != StatusOpen {
		t.Errorf("incident 3 after the upgrade: %+v, %v", child, err)
	}
	timeline, err := store.Timeline(ctx, 1)
	if err != nil || len(timeline) != 3 || timeline[2].Event != "acked" {
		t.Errorf("timeline of incident 1: %+v, %v", timeline, err)
	}
	// Every recorded send still refuses a second claim of its key: nothing is sent twice after the upgrade.
	keys := []SendKey{{Incident: 1, Level: 1}, {Incident: 2, Level: 1}, {Incident: 2, Level: 0}}
	next := SendKey{Incident: 1, Level: 2}
	claimed, err := store.ClaimSends(ctx, append(keys, next), time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if claimed[k] {
			t.Errorf("send %+v was lost in the upgrade: claimed again", k)
		}
	}
	if !claimed[next] {
		t.Errorf("the next level's send was not claimed: %v", claimed)
	}
	silences, err := store.ActiveSilences(ctx, time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC))
	if err != nil || len(silences) != 1 || silences[0].Comment != "backfill" || silences[0].Matchers[0].Value != "model.shop.orders" {
		t.Errorf("silences after the upgrade: %+v, %v", silences, err)
	}
	// A person may now act on what the previous release recorded.
	if changed, err := store.Take(ctx, 1, "U_BEN", time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)); err != nil || !changed {
		t.Errorf("take an upgraded incident: %v, %v", changed, err)
	}
}
