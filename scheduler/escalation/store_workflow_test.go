package escalation

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries"
	"github.com/todai-dev/todai/queries/localdb/localdbtest"
)

// TestWorkflow takes, assigns, sets the severity of and resolves an incident, each change once, and refuses what
// cannot be done without changing anything.
func TestWorkflow(t *testing.T) {
	eachState(t, func(t *testing.T, store *Store) {
		ctx := context.Background()
		inc, _, err := store.Open(ctx, openIncident())
		if err != nil {
			t.Fatal(err)
		}
		id := inc.ID
		step := func(name string, changed bool, err error, wantChanged bool) {
			t.Helper()
			if err != nil || changed != wantChanged {
				t.Errorf("%s: changed %v, err %v; want changed %v", name, changed, err, wantChanged)
			}
		}
		changed, err := store.Take(ctx, id, "U_ANA", t0.Add(time.Minute))
		step("take", changed, err, true)
		changed, err = store.Take(ctx, id, "U_ANA", t0.Add(2*time.Minute))
		step("take again (a double click)", changed, err, false)
		got, _ := store.Get(ctx, id)
		if got.Assignee != "U_ANA" || got.Status != StatusAcked || got.AckedBy != "U_ANA" {
			t.Errorf("after take: assignee %q, status %s, acked by %q", got.Assignee, got.Status, got.AckedBy)
		}
		changed, err = store.Assign(ctx, id, "U_BEN", "U_ANA", t0.Add(3*time.Minute))
		step("assign", changed, err, true)
		changed, err = store.SetPriority(ctx, id, PriorityNormal, "U_BEN", t0.Add(4*time.Minute))
		step("severity", changed, err, true)
		changed, err = store.SetPriority(ctx, id, PriorityHigh, "U_BEN", t0.Add(5*time.Minute))
		step("severity raised", changed, err, true)
		changed, err = store.SetPriority(ctx, id, PriorityHigh, "U_BEN", t0.Add(6*time.Minute))
		step("severity again", changed, err, false)

		for _, bad := range []struct {
			name string
			err  error
			is   error
		}{
			{"unknown severity", second(store.SetPriority(ctx, id, "urgent", "U_BEN", t0)), ErrInvalid},
			{"assign nobody", second(store.Assign(ctx, id, "", "U_BEN", t0)), ErrInvalid},
			{"take an unknown incident", second(store.Take(ctx, 999, "U_BEN", t0)), ErrNotFound},
			{"unknown resolution", store.ResolveAs(ctx, id, "cleared", "", "U_BEN", t0), ErrInvalid},
			{"a note over the limit", store.ResolveAs(ctx, id, ResolutionFixed, strings.Repeat("あ", MaxNoteLength+1), "U_BEN", t0), ErrInvalid},
			{"resolve an unknown incident", store.ResolveAs(ctx, 999, ResolutionFixed, "", "U_BEN", t0), ErrNotFound},
		} {
			if !errors.Is(bad.err, bad.is) {
				t.Errorf("%s: err = %v, want %v", bad.name, bad.err, bad.is)
			}
		}
		if got, _ := store.Get(ctx, id); got.Status != StatusAcked || got.Priority != PriorityHigh || got.Assignee != "U_BEN" {
			t.Fatalf("a refused change changed the incident: %+v", got)
		}

		note := strings.Repeat("あ", MaxNoteLength)
		if err := store.ResolveAs(ctx, id, ResolutionFalsePositive, note, "U_BEN", t0.Add(7*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := store.ResolveAs(ctx, id, ResolutionFixed, "", "U_ANA", t0.Add(8*time.Minute)); !errors.Is(err, ErrResolved) {
			t.Errorf("resolving twice: %v, want ErrResolved", err)
		}
		for name, err := range map[string]error{
			"take a resolved incident":     second(store.Take(ctx, id, "U_ANA", t0)),
			"severity of a resolved one":   second(store.SetPriority(ctx, id, PriorityLow, "U_ANA", t0)),
			"assign a resolved incident":   second(store.Assign(ctx, id, "U_ANA", "U_ANA", t0)),
			"acknowledge a resolved one":   store.Ack(ctx, id, "U_ANA", t0),
			"snooze a resolved incident":   second(store.Snooze(ctx, id, time.Hour, "U_ANA", t0)),
			"resolve a resolved one again": store.ResolveAs(ctx, id, ResolutionExpected, "", "U_ANA", t0),
		} {
			if !errors.Is(err, ErrResolved) {
				t.Errorf("%s: %v, want ErrResolved", name, err)
			}
		}
		got, _ = store.Get(ctx, id)
		if got.Status != StatusResolved || got.Resolution != ResolutionFalsePositive || got.ResolvedBy != "U_BEN" ||
			got.ResolutionNote != note || !got.ResolveAnnounced || got.Priority != PriorityHigh || got.PriorityBy != "U_BEN" {
			t.Errorf("after resolve: %+v", got)
		}
		timeline, err := store.Timeline(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var events []string
		for _, e := range timeline {
			detail := e.Detail
			if len(detail) > 20 {
				detail = detail[:len("false_positive")] + "…"
			}
			events = append(events, e.Event+" "+e.Actor+" "+detail)
		}
		want := []string{"opened todai ", "taken U_ANA ", "assigned U_ANA U_BEN", "severity U_BEN normal",
			"severity U_BEN high (was normal)", "resolved U_BEN false_positive…"}
		if strings.Join(events, "\n") != strings.Join(want, "\n") {
			t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(events, "\n"), strings.Join(want, "\n"))
		}
	})
}

func second[T any](_ T, err error) error { return err }

// TestResolutionHoldsAndReopens: a person's resolution holds for the failure it was given for (the same failure still
// in the mirror does not open it again), a later failure is a new incident, and one within a day of a fix reopens it.
func TestResolutionHoldsAndReopens(t *testing.T) {
	ctx := context.Background()
	failure := func(invocation string, detected time.Time) Incident {
		inc := openIncident()
		inc.ID, inc.InvocationID, inc.DetectedAt, inc.OpenedAt = 0, invocation, detected, detected.Add(time.Minute)
		return inc
	}
	tests := []struct {
		name       string
		resolution Resolution
		next       Incident
		wantOpened bool
		wantReopen bool
	}{
		{"expected: the same failure stays resolved", ResolutionExpected, failure("inv-1", t0), false, false},
		{"false positive: the same invocation stays resolved", ResolutionFalsePositive, failure("inv-1", t0.Add(time.Hour)), false, false},
		{"expected: a later run's failure is new", ResolutionExpected, failure("inv-2", t0.Add(time.Hour)), true, false},
		{"fixed: a failure within a day reopens", ResolutionFixed, failure("inv-2", t0.Add(20*time.Hour)), true, true},
		// The test failed again before the person resolved it: they saw that failure too.
		{"fixed: a repeat detected before the fix is covered", ResolutionFixed, failure("inv-2", t0.Add(5*time.Minute)), false, false},
		{"expected: a repeat detected before it is covered", ResolutionExpected, failure("inv-2", t0.Add(5*time.Minute)), false, false},
		{"fixed: a failure after a day is new", ResolutionFixed, failure("inv-2", t0.Add(30*time.Hour)), true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := NewStore(localdbtest.Open(t, ""))
			first, _, err := store.Open(ctx, failure("inv-1", t0))
			if err != nil {
				t.Fatal(err)
			}
			if err := store.ResolveAs(ctx, first.ID, tc.resolution, "", "U_ANA", t0.Add(10*time.Minute)); err != nil {
				t.Fatal(err)
			}
			opened, _, err := store.ApplyReconcile(ctx, ReconcilePlan{Open: []Incident{tc.next}}, tc.next.OpenedAt)
			if err != nil {
				t.Fatal(err)
			}
			if (len(opened) == 1) != tc.wantOpened {
				t.Fatalf("opened %d incidents, want opened %v", len(opened), tc.wantOpened)
			}
			if !tc.wantOpened {
				return
			}
			if reopens := opened[0].Reopens == first.ID; reopens != tc.wantReopen {
				t.Errorf("reopens = %d, want reopening %v of %d", opened[0].Reopens, tc.wantReopen, first.ID)
			}
			timeline, _ := store.Timeline(ctx, opened[0].ID)
			saysReopened := len(timeline) > 1 && timeline[len(timeline)-1].Event == "reopened"
			if saysReopened != tc.wantReopen {
				t.Errorf("timeline %+v: reopened event %v, want %v", timeline, saysReopened, tc.wantReopen)
			}
		})
	}
	t.Run("cleared by Todai never holds", func(t *testing.T) {
		store := NewStore(localdbtest.Open(t, ""))
		first, _, _ := store.Open(ctx, failure("inv-1", t0))
		if err := store.Resolve(ctx, first.ID, "inv-2", t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, _ := store.Get(ctx, first.ID)
		if got.Resolution != ResolutionCleared || got.ResolvedBy != "todai" || got.ClearedBy != "inv-2" {
			t.Errorf("cleared: %+v", got)
		}
		opened, _, err := store.ApplyReconcile(ctx, ReconcilePlan{Open: []Incident{failure("inv-1", t0)}}, t0.Add(2*time.Hour))
		if err != nil || len(opened) != 1 || opened[0].Reopens != 0 {
			t.Errorf("a failure after a clear: opened %+v, %v", opened, err)
		}
	})
}

// TestHistory counts how a test's incidents ended within the window (false positives and expected, not fixes or
// clears, not before the window) and names the fixed incident an open one reopens.
func TestHistory(t *testing.T) {
	eachState(t, func(t *testing.T, store *Store) {
		ctx := context.Background()
		at := t0
		end := func(r Resolution) int64 {
			t.Helper()
			inc := openIncident()
			inc.ID, inc.InvocationID, inc.DetectedAt, inc.OpenedAt = 0, at.Format(time.RFC3339), at, at
			opened, _, err := store.Open(ctx, inc)
			if err != nil {
				t.Fatal(err)
			}
			at = at.Add(time.Hour)
			if r == ResolutionCleared {
				err = store.Resolve(ctx, opened.ID, "inv", at)
			} else {
				err = store.ResolveAs(ctx, opened.ID, r, "", "U_ANA", at)
			}
			if err != nil {
				t.Fatal(err)
			}
			at = at.Add(47 * time.Hour)
			return opened.ID
		}
		end(ResolutionFalsePositive) // before the window
		since := at
		end(ResolutionFalsePositive)
		end(ResolutionExpected)
		end(ResolutionCleared)
		end(ResolutionFalsePositive)
		fixed := end(ResolutionFixed)
		at = at.Add(-40 * time.Hour) // within a day of the fix
		reopening := openIncident()
		reopening.ID, reopening.InvocationID, reopening.DetectedAt, reopening.OpenedAt = 0, "inv-again", at, at
		if _, _, err := store.Open(ctx, reopening); err != nil {
			t.Fatal(err)
		}
		hist, err := store.History(ctx, []string{reopening.TestID, "test.shop.other"}, since)
		if err != nil {
			t.Fatal(err)
		}
		h, ok := hist[reopening.TestID]
		if !ok || len(hist) != 1 {
			t.Fatalf("history: %+v", hist)
		}
		if h.FalsePositive != 2 || h.Expected != 1 || !h.Flagged() || !h.Since.Equal(since.Add(time.Hour)) || h.Reopens != fixed {
			t.Errorf("history of %s: %+v (want 2 false positives, 1 expected, since %s, reopening %d)", h.UniqueID, h, since.Add(time.Hour), fixed)
		}
	})
}

// TestHistoryInsideSnapshots: the read model asks the store how incidents ended from inside its snapshots, each of
// which holds one of the readers; more concurrent answers than readers must not wait for a reader forever.
func TestHistoryInsideSnapshots(t *testing.T) {
	db, store, _ := seededState(t)
	writeMirror(t, context.Background(), db.Write, "inv1", mirrorState{runs: map[string]string{"model.shop.stg_orders": "error"}})
	if _, err := db.Write.Exec(`INSERT INTO sync_runs (started_at, finished_at, ok) VALUES ('2026-03-10T09:00:00.000000Z', '2026-03-10T09:01:00.000000Z', 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`UPDATE nodes SET health = 'error' WHERE unique_id = 'model.shop.stg_orders'`); err != nil {
		t.Fatal(err)
	}
	const answers, readers = 12, 4 // more answers than the state file's readers
	var arrived sync.WaitGroup
	arrived.Add(readers)
	var calls atomic.Int32
	// The first answers reach the store while each holds a snapshot, every reader taken; the rest pass through.
	history := func(ctx context.Context, ids []string, since time.Time) (map[string]queries.IncidentHistory, error) {
		if calls.Add(1) <= readers {
			arrived.Done()
			arrived.Wait()
		}
		return store.History(ctx, ids, since)
	}
	r := queries.NewReader(db, queries.ReaderOptions{IncidentHistory: history, Now: func() time.Time { return t0 }})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	errs := make(chan error, answers)
	for range answers {
		go func() {
			_, err := r.Urgency(ctx, "stg_orders")
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Fatalf("urgency while others hold snapshots: %v", err)
		}
	}
}

// TestConcurrentTakes: 32 clicks of Take at once by one person change the incident once and write one timeline
// line — on SQLite (its single writer) and on PostgreSQL (its writer's lock), whose pool has several connections.
func TestConcurrentTakes(t *testing.T) {
	ctx := context.Background()
	eachState(t, func(t *testing.T, store *Store) {
		inc, _, err := store.Open(ctx, openIncident())
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		changes := make(chan bool, 32)
		for range 32 {
			wg.Go(func() {
				changed, err := store.Take(ctx, inc.ID, "U0ANA", t0.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				changes <- changed
			})
		}
		wg.Wait()
		close(changes)
		n := 0
		for c := range changes {
			if c {
				n++
			}
		}
		timeline, err := store.Timeline(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		taken := 0
		for _, e := range timeline {
			if e.Event == "taken" {
				taken++
			}
		}
		if n != 1 || taken != 1 {
			t.Errorf("%d takes changed it, %d taken lines; want 1 and 1", n, taken)
		}
	})
}
