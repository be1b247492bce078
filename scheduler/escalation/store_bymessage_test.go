package escalation

import (
	"context"
	"testing"
	"time"
)

func TestByMessage(t *testing.T) {
	eachState(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		var ids []int64
		for _, key := range []string{"test.shop.a.1.None.None", "test.shop.b.2.None.None", "test.shop.c.3.None.None"} {
			inc, opened, err := s.Open(ctx, Incident{Key: key, Team: "finance", Kind: KindTest, NodeID: "model.shop.orders",
				OpenedAt: now})
			if err != nil || !opened {
				t.Fatalf("open %s: %v %v", key, opened, err)
			}
			ids = append(ids, inc.ID)
		}
		// The first two share one message; the third has its own.
		for i, id := range ids {
			ts := "1700000000.000100"
			if i == 2 {
				ts = "1700000000.000200"
			}
			if err := s.SetMessages(ctx, []SendKey{{Incident: id, Level: 1}}, MessageRef{Channel: "C0FIN", TS: ts}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ByMessage(ctx, "C0FIN", "1700000000.000100")
		if err != nil || len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[1] {
			t.Fatalf("ByMessage = %+v, %v; want incidents %d and %d", got, err, ids[0], ids[1])
		}
		if got, err := s.ByMessage(ctx, "C0FIN", "1700000000.999999"); err != nil || len(got) != 0 {
			t.Errorf("an unknown message: %+v %v", got, err)
		}
	})
}
