package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// PipelineStop says the whole dbt pipeline stopped: no invocation of any job has started since Since, while by
// this time of the week one had started in each of the two weeks before (or it has been a week). Said once, at the
// top of an answer, it replaces a guess per model about its own job.
type PipelineStop struct {
	// Since is when the newest invocation started, and JobName its job ("" when unnamed).
	Since   time.Time `json:"since"`
	JobName string    `json:"job_name,omitempty"`
	// SilentSeconds is how long no invocation has started.
	SilentSeconds float64 `json:"silent_seconds"`
}

// Thresholds of a stopped pipeline.
const (
	// pipelineMinSilence is the shortest silence called a stop.
	pipelineMinSilence = time.Hour
	// pipelineWeeks is how many weeks before must have had a run by this time of the week.
	pipelineWeeks = 2
	// pipelineJitter bounds how much earlier or later than usual a run may start and still be the same run.
	pipelineJitter = time.Hour
)

// Pipeline returns the pipeline's stop at the Reader's now: set when the whole dbt pipeline stopped, nil when it runs
// as usual (or the rows cannot tell).
func (r *Reader) Pipeline(ctx context.Context) (*PipelineStop, error) {
	return inSnapshot(ctx, r, func(r *Reader) (*PipelineStop, error) { return r.pipeline(ctx, r.now()) })
}

// pipeline returns the pipeline's stop at now, nil when it runs as usual (or the rows cannot tell).
//
// The rule: let T be when the newest invocation of any job started and L = now − T. The pipeline stopped at T when L
// is at least pipelineMinSilence and either L is a week or more, or in each of the pipelineWeeks weeks before, an
// invocation started within the same stretch of the week, give or take j = min(L/4, pipelineJitter) — after T + j
// (so that the run T stands for, a little later that week, is not taken for another) and by now − j (so that a run
// a little late today is not yet missed). Comparing a week with the weeks before follows any schedule — hourly,
// nightly, weekdays only, business hours — in any zone, and a project with less than two weeks of history is never
// said to have stopped before a week of silence.
func (r *Reader) pipeline(ctx context.Context, now time.Time) (*PipelineStop, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return nil, err
	}
	// The silence grows with the clock: what was said of it holds for pipelineRecheck.
	fresh := func(at time.Time) bool { return !now.Before(at) && now.Sub(at) < pipelineRecheck }
	if stop, ok := recall(r.shared, &r.shared.pipeline, gen, fresh); ok {
		return stop, nil
	}
	stop, err := r.pipelineAt(ctx, now)
	if err != nil {
		return nil, err
	}
	remember(r.shared, &r.shared.pipeline, gen, now, stop)
	return stop, nil
}

// pipelineAt applies pipeline's rule at now.
func (r *Reader) pipelineAt(ctx context.Context, now time.Time) (*PipelineStop, error) {
	var started, job sql.NullString
	err := r.q.QueryRowContext(ctx, `SELECT coalesce(run_started_at, run_completed_at, generated_at), job_name
		FROM dbt_invocations INDEXED BY dbt_invocations_started
		WHERE coalesce(run_started_at, run_completed_at, generated_at) IS NOT NULL
		ORDER BY coalesce(run_started_at, run_completed_at, generated_at) DESC LIMIT 1`).Scan(&started, &job)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("newest dbt invocation: %w", err)
	}
	t, ok := parseTime(started.String)
	if !ok {
		return nil, nil
	}
	silence := now.Sub(t)
	if silence < pipelineMinSilence {
		return nil, nil
	}
	stop := &PipelineStop{Since: t, JobName: job.String, SilentSeconds: silence.Round(time.Second).Seconds()}
	if silence >= 7*24*time.Hour {
		return stop, nil
	}
	j := min(silence/4, pipelineJitter)
	for w := 1; w <= pipelineWeeks; w++ {
		back := time.Duration(w) * 7 * 24 * time.Hour
		var ran bool
		if err := r.q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM dbt_invocations INDEXED BY dbt_invocations_started
			WHERE coalesce(run_started_at, run_completed_at, generated_at) > ?1
			  AND coalesce(run_started_at, run_completed_at, generated_at) <= ?2)`,
			localdb.FormatTime(t.Add(j-back)), localdb.FormatTime(now.Add(-j-back))).Scan(&ran); err != nil {
			return nil, fmt.Errorf("dbt invocations %d weeks before: %w", w, err)
		}
		if !ran {
			return nil, nil // that week had no run by this time either: the silence is usual
		}
	}
	return stop, nil
}
