package queries

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/todai-dev/todai/queries/localdb"
)

// Overdue says a node missed its usual build: the cadence learned from its successful runs, when it last
// succeeded, how late it is, and whether its job ran since in a way that could have built it (it ran but skipped or
// failed the node) or not (the job did not run, or ran only what cannot build it: a `dbt test`, another selector).
type Overdue struct {
	// Cadence is hourly, daily, weekdays (daily, Monday to Friday) or every_<n>h; CadenceSeconds the interval it
	// expects. Weekdays and days are those of Zone, the zone of the node's team (else the project's).
	Cadence        string     `json:"cadence"`
	CadenceSeconds float64    `json:"cadence_seconds"`
	Zone           string     `json:"zone,omitempty"`
	LastSuccess    *time.Time `json:"last_success"`
	// LateSeconds is how long past the expected build (the cadence plus slack) it is.
	LateSeconds float64 `json:"late_seconds"`
	// JobName is the job of its last successful run ("" when unknown). JobRanSince says whether an invocation of that
	// job that could build it — a command that builds its kind, with no selector or one that built it before —
	// started after its last success; LastJobRun is when the newest such invocation started.
	JobName     string     `json:"job_name"`
	JobRanSince bool       `json:"job_ran_since"`
	LastJobRun  *time.Time `json:"last_job_run"`
}

// cadenceHistory is how many successful runs a cadence is learned from, and the fewest it needs.
const (
	cadenceHistory = 30
	cadenceMinRuns = 3
)

// overdue returns a node's Overdue when it missed its cadence at now, else nil and when it will have (zero when it
// has no cadence). Sources, tests, exposures and nodes with fewer than cadenceMinRuns successful runs have none.
func (r *Reader) overdue(ctx context.Context, n *nodeInfo, now time.Time) (*Overdue, time.Time, error) {
	if n.test != nil || n.ResourceType == "source" || n.ResourceType == "exposure" {
		return nil, time.Time{}, nil
	}
	times, err := r.successTimes(ctx, n.UniqueID)
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(times) < cadenceMinRuns {
		return nil, time.Time{}, nil
	}
	loc := r.zoneOf(n)
	c, due, lateAt := judge(times, loc)
	if !now.After(lateAt) {
		return nil, lateAt, nil
	}
	runs, err := r.runs(ctx, n.UniqueID, cadenceHistory, successStatuses, nil)
	if err != nil {
		return nil, time.Time{}, err
	}
	if len(runs) == 0 {
		return nil, time.Time{}, nil
	}
	last := times[0]
	o := &Overdue{Cadence: c.name, CadenceSeconds: c.every.Seconds(), Zone: loc.String(), LastSuccess: &last,
		LateSeconds: math.Round(now.Sub(due).Seconds())}
	if runs[0].Invocation != nil {
		o.JobName = runs[0].Invocation.JobName
	}
	if o.JobName != "" {
		if o.LastJobRun, err = r.lastBuildingRun(ctx, n, o.JobName, runs); err != nil {
			return nil, time.Time{}, err
		}
		o.JobRanSince = o.LastJobRun != nil && o.LastJobRun.After(last)
	}
	return o, time.Time{}, nil
}

// lastBuildingRun is when the newest invocation of job started that could build n, whose successful runs built
// are: a command that builds n's kind (run or build for a model, seed for a seed, snapshot for a snapshot; retry) with
// no selector, or with the selector of an invocation that built it. A `dbt test` after the `dbt run`, or a build of
// another selector, is not one.
func (r *Reader) lastBuildingRun(ctx context.Context, n *nodeInfo, job string, built []Run) (*time.Time, error) {
	selectors := []string{}
	for _, run := range built {
		if inv := run.Invocation; inv != nil && inv.JobName == job && !slices.Contains(selectors, inv.Selected) {
			selectors = append(selectors, inv.Selected)
		}
	}
	commands := []string{"build", "retry", "run"}
	switch n.ResourceType {
	case "seed":
		commands = []string{"build", "retry", "seed"}
	case "snapshot":
		commands = []string{"build", "retry", "snapshot"}
	}
	var newest sql.NullString
	err := r.q.QueryRowContext(ctx, `SELECT max(coalesce(run_started_at, run_completed_at, generated_at))
		FROM dbt_invocations INDEXED BY dbt_invocations_job
		WHERE job_name = ?1 AND command IN (SELECT value FROM json_each(?2))
		  AND (coalesce(selected, '') IN ('', '[]', 'null') OR selected IN (SELECT value FROM json_each(?3)))`,
		job, jsonList(commands), jsonList(selectors)).Scan(&newest)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("runs of job %s: %w", job, err)
	}
	if !newest.Valid {
		return nil, nil
	}
	return timePtr(&newest.String), nil
}

