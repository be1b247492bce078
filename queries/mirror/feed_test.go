package mirror

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/localdb"
	"github.com/todai-dev/todai/queries/source"
	"github.com/todai-dev/todai/queries/statedb"
	"github.com/todai-dev/todai/queries/statedb/statedbtest"
)

// replica is one replica's side of the feed: its own mirror and warehouse connection, a sync that publishes
// (the sync tick's), one that does not (when the feed cannot serve it), and its follower.
type replica struct {
	name      string
	db        *localdb.DB
	src       source.Source
	publisher *Syncer
	private   *Syncer
	follower  *Follower
}

// feedFixture is a warehouse, the shared state's feed and two replicas.
type feedFixture struct {
	wh    *warehouse
	clock *fixedClock
	feed  *Feed
	a, b  *replica
}

func newFeedFixture(t *testing.T, state *statedb.DB, fo FeedOptions) *feedFixture {
	t.Helper()
	dir := t.TempDir()
	f := &feedFixture{wh: newWarehouse(t, dir), clock: newClock(t0)}
	f.wh.createAll()
	addModel(f.wh, "model.p.a", "a", "2026-07-09 10:00:00")
	addTestResult(f.wh, "r1", "fail", t0.Add(-time.Hour))
	addRunResult(f.wh, "e1", "success", t0.Add(-2*time.Hour))
	fo.Now = f.clock.now
	f.feed = NewFeed(state, fo)
	f.a, f.b = f.replica(t, dir, "a"), f.replica(t, dir, "b")
	return f
}

func (f *feedFixture) replica(t *testing.T, dir, name string) *replica {
	r := &replica{name: name, db: openMirror(t, filepath.Join(dir, name)), src: openSQLiteSource(t, f.wh.path)}
	opts := Options{Now: f.clock.now, Logger: quietLogger()}
	r.private = New(r.db, r.src, opts)
	r.follower = NewFollower(r.db, f.feed, opts)
	opts.Feed, opts.Holder = f.feed, name
	r.publisher = New(r.db, r.src, opts)
	return r
}

// tick is one sync tick run by r: it catches up with the feed, then reads the warehouse and publishes.
func (r *replica) tick(t *testing.T) Report {
	t.Helper()
	r.catchUp(t)
	rep, err := r.publisher.Sync(context.Background())
	if err != nil {
		t.Fatalf("%s: sync: %v", r.name, err)
	}
	return rep
}

func (r *replica) catchUp(t *testing.T) FollowReport {
	t.Helper()
	rep, err := r.follower.CatchUp(context.Background(), r.private.Sync)
	if err != nil {
		t.Fatalf("%s: catch up: %v", r.name, err)
	}
	return rep
}

// dataQueries is how many data queries r's warehouse connection sent so far.
func (r *replica) dataQueries() int64 { return r.src.Counts().Data }

// dump renders every Elementary table of a mirror (each value quoted with its type) and their sync state.
func dump(t *testing.T, db *localdb.DB) string {
	t.Helper()
	var b strings.Builder
	for _, tab := range elementary.Tables() {
		var cols []string
		for _, c := range tab.Mirrored() {
			cols = append(cols, "quote("+c.Name+")")
		}
		rows := queryStrings(t, db, "SELECT "+strings.Join(cols, " || '|' || ")+" FROM "+tab.Name+" ORDER BY 1")
		fmt.Fprintf(&b, "%s: %s\n", tab.Name, strings.Join(rows, "\n  "))
	}
	for _, s := range queryStrings(t, db, `SELECT table_name || '|' || present || '|' || COALESCE(columns, '') || '|' ||
		COALESCE(fingerprint, '') || '|' || COALESCE(watermark, '') || '|' || rows_local FROM sync_state ORDER BY 1`) {
		fmt.Fprintf(&b, "state: %s\n", s)
	}
	return b.String()
}

func sameMirrors(t *testing.T, f *feedFixture) {
	t.Helper()
	if a, b := dump(t, f.a.db), dump(t, f.b.db); a != b {
		t.Fatalf("the replicas' mirrors differ:\n--- a\n%s\n--- b\n%s", a, b)
	}
}

