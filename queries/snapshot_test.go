package queries

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/todai-dev/todai/queries/demo"
	"github.com/todai-dev/todai/queries/elementary"
	"github.com/todai-dev/todai/queries/mirror"
	"github.com/todai-dev/todai/queries/source"
)

// TestAnswersNeverMixTwoSyncs lands syncs while answers are asked, and fails on any answer that mixes two: each
// sync brings one new run of a model, erroring and succeeding in turn, so an answer whose health (a derived table)
// disagrees with its last run (a mirror table), or whose why disagrees with its own last run, read rows of two
// syncs. Without one write transaction per sync and one read transaction per answer this fails within a few syncs.
func TestAnswersNeverMixTwoSyncs(t *testing.T) {
	ctx := context.Background()
	const model = "model.shop.flip"
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "warehouse.db")
	wh, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer wh.Close()
	f := Fixture{
		"dbt_models": {{"unique_id": model, "name": "flip", "package_name": "shop", "owner": "[]", "meta": "{}",
			"tags": "[]", "depends_on_nodes": "[]", "generated_at": "2026-11-30 00:00:00"}},
		"dbt_invocations": {{"invocation_id": "inv-0", "created_at": base, "command": "run", "job_name": "hourly"}},
		"dbt_run_results": {run("inv-0", model, "success", base, "2026-12-01 00:00:00", nil)},
	}
	if err := demo.Write(ctx, wh, elementary.SQLite, "", f); err != nil {
		t.Fatal(err)
	}
	db := openMirror(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	src, err := source.Open(ctx, "sqlite://"+path, source.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	now := func() time.Time { return base.Add(30 * 24 * time.Hour) }
	syncer := mirror.New(db, src, mirror.Options{Now: now, BackfillDays: 3650, RetentionDays: 3650, Logger: quiet,
		Deriver: &Derived{}})
	if _, err := syncer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	r := NewReader(db, ReaderOptions{Now: now})

	const syncs = 40
	var mixed atomic.Int64
	var asked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				st, err := r.Status(ctx, "flip")
				if err != nil {
					t.Errorf("status: %v", err)
					return
				}
				why, err := r.Why(ctx, "flip")
				if err != nil {
					t.Errorf("why: %v", err)
					return
				}
				asked.Add(1)
				if st.LastRun == nil || st.LastRun.Health() != st.Health {
					mixed.Add(1)
				}
				erroredNow := len(why.LikelyCauses) > 0 && why.LikelyCauses[0].Kind == "run_error"
				if erroredNow != (why.Health == HealthError) {
					mixed.Add(1)
				}
			}
		}()
	}
	for i := 1; i <= syncs; i++ {
		status := "success"
		if i%2 == 1 {
			status = "error"
		}
		at := base.Add(time.Duration(i) * time.Hour)
		inv := "inv-" + time.Duration(i).String()
		if _, err := wh.ExecContext(ctx, `INSERT INTO dbt_run_results (model_execution_id, unique_id, invocation_id,
			status, execute_completed_at, generated_at, created_at, message, resource_type, name)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'boom', 'model', 'flip')`, inv+"."+model, model, inv, status,
			at.Format(demo.SQLiteTimeLayout), at.Format(demo.SQLiteTimeLayout), at.Format(demo.SQLiteTimeLayout)); err != nil {
			t.Fatal(err)
		}
		if _, err := syncer.Sync(ctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("sync %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if asked.Load() == 0 {
		t.Fatal("no answer was asked while the syncs landed")
	}
	if n := mixed.Load(); n > 0 {
		t.Fatalf("%d of %d answers mixed two syncs", n, asked.Load())
	}
	t.Logf("%d answers over %d syncs, none mixed", asked.Load(), syncs)
}
