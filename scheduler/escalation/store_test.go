package escalation

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// fakeSlack records every delivery.
type fakeSlack struct {
	mu   sync.Mutex
	log  []string
	next int
}

func (f *fakeSlack) Notify(_ context.Context, inc Incident, n NotifyLevel) (Delivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := fmt.Sprintf("notify %s L%d/%d mention=%v", inc.Key, n.Level, n.Loop, n.Mention)
	if n.ProbablyCausedBy != nil {
		line += " probably caused by " + n.ProbablyCausedBy.Node
	}
	if n.LinkElementaryAlert != "" {
		line += " link " + n.LinkElementaryAlert
	}
	f.log = append(f.log, line)
	if !n.First {
		return Delivery{}, nil
	}
	f.next++
	return Delivery{Message: MessageRef{Channel: "C_TEAM", TS: fmt.Sprintf("100.%d", f.next)}}, nil
}

func (f *fakeSlack) UpdateMessage(_ context.Context, inc Incident, u UpdateMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf("update %s %s/%s", inc.Key, u.Message.Channel, u.Message.TS))
	return nil
}

func (f *fakeSlack) ReplyInThread(_ context.Context, inc Incident, r ReplyInThread) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, fmt.Sprintf("reply %s %s/%s", inc.Key, r.Message.Channel, r.Message.TS))
	return nil
}

func (f *fakeSlack) notifier([]Decision) Notifier { return f }

func (f *fakeSlack) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.log
	f.log = nil
	return out
}

