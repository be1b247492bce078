package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Overdue says a node missed its usual build: the cadence learned from its successful runs, when it last
// succeeded, how late it is, and whether the job that usually builds it ran since (it ran but skipped or failed
// the node) or not (the job itself did not run).
type Overdue struct {
	// Cadence is hourly, daily, weekdays or every_<n>h; CadenceSeconds the interval it expects.
	Cadence        string     `json:"cadence"`
	CadenceSeconds float64    `json:"cadence_seconds"`
	LastSuccess    *time.Time `json:"last_success"`
	// LateSeconds is how long past the expected build (the cadence plus slack) it is.
	LateSeconds float64 `json:"late_seconds"`
	// JobName is the job of its last successful run ("" when unknown); JobRanSince says whether an invocation of
	// that job started after it, LastJobRun when the newest started.
	JobName     string     `json:"job_name"`
	JobRanSince bool       `json:"job_ran_since"`
	LastJobRun  *time.Time `json:"last_job_run"`
}

// cadenceHistory is how many successful runs a cadence is learned from, and the fewest it needs.
const (
	cadenceHistory = 30
	cadenceMinRuns = 3
)

// overdue returns a node's Overdue when it missed its cadence at r.now(), else nil. Sources, tests and nodes with
// fewer than cadenceMinRuns successful runs have none.
func (r *Reader) overdue(ctx context.Context, n *nodeInfo) (*Overdue, error) {
	if n.test != nil || n.ResourceType == "source" || n.ResourceType == "exposure" {
		return nil, nil
	}
	runs, err := r.runs(ctx, n.UniqueID, cadenceHistory, successStatuses, nil)
	if err != nil {
		return nil, err
	}
	var times []time.Time
	for _, run := range runs {
		if run.CompletedAt != nil {
			times = append(times, *run.CompletedAt)
		}
	}
	if len(times) < cadenceMinRuns {
		return nil, nil
	}
	cadence, every := learnCadence(times)
	last := times[0]
	now := r.now()
	due := nextDue(cadence, every, last)
	slack := max(every/2, 30*time.Minute)
	if cadence == "weekdays" {
		slack = 12 * time.Hour
	}
	if !now.After(due.Add(slack)) {
		return nil, nil
	}
	o := &Overdue{Cadence: cadence, CadenceSeconds: every.Seconds(), LastSuccess: &last,
		LateSeconds: math.Round(now.Sub(due).Seconds())}
	if runs[0].Invocation != nil {
		o.JobName = runs[0].Invocation.JobName
	}
	if o.JobName != "" {
		var newest sql.NullString
		// An invocation started after the last success (the one that built it ends after it did).
		err := r.q.QueryRowContext(ctx, `SELECT max(coalesce(run_started_at, run_completed_at, generated_at))
			FROM dbt_invocations WHERE job_name = ?`, o.JobName).Scan(&newest)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("runs of job %s: %w", o.JobName, err)
		}
		if t := timePtr(&newest.String); newest.Valid && t != nil {
			o.LastJobRun = t
			o.JobRanSince = t.After(last)
		}
	}
	return o, nil
}

// learnCadence names the interval between successive successful runs (newest first): the median interval, as
// hourly (45–90 min), daily (20–28 h; weekdays when every run is on Monday to Friday and one gap spans a weekend)
// or every_<n>h.
func learnCadence(newestFirst []time.Time) (string, time.Duration) {
	var gaps []time.Duration
	weekdaysOnly := true
	for i, t := range newestFirst {
		if wd := t.UTC().Weekday(); wd == time.Saturday || wd == time.Sunday {
			weekdaysOnly = false
		}
		if i > 0 {
			gaps = append(gaps, newestFirst[i-1].Sub(t))
		}
	}
	slices.Sort(gaps)
	median := gaps[len(gaps)/2]
	switch {
	case median >= 45*time.Minute && median <= 90*time.Minute:
		return "hourly", time.Hour
	case median >= 20*time.Hour && median <= 28*time.Hour:
		if weekdaysOnly && gaps[len(gaps)-1] >= 60*time.Hour {
			return "weekdays", 24 * time.Hour
		}
		return "daily", 24 * time.Hour
	}
	hours := max(1, int(math.Round(median.Hours())))
	return fmt.Sprintf("every_%dh", hours), time.Duration(hours) * time.Hour
}

// nextDue is when the next build after last is expected: a cadence later, on the next weekday for weekdays.
func nextDue(cadence string, every time.Duration, last time.Time) time.Time {
	due := last.Add(every)
	if cadence == "weekdays" {
		for due.UTC().Weekday() == time.Saturday || due.UTC().Weekday() == time.Sunday {
			due = due.Add(24 * time.Hour)
		}
	}
	return due
}
