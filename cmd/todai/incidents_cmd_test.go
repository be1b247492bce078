package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/scheduler/escalation"
)

// TestIncidentsCommand works an incident from the command line: list and show read the record, take, severity and
// resolve change it once as cli:$USER, and bad input (an unknown incident, a resolved one, a bad severity or reason,
// a note over the limit) fails with a clear message and changes nothing.
func TestIncidentsCommand(t *testing.T) {
	t.Setenv("USER", "ana")
	cfg := digestConfig(t)
	if code, _, errOut := cli(t, "--config", cfg, "sync"); code != 0 {
		t.Fatalf("sync: %s", errOut)
	}
	ctx := context.Background()
	state := filepath.Join(filepath.Dir(cfg), "state.db")
	db, err := localdb.Open(ctx, state)
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Now().UTC().Add(-time.Hour)
	inc, _, err := escalation.NewStore(db).Open(ctx, escalation.Incident{Key: "test.x.not_null_orders_id.id.None", Team: "finance",
		Kind: escalation.KindTest, NodeID: "model.x.orders", TestID: "test.x.not_null_orders_id", Summary: "got 3 results",
		InvocationID: "inv-1", DetectedAt: opened, OpenedAt: opened})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	id := "1"
	if inc.ID != 1 {
		t.Fatalf("incident id %d", inc.ID)
	}
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return cli(t, append([]string{"--config", cfg, "incidents"}, args...)...)
	}
	if code, out, errOut := run("list"); code != 0 || !strings.Contains(out, "not_null_orders_id on orders") || !strings.Contains(out, "open") {
		t.Fatalf("list: %d\n%s\n%s", code, out, errOut)
	}
	for _, tc := range []struct {
		args      []string
		code      int
		out, fail string
	}{
		{args: []string{"take", id}, out: "incident 1 taken by cli:ana"},
		{args: []string{"take", id}, out: "already is as asked"},
		{args: []string{"severity", id, "urgent"}, code: 1, fail: "use critical, high, normal or low"},
		{args: []string{"assign", id, "ana"}, code: 1, fail: `"ana" is not a Slack user ID`},
		{args: []string{"severity", id, "high"}, out: "incident 1 severity by cli:ana"},
		{args: []string{"take", "999"}, code: 1, fail: "there is no incident 999"},
		{args: []string{"take", "abc"}, code: 1, fail: `"abc" is not an incident ID`},
		{args: []string{"resolve", id, "--reason", "maybe"}, code: 1, fail: "use fixed, expected, no_action_needed or false_positive"},
		{args: []string{"resolve", id, "--reason", "expected", "--note", strings.Repeat("x", escalation.MaxNoteLength+1)}, code: 1, fail: "over 3000"},
		{args: []string{"resolve", id, "--reason", "expected", "--note", "month-end backfill"}, out: "incident 1 resolved by cli:ana"},
		{args: []string{"take", id}, code: 1, fail: "incident 1 is already resolved"},
	} {
		code, out, errOut := run(tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.fail) {
			t.Errorf("incidents %s: exit %d\n%s\n%s\nwant exit %d, %q, %q", strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.out, tc.fail)
		}
	}
	code, out, errOut := run("show", id)
	for _, want := range []string{"Incident 1 — not_null_orders_id on orders", "Severity: high (set by cli:ana)", "Assignee: cli:ana",
		"expected by cli:ana", "Note: month-end backfill", "taken · cli:ana", "severity · cli:ana · high", "resolved · cli:ana · expected: month-end backfill"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show lacks %q: exit %d\n%s\n%s", want, code, out, errOut)
		}
	}
	code, out, _ = run("show", id, "--json")
	var rec struct {
		Status, Resolution, Assignee string
		Timeline                     []struct{ Event string }
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil || code != 0 || rec.Status != "resolved" || rec.Resolution != "expected" || len(rec.Timeline) != 4 {
		t.Errorf("show --json: exit %d %+v %v\n%s", code, rec, err, out)
	}
	if code, out, _ := run("list"); code != 0 || !strings.Contains(out, "No incidents.") {
		t.Errorf("list after the resolution: %s", out)
	}
	if code, out, _ := run("list", "--resolved", "24h"); code != 0 || !strings.Contains(out, "resolved (expected)") {
		t.Errorf("list --resolved: %s", out)
	}
	if code, out, errOut := run("stats", "finance", "--since", "2d"); code != 0 || !strings.Contains(out, "1 opened, 1 acknowledged, 0 still open; 1 resolved") ||
		!strings.Contains(out, "expected: 1") {
		t.Errorf("stats: exit %d\n%s\n%s", code, out, errOut)
	}
}