func TestFeedOneReadPerSync(t *testing.T) {
	statedbtest.Each(t, func(t *testing.T, state *statedb.DB) {
		f := newFeedFixture(t, state, FeedOptions{})
		// A new replica has followed nothing: it fills its mirror from the warehouse once.
		for _, r := range []*replica{f.a, f.b} {
			if rep := r.catchUp(t); rep.Read == nil || !strings.Contains(rep.Why, "not followed the feed yet") {
				t.Fatalf("%s's first catch-up: %+v, want a read of the warehouse", r.name, rep)
			}
		}
		sameMirrors(t, f)

		// Sync ticks taken in turn by either replica: the other applies what it read, reading nothing itself.
		for i, holder := range []*replica{f.a, f.b, f.b, f.a} {
			follower := f.b
			if holder == f.b {
				follower = f.a
			}
			f.clock.add(10 * time.Minute)
			at := f.clock.now().Add(-time.Minute)
			addTestResult(f.wh, fmt.Sprintf("r%d", i+2), "pass", at)
			addRunResult(f.wh, fmt.Sprintf("e%d", i+2), "success", at)
			if i == 2 {
				f.wh.exec(`UPDATE dbt_models SET name = 'a2', generated_at = '2026-07-10 12:20:00'`)
			}
			before := follower.dataQueries()
			rep := holder.tick(t)
			if rep.TablesRead == 0 || rep.DataQueries == 0 {
				t.Fatalf("tick %d: %s read nothing: %+v", i, holder.name, rep)
			}
			fr := follower.catchUp(t)
			if fr.Read != nil || fr.Applied != 1 {
				t.Fatalf("tick %d: %s's catch-up: %+v, want one entry applied and no read", i, follower.name, fr)
			}
			if n := follower.dataQueries() - before; n != 0 {
				t.Errorf("tick %d: %s sent %d data queries to the warehouse, want none", i, follower.name, n)
			}
			if again := holder.catchUp(t); again.Applied != 0 || again.Read != nil {
				t.Errorf("tick %d: %s applied its own entry again: %+v", i, holder.name, again)
			}
			sameMirrors(t, f)
		}
		if got := queryStrings(t, f.b.db, `SELECT name FROM dbt_models`); !reflect.DeepEqual(got, []string{"a2"}) {
			t.Errorf("b's models after the definition changed: %v", got)
		}
		// The follower's runs say what they applied, read when its holder read.
		runs := queryStrings(t, f.b.db, `SELECT ok || '|' || feed_seq || '|' || data_queries || '|' || started_at
			FROM sync_runs WHERE feed_seq IS NOT NULL ORDER BY id`)
		if len(runs) != 2 || !strings.HasPrefix(runs[0], "1|1|0|") {
			t.Errorf("b's runs from the feed: %v", runs)
		}
		if st, err := Status(context.Background(), f.b.db); err != nil || st.LastRun == nil || st.LastRun.FeedEntry != 4 ||
			!st.LastRun.OK {
			t.Errorf("b's status: %+v (%v), want its last run the feed's entry 4", st.LastRun, err)
		}
		aRead, err := LastRead(context.Background(), f.a.db)
		if err != nil {
			t.Fatal(err)
		}
		bRead, err := LastRead(context.Background(), f.b.db)
		if err != nil || !bRead.Equal(aRead) {
			t.Errorf("b's mirror read the warehouse at %v, a's at %v: they hold the same read (%v)", bRead, aRead, err)
		}
	})
}

