package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// TestStateCopy moves an install's state file into PostgreSQL with `todai state copy`: every incident keeps its id,
// timeline, claims and grouping, silences and every other table's rows come along, a new incident gets the next id,
// and a second copy into the same schema is refused.
func TestStateCopy(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	file := filepath.Join(t.TempDir(), "state.db")
	local, err := localdb.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	fileStore := escalation.NewStore(local)
	var ids []int64
	for i, key := range []string{"test.shop.a.None.None", "test.shop.b.None.None", "test.shop.c.None.None"} {
		inc, _, err := fileStore.Open(ctx, escalation.Incident{Key: key, Team: "finance", Kind: escalation.KindTest,
			NodeID: "model.shop.orders", TestID: strings.TrimSuffix(key, ".None.None"), OpenedAt: t0.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, inc.ID)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fileStore.Ack(ctx, ids[0], "U0ANA", t0.Add(time.Hour)))
	must(fileStore.Resolve(ctx, ids[1], "inv-2", t0.Add(2*time.Hour)))
	if _, err := fileStore.ClaimSends(ctx, []escalation.SendKey{{Incident: ids[2], Level: 1}}, t0); err != nil {
		t.Fatal(err)
	}
	sil, err := fileStore.Silence(ctx, escalation.Silence{Matchers: []escalation.Matcher{{Field: "team", Value: "finance"}},
		StartsAt: t0, EndsAt: t0.Add(48 * time.Hour), CreatedBy: "U0ANA", Comment: "migration"}, t0)
	must(err)
	for _, q := range []string{
		`INSERT INTO bot_seen (key, seen_at) VALUES ('Ev1', '2026-03-02T09:00:00.000000Z')`,
		`INSERT INTO bot_messages (channel, ts, intent, node, lang, posted_at) VALUES ('C1', '1.0', 'why', 'model.shop.orders', 'ja', '2026-03-02T09:00:00.000000Z')`,
		`INSERT INTO digest_slots (team, slot_key, slot_time, claimed_at, claimed_by, posted_at) VALUES ('finance', '2026-03-02T09:00', '2026-03-02T09:00:00.000000Z', '2026-03-02T09:00:00.000000Z', 'p1', '2026-03-02T09:00:05.000000Z')`,
		`INSERT INTO episode_notices (subject, episode, kind, claimed_at, claimed_by) VALUES ('exposure.shop.board', 1, 'begins', '2026-03-02T09:00:00.000000Z', 'p1')`,
	} {
		if _, err := local.Write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	timeline, err := fileStore.Timeline(ctx, ids[0])
	must(err)
	local.Close()

	pg := statedbtest.URL(t)
	code, out, errOut := cli(t, "state", "copy", "--from", "sqlite://"+file, "--to", pg)
	if code != 0 || !strings.Contains(out, "incidents 3") || !strings.Contains(out, "silences 1") ||
		!strings.Contains(out, "digest_slots 1") || !strings.Contains(out, "bot_messages 1") {
		t.Fatalf("state copy: %d %s %s", code, out, errOut)
	}
	db, err := statedb.OpenPostgres(ctx, pg)
	must(err)
	defer db.Close()
	pgStore := escalation.NewStateStore(db)
	acked, err := pgStore.Get(ctx, ids[0])
	if err != nil || acked.Status != escalation.StatusAcked || acked.AckedBy != "U0ANA" {
		t.Errorf("the acknowledged incident: %+v %v", acked, err)
	}
	if got, err := pgStore.Timeline(ctx, ids[0]); err != nil || len(got) != len(timeline) {
		t.Errorf("its timeline: %d events, want %d (%v)", len(got), len(timeline), err)
	}
	if sent, err := pgStore.SentKeys(ctx); err != nil || !sent[escalation.SendKey{Incident: ids[2], Level: 1}] {
		t.Errorf("the claimed send: %v %v", sent, err)
	}
	if active, err := pgStore.ActiveSilences(ctx, t0.Add(time.Hour)); err != nil || len(active) != 1 || active[0].ID != sil.ID {
		t.Errorf("the silence: %+v %v", active, err)
	}
	next, _, err := pgStore.Open(ctx, escalation.Incident{Key: "test.shop.d.None.None", Team: "finance", Kind: escalation.KindTest,
		NodeID: "model.shop.orders", OpenedAt: t0.Add(3 * time.Hour)})
	if err != nil || next.ID <= ids[2] {
		t.Errorf("a new incident after the copy: id %d (the copied went to %d) %v", next.ID, ids[2], err)
	}
	code, _, errOut = cli(t, "state", "copy", "--from", "sqlite://"+file, "--to", pg)
	if code == 0 || !strings.Contains(errOut, "already holds") {
		t.Errorf("a second copy into the same schema: %d %s", code, errOut)
	}
	missing := filepath.Join(t.TempDir(), "typo.db")
	code, _, errOut = cli(t, "state", "copy", "--from", missing, "--to", statedbtest.URL(t))
	if _, err := os.Stat(missing); code == 0 || !strings.Contains(errOut, "no state file at") || err == nil {
		t.Errorf("a mistyped source: %d %s (created: %v)", code, errOut, err == nil)
	}
}
