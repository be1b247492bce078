package escalation

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb/localdbtest"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// TestIncidentStoreContract runs one contract against every IncidentStore: the Store on SQLite (one replica) and on
// PostgreSQL (several), and the in-memory store of the engine's tests, so that the engine's tests prove what
// production does.
func TestIncidentStoreContract(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) IncidentStore{
		"sqlite":   func(t *testing.T) IncidentStore { return NewStore(localdbtest.Open(t, "")) },
		"postgres": func(t *testing.T) IncidentStore { return NewStateStore(statedbtest.Postgres(t)) },
		"memory":   func(*testing.T) IncidentStore { return newMemStore() },
	} {
		t.Run(name, func(t *testing.T) { incidentStoreContract(t, open) })
	}
}

// eachState runs test on a Store over each state engine: a SQLite state file and a PostgreSQL schema.
func eachState(t *testing.T, test func(t *testing.T, store *Store)) {
	t.Helper()
	statedbtest.Each(t, func(t *testing.T, db *statedb.DB) { test(t, NewStateStore(db)) })
}

// incidentStoreContract is what any IncidentStore does: run it against a new implementation.
func incidentStoreContract(t *testing.T, open func(t *testing.T) IncidentStore) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	want := func(key, team string) Incident {
		return Incident{Key: key, Kind: KindTest, Team: team, NodeID: "model.shop.orders", TestID: "test.shop." + key,
			Severity: SeverityError, InvocationID: "inv-1", DetectedAt: t0.Add(-5 * time.Minute), OpenedAt: t0,
			Owners: []string{"@jane"}, Tags: []string{}}
	}
	// seed opens incidents a, b and c of team finance.
	seed := func(t *testing.T) (IncidentStore, []Incident) {
		t.Helper()
		s := open(t)
		opened, _, err := s.ApplyReconcile(ctx, ReconcilePlan{Open: []Incident{want("a", "finance"), want("b", "finance"),
			want("c", "finance")}}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if len(opened) != 3 {
			t.Fatalf("opened %d incidents, want 3", len(opened))
		}
		return s, opened
	}

	t.Run("open once per key, and read back", func(t *testing.T) {
		s, opened := seed(t)
		again, _, err := s.ApplyReconcile(ctx, ReconcilePlan{Open: []Incident{want("a", "finance")}}, t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 0 {
			t.Errorf("a key already open was opened again: %+v", again)
		}
		un, err := s.Unresolved(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(un) != 3 || un["a"].ID != opened[0].ID || un["a"].Team != "finance" || !un["a"].WaitsForAlert {
			t.Errorf("unresolved = %+v", un)
		}
		got, err := s.Get(ctx, opened[1].ID)
		if err != nil || got.Key != "b" || got.Status != StatusOpen || got.TestID != "test.shop.b" || !got.OpenedAt.Equal(t0) {
			t.Errorf("Get = %+v, %v", got, err)
		}
		if _, err := s.Get(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get of an unknown incident: %v, want ErrNotFound", err)
		}
		pending, err := s.Pending(ctx)
		if err != nil || len(pending) != 3 {
			t.Errorf("pending = %d, %v; want the 3 open", len(pending), err)
		}
	})

	t.Run("a send is claimed once, and given back up to the limit", func(t *testing.T) {
		s, opened := seed(t)
		a, b := opened[0].ID, opened[1].ID
		first := []SendKey{{Incident: a, Level: 1}, {Incident: b, Level: 1}}
		claimed, err := s.ClaimSends(ctx, first, t0)
		if err != nil || len(claimed) != 2 {
			t.Fatalf("claimed %v, %v", claimed, err)
		}
		if again, err := s.ClaimSends(ctx, first, t0); err != nil || len(again) != 0 {
			t.Errorf("claimed twice: %v, %v", again, err)
		}
		inc, _ := s.Get(ctx, a)
		if inc.LastNotified.Level != 1 {
			t.Errorf("last notified %+v after claiming level 1", inc.LastNotified)
		}
		sent, err := s.SentKeys(ctx)
		if err != nil || !sent[first[0]] || !sent[first[1]] || len(sent) != 2 {
			t.Errorf("sent keys %v, %v", sent, err)
		}
		// Slack refused b's notice: the claim is given back, and b's last notice is what it was.
		if err := s.UnclaimSend(ctx, first[1], Step{}, t0, "channel_not_found"); err != nil {
			t.Fatal(err)
		}
		if inc, _ := s.Get(ctx, b); inc.LastNotified.Level != 0 {
			t.Errorf("b's last notice %+v after its claim was given back", inc.LastNotified)
		}
		for attempt := 2; attempt <= MaxSendAttempts; attempt++ {
			if got, _ := s.ClaimSends(ctx, first[1:], t0); !got[first[1]] {
				t.Fatalf("attempt %d: the given-back send was not claimed again", attempt)
			}
			if err := s.UnclaimSend(ctx, first[1], Step{}, t0, "channel_not_found"); err != nil {
				t.Fatal(err)
			}
		}
		// After MaxSendAttempts refusals the send is given up: it stays claimed.
		if got, _ := s.ClaimSends(ctx, first[1:], t0); len(got) != 0 {
			t.Errorf("a send given up after %d attempts was claimed again", MaxSendAttempts)
		}
	})

	t.Run("messages, marks and links", func(t *testing.T) {
		s, opened := seed(t)
		a, b := opened[0].ID, opened[1].ID
		keys := []SendKey{{Incident: a, Level: 1}, {Incident: b, Level: 1}}
		if _, err := s.ClaimSends(ctx, keys, t0); err != nil {
			t.Fatal(err)
		}
		msg := MessageRef{Channel: "C0FIN", TS: "1740906000.000100"}
		if err := s.SetMessages(ctx, keys, msg); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMessages(ctx, keys[:1], MessageRef{Channel: "C0FIN", TS: "1740906999.000100"}); err != nil {
			t.Fatal(err)
		}
		if inc, _ := s.Get(ctx, a); inc.Message.TS != msg.TS {
			t.Errorf("a's message %+v: the first message stays the incident's", inc.Message)
		}
		for _, act := range []Action{MarkSilenced{SilenceID: 7}, MarkInhibited{Cause: Cause{Node: "model.shop.stg"}},
			MarkGrouped{Root: a}} {
			if err := s.Apply(ctx, b, act, t0); err != nil {
				t.Fatal(err)
			}
		}
		inc, _ := s.Get(ctx, b)
		if inc.SilencedBy != 7 || inc.InhibitedBy != "model.shop.stg" || inc.ParentID != a {
			t.Errorf("b after the marks: %+v", inc)
		}
		for _, act := range []Action{ClearSilence{}, ClearInhibition{}, ClearGrouping{}} {
			if err := s.Apply(ctx, b, act, t0); err != nil {
				t.Fatal(err)
			}
		}
		if inc, _ := s.Get(ctx, b); inc.SilencedBy != 0 || inc.InhibitedBy != "" || inc.ParentID != 0 {
			t.Errorf("b after the clears: %+v", inc)
		}
		if _, _, err := s.ApplyReconcile(ctx, ReconcilePlan{Link: map[int64]string{opened[2].ID: "alert-9"}}, t0); err != nil {
			t.Fatal(err)
		}
		if inc, _ := s.Get(ctx, opened[2].ID); inc.ElementaryAlertID != "alert-9" {
			t.Errorf("c's alert %q, want alert-9", inc.ElementaryAlertID)
		}
	})

	t.Run("a plan from a mirror read before the last applied one is refused whole", func(t *testing.T) {
		s, opened := seed(t)
		newer := ReconcilePlan{Open: []Incident{want("d", "finance")}, ReadAt: t0}
		if _, _, err := s.ApplyReconcile(ctx, newer, t0); err != nil {
			t.Fatal(err)
		}
		older := ReconcilePlan{Resolve: []int64{opened[0].ID}, Open: []Incident{want("e", "finance")},
			ReadAt: t0.Add(-time.Minute)}
		if _, _, err := s.ApplyReconcile(ctx, older, t0.Add(time.Minute)); !errors.Is(err, ErrStaleMirror) {
			t.Fatalf("older mirror's plan: %v, want ErrStaleMirror", err)
		}
		if got, err := s.Get(ctx, opened[0].ID); err != nil || got.Status != StatusOpen {
			t.Fatalf("incident %+v, %v: resolved by a stale plan", got, err)
		}
		same := ReconcilePlan{Resolve: []int64{opened[0].ID}, ReadAt: t0}
		if _, resolved, err := s.ApplyReconcile(ctx, same, t0.Add(2*time.Minute)); err != nil || len(resolved) != 1 {
			t.Fatalf("a plan from the same read: %+v, %v", resolved, err)
		}
	})

	t.Run("a resolution stays pending until it is announced", func(t *testing.T) {
		s, opened := seed(t)
		a, c := opened[0].ID, opened[2].ID
		if _, err := s.ClaimSends(ctx, []SendKey{{Incident: a, Level: 1}}, t0); err != nil {
			t.Fatal(err)
		}
		_, resolved, err := s.ApplyReconcile(ctx, ReconcilePlan{Resolve: []int64{a, c}}, t0.Add(time.Hour))
		if err != nil || len(resolved) != 2 || resolved[0].Status != StatusResolved {
			t.Fatalf("resolved %+v, %v", resolved, err)
		}
		pendingIDs := func() []int64 {
			t.Helper()
			pending, err := s.Pending(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, inc := range pending {
				ids = append(ids, inc.ID)
			}
			return ids
		}
		// a was notified: its resolution must be announced; c never was: nothing to announce.
		if ids := pendingIDs(); !slices.Contains(ids, a) || slices.Contains(ids, c) {
			t.Errorf("pending %v: want a (resolution to announce), not c (never notified)", ids)
		}
		if sent, _ := s.SentKeys(ctx); !sent[SendKey{Incident: a, Level: 1}] {
			t.Errorf("a's sends are forgotten before its resolution is announced: %v", sent)
		}
		if _, err := s.ClaimSends(ctx, []SendKey{{Incident: a, Level: ResolveLevel}}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if ids := pendingIDs(); slices.Contains(ids, a) {
			t.Errorf("pending %v: a's resolution was announced", ids)
		}
		if sent, _ := s.SentKeys(ctx); len(sent) != 0 {
			t.Errorf("sent keys of incidents no longer pending: %v", sent)
		}
		if un, _ := s.Unresolved(ctx); len(un) != 1 {
			t.Errorf("unresolved %v, want b alone", un)
		}
	})
}
