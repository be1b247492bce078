package bot

import (
	"context"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// TestBotState: a delivery key is new once (until it is pruned), and what a message was about is remembered and
// rewritten — on the SQLite state file and on PostgreSQL, whose schema several replicas share.
func TestBotState(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	statedbtest.Each(t, func(t *testing.T, db *statedb.DB) {
		s := state{db: db}
		for i, want := range []bool{true, false} {
			if got, err := s.firstSeen(ctx, "Ev1", t0); err != nil || got != want {
				t.Fatalf("firstSeen #%d = %v %v, want %v", i+1, got, err, want)
			}
		}
		if err := s.prune(ctx, t0.Add(SeenTTL+time.Second)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.firstSeen(ctx, "Ev1", t0.Add(2*SeenTTL)); err != nil || !got {
			t.Fatalf("firstSeen after pruning = %v %v", got, err)
		}
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
