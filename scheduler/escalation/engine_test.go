package escalation

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
)

// memStore is an IncidentStore in memory: the engine's tests run without SQLite. TestIncidentStoreContract holds it
// to what the SQLite Store does.
type memStore struct {
	mu       sync.Mutex
	incs     map[int64]*Incident
	sends    map[SendKey]bool
	failures map[SendKey]int
	silences []Silence
	events   []string
	readAt   time.Time // the newest plan's ReadAt applied
}

func newMemStore(incs ...Incident) *memStore {
	m := &memStore{incs: map[int64]*Incident{}, sends: map[SendKey]bool{}, failures: map[SendKey]int{}}
	for i := range incs {
		inc := incs[i]
		m.incs[inc.ID] = &inc
	}
	return m
}

func (m *memStore) Pending(context.Context) ([]Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Incident
	for _, inc := range m.incs {
		if inc.Status != StatusResolved ||
			(!inc.ResolveAnnounced && (inc.LastNotified.Level > 0 || inc.ParentID != 0)) {
			out = append(out, *inc)
		}
	}
	slices.SortFunc(out, func(a, b Incident) int { return int(a.ID - b.ID) })
	return out, nil
}

func (m *memStore) Get(_ context.Context, id int64) (Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inc, ok := m.incs[id]
	if !ok {
		return Incident{}, fmt.Errorf("incident %d: %w", id, ErrNotFound)
	}
	return *inc, nil
}

func (m *memStore) ActiveSilences(_ context.Context, now time.Time) ([]Silence, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Silence
	for _, s := range m.silences {
		if s.Active(now) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (m *memStore) SentKeys(context.Context) (map[SendKey]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[SendKey]bool, len(m.sends))
	for k := range m.sends {
		if inc := m.incs[k.Incident]; inc.Status != StatusResolved || !inc.ResolveAnnounced {
			out[k] = true
		}
	}
	return out, nil
}

func (m *memStore) Apply(_ context.Context, id int64, act Action, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	inc := m.incs[id]
	switch a := act.(type) {
	case MarkSilenced:
		inc.SilencedBy = a.SilenceID
	case ClearSilence:
		inc.SilencedBy = 0
	case MarkInhibited:
		inc.InhibitedBy = a.Cause.Node
	case ClearInhibition:
		inc.InhibitedBy = ""
	case MarkGrouped:
		inc.ParentID = a.Root
	case ClearGrouping:
		inc.ParentID = 0
	default:
		return fmt.Errorf("%T is not a marking action", act)
	}
	m.events = append(m.events, fmt.Sprintf("%d %T", id, act))
	return nil
}

func (m *memStore) ClaimSends(_ context.Context, keys []SendKey, now time.Time) (map[SendKey]bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	claimed := map[SendKey]bool{}
	for _, k := range keys {
		if m.sends[k] {
			continue
		}
		m.sends[k], claimed[k] = true, true
		inc := m.incs[k.Incident]
		switch last := inc.LastNotified; {
		case k.Level == ResolveLevel:
			inc.ResolveAnnounced = true
		case k.Loop > last.Loop || (k.Loop == last.Loop && k.Level > last.Level):
			inc.LastNotified = Step{Level: k.Level, Loop: k.Loop, At: now}
		}
	}
	return claimed, nil
}

func (m *memStore) UnclaimSend(_ context.Context, key SendKey, prev Step, _ time.Time, _ string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures[key]++
	if m.failures[key] >= MaxSendAttempts {
		m.events = append(m.events, fmt.Sprintf("%d notify_abandoned", key.Incident))
		return nil
	}
	delete(m.sends, key)
	if inc := m.incs[key.Incident]; inc.LastNotified.Level == key.Level && inc.LastNotified.Loop == key.Loop {
		inc.LastNotified = prev
	}
	return nil
}

func (m *memStore) SetMessages(_ context.Context, keys []SendKey, msg MessageRef) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if inc := m.incs[k.Incident]; inc.Message.TS == "" {
			inc.Message = msg
		}
	}
	return nil
}

func (m *memStore) Unresolved(context.Context) (map[string]Unresolved, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]Unresolved{}
	for _, inc := range m.incs {
		if inc.Status != StatusResolved {
			out[inc.Key] = Unresolved{ID: inc.ID, Team: inc.Team, Subject: cmp.Or(inc.TestID, inc.NodeID),
				DetectedAt: inc.DetectedAt, OpenedAt: inc.OpenedAt,
				WaitsForAlert: inc.LastNotified.Level == 0 && inc.ElementaryAlertID == ""}
		}
	}
	return out, nil
}

