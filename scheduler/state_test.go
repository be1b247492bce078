package scheduler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// TestDigestClaims: a slot is claimed once, by one holder; an unposted claim is taken again only after the claim
// timeout and only for its one retry; the first run of a team's digests is remembered; the slots and their totals
// read back — on each state engine.
func TestDigestClaims(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	statedbtest.Each(t, func(t *testing.T, db *statedb.DB) {
		a := &digests{db: db, holder: "a", claimTimeout: DefaultClaimTimeout, logger: quiet(), now: func() time.Time { return t0 }}
		b := &digests{db: db, holder: "b", claimTimeout: DefaultClaimTimeout, logger: quiet(), now: func() time.Time { return t0 }}
		for i, step := range []struct {
			d    *digests
			at   time.Duration
			late bool
			want bool
		}{
			{a, 0, false, true},                        // a claims it
			{b, time.Second, false, false},             // claimed, unposted, not yet timed out
			{b, DefaultClaimTimeout, true, true},       // timed out: b takes it for its retry
			{a, 3 * DefaultClaimTimeout, false, false}, // no third attempt
		} {
			got, err := step.d.claim(ctx, "finance", "2026-03-02T09:00", t0, t0.Add(step.at), step.late)
			if err != nil {
				t.Fatal(err)
			}
			if got != step.want {
				t.Fatalf("step %d: %s claim = %v, want %v", i, step.d.holder, got, step.want)
			}
		}
		if ok, err := a.claim(ctx, "Finance", "2026-03-02T09:00", t0, t0, false); err != nil || !ok {
			t.Fatalf("another team's slot: %v %v", ok, err)
		}
		first, err := a.since(ctx, "finance", t0)
		if err != nil || !first.Equal(t0) {
			t.Fatalf("since = %s %v", first, err)
		}
		if again, err := b.since(ctx, "finance", t0.Add(time.Hour)); err != nil || !again.Equal(t0) {
			t.Fatalf("since, asked again later = %s %v", again, err)
		}
		slots, err := Slots(ctx, db, "finance")
		if err != nil || len(slots) != 1 || slots[0].Attempts != 2 || slots[0].Late { // late is the first claim's
			t.Fatalf("slots = %+v %v", slots, err)
		}
		totals, err := Digests(ctx, db)
		if err != nil || len(totals) != 2 || totals[0].Posted != 0 {
			t.Fatalf("totals = %+v %v", totals, err)
		}
	})
}

// TestEpisodeNotices: a subject's bad state is told once when it begins and once when it ends, across holders; a
// failed post gives its claim back, so the next run tells it — on each state engine.
func TestEpisodeNotices(t *testing.T) {
	ctx := context.Background()
	statedbtest.Each(t, func(t *testing.T, db *statedb.DB) {
		var told []bool
		fail := true
		post := func(_ context.Context, begins bool) (string, string, error) {
			if fail {
				fail = false
				return "", "", errors.New("slack is down")
			}
			told = append(told, begins)
			return "C1", "1.0", nil
		}
		a, b := episodes{db: db, holder: "a", log: quiet()}, episodes{db: db, holder: "b", log: quiet()}
		now := "2026-03-02T09:00:00.000000Z"
		if err := a.update(ctx, "exposure.x", true, now, post); err == nil {
			t.Fatal("a failed post is not an error")
		}
		for _, step := range []struct {
			e   episodes
			bad bool
		}{{a, true}, {b, true}, {b, false}, {a, false}, {a, true}} {
			if err := step.e.update(ctx, "exposure.x", step.bad, now, post); err != nil {
				t.Fatal(err)
			}
		}
		if len(told) != 3 || !told[0] || told[1] || !told[2] {
			t.Fatalf("told %v, want begins, ends, begins", told)
		}
		episode, open, err := b.current(ctx, "exposure.x")
		if err != nil || episode != 2 || !open {
			t.Fatalf("current = %d %v %v", episode, open, err)
		}
	})
}