// TestScenario is a timeline, Alertmanager acceptance style: each step sets the clock, does something, sweeps, and
// says exactly what Slack saw.
func TestScenario(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	store := NewStore(localdbtest.Open(t, path))
	slack := &fakeSlack{}
	pol := testPolicy()
	policies := func(team string) (Policy, bool) { return pol, team == "core" }
	key := "test.shop.not_null_orders_id.id.None"
	var id int64

	sweep := func(now time.Time) []string {
		t.Helper()
		ds, err := Engine{Store: store}.Sweep(ctx, now, policies, Conditions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := (Engine{Store: store}).Execute(ctx, ds, slack.notifier, now, nil); err != nil {
			t.Fatal(err)
		}
		return slack.take()
	}
	steps := []struct {
		at   time.Duration
		do   func(now time.Time)
		want []string
	}{
		{at: 0, do: func(now time.Time) {
			inc := openIncident()
			inc.OpenedAt = now
			got, opened, err := store.Open(ctx, inc)
			if err != nil || !opened {
				t.Fatalf("Open = %v, %v", opened, err)
			}
			id = got.ID
			// Opening the same key again finds the open incident.
			again, opened, err := store.Open(ctx, inc)
			if err != nil || opened || again.ID != id {
				t.Fatalf("second Open = %d, %v, %v", again.ID, opened, err)
			}
		}, want: []string{"notify " + key + " L1/0 mention=false"}},
		{at: time.Minute},
		{at: 119 * time.Minute},
		{at: 120 * time.Minute, want: []string{"notify " + key + " L2/0 mention=true"}},
		// A restart: a new store on the same file, and a sweep at the same instant sends nothing again.
		{at: 121 * time.Minute, do: func(time.Time) { store = NewStore(localdbtest.Open(t, path)) }},
		{at: 150 * time.Minute, do: func(now time.Time) {
			if err := store.Ack(ctx, id, "U_ANA", now); err != nil {
				t.Fatal(err)
			}
		}},
		{at: 240 * time.Minute}, // level 3 would be due: acknowledged, nothing
		{at: 300 * time.Minute, do: func(now time.Time) {
			if err := store.Resolve(ctx, id, "todai", now); err != nil {
				t.Fatal(err)
			}
		}, want: []string{"update " + key + " C_TEAM/100.1", "reply " + key + " C_TEAM/100.1"}},
		{at: 301 * time.Minute},
	}
	for _, st := range steps {
		now := t0.Add(st.at)
		if st.do != nil {
			st.do(now)
		}
		if got := sweep(now); !reflect.DeepEqual(got, st.want) {
			t.Fatalf("at +%s: Slack saw %q, want %q", st.at, got, st.want)
		}
	}
	// Claims are refused once made, across stores.
	if claimed, err := NewStore(localdbtest.Open(t, path)).ClaimSends(ctx, []SendKey{{Incident: id, Level: 2}}, t0); err != nil || claimed[SendKey{Incident: id, Level: 2}] {
		t.Errorf("ClaimSends of a sent key = %v, %v; want nothing claimed", claimed, err)
	}
	tl, err := store.Timeline(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	for _, e := range tl {
		events = append(events, fmt.Sprintf("+%s %s %s %d/%d", e.At.Sub(t0), e.Event, e.Actor, e.Level, e.Loop))
	}
	want := []string{"+0s opened todai 0/0", "+0s notified todai 1/0", "+2h0m0s notified todai 2/0",
		"+2h30m0s acked U_ANA 0/0", "+5h0m0s resolved todai 0/0", "+5h0m0s resolve_announced todai 0/0"}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("timeline:\n%s\nwant\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
	}
	// A new failure of the same key after resolution is a new incident.
	inc := openIncident()
	inc.OpenedAt = t0.Add(6 * time.Hour)
	if got, opened, err := store.Open(ctx, inc); err != nil || !opened || got.ID == id {
		t.Errorf("reopen = %d, %v, %v; want a new incident", got.ID, opened, err)
	}
}

// TestScenarioSnoozeSilenceInhibition: a snooze holds escalation until it expires; a team silence holds a new
// incident entirely; an upstream error lets the first notice out with its cause and holds the rest.
func TestScenarioSnoozeSilenceInhibition(t *testing.T) {
	eachState(t, func(t *testing.T, store *Store) {
		ctx := context.Background()
		slack := &fakeSlack{}
		pol := testPolicy()
		policies := func(string) (Policy, bool) { return pol, true }
		var inh map[string]Cause // the diagnosed cause of each node's incidents
		causeOf := func(_ context.Context, inc Incident) (Cause, bool, error) {
			c, ok := inh[inc.NodeID]
			return c, ok, nil
		}
		sweep := func(now time.Time) []string {
			t.Helper()
			ds, err := Engine{Store: store}.Sweep(ctx, now, policies, Conditions{CauseOf: causeOf})
			if err != nil {
				t.Fatal(err)
			}
			if err := (Engine{Store: store}).Execute(ctx, ds, slack.notifier, now, nil); err != nil {
				t.Fatal(err)
			}
			return slack.take()
		}
		expect := func(now time.Time, want ...string) {
			t.Helper()
			if got := sweep(now); !reflect.DeepEqual(got, want) {
				t.Fatalf("at +%s: Slack saw %q, want %q", now.Sub(t0), got, want)
			}
		}
		a := openIncident()
		a.OpenedAt = t0
		a, _, err := store.Open(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		expect(t0, "notify "+a.Key+" L1/0 mention=false")
		if _, err := store.Snooze(ctx, a.ID, 4*time.Hour, "U_BOB", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		expect(t0.Add(2 * time.Hour))             // level 2 due, snoozed
		expect(t0.Add(5*time.Hour - time.Second)) // still snoozed
		// Expired: escalation resumes, and the message no longer says snoozed.
		expect(t0.Add(5*time.Hour), "notify "+a.Key+" L2/0 mention=true", "update "+a.Key+" C_TEAM/100.1")

		// A silence on team growth's tag.
		sil, err := store.Silence(ctx, Silence{Matchers: []Matcher{{Field: "team", Value: "growth"}, {Field: "tag", Value: "fin*", Glob: true}},
			StartsAt: t0, EndsAt: t0.Add(24 * time.Hour), CreatedBy: "U_BOB", Comment: "backfill"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		b := openIncident()
		b.Key, b.Team, b.TestID, b.OpenedAt = "test.shop.unique_orders_id.id.None", "growth", "test.shop.unique_orders_id", t0.Add(5*time.Hour)
		b, _, err = store.Open(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		expect(t0.Add(5*time.Hour + time.Minute))
		if got, _ := store.Get(ctx, b.ID); got.SilencedBy != sil.ID {
			t.Errorf("incident b silenced_by = %d, want %d", got.SilencedBy, sil.ID)
		}
		// Expiring the silence early lets the first notice out at the next sweep; the silence is still listed.
		if err := store.ExpireSilence(ctx, sil.ID, "U_BOB", t0.Add(6*time.Hour)); err != nil {
			t.Fatal(err)
		}
		expect(t0.Add(6*time.Hour), "notify "+b.Key+" L1/0 mention=false")
		all, err := store.Silences(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("Silences = %d, %v; want the snooze and the silence, expired", len(all), err)
		}
		if act, err := store.ActiveSilences(ctx, t0.Add(6*time.Hour)); err != nil || len(act) != 0 {
			t.Errorf("ActiveSilences = %v, %v; want none", act, err)
		}

		// Inhibition: model.shop.orders' upstream errored.
		inh = map[string]Cause{"model.shop.orders": {Node: "model.shop.stg_orders", Kind: queries.CauseUpstreamError}}
		c := openIncident()
		c.Key, c.TestID, c.OpenedAt = "test.shop.accepted_values_orders_status.status.None", "test.shop.accepted_values_orders_status", t0.Add(7*time.Hour)
		c, _, err = store.Open(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		// a and b, on the same model, are inhibited too: their messages now say what probably caused them.
		expect(t0.Add(7*time.Hour), "notify "+c.Key+" L1/0 mention=false probably caused by model.shop.stg_orders",
			"update "+a.Key+" C_TEAM/100.1", "update "+b.Key+" C_TEAM/100.2")
		expect(t0.Add(12 * time.Hour)) // a, b and c (same model) are all held by the inhibition
		inh = nil
		expect(t0.Add(12*time.Hour+time.Minute), "notify "+a.Key+" L3/0 mention=true", "notify "+b.Key+" L2/0 mention=true",
			"notify "+c.Key+" L2/0 mention=true",
			"update "+a.Key+" C_TEAM/100.1", "update "+b.Key+" C_TEAM/100.2", "update "+c.Key+" C_TEAM/100.3")

		tl, err := store.Timeline(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range tl {
			names = append(names, e.Event)
		}
		if want := []string{"opened", "inhibited", "notified", "uninhibited", "notified"}; !reflect.DeepEqual(names, want) {
			t.Errorf("timeline of c = %v, want %v", names, want)
		}
	})
}

func TestStoreErrors(t *testing.T) {
	eachState(t, func(t *testing.T, store *Store) {
		ctx := context.Background()
		inc := openIncident()
		got, _, err := store.Open(ctx, inc)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			err  error
			is   error
		}{
			{"ack unknown", store.Ack(ctx, 999, "u", t0), ErrNotFound},
			{"resolve", store.Resolve(ctx, got.ID, "todai", t0), nil},
			{"resolve twice", store.Resolve(ctx, got.ID, "todai", t0), nil},
			{"ack resolved", store.Ack(ctx, got.ID, "u", t0), ErrResolved},
			{"expire unknown silence", store.ExpireSilence(ctx, 999, "u", t0), ErrNotFound},
			{"apply unknown", store.Apply(ctx, 999, ClearSilence{}, t0), ErrNotFound},
		}
		for _, tc := range tests {
			if !errors.Is(tc.err, tc.is) {
				t.Errorf("%s: err = %v, want %v", tc.name, tc.err, tc.is)
			}
		}
		_, err = store.Snooze(ctx, got.ID, time.Hour, "u", t0)
		if !errors.Is(err, ErrResolved) {
			t.Errorf("snooze resolved: %v", err)
		}
		bad := []Incident{{Key: "", NodeID: "x", Kind: KindTest, OpenedAt: t0}, {Key: "k", NodeID: "x", Kind: "bogus", OpenedAt: t0}, {Key: "k", NodeID: "x", Kind: KindTest}}
		for _, b := range bad {
			if _, _, err := store.Open(ctx, b); err == nil {
				t.Errorf("Open(%+v) accepted", b)
			}
		}
		for _, s := range []Silence{{StartsAt: t0, EndsAt: t0.Add(time.Hour)}, {Matchers: []Matcher{{Field: "colour", Value: "x"}}, StartsAt: t0, EndsAt: t0.Add(time.Hour)},
			{Matchers: []Matcher{{Field: "node", Value: "x"}}, StartsAt: t0, EndsAt: t0}} {
			if _, err := store.Silence(ctx, s, t0); err == nil {
				t.Errorf("Silence(%+v) accepted", s)
			}
		}
	})
}
