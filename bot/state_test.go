package bot

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// TestBotState: a delivery is claimed once (until it is pruned); one whose claim expired unanswered (its process
// died) is listed and claimed by another process, once; an answered one is not and its payload is forgotten; what a
// message was about is remembered and rewritten — on the SQLite state file and on PostgreSQL, whose schema several
// replicas share.
func TestBotState(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	statedbtest.Each(t, func(t *testing.T, db *statedb.DB) {
		s := state{db: db}
		env := envelope{Type: "slash_commands", Payload: []byte(`{"command":"/todai","text":"status orders"}`)}
		claim := func(key, holder string, at time.Duration, want bool) {
			t.Helper()
			if got, err := s.claimAnswer(ctx, key, env, holder, t0.Add(at)); err != nil || got != want {
				t.Fatalf("%s claims %s at %s = %v %v, want %v", holder, key, at, got, err, want)
			}
		}
		orphanKeys := func(at time.Duration) []string {
			t.Helper()
			os, err := s.orphans(ctx, t0.Add(at), 10)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, o := range os {
				if o.Type != env.Type || string(o.Payload) != string(env.Payload) {
					t.Errorf("orphan %+v lost its envelope", o)
				}
				keys = append(keys, o.Key)
			}
			return keys
		}
		claim("Ev1", "a", 0, true)
		claim("Ev1", "b", time.Second, false) // a redelivery while a answers
		if err := s.answered(ctx, "Ev1", "a", t0.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		claim("Ev1", "b", time.Minute, false) // answered: never again

		claim("Ev2", "a", 0, true)
		claim("Ev3", "b", 0, true)
		if err := s.answered(ctx, "Ev3", "b", t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.renewAnswers(ctx, "a", t0.Add(20*time.Second)); err != nil { // a's claims: Ev2 only
			t.Fatal(err)
		}
		if keys := orphanKeys(40 * time.Second); len(keys) != 0 {
			t.Fatalf("orphans while a renews: %q", keys)
		}
		// a died: its claim expired at 0:50.
		if keys := orphanKeys(51 * time.Second); len(keys) != 1 || keys[0] != "Ev2" {
			t.Fatalf("orphans after a died = %q, want Ev2", keys)
		}
		claim("Ev2", "b", 51*time.Second, true)
		claim("Ev2", "c", 52*time.Second, false)
		if keys := orphanKeys(11 * time.Minute); len(keys) != 0 {
			t.Fatalf("orphans too old to answer = %q", keys)
		}
		var payload sql.NullString
		if err := db.Reader().QueryRowContext(ctx, `SELECT payload FROM bot_seen WHERE key = 'Ev1'`).Scan(&payload); err != nil || payload.Valid {
			t.Fatalf("an answered envelope's payload is kept: %v %v", payload, err)
		}

		// A claim given back (the queue was full) is an orphan at once.
		claim("Ev4", "a", time.Minute, true)
		if err := s.release(ctx, "Ev4", "a", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if keys := orphanKeys(time.Minute + time.Second); !slices.Contains(keys, "Ev4") {
			t.Fatalf("orphans after a release = %q, want Ev4", keys)
		}

		if err := s.prune(ctx, t0.Add(SeenTTL+time.Minute)); err != nil {
			t.Fatal(err)
		}
		claim("Ev1", "c", 2*SeenTTL, true) // forgotten after SeenTTL
		if _, ok, err := s.topic(ctx, "C1", "1.0"); err != nil || ok {
			t.Fatalf("topic of an unknown message: %v %v", ok, err)
		}
		for _, node := range []string{"model.shop.orders", "model.shop.customers"} {
			if err := s.remember(ctx, "C1", "1.0", messageTopic{Intent: "status", Node: node, Lang: "ja"}, t0); err != nil {
				t.Fatal(err)
			}
		}
		if got, ok, err := s.topic(ctx, "C1", "1.0"); err != nil || !ok || got.Node != "model.shop.customers" || got.Lang != "ja" {
			t.Fatalf("topic = %+v %v %v", got, ok, err)
		}
	})
}