func (m *memStore) ApplyReconcile(_ context.Context, plan ReconcilePlan, now time.Time) (opened, resolved []Incident, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !plan.ReadAt.IsZero() {
		if plan.ReadAt.Before(m.readAt) {
			return nil, nil, ErrStaleMirror
		}
		m.readAt = plan.ReadAt
	}
	for id, alert := range plan.Link {
		m.incs[id].ElementaryAlertID = alert
	}
	open := map[string]bool{}
	for _, inc := range m.incs {
		open[inc.Key] = open[inc.Key] || inc.Status != StatusResolved
	}
	for _, w := range plan.Open {
		if open[w.Key] {
			continue // a key already open is left as it is
		}
		ended := m.lastEnded(w.Key)
		if ended.holds(w) {
			continue // a person resolved this very failure
		}
		open[w.Key] = true
		w.ID, w.Status, w.Reopens = int64(len(m.incs)+1), StatusOpen, ended.reopened(w.OpenedAt)
		m.incs[w.ID] = &w
		opened = append(opened, w)
	}
	for _, id := range plan.Resolve {
		inc := m.incs[id]
		inc.Status, inc.ResolvedAt, inc.ResolvedBy, inc.Resolution = StatusResolved, now, "todai", ResolutionCleared
		inc.ClearedBy = plan.ClearedBy[id]
		resolved = append(resolved, *inc)
	}
	return opened, resolved, nil
}

// lastEnded is key's latest resolved incident (zero when none).
func (m *memStore) lastEnded(key string) Ended {
	var e Ended
	for _, inc := range m.incs {
		if inc.Key == key && inc.Status == StatusResolved && inc.ID > e.ID {
			e = Ended{ID: inc.ID, Resolution: inc.Resolution, ResolvedAt: inc.ResolvedAt,
				InvocationID: inc.InvocationID}
		}
	}
	return e
}

// memMirror is the mirror Reconcile reads: the current problems, edr monitor's alerts and the latest results.
type memMirror struct {
	problems []queries.Problem
	alerts   map[string]string
	latest   map[string]queries.ResultRef
	readAt   time.Time
}

// SyncInfo says the mirror read the warehouse at readAt, at t0 when unset.
func (m *memMirror) SyncInfo(context.Context) (queries.SyncInfo, error) {
	return queries.SyncInfo{ReadAt: cmp.Or(m.readAt, t0)}, nil
}

func (m *memMirror) LatestResults(_ context.Context, ids []string) (map[string]queries.ResultRef, error) {
	out := map[string]queries.ResultRef{}
	for _, id := range ids {
		if r, ok := m.latest[id]; ok {
			out[id] = r
		}
	}
	return out, nil
}

func (m *memMirror) Problems(context.Context) ([]queries.Problem, error) { return m.problems, nil }

func (m *memMirror) ElementaryAlerts(_ context.Context, since map[string]time.Time) (map[string]string, error) {
	out := map[string]string{}
	for key := range since {
		if a, ok := m.alerts[key]; ok {
			out[key] = a
		}
	}
	return out, nil
}

