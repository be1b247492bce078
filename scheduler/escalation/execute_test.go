package escalation

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// groupingSlack posts the sweep's first notices as one message, like the Slack notifier, and can refuse posts: the
// next refuse ones (with err), and every one of the incidents in refuseIncidents (not delivered). log says what it
// saw.
type groupingSlack struct {
	firsts          []int64 // the first notices of the sweep, from the decisions
	posts           int
	refuse          int   // refuse this many posts
	err             error // with this error
	refuseIncidents map[int64]bool
	log             []string
}

func (g *groupingSlack) notifier(ds []Decision) Notifier {
	g.firsts = nil
	for _, d := range ds {
		for _, a := range d.Actions {
			if n, ok := a.(NotifyLevel); ok && n.First && !g.refuseIncidents[d.Incident.ID] {
				g.firsts = append(g.firsts, d.Incident.ID)
			}
		}
	}
	return g
}

func (g *groupingSlack) Notify(_ context.Context, inc Incident, n NotifyLevel) (Delivery, error) {
	if g.refuseIncidents[inc.ID] {
		g.log = append(g.log, fmt.Sprintf("refused %d L%d", inc.ID, n.Level))
		return Delivery{}, fmt.Errorf("slack said no: %w", ErrNotDelivered)
	}
	if g.refuse > 0 {
		g.refuse--
		return Delivery{}, g.err
	}
	g.posts++
	g.log = append(g.log, fmt.Sprintf("notify %d L%d", inc.ID, n.Level))
	if !n.First {
		return Delivery{}, nil
	}
	return Delivery{Message: MessageRef{Channel: "C_TEAM", TS: fmt.Sprintf("200.%d", g.posts)}, With: g.firsts}, nil
}

func (g *groupingSlack) UpdateMessage(_ context.Context, _ Incident, u UpdateMessage) error {
	g.log = append(g.log, "update "+u.Message.TS)
	return nil
}

func (g *groupingSlack) ReplyInThread(_ context.Context, inc Incident, _ ReplyInThread) error {
	g.log = append(g.log, fmt.Sprintf("reply %d", inc.ID))
	return nil
}

func openN(t *testing.T, store *Store, n int) []Incident {
	t.Helper()
	var out []Incident
	for i := range n {
		inc := openIncident()
		inc.Key, inc.OpenedAt = fmt.Sprintf("test.shop.t%d.id.None", i), t0
		got, _, err := store.Open(context.Background(), inc)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got)
	}
	return out
}

func sweepWith(t *testing.T, store *Store, slack *groupingSlack, now time.Time) error {
	t.Helper()
	ctx := context.Background()
	ds, err := Engine{Store: store}.Sweep(ctx, now, func(string) (Policy, bool) { return testPolicy(), true }, Conditions{})
	if err != nil {
		t.Fatal(err)
	}
	return Engine{Store: store}.Execute(ctx, ds, slack.notifier, now, nil)
}

// A grouped first message is recorded for every incident it carries at once, and only one post goes out.
func TestExecuteRecordsAGroupedMessageForAllItsIncidents(t *testing.T) {
	ctx := context.Background()
	store := NewStore(localdbtest.Open(t, ""))
	incs := openN(t, store, 3)
	slack := &groupingSlack{}
	if err := sweepWith(t, store, slack, t0); err != nil {
		t.Fatal(err)
	}
	if slack.posts != 1 {
		t.Errorf("%d posts, want one grouped message", slack.posts)
	}
	for _, inc := range incs {
		got, err := store.Get(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Message != (MessageRef{Channel: "C_TEAM", TS: "200.1"}) || got.LastNotified.Level != 1 {
			t.Errorf("incident %d: message %+v, level %d", inc.ID, got.Message, got.LastNotified.Level)
		}
	}
	// A second sweep: nothing again.
	if err := sweepWith(t, store, slack, t0.Add(time.Minute)); err != nil || slack.posts != 1 {
		t.Errorf("second sweep: %d posts, %v", slack.posts, err)
	}
}

// A notice Slack refused is tried again at the next sweep, up to MaxSendAttempts; a failure that may hide a post
// is never retried.
func TestExecuteRetriesARefusedNotice(t *testing.T) {
	tests := []struct {
		name      string
		refuse    int
		err       error
		wantPosts int // after MaxSendAttempts+1 sweeps
		wantLevel int
		wantEvent string
	}{
		{name: "refused twice, then posted", refuse: 2, err: fmt.Errorf("slack: channel_not_found: %w", ErrNotDelivered),
			wantPosts: 1, wantLevel: 1, wantEvent: "notify_failed"},
		{name: "refused every time: given up after MaxSendAttempts", refuse: 100, err: fmt.Errorf("slack: not_in_channel: %w", ErrNotDelivered),
			wantPosts: 0, wantLevel: 1, wantEvent: "notify_abandoned"},
		{name: "a timeout may hide a post: never retried", refuse: 1, err: errors.New("post: context deadline exceeded"),
			wantPosts: 0, wantLevel: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store := NewStore(localdbtest.Open(t, ""))
			inc := openN(t, store, 1)[0]
			slack := &groupingSlack{refuse: tc.refuse, err: tc.err}
			for i := range MaxSendAttempts + 1 {
				err := sweepWith(t, store, slack, t0.Add(time.Duration(i)*time.Minute))
				if refused := i < tc.refuse && slack.posts == 0; refused != (err != nil) && i < MaxSendAttempts {
					t.Errorf("sweep %d: err = %v", i, err)
				}
			}
			if slack.posts != tc.wantPosts {
				t.Errorf("%d posts, want %d", slack.posts, tc.wantPosts)
			}
			got, err := store.Get(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastNotified.Level != tc.wantLevel {
				t.Errorf("last notified level %d, want %d", got.LastNotified.Level, tc.wantLevel)
			}
			tl, err := store.Timeline(ctx, inc.ID)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			for _, e := range tl {
				counts[e.Event]++
			}
			switch tc.wantEvent {
			case "notify_failed":
				if counts["notify_failed"] != tc.refuse || counts["notified"] != tc.refuse+1 {
					t.Errorf("timeline counts %v", counts)
				}
			case "notify_abandoned":
				want := map[string]int{"opened": 1, "notified": MaxSendAttempts, "notify_failed": MaxSendAttempts - 1, "notify_abandoned": 1}
				if !reflect.DeepEqual(counts, want) {
					t.Errorf("timeline counts %v, want %v", counts, want)
				}
			default:
				if counts["notify_failed"] != 0 || counts["notified"] != 1 {
					t.Errorf("timeline counts %v", counts)
				}
			}
		})
	}
}