func TestFeedCannotServe(t *testing.T) {
	tests := []struct {
		name string
		// setup runs after both replicas followed entry 1; then a publishes, and b catches up.
		setup   func(t *testing.T, f *feedFixture)
		options FeedOptions
		why     string
	}{
		{name: "a mirror ahead of the feed publishes from rows b lacks", why: "this mirror holds it only up to",
			setup: func(t *testing.T, f *feedFixture) {
				f.clock.add(5 * time.Minute)
				addTestResult(f.wh, "late-private", "fail", f.clock.now().Add(-time.Minute))
				if _, err := f.a.private.Sync(context.Background()); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "a late row that a read the warehouse for privately", why: "rows of elementary_test_results between",
			setup: func(t *testing.T, f *feedFixture) {
				// A long transaction commits a row inserted half an hour before the watermark, after both read;
				// a alone reads the warehouse again (a new pod's first fill, say) and gets it.
				f.clock.add(5 * time.Minute)
				addTestResult(f.wh, "late", "fail", t0.Add(-90*time.Minute))
				if _, err := f.a.private.Sync(context.Background()); err != nil {
					t.Fatal(err)
				}
				if n := queryInt(t, f.a.db, `SELECT count(*) FROM elementary_test_results WHERE id = 'late'`); n != 1 {
					t.Fatal("a's own read did not get the late row")
				}
			}},
		{name: "the shared state was made anew", why: "the feed no longer holds entry 1",
			setup: func(t *testing.T, f *feedFixture) {
				if _, err := f.feed.db.Writer().ExecContext(context.Background(), `DELETE FROM mirror_feed`); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "entries b missed were pruned", options: FeedOptions{Keep: time.Hour},
			why: "are no longer in the feed",
			setup: func(t *testing.T, f *feedFixture) {
				f.clock.add(2 * time.Hour)
				f.a.tick(t) // entry 2, which b never applies; the next publish prunes it
				f.clock.add(2 * time.Hour)
			}},
		{name: "a sync read more rows than an entry carries", options: FeedOptions{MaxRows: 1},
			why: "carries none of the"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			statedbtest.Each(t, func(t *testing.T, state *statedb.DB) {
				f := newFeedFixture(t, state, tc.options)
				f.a.catchUp(t)
				f.b.catchUp(t)
				f.a.tick(t)
				f.b.catchUp(t)
				if tc.setup != nil {
					tc.setup(t, f)
				}
				f.clock.add(10 * time.Minute)
				addTestResult(f.wh, "next", "pass", f.clock.now().Add(-time.Minute))
				addRunResult(f.wh, "e-next", "success", f.clock.now().Add(-time.Minute))
				f.a.tick(t)
				before := f.b.dataQueries()
				rep := f.b.catchUp(t)
				if rep.Read == nil || !strings.Contains(rep.Why, tc.why) {
					t.Fatalf("b's catch-up: %+v, want a read of the warehouse because %q", rep, tc.why)
				}
				if f.b.dataQueries() == before {
					t.Error("b did not read the warehouse")
				}
				sameMirrors(t, f)
				// From there on, b follows again without reading.
				f.clock.add(10 * time.Minute)
				addTestResult(f.wh, "after", "pass", f.clock.now().Add(-time.Minute))
				f.a.tick(t)
				before = f.b.dataQueries()
				if rep := f.b.catchUp(t); rep.Read != nil || rep.Applied != 1 || f.b.dataQueries() != before {
					t.Errorf("b's next catch-up: %+v (data queries %d → %d), want one entry and no read", rep,
						before, f.b.dataQueries())
				}
				sameMirrors(t, f)
			})
		})
	}
}

// An entry read before this mirror read a definition table itself does not take it back to the older read.
func TestFeedKeepsTheNewerDefinitions(t *testing.T) {
	statedbtest.Each(t, func(t *testing.T, state *statedb.DB) {
		f := newFeedFixture(t, state, FeedOptions{})
		f.a.catchUp(t)
		f.b.catchUp(t)
		f.clock.add(10 * time.Minute)
		f.wh.exec(`UPDATE dbt_models SET name = 'v2', generated_at = '2026-07-10 12:05:00'`)
		f.a.tick(t) // reads v2
		f.clock.add(time.Minute)
		f.wh.exec(`UPDATE dbt_models SET name = 'v3', generated_at = '2026-07-10 12:11:00'`)
		if _, err := f.b.private.Sync(context.Background()); err != nil { // reads v3, later
			t.Fatal(err)
		}
		if rep := f.b.catchUp(t); rep.Applied != 1 {
			t.Fatalf("b's catch-up: %+v", rep)
		}
		if got := queryStrings(t, f.b.db, `SELECT name FROM dbt_models`); !reflect.DeepEqual(got, []string{"v3"}) {
			t.Errorf("b's models: %v, want the later read's v3", got)
		}
	})
}

// A warehouse read that committed with a table failed leaves the mirror following the feed from there: the
// failure is reported, and the warehouse not read again at the next catch-up.
func TestFeedPartialRead(t *testing.T) {
	statedbtest.Each(t, func(t *testing.T, state *statedb.DB) {
		f := newFeedFixture(t, state, FeedOptions{})
		failing := New(f.b.db, &failingSource{Source: f.b.src, table: "dbt_run_results"},
			Options{Now: f.clock.now, Logger: quietLogger()})
		rep, err := f.b.follower.CatchUp(context.Background(), failing.Sync)
		if err == nil || rep.Read == nil || !rep.Read.Committed {
			t.Fatalf("catch-up with a table failing: %+v, %v; want the read committed and its failure reported", rep, err)
		}
		reads := 0
		counting := func(ctx context.Context) (Report, error) { reads++; return f.b.private.Sync(ctx) }
		if rep, err := f.b.follower.CatchUp(context.Background(), counting); err != nil || reads != 0 {
			t.Errorf("next catch-up: %+v, %v, %d reads; want none", rep, err, reads)
		}
		// a's entries read dbt_run_results from a watermark b never reached: b reads the warehouse then.
		f.a.catchUp(t)
		f.clock.add(10 * time.Minute)
		addRunResult(f.wh, "e-next", "success", f.clock.now().Add(-time.Minute))
		f.a.tick(t)
		if rep, err := f.b.follower.CatchUp(context.Background(), counting); err != nil || reads != 1 ||
			!strings.Contains(rep.Why, "dbt_run_results") {
			t.Errorf("catch-up after a's entry: %+v, %v, %d reads; want one, for dbt_run_results", rep, err, reads)
		}
		sameMirrors(t, f)
	})
}

// A warehouse read that fails is not tried again at every catch-up.
func TestFeedReadBacksOff(t *testing.T) {
	statedbtest.Each(t, func(t *testing.T, state *statedb.DB) {
		f := newFeedFixture(t, state, FeedOptions{})
		reads := 0
		failing := func(context.Context) (Report, error) { reads++; return Report{}, errInjected }
		for range 3 {
			if _, err := f.a.follower.CatchUp(context.Background(), failing); err == nil {
				t.Fatal("a catch-up whose read failed succeeded")
			}
		}
		if reads != 1 {
			t.Errorf("%d reads within a minute of a failed one, want 1", reads)
		}
		f.clock.add(readBackoff)
		if rep := f.a.catchUp(t); rep.Read == nil {
			t.Errorf("after the back-off: %+v, want a read", rep)
		}
	})
}

// A sync that committed with a table failed counts as the mirror's read: the rest of the mirror is that read's, and
// a warehouse whose table keeps failing must not leave the mirror "never synced" (no digests, no ticks, no answers).
func TestLastReadCountsASyncWithATableFailed(t *testing.T) {
	f := newFixture(t, func(w *warehouse) {
		w.createAll()
		addModel(w, "model.p.a", "a", "2026-07-09 10:00:00")
		addRunResult(w, "e1", "success", t0.Add(-time.Hour))
	}, Options{})
	f.sy = New(f.db, &failingSource{Source: f.src, table: "dbt_run_results"}, Options{Now: f.clock.now,
		Logger: quietLogger()})
	rep, err := f.sy.Sync(context.Background())
	if err == nil || !rep.Committed {
		t.Fatalf("sync with a table failing: %+v, %v; want committed and failed", rep, err)
	}
	at, err := LastRead(context.Background(), f.db)
	if err != nil || !at.Equal(rep.Started) {
		t.Errorf("LastRead = %v, %v; want the sync's start %v", at, err, rep.Started)
	}
}