// TestEngineReconcileOverMemoryStore: the engine opens an incident per problem in its node's team (warnings only
// where the policy takes them), links edr monitor's alert when it appears before a first notice, and resolves what
// stopped failing — without SQLite.
func TestEngineReconcileOverMemoryStore(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	engine := Engine{Store: store}
	policies := map[string]Policy{"core": testPolicy()}
	policyFor := func(team string) (Policy, bool) { p, ok := policies[team]; return p, ok }
	fail := queries.Problem{Key: "test.shop.not_null_orders_id", Kind: "test", NodeID: "model.shop.orders",
		TestID: "test.shop.not_null_orders_id", Severity: SeverityError, InvocationID: "inv-1", Team: "core"}
	warn := queries.Problem{Key: "test.shop.unique_orders_id", Kind: "test", NodeID: "model.shop.orders",
		TestID: "test.shop.unique_orders_id", Severity: SeverityWarn, InvocationID: "inv-1", Team: "core"}
	errored := queries.Problem{Key: "model.mkt.campaigns", Kind: "model", NodeID: "model.mkt.campaigns",
		Severity: SeverityError, InvocationID: "inv-1", Team: "growth"}
	mirror := &memMirror{problems: []queries.Problem{fail, warn, errored}}

	res, err := engine.Reconcile(ctx, mirror, policyFor, t0)
	if err != nil {
		t.Fatal(err)
	}
	var opened []string
	for _, inc := range res.Opened {
		opened = append(opened, inc.Team+"/"+inc.Key)
	}
	if want := []string{"core/" + fail.Key, "growth/" + errored.Key}; !reflect.DeepEqual(opened, want) {
		t.Fatalf("opened %q, want %q (the warning stays out of core's policy)", opened, want)
	}
	if len(res.Groups) != 2 || res.Groups[0].Team != "core" {
		t.Errorf("groups = %+v, want one per team", res.Groups)
	}

	mirror.alerts = map[string]string{fail.Key: "alert-1"}
	if _, err := engine.Reconcile(ctx, mirror, policyFor, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.Get(ctx, res.Opened[0].ID); got.ElementaryAlertID != "alert-1" {
		t.Errorf("edr monitor's alert not linked: %+v", got)
	}

	mirror.problems = []queries.Problem{errored}
	res, err = engine.Reconcile(ctx, mirror, policyFor, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Opened) != 0 || len(res.Resolved) != 1 || res.Resolved[0].Key != fail.Key {
		t.Errorf("second reconcile: opened %d, resolved %+v; want only %s resolved", len(res.Opened), res.Resolved, fail.Key)
	}
}

// TestEngineOverMemoryStore runs the engine on an in-memory store: first notices of one team go out as one
// message, claimed once; a refused notice is given back and tried again until MaxSendAttempts; an incident its
// root's incident explains is grouped under it and its root's message rewritten, with no notice of its own.
func TestEngineOverMemoryStore(t *testing.T) {
	ctx := context.Background()
	mk := func(id int64, test string) Incident {
		return Incident{ID: id, Key: test + ".id.None", Team: "core", Kind: KindTest, NodeID: "model.shop.orders",
			TestID: test, Severity: SeverityError, Status: StatusOpen, OpenedAt: t0, InvocationID: "inv-1"}
	}
	a, b := mk(1, "test.shop.not_null_orders_id"), mk(2, "test.shop.unique_orders_id")
	store := newMemStore(a, b)
	slack := &groupingSlack{refuseIncidents: map[int64]bool{}}
	causes := map[int64]Cause{}
	engine := Engine{Store: store}
	pol := testPolicy()
	sweep := func(now time.Time) []string {
		t.Helper()
		cond := Conditions{CauseOf: func(_ context.Context, inc Incident) (Cause, bool, error) {
			c, ok := causes[inc.ID]
			return c, ok, nil
		}}
		ds, err := engine.Sweep(ctx, now, func(string) (Policy, bool) { return pol, true }, cond)
		if err != nil {
			t.Fatal(err)
		}
		if err := engine.Execute(ctx, ds, slack.notifier, now, nil); err != nil && !errorsIsNotDelivered(err) {
			t.Fatal(err)
		}
		out := slack.log
		slack.log = nil
		return out
	}
	expect := func(at time.Duration, want ...string) {
		t.Helper()
		if got := sweep(t0.Add(at)); !reflect.DeepEqual(got, want) {
			t.Fatalf("at +%s: %q, want %q", at, got, want)
		}
	}

	// Both first notices go out in one message; nothing twice.
	expect(0, "notify 1 L1")
	if got, _ := store.Get(ctx, 2); got.Message.TS != "200.1" || got.LastNotified.Level != 1 {
		t.Fatalf("b went with a's message: %+v", got)
	}
	expect(time.Minute)

	// c is refused: given back and tried again at each sweep, until MaxSendAttempts.
	c := mk(3, "test.shop.accepted_values_orders_status")
	c.OpenedAt, c.InvocationID = t0.Add(time.Hour), "inv-2"
	store.incs[c.ID] = &c
	slack.refuseIncidents[c.ID] = true
	for i := range MaxSendAttempts {
		expect(time.Hour+time.Duration(i)*time.Minute, "refused 3 L1")
	}
	expect(time.Hour + MaxSendAttempts*time.Minute) // given up: the claim stays
	if !slices.Contains(store.events, "3 notify_abandoned") {
		t.Errorf("events %q lack the abandoned notice", store.events)
	}

	// d's diagnosed cause is a's failure: grouped under a, a's message rewritten, no notice for d.
	d := mk(4, "test.shop.relationships_orders_customer_id")
	d.NodeID, d.OpenedAt = "model.shop.fct_orders", t0.Add(90*time.Minute)
	store.incs[d.ID] = &d
	causes[d.ID] = Cause{Node: a.TestID, Kind: queries.CauseUpstreamTestFailed}
	expect(90*time.Minute, "update 200.1")
	if got, _ := store.Get(ctx, 4); got.ParentID != 1 || got.LastNotified.Level != 0 {
		t.Errorf("d = %+v, want grouped under a without a notice", got)
	}
}

func errorsIsNotDelivered(err error) bool { return errors.Is(err, ErrNotDelivered) }