// judge learns the cadence of a node's builds (newest first, at least two) in loc, and says when the next build is
// due and from when it is late: the due time plus a slack of half the cadence (at least 30 minutes; 12 hours for a
// weekday build, whose due time is the next weekday's).
func judge(builds []time.Time, loc *time.Location) (c cadence, due, lateAt time.Time) {
	c = learnCadence(builds, loc)
	due = c.nextDue(builds[0])
	slack := max(c.every/2, 30*time.Minute)
	if c.name == "weekdays" {
		slack = 12 * time.Hour
	}
	return c, due, due.Add(slack)
}

// cadence is how often a node is built: its name, its interval, and the zone its days are counted in.
type cadence struct {
	name  string
	every time.Duration
	loc   *time.Location
}

// learnCadence names the interval between successive successful runs (newest first), in loc: the median interval,
// as hourly (45–90 min), daily (20–28 h; weekdays when every run is on Monday to Friday in loc and one gap spans a
// weekend) or every_<n>h.
func learnCadence(newestFirst []time.Time, loc *time.Location) cadence {
	var gaps []time.Duration
	weekdaysOnly := true
	for i, t := range newestFirst {
		if isWeekend(t.In(loc)) {
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
		return cadence{"hourly", time.Hour, loc}
	case median >= 20*time.Hour && median <= 28*time.Hour:
		if weekdaysOnly && gaps[len(gaps)-1] >= 60*time.Hour {
			return cadence{"weekdays", 24 * time.Hour, loc}
		}
		return cadence{"daily", 24 * time.Hour, loc}
	}
	hours := max(1, int(math.Round(median.Hours())))
	return cadence{fmt.Sprintf("every_%dh", hours), time.Duration(hours) * time.Hour, loc}
}

// nextDue is when the next build after last is expected: a cadence later, on the next weekday (in the cadence's
// zone) for weekdays. Days are added on the zone's calendar, so a daily build keeps its local time across a change of
// daylight saving time.
func (c cadence) nextDue(last time.Time) time.Time {
	if c.name != "daily" && c.name != "weekdays" {
		return last.Add(c.every)
	}
	due := last.In(c.loc).AddDate(0, 0, 1)
	for c.name == "weekdays" && isWeekend(due) {
		due = due.AddDate(0, 0, 1)
	}
	return due
}

// isWeekend reports whether t falls on a Saturday or a Sunday in its own zone.
func isWeekend(t time.Time) bool {
	return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday
}

// successTimes are the completion times of a node's last cadenceHistory successful runs, newest first. They change
// only when it succeeds again, so they are remembered with its last success (node_last_run.success_at) and read
// anew when that moved: a sync that built a few nodes re-reads those alone.
func (r *Reader) successTimes(ctx context.Context, id string) ([]time.Time, error) {
	at, err := r.lastSuccess(ctx, id)
	if err != nil {
		return nil, err
	}
	c := r.shared
	c.mu.Lock()
	if s, ok := c.successTimes[id]; ok && s.last.Equal(at) {
		c.mu.Unlock()
		return s.times, nil
	}
	c.mu.Unlock()
	// The times alone decide whether a build is late; the runs' invocations are read only when it is.
	times, err := localdb.Collect(ctx, r.q, "successes of "+id, `SELECT coalesce(execute_completed_at,
			generated_at) FROM dbt_run_results WHERE unique_id = ?1 AND status IN ('success', 'pass')
			AND coalesce(execute_completed_at, generated_at) IS NOT NULL
		ORDER BY coalesce(execute_completed_at, generated_at) DESC, created_at DESC, model_execution_id DESC
		LIMIT ?2`, []any{id, cadenceHistory}, func(rows *sql.Rows) (time.Time, error) {
		var s string
		if err := rows.Scan(&s); err != nil {
			return time.Time{}, err
		}
		t, _ := parseTime(s)
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	times = slices.DeleteFunc(times, time.Time.IsZero) // shared once remembered: callers only read it
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.successTimes == nil {
		c.successTimes = map[string]learnedTimes{}
	}
	c.successTimes[id] = learnedTimes{last: at, times: times}
	return times, nil
}

// lastSuccess is when a node last succeeded (node_last_run.success_at; zero when never): from every node's, when a
// question of this data generation read them all (lastSuccesses), else its own row alone — a question about one
// node does not read ten thousand.
func (r *Reader) lastSuccess(ctx context.Context, id string) (time.Time, error) {
	gen, err := r.dataGeneration(ctx)
	if err != nil {
		return time.Time{}, err
	}
	r.shared.mu.Lock()
	all := r.shared.healthFor(gen).successes
	r.shared.mu.Unlock()
	if all != nil {
		return all[id], nil
	}
	var at *string
	err = r.q.QueryRowContext(ctx, `SELECT success_at FROM node_last_run WHERE unique_id = ?`, id).Scan(&at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, fmt.Errorf("last success of %s: %w", id, err)
	}
	if t := timePtr(at); t != nil {
		return *t, nil
	}
	return time.Time{}, nil
}

// learnedTimes are a node's success times, read when its last success was last.
type learnedTimes struct {
	last  time.Time
	times []time.Time
}
